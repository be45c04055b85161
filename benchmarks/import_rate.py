"""Import throughput with deconfliction on, through the path `ccms-graph import` runs, at a stored population.

For each size it loads the synthetic population of `generate_persons.py` into an EMPTY benchmark
database (UNWIND batches through `records.build_row` / `insert_rows`, so blocking keys are stored as
in production), recounts the name frequencies, then imports the generator's query records (copies of
stored people with clerical slips, and new people) with `imports.import_jsonl`, the function the
`import` command calls: each batch is validated, created, deconflicted against everything stored
(hits, owners notified, audited) and settled (matching lines become sub-records) in one transaction.
Beside it, the baseline: the same records created with deconfliction off (`insert_rows` alone), so
the table shows what deconfliction costs. The imported records are removed after each run so every
run sees the same store. The client's CPU time (this process, both of the import's threads) and the
one-minute load average are printed beside the rates: on a shared machine the wall-clock rate moves
with the other work on it, the CPU time much less.

    CCMS_NEO4J_BOLT_PORT=17694 .venv/bin/python benchmarks/import_rate.py --sizes 100000 --queries 2000
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import generate_persons as gen  # noqa: E402

from ccms_graph.db import Graph, clear_database, install_schema  # noqa: E402
from ccms_graph.logic.entities import imports, lines, records  # noqa: E402
from ccms_graph.matching import deconflict, frequencies  # noqa: E402
from ccms_graph.policy.actor import Actor  # noqa: E402
from ccms_graph.settings import load_settings  # noqa: E402

ACTOR = Actor(uid="bench-importer", username="bench", name="Benchmark Importer", role="agent", office_code="BENCH",
              offices=("BENCH",), training_expires="2099-12-31")
_DROP = """
MATCH (n:SubjectRecord) WHERE n.source = $source
CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 2000 ROWS
"""


def _line(rec: dict) -> str:
    return json.dumps({k: v for k, v in rec.items() if not k.startswith("_")})


def load(graph: Graph, people: list[dict], start: int) -> None:
    for i in range(start, len(people), 5000):
        rows = [records.build_row("Person", {k: v for k, v in p.items() if not k.startswith("_")}, ACTOR,
                                  source="seed-bench") for p in people[i:i + 5000]]
        graph.write(lambda tx, r=rows: records.insert_rows(tx, "Person", r, ACTOR.uid))
        print(f"\r  loaded {min(i + 5000, len(people)):,}/{len(people):,}", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)


def drop(graph: Graph, source: str) -> None:
    with graph.driver.session(database=graph.settings.neo4j_database) as s:
        s.run(_DROP, source=source).consume()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="100000,1000000")
    ap.add_argument("--queries", type=int, default=2000)
    ap.add_argument("--batch", type=int, default=imports.BATCH)
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--yes-wipe", action="store_true")
    args = ap.parse_args()
    graph = Graph(load_settings())
    if graph.query("MATCH (n) RETURN count(n) > 0 AS any")[0]["any"] and not args.yes_wipe:
        sys.exit("the benchmark database holds data; pass --yes-wipe to clear it")
    clear_database(graph)
    install_schema(graph)
    sizes = [int(s) for s in args.sizes.split(",")]
    stream = gen.persons(max(sizes))
    rows = [("persons", "records", "import with deconfliction rec/s", "without rec/s", "cost", "hits",
             "sub-records", "client CPU s", "load average")]
    loaded = 0
    for size in sizes:
        load(graph, [next(stream) for _ in range(size - loaded)], 0)
        loaded = size
        frequencies.recount(graph)
        # A store whose estimates are current, as imports and `reindex-matching` keep them: the person
        # prior's (`prevalence`) is taken here, not by the import measured (2-3 s at 100,000 people).
        deconflict.refresh_prior(graph, "Person", deconflict.Config.of(graph.settings), force=True)
        queries = [_line(q) for q in gen.queries(args.queries, size, seed=args.seed)[0]]
        t0, c0 = time.perf_counter(), time.process_time()
        out = imports.import_jsonl(graph, ACTOR, "Person", queries, batch=args.batch)
        with_rate, cpu = out["created"] / (time.perf_counter() - t0), time.process_time() - c0
        load_average = os.getloadavg()[0]
        drop(graph, "import")
        t0 = time.perf_counter()
        for i in range(0, len(queries), args.batch):
            rows_in = [r for r, _, _ in (lines.parse_line("Person", q, ACTOR) for q in queries[i:i + args.batch]) if r]
            graph.write(lambda tx, r=rows_in: records.insert_rows(tx, "Person", r, ACTOR.uid))
        without_rate = len(queries) / (time.perf_counter() - t0)
        drop(graph, "import")
        graph.write(lambda tx: tx.run("MATCH (h:DeconflictionHit) DETACH DELETE h").consume())
        rows.append((f"{size:,}", f"{out['created']:,}", f"{with_rate:,.0f}", f"{without_rate:,.0f}",
                     f"{without_rate / with_rate:.1f}x", f"{out['hits']:,}", f"{out['sub_records']:,}",
                     f"{cpu:.1f}", f"{load_average:.1f}"))
    print("| " + " | ".join(rows[0]) + " |")
    print("|" + "---|" * len(rows[0]))
    for r in rows[1:]:
        print("| " + " | ".join(r) + " |")


if __name__ == "__main__":
    main()
