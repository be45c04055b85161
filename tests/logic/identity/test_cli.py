"""The batch command line on the documented formats: import JSONL (with refusals and hits), deconflict JSONL, telecom."""

from __future__ import annotations

import json

import pytest

from ccms_graph.cli import main
from ccms_graph.logic.casework.cases import create_case
from tests.factories import a_readable_and_a_hidden_match, make_person

LINES = [
    {"ref": "SRC-1", "given_name": "Viktor", "family_name": "Orlov", "dob": "1975-03-14",
     "passport": {"number": "X1234567", "country": "RUS"}, "drivers_license": {"number": "D123", "state": "FL"},
     "identifiers": [{"type": "FBI", "value": "123ABC"}], "addresses": [{"line1": "1 Ocean Dr", "city": "Miami"}],
     "phones": ["305-555-0101"], "emails": ["v@example.com"]},
    {"ref": "SRC-2", "aliases": ["El Gato"]},
    {"ref": "SRC-3", "dob": "1980-01-01", "sex": "M"},
    {"ref": "SRC-4", "given_name": "Ann", "ssn": "123-45"},
]


@pytest.fixture
def cli_env(monkeypatch, test_settings):
    monkeypatch.setenv("CCMS_NEO4J_URI", test_settings.neo4j_uri or test_settings.local_bolt_uri)


def _write(path, items, extra=()):
    path.write_text("".join(json.dumps(x) + "\n" for x in items) + "".join(extra))
    return str(path)


def test_import_command_creates_refuses_reports_and_deconflicts(graph, org, tmp_path, capsys, cli_env):
    existing = make_person(graph, org.agent_nyc, given_name="Viktor", family_name="Orlov", dob="1975-03-14")
    case = create_case(graph, org.agent_a, {"title": "Operation Import"})
    src = _write(tmp_path / "people.jsonl", LINES, extra=["not json\n", "[1, 2]\n"])

    code = main(["import", "--type", "person", src, "--owner", "agent_a", "--case", case["props"]["case_number"]])

    assert code == 0
    out = capsys.readouterr()
    summary = json.loads(out.out.strip().splitlines()[-1])
    assert summary["created"] == 3 and summary["refused"] == 3 and summary["warnings"] == 1
    assert summary["hits"] == 1
    assert "created" in out.err  # progress on stderr
    report = [json.loads(x) for x in open(summary["report"])]
    by_line = {r["line"]: r for r in report}
    assert "needs at least one of" in by_line[3]["reason"]
    assert by_line[4] == {"line": 4, "unverified": ["ssn"], "problems": {"ssn": "'123-45' is not a valid SSN"}, "warning": True}
    assert by_line[5]["reason"].startswith("not valid JSON") and by_line[6]["reason"] == "not a JSON object"

    rows = graph.query("MATCH (n:Person {source_ref: 'SRC-1'})-[:SUBJECT_IN]->(c:Case) "
                       "RETURN n.owner_uid AS owner, n.passport AS p, n.passport_country AS pc, c.uid AS case, "
                       "n.source AS source", {})
    assert rows == [{"owner": org.agent_a.uid, "p": "X1234567", "pc": "RUS", "case": case["uid"], "source": "import"}]
    hit = graph.query("MATCH (h:DeconflictionHit)-[:HIT_ON]->(n {uid: $u}) RETURN h.status AS s", {"u": existing["uid"]})
    assert hit == [{"s": "open"}]


