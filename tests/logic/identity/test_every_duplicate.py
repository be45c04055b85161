"""Issue 15: every stored record of an individual is reported, candidates come from every kind of evidence,
and a create that matches becomes a sub-record or a reasoned, audited separate record (CCMS PIA §2.4)."""

from __future__ import annotations

import json

import pytest

from ccms_graph.logic.casework.cases import create_case
from ccms_graph.logic.entities import imports, records
from ccms_graph.logic.identity import resolution
from ccms_graph.logic.oversight import notifications
from ccms_graph.matching import blocking
from tests.factories import make_person, stored_record


def _told(graph, who) -> list[dict]:
    return [n for n in notifications.inbox(graph, who) if n["kind"] == "deconfliction_hit"]


def _audit(graph, action: str) -> list[dict]:
    rows = graph.query("MATCH (e:AuditEntry {action: $a}) RETURN properties(e) AS e ORDER BY e.seq", {"a": action})
    return [r["e"] for r in rows]


def _sub_record_of(graph, uid: str) -> str | None:
    rows = graph.query("MATCH (:SubjectRecord {uid: $u})-[:SUB_RECORD_OF {status: 'active'}]->(m) RETURN m.uid AS m",
                       {"u": uid})
    return rows[0]["m"] if rows else None


def test_three_records_of_one_individual_in_three_cases_of_two_offices_are_all_reported_and_all_owners_told(
        graph, org):
    person = {"given_name": "Teodora", "family_name": "Vasquez-Ilic", "dob": "1979-11-23", "sex": "F"}
    stored = []
    for who in (org.agent_b, org.agent_port, org.agent_nyc):
        case = create_case(graph, who, {"title": f"Operation {who.username}"})
        reason = None if not stored else "kept apart until the owners confer"
        stored.append(records.create_entity(graph, who, "Person",
                                            {**person, **({"separate_reason": reason} if reason else {})},
                                            case_uid=case["uid"]))
    owners = {org.agent_b.uid, org.agent_port.uid, org.agent_nyc.uid}
    before = {who.uid: len(_told(graph, who)) for who in (org.agent_b, org.agent_port, org.agent_nyc)}

    mine = records.create_entity(graph, org.agent_a, "Person", {**person, "separate_reason": "a new lead, to confer"})

    reported = {h["uid"] for h in mine["hits"] if not h["restricted"]}
    hidden = [h for h in mine["hits"] if h["restricted"]]
    assert reported | {h["owner"]["uid"] for h in hidden} >= {s["uid"] for s in stored[:2]}
    assert len(mine["hits"]) == 3
    decisions = graph.query("MATCH (h:DeconflictionHit {new_uid: $u}) RETURN h.decision AS d", {"u": mine["uid"]})
    assert [r["d"] for r in decisions] == ["match"] * 3
    assert {h["owner"]["uid"] for h in mine["hits"]} == owners
    for who in (org.agent_b, org.agent_port, org.agent_nyc):
        assert len(_told(graph, who)) == before[who.uid] + 1, who.username


def test_a_married_name_copy_sharing_address_dob_and_a_mistyped_identifier_is_a_match(graph, org):
    home = {"line1": "4417 Larkspur Avenue", "city": "Hialeah", "state": "FL", "postcode": "33012"}
    theirs = make_person(graph, org.agent_nyc, given_name="Rosalind", family_name="Ashworth", dob="1983-02-17",
                         ssn="318-62-4457", addresses=[home])
    # Crowd the surname and the date of birth so the name alone could not find her.
    for given in ("Pedro", "Ann", "Luis"):
        make_person(graph, org.agent_nyc, given_name=given, family_name="Okonkwo-Baptiste", dob="1960-01-01")
    copy = {"given_name": "Rosalind", "family_name": "Okonkwo-Baptiste", "dob": "1983-02-17",
            "ssn": "318-62-4475", "addresses": [{**home, "line1": "4417 Larkspur Ave"}]}

    mine = make_person(graph, org.agent_a, **copy)

    (hit,) = [h for h in mine["hits"] if h["owner"]["uid"] == org.agent_nyc.uid]
    assert hit["restricted"] is True  # another office's record: the contact only
    found = graph.query("MATCH (h:DeconflictionHit {uid: $h}) RETURN h.decision AS d, h.explanation_json AS x, "
                        "h.existing_uid AS theirs", {"h": hit["hit_uid"]})[0]
    assert found["theirs"] == theirs["uid"]
    assert found["d"] == "match"
    rows = {r["field"]: r for r in json.loads(found["x"])}
    assert rows["ssn"]["level"] == "typo" and rows["addresses"]["level"] == "agree" and rows["dob"]["level"] == "exact"
    assert rows["name"]["weight"] < 10  # the replaced surname is not what made it a match


