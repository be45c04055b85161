"""A vehicle or aircraft copied with a slip, against a real Neo4j: a VIN that fails its check digit one or
two slips from a stored one, a make written as its NCIC code or with its company's name, a model
written without its hyphen. Each is the same vehicle (`match`) with the description agreeing; the
look-alikes the weights are held for (one plant's serial run, a European VIN without a check digit,
another maker's serial) are not raised with it."""

from __future__ import annotations

import pytest

from ccms_graph.matching import compare as cmp
from ccms_graph.matching import deconflict
from ccms_graph.matching.identifiers import vin_check_digit_ok
from ccms_graph.matching.records import make_key
from tests.factories import record_uid

VIN = "1HGCM82633A004352"  # passes its check digit
VIN_SLIPPED = "1HGCM82633A004362"  # one digit mistyped: fails it
VIN_TWICE_SLIPPED = "1HGCM82633A004537"  # a swap and a digit mistyped: fails it
VIN_NEXT_IN_RUN = "1HGCM82653A004353"  # the next serial, with its own check digit: another car
EUROPEAN_VIN = "WVWZZZ1JZXW000001"  # the ninth character a filler: no check digit to fail
EUROPEAN_NEXT = "WVWZZZ1JZXW000002"


def _decision(graph, type_name, probe, uid):
    graph.query("CALL db.awaitIndexes(60)")
    found = graph.read(lambda tx: deconflict.find(tx, type_name, [probe]))[0]
    return {c["uid"]: c["decision"] for c in found}.get(uid, "no_match")


@pytest.mark.parametrize(("a", "b", "level"), [
    ({VIN}, {VIN_SLIPPED}, "typo_bad_check"),
    ({VIN}, {VIN_TWICE_SLIPPED}, "close_bad_check"),
    ({VIN}, {VIN_NEXT_IN_RUN}, "close"),  # both valid: a serial run
    ({EUROPEAN_VIN}, {EUROPEAN_NEXT}, "typo"),  # no check digit to fail
    ({VIN}, {VIN}, "agree"),
    ({VIN}, {"5YJ3E1EA7KF317000"}, "disagree"),
    ({VIN}, set(), "missing"),
])
def test_compare_vin(a, b, level):
    assert vin_check_digit_ok(VIN) and vin_check_digit_ok(VIN_NEXT_IN_RUN)
    assert not vin_check_digit_ok(VIN_SLIPPED) and not vin_check_digit_ok(VIN_TWICE_SLIPPED)
    assert cmp.compare_vin(a, b) == level
    assert cmp.compare_vin(b, a) == level


def test_a_vin_one_or_two_slips_off_that_fails_its_check_digit_is_a_match_with_make_and_model(graph, org):
    stored = record_uid(graph, org.agent_a, "Vehicle", {"vin": VIN, "make": "Honda", "model": "Accord", "year": 2003,
                                                      "colour": "Silver"})
    assert _decision(graph, "Vehicle", {"vin": VIN_SLIPPED, "make": "Honda", "model": "Accord"}, stored) == "match"
    assert _decision(graph, "Vehicle", {"vin": VIN_TWICE_SLIPPED, "make": "Honda", "model": "Accord"},
                     stored) == "match"
    # The slipped VIN on another make and model is not the stored car.
    assert _decision(graph, "Vehicle", {"vin": VIN_TWICE_SLIPPED, "make": "Tesla", "model": "Model 3"},
                     stored) != "match"


def test_the_next_car_of_a_serial_run_or_a_european_vin_a_slip_off_is_not_raised(graph, org):
    stored = record_uid(graph, org.agent_a, "Vehicle", {"vin": VIN, "make": "Honda", "model": "Accord", "year": 2003,
                                                      "colour": "Silver"})
    european = record_uid(graph, org.agent_a, "Vehicle", {"vin": EUROPEAN_VIN, "make": "Volkswagen", "model": "Golf"})
    probe = {"vin": VIN_NEXT_IN_RUN, "make": "Honda", "model": "Accord", "year": 2003, "colour": "Silver"}
    assert _decision(graph, "Vehicle", probe, stored) == "possible"
    assert _decision(graph, "Vehicle", {"vin": EUROPEAN_NEXT, "make": "VW", "model": "Golf"}, european) == "possible"
    # ...while a slip of the stored VIN, with the same description, is a match.
    assert _decision(graph, "Vehicle", {**probe, "vin": VIN_TWICE_SLIPPED}, stored) == "match"


@pytest.mark.parametrize(("make", "model"), [("TOYT", "Camry"), ("Toyota Motor Corp", "Camry")])
def test_a_make_written_as_its_ncic_code_or_company_name_is_a_match_on_the_plate(graph, org, make, model):
    stored = record_uid(graph, org.agent_a, "Vehicle", {"plate": "KXT4471", "plate_state": "TX", "make": "Toyota",
                                                      "model": "Camry", "year": 2014})
    probe = {"plate": "KXT4471", "plate_state": "TX", "make": make, "model": model, "year": 2014}
    assert _decision(graph, "Vehicle", probe, stored) == "match"


def test_a_model_written_without_its_hyphen_is_a_match_on_the_plate(graph, org):
    stored = record_uid(graph, org.agent_a, "Vehicle", {"plate": "KXT4471", "plate_state": "TX", "make": "Ford",
                                                      "model": "F-150"})
    assert _decision(graph, "Vehicle", {"plate": "KXT4471", "plate_state": "TX", "make": "Ford", "model": "F150"},
                     stored) == "match"
    # Another model is still another model.
    assert _decision(graph, "Vehicle", {"plate": "KXT4471", "plate_state": "TX", "make": "Ford", "model": "F-250"},
                     stored) != "match"


def test_a_re_registered_aircraft_whose_make_names_the_company_is_a_match_on_its_serial(graph, org):
    stored = record_uid(graph, org.agent_a, "Aircraft", {"tail_number": "N4471K", "make": "Piper",
                                                       "model": "PA-28-181", "serial_number": "28-7316"})
    probe = {"tail_number": "N93TX", "make": "Piper Aircraft", "model": "PA-28-181", "serial_number": "28-7316"}
    assert _decision(graph, "Aircraft", probe, stored) == "match"
    # Another maker's aircraft of that serial is not, nor is "Textron Aviation" made a Piper.
    assert _decision(graph, "Aircraft", {**probe, "make": "Cirrus Aircraft", "model": "SR22"}, stored) != "match"
    assert make_key("Textron Aviation") == "textron"
    assert make_key("Beech") == make_key("Beechcraft") == "beechcraft"


def test_a_plate_with_its_state_left_off_is_a_match_with_the_make_and_model(graph, org):
    stored = record_uid(graph, org.agent_a, "Vehicle", {"plate": "KXT4471", "plate_state": "TX", "make": "Toyota",
                                                      "model": "Camry"})
    assert _decision(graph, "Vehicle", {"plate": "KXT4471", "make": "Toyota", "model": "Camry"}, stored) == "match"
    # The same string on another make and model is another state's plate, or a reissued one.
    assert _decision(graph, "Vehicle", {"plate": "KXT4471", "make": "Ford", "model": "F-150"}, stored) != "match"