def test_import_command_lists_each_line_that_met_a_record_with_whom_to_call_and_never_a_hidden_record(
        graph, org, tmp_path, capsys, cli_env):
    mine, hidden, lines = a_readable_and_a_hidden_match(graph, org)
    src = _write(tmp_path / "people.jsonl", lines)

    assert main(["import", "--type", "person", src, "--owner", "agent_a", "--hits", str(tmp_path / "met.jsonl")]) == 0

    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert summary["hits_file"] == str(tmp_path / "met.jsonl")
    text = (tmp_path / "met.jsonl").read_text()
    lines = {x["ref"]: x for x in map(json.loads, text.splitlines())}
    assert sorted(lines) == ["L1", "L3"]  # the line that met nothing is not listed
    created = {r["ref"]: r["uid"] for r in graph.query(
        "MATCH (n:Person) WHERE n.source_ref IN ['L1', 'L3'] RETURN n.source_ref AS ref, n.uid AS uid", {})}
    (seen,) = lines["L1"]["hits"]
    assert lines["L1"]["line"] == 1 and lines["L1"]["uid"] == created["L1"]
    assert seen["uid"] == mine["uid"] and seen["source_ref"] == "MIA-9" and seen["decision"] == "match"
    assert seen["owner"]["name"] == org.agent_b.name and seen["hit_uid"]
    assert lines["L1"]["sub_record_of"] == mine["uid"]  # the CCMS rule: settled under the master it matched
    (locked,) = lines["L3"]["hits"]
    assert locked["restricted"] is True and locked["owner"]["name"] == org.agent_nyc.name
    assert locked["uid"] is None and locked["source_ref"] is None and locked["explanation"] is None
    assert "sub_record_of" not in lines["L3"]
    assert hidden["uid"] not in text and "NYC-SECRET-5" not in text
    stored = graph.query("MATCH (h:DeconflictionHit {uid: $h})-[:HIT_ON]->(n) RETURN collect(n.uid) AS uids",
                         {"h": locked["hit_uid"]})
    assert sorted(stored[0]["uids"]) == sorted([hidden["uid"], created["L3"]])


def test_a_malformed_ssn_is_kept_unverified_and_still_finds_the_other_copy_without_deciding_it(
        graph, org, tmp_path, capsys, cli_env):
    # FEBRL's soc_sec_id (seven digits) put in the ssn field: no valid SSN, yet the copy's best evidence.
    src = _write(tmp_path / "people.jsonl", [
        {"ref": "F1", "given_name": "Lucia", "family_name": "Ferreira", "dob": "1982-07-09", "ssn": "5304218"},
        {"ref": "F2", "given_name": "Lucia", "family_name": "Pereira", "dob": "1982-07-19", "ssn": "5304218"},
        {"ref": "F3", "given_name": "Lucia", "family_name": "Pereira", "dob": "1982-07-19"},
    ])

    assert main(["import", "--type", "person", src, "--owner", "agent_a"]) == 0

    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert summary["created"] == 3 and summary["refused"] == 0
    report = [json.loads(x) for x in open(summary["report"])]
    assert report == [{"line": 1, "unverified": ["ssn"], "problems": {"ssn": "'5304218' is not a valid SSN"}, "warning": True},
                      {"line": 2, "unverified": ["ssn"], "problems": {"ssn": "'5304218' is not a valid SSN"}, "warning": True}]
    stored = {r["ref"]: r for r in graph.query(
        "MATCH (n:Person) WHERE n.source_ref STARTS WITH 'F' OPTIONAL MATCH (n)-[:HAS_IDENTIFIER]->(i:Identifier) "
        "RETURN n.source_ref AS ref, n.uid AS uid, n.ssn AS ssn, collect(i.key) AS keys", {})}
    assert stored["F1"]["ssn"] is None and stored["F1"]["keys"] == ["ssn_unverified:5304218"]  # never an SSN
    lines = {x["ref"]: x for x in map(json.loads, open(summary["hits_file"]))}
    (hit,) = [h for h in lines["F2"]["hits"] if h["uid"] == stored["F1"]["uid"]]
    rows = {r["field"]: r for r in hit["explanation"]}
    assert hit["decision"] == "match" and rows["other_ids"]["level"] == "agree" and rows["ssn"]["level"] == "missing"
    # the same copy without the number is not a match: the kept identifier is what found it
    assert all(h["decision"] != "match" for h in lines.get("F3", {"hits": []})["hits"] if h["uid"] == stored["F1"]["uid"])