def test_candidates_come_from_identifier_typos_addresses_and_handles_not_only_names(graph, org):
    theirs = make_person(graph, org.agent_b, given_name="Quill", family_name="Marchetti", ssn="401-23-9876",
                         addresses=[{"line1": "12 Juniper Road", "city": "Doral", "state": "FL", "postcode": "33172"}],
                         social_handles=[{"platform": "Telegram", "handle": "@quill_m"}])
    by_id = blocking.probe("Person", {"given_name": "Zzz", "ssn": "401-23-9867"})
    by_address = blocking.probe("Person", {"given_name": "Yyy", "addresses": [
        {"line1": "12 Juniper Rd", "city": "Doral", "state": "FL", "postcode": "33172"}]})
    by_handle = blocking.probe("Person", blocking.matching_record(
        "Person", {"given_name": "Xxx"}, handles=[{"platform": "telegram", "handle": "Quill_M"}]))
    for probe in (by_id, by_address, by_handle):
        (found,) = graph.read(lambda tx, p=probe: blocking.candidates(tx, "Person", [p]))
        assert [c["uid"] for c in found if c["evidence"]] == [theirs["uid"]]


def test_a_create_that_matches_a_readable_record_asks_and_writes_nothing(graph, org):
    theirs = make_person(graph, org.agent_b, given_name="Ilse", family_name="Brandauer", dob="1971-08-09",
                         ssn="219-44-1200")
    count = graph.query("MATCH (n:Person) RETURN count(n) AS n")[0]["n"]

    with pytest.raises(resolution.NeedsDecision) as refused:
        make_person(graph, org.agent_a, given_name="Ilse", family_name="Brandauer", dob="1971-08-09")

    (match,) = refused.value.extra["matches"]
    assert refused.value.status == 409
    assert match["uid"] == theirs["uid"] and match["hit_uid"] is None and match["decision"] == "match"
    assert graph.query("MATCH (n:Person) RETURN count(n) AS n")[0]["n"] == count
    assert graph.query("MATCH (h:DeconflictionHit) RETURN count(h) AS n")[0]["n"] == 0
    (search,) = [e for e in _audit(graph, "search") if "create_needs_decision" in e.get("details", "")]
    assert search["targets"] == [theirs["uid"]] and search["actor_uid"] == org.agent_a.uid
    told = [n for n in notifications.inbox(graph, org.agent_b) if n["kind"] == "query"]
    assert [n["record_uid"] for n in told] == [theirs["uid"]]


def test_a_create_that_matches_becomes_a_sub_record_of_the_master(graph, org):
    master = make_person(graph, org.agent_b, given_name="Ilse", family_name="Brandauer", dob="1971-08-09")
    sub = make_person(graph, org.agent_b, given_name="Ilse", family_name="Brandauer", dob="1971-08-09",
                      sub_record_of=master["uid"])
    # Naming a sub-record links to its master: one level, never a chain.
    third = make_person(graph, org.agent_a, given_name="Ilse", family_name="Brandauer", dob="1971-08-09",
                        sub_record_of=sub["uid"])
    assert sub["sub_record_of"] == third["sub_record_of"] == master["uid"]
    assert _sub_record_of(graph, sub["uid"]) == _sub_record_of(graph, third["uid"]) == master["uid"]
    merges = _audit(graph, "merge")
    assert {json.loads(e["details"])["other_uid"] for e in merges} == {sub["uid"], third["uid"]}


