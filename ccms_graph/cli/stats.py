"""`ccms-graph stats`: the statistics a user may see, per office, fiscal year, month and violation, as JSON or CSV."""

from __future__ import annotations

import sys

from ..db import get_graph
from ..logic.oversight import statistics
from ..policy.actor import load_actor
from .output import emit


def _stats(args) -> int:
    graph = get_graph()
    actor = graph.read(load_actor, args.as_user).with_request("cli")
    result = statistics.statistics(graph, actor, args.fy, args.office, args.violation)
    if args.csv:
        sys.stdout.write(statistics.to_csv(result))
    else:
        emit(result)
    return 0


def register(sub) -> None:
    p = sub.add_parser("stats", help="counts and sums per office, fiscal year, month and violation (audited)")
    p.add_argument("--fy", type=int, help="US federal fiscal year, e.g. 2026 (1 Oct 2025 - 30 Sep 2026); "
                                          "default: the current one")
    p.add_argument("--office", help="an office code; its ports and units are included")
    p.add_argument("--violation", help="only cases that record this violation")
    p.add_argument("--as", dest="as_user", required=True, help="the username whose subtree the figures cover")
    p.add_argument("--csv", action="store_true", help="print CSV instead of JSON")
    p.set_defaults(func=_stats)
