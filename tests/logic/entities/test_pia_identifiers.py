"""PIA §2.1 identifiers: a pilot's licence on Person (with its issuing authority) is an identifier that
deconflicts; SAR and CTR references on documents are validated BSA IDs, stored normalised."""

from __future__ import annotations

import pytest

from ccms_graph.errors import ValidationFailed
from ccms_graph.logic.casework import documents
from ccms_graph.logic.casework.cases import create_case
from ccms_graph.logic.entities import records
from tests.factories import make_person, stored_record


def test_a_pilot_licence_is_an_identifier_that_deconflicts(graph, org):
    first = make_person(graph, org.agent_a, given_name="Jon", family_name="Pike", pilot_license="3456789",
                        pilot_license_authority="FAA")
    assert graph.query("MATCH (:Person {uid: $u})-[:HAS_IDENTIFIER]->(i:Identifier) RETURN i.key AS key",
                       {"u": first["uid"]}) == [{"key": "pilot_license:3456789"}]
    # Only the licence ties the two: another name entirely.
    second = records.create_entity(graph, org.agent_b, "Person",
                                   {"given_name": "Jonathan", "family_name": "Pyke", "pilot_license": "345-6789",
                                    "pilot_license_authority": "FAA", "separate_reason": "to see the hit"})
    (hit,) = second["hits"]
    assert hit["uid"] == first["uid"]
    (row,) = [r for r in hit["explanation"] if r["field"] == "other_ids"]
    assert row["level"] == "agree"


def test_a_pilot_licence_alone_identifies_a_person_and_a_bad_one_names_its_field(graph, org):
    p = records.create_entity(graph, org.agent_a, "Person", {"pilot_license": "A1234567",
                                                             "pilot_license_authority": "Transport Canada"})
    assert stored_record(graph, p["uid"])["props"]["pilot_license_authority"] == "Transport Canada"
    with pytest.raises(ValidationFailed) as exc:
        make_person(graph, org.agent_a, pilot_license="12")
    assert "pilot_license" in exc.value.errors and "4 to 14" in exc.value.errors["pilot_license"][0]


def test_sar_and_ctr_references_are_validated_and_stored_normalised(graph, org):
    case = create_case(graph, org.agent_a, {"title": "Operation Ledger"})
    doc = documents.create_document(graph, org.agent_a, case["uid"], "SeizureReport",
                                    {"title": "Cash seizure", "sar_references": ["3100-0123-4567-89"],
                                     "ctr_references": ["31000987654321"]})
    assert doc["props"]["sar_references"] == ["31000123456789"]
    assert doc["props"]["ctr_references"] == ["31000987654321"]
    with pytest.raises(ValidationFailed) as exc:
        documents.create_document(graph, org.agent_a, case["uid"], "ReportOfInvestigation",
                                  {"title": "ROI", "ctr_references": ["31000987654321", "CTR-12"]})
    assert exc.value.errors == {"ctr_references": {1: ["'CTR-12' is not valid: a CTR's BSA ID is 14 digits"]}}
