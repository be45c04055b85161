"""Spreadsheet exports (CSV, TSV) import as JSON Lines do, through the command line, with other systems'
column names for every type, each row keeping its line number, and a bad header refused before anything
is written."""

from __future__ import annotations

import json

import pytest

from ccms_graph.cli import main
from ccms_graph.errors import ValidationFailed
from ccms_graph.logic.entities import records
from ccms_graph.logic.entities.tabular import json_lines
from tests.factories import make_person

PEOPLE = (
    "\ufeffRecord ID,First Name,LAST NAME,Date of Birth,SSN,Street,City,Notes\r\n"
    'P-1,Viktor,Orlov,1975-03-14,,1 Ocean Dr,Miami,\r\n'
    ",,,,,,,\r\n"                                            # a blank row: skipped
    'P-3,Ana,"Lee, Jr.",1980-01-02,123-45-6789,"4 Bay Rd\r\nApt 2",Tampa,\r\n'   # a quoted comma and line break
    "P-4,Dana,Reyes,1990-05-05,,,,,extra\r\n"                # more cells than columns: refused whole
    "P-5,Kim\r\n"                                            # a short row lacks only its last cells
)


@pytest.fixture
def cli_env(monkeypatch, test_settings):
    monkeypatch.setenv("CCMS_NEO4J_URI", test_settings.neo4j_uri or test_settings.local_bolt_uri)


def _summary(capsys) -> dict:
    return json.loads(capsys.readouterr().out.strip().splitlines()[-1])


def _report(path) -> list[dict]:
    return [json.loads(x) for x in open(f"{path}.report.jsonl", encoding="utf-8")]


def test_a_csv_imports_with_its_column_names_and_line_numbers_and_meets_the_stored_copy(graph, org, tmp_path,
                                                                                           capsys, cli_env):
    stored = make_person(graph, org.agent_b, given_name="Viktor", family_name="Orlov", dob="1975-03-14")
    src = tmp_path / "people.csv"
    src.write_text(PEOPLE, encoding="utf-8", newline="")
    assert main(["import", "--type", "person", str(src), "--owner", "agent_a"]) == 0
    summary = _summary(capsys)
    assert (summary["lines"], summary["created"], summary["refused"]) == (4, 3, 1)
    assert _report(src) == [{"line": 6, "reason": "9 cells, the header has 8 columns"}]
    rows = {r["ref"]: r for r in graph.query(
        "MATCH (p:Person) WHERE p.source_ref STARTS WITH 'P-' RETURN p.source_ref AS ref, p.given_name AS g, "
        "p.family_name AS f, p.ssn AS ssn, [(p)-[:RESIDES_AT]->(a) | a.line1] AS lines")}
    assert sorted(rows) == ["P-1", "P-3", "P-5"]
    assert (rows["P-3"]["f"], rows["P-3"]["ssn"], rows["P-3"]["lines"]) == ("Lee, Jr.", "123-45-6789",
                                                                            ["4 Bay Rd\nApt 2"])
    assert rows["P-1"]["lines"] == ["1 Ocean Dr"] and rows["P-5"]["g"] == "Kim"
    met = [json.loads(x) for x in open(f"{src}.hits.jsonl", encoding="utf-8")]
    assert [(m["line"], m["ref"], m["hits"][0]["uid"]) for m in met] == [(2, "P-1", stored["uid"])]


@pytest.mark.parametrize("type_name, header, row, stored", [
    ("vehicle", "VIN,License Plate,State,Color,Model Year", "1HGCM82633A004352,ABC1234,FL,red,2003",
     {"vin": "1HGCM82633A004352", "make": "Honda"}),
    ("aircraft", "N-NUMBER,SERIAL NUMBER,MFR NAME,MODE S CODE HEX", "N123AB,208B0123,CESSNA,A0B1C2",
     {"tail_number": "N123AB", "icao24": "a0b1c2"}),
    ("vessel", "VesselName\tIMO\tMMSI", "SEA WITCH\tIMO9234563\t366123456", {"name": "Sea Witch", "imo": "9234563"}),
    ("thing", "name;description;Serial Number;price", "Apple iPhone 13;128GB blue, cracked screen;F2LXK0ABCD12;799",
     {"description": "Apple iPhone 13. 128GB blue, cracked screen", "serial": "F2LXK0ABCD12",
      "category": "electronic_device"}),
])
def test_every_type_reads_other_systems_column_names_and_is_deconflicted_on_them(graph, org, tmp_path, capsys,
                                                                                  cli_env, type_name, header, row,
                                                                                  stored):
    kind = {"vehicle": "Vehicle", "aircraft": "Aircraft", "vessel": "Vessel", "thing": "Thing"}[type_name]
    mine = records.create_entity(graph, org.agent_b, kind, stored)
    src = tmp_path / (f"{type_name}.tsv" if "\t" in header else f"{type_name}.csv")
    src.write_text(f"{header}\n{row}\n", encoding="utf-8")
    assert main(["import", "--type", type_name, str(src), "--owner", "agent_a"]) == 0
    summary = _summary(capsys)
    assert (summary["created"], summary["refused"], summary["warnings"]) == (1, 0, 0), _report(src)
    (met,) = [json.loads(x) for x in open(f"{src}.hits.jsonl", encoding="utf-8")]
    assert met["line"] == 2 and mine["uid"] in [h["uid"] for h in met["hits"]]
    assert main(["deconflict", "--type", type_name, str(src), "--out", str(tmp_path / "out.jsonl")]) == 0
    (checked,) = [json.loads(x) for x in open(tmp_path / "out.jsonl", encoding="utf-8")]
    assert mine["uid"] in [c["uid"] for c in checked["candidates"]]