def test_a_separate_record_keeps_its_reason_and_the_reason_is_audited(graph, org):
    master = make_person(graph, org.agent_b, given_name="Ilse", family_name="Brandauer", dob="1971-08-09")
    mine = make_person(graph, org.agent_a, given_name="Ilse", family_name="Brandauer", dob="1971-08-09",
                       separate_reason="her twin sister, per the birth certificate")
    assert mine["separate_reason"] == "her twin sister, per the birth certificate"
    assert _sub_record_of(graph, mine["uid"]) is None
    assert stored_record(graph, mine["uid"])["props"]["separate_from"] == [master["uid"]]
    (entry,) = [e for e in _audit(graph, "create") if "separate_record" in e.get("details", "")]
    assert "twin sister" in entry["details"] and master["uid"] in entry["targets"]


@pytest.mark.parametrize("bad, field", [({"separate_reason": "x"}, "separate_reason"),
                                        ({"sub_record_of": "nope"}, "sub_record_of"),
                                        ({"sub_record_of": 5}, "sub_record_of"),
                                        ({"sub_record_of": "a", "separate_reason": "both given"}, "separate_reason")])
def test_a_bad_choice_names_the_field_and_writes_nothing(graph, org, bad, field):
    make_person(graph, org.agent_b, given_name="Ilse", family_name="Brandauer", dob="1971-08-09")
    with pytest.raises(Exception) as refused:
        make_person(graph, org.agent_a, given_name="Ilse", family_name="Brandauer", dob="1971-08-09", **bad)
    assert field in getattr(refused.value, "errors", {})
    assert graph.query("MATCH (n:Person) RETURN count(n) AS n")[0]["n"] == 1


def test_a_hidden_match_does_not_block_but_its_owner_is_told(graph, org):
    case = create_case(graph, org.agent_nyc, {"title": "Operation Fog", "restricted": True})
    make_person(graph, org.agent_nyc, case_uid=case["uid"], given_name="Ilse", family_name="Brandauer",
                dob="1971-08-09")
    mine = make_person(graph, org.agent_a, given_name="Ilse", family_name="Brandauer", dob="1971-08-09")
    assert [h["restricted"] for h in mine["hits"]] == [True]
    assert "sub_record_of" not in mine
    assert len(_told(graph, org.agent_nyc)) == 1


def test_import_links_a_matching_line_as_a_sub_record_or_keeps_its_stated_reason(graph, org):
    master = make_person(graph, org.agent_a, given_name="Ilse", family_name="Brandauer", dob="1971-08-09")
    lines = [json.dumps({"ref": "r1", "given_name": "Ilse", "family_name": "Brandauer", "dob": "1971-08-09"}),
             json.dumps({"ref": "r2", "given_name": "Ilse", "family_name": "Brandauer", "dob": "1971-08-09",
                         "separate_reason": "the daughter, same name"}),
             json.dumps({"ref": "r3", "given_name": "Oswin", "family_name": "Tranter", "dob": "1950-03-03"}),
             json.dumps({"ref": "r4", "given_name": "Oswin", "family_name": "Tranter", "dob": "1950-03-03"}),
             json.dumps({"ref": "r5", "given_name": "Ilse", "separate_reason": "x"})]
    out = imports.import_jsonl(graph, org.agent_a, "Person", lines, batch=2)
    assert out["created"] == 4 and out["sub_records"] == 2 and out["separate"] == 1
    assert [r["line"] for r in out["refused"]] == [5] and "separate_reason" in out["refused"][0]["reason"]
    by_ref = {r["ref"]: r["uid"] for r in graph.query(
        "MATCH (n:Person) WHERE n.source_ref IS NOT NULL RETURN n.source_ref AS ref, n.uid AS uid")}
    assert _sub_record_of(graph, by_ref["r1"]) == master["uid"]
    assert _sub_record_of(graph, by_ref["r2"]) is None
    assert stored_record(graph, by_ref["r2"])["props"]["separate_reason"] == "the daughter, same name"
    assert _sub_record_of(graph, by_ref["r3"]) is None  # the first of a new individual stays its master
    assert _sub_record_of(graph, by_ref["r4"]) == by_ref["r3"]



