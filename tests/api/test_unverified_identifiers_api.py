"""The API and the pages on a record's unverified identifier: refused when typed, shown when an import kept it."""

from __future__ import annotations

import io
import json

from ccms_graph.logic.entities import imports
from tests.web.conftest import csrf_from, sign_in

SHORT_VIN = "1HGCM82633A00435"  # one character lost
BAD_IMEI = "490154203237517"  # fails Luhn


def _imported(graph, who, type_name, line):
    out = imports.import_jsonl(graph, who, type_name, [json.dumps(line)])
    assert out["created"] == 1, out
    (row,) = graph.query("MATCH (n:SubjectRecord {source_ref: $r}) RETURN n.uid AS uid", {"r": line["ref"]})
    return row["uid"]


def test_the_api_refuses_an_invalid_vin_or_imei_on_create_naming_the_field(as_user, org):
    api = as_user(org.agent_a)
    for slug, body, field in (("vehicles", {"vin": SHORT_VIN, "make": "Honda"}, "vin"),
                              ("things", {"imei": BAD_IMEI, "description": "Samsung Galaxy S21"}, "imei")):
        r = api.post(f"records/{slug}", json=body)
        assert r.status_code == 422 and r.mimetype == "application/problem+json", r.get_data(as_text=True)
        assert list(r.get_json()["errors"]) == [field]
        assert "is not a valid" in r.get_json()["errors"][field][0]


def test_an_import_through_the_api_warns_the_vin_was_kept_unverified(as_user, org):
    line = json.dumps({"ref": "V-1", "vin": SHORT_VIN, "make": "Honda", "model": "Accord"})
    r = as_user(org.agent_a).post("imports/vehicles", data={
        "file": (io.BytesIO(line.encode()), "vehicles.jsonl", "application/x-ndjson")})
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["warnings"] == [
        {"line": 1, "unverified": ["vin"], "problems": {"vin": "'1HGCM82633A00435' is not a valid VIN"}}]


def test_the_records_api_and_page_show_the_unverified_identifier(as_user, client, graph, org):
    uid = _imported(graph, org.agent_a, "Vehicle", {"ref": "V-2", "vin": SHORT_VIN, "make": "Honda"})

    props = as_user(org.agent_a).get(f"records/{uid}").get_json()["props"]
    kept = json.loads(props["identifiers"]) if isinstance(props["identifiers"], str) else props["identifiers"]
    assert kept == [{"type": "vin_unverified", "value": SHORT_VIN}] and props.get("vin") is None

    sign_in(client, "agent_a")
    html = client.get(f"/records/{uid}").get_data(as_text=True)
    assert f"VIN (unverified): {SHORT_VIN}" in html
    edit = client.get(f"/records/{uid}/edit").get_data(as_text=True)
    assert f"vin_unverified: {SHORT_VIN}" in edit  # kept as it is when the record is edited


def test_the_edit_form_still_refuses_an_invalid_vin_naming_the_field(client, graph, org):
    uid = _imported(graph, org.agent_a, "Vehicle", {"ref": "V-3", "vin": SHORT_VIN, "make": "Honda"})
    sign_in(client, "agent_a")
    token = csrf_from(client.get(f"/records/{uid}/edit").get_data(as_text=True))
    page = client.post(f"/records/{uid}/edit", data={"csrf_token": token, "type": "Vehicle", "make": "Honda",
                                                     "vin": SHORT_VIN, "identifiers": f"vin_unverified: {SHORT_VIN}"})
    assert page.status_code == 422
    assert 'id="f-vin"' in page.get_data(as_text=True) and "is not a valid VIN" in page.get_data(as_text=True)
