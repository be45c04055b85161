"""Candidates for vehicles, vessels, aircraft and things by the evidence their copies keep: identifiers
two edits apart ("d2" keys), the model of a re-plated or re-registered one, a vessel's name
one or two slips apart, a thing's description. Stored through the app, found through the `match_keys` index of a real Neo4j."""

from __future__ import annotations

import pytest

from ccms_graph.matching import blocking, deconflict
from tests.factories import record_uid
from tests.logic.location.plans import operators

VIN = "1HGCM82633A004352"
#: One character typed wrong in the first eleven and two swapped in the last six: two edits, which
#: neither the one-edit "dl" keys nor the intact "vinhead" / "vintail" keys meet.
VIN_TWICE_SLIPPED = "1HGXM82633A004532"
#: Three edits: one more typo in the last six (two in the last eight, the serial part, one before).
VIN_THRICE_SLIPPED = "1HGXM82633A084532"


def _d2(keys):
    return {k for k in keys if ":d2:" in k}


def test_two_edit_keys_meet_for_two_edits_in_a_vins_serial_part_and_not_for_another_vin():
    stored = _d2(blocking.stored_keys("Vehicle", {"vin": VIN}))
    assert _d2(blocking.query_keys("Vehicle", {"vin": VIN_TWICE_SLIPPED})) & stored
    assert _d2(blocking.query_keys("Vehicle", {"vin": VIN_THRICE_SLIPPED})) & stored
    assert not _d2(blocking.query_keys("Vehicle", {"vin": "5YJ3E1EA7KF317000"})) & stored
    # No one-edit key meets the twice-slipped VIN: the d2 keys are what finds it.
    dl = {k for k in blocking.stored_keys("Vehicle", {"vin": VIN}) if ":dl:" in k}
    assert not dl & set(blocking.query_keys("Vehicle", {"vin": VIN_TWICE_SLIPPED}))


@pytest.mark.parametrize(("kind", "value", "slipped", "other"), [
    ("plate", "ABC1234", "ACB1284", "XYZ9876"),  # a transposition and a typo
    ("hin", "ABC12345D404", "ABC12354D414", "XYZ98765K517"),
])
def test_two_edit_keys_of_plates_and_hull_ids(kind, value, slipped, other):
    key = f"{kind}:{value}"
    assert set(blocking.two_edit_keys([key])) & set(blocking.two_edit_keys([f"{kind}:{slipped}"]))
    assert not set(blocking.two_edit_keys([key])) & set(blocking.two_edit_keys([f"{kind}:{other}"]))
    # Another kind's equal value never meets (keys carry the kind).
    assert not set(blocking.two_edit_keys([key])) & set(blocking.two_edit_keys([f"serial:{value}"]))


def test_short_or_digit_only_identifiers_get_no_two_edit_keys():
    """Four characters left of six are shared by thousands of plates and tail numbers; two deletions
    from an MMSI or a documentation number leave too few random digits."""
    assert blocking.two_edit_keys(["n_number:N123AB", "plate:ABC123", "phone:+13055550100", "mmsi:366123456",
                                   "documentation_number:1234567"]) == []


def test_person_and_business_keys_are_not_changed():
    person = {"given_name": "Ana", "family_name": "Lopez", "ssn": "219-09-9999", "dob": "1980-01-02"}
    assert not [k for k in blocking.stored_keys("Person", person) if ":d2:" in k or ":vm" in k]
    assert not [k for k in blocking.query_keys("Business", {"name": "Acme", "ein": "12-3456789"}) if ":d2:" in k]


def _candidates(graph, type_name, probe):
    graph.query("CALL db.awaitIndexes(60)")
    found = graph.read(lambda tx: deconflict.gather(tx, type_name, [probe]))[0]
    return {c["uid"] for c in found}


def test_a_vin_slipped_twice_or_thrice_is_a_candidate(graph, org):
    stored = record_uid(graph, org.agent_a, "Vehicle", {"vin": VIN, "make": "Honda", "model": "Accord", "year": 2003})
    other = record_uid(graph, org.agent_a, "Vehicle", {"vin": "5YJ3E1EA7KF317000", "make": "Honda", "model": "Civic",
                                                      "year": 2019})
    for vin in (VIN_TWICE_SLIPPED, VIN_THRICE_SLIPPED):
        found = _candidates(graph, "Vehicle", {"vin": vin, "make": "Tesla"})
        assert stored in found and other not in found