@pytest.mark.parametrize("batch", [1, 2, 1000])
def test_import_finds_every_earlier_copy_whatever_the_batch_boundaries(graph, org, batch):
    """The import asks the index for a batch before writing it, while the batch before is still being
    written: copies in the same batch and in the batch before must still find each other."""
    first = {"given_name": "Marguerite", "family_name": "Okonkwo", "dob": "1983-04-17", "ssn": "219-09-9999"}
    lines = [json.dumps({"ref": "c1", **first}),
             json.dumps({"ref": "c2", **first, "given_name": "Margeurite"}),  # a typo in the name
             json.dumps({"ref": "c3", **first, "family_name": "Bell", "ssn": "219-09-9989"}),  # married, SSN typo
             json.dumps({"ref": "c4", **first}),
             json.dumps({"ref": "x1", "given_name": "Tobias", "family_name": "Wren", "dob": "1990-01-02"})]
    out = imports.import_jsonl(graph, org.agent_a, "Person", lines, batch=batch)
    assert out["created"] == 5 and out["sub_records"] == 3
    by_ref = {r["ref"]: r["uid"] for r in graph.query(
        "MATCH (n:Person) WHERE n.source_ref IS NOT NULL RETURN n.source_ref AS ref, n.uid AS uid")}
    for ref in ("c2", "c3", "c4"):
        assert _sub_record_of(graph, by_ref[ref]) == by_ref["c1"], ref
    assert _sub_record_of(graph, by_ref["x1"]) is None
    hits = graph.query("MATCH (h:DeconflictionHit) RETURN h.new_uid AS a, h.existing_uid AS b")
    pairs = {frozenset((r["a"], r["b"])) for r in hits}
    copies = [by_ref[r] for r in ("c1", "c2", "c3", "c4")]
    assert {frozenset((copies[3], other)) for other in copies[:3]} <= pairs  # the last copy reports all three
    assert all(by_ref["x1"] not in p for p in pairs)



SIX_TYPES = [
    ("Person", {"given_name": "Kasimir", "family_name": "Lundqvist", "dob": "1966-06-06", "a_number": "A012345678"},
     {"given_name": "Kasimir", "family_name": "Lundqvist", "dob": "1966-06-06", "a_number": "A012345687"},
     "a_number", "typo", "match"),
    ("Business", {"name": "Halcyon Freight Ltd", "ein": "12-3456789"},
     {"name": "Halcyon Freight", "ein": "12-3456798"}, "ein", "typo", "match"),
    # The typed VIN fails its check digit, so it is a slip of the stored one, not its serial-run neighbour
    # (compare.compare_vin; tests/matching/test_object_slips.py keeps two valid neighbours apart).
    ("Vehicle", {"vin": "1HGCM82633A004352", "make": "Honda"},
     {"vin": "1HGCM82633A004325", "make": "Honda"}, "vin", "typo_bad_check", "match"),
    ("Vessel", {"name": "Sea Breeze", "mmsi": "366123456", "imo": "9074729"},
     {"name": "Seabreeze", "mmsi": "366 123 456"}, "mmsi", "agree", "match"),
    ("Aircraft", {"tail_number": "N123AB", "make": "Cessna", "icao24": "A0B1C2"},
     {"tail_number": "N123BA", "make": "Cessna", "icao24": "a0b1c2"}, "n_number", "typo", "match"),
    ("Thing", {"category": "firearm", "serial": "GLK-99812", "description": "Glock 19"},
     {"category": "firearm", "serial": "GLK99812"}, "serial", "agree", "match"),
]


@pytest.mark.parametrize(("type_name", "stored", "typed", "field", "level", "decision"), SIX_TYPES,
                         ids=[t[0] for t in SIX_TYPES])
