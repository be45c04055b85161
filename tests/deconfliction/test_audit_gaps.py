"""Refusals and views in resolution and hit review leave audit entries; a hidden record answers as a missing one."""

from __future__ import annotations

import json

import pytest

from ccms_graph.errors import DomainError, Forbidden, NotFound
from ccms_graph.logic import resolution
from ccms_graph.logic.cases import create_case
from tests.factories import make_person

MISSING = "0" * 32


def _entries(graph, action, uid=None):
    rows = graph.query("MATCH (e:AuditEntry {action: $action}) WHERE $uid IS NULL OR $uid IN e.targets "
                       "RETURN e.actor_uid AS who, e.targets AS targets, e.outcome AS outcome, e.details AS details "
                       "ORDER BY e.seq", {"action": action, "uid": uid})
    return [{**r, "details": json.loads(r["details"])} for r in rows]


def _hidden_pair(graph, org):
    """Two records of agent_nyc in a restricted NYC case, the second merged under the first (agent_a sees neither)."""
    case = create_case(graph, org.agent_nyc, {"title": "Operation Lantern", "restricted": True})
    master = make_person(graph, org.agent_nyc, case_uid=case["uid"], given_name="Viktor", family_name="Orlov",
                         dob="1975-03-14")
    sub = make_person(graph, org.agent_nyc, case_uid=case["uid"], given_name="Viktor", family_name="Orlov",
                      dob="1975-03-14", ssn="212-55-1234")
    resolution.merge(graph, org.agent_nyc, master["uid"], sub["uid"], "same passport photo")
    return master, sub


def _answer(call, uid: str) -> tuple:
    """What the caller learns from a refusal: its class, status and message (the uid itself blanked)."""
    with pytest.raises(DomainError) as caught:
        call(uid)
    exc = caught.value
    return type(exc).__name__, exc.status, str(exc).replace(uid, "<uid>"), exc.extra


# ---------------------------------------------------------------------------------------------
# merge, unmerge, dismiss
# ---------------------------------------------------------------------------------------------


def test_a_refused_merge_is_audited_as_a_denial(graph, org):
    mine = make_person(graph, org.agent_a, given_name="Viktor", family_name="Orlov", dob="1975-03-14")
    _, hidden = _hidden_pair(graph, org)
    with pytest.raises(NotFound):
        resolution.merge(graph, org.agent_a, mine["uid"], hidden["uid"], "looks like the same man")
    (deny,) = _entries(graph, "deny", hidden["uid"])
    assert deny["who"] == org.agent_a.uid and deny["outcome"] == "denied"
    assert deny["details"]["op"] == "merge" and deny["details"]["answer"] == 404

    with pytest.raises(Forbidden):  # the auditor role merges nothing, and that refusal is audited too
        resolution.merge(graph, org.auditor, mine["uid"], hidden["uid"], "looks like the same man")
    assert [e["who"] for e in _entries(graph, "deny", mine["uid"])] == [org.auditor.uid]
    assert graph.query("MATCH (:SubjectRecord {uid: $u})-[r:SUB_RECORD_OF]->() RETURN count(r) AS n",
                       {"u": mine["uid"]}) == [{"n": 0}]


def test_unmerge_of_a_hidden_record_answers_exactly_like_a_missing_one(graph, org):
    master, sub = _hidden_pair(graph, org)

    def unmerge(uid):
        return resolution.unmerge(graph, org.agent_a, uid, "photos were of a brother")

    missing = _answer(unmerge, MISSING)
    assert missing[:2] == ("NotFound", 404)
    assert _answer(unmerge, sub["uid"]) == missing  # merged: not "only the owner may unmerge"
    assert _answer(unmerge, master["uid"]) == missing  # not merged: not "is not a sub-record"
    for uid in (sub["uid"], master["uid"]):
        (deny,) = _entries(graph, "deny", uid)
        assert deny["who"] == org.agent_a.uid and deny["details"]["op"] == "unmerge"
    assert graph.query("MATCH (n {uid: $u}) RETURN n.master_uid AS m", {"u": sub["uid"]}) == [{"m": master["uid"]}]


def test_unmerge_refused_by_the_owner_rule_is_audited(graph, org):
    theirs = make_person(graph, org.agent_b, given_name="Ana", family_name="Quiroga", dob="1990-01-20")
    twin = make_person(graph, org.agent_b, given_name="Ana", family_name="Quiroga", dob="1990-01-20")
    resolution.merge(graph, org.agent_b, theirs["uid"], twin["uid"], "the same woman")
    with pytest.raises(Forbidden, match="only the owner"):  # agent_a may read it, but owns neither
        resolution.unmerge(graph, org.agent_a, twin["uid"], "not convinced")
    (deny,) = _entries(graph, "deny", twin["uid"])
    assert deny["who"] == org.agent_a.uid and deny["details"]["op"] == "unmerge"
    assert deny["details"]["answer"] == 403


def test_dismissing_a_pair_with_a_hidden_record_answers_like_a_missing_one(graph, org):
    mine = make_person(graph, org.agent_a, given_name="Viktor", family_name="Orlov", dob="1975-03-14")
    _, hidden = _hidden_pair(graph, org)

    def dismiss(uid):
        return resolution.dismiss(graph, org.agent_a, mine["uid"], uid, "different fathers")

    assert _answer(dismiss, hidden["uid"]) == _answer(dismiss, MISSING)
    (deny,) = _entries(graph, "deny", hidden["uid"])
    assert deny["who"] == org.agent_a.uid and deny["details"]["op"] == "dismiss"
    assert graph.query("MATCH (h:DeconflictionHit)-[:HIT_ON]->({uid: $u}) WHERE h.status = 'dismissed' "
                       "RETURN count(h) AS n", {"u": hidden["uid"]}) == [{"n": 0}]


def test_a_refused_merge_approval_is_audited(graph, org):
    master = make_person(graph, org.agent_a, given_name="Ivan", family_name="Drago", dob="1961-11-30")
    other = make_person(graph, org.agent_b, given_name="Ivan", family_name="Drago", dob="1961-11-30")
    asked = resolution.merge(graph, org.agent_a, master["uid"], other["uid"], "same passport photo")
    with pytest.raises(Forbidden):
        resolution.approve_merge(graph, org.sup_nyc, asked["request_uid"])
    with pytest.raises(NotFound):
        resolution.return_merge(graph, org.sup_mia, MISSING, "no such thing")
    denied = [(e["who"], e["details"]["op"], e["targets"]) for e in _entries(graph, "deny")]
    assert denied == [(org.sup_nyc.uid, "approve_merge", [asked["request_uid"]]),
                      (org.sup_mia.uid, "return_merge", [MISSING])]
