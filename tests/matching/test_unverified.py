"""Unverified identifiers of types other than Person (kept by an import though they failed their checks):
keyed and compared under their own kind, never an exact identifier, never decisive."""

from __future__ import annotations

import pytest

from ccms_graph.matching import blocking, compare, features, model, records
from ccms_graph.matching.identifiers import unverified_key

VIN = "1HGCM82633A004352"


def _unverified(kind: str, value: str, **fields) -> dict:
    return {"identifiers": [{"type": f"{kind}_unverified", "value": value}], **fields}


@pytest.mark.parametrize(("kind", "value", "key"), [
    ("vin", "1hgcm-82633-a00435", "vin:1HGCM82633A00435"),
    ("vin", "1HGCM8263QA00435", "vin:1HGCM82630A00435"),  # a letter VINs never hold, read as the digit meant
    ("imei", "49-015420-323751-7", "imei:490154203237517"),
    ("imo", "IMO 9074728", "imo:9074728"),
    ("hin", "ABC12345D40", "hin:ABC12345D40"),
    ("icao24", "A0B1C", "icao24:a0b1c"),
])
def test_an_unverified_value_is_keyed_under_its_own_kind(kind, value, key):
    assert unverified_key(f"{kind}_unverified", value) == key
    assert unverified_key(kind, value) is None and unverified_key(f"{kind}_unverified", "--") is None


def test_an_unverified_vin_is_never_an_exact_identifier_key_but_meets_the_valid_one_by_evidence_keys():
    short = _unverified("vin", VIN[:-1])
    assert features.identifier_keys("Vehicle", short) == []
    assert f"dl:vin:{VIN[:-1]}" in features.blocking_keys("Vehicle", {"vin": VIN})
    assert set(blocking.query_keys("Vehicle", short)) & set(blocking.stored_keys("Vehicle", {"vin": VIN}))
    two_off = _unverified("vin", VIN[:-2] + "9")  # one lost, one mistyped
    assert {k for k in blocking.query_keys("Vehicle", two_off) if ":d2:" in k} & set(
        blocking.stored_keys("Vehicle", {"vin": VIN}))


@pytest.mark.parametrize(("type_name", "kept", "valid", "level"), [
    ("Vehicle", _unverified("vin", VIN[:-1]), {"vin": VIN}, "typo"),
    ("Vehicle", _unverified("vin", VIN[:-2]), {"vin": VIN}, "close"),
    ("Thing", _unverified("imei", "490154203237517"), {"imei": "490154203237518"}, "typo"),
    ("Vessel", _unverified("imo", "9074728"), {"imo": "9074729"}, "typo"),
    ("Business", _unverified("ein", "12345678"), {"ein": "123456789"}, "typo"),
])
def test_an_unverified_value_slipped_from_a_valid_one_counts_as_a_slip_never_as_decisive(type_name, kept, valid,
                                                                                        level):
    for a, b in ((kept, valid), (valid, kept)):
        scored = model.score(type_name, a, b)
        rows = {r["field"]: r for r in scored["explanation"]}
        assert rows["unverified"]["level"] == level and rows["unverified"]["weight"] > 0
        assert scored["decisive"] == []


@pytest.mark.parametrize("type_name", ["Business", "Vehicle", "Vessel", "Aircraft", "Thing"])
def test_two_records_sharing_only_an_unverified_identifier_are_not_a_match(type_name):
    kind = {"Business": "ein", "Vehicle": "vin", "Vessel": "hin", "Aircraft": "icao24", "Thing": "imei"}[type_name]
    a = _unverified(kind, "ABC12345D40" if kind == "hin" else "12345")
    scored = model.score(type_name, a, dict(a))
    assert {r["field"]: r["level"] for r in scored["explanation"]}["unverified"] == "agree"
    assert scored["decisive"] == [] and scored["decision"] == model.POSSIBLE


def test_another_unverified_value_is_not_held_against_the_pair():
    assert compare.compare_unverified({"vin:AAAAAAAAAAAAAAAA"}, set(), set(), {f"vin:{VIN}"}) == "disagree"
    assert model.WEIGHTS["Vehicle"]["unverified"]["disagree"] == 0.0
    assert compare.compare_unverified(set(), {f"vin:{VIN}"}, set(), {f"vin:{VIN}"}) == compare.MISSING


def test_a_person_keeps_its_unverified_identifiers_among_its_other_identifiers():
    view = records.person_view({"given_name": "Ann", "identifiers": [{"type": "ssn_unverified", "value": "5304218"}]})
    assert view.other_ids == {"ssn_unverified:5304218"} and features.unverified_keys("Person", view) == []


def test_a_persons_unverified_email_is_compared_with_the_other_records_addresses():
    kept = records.person_view({"given_name": "Ann", "identifiers": [{"type": "email_unverified",
                                                                      "value": "Ann.Lee @examplecom"}]})
    valid = records.person_view({"given_name": "Ann", "emails": ["ann.lee@example.com"]})
    assert kept.emails == {"ann.lee@examplecom"} and kept.other_ids == set()
    assert compare.compare_emails(kept.emails, valid.emails) == "typo"
    assert compare.compare_emails(kept.emails, {"bob.ray@example.org"}) == "disagree"
