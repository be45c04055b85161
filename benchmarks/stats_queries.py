"""Statistics benchmark: the dashboard's figures and drill-down over a large graph (issue 17: under 1 s at 1M
persons and 100k cases).

Starts a benchmark Neo4j (its own port), loads the sandbox grown with `seed --scale N` (N persons, N/10
cases with their reports; kept between runs unless the instance holds fewer persons), then times, as the
auditor (every office), a field-office supervisor (one subtree) and an agent of a port:

  figures       `statistics.statistics` for the current fiscal year (totals, breakdowns, 5-year trend)
  violation     the same with a violation filter
  drill-down    `statistics.cases` for the cases opened in the year (readable ones listed, others counted)

Each is run --repeats times after one unreported warm-up run; p50/p95 in ms. Every run is audited, as
in the product.

    .venv/bin/python benchmarks/stats_queries.py --persons 1000000     # port 17693, stops Neo4j at the end
"""

from __future__ import annotations

import argparse
import os
import statistics as stats
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("CCMS_NEO4J_BOLT_PORT", "17693")

from bench_common import cli, timed  # noqa: E402

from ccms_graph.db import Graph  # noqa: E402
from ccms_graph.logic.oversight import statistics  # noqa: E402
from ccms_graph.policy.actor import load_actor  # noqa: E402
from ccms_graph.settings import load_settings  # noqa: E402

USERS = ("auditor", "sup_miami", "agent_port")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--persons", type=int, default=1_000_000, help="persons to grow the sandbox by (cases: a tenth)")
    ap.add_argument("--repeats", type=int, default=10)
    ap.add_argument("--keep", action="store_true", help="leave the benchmark Neo4j running")
    args = ap.parse_args()
    settings = load_settings()
    print(f"Neo4j on bolt port {settings.neo4j_bolt_port}", file=sys.stderr)
    cli("neo4j", "start")
    cli("init-db")
    graph = Graph(settings)
    try:
        held = graph.query("MATCH (p:Person) RETURN count(p) AS n")[0]["n"]
        if held < args.persons:
            print(f"the instance holds {held} persons: seed --yes-wipe --scale {args.persons}", file=sys.stderr)
            cli("seed", "--yes-wipe", "--scale", str(args.persons))
        sizes = graph.query("MATCH (p:Person) WITH count(p) AS persons MATCH (c:Case) "
                            "RETURN persons, count(c) AS cases")[0]
        violation = graph.query("MATCH (c:Case) UNWIND c.violations AS v RETURN v LIMIT 1")[0]["v"]
        rows = []
        for username in USERS:
            actor = graph.read(load_actor, username)
            for name, call in (
                ("figures", lambda a=actor: statistics.statistics(graph, a)),
                ("violation", lambda a=actor: statistics.statistics(graph, a, violation=violation)),
                ("drill-down", lambda a=actor: statistics.cases(graph, a, "cases_opened")),
            ):
                ms = timed(call, args.repeats)
                rows.append((username, name, stats.median(ms), sorted(ms)[max(0, int(len(ms) * 0.95) - 1)]))
    finally:
        graph.close()
        if not args.keep:
            cli("neo4j", "stop")
    print(f"statistics over {sizes['persons']:,} persons and {sizes['cases']:,} cases "
          f"(ms; {args.repeats} runs after a warm-up)")
    print(f"  {'user':<12} {'query':<11} {'p50':>8} {'p95':>8}")
    for username, name, p50, p95 in rows:
        print(f"  {username:<12} {name:<11} {p50:>8.0f} {p95:>8.0f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
