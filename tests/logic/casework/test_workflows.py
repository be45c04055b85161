"""The case lifecycle against the real server: every transition, every refusal, and combining two cases."""

from __future__ import annotations

import pytest

from ccms_graph.errors import Conflict, Forbidden, NotFound, ValidationFailed
from ccms_graph.logic.casework import approvals, workflows
from ccms_graph.logic.casework.documents import create_document
from ccms_graph.logic.entities import links
from tests.factories import links_of, make_person, stored_case
from tests.logic.casework.helpers import audit_actions, case_props, inbox_kinds, new_case, open_case, with_roi


def test_open_request_is_approved_by_the_supervisor(graph, org):
    case = new_case(graph, org.agent_a)
    assert case["props"]["status"] == "requested"
    req = workflows.request_case_action(graph, org.agent_a, case["uid"], "open",
                                        with_roi(graph, org.agent_a, case["uid"], comment="predication met"))
    assert req["status"] == "pending" and req["kind"] == "case_open"
    assert case_props(graph, case["uid"])["status"] == "requested"  # nothing changes before approval

    decided = approvals.approve(graph, org.sup_mia, req["uid"])
    assert decided["status"] == "approved" and decided["decided_by"] == org.sup_mia.uid
    props = case_props(graph, case["uid"])
    assert props["status"] == "open" and props["opened_at"]
    assert audit_actions(graph, req["uid"]) == ["request", "approve"]
    assert "approval_needed" in inbox_kinds(graph, org.sup_mia.uid)
    assert "approval_decided" in inbox_kinds(graph, org.agent_a.uid)


def test_a_supervisor_higher_up_the_chain_may_approve(graph, org):
    case = new_case(graph, org.agent_a)
    req = workflows.request_case_action(graph, org.agent_a, case["uid"], "open", with_roi(graph, org.agent_a, case["uid"]))
    approvals.approve(graph, org.chief, req["uid"])
    assert case_props(graph, case["uid"])["status"] == "open"


@pytest.mark.parametrize("who", ["agent_a", "agent_b", "sup_nyc", "agent_nyc", "auditor", "admin", "analyst_mia"])
def test_only_a_supervisor_above_the_requester_approves(graph, org, who):
    case = new_case(graph, org.agent_a)
    req = workflows.request_case_action(graph, org.agent_a, case["uid"], "open", with_roi(graph, org.agent_a, case["uid"]))
    with pytest.raises(Forbidden):
        approvals.approve(graph, getattr(org, who), req["uid"])
    assert case_props(graph, case["uid"])["status"] == "requested"
    assert approvals.get_request(graph, req["uid"])["status"] == "pending"


def test_no_self_approval_even_for_a_supervisor(graph, org):
    case = new_case(graph, org.sup_mia)
    req = workflows.request_case_action(graph, org.sup_mia, case["uid"], "open", with_roi(graph, org.sup_mia, case["uid"]))
    with pytest.raises(Forbidden, match="self-approval"):
        approvals.approve(graph, org.sup_mia, req["uid"])
    approvals.approve(graph, org.chief, req["uid"])
    assert case_props(graph, case["uid"])["status"] == "open"


def test_nobody_to_approve_for_the_top_of_the_chain(graph, org):
    case = new_case(graph, org.chief)
    with pytest.raises(Conflict, match="no supervisor"):
        workflows.request_case_action(graph, org.chief, case["uid"], "open", with_roi(graph, org.chief, case["uid"]))