@pytest.mark.parametrize("text, problem", [
    ("ref,given_name,ref\nA,Ann,B\n", "the header names 'ref' twice (columns 1 and 3)"),
    (",,\nA,B,C\n", "the first line must name the columns"),
])
def test_a_bad_header_refuses_the_file_before_anything_is_written(graph, org, tmp_path, capsys, cli_env, text,
                                                                    problem):
    src = tmp_path / "bad.csv"
    src.write_text(text, encoding="utf-8")
    assert main(["import", "--type", "person", str(src), "--owner", "agent_a"]) == 2
    err = capsys.readouterr().err
    assert problem in err and "Traceback" not in err
    assert not graph.query("MATCH (p:Person) RETURN p")


def test_rows_whose_quotes_do_not_pair_are_refused_alone_and_a_jsonl_file_passes_through():
    lines = list(json_lines(['a,b\n', '"1"x,2\n', '3,4\n', '5,"6\n', '7,8\n'], "x.csv"))
    assert [json.loads(x) if x else x for x in lines] == [
        "", {"_unreadable_row": "not a readable row: ',' expected after '\"'"}, {"a": "3", "b": "4"},
        {"_unreadable_row": "not a readable row: unexpected end of data"}, ""]
    jsonl = ['{"a": 1}\n', '\n']
    assert list(json_lines(jsonl, "people.jsonl")) == jsonl
    with pytest.raises(ValidationFailed) as err:
        list(json_lines(["a,a\n"], "x.CSV"))
    assert list(err.value.errors) == ["file"]


def test_a_whole_name_column_is_the_persons_name_and_meets_the_stored_copy(graph, org, tmp_path, capsys, cli_env):
    stored = make_person(graph, org.agent_b, given_name="Viktor", family_name="Orlov", dob="1975-03-14",
                         ssn="123-45-6789")
    src = tmp_path / "sanctions.csv"
    src.write_text('Full Name,Date of Birth,SSN\n"ORLOV, Viktor",1975-03-14,123456789\nMaria de la Cruz,,\n',
                   encoding="utf-8")
    assert main(["import", "--type", "person", str(src), "--owner", "agent_a"]) == 0
    assert (_summary(capsys)["created"], _report(src)) == (2, [])
    (met,) = [json.loads(x) for x in open(f"{src}.hits.jsonl", encoding="utf-8")]
    assert (met["line"], met["hits"][0]["uid"], met["hits"][0]["decision"]) == (2, stored["uid"], "match")
    # One batch: both lines share a creation time, so the order is the names'.
    rows = graph.query("MATCH (p:Person) WHERE p.uid <> $u RETURN p.aliases AS a ORDER BY a[0]",
                       {"u": stored["uid"]})
    assert [r["a"] for r in rows] == [["Maria de la Cruz"], ["ORLOV, Viktor"]]