def test_deconflict_command_writes_candidates_and_creates_nothing(graph, org, tmp_path, cli_env):
    existing = make_person(graph, org.agent_b, given_name="William", family_name="Thornbury", dob="1979-04-23",
                           ref="CMS-77")
    before = graph.query("MATCH (n:SubjectRecord) RETURN count(n) AS n")
    src = _write(tmp_path / "check.jsonl", [
        {"ref": "Q1", "given_name": "Bill", "family_name": "Thornbury", "dob": "1979-04-23"},
        {"ref": "Q2", "given_name": "Nobody", "family_name": "Zzyzx", "dob": "2001-01-01"},
    ])
    out = tmp_path / "hits.jsonl"

    assert main(["deconflict", "--type", "person", src, "--out", str(out)]) == 0

    lines = [json.loads(x) for x in out.read_text().splitlines()]
    assert [x["ref"] for x in lines] == ["Q1", "Q2"]
    (cand,) = lines[0]["candidates"]
    assert cand["uid"] == existing["uid"] and cand["source_ref"] == "CMS-77"
    assert cand["decision"] in ("match", "possible") and 0 < cand["score"] <= 1
    assert {r["field"] for r in cand["explanation"]} >= {"name", "dob"}
    assert lines[1]["candidates"] == []
    assert graph.query("MATCH (n:SubjectRecord) RETURN count(n) AS n") == before
    assert graph.query("MATCH (h:DeconflictionHit) RETURN count(h) AS n") == [{"n": 0}]


def test_a_file_checked_after_its_import_lists_each_line_s_own_record_apart_from_its_candidates(graph, org, tmp_path,
                                                                                               capsys, cli_env):
    src = _write(tmp_path / "people.jsonl", [
        {"ref": "Q1", "given_name": "William", "family_name": "Thornbury", "dob": "1979-04-23"},
        {"ref": "Q2", "given_name": "Bill", "family_name": "Thornbury", "dob": "1979-04-23"},
        {"ref": "Q3", "given_name": "Nobody", "family_name": "Zzyzx", "dob": "2001-01-01"},
    ])
    assert main(["import", "--type", "person", src, "--owner", "agent_a"]) == 0
    capsys.readouterr()
    uid = {r["ref"]: r["uid"] for r in graph.query(
        "MATCH (n:Person) WHERE n.source_ref STARTS WITH 'Q' RETURN n.source_ref AS ref, n.uid AS uid")}
    out = tmp_path / "check.jsonl"

    assert main(["deconflict", "--type", "person", src, "--out", str(out)]) == 0

    lines = {x["ref"]: x for x in map(json.loads, out.read_text().splitlines())}
    assert {ref: x.get("stored_as") for ref, x in lines.items()} == {"Q1": [uid["Q1"]], "Q2": [uid["Q2"]],
                                                                     "Q3": [uid["Q3"]]}
    assert [c["source_ref"] for c in lines["Q1"]["candidates"]] == ["Q2"]
    assert [c["source_ref"] for c in lines["Q2"]["candidates"]] == ["Q1"]
    assert lines["Q3"]["candidates"] == []
    assert "2 with candidates" in capsys.readouterr().err


def test_deconflict_command_judges_a_file_as_its_import_would_and_lists_the_rest_with_all(graph, org, tmp_path,
                                                                                         cli_env):
    """By default the command scores only the candidates that could reach `possible` (the import's first
    stage), which must keep a copy without any name: an equal date of birth and the same house make it a
    match. `--all` scores every candidate and also lists the ones that are no match."""
    home = {"line1": "24 Curriecrescent Woorinyan", "city": "Riverwood", "state": "QLD", "postcode": "3749"}
    copy = make_person(graph, org.agent_b, given_name="Amelia", family_name="Brown", dob="1918-02-05",
                       addresses=[home])
    born_same_day = make_person(graph, org.agent_b, given_name="Harold", family_name="Quist", dob="1918-02-05")
    src = _write(tmp_path / "check.jsonl", [{"ref": "Q1", "dob": "1918-02-05",
                                             "addresses": [{**home, "line1": "24 Woorinyan"}]}])
    hits, every = tmp_path / "hits.jsonl", tmp_path / "all.jsonl"

    assert main(["deconflict", "--type", "person", src, "--out", str(hits)]) == 0
    assert main(["deconflict", "--type", "person", src, "--out", str(every), "--all"]) == 0

    (found,) = [json.loads(x) for x in hits.read_text().splitlines()]
    assert [(c["uid"], c["decision"]) for c in found["candidates"]] == [(copy["uid"], "match")]
    (listed,) = [json.loads(x) for x in every.read_text().splitlines()]
    decisions = {c["uid"]: c["decision"] for c in listed["candidates"]}
    assert decisions[copy["uid"]] == "match" and decisions[born_same_day["uid"]] == "no_match"


