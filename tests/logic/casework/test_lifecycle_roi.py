"""Opening and closing a case are documented in a Report of Investigation and approved by the supervisor
(CBP CCMS PIA, Overview): the request names the ROI, and one decision settles the case and the ROI."""

from __future__ import annotations

import pytest

from ccms_graph.errors import NotFound, ValidationFailed
from ccms_graph.logic.casework import approvals, documents, workflows
from tests.logic.casework.helpers import case_props, new_case, open_case, with_roi


def _roi(graph, uid: str) -> dict:
    return approvals.plain(graph.query("MATCH (d:ReportOfInvestigation {uid: $u}) RETURN properties(d) AS d",
                                       {"u": uid})[0]["d"])


def test_a_close_without_an_roi_is_refused_and_the_case_stays_open(graph, org):
    case = open_case(graph, org.agent_a, org.sup_mia)["uid"]
    with pytest.raises(ValidationFailed) as err:
        workflows.request_case_action(graph, org.agent_a, case, "close", {"reason": "no_new_information"})
    assert "Report of Investigation" in err.value.errors["roi_uid"][0]
    assert case_props(graph, case)["status"] == "open"
    assert approvals.requests_for(graph, case)[-1]["kind"] == "case_open"  # no close request was filed


def test_opening_and_its_roi_are_approved_in_one_decision(graph, org):
    case = new_case(graph, org.agent_a)["uid"]
    data = with_roi(graph, org.agent_a, case, "Opening: predication", comment="predication met")
    req = workflows.request_case_action(graph, org.agent_a, case, "open", data)
    assert _roi(graph, data["roi_uid"])["status"] == "submitted" and req["payload"]["roi_uid"] == data["roi_uid"]
    with pytest.raises(ValidationFailed) as err:  # one request at a time per ROI
        workflows.request_case_action(graph, org.agent_a, case, "open", data)
    assert "waits for a supervisor" in err.value.errors["roi_uid"][0]
    approvals.approve(graph, org.sup_mia, req["uid"])
    roi = _roi(graph, data["roi_uid"])
    assert case_props(graph, case)["status"] == "open"
    assert roi["status"] == "approved" and roi["approved_by"] == org.sup_mia.uid
    assert roi["documents_action"] == "open" and roi["case_request"] == req["uid"]
    assert [r["kind"] for r in approvals.requests_for(graph, data["roi_uid"])] == []  # no separate ROI request


def test_a_returned_close_returns_its_roi_to_the_author_to_revise(graph, org):
    case = open_case(graph, org.agent_a, org.sup_mia)["uid"]
    data = with_roi(graph, org.agent_a, case, "Closing", reason="prosecution_declined")
    req = workflows.request_case_action(graph, org.agent_a, case, "close", data)
    approvals.return_item(graph, org.sup_mia, req["uid"], "say who declined")
    roi = _roi(graph, data["roi_uid"])
    assert case_props(graph, case)["status"] == "open"
    assert roi["status"] == "returned" and roi["return_comment"] == "say who declined"
    documents.update_document(graph, org.agent_a, data["roi_uid"], {"narrative": "AUSA Lee declined."})
    again = workflows.request_case_action(graph, org.agent_a, case, "close", data)
    approvals.approve(graph, org.sup_mia, again["uid"])
    assert case_props(graph, case)["status"] == "closed"
    assert _roi(graph, data["roi_uid"])["status"] == "approved"


def test_the_roi_must_be_this_cases_and_readable_and_not_used_already(graph, org):
    case = open_case(graph, org.agent_a, org.sup_mia, team_uids=[org.agent_b.uid])["uid"]
    other = open_case(graph, org.agent_a, org.sup_mia, "Another")["uid"]
    elsewhere = with_roi(graph, org.agent_a, other)["roi_uid"]
    with pytest.raises(ValidationFailed) as err:
        workflows.request_case_action(graph, org.agent_a, case, "close",
                                      {"reason": "no_new_information", "roi_uid": elsewhere})
    assert "not a Report of Investigation in this case" in err.value.errors["roi_uid"][0]
    colleague = documents.create_document(graph, org.agent_b, case, "ReportOfInvestigation", {"title": "Mine"})
    with pytest.raises(NotFound):  # another author's draft answers as a missing one
        workflows.request_case_action(graph, org.agent_a, case, "close",
                                      {"reason": "no_new_information", "roi_uid": colleague["uid"]})
    (opening,) = [r["payload"]["roi_uid"] for r in approvals.requests_for(graph, case)]
    with pytest.raises(ValidationFailed) as err:
        workflows.request_case_action(graph, org.agent_a, case, "close",
                                      {"reason": "no_new_information", "roi_uid": opening})
    assert "documents the case's open already" in err.value.errors["roi_uid"][0]


def test_an_roi_the_supervisor_approved_before_may_document_the_close(graph, org):
    case = open_case(graph, org.agent_a, org.sup_mia)["uid"]
    roi = with_roi(graph, org.agent_a, case, "Final report")["roi_uid"]
    approvals.approve(graph, org.sup_mia, documents.submit_roi(graph, org.agent_a, roi)["uid"])
    req = workflows.request_case_action(graph, org.agent_a, case, "close",
                                        {"reason": "prosecution_complete", "roi_uid": roi})
    approvals.approve(graph, org.sup_mia, req["uid"])
    assert case_props(graph, case)["status"] == "closed"
    assert _roi(graph, roi)["documents_action"] == "close"