def test_an_address_in_one_cell_is_split_into_its_parts_and_a_birth_year_is_the_date_of_birth(graph, org, tmp_path,
                                                                                               capsys, cli_env):
    stored = make_person(graph, org.agent_b, given_name="William", family_name="Bridge", dob="1986-07-02",
                         addresses=[{"line1": "3131 Webster St", "city": "San Francisco", "postcode": "94107"}])
    src = tmp_path / "staff.csv"
    src.write_text('ID,name,birth_year,address,zipcode\n'
                   'b2,Bill Bridge,1986,"3131 Webster St, San Francisco",94107\n'
                   'b5,Alfons Kemper,1984,"170 Post St, Apt 4,  San Francisco, CA",94122\n'
                   'b7,Jean Roux,1990,"12 Rue de Rivoli, 75001 Paris",\n', encoding="utf-8")
    assert main(["import", "--type", "person", str(src), "--owner", "agent_a"]) == 0
    assert (_summary(capsys)["created"], _report(src)) == (3, [])
    rows = {r["ref"]: r for r in graph.query(
        "MATCH (p:Person) WHERE p.source_ref STARTS WITH 'b' RETURN p.source_ref AS ref, p.dob AS dob, "
        "[(p)-[:RESIDES_AT]->(a) | a {.line1, .line2, .city, .state, .postcode}] AS addresses")}
    assert rows["b2"]["addresses"] == [{"line1": "3131 Webster St", "line2": None, "city": "San Francisco",
                                        "state": None, "postcode": "94107"}]
    assert rows["b5"]["addresses"] == [{"line1": "170 Post St", "line2": "Apt 4", "city": "San Francisco",
                                        "state": "CA", "postcode": "94122"}]
    # Read with no confidence (no US place in it): kept as written.
    assert rows["b7"]["addresses"] == [{"line1": "12 Rue de Rivoli, 75001 Paris", "line2": None, "city": None,
                                        "state": None, "postcode": None}]
    assert (rows["b2"]["dob"], rows["b5"]["dob"]) == ("1986", "1984")
    (met,) = [json.loads(x) for x in open(f"{src}.hits.jsonl", encoding="utf-8")]
    (hit,) = met["hits"]
    assert (met["ref"], hit["uid"], hit["decision"]) == ("b2", stored["uid"], "match")
    levels = {e["field"]: e["level"] for e in hit["explanation"]}
    assert (levels["addresses"], levels["dob"]) == ("agree", "partial")


def test_a_voter_roll_and_a_benchmark_export_import_with_their_own_column_names(graph, org, tmp_path, capsys,
                                                                                 cli_env):
    # A state voter file's columns (abbreviated names, residence address, codes) and a linkage benchmark's
    # (`unique_id`, `fname`/`lname`): every one the schema has a field for is read, none dropped.
    stored = make_person(graph, org.agent_b, given_name="John", middle_name="Quincy", family_name="Smith",
                         dob="1979-02-03", addresses=[{"line1": "123 Main St", "city": "Raleigh", "state": "NC",
                                                       "postcode": "27601"}], phones=["+19195551234"])
    src = tmp_path / "voters.csv"
    src.write_text("unique_id,last_name,first_name,midl_name,res_street_address,res_city_desc,state_cd,zip_code,"
                   "gender_code,phone_num\n"
                   "v1,SMITH,JOHN,Q,123 MAIN ST,RALEIGH,NC,27601,M,919-555-1234\n", encoding="utf-8")
    other = tmp_path / "benchmark.csv"
    other.write_text("row_id,fname,lname,mname,dateofbirth,address_line_1,post_code,e_mail\n"
                     "b1,Anna,Meyer,K,1980-04-03,Hauptstr 5,10115,anna@example.org\n", encoding="utf-8")
    for path in (src, other):
        assert main(["import", "--type", "person", str(path), "--owner", "agent_a"]) == 0
        assert (_summary(capsys)["created"], _report(path)) == (1, [])  # nothing dropped, nothing refused
    rows = {r["ref"]: r for r in graph.query(
        "MATCH (p:Person) WHERE p.source_ref IN ['v1', 'b1'] RETURN p.source_ref AS ref, p.given_name AS g, "
        "p.middle_name AS m, p.family_name AS f, p.sex AS sex, p.dob AS dob, "
        "[(p)-[:RESIDES_AT]->(a) | a {.line1, .city, .state, .postcode}] AS addresses, "
        "[(p)-[:USES_PHONE]->(t) | t.e164] AS phones, [(p)-[:USES_EMAIL]->(e) | e.address] AS emails")}
    assert {k: rows["v1"][k] for k in ("g", "m", "f", "sex", "addresses", "phones")} == {
        "g": "JOHN", "m": "Q", "f": "SMITH", "sex": "M",
        # the stored copy's address: one Address node, as first written
        "addresses": [{"line1": "123 Main St", "city": "Raleigh", "state": "NC", "postcode": "27601"}],
        "phones": ["+19195551234"]}
    assert {k: rows["b1"][k] for k in ("g", "m", "f", "dob", "addresses", "emails")} == {
        "g": "Anna", "m": "K", "f": "Meyer", "dob": "1980-04-03",
        "addresses": [{"line1": "Hauptstr 5", "city": None, "state": None, "postcode": "10115"}],
        "emails": ["anna@example.org"]}
    (met,) = [json.loads(x) for x in open(f"{src}.hits.jsonl", encoding="utf-8")]
    assert met["hits"][0]["uid"] == stored["uid"]  # the voter meets the stored copy on address and phone


