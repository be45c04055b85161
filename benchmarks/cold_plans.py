"""The first read after Neo4j's plan cache empties (a restart), with and without the worker's plan warm-up.

The sandbox seed is loaded into the benchmark database, then for each round the plan cache is emptied
(`db.clearQueryCaches()`, what a restart does to it) and the product's reads run as a sandbox agent and
a supervisor, through the functions the pages call, and every query of the shared catalogue as an
analyst, through `queries.runner.execute` (what the saved-query page and the API run): once straight after the emptying ("cold"), once
after `logic.jobs.plans.warm` has run ("warmed"), and once more ("planned", the usual case). Each figure
is the median over the rounds, in seconds; the ratio is cold over warmed. How long the warm-up itself
takes (the worker pays it, every CCMS_WARM_PLANS_EVERY_SECONDS) is printed below the table.

    CCMS_NEO4J_BOLT_PORT=17694 .venv/bin/python benchmarks/cold_plans.py --yes-wipe
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ccms_graph.db import Graph  # noqa: E402
from ccms_graph.logic.casework import approvals  # noqa: E402
from ccms_graph.logic.entities import access  # noqa: E402
from ccms_graph.logic.identity import telecom  # noqa: E402
from ccms_graph.logic.jobs import plans  # noqa: E402
from ccms_graph.logic.location import map as area_map  # noqa: E402
from ccms_graph.logic.location import timeline  # noqa: E402
from ccms_graph.policy.actor import load_actor  # noqa: E402
from ccms_graph.policy.rules import readable_uids  # noqa: E402
from ccms_graph.queries import loader, runner  # noqa: E402
from ccms_graph.settings import load_settings  # noqa: E402
from seed import sandbox  # noqa: E402

_LINKED = """
MATCH (p:Person)-[:SUBJECT_IN]->(c:Case)<-[:SUBJECT_IN]-(q:Person) WHERE p.uid < q.uid
RETURN p.uid AS p, q.uid AS q, c.uid AS c ORDER BY c, p, q
"""


def _clear(graph: Graph) -> None:
    with graph.driver.session(database=graph.database) as s:
        s.run("CALL db.clearQueryCaches()").consume()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--yes-wipe", action="store_true", help="wipe a benchmark database that holds data")
    args = ap.parse_args()
    graph = Graph(load_settings())
    if graph.query("MATCH (n) RETURN count(n) > 0 AS any")[0]["any"] and not args.yes_wipe:
        sys.exit("the benchmark database holds data; pass --yes-wipe to clear it")
    sandbox.load(graph, "bench-Sandbox-2026!", wipe=True)
    agent = graph.read(lambda tx: load_actor(tx, "agent_garcia"))
    supervisor = graph.read(lambda tx: load_actor(tx, "sup_miami"))
    pairs = graph.query(_LINKED)
    readable = graph.read(lambda tx: readable_uids(tx, agent, [u for r in pairs for u in (r["p"], r["q"], r["c"])]))
    p, q, c = next((r["p"], r["q"], r["c"]) for r in pairs if {r["p"], r["q"], r["c"]} <= readable)
    calls = graph.query("MATCH (a:Phone)-[:CALLED]->(b:Phone) RETURN a.e164 AS a, b.e164 AS b ORDER BY a, b LIMIT 1")[0]
    reads = {
        "record page": lambda: access.view_record(graph, agent, p, with_links=True),
        "case page": lambda: access.view_record(graph, agent, c, with_links=True),
        "search": lambda: access.search(graph, agent, "Garcia"),
        "neighbours": lambda: access.neighbours(graph, agent, p),
        "shortest path": lambda: access.shortest_path(graph, agent, p, q),
        "map": lambda: area_map.features(graph, agent, bbox="-125,24,-66,50"),
        "time bar": lambda: timeline.timeline(graph, agent, bbox="-125,24,-66,50"),
        "calls between two numbers": lambda: telecom.calls_between(graph, agent, calls["a"], calls["b"]),
        "approval queue": lambda: approvals.approval_queue(graph, supervisor),
    }
    analyst = graph.read(lambda tx: load_actor(tx, "analyst_miami"))
    needed = {"case_uid": c, "from_uid": p, "to_uid": q, "phone_a": calls["a"], "phone_b": calls["b"]}
    for name, qdef in loader.catalogue_queries().items():
        who = analyst if analyst.role in qdef.roles else supervisor
        params = {k.name: needed[k.name] for k in qdef.params if k.required}
        reads[f"saved query {name}"] = lambda q=qdef, a=who, ps=params: runner.execute(graph, a, q, ps)
    times: dict[str, dict[str, list[float]]] = {name: {"cold": [], "warmed": [], "planned": []} for name in reads}
    warm_ups = []
    for _ in range(args.rounds):
        for how in ("cold", "warmed"):
            _clear(graph)
            if how == "warmed":
                t0 = time.perf_counter()
                plans.warm(graph)
                warm_ups.append(time.perf_counter() - t0)
            for name, read in reads.items():
                t0 = time.perf_counter()
                read()
                times[name][how].append(time.perf_counter() - t0)
        for name, read in reads.items():
            t0 = time.perf_counter()
            read()
            times[name]["planned"].append(time.perf_counter() - t0)
    print("| read | cold s | after the warm-up s | planned s | cold / warmed |")
    print("|---|---|---|---|---|")
    for name, by in times.items():
        cold, warmed, planned = (statistics.median(by[k]) for k in ("cold", "warmed", "planned"))
        print(f"| {name} | {cold:.2f} | {warmed:.2f} | {planned:.2f} | {cold / warmed:.0f}x |")
    print(f"\nthe warm-up itself: {statistics.median(warm_ups):.1f} s (median of {args.rounds}), paid by the worker")


if __name__ == "__main__":
    main()
