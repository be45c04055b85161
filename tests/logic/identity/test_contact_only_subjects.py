"""A subject known only by how they are reached (a phone, an e-mail, a social handle) is a Person record,
stored and deconflicted like any other, on the real server; an address alone still identifies no one."""

from __future__ import annotations

import json

import pytest

from ccms_graph.errors import ValidationFailed
from ccms_graph.logic.casework.cases import create_case
from ccms_graph.logic.entities import imports, records
from ccms_graph.logic.oversight import notifications
from tests.factories import make_person, stored_record

CONTACTS = {
    "phones": {"phones": ["+1 305 555 0177"]},
    "emails": {"emails": ["quiet.fox@example.net"]},
    "social_handles": {"social_handles": [{"platform": "Telegram", "handle": "@quiet_fox"}]},
}


@pytest.mark.parametrize("kind", list(CONTACTS))
def test_a_person_known_only_by_a_phone_an_email_or_a_handle_is_stored_with_a_caption(graph, org, kind):
    made = records.create_entity(graph, org.agent_a, "Person", {**CONTACTS[kind], "dob": "1990-02-14"})

    got = stored_record(graph, made["uid"])
    assert got["type"] == "Person" and got["props"]["dob"] == "1990-02-14"
    assert got["caption"] == f"Person {made['uid'][:8]}"
    selector = {"phones": "USES_PHONE", "emails": "USES_EMAIL", "social_handles": "USES_HANDLE"}[kind]
    linked = graph.query(f"MATCH (:Person {{uid: $u}})-[:{selector}]->(s) RETURN count(s) AS n", {"u": made["uid"]})
    assert linked == [{"n": 1}]


@pytest.mark.parametrize("data", [
    {"addresses": [{"line1": "12 Juniper Road", "city": "Doral", "state": "FL", "postcode": "33172"}]},
    {"dob": "1990-02-14", "sex": "F"},
    {"emails": ["not-an-email"]},
])
def test_an_address_a_date_or_a_malformed_contact_alone_is_refused_naming_what_would_do(graph, org, data):
    with pytest.raises(ValidationFailed) as refused:
        records.create_entity(graph, org.agent_a, "Person", data)

    errors = refused.value.errors
    if "emails" in data and "addresses" not in data:
        assert "emails" in errors  # the field's own problem first
    else:
        (message,) = errors["_schema"]
        assert "emails" in message and "phones" in message and "social_handles" in message
    assert graph.query("MATCH (n:Person) RETURN count(n) AS n") == [{"n": 0}]


def test_a_nameless_copy_sharing_the_email_and_date_of_birth_is_a_match_and_the_owner_is_told(graph, org):
    case = create_case(graph, org.agent_nyc, {"title": "Operation Lantern", "restricted": True})
    theirs = make_person(graph, org.agent_nyc, case_uid=case["uid"], given_name="Odile", family_name="Marchand",
                         dob="1986-04-30", emails=["o.marchand86@example.org"])

    mine = records.create_entity(graph, org.agent_a, "Person",
                                 {"emails": ["O.Marchand86@example.org"], "dob": "1986-04-30"})

    (hit,) = mine["hits"]
    assert hit["restricted"] and hit["owner"]["uid"] == org.agent_nyc.uid and "caption" not in hit
    stored = graph.query("MATCH (h:DeconflictionHit {new_uid: $u}) RETURN h.existing_uid AS e, h.decision AS d",
                         {"u": mine["uid"]})
    assert stored == [{"e": theirs["uid"], "d": "match"}]
    told = [n for n in notifications.inbox(graph, org.agent_nyc) if n["kind"] == "deconfliction_hit"]
    assert len(told) == 1


def test_an_import_loads_a_nameless_line_with_an_email_and_refuses_one_with_nothing_identifying(graph, org):
    lines = [json.dumps({"ref": "C1", "emails": ["night.owl@example.com"], "dob": "1979-01-02"}),
             json.dumps({"ref": "C2", "dob": "1979-01-02"})]

    out = imports.import_jsonl(graph, org.agent_a, "Person", lines)

    assert out["created"] == 1
    (refused,) = out["refused"]
    assert refused["line"] == 2 and "needs at least one of" in refused["reason"] and "emails" in refused["reason"]
    rows = graph.query("MATCH (n:Person {source_ref: 'C1'})-[:USES_EMAIL]->(e:Email) RETURN e.address AS a")
    assert rows == [{"a": "night.owl@example.com"}]


def test_a_given_name_alone_and_a_surname_alone_are_not_held_against_each_other(graph, org):
    theirs = make_person(graph, org.agent_b, given_name=None, family_name="Williams", dob="2002-08-08",
                         emails=["j.williams@levine-johnson.com"])

    mine = make_person(graph, org.agent_a, given_name="Joshua", family_name=None, dob="2002-08-08",
                       emails=["j.williams@levine-johnson.com"], separate_reason="kept apart until compared")

    (hit,) = mine["hits"]
    assert hit["uid"] == theirs["uid"] and hit["decision"] == "match"
    (name,) = [row for row in hit["explanation"] if row["field"] == "name"]
    assert name["level"] == "missing" and name["weight"] == 0
