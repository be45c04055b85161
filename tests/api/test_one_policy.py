"""Browser and API cannot drift apart: the same operation through both leaves the same audit trail, and no
web module (pages or API) holds Cypher of its own — every decision is the logic layer's."""

from __future__ import annotations

import json
import re
from pathlib import Path

import ccms_graph.web
from tests.api.conftest import Api, token_for
from tests.factories import PASSWORD, make_person

WEB = Path(ccms_graph.web.__file__).parent
CYPHER = re.compile(r"\b(MATCH|MERGE|CREATE|DETACH\s+DELETE|UNWIND)\s*[\(\$]|\.run\(|\.query\(|execute_(read|write)")


def test_no_cypher_in_the_web_layer():
    offenders = [f"{path.relative_to(WEB)}:{n}" for path in sorted(WEB.rglob("*.py"))
                 for n, line in enumerate(path.read_text().splitlines(), 1) if CYPHER.search(line)]
    assert not offenders, f"Cypher or driver calls in views: {offenders}"


def test_every_api_module_calls_the_logic_layer():
    api = WEB / "api"
    modules = [p for p in api.glob("*_api.py")]
    assert len(modules) >= 10
    for path in modules:  # saved queries have their use cases in the `queries` package (run, save, approve)
        assert re.search(r"from \.\.\.logic(\.\w+)* import |from \.\.\. import queries", path.read_text()), \
            f"{path.name} calls no logic function"


def _entries(graph, since_seq: int) -> list[tuple]:
    rows = graph.query("MATCH (e:AuditEntry) WHERE e.seq > $s RETURN e.action AS action, e.targets AS targets, "
                       "e.outcome AS outcome, e.details AS details, e.actor_username AS who ORDER BY e.seq",
                       {"s": since_seq})
    out = []
    for r in rows:
        details = json.loads(r["details"] or "{}")
        out.append((r["who"], r["action"], tuple(r["targets"]), r["outcome"], details.get("op"),
                    (details.get("criteria") or {}).get("text")))
    return out


def _head(graph) -> int:
    rows = graph.query("MATCH (h:AuditHead) RETURN h.seq AS seq")
    return rows[0]["seq"] if rows else 0


def test_browser_and_api_views_and_searches_leave_the_same_audit_entries(graph, org):
    from ccms_graph.web import create_app

    app = create_app({"TESTING": True, "WTF_CSRF_ENABLED": False}, graph=graph)
    person = make_person(graph, org.agent_b, given_name="Orlando", family_name="Vance")  # same office as agent_a
    browser = app.test_client()
    assert browser.post("/signin", data={"username": "agent_a", "password": PASSWORD,
                                         "acknowledge": "yes"}).status_code == 302
    api = Api(app.test_client(), token_for(graph, org.agent_a))

    def trail(do):
        start = _head(graph)
        response = do()
        assert response.status_code == 200, response.status_code
        return _entries(graph, start)

    by_page = trail(lambda: browser.get(f"/records/{person['uid']}"))
    by_api = trail(lambda: api.get(f"records/{person['uid']}"))
    assert by_page and by_page == by_api

    by_page = trail(lambda: browser.get("/search", query_string={"q": "Orlando Vance"}))
    by_api = trail(lambda: api.get("search", query_string={"text": "Orlando Vance"}))
    assert [e[1] for e in by_page] == [e[1] for e in by_api] == ["search"]
    assert by_page[0][2] == by_api[0][2] == (person["uid"],)