def test_each_type_is_deconflicted_on_its_identifiers(graph, org, type_name, stored, typed, field, level, decision):
    theirs = records.create_entity(graph, org.agent_nyc, type_name, stored)
    probe = blocking.probe(type_name, typed)
    (found,) = graph.read(lambda tx: blocking.candidates(tx, type_name, [probe]))
    assert theirs["uid"] in [c["uid"] for c in found if c["evidence"]], type_name
    mine = records.create_entity(graph, org.agent_a, type_name, typed)
    assert [h["owner"]["uid"] for h in mine["hits"]] == [org.agent_nyc.uid]
    hit = graph.query("MATCH (h:DeconflictionHit) RETURN h.explanation_json AS x, h.decision AS d")[0]
    assert hit["d"] == decision
    assert {r["field"]: r["level"] for r in json.loads(hit["x"])}[field] == level


def test_records_another_batch_is_writing_are_left_out_whether_or_not_the_read_sees_them(graph, org):
    """The import asks for a batch's stored candidates while the batch before is written. Whether that
    read sees the write commit is timing, and the batch path caps each record's candidates, so the
    records being written are left out of the stored answer (the import finds them in memory): the
    same import gives the same hits however the two transactions interleave."""
    from ccms_graph.logic.identity import deconfliction

    person = {"given_name": "Marguerite", "family_name": "Okonkwo", "dob": "1983-04-17"}
    written = make_person(graph, org.agent_a, **person)["uid"]
    older = make_person(graph, org.agent_a, **{**person, "given_name": "Margeurite"},
                        separate_reason="a test of two stored copies")["uid"]

    def ask(writing):
        return {c["uid"] for c in graph.read(lambda tx: deconfliction.search_before_write(
            tx, org.agent_a, "Person", [person], writing=writing))[0]}

    seen = ask([])
    assert {written, older} <= seen
    assert ask([written]) == seen - {written}


#: An identifier a type has a field for, listed among the record's `identifiers` instead (as an API client or
#: another system's export may send it): (type, stored with it listed, created with the field, field).
LISTED = [
    ("Business", {"name": "Halcyon Freight Ltd", "identifiers": [{"type": "FEIN", "value": "12-3456789"}]},
     {"name": "Blue Tern Logistics", "ein": "123456789"}, "ein"),
    ("Vehicle", {"make": "Honda", "identifiers": [{"type": "VIN", "value": "1HGCM82633A004352"}]},
     {"make": "Honda", "vin": "1HGCM82633A004352"}, "vin"),
    ("Vessel", {"name": "Sea Breeze", "identifiers": [{"type": "IMO number", "value": "IMO 9074729"}]},
     {"name": "Northern Light", "imo": "9074729"}, "imo"),
    ("Aircraft", {"make": "Cessna", "identifiers": [{"type": "Tail number", "value": "N123AB"}]},
     {"make": "Cessna", "tail_number": "n123ab"}, "n_number"),
    ("Thing", {"category": "electronic_device", "identifiers": [{"type": "IMEI", "value": "490154203237518"}]},
     {"category": "electronic_device", "imei": "49-015420-323751-8"}, "imei"),
]


@pytest.mark.parametrize(("type_name", "listed", "fielded", "field"), LISTED, ids=[t[0] for t in LISTED])
@pytest.mark.parametrize("listed_first", [True, False], ids=["listed-stored", "field-stored"])
def test_an_identifier_listed_among_identifiers_is_compared_as_its_field(graph, org, type_name, listed, fielded,
                                                                         field, listed_first):
    """Another name, nothing else in common: the identifier alone makes the match, whichever side lists it."""
    stored, typed = (listed, fielded) if listed_first else (fielded, listed)
    theirs = records.create_entity(graph, org.agent_nyc, type_name, stored)
    mine = records.create_entity(graph, org.agent_a, type_name, {**typed, "separate_reason": "kept apart to confer"})
    assert [h["owner"]["uid"] for h in mine["hits"]] == [org.agent_nyc.uid]
    hit = graph.query("MATCH (h:DeconflictionHit {new_uid: $u}) RETURN h.explanation_json AS x, h.decision AS d,"
                      " h.existing_uid AS e", {"u": mine["uid"]})
    assert [(r["e"], r["d"]) for r in hit] == [(theirs["uid"], "match")]
    assert {r["field"]: r["level"] for r in json.loads(hit[0]["x"])}[field] == "agree"
