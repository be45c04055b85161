"""Identifiers against each other, deconflicted against a real Neo4j: an identifier that is re-issued
(an N-number, an MMSI) decides nothing alone where an identifier issued once for life (the airframe's
serial, the IMO number) names another craft: such a pair is `possible`, for a person to judge, not a
`match`; a vessel keeps its documentation number through a new name and flag; one slip in an MMSI
beside the same name and flag is a `match`, while a sister ship numbered apart stays for a clerk to
judge; an airframe registered under its maker's group ("Textron Aviation") and under its brand
("Cessna") is one airframe by its serial."""

from __future__ import annotations

from ccms_graph.matching import deconflict
from tests.factories import record_uid


def _candidate(graph, type_name, probe, uid):
    graph.query("CALL db.awaitIndexes(60)")
    found = graph.read(lambda tx: deconflict.find(tx, type_name, [probe]))[0]
    return next((c for c in found if c["uid"] == uid), {"decision": "no_match", "decisive": []})


def test_an_n_number_re_issued_to_another_airframe_is_left_to_a_clerk(graph, org):
    stored = record_uid(graph, org.agent_a, "Aircraft",
                     {"tail_number": "N512AB", "serial_number": "208B1234", "make": "Cessna", "model": "208B"})
    other_airframe = _candidate(graph, "Aircraft", {"tail_number": "N512AB", "serial_number": "31-7552",
                                                    "make": "Piper", "model": "PA-31"}, stored)
    assert other_airframe["decision"] == "possible" and other_airframe["decisive"] == []
    # Re-registered: the same airframe under a new N-number is still decided by its serial.
    reregistered = _candidate(graph, "Aircraft", {"tail_number": "N77QX", "serial_number": "208B1234",
                                                  "make": "Cessna", "model": "208B"}, stored)
    assert reregistered["decision"] == "match" and reregistered["decisive"] == ["serial"]
    # The same N-number with nothing to contradict it is decisive, as before.
    same_tail = _candidate(graph, "Aircraft", {"tail_number": "N512AB", "make": "Cessna"}, stored)
    assert same_tail["decision"] == "match" and same_tail["decisive"] == ["n_number"]


def test_an_mmsi_reassigned_to_a_hull_with_another_imo_number_is_left_to_a_clerk(graph, org):
    stored = record_uid(graph, org.agent_a, "Vessel",
                     {"name": "Gulf Trader", "imo": "9074729", "mmsi": "366123450", "flag": "US", "kind": "cargo"})
    other_hull = _candidate(graph, "Vessel", {"name": "Atlantic Pearl", "imo": "9176187", "mmsi": "366123450",
                                              "flag": "US", "kind": "cargo"}, stored)
    assert other_hull["decision"] == "possible" and other_hull["decisive"] == []
    same_hull = _candidate(graph, "Vessel", {"name": "Gulf Star", "imo": "9074729", "mmsi": "366123450"}, stored)
    assert same_hull["decision"] == "match" and same_hull["decisive"] == ["imo", "mmsi"]


def test_a_vessel_renamed_and_reflagged_keeps_its_documentation_number(graph, org):
    stored = record_uid(graph, org.agent_a, "Vessel",
                     {"name": "Miss Kathleen", "documentation_number": "1234567", "flag": "US", "kind": "fishing"})
    renamed = _candidate(graph, "Vessel", {"name": "Ocean Harvest", "documentation_number": "1234567",
                                           "flag": "PA"}, stored)
    assert renamed["decision"] == "match"
    other = _candidate(graph, "Vessel", {"name": "Ocean Harvest", "documentation_number": "7654321",
                                         "flag": "PA"}, stored)
    assert other["decision"] == "no_match"


def test_an_mmsi_one_slip_off_is_a_match_under_the_same_name_and_flag_and_not_for_a_sister_ship(graph, org):
    stored = record_uid(graph, org.agent_a, "Vessel",
                     {"name": "Sea Breeze 2", "mmsi": "366123452", "flag": "US", "kind": "fishing"})
    copy = _candidate(graph, "Vessel", {"name": "Sea Breeze 2", "mmsi": "366123425", "flag": "US"}, stored)
    assert copy["decision"] == "match"
    sister = _candidate(graph, "Vessel", {"name": "Sea Breeze 3", "mmsi": "366123453", "flag": "US",
                                          "kind": "fishing"}, stored)
    assert sister["decision"] == "possible"
    name = next(row for row in sister["explanation"] if row["field"] == "name")
    assert name["level"] == "close"


def test_an_airframe_under_its_makers_group_and_under_its_brand_is_one_by_its_serial(graph, org):
    stored = record_uid(graph, org.agent_a, "Aircraft",
                     {"tail_number": "N1385", "serial_number": "208B1543", "make": "Cessna", "model": "208B"})
    group = _candidate(graph, "Aircraft", {"serial_number": "208B1543", "make": "Textron Aviation", "model": "208B"},
                       stored)
    assert group["decision"] == "match" and group["decisive"] == ["serial"]
    make = next(row for row in group["explanation"] if row["field"] == "make")
    assert make["level"] == "missing"
    # Another maker with the same serial is still another airframe's number.
    other = _candidate(graph, "Aircraft", {"serial_number": "208B1543", "make": "Piper", "model": "PA-31"}, stored)
    assert other["decision"] != "match"
