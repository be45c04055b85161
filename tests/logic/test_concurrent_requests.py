"""One request sent twice at the same moment: the second waits for the first and is refused as it would be
after it, never a second copy and never a database error (a 500).

Each of these writes checks that something does not exist yet and then creates it. Without a lock
taken before the check, both checks pass: two live hot-list entries for one plate, two active links
of one type between two records, a token past the limit, or the uniqueness constraint's error for a
username or an office code.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest

from ccms_graph.errors import Conflict
from ccms_graph.logic.casework import approvals, documents, elsur, retention
from ccms_graph.logic.casework.cases import create_case
from ccms_graph.logic.entities import links, records
from ccms_graph.logic.identity import resolution
from ccms_graph.logic.location import hotlists
from ccms_graph.logic.people import tokens
from ccms_graph.logic.people.users import create_office, create_user
from ccms_graph.policy.actor import SYSTEM
from tests.factories import PASSWORD, make_person, race, wait_until_blocked
from tests.logic.casework.helpers import open_case, with_roi
from tests.logic.casework.test_elsur import WIRE, hq  # noqa: F401  (the fixture: headquarters and its supervisor)

ROUNDS = range(3)


def _one_made_one_refused(results, words: str) -> dict:
    made = [r for r in results if isinstance(r, dict)]
    refused = [r for r in results if isinstance(r, Exception)]
    assert len(made) == 1 and len(refused) == 1, results
    assert isinstance(refused[0], Conflict) and words in str(refused[0]), refused
    return made[0]


@pytest.mark.parametrize("round_", ROUNDS)
def test_one_username_created_twice_at_once(graph, org, round_):
    data = {"username": "hq_sup", "name": "Hana Quill", "role": "supervisor", "office_code": "MIA",
            "password": PASSWORD, "training_expires": "2099-12-31"}
    results = race([lambda: create_user(graph, SYSTEM, dict(data)), lambda: create_user(graph, SYSTEM, dict(data))])
    _one_made_one_refused(results, "username hq_sup is taken")
    assert graph.query("MATCH (u:User {username: 'hq_sup'}) RETURN count(u) AS n")[0]["n"] == 1


@pytest.mark.parametrize("round_", ROUNDS)
def test_one_office_created_twice_at_once(graph, org, round_):
    data = {"code": "HQ", "name": "Headquarters", "kind": "field_office"}
    results = race([lambda: create_office(graph, SYSTEM, dict(data)), lambda: create_office(graph, SYSTEM, dict(data))])
    _one_made_one_refused(results, "office HQ already exists")
    assert graph.query("MATCH (o:Office {code: 'HQ'}) RETURN count(o) AS n")[0]["n"] == 1


@pytest.mark.parametrize("round_", ROUNDS)
def test_one_plate_put_on_a_hot_list_twice_at_once(graph, org, round_):
    case = create_case(graph, org.agent_a, {"title": "Operation Courier"})["uid"]
    data = {"plate": "NYC777", "state": "NY", "reason": "courier plate",
            "expires_at": (datetime.now(UTC) + timedelta(days=30)).isoformat()}
    results = race([lambda: hotlists.add_entry(graph, org.agent_a, case, dict(data)),
                    lambda: hotlists.add_entry(graph, org.agent_a, case, dict(data))])
    _one_made_one_refused(results, "NY NYC777 is already on the hot list")
    assert len(hotlists.entries(graph, org.agent_a, case)) == 1


@pytest.mark.parametrize("round_", ROUNDS)
def test_one_link_drawn_twice_at_once(graph, org, round_):
    a = make_person(graph, org.agent_a, given_name="Ana", family_name="Quintero")["uid"]
    b = make_person(graph, org.agent_a, given_name="Bruno", family_name="Salcedo")["uid"]
    body = {"source_uid": a, "target_uid": b, "type": "ASSOCIATE_OF", "reason": "seen together at the marina"}
    # The second one asks from the other end: an undirected link is one link either way round.
    results = race([lambda: links.link(graph, org.agent_a, dict(body)),
                    lambda: links.link(graph, org.agent_a, {**body, "source_uid": b, "target_uid": a})])
    _one_made_one_refused(results, "an active ASSOCIATE_OF link between these records already exists")
    assert graph.query("MATCH ({uid: $a})-[r:ASSOCIATE_OF {status: 'active'}]-({uid: $b}) RETURN count(r) AS n",
                       {"a": a, "b": b})[0]["n"] == 1


@pytest.mark.parametrize("round_", ROUNDS)
def test_the_last_token_allowed_asked_for_twice_at_once(graph, org, round_):
    for i in range(tokens.MAX_LIVE_TOKENS - 1):
        tokens.create_token(graph, org.agent_a, {"name": f"script {i}"})
    results = race([lambda: tokens.create_token(graph, org.agent_a, {"name": "one more"}),
                    lambda: tokens.create_token(graph, org.agent_a, {"name": "and another"})])
    _one_made_one_refused(results, f"you have {tokens.MAX_LIVE_TOKENS} live tokens already")
    live = [t for t in tokens.list_tokens(graph, org.agent_a) if not t.get("revoked_at")]
    assert len(live) == tokens.MAX_LIVE_TOKENS


@pytest.mark.parametrize("round_", ROUNDS)
def test_a_link_to_a_record_deleted_at_the_same_moment_is_not_left_active(graph, org, round_):
    a = make_person(graph, org.agent_a, given_name="Ana", family_name="Quintero")["uid"]
    b = make_person(graph, org.agent_a, given_name="Bruno", family_name="Salcedo")["uid"]
    body = {"source_uid": a, "target_uid": b, "type": "ASSOCIATE_OF", "reason": "seen together at the marina"}
    race([lambda: links.link(graph, org.agent_a, dict(body)),
          lambda: records.delete_entity(graph, org.agent_a, b, "entered in error")])
    # Whichever came first, the deleted record holds no active link: the delete retires it, or the link
    # is refused as a link to a missing record.
    assert graph.query("MATCH (n:SubjectRecord {deleted: true})-[r:ASSOCIATE_OF {status: 'active'}]-() "
                       "RETURN count(r) AS n")[0]["n"] == 0


def test_a_record_deleted_while_another_is_merged_under_it_is_refused_not_left_a_deleted_master(graph, org):
    """Deterministic: the merge is made but not committed while the delete runs."""
    master = make_person(graph, org.agent_a, given_name="Ana", family_name="Quintero", dob="1970-01-01")["uid"]
    other = make_person(graph, org.agent_a, given_name="Anna", family_name="Quinteros", dob="1970-01-01",
                        separate_reason="checked: another woman")["uid"]
    results: list = []
    with graph.driver.session(database=graph.database) as session:
        tx = session.begin_transaction()
        tx.run(resolution._LOCK, uids=[master, other]).consume()
        resolution._do_merge(tx, org.agent_a, resolution._load(tx, master), resolution._load(tx, other),
                             "same passport photo")
        delete = threading.Thread(target=lambda: results.extend(
            race([lambda: records.delete_entity(graph, org.agent_a, master, "entered in error")])))
        delete.start()
        blocked = wait_until_blocked(graph)
        tx.commit()
        delete.join(timeout=120)
    assert blocked, "the delete never waited for the merge's lock"
    # Before, the delete checked for sub-records before it waited, and then deleted a master of one.
    assert len(results) == 1 and isinstance(results[0], Conflict), results
    assert "master of merged sub-records" in str(results[0])
    assert graph.query("MATCH (:SubjectRecord)-[:SUB_RECORD_OF {status: 'active'}]->(m:SubjectRecord {deleted: true}) "
                       "RETURN count(m) AS n")[0]["n"] == 0


@pytest.mark.parametrize("round_", ROUNDS)
def test_one_legal_hold_placed_twice_at_once(graph, org, round_):
    case = create_case(graph, org.agent_a, {"title": "Operation Courier"})["uid"]
    results = race([lambda: retention.place_legal_hold(graph, org.sup_mia, case, {"reason": "civil suit 26-1234"}),
                    lambda: retention.place_legal_hold(graph, org.chief, case, {"reason": "FOIA litigation"})])
    made = _one_made_one_refused(results, "is already under a legal hold")
    assert graph.query("MATCH (c:Case {uid: $c}) RETURN c.legal_hold_reason AS r", {"c": case})[0]["r"] == made["reason"]


@pytest.mark.parametrize("round_", range(6))
def test_a_merge_approved_while_its_master_is_deleted_leaves_no_live_sub_record_under_it(graph, org, round_):
    # agent_a asks to merge agent_b's record under their own; their supervisor approves as agent_a deletes
    # the master. Before, the approval read both records without their locks: both were done, half the time.
    master = make_person(graph, org.agent_a, given_name="Ana", family_name="Quintero", dob="1970-01-01")["uid"]
    other = make_person(graph, org.agent_b, given_name="Anna", family_name="Quinteros", dob="1970-01-01",
                        separate_reason="checked: another woman")["uid"]
    asked = resolution.merge(graph, org.agent_a, master, other, "same passport photo")
    approved, deleted = race([lambda: resolution.approve_merge(graph, org.sup_mia, asked["request_uid"], "agreed"),
                              lambda: records.delete_entity(graph, org.agent_a, master, "entered in error")])
    assert isinstance(approved, Exception) or isinstance(deleted, Exception), (approved, deleted)
    assert graph.query("MATCH (:SubjectRecord)-[:SUB_RECORD_OF {status: 'active'}]->(m:SubjectRecord {deleted: true}) "
                       "RETURN count(m) AS n")[0]["n"] == 0


@pytest.mark.parametrize("round_", range(6))
def test_an_elsur_cited_while_the_roi_is_submitted_does_not_change_the_submitted_roi(graph, org, hq, round_):  # noqa: F811
    # A submitted ROI is read-only: what the supervisor approves is what was submitted. Before, the citation
    # read the ROI's status without its lock and could land after the submission.
    case = open_case(graph, org.agent_a, org.sup_mia)["uid"]
    roi = with_roi(graph, org.agent_a, case, "Wire results")["roi_uid"]
    filed = elsur.request_elsur(graph, org.agent_a, case, WIRE)
    approvals.approve(graph, hq, filed["request_uid"])
    race([lambda: elsur.cite(graph, org.agent_a, roi, {"elsur_uid": filed["uid"]}),
          lambda: documents.submit_roi(graph, org.agent_a, roi)])
    (doc,) = graph.query("MATCH (d:ReportOfInvestigation {uid: $u}) RETURN d.status AS status, "
                         "d.updated_at = d.submitted_at AS unchanged_since", {"u": roi})
    assert doc == {"status": "submitted", "unchanged_since": True}
