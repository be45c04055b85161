"""An import keeps a non-person record's malformed identifier as `<kind>_unverified` evidence, on the real server:
the VIN that lost a character and the IMEI failing Luhn still find the stored record, never decide it."""

from __future__ import annotations

import json

import pytest

from ccms_graph.errors import ValidationFailed
from ccms_graph.logic.entities import imports, records

VIN = "1HGCM82633A004352"
IMEI = "490154203237518"  # passes Luhn; ...517 fails it


def _import(graph, who, type_name, *lines):
    met: list[dict] = []
    out = imports.import_jsonl(graph, who, type_name, [json.dumps(x) for x in lines], on_hits=met.extend)
    return out, {x["ref"]: x for x in met}


def _stored(graph, ref):
    (row,) = graph.query("MATCH (n:SubjectRecord {source_ref: $r}) OPTIONAL MATCH (n)-[:HAS_IDENTIFIER]->(i:Identifier) "
                         "RETURN n AS n, collect(i.key) AS keys", {"r": ref})
    return dict(row["n"]), row["keys"]


def _hit_on(met_line, uid):
    (hit,) = [h for h in met_line["hits"] if h["uid"] == uid]
    return hit, {r["field"]: r for r in hit["explanation"]}


def test_a_vin_that_lost_a_character_is_kept_unverified_and_finds_the_stored_vehicle_without_deciding(graph, org):
    stored = records.create_entity(graph, org.agent_a, "Vehicle",
                                   {"vin": VIN, "make": "Honda", "model": "Accord", "year": 2003})

    out, met = _import(graph, org.agent_a, "Vehicle",
                       {"ref": "V1", "vin": VIN[:-1], "make": "Honda", "model": "Accord", "year": 2003})

    assert out["created"] == 1 and out["refused"] == [] and out["warnings"] == [
        {"line": 1, "unverified": ["vin"], "problems": {"vin": "'1HGCM82633A00435' is not a valid VIN"}}]
    props, keys = _stored(graph, "V1")
    assert props.get("vin") is None and props.get("vin_key") is None  # never the VIN
    assert json.loads(props["identifiers"]) == [{"type": "vin_unverified", "value": VIN[:-1]}]
    assert "vin:" + VIN not in keys and not any(k.startswith("vin:") for k in keys)
    hit, rows = _hit_on(met["V1"], stored["uid"])  # the stored vehicle is found through the slipped VIN
    assert hit["decision"] in ("match", "possible")  # scored as a slipped VIN; the VIN row, which decides, is missing
    assert rows["unverified"]["level"] == "typo" and rows["vin"]["level"] == "missing"


def test_a_pre_1981_vin_and_a_ten_digit_mmsi_are_kept_not_dropped(graph, org):
    out, _ = _import(graph, org.agent_a, "Vehicle", {"ref": "OLD", "vin": "124379N1234", "make": "Chevrolet"})
    out2, _ = _import(graph, org.agent_a, "Vessel", {"ref": "BOAT", "name": "Sea Star", "mmsi": "3661234567",
                                                      "hull_id": "ABC12345D40"})

    assert out["warnings"] == [{"line": 1, "unverified": ["vin"], "problems": {"vin": "'124379N1234' is not a valid VIN"}}]
    assert out2["warnings"] == [{"line": 1, "unverified": ["hull_id", "mmsi"], "problems": {
        "hull_id": "'ABC12345D40' is not a valid Hull ID (HIN)", "mmsi": "'3661234567' is not a valid MMSI"}}]
    assert json.loads(_stored(graph, "OLD")[0]["identifiers"]) == [{"type": "vin_unverified", "value": "124379N1234"}]
    kept = json.loads(_stored(graph, "BOAT")[0]["identifiers"])
    assert sorted(x["type"] for x in kept) == ["hin_unverified", "mmsi_unverified"]


def test_an_imei_failing_luhn_is_kept_unverified_and_finds_the_stored_thing(graph, org):
    stored = records.create_entity(graph, org.agent_a, "Thing", {"category": "electronic_device", "imei": IMEI,
                                                                 "description": "Samsung Galaxy S21"})

    out, met = _import(graph, org.agent_a, "Thing", {"ref": "T1", "category": "electronic_device",
                                                     "imei": IMEI[:-1] + "7", "description": "Samsung Galaxy S21"})

    assert out["created"] == 1 and out["warnings"] == [
        {"line": 1, "unverified": ["imei"], "problems": {"imei": "'490154203237517' is not a valid IMEI"}}]
    props, keys = _stored(graph, "T1")
    assert props.get("imei") is None and json.loads(props["identifiers"]) == [{"type": "imei_unverified",
                                                                          "value": IMEI[:-1] + "7"}]
    assert not any(k.startswith("imei:") for k in keys)
    hit, rows = _hit_on(met["T1"], stored["uid"])
    assert hit["decision"] in ("match", "possible")
    assert rows["unverified"]["level"] == "typo" and rows["imei"]["level"] == "missing"


