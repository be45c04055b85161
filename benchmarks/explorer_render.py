"""Link-explorer benchmark: about 2,000 nodes around one centre, drawn by the real app in Debian's Chromium.

Starts a benchmark Neo4j (its own port), loads a case with `--subjects` people and a phone shared by
`--phone-users` other people (set-based: the service's UNWIND create statement, in batches), serves
the real app on a local port, signs in through the form and drives the explorer with Playwright:

  first render  page load -> the case's neighbourhood (subjects + case) painted
  expand        the shared phone's neighbours added to what is on screen (fetch + draw)
  layout        each layout of the menu over everything on screen
  filter        hiding one node type, and showing it again
  zoom          one zoom step

Each figure is milliseconds to the second animation frame after the action (the frame is painted).

    .venv/bin/python benchmarks/explorer_render.py            # port 17699, stops Neo4j at the end
    .venv/bin/python benchmarks/explorer_render.py --keep     # leave Neo4j running
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("CCMS_NEO4J_BOLT_PORT", "17699")

from ccms_graph.db import Graph, clear_database, install_schema  # noqa: E402
from ccms_graph.logic.casework import cases  # noqa: E402
from ccms_graph.logic.entities import records  # noqa: E402
from ccms_graph.logic.people.users import create_office, create_user  # noqa: E402
from ccms_graph.policy.actor import SYSTEM, load_actor  # noqa: E402
from ccms_graph.settings import load_settings  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]
PASSWORD = "bench-horse-battery-staple"
SHARED_PHONE = "+13055550199"
GIVEN = ["James", "Maria", "John", "Ana", "Wei", "Fatima", "Carlos", "Olga", "David", "Aisha", "Luis", "Mei"]
FAMILY = ["Smith", "Garcia", "Nguyen", "Khan", "Ivanov", "Okafor", "Rossi", "Silva", "Chen", "Lopez", "Kim"]

# In-page helpers: wait for two animation frames (the change is painted), and time an action to that point.
PAINTED = "() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))"
TIME_CHANGE = """async ([selector, value]) => {
  const el = document.querySelector(selector);
  const t0 = performance.now();
  if (el.type === 'checkbox') el.click(); else { el.value = value; el.dispatchEvent(new Event('change', {bubbles: true})); }
  await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
  return performance.now() - t0;
}"""
TIME_EXPAND = """async ([uid, target]) => {
  const x = window.ccmsExplorer;
  x.select(x.cy.getElementById(uid));
  const t0 = performance.now();
  document.getElementById('ex-expand').click();
  while (x.cy.nodes().length < target) await new Promise((r) => setTimeout(r, 5));
  await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
  return performance.now() - t0;
}"""
TIME_FETCH = """async (url) => {
  const t0 = performance.now();
  const r = await fetch(url, {headers: {Accept: 'application/json'}});
  const body = await r.json();
  return [performance.now() - t0, body.nodes.length];
}"""
TIME_ZOOM = """async () => {
  const cy = window.ccmsExplorer.cy;
  const t0 = performance.now();
  cy.zoom({level: cy.zoom() * 1.25, renderedPosition: {x: cy.width() / 2, y: cy.height() / 2}});
  await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
  return performance.now() - t0;
}"""


def cli(*args: str) -> None:
    subprocess.run([str(ROOT / ".venv" / "bin" / "ccms-graph"), *args], check=True, cwd=ROOT)


def load(graph, subjects: int, phone_users: int) -> dict:
    """A case with `subjects` people, the first of whom shares a phone with `phone_users` others."""
    clear_database(graph)
    install_schema(graph)
    create_office(graph, SYSTEM, {"code": "BEN", "name": "Benchmark Field Office", "kind": "field_office"})
    create_user(graph, SYSTEM, {"username": "bench_agent", "name": "Bench Agent", "role": "agent",
                                "office_code": "BEN", "supervisor": None, "password": PASSWORD,
                                "phone": "+13055550100", "email": "bench@example.gov",
                                "training_expires": "2099-12-31"})
    agent = graph.read(load_actor, "bench_agent")
    case = cases.create_case(graph, agent, {"title": "Operation Benchmark"}, status="open")

    def person(i: int, phone: bool) -> dict:
        data = {"given_name": GIVEN[i % len(GIVEN)], "family_name": f"{FAMILY[i % len(FAMILY)]}{i}", "ref": f"b{i}"}
        return {**data, "phones": [SHARED_PHONE]} if phone else data

    rows = [records.build_row("Person", person(i, i == 0), agent, case_uid=case["uid"], source="import")
            for i in range(subjects)]
    rows += [records.build_row("Person", person(subjects + i, True), agent, source="import")
             for i in range(phone_users)]
    for start in range(0, len(rows), 500):  # set-based: one UNWIND statement per 500 rows
        graph.write(lambda tx, chunk: records.insert_rows(tx, "Person", chunk, agent.uid), rows[start:start + 500])
    hub = graph.query("MATCH (p:Phone {e164: $e}) RETURN p.uid AS uid", {"e": SHARED_PHONE})[0]["uid"]
    first = rows[0]["props"]["uid"]
    return {"case": case["uid"], "first": first, "phone": hub}


def serve(graph):
    import logging

    from werkzeug.serving import make_server

    from ccms_graph.web import create_app

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no access log lines between the figures
    app = create_app({}, graph=graph)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_port}"


def run(base: str, ids: dict, subjects: int, phone_users: int, repeats: int, shots: Path | None) -> dict:
    from playwright.sync_api import sync_playwright

    out: dict[str, list[float]] = {}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(base_url=base, viewport={"width": 1500, "height": 950})
        page.set_default_timeout(120_000)
        page.goto("/signin")
        page.get_by_label("Username").fill("bench_agent")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_label("I have read and acknowledge the system use notification").check()
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(f"{base}/")

        first_count = subjects + 1
        page.goto(f"/explore?start={ids['case']}")
        page.wait_for_function("(n) => window.ccmsExplorer && window.ccmsExplorer.cy.nodes().length >= n",
                               arg=first_count, polling=50)
        page.evaluate(PAINTED)
        out["first render (page load to painted)"] = [page.evaluate("performance.now()")]
        out["  of which the neighbours answer (fetch + JSON)"] = [page.evaluate(
            TIME_FETCH, f"/ui/graph/neighbours/{ids['case']}?limit=1000")[0]]

        # the first subject's phone joins the screen, then the phone's 1,000 users
        page.evaluate(TIME_EXPAND, [ids["first"], first_count + 1])
        target = first_count + 1 + phone_users
        out[f"expand (+{phone_users} nodes onto {first_count + 1})"] = [
            page.evaluate(TIME_EXPAND, [ids["phone"], target])]
        total = page.evaluate("window.ccmsExplorer.cy.nodes().length")
        edges = page.evaluate("window.ccmsExplorer.cy.edges().length")
        if shots:
            page.screenshot(path=str(shots / "bench-explorer-2000.png"))
        for name in ("concentric", "grid", "circle", "breadthfirst", "cose"):
            out[f"layout {name}"] = [page.evaluate(TIME_CHANGE, ["#ex-layout", name]) for _ in range(repeats)]
        for _ in range(repeats):
            out.setdefault("filter: hide Person", []).append(
                page.evaluate(TIME_CHANGE, ["#ex-filter-nodes input[value=Person]", None]))
            out.setdefault("filter: show Person", []).append(
                page.evaluate(TIME_CHANGE, ["#ex-filter-nodes input[value=Person]", None]))
        out["zoom step"] = [page.evaluate(TIME_ZOOM) for _ in range(repeats)]
        if shots:
            page.screenshot(path=str(shots / "bench-explorer-2000-cose.png"))
        browser.close()
    out["_nodes"], out["_edges"] = [total], [edges]
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--subjects", type=int, default=1000, help="people in the case (the first view)")
    ap.add_argument("--phone-users", type=int, default=999, help="people sharing the first subject's phone")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--keep", action="store_true", help="leave the benchmark Neo4j running")
    ap.add_argument("--screenshots", type=Path, default=ROOT / "test-artifacts" / "screenshots")
    args = ap.parse_args()
    if args.subjects > 1000 or args.phone_users > 999:
        ap.error("one expansion loads at most 1,000 links: use --subjects <= 1000 and --phone-users <= 999")
    settings = load_settings()
    print(f"Neo4j on bolt port {settings.neo4j_bolt_port}", file=sys.stderr)
    cli("neo4j", "start")
    graph = Graph(settings)
    server = None
    try:
        t0 = time.perf_counter()
        ids = load(graph, args.subjects, args.phone_users)
        print(f"loaded {args.subjects + args.phone_users} people in {time.perf_counter() - t0:.1f}s", file=sys.stderr)
        server, base = serve(graph)
        args.screenshots.mkdir(parents=True, exist_ok=True)
        figures = run(base, ids, args.subjects, args.phone_users, args.repeats, args.screenshots)
    finally:
        if server is not None:
            server.shutdown()
        graph.close()
        if not args.keep:
            cli("neo4j", "stop")
    print(f"explorer with {figures.pop('_nodes')[0]} nodes and {figures.pop('_edges')[0]} links on screen "
          f"(Chromium {CHROMIUM}, ms to the second painted frame; median of {args.repeats} where repeated)")
    for name, values in figures.items():
        detail = "" if len(values) == 1 else "   (" + ", ".join(f"{v:.0f}" for v in values) + ")"
        print(f"  {name:<45} {statistics.median(values):>8.0f} ms{detail}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