def test_a_replated_vehicle_without_its_vin_is_found_by_its_model(graph, org):
    stored = record_uid(graph, org.agent_a, "Vehicle", {"vin": VIN, "make": "Dodge", "model": "Ram 1500", "year": 2012})
    other = record_uid(graph, org.agent_a, "Vehicle", {"plate": "QRS4321", "plate_state": "TX", "make": "Dodge",
                                                      "model": "Charger", "year": 2012})
    # New plate, no VIN, no year, the make as NCIC writes it and the model run together.
    found = _candidates(graph, "Vehicle", {"plate": "ZZT9001", "plate_state": "FL", "make": "DODG", "model": "RAM1500"})
    assert stored in found and other not in found
    # With a year, the model is asked with the year (either side): the same record, still not the other.
    found = _candidates(graph, "Vehicle", {"plate": "ZZT9001", "make": "Dodge", "model": "Ram-1500", "year": 2013})
    assert stored in found and other not in found


def test_a_vessel_with_a_twice_slipped_hull_id_or_a_slipped_name_is_a_candidate(graph, org):
    stored = record_uid(graph, org.agent_a, "Vessel", {"name": "Caribbean Queen", "hull_id": "ABC12345D404",
                                                     "kind": "fishing"})
    other = record_uid(graph, org.agent_a, "Vessel", {"name": "Lucky Strike", "hull_id": "XYZ98765K517",
                                                    "kind": "fishing"})
    found = _candidates(graph, "Vessel", {"name": "Osprey", "hull_id": "ABC12354D414"})
    assert stored in found and other not in found
    slipped = {"name": "F/V Caribbean Queem"}  # a prefix and a slip that changes its Metaphone key
    assert not set(blocking.stored_keys("Vessel", {"name": "Caribbean Queen"})) & {
        k for k in blocking.query_keys("Vessel", slipped) if ":vn:" not in k}
    found = _candidates(graph, "Vessel", slipped)
    assert stored in found and other not in found


def test_a_reregistered_aircraft_under_its_makers_other_name_is_found_by_its_model(graph, org):
    stored = record_uid(graph, org.agent_a, "Aircraft", {"tail_number": "N512CA", "make": "Cessna", "model": "172S",
                                                       "icao24": "a6b1c2"})
    other = record_uid(graph, org.agent_a, "Aircraft", {"tail_number": "N733PX", "make": "Cessna", "model": "208B"})
    found = _candidates(graph, "Aircraft", {"tail_number": "N98213", "make": "Textron Aviation", "model": "172S"})
    assert stored in found and other not in found


_STALE = "MATCH (n:SubjectRecord {uid: $uid}) SET n.match_keys = 'Vehicle:stale'"


def test_recompute_keys_gives_stored_vehicles_the_two_edit_keys(graph, org):
    stored = record_uid(graph, org.agent_a, "Vehicle", {"vin": VIN, "make": "Honda", "model": "Accord"})
    graph.query(_STALE, {"uid": stored}, write=True)  # as if stored before the d2 keys existed
    assert stored not in _candidates(graph, "Vehicle", {"vin": VIN_TWICE_SLIPPED, "make": "Tesla"})

    assert blocking.recompute_keys(graph, type_name="Vehicle") == 1

    assert stored in _candidates(graph, "Vehicle", {"vin": VIN_TWICE_SLIPPED, "make": "Tesla"})


@pytest.mark.parametrize("type_name", ["Vehicle", "Vessel", "Aircraft", "Thing"])
def test_the_candidate_query_reads_no_whole_label(graph, org, type_name):
    probe = {"Vehicle": {"vin": VIN_TWICE_SLIPPED, "model": "Accord"}, "Vessel": {"name": "Sea Breeze",
             "hull_id": "ABC12345D404"}, "Aircraft": {"tail_number": "N512CA", "model": "172S"},
             "Thing": {"description": "Glock 19 pistol", "serial": "NOG914840"}}[type_name]
    stmt = blocking.candidate_statement(type_name)
    params = blocking.candidate_parameters([blocking.probe(type_name, probe)])
    plan = graph.read(lambda tx: tx.run("EXPLAIN " + stmt, params).consume().plan)
    ops = operators(plan)
    assert not [o for o, _ in ops if o in ("AllNodesScan", "NodeByLabelScan")]
    assert [d for o, d in ops if o == "ProcedureCall" and "fulltext" in d]


