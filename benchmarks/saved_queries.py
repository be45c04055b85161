"""Saved-query benchmark: how long the catalogue takes to plan, and each query's warm run, on a large graph.

Starts a benchmark Neo4j (its own port), loads the sandbox grown with `seed --scale N` (N persons, N/10
cases; kept between runs unless the instance holds fewer persons), then, for the code in this checkout:

  plan    each catalogue query compiled anew (`CYPHER replan=force EXPLAIN`, the policy composed in by
          the guard), seconds: what the first user waits after a server start or a replan
  run     each query run through `queries.runner.execute` (the product's path: guard, read-only
          transaction, row limit, audit) as an agent, an analyst and a supervisor, --repeats times after
          one warm-up run; p50 in ms

With `--baseline REV` the same is measured for that commit first (a temporary git worktree, the same
store), and each figure is printed beside it with the ratio baseline / this checkout.

    .venv/bin/python benchmarks/saved_queries.py --persons 200000 --baseline HEAD~1
"""

from __future__ import annotations

import argparse
import json
import os
import statistics as stats
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(os.environ.get("CCMS_BENCH_ROOT") or Path(__file__).resolve().parent.parent)
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("CCMS_NEO4J_BOLT_PORT", "17697")

from bench_common import cli, timed  # noqa: E402

from ccms_graph.db import Graph  # noqa: E402
from ccms_graph.policy.actor import SYSTEM, load_actor  # noqa: E402
from ccms_graph.policy.rules import actor_params  # noqa: E402
from ccms_graph.queries import loader, runner  # noqa: E402
from ccms_graph.settings import load_settings  # noqa: E402

USERS = ("agent_patel", "analyst_miami", "sup_nyc")


def _params(graph: Graph, office: str | None) -> dict:
    """Values for the catalogue's required parameters, taken from the store: a case and two persons of
    the user's office, and the two numbers of a call."""
    office = office or "NYC"
    case = graph.query("MATCH (c:Case {office_code: $o}) RETURN c.uid AS u ORDER BY c.uid LIMIT 1", {"o": office})
    persons = graph.query("MATCH (p:Person {office_code: $o})-[:USES_PHONE]->(:Phone) RETURN p.uid AS u "
                          "ORDER BY p.uid LIMIT 2", {"o": office})
    call = graph.query("MATCH (a:Phone)-[:CALLED]->(b:Phone) RETURN a.e164 AS a, b.e164 AS b LIMIT 1")
    return {"case_uid": case[0]["u"] if case else "none", "from_uid": persons[0]["u"] if persons else "none",
            "to_uid": persons[-1]["u"] if persons else "none",
            "phone_a": call[0]["a"] if call else "+12025550100", "phone_b": call[0]["b"] if call else "+12025550101"}


def measure(repeats: int) -> dict:
    """Plan seconds per query, then warm p50 ms per user and query, for the code under ROOT."""
    graph = Graph(load_settings())
    out: dict = {"plan": {}, "run": {}}
    try:
        catalogue = loader.catalogue_queries()
        for name, qdef in catalogue.items():
            params = {**actor_params(SYSTEM), **{p.name: p.default for p in qdef.params}}
            with graph.driver.session(database=graph.database) as session:
                t0 = time.perf_counter()
                session.run("CYPHER replan=force EXPLAIN " + qdef.cypher, params).consume()
                out["plan"][name] = time.perf_counter() - t0
        for username in USERS:
            actor = graph.read(load_actor, username)
            values = _params(graph, actor.office_code)
            for name, qdef in catalogue.items():
                if actor.role not in qdef.roles:
                    continue
                params = {p.name: values[p.name] for p in qdef.params if p.name in values}
                ms = timed(lambda q=qdef, p=params, a=actor: runner.execute(graph, a, q, p, timeout=120), repeats)
                out["run"][f"{username} {name}"] = stats.median(ms)
    finally:
        graph.close()
    return out


def _baseline(rev: str, repeats: int) -> dict:
    """Measure commit `rev` on the same store: its code in a temporary worktree, this script driving it."""
    repo = Path(__file__).resolve().parent.parent
    with tempfile.TemporaryDirectory(prefix="ccms-baseline-") as tmp:
        tree = Path(tmp) / "tree"
        subprocess.run(["git", "-C", str(repo), "worktree", "add", "--detach", str(tree), rev], check=True,
                       capture_output=True)
        try:
            env = {**os.environ, "CCMS_BENCH_ROOT": str(tree)}
            done = subprocess.run([sys.executable, __file__, "--measure-only", "--repeats", str(repeats)],
                                  env=env, check=True, capture_output=True, text=True)
            return json.loads(done.stdout.strip().splitlines()[-1])
        finally:
            subprocess.run(["git", "-C", str(repo), "worktree", "remove", "--force", str(tree)], check=False)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--persons", type=int, default=200_000, help="persons to grow the sandbox by (cases: a tenth)")
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--baseline", metavar="REV", help="also measure this commit, side by side")
    ap.add_argument("--keep", action="store_true", help="leave the benchmark Neo4j running")
    ap.add_argument("--measure-only", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.measure_only:
        print(json.dumps(measure(args.repeats)))
        return 0
    settings = load_settings()
    print(f"Neo4j on bolt port {settings.neo4j_bolt_port}", file=sys.stderr)
    cli("neo4j", "start")
    cli("init-db")
    try:
        graph = Graph(settings)
        held = graph.query("MATCH (p:Person) RETURN count(p) AS n")[0]["n"]
        if held < args.persons:
            print(f"the instance holds {held} persons: seed --yes-wipe --scale {args.persons}", file=sys.stderr)
            graph.close()
            cli("seed", "--yes-wipe", "--scale", str(args.persons))
            graph = Graph(settings)
        sizes = graph.query("MATCH (p:Person) WITH count(p) AS persons MATCH (c:Case) "
                            "RETURN persons, count(c) AS cases")[0]
        graph.close()
        base = _baseline(args.baseline, args.repeats) if args.baseline else None
        now = measure(args.repeats)
    finally:
        if not args.keep:
            cli("neo4j", "stop")
    print(f"saved queries over {sizes['persons']:,} persons and {sizes['cases']:,} cases"
          + (f"; baseline {args.baseline}" if base else ""))
    for part, unit in (("plan", "s"), ("run", "ms")):
        total_now = sum(now[part].values())
        print(f"\n  {part} ({unit}{'' if part == 'plan' else ', warm p50'})")
        for key, value in now[part].items():
            was = base[part].get(key) if base else None
            beside = f"{was:>10.2f} {was / value:>7.2f}x" if was is not None and value else ""
            print(f"  {key:<52} {value:>10.2f} {beside}")
        if base:
            total_was = sum(base[part].get(k, 0.0) for k in now[part])
            print(f"  {'total':<52} {total_now:>10.2f} {total_was:>10.2f} {total_was / total_now:>7.2f}x")
        else:
            print(f"  {'total':<52} {total_now:>10.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
