"""Case access settings (restricted switch, team) and comments on records, against the real server."""

from __future__ import annotations

import json

import pytest

from ccms_graph.errors import Forbidden, NotFound, ValidationFailed
from ccms_graph.logic.casework import approvals, cases
from ccms_graph.logic.entities import access, comments, records
from ccms_graph.logic.people import users
from tests.factories import actor
from tests.logic.casework.helpers import restrict


@pytest.fixture
def case(graph, org):
    c = cases.create_case(graph, org.agent_a, {"title": "Operation Kestrel"})
    records.create_entity(graph, org.agent_a, "Person", {"given_name": "Nell", "family_name": "Quist"},
                          case_uid=c["uid"])
    return c


def test_restricting_a_case_hides_it_from_the_office_but_not_the_supervisor_chain(graph, org, case):
    assert access.view_record(graph, org.agent_b, case["uid"])["uid"] == case["uid"]
    restrict(graph, org.agent_a, org.sup_mia, case["uid"], True, "informant safety")
    with pytest.raises(NotFound):
        access.view_record(graph, org.agent_b, case["uid"])
    assert access.view_record(graph, org.sup_mia, case["uid"])["uid"] == case["uid"]
    assert access.view_record(graph, org.chief, case["uid"])["uid"] == case["uid"]
    entry = graph.query("MATCH (e:AuditEntry {action: 'update'}) WHERE $c IN e.targets "
                        "RETURN e.details AS d", {"c": case["uid"]})
    assert any('"reason": "informant safety"' in r["d"] for r in entry)


def test_only_case_writers_flip_the_switch_and_a_reason_is_required(graph, org, case):
    with pytest.raises(Forbidden):
        cases.set_restricted(graph, org.agent_b, case["uid"], True, "not my case")
    with pytest.raises(ValidationFailed) as err:
        cases.set_restricted(graph, org.agent_a, case["uid"], True, "")
    assert "reason" in err.value.errors


def test_team_member_added_to_a_restricted_case_sees_it_and_removed_loses_it(graph, org, case):
    restrict(graph, org.agent_a, org.sup_mia, case["uid"], True, "sensitive")
    cases.change_team(graph, org.agent_a, case["uid"], org.agent_b.uid, add=True)
    assert access.view_record(graph, actor(graph, "agent_b"), case["uid"])["uid"] == case["uid"]
    cases.change_team(graph, org.agent_a, case["uid"], org.agent_b.uid, add=False)
    with pytest.raises(NotFound):
        access.view_record(graph, actor(graph, "agent_b"), case["uid"])
    with pytest.raises(ValidationFailed):
        cases.change_team(graph, org.agent_a, case["uid"], org.agent_a.uid, add=False)
    with pytest.raises(ValidationFailed):
        cases.change_team(graph, org.agent_a, case["uid"], org.auditor.uid, add=True)


def test_a_correction_annotates_a_record_and_reaches_its_readers(graph, org, case):
    person = case_person(graph, case)
    comments.add_comment(graph, org.agent_b, person, {"text": "Later found to be a victim, not a target.",
                                                      "kind": "correction"})
    seen = comments.comments_for(graph, org.agent_a, person)
    assert [(c["kind"], c["author_uid"]) for c in seen] == [("correction", org.agent_b.uid)]
    assert graph.query("MATCH (n:Notification) WHERE n.recipient_uid = $me AND n.record_uid = $p "
                       "RETURN count(n) AS n", {"me": org.agent_a.uid, "p": person}) == [{"n": 1}]


def test_comments_follow_the_record_access_and_refusals_are_audited(graph, org, case):
    person = case_person(graph, case)
    restrict(graph, org.agent_a, org.sup_mia, case["uid"], True, "sensitive")
    with pytest.raises(NotFound):
        comments.add_comment(graph, org.agent_nyc, person, {"text": "peeking"})
    with pytest.raises(Forbidden):
        comments.add_comment(graph, org.auditor, person, {"text": "auditors do not annotate"})
    with pytest.raises(ValidationFailed) as err:
        comments.add_comment(graph, org.agent_a, person, {"text": "x", "kind": "rumour"})
    assert set(err.value.errors) == {"text", "kind"}
    assert comments.comments_for(graph, org.auditor, person) == []
    denials = graph.query("MATCH (e:AuditEntry {action: 'deny'}) RETURN count(e) AS n")[0]["n"]
    assert denials == 2


def test_office_list_for_pickers(graph, org):
    assert [o["code"] for o in users.list_offices(graph)] == ["MIA", "MIA-PEV", "NYC"]
    assert {o["code"]: o["parent_code"] for o in users.list_offices(graph)}["MIA-PEV"] == "MIA"


def case_person(graph, case) -> str:
    return graph.query("MATCH (p:Person)-[:SUBJECT_IN]->(:Case {uid: $c}) RETURN p.uid AS uid",
                       {"c": case["uid"]})[0]["uid"]


def test_access_settings_answer_settings_only_and_refusals_are_audited(graph, org, case):
    out = cases.set_restricted(graph, org.agent_a, case["uid"], True, "sensitive")
    assert out["restricted"] is False and "subjects" not in out and "documents" not in out
    approvals.approve(graph, org.sup_mia, out["restriction_request"]["request_uid"])
    with pytest.raises(NotFound):  # hidden now: the admin learns nothing, not even that it exists
        cases.change_team(graph, org.admin, case["uid"], org.agent_b.uid, add=True)
    with pytest.raises(NotFound):
        cases.set_restricted(graph, org.agent_nyc, case["uid"], False, "let me in")
    assert graph.query("MATCH (e:AuditEntry {action: 'deny'}) RETURN count(e) AS n") == [{"n": 2}]


@pytest.mark.parametrize("who", ["auditor", "admin"])
def test_auditors_and_admins_create_no_records(graph, org, who):
    with pytest.raises(Forbidden):
        records.create_entity(graph, getattr(org, who), "Person", {"given_name": "Nobody"})
    assert graph.query("MATCH (p:Person) RETURN count(p) AS n") == [{"n": 0}]


def test_reading_a_records_comments_is_audited_as_a_view(graph, org, case):
    person = case_person(graph, case)
    comments.add_comment(graph, org.agent_a, person, {"text": "Seen at the marina."})
    assert len(comments.comments_for(graph, org.agent_b, person)) == 1
    rows = graph.query("""MATCH (e:AuditEntry {actor_uid: $u, action: 'view'}) WHERE $p IN e.targets
                          RETURN e.details AS details, e.outcome AS outcome""", {"u": org.agent_b.uid, "p": person})
    assert [(r["outcome"], json.loads(r["details"])) for r in rows] == [("success", {"op": "comments", "count": 1})]