def test_names_in_components_a_date_in_three_columns_and_na_cells_import_as_r_exports_them(graph, org, tmp_path,
                                                                                          capsys, cli_env):
    # R's RecordLinkage data as shipped (RLdata500.tsv): first and second given name and surname, the date of
    # birth as year, month and day, NA for nothing. Read as is, with no mapping: nothing refused or dropped,
    # and the two copies of one person meet.
    src = tmp_path / "RLdata.tsv"
    src.write_text("fname_c1\tfname_c2\tlname_c1\tlname_c2\tby\tbm\tbd\n"
                   "CARSTEN\tNA\tMEIER\tNA\t1949\t7\t22\n"
                   "GERD\tNA\tBAUER\tNA\t1968\t7\t27\n"
                   "ANNA\tMARIA\tKOCH\tSCHULZ\t1970\t1\t2\n"
                   "CARSTEN\tNA\tMEIER\tNA\t1949\t7\t22\n", encoding="utf-8")
    assert main(["import", "--type", "person", str(src), "--owner", "agent_a"]) == 0
    summary = _summary(capsys)
    assert (summary["created"], summary["refused"], summary["warnings"]) == (4, 0, 0), _report(src)
    rows = graph.query("MATCH (p:Person) RETURN p.given_name AS g, p.middle_name AS m, p.family_name AS f, "
                       "p.dob AS dob ORDER BY p.created_at, p.given_name")
    assert {(r["g"], r["m"], r["f"], r["dob"]) for r in rows} == {
        ("CARSTEN", None, "MEIER", "1949-07-22"), ("GERD", None, "BAUER", "1968-07-27"),
        ("ANNA", "MARIA", "KOCH SCHULZ", "1970-01-02")}
    (met,) = [json.loads(x) for x in open(f"{src}.hits.jsonl", encoding="utf-8")]
    assert (met["line"], met["hits"][0]["decision"]) == (5, "match")


HISTORICAL = ("unique_id,cluster,first_and_surname,dob,birth_place,postcode_fake,occupation\n"
              "Q1,c1,viktor orlov,1975-03-14,london,SW1A 1AA,baker\n")


def test_map_reads_a_column_under_the_field_it_holds_and_leaves_a_cluster_column_out(graph, org, tmp_path, capsys,
                                                                                     cli_env):
    stored = make_person(graph, org.agent_b, given_name="Viktor", family_name="Orlov", dob="1975-03-14",
                         addresses=[{"city": "London", "postcode": "SW1A 1AA"}])
    src = tmp_path / "historical.csv"
    src.write_text(HISTORICAL, encoding="utf-8")
    assert main(["import", "--type", "person", str(src), "--owner", "agent_a", "--map", "postcode_fake=postcode",
                 "--map", "Cluster=", "--map", "birth_place=", "--map", "occupation="]) == 0
    assert (_summary(capsys)["created"], _report(src)) == (1, [])  # nothing unknown left to warn about
    (row,) = graph.query("MATCH (p:Person {source_ref: 'Q1'}) RETURN p.aliases AS a, p.cluster AS c, "
                         "[(p)-[:RESIDES_AT]->(a) | a.postcode] AS postcodes")
    assert (row["a"], row["c"], row["postcodes"]) == (["viktor orlov"], None, ["SW1A 1AA"])
    (met,) = [json.loads(x) for x in open(f"{src}.hits.jsonl", encoding="utf-8")]
    assert met["hits"][0]["uid"] == stored["uid"]
    explained = {r["field"]: r["level"] for r in met["hits"][0]["explanation"]}
    assert explained["addresses"] != "missing"  # the mapped postcode is evidence


def test_without_map_the_unknown_columns_are_dropped_with_a_warning_each_and_a_note_naming_the_map(graph, org, tmp_path, capsys, cli_env):
    src = tmp_path / "historical.csv"
    src.write_text(HISTORICAL, encoding="utf-8")
    assert main(["import", "--type", "person", str(src), "--owner", "agent_a"]) == 0
    (warning,) = _report(src)
    assert warning["dropped"] == ["birth_place", "cluster", "occupation", "postcode_fake"]
    notes = [x for x in capsys.readouterr().err.splitlines() if x.startswith("note: ")]
    assert len(notes) == 4 and notes[1] == (
        "note: column 'cluster' is no Person field: left out of 1 line; --map cluster=FIELD reads it as a field, "
        "--map cluster= leaves it out without a warning")


