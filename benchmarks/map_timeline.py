"""Map and time bar benchmark (issue 19: over 1M sightings, p95 under 200 ms for a case's area).

Starts a benchmark Neo4j (its own port, 17752), loads the sandbox seed, then adds N LPR sightings (default
1,000,000) through the LPR import's own statement (`lpr.INSERT`, UNWIND batches of `--batch`), spread around
the three field offices (Miami, New York, Houston: normal spread of 0.3 degrees) over the last two years,
each kept for one of that office's cases (case-bound, as the import keeps them). Sightings are kept between
runs; an instance holding fewer than N gets the rest added.

Then times, as an agent of Miami (the policy composed into every point):

  map area       `map.features` for a case's area (a 0.1 x 0.1 degree box in Miami): features or clusters
  map area+time  the same over the last 90 days
  timeline area  `timeline.timeline` for the same area (per week)
  map case       `map.features` for a Miami case (its vehicles' and hot list's sightings, reports, sites)

Each is run --repeats times after one unreported warm-up run; p50/p95 in ms. Every run is audited, as in
the product.

    .venv/bin/python benchmarks/map_timeline.py --sightings 1000000    # stops Neo4j at the end unless --keep
"""

from __future__ import annotations

import argparse
import os
import random
import statistics as stats
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("CCMS_NEO4J_BOLT_PORT", "17752")

from bench_common import cli, timed  # noqa: E402

from ccms_graph.db import Graph  # noqa: E402
from ccms_graph.logic.location import lpr, plates, timeline  # noqa: E402
from ccms_graph.logic.location import map as geo  # noqa: E402
from ccms_graph.policy.actor import load_actor  # noqa: E402
from ccms_graph.settings import load_settings  # noqa: E402

CENTRES = {"MIA": (25.77, -80.19), "NYC": (40.71, -74.01), "HOU": (29.76, -95.37)}
SPREAD = 0.3
AREA = 0.1
USER = "agent_garcia"


def load_sightings(graph: Graph, start: int, count: int, batch: int) -> None:
    """Sightings `start` to `count` through the import's statement, each kept for a case of the office it
    lies around."""
    cases = {code: [r["uid"] for r in graph.query(
        "MATCH (c:Case) WHERE c.office_code STARTS WITH $o RETURN c.uid AS uid", {"o": code})] for code in CENTRES}
    offices = [code for code in CENTRES if cases[code]]
    rng = random.Random(19 + start)
    now = datetime.now(UTC)
    t0, done = time.perf_counter(), start
    while done < count:
        rows = []
        for i in range(done, min(count, done + batch)):
            office = offices[i % len(offices)]
            lat, lon = CENTRES[office]
            plate = f"B{rng.randrange(10**6):06d}"
            seen = now - timedelta(seconds=rng.randrange(730 * 86400))
            rows.append({"fp": f"bench-{i}", "read": f"bench-{i}", "plate": plate, "state": "FL",
                         "key": plates.key(plate, "FL"), "seen_at": seen.isoformat(),
                         "lat": round(max(-89.0, min(89.0, rng.gauss(lat, SPREAD))), 6),
                         "lon": round(rng.gauss(lon, SPREAD), 6), "camera": f"cam-{rng.randrange(500)}",
                         "source": "benchmark", "case_uid": rng.choice(cases[office]), "bound_by": "hot_list",
                         "row": i + 2, "vehicles": []})
        graph.write(lambda tx, rows=rows: lpr.insert(tx, rows, "benchmark", "benchmark"))
        done += len(rows)
        if done % (batch * 20) == 0 or done == count:
            rate = (done - start) / (time.perf_counter() - t0)
            print(f"  {done:,} sightings loaded ({rate:,.0f}/s)", file=sys.stderr)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sightings", type=int, default=1_000_000)
    ap.add_argument("--batch", type=int, default=10_000)
    ap.add_argument("--repeats", type=int, default=20)
    ap.add_argument("--keep", action="store_true", help="leave the benchmark Neo4j running")
    args = ap.parse_args()
    settings = load_settings()
    print(f"Neo4j on bolt port {settings.neo4j_bolt_port}", file=sys.stderr)
    cli("neo4j", "start")
    cli("init-db")
    graph = Graph(settings)
    try:
        held = graph.query("MATCH (s:Sighting) RETURN count(s) AS n")[0]["n"]
        if held < args.sightings:
            print(f"the instance holds {held:,} sightings: adding {args.sightings - held:,}", file=sys.stderr)
            if not held:
                cli("seed", "--yes-wipe")
            load_sightings(graph, held, args.sightings, args.batch)
        total = graph.query("MATCH (s:Sighting) RETURN count(s) AS n")[0]["n"]
        agent = graph.read(load_actor, USER)
        lat, lon = CENTRES["MIA"]
        box = (lon - AREA / 2, lat - AREA / 2, lon + AREA / 2, lat + AREA / 2)
        recent = (datetime.now(UTC) - timedelta(days=90)).date().isoformat()
        case = graph.query("MATCH (c:Case {office_code: 'MIA'}) RETURN c.uid AS uid ORDER BY c.case_number LIMIT 1")[0]["uid"]
        sample = geo.features(graph, agent, bbox=box)
        rows = []
        for name, call in (
            ("map area", lambda: geo.features(graph, agent, bbox=box)),
            ("map area+time", lambda: geo.features(graph, agent, bbox=box, since=recent)),
            ("timeline area", lambda: timeline.timeline(graph, agent, bbox=box, bucket="week")),
            ("map case", lambda: geo.features(graph, agent, case_uid=case)),
        ):
            ms = timed(call, args.repeats)
            rows.append((name, stats.median(ms), sorted(ms)[max(0, int(len(ms) * 0.95) - 1)]))
    finally:
        graph.close()
        if not args.keep:
            cli("neo4j", "stop")
    print(f"map and time bar over {total:,} sightings; the area: {AREA} x {AREA} degrees in Miami, "
          f"{sample['total']:,} readable points ({'clusters' if sample['clustered'] else 'features'}); "
          f"as {USER} (ms; {args.repeats} runs after a warm-up)")
    print(f"  {'query':<14} {'p50':>8} {'p95':>8}")
    for name, p50, p95 in rows:
        print(f"  {name:<14} {p50:>8.0f} {p95:>8.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
