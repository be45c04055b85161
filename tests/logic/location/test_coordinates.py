"""Coordinates: a latitude/longitude pair checked field by field, and kept as a `location` point."""

from __future__ import annotations

import math

import pytest

from ccms_graph.errors import ValidationFailed
from ccms_graph.logic.casework import documents
from ccms_graph.logic.casework.cases import create_case
from ccms_graph.logic.location import coordinates
from tests.factories import make_person


@pytest.mark.parametrize("lat, lon, field, words", [
    (91, 0, "latitude", "outside -90 to 90"),
    (0, -180.5, "longitude", "outside -180 to 180"),
    ("25.12345678", "-80.1", "latitude", "8 decimal places"),
    (25.1, -80.123456789, "longitude", "9 decimal places"),
    (math.nan, 1, "latitude", "not a finite number"),
    (1, math.inf, "longitude", "not a finite number"),
    ("north", 1, "latitude", "not a number"),
    (True, 1, "latitude", "not a number"),
    (25.1, None, "longitude", "together with latitude"),
    ("", "-80.2", "latitude", "together with longitude"),
])
def test_a_bad_coordinate_is_refused_naming_its_field(lat, lon, field, words):
    with pytest.raises(ValidationFailed) as err:
        coordinates.point(lat, lon)
    assert list(err.value.errors) == [field]
    assert words in err.value.errors[field][0]


def test_a_good_pair_is_a_wgs84_point_and_blanks_are_none():
    p = coordinates.point("25.7617", -80.1918)
    assert (p.latitude, p.longitude, p.srid) == (25.7617, -80.1918, 4326)
    assert coordinates.point(-90, 180) is not None and coordinates.point(None, "") is None
    assert coordinates.as_dict(p) == {"latitude": 25.7617, "longitude": -80.1918}


def test_an_address_and_an_arrest_report_keep_their_point_in_location(graph, org):
    case = create_case(graph, org.agent_a, {"title": "Operation Compass"})
    person = make_person(graph, org.agent_a, case_uid=case["uid"], given_name="Ana", family_name="Reyes",
                         addresses=[{"line1": "1 Brickell Ave", "city": "Miami", "state": "FL",
                                     "latitude": 25.7617, "longitude": -80.1918}])
    row = graph.query("MATCH (:Person {uid: $u})-[:RESIDES_AT]->(a:Address) RETURN a.location AS p",
                      {"u": person["uid"]})[0]
    assert (row["p"].latitude, row["p"].longitude) == (25.7617, -80.1918)

    doc = documents.create_document(graph, org.agent_a, case["uid"], "ArrestReport",
                                    {"title": "Arrest at the port", "place": "Port of Miami",
                                     "latitude": "25.7781", "longitude": "-80.1794"})
    assert doc["props"]["location"] == {"latitude": 25.7781, "longitude": -80.1794}
    stored = graph.query("MATCH (d:ArrestReport {uid: $u}) RETURN d.location AS p", {"u": doc["uid"]})[0]["p"]
    assert stored.srid == 4326 and stored.latitude == 25.7781


def test_bad_coordinates_on_records_and_documents_are_refused_naming_the_field(graph, org):
    case = create_case(graph, org.agent_a, {"title": "Operation Compass"})
    with pytest.raises(ValidationFailed) as err:
        make_person(graph, org.agent_a, given_name="Ana", family_name="Reyes",
                    addresses=[{"line1": "1 Brickell Ave", "latitude": 25.7617}])
    assert err.value.errors == {"addresses": {0: {"longitude": ["give longitude together with latitude, or neither"]}}}
    with pytest.raises(ValidationFailed) as err:
        documents.create_document(graph, org.agent_a, case["uid"], "SeizureReport",
                                  {"title": "Seizure", "latitude": 95, "longitude": -80.1})
    assert list(err.value.errors) == ["latitude"]
    with pytest.raises(ValidationFailed) as err:
        documents.create_document(graph, org.agent_a, case["uid"], "SeizureReport",
                                  {"title": "Seizure", "latitude": 25.123456789, "longitude": -80.1})
    assert "decimal places" in err.value.errors["latitude"][0]
    assert graph.query("MATCH (d:SeizureReport) RETURN count(d) AS n") == [{"n": 0}]
