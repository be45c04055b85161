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


def test_the_desktop_lists_reviews_due_and_inactive_cases_of_the_user_and_their_subordinates(client, graph, org):
    stale = cases.create_case(graph, org.agent_a, {"title": "Operation Dormant"}, status="open")
    fresh = cases.create_case(graph, org.agent_a, {"title": "Operation Lively"}, status="open")
    graph.query("MATCH (c:Case {uid: $u}) SET c.opened_at = datetime() - duration({months: 8}), "
                "c.last_activity_at = datetime() - duration({months: 7})", {"u": stale["uid"]}, write=True)
    for who, sees in (("sup_mia", True), ("agent_a", True), ("agent_b", False)):
        browser = type(client)(client.application)
        sign_in(browser, who)
        html = browser.get("/").get_data(as_text=True)
        section = html.split('id="reviews"')[1].split("</section>")[0] if 'id="reviews"' in html else ""
        assert ("Operation Dormant" in section) is sees, who
        assert "Operation Lively" not in section and fresh["props"]["case_number"] not in section