def test_two_vehicles_sharing_only_an_unverified_vin_are_never_decisive(graph, org):
    first = records.create_entity(graph, org.agent_a, "Vehicle", {
        "make": "Honda", "identifiers": [{"type": "vin_unverified", "value": VIN[:-1]}]})

    _, met = _import(graph, org.agent_a, "Vehicle", {"ref": "V2", "model": "Accord", "vin": VIN[:-1]})

    hit, rows = _hit_on(met["V2"], first["uid"])  # found, through the value alone...
    assert rows["unverified"]["level"] == "agree" and rows["vin"]["level"] == "missing"
    assert hit["decision"] == "possible" and hit["score"] < 0.9  # ...but not an exact identifier: not decided


def test_a_line_identified_only_by_an_unverified_identifier_is_refused(graph, org):
    out, _ = _import(graph, org.agent_a, "Thing", {"ref": "T9", "category": "electronic_device",
                                                   "imei": IMEI[:-1] + "7"})

    assert out["created"] == 0 and out["warnings"] == []
    (refused,) = out["refused"]
    assert "needs at least one of" in refused["reason"] and "unverified identifier does not count" in refused["reason"]


@pytest.mark.parametrize(("type_name", "data", "field"), [
    ("Vehicle", {"vin": VIN[:-1], "make": "Honda"}, "vin"),
    ("Thing", {"imei": IMEI[:-1] + "7", "description": "Samsung Galaxy S21"}, "imei"),
    ("Vessel", {"name": "Sea Star", "imo": "9074728"}, "imo"),
])
def test_an_interactive_create_still_refuses_the_invalid_identifier_naming_the_field(graph, org, type_name, data,
                                                                                     field):
    with pytest.raises(ValidationFailed) as exc:
        records.create_entity(graph, org.agent_a, type_name, data)
    assert list(exc.value.errors) == [field]


def test_a_persons_malformed_email_is_kept_unverified_and_still_counts_as_a_slip_of_the_stored_address(graph, org):
    stored = records.create_entity(graph, org.agent_a, "Person", {"given_name": "Maren", "family_name": "Quist",
                                                                  "dob": "1979-04-02",
                                                                  "emails": ["maren.quist@example.com"]})

    out, met = _import(graph, org.agent_a, "Person", {"ref": "P1", "given_name": "Maren", "family_name": "Quist",
                                                      "dob": "1979-04-02", "emails": ["maren.quist@examplecom"]})

    assert out["created"] == 1 and out["warnings"] == [
        {"line": 1, "unverified": ["emails[1]"], "problems": {"emails[1]": "Not a valid email address."}}]
    props, _ = _stored(graph, "P1")
    assert json.loads(props["identifiers"]) == [{"type": "email_unverified", "value": "maren.quist@examplecom"}]
    (row,) = graph.query("MATCH (e:Email) RETURN collect(e.address) AS a")
    assert row["a"] == ["maren.quist@example.com"]  # the malformed one is no address anyone is reached at
    hit, rows = _hit_on(met["P1"], stored["uid"])
    assert rows["emails"]["level"] == "typo" and rows["emails"]["weight"] > 0


def test_a_placeholder_in_a_persons_email_column_is_dropped_and_a_malformed_email_alone_identifies_no_one(graph, org):
    out, _ = _import(graph, org.agent_a, "Person", {"ref": "P2", "given_name": "Maren", "emails": ["none"]},
                     {"ref": "P3", "emails": ["maren.quist@examplecom"]})

    assert out["created"] == 1 and [w["line"] for w in out["warnings"]] == [1]
    assert out["warnings"][0]["dropped"] == ["emails[1]"] and "unverified" not in out["warnings"][0]
    assert json.loads(_stored(graph, "P2")[0].get("identifiers") or "[]") == []
    (refused,) = out["refused"]
    assert refused["line"] == 2 and "an unverified identifier does not count" in refused["reason"]