@pytest.mark.parametrize("maps, problem", [
    (["cluster"], "'cluster': write COLUMN=FIELD"),
    (["postcode_fake=zipp"], "'zipp' is no Person field or column an import reads (for example ref, given_name"),
    (["cluster=", "CLUSTER=ref"], "the column 'CLUSTER' is mapped twice"),
    (["nope=city"], "the file has no column 'nope' (its columns: unique_id, cluster"),
    (["postcode_fake=unique_id"], "two columns would be read as 'unique_id'"),
])
def test_a_bad_map_refuses_the_run_naming_the_option_before_anything_is_written(graph, org, tmp_path, capsys,
                                                                                  cli_env, maps, problem):
    src = tmp_path / "historical.csv"
    src.write_text(HISTORICAL, encoding="utf-8")
    args = [a for m in maps for a in ("--map", m)]
    assert main(["import", "--type", "person", str(src), "--owner", "agent_a", *args]) == 2
    err = capsys.readouterr().err
    assert problem in err and "--map" in err and "Traceback" not in err
    assert not graph.query("MATCH (p:Person) RETURN p") and not (tmp_path / "historical.csv.hits.jsonl").exists()


def test_map_renames_json_lines_keys_and_refuses_a_line_that_would_lose_a_value():
    lines = ['{"first": "Ann", "grp": 7}\n', '{"first": "Ann", "given_name": "Anna"}\n', 'not json\n']
    out = list(json_lines(lines, "people.jsonl", {"first": "given_name", "grp": None}))
    assert json.loads(out[0]) == {"given_name": "Ann"}
    assert json.loads(out[1]) == {"_unreadable_row": "--map reads 'first' as 'given_name', and the line has "
                                                     "'given_name' too"}
    assert out[2] == "not json\n"


def test_deconflict_reads_the_same_map_and_refuses_a_missing_column_before_writing_its_output(graph, org, tmp_path,
                                                                                             capsys, cli_env):
    stored = make_person(graph, org.agent_b, given_name="Viktor", family_name="Orlov", dob="1975-03-14")
    src, out = tmp_path / "historical.csv", tmp_path / "out.jsonl"
    src.write_text(HISTORICAL, encoding="utf-8")
    assert main(["deconflict", "--type", "person", str(src), "--out", str(out), "--map", "nope=city"]) == 2
    assert "the file has no column 'nope'" in capsys.readouterr().err and not out.exists()
    assert main(["deconflict", "--type", "person", str(src), "--out", str(out), "--map", "cluster="]) == 0
    (line,) = [json.loads(x) for x in open(out, encoding="utf-8")]
    assert line["ref"] == "Q1" and [c["uid"] for c in line["candidates"]] == [stored["uid"]]


def test_a_table_named_txt_or_gzipped_imports_as_a_table_and_a_cut_gzip_is_refused_plainly(graph, org, tmp_path,
                                                                                           capsys, cli_env):
    import gzip

    txt = tmp_path / "people.txt"
    txt.write_text("id|first_name|surname|dob\nT1|Viktor|Orlov|1975-03-14\n", encoding="utf-8")
    gz = tmp_path / "people.csv.gz"
    gz.write_bytes(gzip.compress("id,first_name,surname,dob\nG1,Ana,Lee,1980-01-02\n".encode("cp1252")))
    for src in (txt, gz):
        assert main(["import", "--type", "person", str(src), "--owner", "agent_a"]) == 0
        assert (_summary(capsys)["created"], _report(src)) == (1, [])
    assert sorted(r["r"] for r in graph.query("MATCH (p:Person) RETURN p.source_ref AS r")) == ["G1", "T1"]
    cut = tmp_path / "cut.csv.gz"
    cut.write_bytes(gz.read_bytes()[:-12])
    assert main(["import", "--type", "person", str(cut), "--owner", "agent_a"]) == 2
    err = capsys.readouterr().err
    assert "error:" in err and "Traceback" not in err
    assert len(graph.query("MATCH (p:Person) RETURN p")) == 2


def test_a_file_of_no_table_ending_is_json_lines_unless_its_first_line_names_columns():
    assert list(json_lines(["id|name\n", "1|Ann\n"], "x.txt")) == ["", '{"id": "1", "name": "Ann"}']
    assert list(json_lines(['{"a": 1}\n', "not json\n"], "x.dat")) == ['{"a": 1}\n', "not json\n"]
    assert list(json_lines(["a,b\n"], "x.jsonl")) == ["a,b\n"]  # a JSON Lines ending is never a table
