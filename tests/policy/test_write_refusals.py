"""Refused writes (update, link, unlink): the policy decides first, every refusal is audited as "deny",
and nothing in the answer tells the writer about a record or case they may not read."""

from __future__ import annotations

import json
import uuid

import pytest

from ccms_graph.errors import Forbidden, NotFound
from ccms_graph.logic.entities import links, records
from tests.factories import links_of, stored_record
from tests.policy import helpers as h


def _denials(graph, who) -> list[dict]:
    rows = graph.query("""MATCH (e:AuditEntry {action: 'deny'}) WHERE e.actor_uid = $a
                          RETURN e.targets AS targets, e.details AS details ORDER BY e.seq""", {"a": who.uid})
    return [{"targets": r["targets"], **json.loads(r["details"])} for r in rows]


def _hidden_vehicle(graph, org) -> str:
    """agent_b's vehicle, only in agent_b's restricted case: agent_a may not learn it exists."""
    case = h.case(graph, org.agent_b, "Restricted MIA case", restricted=True)
    return records.create_entity(graph, org.agent_b, "Vehicle", {"vin": "1HGCM82633A004352"}, case_uid=case)["uid"]


def test_refused_updates_are_audited_and_decided_before_the_record_is_read(graph, org):
    mine = h.person(graph, org.agent_a, given_name="Open")
    hidden = h.person(graph, org.agent_b, h.case(graph, org.agent_b, "Secret", restricted=True), given_name="Hid")
    missing = uuid.uuid4().hex
    with pytest.raises(Forbidden):
        records.update_entity(graph, org.agent_b, mine, {"given_name": "X"})
    # A field no Person has would be a validation error naming the record's type: the policy answers first.
    with pytest.raises(NotFound) as hid:
        records.update_entity(graph, org.agent_a, hidden, {"vin": "1HGCM82633A004352"})
    with pytest.raises(NotFound) as gone:
        records.update_entity(graph, org.agent_a, missing, {"vin": "1HGCM82633A004352"})
    assert hid.value.detail.replace(hidden, "?") == gone.value.detail.replace(missing, "?")
    assert [(d["op"], d["targets"], d["answer"]) for d in _denials(graph, org.agent_b)] == [
        ("update", [mine], 403)]
    assert [(d["op"], d["targets"], d["answer"]) for d in _denials(graph, org.agent_a)] == [
        ("update", [hidden], 404), ("update", [missing], 404)]
    assert stored_record(graph, mine)["props"]["given_name"] == "Open"


def test_update_answer_locks_a_restricted_case_the_writer_cannot_read(graph, org):
    mine = h.person(graph, org.agent_a, given_name="Ann")
    secret = h.case(graph, org.agent_nyc, "Operation Nightjar", restricted=True)
    number = graph.query("MATCH (c:Case {uid: $c}) RETURN c.case_number AS n", {"c": secret})[0]["n"]
    h.add_subject(graph, mine, secret)  # agent_nyc files agent_a's person in her restricted case
    out = records.update_entity(graph, org.agent_a, mine, {"middle_name": "K"})
    assert out["props"]["middle_name"] == "K"
    assert out["cases"] == [{"uid": None, "type": "Case", "locked": True}]
    assert "Nightjar" not in str(out) and number not in str(out) and secret not in str(out)
    # The case's own team still sees it in their answer.
    theirs = records.update_entity(graph, org.agent_nyc, mine, {"middle_name": "L"})
    assert [(c["uid"], c["title"]) for c in theirs["cases"]] == [(secret, "Operation Nightjar")]


def test_refused_links_and_unlinks_are_audited_as_deny(graph, org):
    mine, other = h.person(graph, org.agent_a, given_name="A"), h.person(graph, org.agent_a, given_name="B")
    links.link(graph, org.agent_a, {"source_uid": mine, "target_uid": other, "type": "ASSOCIATE_OF",
                                    "reason": "seen together"})
    body = {"source_uid": mine, "target_uid": other, "type": "ASSOCIATE_OF", "reason": "not so"}
    with pytest.raises(Forbidden):  # same office, so readable; but not hers to change
        links.link(graph, org.agent_b, {**body, "type": "FAMILY_OF"})
    with pytest.raises(Forbidden):
        links.unlink(graph, org.agent_b, body)
    assert [(d["op"], d["targets"], d["answer"]) for d in _denials(graph, org.agent_b)] == [
        ("link", [mine, other], 403), ("unlink", [mine, other], 403)]
    assert len(links_of(graph, mine)) == 1


def test_linking_to_a_record_you_may_not_read_answers_like_a_missing_one(graph, org):
    mine = h.person(graph, org.agent_a, given_name="Ann")
    hidden, missing = _hidden_vehicle(graph, org), uuid.uuid4().hex
    answers = []
    for target in (hidden, missing):
        for call in (links.link, links.unlink):
            with pytest.raises(NotFound) as err:
                call(graph, org.agent_a, {"source_uid": mine, "target_uid": target, "type": "ASSOCIATE_OF",
                                          "reason": "a hunch"})
            assert "Vehicle" not in str(err.value.detail)
            answers.append((type(err.value), err.value.status, err.value.detail.replace(target, "?")))
    assert answers[:2] == answers[2:]
    denials = [(d["op"], d["targets"], d["detail"]) for d in _denials(graph, org.agent_a)]
    assert denials == [("link", [mine, hidden], f"no record {hidden}"),
                       ("unlink", [mine, hidden], f"no record {hidden}"),
                       ("link", [mine, missing], f"no record {missing}"),
                       ("unlink", [mine, missing], f"no record {missing}")]
    assert links_of(graph, mine) == []


def test_patch_answers_from_the_policy_and_names_no_type(graph, org):
    from ccms_graph.web import create_app
    from tests.api.conftest import Api, token_for

    api = Api(create_app({"TESTING": True}, graph=graph).test_client(), token_for(graph, org.agent_a))
    own_case = h.case(graph, org.agent_a, "Own case")
    report = h.document(graph, org.agent_a, own_case, status="approved")
    hidden = _hidden_vehicle(graph, org)
    missing = uuid.uuid4().hex
    answers = {}
    for uid in (hidden, missing, own_case, report):
        r = api.patch(f"records/{uid}", json={"given_name": "X"})
        assert r.status_code == 404, (uid, r.get_json())
        answers[uid] = r.get_json()["detail"].replace(uid, "?")
    assert answers[hidden] == answers[missing] and "Vehicle" not in answers[hidden]
    assert [(d["op"], d["targets"]) for d in _denials(graph, org.agent_a)] == [
        ("update", [hidden]), ("update", [missing]), ("update", [own_case]), ("update", [report])]
