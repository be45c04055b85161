"""The PIA approval rule for every type of document (CBP CCMS PIA §2.4: case documents "must be reviewed and
approved by a supervisor prior to being available"): until approved, only the author and the author's
supervisors see a document, or count it; after approval, the case's readers do."""

from __future__ import annotations

import pytest

from ccms_graph.errors import NotFound
from ccms_graph.logic.casework import approvals, documents
from ccms_graph.logic.entities import access
from ccms_graph.nodes.vocabulary import DOCUMENT_TYPES
from tests.logic.casework.helpers import open_case


@pytest.fixture
def case(graph, org):
    return open_case(graph, org.agent_a, org.sup_mia, team_uids=[org.agent_b.uid])


def _listed(graph, who, case_uid) -> list[str]:
    return [d.get("uid") for d in access.view_record(graph, who, case_uid)["documents"]]


@pytest.mark.parametrize("type_name", sorted(DOCUMENT_TYPES))
def test_a_document_of_any_type_is_a_draft_seen_by_its_author_and_supervisors(graph, org, case, type_name):
    doc = documents.create_document(graph, org.agent_a, case["uid"], type_name, {"title": "Pending paper"})
    assert doc["props"]["status"] == "draft"
    for who in (org.agent_a, org.sup_mia, org.chief):
        assert access.view_record(graph, who, doc["uid"])["uid"] == doc["uid"]
    for who in (org.agent_b, org.agent_port, org.analyst_mia):
        with pytest.raises(NotFound):
            access.view_record(graph, who, doc["uid"])


def test_a_pending_arrest_report_is_neither_seen_nor_counted_by_others_until_approved(graph, org, case):
    doc = documents.create_document(graph, org.agent_a, case["uid"], "ArrestReport",
                                    {"title": "Arrest of J. Smith", "charges": ["8 USC 1324"]})
    req = documents.submit_document(graph, org.agent_a, doc["uid"], "please review")
    opening = _listed(graph, org.agent_b, case["uid"])  # the approved opening ROI alone
    assert doc["uid"] not in opening and None not in opening  # not shown, not counted, not even as a locked row
    assert _listed(graph, org.agent_a, case["uid"]) == [*opening, doc["uid"]]
    with pytest.raises(NotFound):
        access.view_record(graph, org.agent_b, doc["uid"])
    assert req["uid"] in {i["uid"] for i in approvals.approval_queue(graph, org.sup_mia)}
    approvals.approve(graph, org.sup_mia, req["uid"])
    assert access.view_record(graph, org.agent_b, doc["uid"])["props"]["status"] == "approved"
    assert _listed(graph, org.agent_b, case["uid"]) == [*opening, doc["uid"]]
    assert [r["status"] for r in approvals.requests_for(graph, doc["uid"])] == ["approved"]


def test_a_returned_document_goes_back_to_its_author(graph, org, case):
    doc = documents.create_document(graph, org.agent_a, case["uid"], "CourtRecord",
                                    {"title": "Indictment", "docket_number": "1:26-cr-20411"})
    req = documents.submit_document(graph, org.agent_a, doc["uid"])
    approvals.return_item(graph, org.sup_mia, req["uid"], "attach the signed copy")
    got = documents.get_document(graph, doc["uid"])["props"]
    assert got["status"] == "returned" and got["return_comment"] == "attach the signed copy"
    with pytest.raises(NotFound):
        access.view_record(graph, org.agent_b, doc["uid"])
    documents.update_document(graph, org.agent_a, doc["uid"], {"summary": "Signed copy attached."})
    assert documents.get_document(graph, doc["uid"])["props"]["status"] == "draft"
