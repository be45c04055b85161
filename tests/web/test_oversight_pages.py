"""A supervisor's desktop lists the cases of the people who report to them, and the audit page shows a
supervisor their subordinates' entries (issue 17 item 5)."""

from __future__ import annotations

from ccms_graph.logic.casework import cases
from ccms_graph.logic.oversight import audit
from tests.web.conftest import sign_in


def test_the_desktop_of_a_supervisor_lists_a_subordinates_case_and_another_supervisors_does_not(client, graph, org):
    case = cases.create_case(graph, org.agent_a, {"title": "Operation Heron"})
    sign_in(client, "sup_mia")
    html = client.get("/").get_data(as_text=True)
    assert case["props"]["case_number"] in html and "(reports to you)" in html
    client.get("/signout")
    other = type(client)(client.application)
    sign_in(other, "sup_nyc")
    assert case["props"]["case_number"] not in other.get("/").get_data(as_text=True)


def test_the_audit_page_shows_a_supervisor_their_subordinates_entries_only(client, graph, org):
    for who in (org.agent_a, org.agent_nyc):
        graph.write(lambda tx, w=who: audit.record(tx, w, "view", [f"r-{w.username}"]))
    sign_in(client, "sup_mia")
    assert 'href="/audit"' in client.get("/").get_data(as_text=True)
    html = client.get("/audit?go=1&action=view").get_data(as_text=True)
    assert "r-agent_a" in html and "r-agent_nyc" not in html


def test_an_agent_has_no_audit_page(client, org):
    sign_in(client, "agent_a")
    assert 'href="/audit"' not in client.get("/").get_data(as_text=True)
    assert client.get("/audit?go=1").status_code == 403
