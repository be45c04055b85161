"""Refusals and views in resolution and hit review leave audit entries; a hidden record answers as a missing one."""

from __future__ import annotations

import json

import pytest

from ccms_graph.errors import DomainError, Forbidden, NotFound
from ccms_graph.logic.casework.cases import create_case
from ccms_graph.logic.entities.imports import deconflict_jsonl
from ccms_graph.logic.identity import deconfliction, resolution
from ccms_graph.logic.oversight import notifications
from tests.factories import make_person

MISSING = "0" * 32


def _entries(graph, action, uid=None):
    rows = graph.query("MATCH (e:AuditEntry {action: $action}) WHERE $uid IS NULL OR $uid IN e.targets "
                       "RETURN e.actor_uid AS who, e.targets AS targets, e.outcome AS outcome, e.details AS details "
                       "ORDER BY e.seq", {"action": action, "uid": uid})
    return [{**r, "details": json.loads(r["details"])} for r in rows]


def _checks(graph):
    """The "deconflict" entries of checks (creating a record writes one too, kind-less)."""
    return [e for e in _entries(graph, "deconflict") if e["details"].get("kind") == "check"]


def _hidden_pair(graph, org):
    """Two records of agent_nyc in a restricted NYC case, the second merged under the first (agent_a sees neither)."""
    case = create_case(graph, org.agent_nyc, {"title": "Operation Lantern", "restricted": True})
    master = make_person(graph, org.agent_nyc, case_uid=case["uid"], given_name="Viktor", family_name="Orlov",
                         dob="1975-03-14")
    sub = make_person(graph, org.agent_nyc, case_uid=case["uid"], given_name="Viktor", family_name="Orlov",
                      dob="1975-03-14", ssn="212-55-1234", separate_reason="kept apart until compared")
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
    twin = make_person(graph, org.agent_b, given_name="Ana", family_name="Quiroga", dob="1990-01-20", separate_reason="kept apart until compared")
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
    other = make_person(graph, org.agent_b, given_name="Ivan", family_name="Drago", dob="1961-11-30", separate_reason="kept apart until compared")
    asked = resolution.merge(graph, org.agent_a, master["uid"], other["uid"], "same passport photo")
    with pytest.raises(Forbidden):
        resolution.approve_merge(graph, org.sup_nyc, asked["request_uid"])
    with pytest.raises(NotFound):
        resolution.return_merge(graph, org.sup_mia, MISSING, "no such thing")
    denied = [(e["who"], e["details"]["op"], e["targets"]) for e in _entries(graph, "deny")]
    assert denied == [(org.sup_nyc.uid, "approve_merge", [asked["request_uid"]]),
                      (org.sup_mia.uid, "return_merge", [MISSING])]


# ---------------------------------------------------------------------------------------------
# Hits: review refusals, the audited list
# ---------------------------------------------------------------------------------------------


def test_refused_hit_reviews_are_audited(graph, org):
    make_person(graph, org.agent_b, given_name="Maria", family_name="Delgado", dob="1988-07-02")
    mine = make_person(graph, org.agent_a, given_name="Maria", family_name="Delgado", dob="1988-07-02", separate_reason="kept apart until compared")
    hit_uid = mine["hits"][0]["hit_uid"]
    with pytest.raises(NotFound) as theirs:  # a hit not theirs answers exactly like a missing one
        deconfliction.review_hit(graph, org.agent_nyc, hit_uid, "dismissed", "not my business")
    with pytest.raises(NotFound) as missing:
        deconfliction.review_hit(graph, org.agent_nyc, MISSING, "dismissed", "no such hit")
    assert theirs.value.detail.replace(hit_uid, "X") == missing.value.detail.replace(MISSING, "X")
    denied = [(e["who"], e["details"]["op"], e["details"]["answer"], e["targets"]) for e in _entries(graph, "deny")]
    assert denied == [(org.agent_nyc.uid, "review_hit", 404, [hit_uid]),
                      (org.agent_nyc.uid, "review_hit", 404, [MISSING])]
    assert graph.query("MATCH (h:DeconflictionHit {uid: $u}) RETURN h.status AS s", {"u": hit_uid}) == [{"s": "open"}]


