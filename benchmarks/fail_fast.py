"""Fail-fast benchmark: seconds until a request answers 503 while Neo4j is down, ours beside the driver's defaults.

The app is built against a live benchmark Neo4j (its own port; start-up checks the saved-query
catalogue), an agent signs in and gets an API token, and then the app loses its database, as a running
app would. Two ways of being down, both real sockets:

  refused   nothing listens on the Bolt port (Neo4j killed)
  silent    a TCP listener that completes the handshake and never answers (Neo4j hung, network lost)

For each, three requests are timed through the Flask test client: an API read, an API write, and a
signed-in page. "ours" is the app's configured driver bounds (settings: connection, acquisition and
retry times); "driver defaults" is the same app with the neo4j driver's own defaults (30 s connection
timeout, 60 s acquisition, 30 s retry), the baseline this issue started from. The tests check that each
answer is a proper 503 with Retry-After; how long it takes is measured here, never asserted.

    .venv/bin/python benchmarks/fail_fast.py                  # port 17697, stops Neo4j at the end
    .venv/bin/python benchmarks/fail_fast.py --no-baseline    # skip the (slow) driver-defaults rows
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("CCMS_NEO4J_BOLT_PORT", "17697")

from ccms_graph.db import Graph, clear_database, install_schema  # noqa: E402
from ccms_graph.logic.people import tokens  # noqa: E402
from ccms_graph.logic.people.users import create_office, create_user  # noqa: E402
from ccms_graph.policy.actor import SYSTEM, load_actor  # noqa: E402
from ccms_graph.settings import Settings, load_settings  # noqa: E402
from ccms_graph.web import create_app  # noqa: E402

PASSWORD = "bench-horse-battery-staple"
#: The neo4j Python driver's documented defaults: the baseline before the app bounded its waits.
DRIVER_DEFAULTS = {"neo4j_connection_timeout": 30.0, "neo4j_acquisition_timeout": 60.0,
                   "neo4j_max_retry_time": 30.0}


def cli(*args: str) -> None:
    subprocess.run([str(ROOT / ".venv" / "bin" / "ccms-graph"), *args], check=True, cwd=ROOT)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def down_address(mode: str) -> Iterator[str]:
    """A Bolt URI whose server is gone (`refused`) or hung (`silent`)."""
    if mode == "refused":
        yield f"bolt://127.0.0.1:{_free_port()}"
        return
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)  # the kernel completes the handshake; nobody reads or replies
    try:
        yield f"bolt://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        listener.close()


def setup(graph: Graph) -> str:
    """An office, a signed-in-able agent and their API token; returns the token."""
    clear_database(graph)
    install_schema(graph)
    create_office(graph, SYSTEM, {"code": "BEN", "name": "Benchmark Field Office", "kind": "field_office"})
    create_user(graph, SYSTEM, {"username": "bench_agent", "name": "Bench Agent", "role": "agent",
                                "office_code": "BEN", "supervisor": None, "password": PASSWORD,
                                "phone": "+13055550100", "email": "bench@example.gov",
                                "training_expires": "2099-12-31"})
    return tokens.create_token(graph, graph.read(load_actor, "bench_agent"), {"name": "fail-fast"})["token"]


def sign_in(client) -> None:
    import re

    page = client.get("/signin").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    client.post("/signin", data={"username": "bench_agent", "password": PASSWORD, "csrf_token": csrf,
                                 "acknowledge": "yes"})


def timed(call: Callable) -> float:
    t0 = time.perf_counter()
    resp = call()
    elapsed = time.perf_counter() - t0
    if resp.status_code != 503:
        raise SystemExit(f"expected 503 while Neo4j is down, got {resp.status_code}")
    return elapsed


def measure(app, live: Graph, bounds: Settings, token: str, mode: str, repeats: int) -> dict[str, list[float]]:
    auth = {"Authorization": f"Bearer {token}"}
    api, browser = app.test_client(use_cookies=False), app.test_client()
    app.extensions["ccms_graph"] = live
    sign_in(browser)
    rows: dict[str, list[float]] = {"API read": [], "API write": [], "page": []}
    with down_address(mode) as uri:
        dead = Graph(replace(bounds, neo4j_uri=uri))
        app.extensions["ccms_graph"] = dead
        try:
            for _ in range(repeats):
                rows["API read"].append(timed(lambda: api.get("/api/v1/cases", headers=auth)))
                rows["API write"].append(timed(lambda: api.post("/api/v1/cases", json={"title": "Op Lost"},
                                                                headers=auth)))
                rows["page"].append(timed(lambda: browser.get("/")))
        finally:
            app.extensions["ccms_graph"] = live
            dead.close()
    return rows


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=3, help="requests of each kind with the app's bounds")
    ap.add_argument("--no-baseline", action="store_true", help="skip the driver-defaults rows (about 1 min each)")
    ap.add_argument("--keep", action="store_true", help="leave the benchmark Neo4j running")
    args = ap.parse_args()
    settings = load_settings()
    print(f"Neo4j on bolt port {settings.neo4j_bolt_port}", file=sys.stderr)
    cli("neo4j", "start")
    live = Graph(settings)
    try:
        token = setup(live)
        app = create_app({"TESTING": True}, graph=live)
        configs = [("ours", settings, args.repeats)]
        if not args.no_baseline:
            configs.append(("driver defaults", replace(settings, **DRIVER_DEFAULTS), 1))
        table = {(name, mode): measure(app, live, bounds, token, mode, n)
                 for name, bounds, n in configs for mode in ("refused", "silent")}
    finally:
        live.close()
        if not args.keep:
            cli("neo4j", "stop")
    print(f"seconds to a 503 while Neo4j is down (ours: connection {settings.neo4j_connection_timeout} s, "
          f"acquisition {settings.neo4j_acquisition_timeout} s, retry {settings.neo4j_max_retry_time} s; "
          f"median of {args.repeats})")
    print(f"  {'down':<8} {'request':<10} {'ours':>8} {'defaults':>10} {'ratio':>7}")
    for mode in ("refused", "silent"):
        for request in ("API read", "API write", "page"):
            ours = statistics.median(table[("ours", mode)][request])
            base = table.get(("driver defaults", mode))
            if base is None:
                print(f"  {mode:<8} {request:<10} {ours:>8.2f}")
                continue
            default = statistics.median(base[request])
            print(f"  {mode:<8} {request:<10} {ours:>8.2f} {default:>10.2f} {default / ours:>6.0f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
