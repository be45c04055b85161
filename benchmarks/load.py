"""Measured load (issue 16, item 6): the app as `make run` serves it, under a mixed API workload from locust.

    .venv/bin/python benchmarks/load.py [--clients 1,8,32,64] [--seconds 30] [--no-baseline]

What it starts, on ports of its own, and stops again whatever happens:
  - a local Neo4j on Bolt `CCMS_NEO4J_BOLT_PORT` (17795 unless set; heap `CCMS_NEO4J_HEAP`, 2g unless set),
    with `ccms-graph init-db` and `ccms-graph seed --if-empty` (the sandbox seed), or with `--scale N`
    `ccms-graph seed --yes-wipe --scale N` (the sandbox plus N persons, N/10 cases, their links, documents and
    calls: `seed/scale.py`), kept for the next run;
  - `ccms-graph worker` and gunicorn `-c python:ccms_graph.web.gunicorn_conf` on 127.0.0.1:8095 with
    `CCMS_AUDIT_SEQUENCER=background`, as the Makefile's `run` target does (workers: the default, one per
    core), and then, for the baseline, the same with `CCMS_WEB_WORKERS=1` (the old single-worker default;
    the old single-lock audit itself is gone from the code, so that is as close to "today" as main gets);
  - for each client count, `locust -f benchmarks/load_locustfile.py --headless -u N -r N --run-time Ss`,
    its CSV read back into one Markdown table per server set-up: requests/s, p50/p95/p99 ms per
    operation, and the error rate (non-2xx answers and connection failures over all requests).

Every virtual user signs its requests with an API token of one of the sandbox agents and analysts, made
here with `tokens.create_token` and revoked at the end. Records created by the workload stay in that
instance's database (`.neo4j/instance-<port>/`), never `make run`'s; `ccms-graph seed --yes-wipe` with the
same port resets it.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
LOCUSTFILE = Path(__file__).resolve().parent / "load_locustfile.py"
OPERATIONS = ("search", "record", "expand", "saved_query", "create")
#: Sandbox users the virtual users sign in as (round-robin): agents and analysts of two offices.
USERS = ("agent_garcia", "agent_chen", "agent_port", "analyst_miami")


def progress(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def cli(*args: str, env: dict) -> None:
    subprocess.run([str(BIN / "ccms-graph"), *args], check=True, env=env, cwd=ROOT, stdout=subprocess.DEVNULL)


def stored_persons() -> int:
    from ccms_graph.db import Graph
    from ccms_graph.settings import load_settings

    graph = Graph(load_settings())
    try:
        return graph.query("MATCH (p:Person) RETURN count(p) AS n")[0]["n"]
    finally:
        graph.close()


def make_fixture(path: Path, users: list[str]) -> list[tuple[str, str]]:
    """API tokens for `users` and search terms drawn from the seed; returns (username, token uid) to revoke."""
    from ccms_graph.db import Graph
    from ccms_graph.logic.people import tokens
    from ccms_graph.policy.actor import load_actor
    from ccms_graph.settings import load_settings

    graph = Graph(load_settings())
    try:
        made, issued = [], []
        for name in users:
            actor = graph.read(load_actor, name)
            tok = tokens.create_token(graph, actor, {"name": f"bench-load-{int(time.time())}", "expires_in_days": 1})
            made.append({"username": name, "token": tok["token"]})
            issued.append((name, tok["uid"]))
        rows = graph.query("MATCH (p:Person) WHERE p.family_name IS NOT NULL AND size(p.family_name) > 2 "
                           "RETURN DISTINCT p.family_name AS f ORDER BY f LIMIT 40")
        terms = [r["f"] for r in rows] or ["garcia"]
        path.write_text(json.dumps({"users": made, "terms": terms}), encoding="utf-8")
        return issued
    finally:
        graph.close()


def revoke(issued: list[tuple[str, str]]) -> None:
    from ccms_graph.db import Graph
    from ccms_graph.logic.people import tokens
    from ccms_graph.policy.actor import load_actor
    from ccms_graph.settings import load_settings

    graph = Graph(load_settings())
    try:
        for name, uid in issued:
            tokens.revoke_token(graph, graph.read(load_actor, name), uid)
    finally:
        graph.close()


class App:
    """`ccms-graph worker` plus gunicorn as `make run` starts them; `stop()` ends both (their process groups)."""

    def __init__(self, env: dict, bind: str, log: Path):
        self.env, self.bind, self.log = env, bind, log
        self.procs: list[subprocess.Popen] = []

    def start(self) -> None:
        out = open(self.log, "ab")  # noqa: SIM115 - kept open for the children's lifetime
        kw = {"env": self.env, "cwd": ROOT, "stdout": out, "stderr": subprocess.STDOUT, "start_new_session": True}
        self.procs.append(subprocess.Popen([str(BIN / "ccms-graph"), "worker"], **kw))
        self.procs.append(subprocess.Popen([str(BIN / "gunicorn"), "-c", "python:ccms_graph.web.gunicorn_conf",
                                            "--bind", self.bind, "ccms_graph.web.wsgi:app"], **kw))
        # Start-up EXPLAINs the saved-query catalogue against Neo4j: seconds when idle, ~45 s on a loaded host.
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            if any(p.poll() is not None for p in self.procs):
                raise RuntimeError(f"the app or worker exited at start; see {self.log}")
            try:
                if opener.open(f"http://{self.bind}/ready", timeout=2).status == 200:
                    return
            except OSError:
                pass
            time.sleep(1)
        raise RuntimeError(f"the app did not become ready in 300 s; see {self.log}")

    def stop(self) -> None:
        for p in reversed(self.procs):
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGTERM)
        for p in self.procs:
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait()
        self.procs.clear()


def run_locust(host: str, clients: int, seconds: int, fixture: Path, prefix: Path) -> dict:
    """One headless locust run; its per-operation rows and the aggregate, from the stats CSV."""
    env = {**os.environ, "CCMS_LOAD_FIXTURE": str(fixture)}
    cmd = [str(BIN / "locust"), "-f", str(LOCUSTFILE), "--headless", "--host", host, "-u", str(clients),
           "-r", str(clients), "--run-time", f"{seconds}s", "--stop-timeout", "10", "--csv", str(prefix),
           "--only-summary", "--loglevel", "WARNING"]
    proc = subprocess.run(cmd, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if proc.returncode not in (0, 1):  # 1: some requests failed, which the table reports
        raise RuntimeError(f"locust exited {proc.returncode}: {proc.stderr[-2000:]}")
    rows = {}
    with open(f"{prefix}_stats.csv", newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            rows[row["Name"]] = row
    failures = []
    with open(f"{prefix}_failures.csv", newline="", encoding="utf-8") as fh:
        failures = list(csv.DictReader(fh))
    if not int((rows.get("Aggregated") or {}).get("Request Count") or 0):
        # A locustfile that fails in on_start makes no request at all: say so, never print a table of zeros.
        raise RuntimeError(f"locust made no request with {clients} clients: {proc.stderr[-2000:]}")
    return {"clients": clients, "rows": rows, "failures": failures}


def _ms(row: dict | None, col: str) -> str:
    if not row or row.get(col) in (None, "", "N/A") or not int(row.get("Request Count") or 0):
        return "–"
    return f"{float(row[col]):.0f}"


def table(results: list[dict]) -> str:
    head = ["clients", "req/s (all)", "errors"]
    for op in OPERATIONS:
        head.append(f"{op} req/s · p50/p95/p99 ms")
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for res in results:
        agg = res["rows"].get("Aggregated", {})
        total, failed = int(agg.get("Request Count") or 0), int(agg.get("Failure Count") or 0)
        cells = [str(res["clients"]), f"{float(agg.get('Requests/s') or 0):.1f}",
                 f"{failed}/{total} ({100 * failed / total:.2f} %)" if total else "–"]
        for op in OPERATIONS:
            row = res["rows"].get(op)
            rps = f"{float(row['Requests/s']):.1f}" if row else "–"
            cells.append(f"{rps} · {_ms(row, '50%')}/{_ms(row, '95%')}/{_ms(row, '99%')}")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def failure_notes(results: list[dict]) -> str:
    notes = []
    for res in results:
        for f in res["failures"]:
            notes.append(f"- {res['clients']} clients: {f['Method']} {f['Name']}: {f['Occurrences']} × {f['Error']}")
    return "\n".join(notes)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clients", default="1,8,32,64", help="client counts, comma-separated (default 1,8,32,64)")
    ap.add_argument("--seconds", type=int, default=30, help="seconds per client count (default 30)")
    ap.add_argument("--bind", default="127.0.0.1:8095", help="where the app listens (default 127.0.0.1:8095)")
    ap.add_argument("--warmup", type=int, default=30,
                    help="seconds of unreported load at 8 clients after each start (query plans, JIT, page cache; default 30)")
    ap.add_argument("--no-baseline", action="store_true", help="skip the CCMS_WEB_WORKERS=1 baseline run")
    ap.add_argument("--scale", type=int, default=0,
                    help="grow the data to the sandbox plus N persons first (`ccms-graph seed --scale N`; e.g. 1000000); "
                         "kept between runs, rebuilt only when the instance holds fewer persons than that")
    ap.add_argument("--out", help="also write the Markdown here")
    args = ap.parse_args()
    counts = [int(c) for c in args.clients.split(",") if c.strip()]

    os.environ.setdefault("CCMS_NEO4J_BOLT_PORT", "17795")
    os.environ.setdefault("CCMS_NEO4J_HEAP", "2g")
    os.environ.pop("CCMS_NEO4J_URI", None)  # always the local instance this script starts
    sys.path.insert(0, str(ROOT))
    env = {**os.environ, "CCMS_AUDIT_SEQUENCER": "background"}
    work = Path(tempfile.mkdtemp(prefix="ccms-bench-load-"))
    (ROOT / "var").mkdir(exist_ok=True)
    log = ROOT / "var" / "bench-load-app.log"
    log.write_bytes(b"")
    setups = [("default workers", {})]
    if not args.no_baseline:
        setups.append(("baseline: CCMS_WEB_WORKERS=1", {"CCMS_WEB_WORKERS": "1"}))

    issued: list[tuple[str, str]] = []
    report = []
    app: App | None = None
    try:
        progress(f"Neo4j on Bolt {env['CCMS_NEO4J_BOLT_PORT']}: start, init-db, seed --if-empty")
        cli("neo4j", "start", env=env)
        cli("init-db", env=env)
        if args.scale:
            held = stored_persons()
            if held < args.scale:
                progress(f"the instance holds {held} persons: seed --yes-wipe --scale {args.scale}")
                cli("seed", "--yes-wipe", "--scale", str(args.scale), env=env)
        else:
            cli("seed", "--if-empty", env=env)
        fixture = work / "fixture.json"
        issued = make_fixture(fixture, list(USERS))
        for label, extra in setups:
            app = App({**env, **extra}, args.bind, log)
            progress(f"{label}: starting the app on {args.bind} (log {log})")
            app.start()
            if args.warmup > 0:
                progress(f"  warm-up: 8 clients for {args.warmup} s (not reported)")
                run_locust(f"http://{args.bind}", 8, args.warmup, fixture, work / "warmup")
            results = []
            for n in counts:
                progress(f"  {n} clients for {args.seconds} s")
                results.append(run_locust(f"http://{args.bind}", n, args.seconds, fixture,
                                          work / f"{label.split(':')[0].replace(' ', '_')}_{n}"))
            app.stop()
            app = None
            block = f"### {label}\n\n{table(results)}\n"
            notes = failure_notes(results)
            if notes:
                block += f"\nFailures:\n{notes}\n"
            print(block, flush=True)
            report.append(block)
    finally:
        if app is not None:
            app.stop()
        if issued:
            try:
                revoke(issued)
            except Exception as exc:  # noqa: BLE001 - still stop Neo4j
                progress(f"could not revoke the benchmark tokens: {exc}")
        subprocess.run([str(BIN / "ccms-graph"), "neo4j", "stop"], env=env, cwd=ROOT, stdout=subprocess.DEVNULL)
    if args.out:
        Path(args.out).write_text("\n".join(report), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
