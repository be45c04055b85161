"""An address known without a street ("Hialeah, FL", a postcode): kept as the record's own place, never
refused or dropped, weighed by deconfliction, and shared with no one (a town links no one to anyone)."""

from __future__ import annotations

import json

import pytest

from ccms_graph.errors import NotFound, ValidationFailed
from ccms_graph.logic.casework.cases import create_case
from ccms_graph.logic.entities import access, imports, records, search
from ccms_graph.logic.identity.resolution import NeedsDecision

_PLACES = """
MATCH (n:SubjectRecord {uid: $uid})-[:RESIDES_AT|LOCATED_AT {status: 'active'}]->(a:Address)
RETURN a.line1 AS line1, a.city AS city, a.state AS state, a.postcode AS postcode, a.key STARTS WITH 'place|' AS place
ORDER BY a.city
"""


def _places(graph, uid: str) -> list[dict]:
    return graph.query(_PLACES, {"uid": uid})


def test_a_town_alone_is_kept_on_create_and_edit_once_and_shown_with_the_record(graph, org):
    made = records.create_entity(graph, org.agent_a, "Person", {
        "given_name": "Ana", "family_name": "Place", "addresses": [{"city": "Hialeah", "state": "FL"}]})
    assert _places(graph, made["uid"]) == [
        {"line1": None, "city": "Hialeah", "state": "FL", "postcode": None, "place": True}]
    seen = access.view_record(graph, org.agent_a, made["uid"], with_links=True)
    assert "Hialeah, FL" in json.dumps(seen)  # the record page shows where the subject lives

    for _ in range(2):  # the same place given again is the same place, not a second one
        records.update_entity(graph, org.agent_a, made["uid"], {"addresses": [{"city": "Hialeah", "state": "FL"}]})
    records.update_entity(graph, org.agent_a, made["uid"], {"addresses": [{"postcode": "33010"}]})
    assert [(p["city"], p["postcode"]) for p in _places(graph, made["uid"])] == [("Hialeah", None), (None, "33010")]


def test_an_address_naming_neither_street_town_nor_postcode_is_refused_naming_it_and_nothing_is_written(graph, org):
    with pytest.raises(ValidationFailed) as refused:
        records.create_entity(graph, org.agent_a, "Person", {"given_name": "Ana", "addresses": [{"state": "FL"}]})
    assert refused.value.errors == {"addresses": {0: ["an address needs a street line (line1), a city or a postcode"]}}
    assert graph.query("MATCH (n) WHERE n:Person OR n:Address RETURN count(n) AS n") == [{"n": 0}]


def test_two_people_of_one_town_share_no_address_and_are_not_linked_through_it(graph, org):
    a = records.create_entity(graph, org.agent_a, "Person", {"given_name": "Ana", "family_name": "Uno",
                                                             "addresses": [{"city": "Hialeah", "state": "FL"}]})
    b = records.create_entity(graph, org.agent_nyc, "Person", {"given_name": "Rui", "family_name": "Dos",
                                                               "addresses": [{"city": "Hialeah", "state": "FL"}]})
    assert graph.query("MATCH (:Person {uid: $a})-[:RESIDES_AT]->(x)<-[:RESIDES_AT]-(:Person {uid: $b}) "
                       "RETURN count(x) AS n", {"a": a["uid"], "b": b["uid"]}) == [{"n": 0}]
    near = access.neighbours(graph, org.auditor, a["uid"])
    assert b["uid"] not in json.dumps(near)


def test_a_shared_town_counts_as_evidence_in_deconfliction_and_is_explained(graph, org):
    case = create_case(graph, org.agent_b, {"title": "Operation Town"})
    stored = records.create_entity(graph, org.agent_b, "Person", {
        "given_name": "Marisol", "family_name": "Quintero", "dob": "1979-03-02",
        "addresses": [{"city": "Hialeah", "state": "FL"}]}, case_uid=case["uid"])
    with pytest.raises(NeedsDecision) as asked:  # a match: a sub-record, or a reason to keep it apart
        records.create_entity(graph, org.agent_a, "Person", {
            "given_name": "Marisol", "family_name": "Quintero", "dob": "1979-03-02",
            "addresses": [{"line1": "12 Palm Ave", "city": "Hialeah", "state": "FL"}]})
    (hit,) = [h for h in asked.value.extra["matches"] if h["uid"] == stored["uid"]]
    rows = {r["field"]: r for r in hit["explanation"]}
    assert rows["addresses"]["level"] == "same_area" and rows["addresses"]["weight"] > 0


def test_an_import_keeps_a_town_or_a_postcode_column_as_the_lines_place(graph, org):
    lines = [json.dumps({"ref": "T1", "first_name": "Ana", "surname": "Lima", "city": "Lonon"}),
             json.dumps({"ref": "T2", "first_name": "Eva", "surname": "Lima", "postcode": "TN12 9AL"})]
    out = imports.import_jsonl(graph, org.agent_a, "Person", lines)
    assert out["created"] == 2 and out["warnings"] == [] and out["refused"] == []
    got = graph.query("MATCH (n:Person)-[:RESIDES_AT]->(a:Address) RETURN n.source_ref AS ref, a.city AS city, "
                      "a.postcode AS postcode ORDER BY ref")
    assert got == [{"ref": "T1", "city": "Lonon", "postcode": None}, {"ref": "T2", "city": None, "postcode": "TN12 9AL"}]


def test_a_hidden_records_place_is_found_by_no_one_else(graph, org):
    case = create_case(graph, org.agent_nyc, {"title": "Operation Quiet", "restricted": True})
    hidden = records.create_entity(graph, org.agent_nyc, "Person", {
        "given_name": "Oskar", "family_name": "Vale", "addresses": [{"city": "Kalamazoo", "state": "MI"}]},
        case_uid=case["uid"])
    (place,) = graph.query("MATCH (:Person {uid: $u})-[:RESIDES_AT]->(a:Address) RETURN a.uid AS uid",
                           {"u": hidden["uid"]})
    found = search.search(graph, org.agent_a, {"text": "Kalamazoo"})
    assert (found["total"], found["groups"], found["contacts"]) == (0, [], [])
    with pytest.raises(NotFound):
        access.view_record(graph, org.agent_a, place["uid"])
    seen = search.search(graph, org.auditor, {"text": "Kalamazoo"})  # it is searchable, by those who may
    assert hidden["uid"] in [h["uid"] for g in seen["groups"] for h in g["hits"]]


def test_an_imported_address_cell_holding_only_a_town_and_state_is_each_lines_own_place(graph, org):
    """It was one street address "Miami, FL" that every such line shared: the whole town linked as a household."""
    lines = [json.dumps({"ref": f"C{i}", "given_name": name, "family_name": "Roca", "address": "Miami, FL"})
             for i, name in enumerate(("Ana", "Eva"))]
    assert imports.import_jsonl(graph, org.agent_a, "Person", lines)["created"] == 2
    got = graph.query("MATCH (n:Person)-[:RESIDES_AT]->(a:Address) RETURN n.source_ref AS ref, a.line1 AS line1, "
                      "a.city AS city, a.state AS state, a.uid AS node ORDER BY ref")
    assert [(r["line1"], r["city"], r["state"]) for r in got] == [(None, "Miami", "FL")] * 2
    assert got[0]["node"] != got[1]["node"]
