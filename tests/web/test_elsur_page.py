"""The case page's ELSUR forms: the agent asks headquarters, then appends Reports of Use once approved."""

from __future__ import annotations

from ccms_graph.logic.casework import approvals
from ccms_graph.logic.people.users import create_office, create_user
from ccms_graph.policy.actor import SYSTEM
from tests.factories import PASSWORD, actor
from tests.logic.casework.helpers import open_case
from tests.web.conftest import csrf_from, sign_in


def test_an_agent_asks_for_an_elsur_and_appends_a_report_of_use_from_the_case_page(client, graph, org):
    create_office(graph, SYSTEM, {"code": "HQ", "name": "Headquarters", "kind": "field_office"})
    create_user(graph, SYSTEM, {"username": "hq_sup", "name": "Hana Quill", "role": "supervisor",
                                "office_code": "HQ", "password": PASSWORD, "training_expires": "2099-12-31"})
    case = open_case(graph, org.agent_a, org.sup_mia)["uid"]
    sign_in(client, "agent_a")
    page = client.get(f"/cases/{case}").get_data(as_text=True)
    assert "Ask headquarters" in page and "No ELSUR." in page
    done = client.post(f"/cases/{case}/elsurs", data={"csrf_token": csrf_from(page), "kind": "Pen register",
                                                      "target": "+13055550199", "justification": "load calls"},
                       follow_redirects=True).get_data(as_text=True)
    assert "ELSUR sent to headquarters for approval." in done and "Pen register" in done
    assert "Append Report of Use" not in done  # not before headquarters approves
    (req,) = graph.query("MATCH (r:ApprovalRequest {kind: 'elsur'}) RETURN r.uid AS uid, r.target_uid AS e")
    approvals.approve(graph, actor(graph, "hq_sup"), req["uid"])
    page = client.get(f"/cases/{case}").get_data(as_text=True)
    used = client.post(f"/cases/{case}/elsurs/{req['e']}/uses",
                       data={"csrf_token": csrf_from(page), "date": "2026-03-02", "contact": "R. Quintero",
                             "summary": "two calls on the load"}, follow_redirects=True).get_data(as_text=True)
    assert "Report of Use appended." in used and "2026-03-02 · R. Quintero: two calls on the load" in used