def test_returned_request_leaves_the_case_and_needs_a_comment(graph, org):
    case = new_case(graph, org.agent_a)
    req = workflows.request_case_action(graph, org.agent_a, case["uid"], "open", with_roi(graph, org.agent_a, case["uid"]))
    with pytest.raises(ValidationFailed) as exc:
        approvals.return_item(graph, org.sup_mia, req["uid"], "  ")
    assert "comment" in exc.value.errors
    decided = approvals.return_item(graph, org.sup_mia, req["uid"], "predication is thin; add the seizure")
    assert decided["status"] == "returned"
    assert decided["decision_comment"] == "predication is thin; add the seizure"
    assert case_props(graph, case["uid"])["status"] == "requested"
    assert audit_actions(graph, req["uid"]) == ["request", "return"]
    # the owner may ask again
    again = workflows.request_case_action(graph, org.agent_a, case["uid"], "open", with_roi(graph, org.agent_a, case["uid"]))
    approvals.approve(graph, org.sup_mia, again["uid"])
    assert case_props(graph, case["uid"])["status"] == "open"


def test_a_decided_request_cannot_be_decided_again(graph, org):
    case = new_case(graph, org.agent_a)
    req = workflows.request_case_action(graph, org.agent_a, case["uid"], "open", with_roi(graph, org.agent_a, case["uid"]))
    approvals.approve(graph, org.sup_mia, req["uid"])
    with pytest.raises(Conflict):
        approvals.approve(graph, org.chief, req["uid"])
    with pytest.raises(Conflict):
        approvals.return_item(graph, org.chief, req["uid"], "too late")


def test_one_pending_case_request_at_a_time(graph, org):
    case = open_case(graph, org.agent_a, org.sup_mia)
    workflows.request_case_action(graph, org.agent_a, case["uid"], "refer")
    with pytest.raises(Conflict, match="already pending"):
        workflows.request_case_action(graph, org.agent_a, case["uid"], "close", with_roi(graph, org.agent_a, case["uid"], reason="prosecution_declined"))


def test_referral_close_and_reopen(graph, org):
    case = open_case(graph, org.agent_a, org.sup_mia)
    req = workflows.request_case_action(graph, org.agent_a, case["uid"], "refer", {"referred_to": "USAO SDFL"})
    approvals.approve(graph, org.sup_mia, req["uid"])
    props = case_props(graph, case["uid"])
    assert props["status"] == "referred" and props["referred_to"] == "USAO SDFL" and props["referred_at"]

    req = workflows.request_case_action(graph, org.agent_a, case["uid"], "close",
                                        with_roi(graph, org.agent_a, case["uid"], reason="prosecution_complete"))
    approvals.approve(graph, org.sup_mia, req["uid"])
    props = case_props(graph, case["uid"])
    assert props["status"] == "closed" and props["close_reason"] == "prosecution_complete" and props["closed_at"]

    req = workflows.request_case_action(graph, org.agent_a, case["uid"], "reopen",
                                        {"comment": "new TECS event on the principal"})
    approvals.approve(graph, org.sup_mia, req["uid"])
    props = case_props(graph, case["uid"])
    assert props["status"] == "open" and props["reopened_at"]
    assert props.get("closed_at") is None and props.get("close_reason") is None
    kinds = [r["kind"] for r in approvals.requests_for(graph, case["uid"])]
    assert kinds == ["case_open", "case_refer", "case_close", "case_reopen"]


def test_close_straight_from_open(graph, org):
    case = open_case(graph, org.agent_a, org.sup_mia)
    req = workflows.request_case_action(graph, org.agent_a, case["uid"], "close", with_roi(graph, org.agent_a, case["uid"], reason="no_new_information"))
    approvals.approve(graph, org.sup_mia, req["uid"])
    assert case_props(graph, case["uid"])["close_reason"] == "no_new_information"


@pytest.mark.parametrize("action,data", [
    ("refer", {}), ("close", {"reason": "prosecution_declined"}), ("reopen", {"comment": "new facts"}),
])
def test_wrong_state_requests_are_refused(graph, org, action, data):
    case = new_case(graph, org.agent_a)  # still `requested`
    with pytest.raises(Conflict, match="requested"):
        workflows.request_case_action(graph, org.agent_a, case["uid"], action, data)


