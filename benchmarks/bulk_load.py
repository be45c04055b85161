"""Bulk-load benchmark: persons with identifiers, phones and addresses through the real batch create path.

Prints nodes and relationships per second for UNWIND batches, beside a baseline of the same
records created one transaction per record (the interactive path), and the ratio between them.

    CCMS_NEO4J_BOLT_PORT=17695 .venv/bin/python benchmarks/bulk_load.py --persons 100000
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ccms_graph import neo4j_server  # noqa: E402
from ccms_graph.db import Graph, clear_database, install_schema  # noqa: E402
from ccms_graph.logic.entities import bulk, records  # noqa: E402
from ccms_graph.policy.actor import Actor  # noqa: E402
from ccms_graph.settings import load_settings  # noqa: E402

GIVEN = ["James", "Maria", "John", "Ana", "Wei", "Fatima", "Carlos", "Olga", "David", "Aisha", "Luis", "Mei"]
FAMILY = ["Smith", "Garcia", "Nguyen", "Khan", "Ivanov", "Okafor", "Rossi", "Silva", "Chen", "Lopez", "Kim"]
STREETS = ["Main St", "Ocean Dr", "Harbor Rd", "Broadway", "Canal St", "Port Rd"]

ACTOR = Actor(uid="bench-user", username="bench", name="Benchmark", role="agent", office_code="BENCH")


def person(rng: random.Random, i: int) -> dict:
    return {
        "given_name": rng.choice(GIVEN), "family_name": f"{rng.choice(FAMILY)}{i % 997}",
        "dob": f"{rng.randint(1950, 2005)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
        "ssn": f"{rng.randint(1, 665):03d}-{rng.randint(1, 99):02d}-{i % 9999 + 1:04d}",
        "a_number": f"A{100_000_000 + i:09d}",
        "phones": [f"+1305{rng.randint(200, 999)}{i % 10000:04d}"],
        "addresses": [{"line1": f"{i} {rng.choice(STREETS)}", "city": "Miami", "state": "FL",
                       "postcode": f"331{i % 100:02d}"}],
        "ref": f"BENCH-{i}",
    }


def counts(graph: Graph) -> tuple[int, int]:
    n = graph.query("MATCH (n) RETURN count(n) AS n")[0]["n"]
    r = graph.query("MATCH ()-[r]->() RETURN count(r) AS n")[0]["n"]
    return n, r


def load_batched(graph: Graph, people: list[dict], batch: int) -> float:
    t0 = time.perf_counter()
    out = bulk.bulk_insert(graph, ACTOR, "Person", enumerate(people, 1), batch_size=batch,
                           progress=lambda n: print(f"\r  batched: {n:,}/{len(people):,}", end="",
                                                    file=sys.stderr, flush=True))
    print(file=sys.stderr)
    assert out["created"] == len(people), out["refused"][:3]
    return time.perf_counter() - t0


def load_one_by_one(graph: Graph, people: list[dict]) -> float:
    t0 = time.perf_counter()
    for p in people:
        row = records.build_row("Person", p, ACTOR)
        graph.write(lambda tx, row=row: records.insert_rows(tx, "Person", [row], ACTOR.uid))
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--persons", type=int, default=100_000)
    ap.add_argument("--batch", type=int, default=5_000)
    ap.add_argument("--baseline", type=int, default=2_000, help="records for the one-per-transaction baseline")
    args = ap.parse_args()

    settings = load_settings()
    if settings.uses_local_server:
        settings = replace(settings, neo4j_heap="3g", neo4j_pagecache="3g") \
            if settings.neo4j_bolt_port == 17687 else settings
        neo4j_server.start(settings)
    graph = Graph(settings)
    clear_database(graph)
    install_schema(graph)
    rng = random.Random(7)
    people = [person(rng, i) for i in range(args.persons + args.baseline)]

    base_s = load_one_by_one(graph, people[args.persons:])
    base_n, base_r = counts(graph)
    clear_database(graph)

    bulk_s = load_batched(graph, people[:args.persons], args.batch)
    bulk_n, bulk_r = counts(graph)

    print(f"{'path':<28}{'persons':>10}{'nodes':>11}{'rels':>11}{'seconds':>9}{'nodes/s':>10}{'rels/s':>10}")
    for name, persons, n, r, s in [("one transaction per record", args.baseline, base_n, base_r, base_s),
                                   (f"UNWIND batches of {args.batch:,}", args.persons, bulk_n, bulk_r, bulk_s)]:
        print(f"{name:<28}{persons:>10,}{n:>11,}{r:>11,}{s:>9.1f}{n / s:>10,.0f}{r / s:>10,.0f}")
    print(f"speed-up of batched over per-record: {(bulk_n / bulk_s) / (base_n / base_s):.1f}x (nodes/s)")
    clear_database(graph)
    graph.close()


if __name__ == "__main__":
    main()
