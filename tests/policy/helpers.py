"""Test helpers for the policy tests: cases, documents, memberships and grants written straight to the graph."""

from __future__ import annotations

import uuid

from ccms_graph.logic.casework import approvals
from ccms_graph.logic.casework.cases import change_team, create_case
from ccms_graph.policy import scopes
from ccms_graph.policy.rules import actor_params
from tests.factories import actor, make_person


def case(graph, owner, title="Operation Test", restricted=False, team=()):
    """A case with its team. Members the owner's office admits join at opening; another office's user joins
    as the product lets them: a team grant, approved by the owner's supervisor."""
    home = [t for t in team if t.office_code in owner.offices]
    uid = create_case(graph, owner, {"title": title, "restricted": restricted,
                                     "team_uids": [t.uid for t in home]})["uid"]
    for member in team:
        if member in home:
            continue
        pending = change_team(graph, owner, uid, member.uid, add=True)["pending"]
        (sup,) = graph.query("MATCH (:User {uid: $u})-[:REPORTS_TO]->(s:User) RETURN s.username AS s",
                             {"u": owner.uid})
        approvals.approve(graph, actor(graph, sup["s"]), pending["request_uid"])
    return uid


def person(graph, owner, case_uid=None, **fields):
    return make_person(graph, owner, case_uid=case_uid, **fields)["uid"]


def add_subject(graph, subject_uid, case_uid):
    graph.query("""MATCH (s:SubjectRecord {uid: $s}), (c:Case {uid: $c})
                   CREATE (s)-[:SUBJECT_IN {uid: randomUUID(), status: 'active', created_at: datetime()}]->(c)""",
                {"s": subject_uid, "c": case_uid}, write=True)


def document(graph, author, case_uid, label="ReportOfInvestigation", status="draft", title="Report"):
    """A document filed in a case (PART_OF and case_uid), as the workflow module will create it."""
    assert label in ("ReportOfInvestigation", "ArrestReport", "SeizureReport", "SurveillanceReport", "Evidence")
    uid = uuid.uuid4().hex
    graph.query(f"""MATCH (c:Case {{uid: $case}})
                   CREATE (d:{label}:Document:Linkable {{uid: $uid, title: $title, status: $status,
                           author_uid: $author, owner_uid: $author, office_code: $office, case_uid: $case,
                           created_at: datetime(), deleted: false}})
                   CREATE (d)-[:PART_OF {{uid: randomUUID(), status: 'active'}}]->(c)""",
                {"case": case_uid, "uid": uid, "title": title, "status": status, "author": author.uid,
                 "office": author.office_code}, write=True)
    return uid


def grant(graph, case_uid, grantee=None, office=None, status="active"):
    graph.query("""CREATE (:AccessGrant {uid: randomUUID(), case_uid: $case, grantee_uid: $uid,
                                         grantee_office: $office, status: $status})""",
                {"case": case_uid, "uid": grantee.uid if grantee else None, "office": office, "status": status},
                write=True)


def reload(graph, who):
    return actor(graph, who.username)


def readable_uids(graph, who) -> set[str]:
    """Every case, subject and document uid the policy predicate lets `who` read."""
    rows = graph.query(f"""MATCH (n:Linkable) WHERE (n:Case OR n:SubjectRecord OR n:Document)
                           AND {scopes.record_readable('n')} RETURN n.uid AS uid""", actor_params(who))
    return {r["uid"] for r in rows}
