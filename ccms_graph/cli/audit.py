"""`ccms-graph audit verify|search|export`: check the hash chain, and let auditors search and export the log."""

from __future__ import annotations

import sys

from ..db import Graph, get_graph
from ..logic.oversight import audit
from ..policy.actor import load_actor
from .arguments import at_least
from .output import emit


def _verify(args) -> int:
    result = audit.verify(get_graph())
    print(result.summary())
    return 0 if result.ok else 1


def _auditor(graph: Graph, args):
    return graph.read(load_actor, args.as_user).with_request("cli", args.purpose)


def _filters(args) -> dict:
    return {"user": args.user, "record": args.record, "since": args.since, "until": args.until,
            "action": args.action}


def _search(args) -> int:
    graph = get_graph()
    rows = audit.search(graph, _auditor(graph, args), **_filters(args), limit=args.limit, offset=args.offset)
    emit(rows)
    return 0


def _export(args) -> int:
    graph = get_graph()
    actor = _auditor(graph, args)
    if args.output == "-":
        n = audit.export_csv(graph, actor, sys.stdout, **_filters(args))
    else:
        with open(args.output, "w", newline="", encoding="utf-8") as out:
            n = audit.export_csv(graph, actor, out, **_filters(args))
    print(f"exported {n} entries", file=sys.stderr)
    return 0


def _criteria(p) -> None:
    p.add_argument("--as", dest="as_user", required=True, help="your (auditor's) username")
    p.add_argument("--purpose", help="why you are searching (kept in the audit entry)")
    p.add_argument("--user", help="entries by this username or user uid")
    p.add_argument("--record", help="entries that touched this record uid")
    p.add_argument("--since", help="from this ISO date or time (UTC if no offset)")
    p.add_argument("--until", help="before this ISO date or time")
    p.add_argument("--action", choices=sorted(audit.ACTIONS))


def register(sub) -> None:
    p = sub.add_parser("audit", help="verify the audit chain; search or export it (auditors)")
    asub = p.add_subparsers(dest="audit_command", required=True)
    v = asub.add_parser("verify", help="recompute the hash chain; exit 1 and say where if it is broken")
    v.set_defaults(func=_verify)
    s = asub.add_parser("search", help="search the audit log (auditors only; itself audited)")
    _criteria(s)
    s.add_argument("--limit", type=at_least(1), default=100)
    s.add_argument("--offset", type=at_least(0), default=0)
    s.set_defaults(func=_search)
    e = asub.add_parser("export", help="export matching entries as CSV (auditors only; audited)")
    _criteria(e)
    e.add_argument("--output", "-o", default="-", help="file to write, or - for standard output")
    e.set_defaults(func=_export)