def test_open_and_reopen_refused_on_an_open_case(graph, org):
    case = open_case(graph, org.agent_a, org.sup_mia)
    for action, data in (("open", {}), ("reopen", {"comment": "new facts"})):
        with pytest.raises(Conflict):
            workflows.request_case_action(graph, org.agent_a, case["uid"], action, data)


@pytest.mark.parametrize("data,field", [({}, "reason"), ({"reason": "combined"}, "reason"),
                                        ({"reason": "bored"}, "reason")])
def test_close_needs_a_listed_reason(graph, org, data, field):
    case = open_case(graph, org.agent_a, org.sup_mia)
    with pytest.raises(ValidationFailed) as exc:
        workflows.request_case_action(graph, org.agent_a, case["uid"], "close", data)
    assert field in exc.value.errors


def test_reopen_needs_the_new_information(graph, org):
    case = open_case(graph, org.agent_a, org.sup_mia)
    req = workflows.request_case_action(graph, org.agent_a, case["uid"], "close", with_roi(graph, org.agent_a, case["uid"], reason="no_new_information"))
    approvals.approve(graph, org.sup_mia, req["uid"])
    with pytest.raises(ValidationFailed) as exc:
        workflows.request_case_action(graph, org.agent_a, case["uid"], "reopen", {})
    assert "comment" in exc.value.errors


def test_unknown_action_is_refused(graph, org):
    case = new_case(graph, org.agent_a)
    with pytest.raises(ValidationFailed):
        workflows.request_case_action(graph, org.agent_a, case["uid"], "destroy")


def test_only_case_writers_request(graph, org):
    case = new_case(graph, org.agent_a)
    with pytest.raises(Forbidden):
        workflows.request_case_action(graph, org.agent_b, case["uid"], "open")
    with pytest.raises((Forbidden, NotFound)):
        workflows.request_case_action(graph, org.agent_nyc, case["uid"], "open")
    for who in (org.auditor, org.admin):
        with pytest.raises(Forbidden):
            workflows.request_case_action(graph, who, case["uid"], "open")


# ---------------------------------------------------------------------------------------------
# Combining
# ---------------------------------------------------------------------------------------------


def _subject_links(graph, subject_uid):
    return {(r["other_uid"], r["props"]["status"]) for r in links_of(graph, subject_uid, include_retired=True)
            if r["type"] == "SUBJECT_IN"}


def test_combine_moves_subjects_and_documents_and_keeps_history(graph, org):
    keep = open_case(graph, org.agent_a, org.sup_mia, "Keep")
    gone = open_case(graph, org.agent_a, org.sup_mia, "Gone", team_uids=[org.agent_b.uid])
    only_gone = make_person(graph, org.agent_a, case_uid=gone["uid"], given_name="Only", family_name="Gone")
    both = make_person(graph, org.agent_a, case_uid=gone["uid"], given_name="In", family_name="Both")
    links.link(graph, org.agent_a, {"source_uid": both["uid"], "target_uid": keep["uid"], "type": "SUBJECT_IN",
                                    "reason": "also a subject here"})
    doc = create_document(graph, org.agent_a, gone["uid"], "SeizureReport", {"title": "Seizure at PEV"})

    req = workflows.request_case_action(graph, org.agent_a, keep["uid"], "combine",
                                        {"other_case_uid": gone["uid"], "comment": "same organisation"})
    assert case_props(graph, gone["uid"])["status"] == "open"  # nothing moves before approval
    approvals.approve(graph, org.sup_mia, req["uid"])

    kept = stored_case(graph, keep["uid"])
    assert {s["uid"] for s in kept["subjects"]} == {only_gone["uid"], both["uid"]}
    assert doc["uid"] in [d["uid"] for d in kept["documents"]]  # beside the ROIs that opened both cases
    old = stored_case(graph, gone["uid"])
    assert old["subjects"] == [] and old["documents"] == []
    props = case_props(graph, gone["uid"])
    assert props["status"] == "combined" and props["close_reason"] == "combined"
    assert props["combined_into"] == keep["uid"] and props["closed_at"]
    assert org.agent_b.uid in case_props(graph, keep["uid"])["team_uids"]

    # history: the old edges are retired with who/when/why, never erased; no duplicate for `both`
    assert _subject_links(graph, only_gone["uid"]) == {(gone["uid"], "retired"), (keep["uid"], "active")}
    assert _subject_links(graph, both["uid"]) == {(gone["uid"], "retired"), (keep["uid"], "active")}
    retired = graph.query("""MATCH (:SubjectRecord {uid: $s})-[r:SUBJECT_IN {status: 'retired'}]->()
                             RETURN r.retired_by AS by, r.retired_at AS at, r.retired_reason AS why""",
                          {"s": only_gone["uid"]})[0]
    assert retired["by"] == org.sup_mia.uid and retired["at"] and "combined into" in retired["why"]
    parts = graph.query("""MATCH (:Document {uid: $d})-[r:PART_OF]->(c:Case)
                           RETURN c.uid AS c, r.status AS s""", {"d": doc["uid"]})
    assert {(p["c"], p["s"]) for p in parts} == {(gone["uid"], "retired"), (keep["uid"], "active")}


