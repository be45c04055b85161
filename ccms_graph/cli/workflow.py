"""`ccms-graph retention [--dry-run]` and `ccms-graph review`: the records-retention job and the case review lists."""

from __future__ import annotations

from datetime import date

from ..db import get_graph
from ..logic.casework import retention, workflows
from ..policy.actor import SYSTEM, load_actor
from .arguments import at_least
from .output import emit


def _day(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None


def _retention(args) -> int:
    graph = get_graph()
    today = _day(args.today)
    if args.dry_run:
        found = retention.retention_candidates(graph, today)
    else:
        found = retention.apply_retention(graph, SYSTEM, today, batch=args.batch)
    emit({"dry_run": args.dry_run, "counts": retention.counts(found), **found})
    return 0


def _review(args) -> int:
    graph = get_graph()
    actor = graph.read(load_actor, args.user) if args.user else None
    today = _day(args.today)
    emit({
        "inactive_six_months": workflows.inactive_cases(graph, actor, today),
        "quarterly_review_due": workflows.review_due_cases(graph, actor, today),
    })
    return 0


def register(sub) -> None:
    p = sub.add_parser("retention", help="remove records past their retention period (or list them)")
    p.add_argument("--dry-run", action="store_true", help="list what is eligible; remove nothing")
    p.add_argument("--today", metavar="YYYY-MM-DD", help="judge eligibility as of this day (default: now)")
    p.add_argument("--batch", type=at_least(1), default=retention.BATCH, metavar="N",
                   help=f"cases removed per transaction, each with its audit entry (default {retention.BATCH})")
    p.set_defaults(func=_retention)
    p = sub.add_parser("review", help="cases with no activity for six months, and cases due their quarterly review")
    p.add_argument("--user", metavar="USERNAME", help="only this user's and their subordinates' cases")
    p.add_argument("--today", metavar="YYYY-MM-DD", help="as of this day (default: now)")
    p.set_defaults(func=_review)
