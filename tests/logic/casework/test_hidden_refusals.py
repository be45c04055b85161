"""Workflow actions on a record the caller may not know about answer NotFound before any other rule, and are audited."""

from __future__ import annotations

import json

import pytest

from ccms_graph.errors import Conflict, Forbidden, NotFound
from ccms_graph.logic.casework import approvals, disclosures, documents, grants, workflows
from tests.factories import make_person
from tests.logic.casework.helpers import open_case, with_roi

FORM = {"disclosed_on": "2024-01-02", "nature": "Records", "description": "Subject file", "purpose": "Joint work",
        "recipient_agency": "Partner agency", "recipient_address": "1 Main Street, Anytown"}


@pytest.fixture
def hidden(graph, org):
    """A restricted NYC case with a returned subject, a filed document and a pending close request."""
    case = open_case(graph, org.agent_nyc, org.sup_nyc, title="Restricted NYC case", restricted=True)["uid"]
    person = make_person(graph, org.agent_nyc, case_uid=case)["uid"]
    approvals.return_item(graph, org.sup_nyc, person, "check the spelling")
    doc = documents.create_document(graph, org.agent_nyc, case, "Evidence", {"title": "Seized phone"})["uid"]
    grant = grants.request_grant(graph, org.agent_nyc, case, {"grantee_office": "MIA", "reason": "port work"})
    approvals.approve(graph, org.sup_nyc, grant["request_uid"])
    req = workflows.request_case_action(graph, org.agent_nyc, case, "close", with_roi(graph, org.agent_nyc, case, reason="no_new_information"))
    return {"case": case, "person": person, "doc": doc, "grant": grant["uid"], "request": req["uid"]}


def _denials(graph, target: str) -> list[dict]:
    rows = graph.query("MATCH (e:AuditEntry {action: 'deny'}) WHERE $t IN e.targets "
                       "RETURN e.details AS d, e.actor_username AS who ORDER BY e.seq", {"t": target})
    return [{**json.loads(r["d"]), "who": r["who"]} for r in rows]


ACTIONS = {
    "request_grant": lambda g, who, h: grants.request_grant(g, who, h["case"], {"grantee_office": "NYC",
                                                                                 "reason": "joint work"}),
    "revoke_grant": lambda g, who, h: grants.revoke_grant(g, who, h["grant"], "not needed"),
    "resubmit": lambda g, who, h: approvals.resubmit_record(g, who, h["person"]),
    "decide_request": lambda g, who, h: approvals.approve(g, who, h["request"]),
    "decide_record": lambda g, who, h: approvals.return_item(g, who, h["person"], "no"),
    "submit_roi": lambda g, who, h: documents.submit_roi(g, who, h["doc"]),
    "update_document": lambda g, who, h: documents.update_document(g, who, h["doc"], {"title": "x"}),
    "add_attachment": lambda g, who, h: documents.add_attachment(g, who, h["doc"], "a.pdf", "application/pdf",
                                                                 b"%PDF-1.4"),
    "create_document": lambda g, who, h: documents.create_document(g, who, h["case"], "Evidence", {"title": "x"}),
    "record_disclosure": lambda g, who, h: disclosures.record_disclosure(g, who, h["case"], FORM),
    "export_disclosures": lambda g, who, h: disclosures.export_csv(g, who, case_uid=h["case"]),
    "request_close": lambda g, who, h: workflows.request_case_action(g, who, h["case"], "close",
                                                                     {"reason": "no_new_information"}),
    "review": lambda g, who, h: workflows.record_review(g, who, h["case"]),
}


@pytest.mark.parametrize("action", sorted(ACTIONS))
@pytest.mark.parametrize("who", ["agent_a", "admin"])
def test_hidden_records_answer_not_found_and_the_denial_is_audited(graph, org, hidden, action, who, tmp_path):
    from dataclasses import replace

    graph.settings = replace(graph.settings, file_store=tmp_path)
    actor = getattr(org, who)
    with pytest.raises(NotFound) as exc:
        ACTIONS[action](graph, actor, hidden)
    assert "Restricted" not in exc.value.detail
    denied = [d for target in hidden.values() for d in _denials(graph, target) if d["who"] == who]
    assert denied and denied[-1]["answer"] == 404


def test_a_revoked_grant_detail_never_names_the_hidden_case(graph, org, hidden):
    with pytest.raises(NotFound) as exc:
        grants.revoke_grant(graph, org.agent_a, hidden["grant"], "not needed")
    assert hidden["case"] not in exc.value.detail


def test_known_but_not_yours_answers_forbidden(graph, org):
    case = open_case(graph, org.agent_a, org.sup_mia)["uid"]
    person = make_person(graph, org.agent_a, case_uid=case)["uid"]
    approvals.return_item(graph, org.sup_mia, person, "check the spelling")
    with pytest.raises(Forbidden, match="owner"):
        grants.request_grant(graph, org.agent_b, case, {"grantee_office": "NYC", "reason": "joint"})
    with pytest.raises(Forbidden, match="owner"):
        approvals.resubmit_record(graph, org.agent_b, person)
    with pytest.raises(Forbidden):  # NYC may not read an unrestricted MIA case, but may know it exists
        grants.request_grant(graph, org.agent_nyc, case, {"grantee_office": "NYC", "reason": "joint"})
    assert [d["answer"] for d in _denials(graph, case)] == [403, 403]
    assert [d["answer"] for d in _denials(graph, person)] == [403]


def test_the_type_of_a_readable_document_is_checked_after_access(graph, org):
    case = open_case(graph, org.agent_a, org.sup_mia)["uid"]
    doc = documents.create_document(graph, org.agent_a, case, "Evidence", {"title": "Ledger"})["uid"]
    graph.query("MATCH (d:Document {uid: $u}) SET d.status = 'filed'", {"u": doc}, write=True)  # before approvals
    with pytest.raises(Conflict):  # a document filed before approvals is available already: nothing to submit
        documents.submit_roi(graph, org.agent_a, doc)
    with pytest.raises(Forbidden):  # may read, may not write: the type is not even considered
        documents.submit_roi(graph, org.analyst_mia, doc)


def test_the_owner_still_resubmits_and_requests(graph, org, hidden):
    approvals.resubmit_record(graph, org.agent_nyc, hidden["person"])
    assert approvals.approve(graph, org.sup_nyc, hidden["person"])["status"] == "approved"
    out = grants.request_grant(graph, org.agent_nyc, hidden["case"], {"grantee_office": "MIA-PEV", "reason": "port work"})
    assert out["status"] == "pending"
