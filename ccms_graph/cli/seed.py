"""`ccms-graph seed`: load the reproducible sandbox (wipes the database first)."""

from __future__ import annotations

import time

from seed.sandbox import load

from ..db import get_graph
from ..settings import load_settings
from .output import emit


def _seed(args) -> int:
    settings = load_settings()
    graph = get_graph(settings)
    n = graph.query("MATCH (n) RETURN count(n) AS n")[0]["n"]
    if n and args.if_empty:
        print(f"the database already holds {n} nodes; keeping them (use --yes-wipe to reload the sandbox)")
        return 0
    if n and not args.yes_wipe:
        print(f"the database holds {n} nodes; pass --yes-wipe to replace them with the sandbox")
        return 1
    t0 = time.perf_counter()
    counts = load(graph, settings.sandbox_password)
    counts["seconds"] = round(time.perf_counter() - t0, 2)
    emit(counts)
    return 0


def register(sub) -> None:
    p = sub.add_parser("seed", help="load the synthetic sandbox (replaces the database's content)")
    p.add_argument("--yes-wipe", action="store_true", help="replace existing data")
    p.add_argument("--if-empty", action="store_true", help="load only into an empty database")
    p.set_defaults(func=_seed)