def test_the_list_of_hits_is_an_audited_view_that_tells_nobody(graph, org):
    theirs = make_person(graph, org.agent_b, given_name="Maria", family_name="Delgado", dob="1988-07-02")
    case = create_case(graph, org.agent_nyc, {"title": "Operation Quiet", "restricted": True})
    hidden = make_person(graph, org.agent_nyc, case_uid=case["uid"], given_name="Viktor", family_name="Orlov",
                         dob="1975-03-14", ssn="212-55-1234")
    readable_hit = make_person(graph, org.agent_a, given_name="Maria", family_name="Delgado",
                               dob="1988-07-02", separate_reason="kept apart until compared")["hits"][0]
    restricted_hit = make_person(graph, org.agent_a, given_name="Viktor", family_name="Orlov",
                                 dob="1975-03-14")["hits"][0]
    inbox_before = {who.uid: len(notifications.inbox(graph, who)) for who in (org.agent_b, org.agent_nyc)}

    shown = deconfliction.list_hits(graph, org.agent_a)

    assert {h["hit_uid"] for h in shown} == {readable_hit["hit_uid"], restricted_hit["hit_uid"]}
    locked = next(h for h in shown if h["restricted"])
    assert hidden["uid"] not in repr(locked) and "Orlov" not in repr(locked)
    (entry,) = [e for e in _entries(graph, "view") if e["details"].get("op") == "hits"]
    assert entry["who"] == org.agent_a.uid
    assert {readable_hit["hit_uid"], restricted_hit["hit_uid"], theirs["uid"]} <= set(entry["targets"])
    assert hidden["uid"] not in entry["targets"]
    assert theirs["uid"] in entry["details"]["records_shown"]
    assert entry["details"]["restricted_hits"] == [restricted_hit["hit_uid"]]
    assert {who.uid: len(notifications.inbox(graph, who)) for who in (org.agent_b, org.agent_nyc)} == inbox_before

    assert deconfliction.list_hits(graph, org.auditor) == []  # nothing shown, nothing to record
    assert len([e for e in _entries(graph, "view") if e["details"].get("op") == "hits"]) == 1


# ---------------------------------------------------------------------------------------------
# Checking records that are not stored (the `deconflict` command)
# ---------------------------------------------------------------------------------------------


def test_a_check_records_what_it_checked_and_the_candidates_it_returned(graph, org):
    theirs = make_person(graph, org.agent_b, given_name="William", family_name="Thornbury", dob="1979-04-23")
    case = create_case(graph, org.agent_nyc, {"title": "Operation Quiet", "restricted": True})
    hidden = make_person(graph, org.agent_nyc, case_uid=case["uid"], given_name="Viktor", family_name="Orlov",
                         dob="1975-03-14", ssn="212-55-1234")
    lines = [json.dumps(x) for x in (
        {"ref": "Q1", "given_name": "Bill", "family_name": "Thornbury", "dob": "1979-04-23"},
        {"ref": "Q2", "given_name": "Viktor", "family_name": "Orlov", "dob": "1975-03-14"},
        {"ref": "Q3", "given_name": "Nobody", "family_name": "Zzyzx", "dob": "2001-01-01"})]

    out = list(deconflict_jsonl(graph, org.agent_a, "Person", lines, batch=2))

    assert [o["candidates"][0]["uid"] for o in out[:2]] == [theirs["uid"], None]
    first, second = _checks(graph)
    assert first["who"] == org.agent_a.uid
    assert first["targets"] == [theirs["uid"], hidden["uid"]]  # the auditor learns what the agent could not
    assert first["details"] | {"kind": "check", "type": "Person", "records": 2, "records_with_candidates": 2,
                               "candidates": 2, "restricted": 1, "first_line": 1, "last_line": 2,
                               "refs": ["Q1", "Q2"]} == first["details"]
    assert second["targets"] == [] and second["details"]["records"] == 1
    assert second["details"]["candidates"] == 0 and second["details"]["refs"] == ["Q3"]


def test_a_check_names_at_most_the_capped_uids_but_counts_them_all(graph, org, monkeypatch):
    a = make_person(graph, org.agent_b, given_name="William", family_name="Thornbury", dob="1979-04-23")
    b = make_person(graph, org.agent_b, given_name="Maria", family_name="Delgado", dob="1988-07-02")
    monkeypatch.setattr(deconfliction, "AUDIT_UID_CAP", 1)
    found = deconfliction.check_records(graph, org.agent_a, "Person", [
        {"given_name": "William", "family_name": "Thornbury", "dob": "1979-04-23"},
        {"given_name": "Maria", "family_name": "Delgado", "dob": "1988-07-02"}], include_no_match=False)
    assert [[c["uid"] for c in cands] for cands in found] == [[a["uid"]], [b["uid"]]]
    (entry,) = _checks(graph)
    assert entry["targets"] == [a["uid"]]
    assert entry["details"]["candidate_records"] == 2 and entry["details"]["uids_named"] == 1