def test_a_vessels_name_slipped_twice_is_a_candidate(graph, org):
    """Two slips in a name (a transposition and a dropped letter), e.g. one on each of two copies:
    the one-deletion keys no longer meet and the Metaphone key changed with the dropped consonant."""
    stored = record_uid(graph, org.agent_a, "Vessel", {"name": "Southern Star", "kind": "fishing"})
    other = record_uid(graph, org.agent_a, "Vessel", {"name": "Southern Cross", "kind": "fishing"})
    found = _candidates(graph, "Vessel", {"name": "F/V Southren Sar"})
    assert stored in found and other not in found
    # Short names keep one-deletion keys only: two deletions from six letters meet other short names.
    assert not set(blocking.query_keys("Vessel", {"name": "Marlin"})) & set(blocking.stored_keys(
        "Vessel", {"name": "Martina"}))


GLOCK = {"category": "firearm", "description": "Glock 19 9mm pistol", "serial": "NGO914849"}


@pytest.mark.parametrize(("stored", "asked", "meet"), [
    ("Colt AR-15 5.56 rifle", "colt 5.56 rifle", True),  # a word dropped as written ("AR-15" is one)
    ("Smith & Wesson M&P15 rifle", "Smith Wesson rifle", True),  # "&" is no word
    ("Ruger LCP .380 pistol", "RUGER LCP 380 PISTOL", True),
    ("Glock 19 9mm pistol", "Glock 17 9mm pistol", True),  # one word replaced: alike, ranked below the same
    ("Glock 19 9mm pistol", "Sig Sauer P365 9mm pistol", False),
    ("Samsung Galaxy", "Samsung", False),  # a single word left is no key
])
def test_description_keys_meet_one_word_apart(stored, asked, meet):
    assert bool(blocking.description_keys(stored) & blocking.description_keys(asked)) is meet


def test_a_thing_whose_serial_was_left_off_is_found_by_its_description(graph, org):
    stored = record_uid(graph, org.agent_a, "Thing", GLOCK)
    other = record_uid(graph, org.agent_a, "Thing", {"category": "firearm", "description": "Mossberg 500 shotgun",
                                                  "serial": "KHF972147"})
    # The same words in another case, a word dropped, no category: no key of the old set.
    for probe in ({"description": "GLOCK 19 9MM PISTOL"}, {"description": "Glock 19 pistol"},
                  {"description": "glock 19 9mm pistol", "category": "other"}):
        found = _candidates(graph, "Thing", probe)
        assert stored in found and other not in found, probe


def test_a_things_category_does_not_fill_its_candidates(graph, org):
    """A category is a third of all things: a probe with a description or an identifier no longer asks
    it, so another firearm sharing nothing else is not a candidate (it took a seat before)."""
    stored = record_uid(graph, org.agent_a, "Thing", GLOCK)
    others = [record_uid(graph, org.agent_a, "Thing", {"category": "firearm", "description": d, "serial": s})
              for d, s in (("Mossberg 500 shotgun", "KHF972147"), ("Colt AR-15 5.56 rifle", "RJN740307"))]
    found = _candidates(graph, "Thing", {"category": "firearm", "description": "Glock 19 pistol"})
    assert stored in found and not found & set(others)
    # A probe with nothing but its category still asks it.
    assert stored in _candidates(graph, "Thing", {"category": "Firearm"})


def test_a_things_serial_slipped_twice_is_a_candidate(graph, org):
    stored = record_uid(graph, org.agent_a, "Thing", GLOCK)
    # A transposition and a typo, no description or category to meet on.
    assert stored in _candidates(graph, "Thing", {"serial": "NOG914840"})


def test_recompute_keys_gives_stored_things_the_description_keys(graph, org):
    stored = record_uid(graph, org.agent_a, "Thing", GLOCK)
    graph.query("MATCH (n:SubjectRecord {uid: $uid}) SET n.match_keys = 'Thing:stale'", {"uid": stored}, write=True)
    assert stored not in _candidates(graph, "Thing", {"description": "Glock 19 pistol"})

    assert blocking.recompute_keys(graph, type_name="Thing") == 1

    assert stored in _candidates(graph, "Thing", {"description": "Glock 19 pistol"})
