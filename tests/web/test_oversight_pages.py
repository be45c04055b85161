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


def test_an_agent_logs_hours_on_the_case_page_and_a_bad_entry_is_named(client, graph, org):
    from datetime import date

    case = cases.create_case(graph, org.agent_a, {"title": "Operation Timesheet"}, status="open")
    sign_in(client, "agent_a")
    page = client.get(f"/cases/{case['uid']}").get_data(as_text=True)
    assert "Log my hours" in page
    token = page.split('name="csrf_token" value="')[1].split('"')[0]
    done = client.post(f"/cases/{case['uid']}/hours", data={"csrf_token": token, "date": date.today().isoformat(),
                                                             "hours": "1.5", "activity": "interview"},
                       follow_redirects=True).get_data(as_text=True)
    assert "Hours logged." in done and "Agent A · 1.5 h" in done
    bad = client.post(f"/cases/{case['uid']}/hours", data={"csrf_token": token, "date": date.today().isoformat(),
                                                            "hours": "0.3"}, follow_redirects=True).get_data(as_text=True)
    assert "Not done" in bad and "hours" in bad and "quarter hours" in bad
    assert graph.query("MATCH (h:WorkHours) RETURN count(h) AS n")[0]["n"] == 1