def test_telecom_commands_load_csv_files(graph, org, tmp_path, capsys, cli_env):
    case = create_case(graph, org.agent_a, {"title": "Operation Wire"})
    cdr = tmp_path / "calls.csv"
    cdr.write_text("originating_number,terminating_number,start_time,duration\n"
                   "305-555-0101,212-555-0199,2026-01-05T10:00:00Z,60\nx,y,z,1\n")
    assert main(["telecom", "import-cdr", "--case", case["props"]["case_number"], str(cdr), "--owner", "agent_a"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["loaded"] == 1 and [r["row"] for r in result["refused"]] == [3]
    subs = tmp_path / "subs.csv"
    subs.write_text("number,subscriber_name\n305-555-0101,Jane Roe\n")
    assert main(["telecom", "import-subscribers", "--case", case["uid"], str(subs)]) == 0
    assert json.loads(capsys.readouterr().out)["loaded"] == 1


def test_reindex_matching_rewrites_stale_blocking_keys(graph, org, test_settings, monkeypatch):
    from ccms_graph.cli import main
    from ccms_graph.logic.entities import records

    p = records.create_entity(graph, org.agent_a, "Person", {"given_name": "Hilde", "family_name": "Brandt",
                                                             "dob": "1961-04-02"})
    fresh = graph.query("MATCH (n:Person {uid: $u}) RETURN n.match_keys AS k", {"u": p["uid"]})[0]["k"]
    graph.query("MATCH (n:Person {uid: $u}) SET n.match_keys = 'Person:STALE'", {"u": p["uid"]}, write=True)
    monkeypatch.setenv("CCMS_NEO4J_URI", test_settings.bolt_uri)
    assert main(["reindex-matching"]) == 0
    assert graph.query("MATCH (n:Person {uid: $u}) RETURN n.match_keys AS k", {"u": p["uid"]})[0]["k"] == fresh


def test_deconflict_command_audits_each_batch_with_what_it_checked_and_found(graph, org, tmp_path, cli_env):
    existing = make_person(graph, org.agent_b, given_name="William", family_name="Thornbury", dob="1979-04-23")
    src = _write(tmp_path / "check.jsonl", [
        {"ref": "Q1", "given_name": "Bill", "family_name": "Thornbury", "dob": "1979-04-23"},
        {"ref": "Q2", "given_name": "Nobody", "family_name": "Zzyzx", "dob": "2001-01-01"},
    ])

    assert main(["deconflict", "--type", "person", src, "--as", "agent_a", "--out", str(tmp_path / "o")]) == 0

    rows = graph.query("MATCH (e:AuditEntry {action: 'deconflict', actor_uid: $me}) "
                       "RETURN e.targets AS targets, e.details AS details", {"me": org.agent_a.uid})
    (entry,) = [{**r, "details": json.loads(r["details"])} for r in rows]
    assert entry["targets"] == [existing["uid"]]
    assert entry["details"]["records"] == 2 and entry["details"]["candidates"] == 1
    assert entry["details"]["refs"] == ["Q1", "Q2"]


def test_a_file_that_is_not_utf8_is_read_as_windows_1252_and_a_missing_file_is_an_error_not_a_traceback(
        graph, org, tmp_path, capsys, cli_env):
    """Before, a Latin-1 export (a German registry's "Müller") stopped `import` with a UnicodeDecodeError
    traceback, and a mistyped file name with a FileNotFoundError one."""
    src = tmp_path / "people.csv"
    src.write_bytes("given_name,family_name,dob\nJürgen,Müller,1970-01-02\n“Zoë”,Brontë,1971-03-04\n".encode("cp1252"))
    assert main(["import", "--type", "person", str(src)]) == 0
    err = capsys.readouterr().err
    assert f"note: {src} is not UTF-8 (byte 28 is not); read as cp1252" in err and "Traceback" not in err
    names = graph.query("MATCH (p:Person) RETURN p.given_name AS g, p.family_name AS f ORDER BY f")
    assert names == [{"g": "“Zoë”", "f": "Brontë"}, {"g": "Jürgen", "f": "Müller"}]
    assert main(["deconflict", "--type", "person", "--encoding", "latin-1", str(src)]) == 0
    assert '"caption": "J\\u00fcrgen M\\u00fcller"' in capsys.readouterr().out
    unicode_text = tmp_path / "people.tsv"  # Excel's "Unicode text": UTF-16 with its byte-order mark, tabs
    unicode_text.write_bytes("given_name\tfamily_name\nÅsa\tLindström\n".encode("utf-16"))
    assert main(["import", "--type", "person", str(unicode_text)]) == 0
    assert "note:" not in capsys.readouterr().err
    assert graph.query("MATCH (p:Person {family_name: 'Lindström'}) RETURN p.given_name AS g") == [{"g": "Åsa"}]
    for missing in (tmp_path / "nope.jsonl", tmp_path):
        assert main(["import", "--type", "person", str(missing)]) == 2
        err = capsys.readouterr().err
        assert err.startswith(f"error: {missing}: ") and "Traceback" not in err
    assert main(["import", "--type", "person", "--encoding", "klingon", str(src)]) == 2
    assert capsys.readouterr().err == "error: unknown encoding: klingon\n"


def test_a_command_whose_database_does_not_answer_says_so_in_one_line(tmp_path, capsys, monkeypatch):
    """Before, a traceback ending in ServiceUnavailable."""
    from ccms_graph import db

    monkeypatch.setenv("CCMS_NEO4J_URI", "bolt://127.0.0.1:9")  # the discard port: nothing answers Bolt there
    monkeypatch.setattr(db, "_graph", None)  # the command makes its own Graph, as a fresh process does
    src = _write(tmp_path / "people.jsonl", LINES[:1])
    try:
        assert main(["import", "--type", "person", src]) == 3
    finally:
        db.close_graph()
    err = capsys.readouterr().err
    assert err.splitlines()[-1].startswith("error: Neo4j did not answer (") and "Traceback" not in err


@pytest.mark.parametrize(("args", "said"), [(["import", "--type", "person", "--batch", "0"], "--batch: at least 1; got 0"),
                                            (["deconflict", "--type", "person", "--limit", "-1"], "--limit: at least 1"),
                                            (["lpr", "import", "--batch", "x"], "--batch: a whole number, at least 1")])
def test_a_count_below_its_least_is_refused_naming_the_option(args, said, tmp_path, capsys):
    """Before, `--batch 0` or `-5` ran (one line a transaction) and `--limit -1` was taken as given."""
    with pytest.raises(SystemExit) as ended:
        main([*args, str(tmp_path / "any.jsonl")])
    assert ended.value.code == 2 and said in capsys.readouterr().err


def test_an_import_whose_report_cannot_be_written_stops_before_it_loads_anything(graph, org, tmp_path, capsys, cli_env):
    """Before, every line loaded and then the report could not be opened: the refusals were lost."""
    src = _write(tmp_path / "people.jsonl", LINES)
    assert main(["import", "--type", "person", src, "--report", str(tmp_path / "no" / "such" / "dir.jsonl")]) == 2
    assert "No such file or directory" in capsys.readouterr().err
    assert graph.query("MATCH (p:Person) RETURN count(p) AS n") == [{"n": 0}]