def test_combine_refusals(graph, org):
    keep = open_case(graph, org.agent_a, org.sup_mia, "Keep")
    with pytest.raises(ValidationFailed):
        workflows.request_case_action(graph, org.agent_a, keep["uid"], "combine", {"other_case_uid": keep["uid"]})
    with pytest.raises(ValidationFailed):
        workflows.request_case_action(graph, org.agent_a, keep["uid"], "combine", {})
    closed = open_case(graph, org.agent_a, org.sup_mia, "Closed")
    req = workflows.request_case_action(graph, org.agent_a, closed["uid"], "close", with_roi(graph, org.agent_a, closed["uid"], reason="no_new_information"))
    approvals.approve(graph, org.sup_mia, req["uid"])
    with pytest.raises(Conflict):
        workflows.request_case_action(graph, org.agent_a, keep["uid"], "combine", {"other_case_uid": closed["uid"]})
    # the other case must be writable by the requester too
    foreign = open_case(graph, org.agent_b, org.sup_mia, "Agent B's")
    with pytest.raises(Forbidden):
        workflows.request_case_action(graph, org.agent_a, keep["uid"], "combine", {"other_case_uid": foreign["uid"]})


def test_a_pending_combination_blocks_requests_on_the_absorbed_case(graph, org):
    keep = open_case(graph, org.agent_a, org.sup_mia, "Keep")
    gone = open_case(graph, org.agent_a, org.sup_mia, "Gone")
    workflows.request_case_action(graph, org.agent_a, keep["uid"], "combine", {"other_case_uid": gone["uid"]})
    with pytest.raises(Conflict, match="already pending"):
        workflows.request_case_action(graph, org.agent_a, gone["uid"], "close", with_roi(graph, org.agent_a, gone["uid"], reason="no_new_information"))


def test_listing_my_cases_is_audited_as_a_view_of_the_cases_shown(graph, org):
    from ccms_graph.logic.casework.cases import my_cases

    mine = [new_case(graph, org.agent_a, title=t)["uid"] for t in ("Harbour", "Airfield")]
    new_case(graph, org.agent_b)  # not agent_a's
    shown = my_cases(graph, org.agent_a)
    assert sorted(c["uid"] for c in shown) == sorted(mine)
    entry = graph.query("""MATCH (e:AuditEntry {actor_uid: $u}) RETURN e.action AS action, e.targets AS targets,
                           e.details AS details ORDER BY e.seq DESC LIMIT 1""", {"u": org.agent_a.uid})[0]
    assert entry["action"] == "view" and '"op": "my_cases"' in entry["details"]
    assert sorted(entry["targets"]) == sorted(mine)
