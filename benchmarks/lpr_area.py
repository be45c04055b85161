"""LPR area benchmark: a case's area and a time window over N sightings (issue 19: p95 under 200 ms at 1M).

Loads N sightings (default 1,000,000) into its own Neo4j (bolt port 17722 unless CCMS_NEO4J_BOLT_PORT says
otherwise; never the test or sandbox one) through the LPR import's own statement (`lpr.insert`, UNWIND
batches), spread over `--cases` cases, each with an area of its own somewhere in the continental US and a
year of reads. Then, for `--queries` random cases, it asks `lpr.sightings_within` (the product's read: the
POINT index seek, the policy predicate of an agent of the cases' office, the audit entry) for a box around
the case's area (+-0.1 degrees, about 11 km) and a 30-day window, and prints p50/p95 in milliseconds and the
rows answered.

    .venv/bin/python benchmarks/lpr_area.py --sightings 1000000 --yes-wipe
    .venv/bin/python benchmarks/lpr_area.py --sightings 100000 --queries 200 --yes-wipe --keep

Sightings already loaded are reused when the database holds exactly N of them (a second run only queries).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("CCMS_NEO4J_BOLT_PORT", "17722")

from bench_common import cli  # noqa: E402

from ccms_graph.db import Graph, clear_database  # noqa: E402
from ccms_graph.logic.location import lpr  # noqa: E402
from ccms_graph.policy.actor import SYSTEM, Actor  # noqa: E402
from ccms_graph.settings import load_settings  # noqa: E402

OFFICE = "BENCH"
#: The reader: an agent of the cases' office, so the policy predicate runs and lets the case's reads through.
READER = Actor(uid="bench-reader", username="bench", name="Benchmark Reader", role="agent", office_code=OFFICE,
               offices=(OFFICE,), training_expires="2099-12-31")
NOW = datetime(2026, 11, 1, tzinfo=UTC)


def progress(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def centres(n: int, rng: random.Random) -> list[tuple[float, float]]:
    return [(round(rng.uniform(26.0, 48.0), 4), round(rng.uniform(-122.0, -72.0), 4)) for _ in range(n)]


def load(graph: Graph, n: int, areas: list[tuple[float, float]], batch: int, rng: random.Random) -> float:
    """N sightings, case by case in turn, through `lpr.insert`; returns seconds."""
    graph.write(lambda tx: tx.run("UNWIND range(0, $n - 1) AS i CREATE (:Case:Linkable {uid: 'bench-case-' + i, "
                                  "case_number: 'BENCH-' + i, office_code: $office, status: 'open', "
                                  "owner_uid: 'bench-owner', restricted: false, deleted: false})",
                                  n=len(areas), office=OFFICE).consume())
    t0 = time.perf_counter()
    rows: list[dict] = []
    for i in range(n):
        case = i % len(areas)
        lat, lon = areas[case]
        fp = f"bench-{i}"
        plate = f"B{case:04d}{i % 97:02d}"
        rows.append({"fp": fp, "read": fp, "plate": plate, "state": "TX", "key": f"TX:{plate}",
                     "seen_at": (NOW - timedelta(seconds=rng.randint(0, 365 * 86400))).isoformat(),
                     "lat": round(lat + rng.uniform(-0.3, 0.3), 5), "lon": round(lon + rng.uniform(-0.3, 0.3), 5),
                     "camera": f"cam-{rng.randint(1, 500)}", "source": "benchmark", "case_uid": f"bench-case-{case}",
                     "bound_by": "vehicle", "row": i + 2, "vehicles": []})
        if len(rows) >= batch:
            graph.write(lambda tx, b=rows: lpr.insert(tx, b, "bench", SYSTEM.uid))
            rows = []
            progress(f"  loaded {i + 1:,} ({(i + 1) / (time.perf_counter() - t0):,.0f}/s)")
    if rows:
        graph.write(lambda tx, b=rows: lpr.insert(tx, b, "bench", SYSTEM.uid))
    return time.perf_counter() - t0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sightings", type=int, default=1_000_000)
    ap.add_argument("--cases", type=int, default=500, help="cases the sightings are spread over, each its own area")
    ap.add_argument("--queries", type=int, default=200)
    ap.add_argument("--batch", type=int, default=10_000)
    ap.add_argument("--yes-wipe", action="store_true", help="wipe the benchmark database when it holds other data")
    ap.add_argument("--keep", action="store_true", help="leave the benchmark Neo4j running")
    args = ap.parse_args()
    settings = load_settings()
    progress(f"Neo4j on bolt port {settings.neo4j_bolt_port}")
    cli("neo4j", "start")
    cli("init-db")
    graph = Graph(settings)
    rng = random.Random(7)
    areas = centres(args.cases, rng)
    try:
        held = graph.query("MATCH (s:Sighting) RETURN count(s) AS n")[0]["n"]
        cases = graph.query("MATCH (c:Case) RETURN count(c) AS n")[0]["n"]
        seconds = None
        if held != args.sightings or cases != args.cases:
            if graph.query("MATCH (n) RETURN count(n) > 0 AS any")[0]["any"] and not args.yes_wipe:
                progress("the benchmark database holds data: pass --yes-wipe")
                return 2
            clear_database(graph)
            cli("init-db")
            seconds = load(graph, args.sightings, areas, args.batch, rng)
        ms, answered = [], []
        for q in range(args.queries + 5):
            lat, lon = areas[rng.randrange(len(areas))]
            start = NOW - timedelta(days=rng.randint(30, 365))
            box = {"south": lat - 0.1, "west": lon - 0.1, "north": lat + 0.1, "east": lon + 0.1}
            t0 = time.perf_counter()
            found = lpr.sightings_within(graph, READER, box, start, start + timedelta(days=30))
            if q >= 5:  # the first few warm the plan cache and the page cache
                ms.append((time.perf_counter() - t0) * 1000)
                answered.append(len(found))
    finally:
        graph.close()
        if not args.keep:
            cli("neo4j", "stop")
    ms.sort()
    load_note = f"loaded in {seconds:,.0f} s ({args.sightings / seconds:,.0f}/s); " if seconds else ""
    print(f"LPR area query over {args.sightings:,} sightings in {args.cases} case areas: {load_note}"
          f"{args.queries} queries (box +-0.1 deg, 30 days, an agent's policy, audited)")
    print(f"  p50 {statistics.median(ms):.1f} ms  p95 {ms[max(0, int(len(ms) * 0.95) - 1)]:.1f} ms  "
          f"max {ms[-1]:.1f} ms  rows per answer: median {statistics.median(answered):.0f}, max {max(answered)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
