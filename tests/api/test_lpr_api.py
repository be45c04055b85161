"""The LPR API: a CSV import answered row by row, hot lists, area reads, and coordinates refused naming the field."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

from ccms_graph.logic.entities import records
from ccms_graph.logic.oversight import notifications
from tests.logic.casework.helpers import open_case

CSV = (b"plate,state,seen_at,latitude,longitude,camera,source\n"
       b"ABC123,FL,2026-03-01T10:00:00Z,25.7617,-80.1918,I-95,FDOT\n"
       b"ABC123,FL,2026-03-01T11:00:00Z,25.7617,181,I-95,FDOT\n"
       b"HOT222,FL,2026-03-01T12:00:00Z,25.7700,-80.1900,US-1,FDOT\n"
       b"ZZZ999,FL,2026-03-01T12:00:00Z,25.7700,-80.1900,US-1,FDOT\n")


def _csv(data: bytes) -> dict:
    return {"file": (io.BytesIO(data), "lpr.csv", "text/csv")}


def _problem(r, status: int) -> dict:
    assert r.status_code == status, (r.status_code, r.get_data(as_text=True)[:400])
    assert r.mimetype == "application/problem+json"
    return r.get_json()


def test_import_hot_list_and_area_read_over_the_api(graph, org, as_user):
    case = open_case(graph, org.agent_a, org.sup_mia, title="Port plates")
    records.create_entity(graph, org.agent_a, "Vehicle", {"plate": "ABC123", "plate_state": "FL"}, case_uid=case["uid"])
    api = as_user(org.agent_a)
    expires = (datetime.now(UTC) + timedelta(days=30)).isoformat()
    r = api.post(f"lpr/cases/{case['uid']}/hot-list", json={"plate": "HOT222", "state": "FL", "reason": "the mule",
                                                            "expires_at": expires})
    assert r.status_code == 201, r.get_json()
    entry = r.get_json()
    assert [e["plate_key"] for e in api.get(f"lpr/cases/{case['uid']}/hot-list").get_json()] == ["FL:HOT222"]

    r = api.post("lpr/imports", data=_csv(CSV), query_string={"case_uid": case["props"]["case_number"]})
    assert r.status_code == 200, r.get_json()
    out = r.get_json()
    assert (out["rows"], out["kept"], out["dropped"]) == (4, 2, 1)
    assert out["refused"] == [{"row": 3, "reason": "longitude: 181 is outside -180 to 180 degrees"}]
    assert [n["plate"] for n in notifications.inbox(graph, org.agent_a) if n["kind"] == "lpr_hit"] == ["HOT222"]

    seen = api.get("lpr/sightings", query_string={"south": 25.7, "west": -80.3, "north": 25.8, "east": -80.1,
                                                  "since": "2026-03-01T00:00:00Z", "until": "2026-03-02"})
    assert seen.status_code == 200
    assert sorted(s["plate"] for s in seen.get_json()) == ["ABC123", "HOT222"]
    assert as_user(org.agent_nyc).get("lpr/sightings", query_string={"south": 25.7, "west": -80.3, "north": 25.8,
                                                                      "east": -80.1}).get_json() == []

    r = api.post(f"lpr/cases/{case['uid']}/hot-list/remove", json={"entry_uid": entry["uid"], "reason": "arrested"})
    assert r.status_code == 200 and r.get_json()["removed_reason"] == "arrested"
    assert api.get(f"lpr/cases/{case['uid']}/hot-list").get_json() == []
    (history,) = api.get(f"lpr/cases/{case['uid']}/hot-list?include_removed=true").get_json()
    assert (history["uid"], history["removed"], history["removed_reason"]) == (entry["uid"], True, "arrested")


def test_bad_input_is_a_422_naming_the_field(graph, org, as_user):
    case = open_case(graph, org.agent_a, org.sup_mia, title="Port plates")
    api = as_user(org.agent_a)
    errors = _problem(api.get("lpr/sightings", query_string={"south": 25.7, "west": -200, "north": 25.8,
                                                              "east": -80.1}), 422)["errors"]
    assert list(errors) == ["west"]
    assert "north" in _problem(api.get("lpr/sightings", query_string={"south": 25.7, "west": -80}), 422)["errors"]
    errors = _problem(api.post(f"lpr/cases/{case['uid']}/hot-list",
                               json={"plate": "ABC1", "state": "FL", "reason": "why", "expires_at": "2020-01-01"}),
                      422)["errors"]
    assert list(errors) == ["expires_at"]
    assert "header" in _problem(api.post("lpr/imports", data=_csv(b"plate,when\nABC,now\n")), 422)["errors"]
    # Bytes that are no CSV of ours are read as text (UTF-16 here, by its byte-order mark) and refused by header.
    assert "header" in _problem(api.post("lpr/imports", data=_csv(b"\xff\xfe\x00bad")), 422)["errors"]

    # Coordinates on an address and on an arrest report: a bad one is a 422 naming its field.
    errors = _problem(api.post("records/persons", json={"given_name": "Ann", "addresses": [
        {"line1": "1 Main St", "latitude": 25.76}]}), 422)["errors"]
    assert errors == {"addresses": {"0": {"longitude": ["give longitude together with latitude, or neither"]}}}
    errors = _problem(api.post(f"cases/{case['uid']}/documents/arrest-reports",
                               json={"title": "Arrest", "latitude": 25.1234567891, "longitude": -80.1}), 422)["errors"]
    assert list(errors) == ["latitude"] and "decimal places" in errors["latitude"][0]
    errors = _problem(api.post(f"cases/{case['uid']}/documents/seizure-reports",
                               json={"title": "Seizure", "latitude": 91, "longitude": -80.1}), 422)["errors"]
    assert list(errors) == ["latitude"]
    r = api.post(f"cases/{case['uid']}/documents/seizure-reports",
                 json={"title": "Seizure", "place": "Pier 3", "latitude": 25.77, "longitude": -80.17})
    assert r.status_code == 201 and r.get_json()["props"]["location"] == {"latitude": 25.77, "longitude": -80.17}


def test_an_outsider_may_not_read_or_change_a_hot_list(graph, org, as_user):
    case = open_case(graph, org.agent_nyc, org.sup_nyc, title="Hidden plates", restricted=True)
    outsider = as_user(org.agent_a)
    _problem(outsider.get(f"lpr/cases/{case['uid']}/hot-list"), 404)
    _problem(outsider.post(f"lpr/cases/{case['uid']}/hot-list", json={
        "plate": "ABC1", "state": "NY", "reason": "probe",
        "expires_at": (datetime.now(UTC) + timedelta(days=3)).isoformat()}), 404)
    _problem(outsider.post("lpr/imports", data=_csv(CSV), query_string={"case_uid": case["uid"]}), 404)
    assert graph.query("MATCH (n) WHERE n:HotListEntry OR n:Sighting RETURN count(n) AS n") == [{"n": 0}]
