"""A vehicle's VIN or a boat's hull id two slips off its stored copy's: deconfliction against a real
Neo4j raises it for a clerk (`possible`) when the make and model (the name) agree; three slips, or a
number of digits only, do not."""

from __future__ import annotations

from ccms_graph.matching import deconflict
from tests.factories import record_uid

VIN = "1HGCM82633A004352"


def _decisions(graph, type_name, probe):
    graph.query("CALL db.awaitIndexes(60)")
    found = graph.read(lambda tx: deconflict.find(tx, type_name, [probe]))[0]
    return {c["uid"]: c["decision"] for c in found}


def test_a_vin_two_slips_off_is_possible_and_three_slips_off_is_not(graph, org):
    accord = {"make": "Honda", "model": "Accord", "year": 2003}
    stored = record_uid(graph, org.agent_a, "Vehicle", {"vin": VIN, **accord})
    assert _decisions(graph, "Vehicle", {"vin": "1HGXM82633A004532", **accord}).get(stored) == "possible"
    assert _decisions(graph, "Vehicle", {"vin": "1HGXM82633A084532", **accord}).get(stored, "no_match") == "no_match"


def test_a_hull_id_two_slips_off_under_the_same_name_is_possible(graph, org):
    boat = {"name": "Caribbean Queen", "kind": "fishing"}
    stored = record_uid(graph, org.agent_a, "Vessel", {"hull_id": "ABC12345D404", **boat})
    assert _decisions(graph, "Vessel", {"hull_id": "ABC12354D414", **boat}).get(stored) == "possible"


def test_a_plate_of_digits_only_two_slips_off_stays_a_disagreement(graph, org):
    accord = {"make": "Honda", "model": "Accord", "year": 2003}
    stored = record_uid(graph, org.agent_a, "Vehicle", {"plate": "1234567", "plate_state": "TX", **accord})
    found = graph.read(lambda tx: deconflict.find(tx, "Vehicle", [{"plate": "1243568", "plate_state": "TX",
                                                                   **accord}]))[0]
    plate = [row for c in found if c["uid"] == stored for row in c["explanation"] if row["field"] == "plate"]
    assert plate and all(row["level"] == "disagree" for row in plate)
