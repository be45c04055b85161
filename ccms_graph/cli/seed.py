"""`ccms-graph seed`: load the reproducible sandbox (wipes the database first)."""

from __future__ import annotations

import argparse
import sys
import time

from seed import scale
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
    if args.scale:
        counts["scale"] = scale.grow(graph, args.scale, progress=lambda msg: print(
            f"{time.perf_counter() - t0:7.1f} s  {msg}", file=sys.stderr, flush=True))
    counts["seconds"] = round(time.perf_counter() - t0, 2)
    emit(counts)
    return 0


def _persons(text: str) -> int:
    try:
        n = int(text.replace("_", "").replace(",", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"a number of persons, e.g. 1000000; got {text!r}") from None
    if n < scale.PERSONS_PER_CASE:
        raise argparse.ArgumentTypeError(f"at least {scale.PERSONS_PER_CASE} persons; got {n}")
    return n


def register(sub) -> None:
    p = sub.add_parser("seed", help="load the synthetic sandbox (replaces the database's content)")
    p.add_argument("--yes-wipe", action="store_true", help="replace existing data")
    p.add_argument("--if-empty", action="store_true", help="load only into an empty database")
    p.add_argument("--scale", type=_persons, metavar="N",
                   help="then grow it to a large graph: N more persons, N/10 cases, their links, documents "
                        "and calls (seed/scale.py; 1,000,000 for the load benchmark)")
    p.set_defaults(func=_seed)

