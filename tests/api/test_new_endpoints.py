"""The API over saved queries, shortest path, comments, case access, offices, telecom, imports and record delete:
each answers its logic function's result to someone in scope and refuses someone out of it."""

from __future__ import annotations

import io
import json

import pytest

from ccms_graph.logic.casework import approvals
from tests.factories import a_readable_and_a_hidden_match, make_person
from tests.logic.casework.helpers import open_case

SAVED = """// name: my_office_people
// description: People of my office.
// result: table
// roles: agent, analyst, supervisor
// param: limit | int | 10 | min=1 max=100
MATCH (n:Person) WHERE n.office_code IN $offices AND {{subject_readable n}}
RETURN n.uid AS uid ORDER BY uid LIMIT $limit
"""


def _problem(r, status):
    assert r.status_code == status, (r.status_code, r.get_data(as_text=True)[:400])
    assert r.mimetype == "application/problem+json"
    return r.get_json()


@pytest.fixture
def case(graph, org):
    return open_case(graph, org.agent_a, org.sup_mia, title="Port smuggling")


# ---------------------------------------------------------------------------------------------
# Saved queries
# ---------------------------------------------------------------------------------------------


def test_catalogue_lists_what_the_role_may_run(as_user, org):
    names = {q["name"] for q in as_user(org.analyst_mia).get("queries").get_json()}
    assert {"shortest_path", "shared_phones"} <= names
    spec = next(q for q in as_user(org.analyst_mia).get("queries").get_json() if q["name"] == "shared_phones")
    assert spec["params"][0]["name"] == "min_cases" and spec["kind"] == "table"
    assert "shared_phones" not in {q["name"] for q in as_user(org.admin).get("queries").get_json()}


def test_run_a_query_as_json_and_csv(as_user, graph, org, case):
    person = make_person(graph, org.agent_a, case_uid=case["uid"], family_name="Quill")
    api = as_user(org.agent_a)
    r = api.post("queries/recent_office_entities/run", json={"params": {"days": 30}, "sort": "uid"})
    assert r.status_code == 200, r.get_json()
    out = r.get_json()
    assert out["kind"] == "table" and person["uid"] in [row["uid"] for row in out["rows"]]
    csv = api.get("queries/recent_office_entities/run.csv", query_string={"days": "30"})
    assert csv.status_code == 200 and csv.mimetype == "text/csv"
    header, *lines = csv.get_data(as_text=True).splitlines()
    assert header.split(",")[:2] == ["record", "uid"] and any(person["uid"] in line for line in lines)


def test_run_refusals(as_user, org):
    api = as_user(org.agent_a)
    assert "days" in _problem(api.post("queries/recent_office_entities/run", json={"params": {"days": 0}}),
                              422)["errors"]
    assert "days" in _problem(api.get("queries/recent_office_entities/run.csv",
                                      query_string={"days": "many"}), 422)["errors"]
    _problem(api.post("queries/no_such_query/run", json={}), 404)
    _problem(as_user(org.admin).post("queries/shared_phones/run", json={}), 403)


def test_save_run_and_approve_a_version(as_user, org):
    analyst = as_user(org.analyst_mia)
    r = analyst.post("queries", json={"name": "my_office_people", "text": SAVED})
    assert r.status_code == 201 and r.get_json() == {"name": "my_office_people", "version": 1}
    assert analyst.post("queries/my_office_people/run", json={}).status_code == 200
    _problem(as_user(org.agent_a).post("queries/my_office_people/run", json={}), 404)  # unapproved: not theirs
    _problem(analyst.post("queries/my_office_people/versions/1/approve"), 403)  # no self-approval
    approved = as_user(org.sup_mia).post("queries/my_office_people/versions/1/approve")
    assert approved.status_code == 200 and approved.get_json()["approved_version"] == 1
    assert as_user(org.agent_a).post("queries/my_office_people/run", json={}).status_code == 200
    _problem(as_user(org.sup_mia).post("queries/my_office_people/versions/9/approve"), 404)


def test_saving_refuses_writes_and_roles_that_do_not_author(as_user, org):
    text = SAVED.replace("RETURN n.uid AS uid", "SET n.x = 1 RETURN n.uid AS uid")
    assert "text" in _problem(as_user(org.analyst_mia).post("queries", json={"name": "bad_one", "text": text}),
                              422)["errors"]
    assert "name" in _problem(as_user(org.analyst_mia).post("queries", json={"name": "Bad Name", "text": SAVED}),
                              422)["errors"]
    _problem(as_user(org.auditor).post("queries", json={"name": "my_office_people", "text": SAVED}), 403)


# ---------------------------------------------------------------------------------------------
# Shortest path
# ---------------------------------------------------------------------------------------------


def test_shortest_path_through_a_shared_phone_and_never_through_hidden_records(as_user, graph, org):
    a = make_person(graph, org.agent_a, given_name="Ann", phones=["+13055550177"])["uid"]
    b = make_person(graph, org.agent_a, given_name="Bea", phones=["+13055550177"])["uid"]
    secret_case = open_case(graph, org.agent_nyc, org.sup_nyc, title="Secret", restricted=True)["uid"]
    hidden = make_person(graph, org.agent_nyc, case_uid=secret_case, given_name="Cy", phones=["+13055550177"])["uid"]
    api = as_user(org.agent_a)
    r = api.get("graph/path", query_string={"from": a, "to": b})
    assert r.status_code == 200, r.get_json()
    uids = {n["uid"] for n in r.get_json()["nodes"]}
    assert {a, b} <= uids and r.get_json()["kind"] == "graph"
    r = api.get("graph/path", query_string={"from": a, "to": hidden})
    assert r.status_code == 200 and r.get_json()["nodes"] == r.get_json()["edges"] == []  # as if no path
    nyc = make_person(graph, org.agent_nyc, given_name="Dee", phones=["+13055550177"])["uid"]
    seen = as_user(org.agent_nyc).get("graph/path", query_string={"from": hidden, "to": nyc}).get_json()["nodes"]
    assert {hidden, nyc} <= {n["uid"] for n in seen}  # the same path for someone on the case


def test_shortest_path_validates_its_arguments(as_user, org):
    body = _problem(as_user(org.agent_a).get("graph/path", query_string={"from": "a b", "max_hops": 99}), 422)
    assert {"from", "to", "max_hops"} <= set(body["errors"])


# ---------------------------------------------------------------------------------------------
# Comments
# ---------------------------------------------------------------------------------------------


def test_comments_on_a_readable_record(as_user, graph, org):
    person = make_person(graph, org.agent_a)["uid"]
    r = as_user(org.agent_b).post(f"records/{person}/comments", json={"text": "Victim, not target", "kind": "correction"})
    assert r.status_code == 201 and r.get_json()["kind"] == "correction"
    listed = as_user(org.agent_a).get(f"records/{person}/comments").get_json()
    assert [c["text"] for c in listed] == ["Victim, not target"]
    _problem(as_user(org.auditor).post(f"records/{person}/comments", json={"text": "auditors annotate nothing"}), 403)
    _problem(as_user(org.agent_nyc).get(f"records/{person}/comments"), 403)
    assert "text" in _problem(as_user(org.agent_a).post(f"records/{person}/comments", json={}), 422)["errors"]


# ---------------------------------------------------------------------------------------------
# Case access: restriction and team
# ---------------------------------------------------------------------------------------------


def test_restrict_a_case_and_manage_its_team(as_user, org, case):
    owner, colleague = as_user(org.agent_a), as_user(org.agent_b)
    assert colleague.get(f"cases/{case['uid']}").status_code == 200
    r = owner.put(f"cases/{case['uid']}/restricted", json={"restricted": True, "reason": "informant named"})
    assert r.status_code == 202 and r.get_json()["restricted"] is False
    assert "subjects" not in r.get_json() and "documents" not in r.get_json()
    assert colleague.get(f"cases/{case['uid']}").status_code == 200  # until the supervisor approves
    request_uid = r.get_json()["restriction_request"]["request_uid"]
    assert as_user(org.sup_mia).post(f"approvals/{request_uid}/decision",
                                     json={"decision": "approved"}).status_code == 200
    _problem(colleague.get(f"cases/{case['uid']}"), 404)
    r = owner.post(f"cases/{case['uid']}/team/{org.agent_b.uid}")
    assert r.status_code == 200 and org.agent_b.uid in r.get_json()["team_uids"]
    assert colleague.get(f"cases/{case['uid']}").status_code == 200
    assert owner.delete(f"cases/{case['uid']}/team/{org.agent_b.uid}").status_code == 200
    _problem(colleague.get(f"cases/{case['uid']}"), 404)
    assert "member_uid" in _problem(owner.post(f"cases/{case['uid']}/team/{org.auditor.uid}"), 422)["errors"]


def test_case_access_changes_are_refused_to_readers_who_may_not_change_it(as_user, org, case):
    _problem(as_user(org.analyst_mia).put(f"cases/{case['uid']}/restricted",
                                          json={"restricted": True, "reason": "not mine"}), 403)
    _problem(as_user(org.analyst_mia).post(f"cases/{case['uid']}/team/{org.analyst_mia.uid}"), 403)
    assert "reason" in _problem(as_user(org.agent_a).put(f"cases/{case['uid']}/restricted",
                                                        json={"restricted": True}), 422)["errors"]


# ---------------------------------------------------------------------------------------------
# Offices
# ---------------------------------------------------------------------------------------------


def test_offices_are_listed_to_any_signed_in_user(as_user, client, org):
    codes = [o["code"] for o in as_user(org.analyst_mia).get("offices").get_json()]
    assert codes == ["MIA", "MIA-PEV", "NYC"]
    _problem(client.get("/api/v1/offices"), 401)


# ---------------------------------------------------------------------------------------------
# Telecom uploads
# ---------------------------------------------------------------------------------------------

CDR = (b"originating_number,terminating_number,start_time,duration\n"
       b"+13055550101,+13055550102,2024-01-02T10:00:00,60\n"
       b"not a number,+13055550102,2024-01-02T11:00:00,60\n")


def _csv(data: bytes, name="calls.csv"):
    return {"file": (io.BytesIO(data), name, "text/csv")}


def test_call_records_load_with_refused_rows_by_number(as_user, org, case):
    api = as_user(org.agent_a)
    r = api.post(f"cases/{case['uid']}/telecom/cdr", data=_csv(CDR))
    assert r.status_code == 200, r.get_json()
    out = r.get_json()
    assert out["loaded"] == 1 and out["rows"] == 2 and [x["row"] for x in out["refused"]] == [3]
    again = api.post(f"cases/{case['uid']}/telecom/cdr", data=_csv(CDR)).get_json()
    assert again["loaded"] == 0 and [x["row"] for x in again["duplicates"]] == [2]
    subs = api.post(f"cases/{case['uid']}/telecom/subscribers",
                    data=_csv(b"number,subscriber_name\n+13055550101,Ann Other\n", "subs.csv"))
    assert subs.status_code == 200 and subs.get_json()["loaded"] == 1


def test_telecom_uploads_are_refused_out_of_scope_or_malformed(as_user, org, case):
    _problem(as_user(org.analyst_mia).post(f"cases/{case['uid']}/telecom/cdr", data=_csv(CDR)), 403)
    api = as_user(org.agent_a)
    assert "header" in _problem(api.post(f"cases/{case['uid']}/telecom/cdr", data=_csv(b"\xff\xfe\x00bad")),
                                422)["errors"]
    assert "header" in _problem(api.post(f"cases/{case['uid']}/telecom/cdr", data=_csv(b"a,b\n1,2\n")),
                                422)["errors"]
    over_limit = b"x" * (80 * 1024)  # above the logic's upload limit (64 KiB in tests), below the request's
    assert "file" in _problem(api.post(f"cases/{case['uid']}/telecom/cdr", data=_csv(over_limit)), 422)["errors"]
    _problem(api.post(f"cases/{case['uid']}/telecom/cdr", data=_csv(b"x" * (200 * 1024))), 413)


# ---------------------------------------------------------------------------------------------
# JSONL imports
# ---------------------------------------------------------------------------------------------


def _jsonl(*lines):
    return {"file": (io.BytesIO("\n".join(lines).encode()), "people.jsonl", "application/x-ndjson")}


def test_jsonl_import_creates_records_and_lists_refused_lines(as_user, graph, org, case):
    lines = (json.dumps({"ref": "A-1", "given_name": "Dana", "family_name": "Reyes", "ssn": "12345678"}),
             "{not json", json.dumps({"ref": "A-3", "colour": "red"}))
    r = as_user(org.agent_a).post("imports/persons", data=_jsonl(*lines), query_string={"case_uid": case["uid"]})
    assert r.status_code == 200, r.get_json()
    out = r.get_json()
    assert out["lines"] == 3 and out["created"] == 1
    assert [x["line"] for x in out["refused"]] == [2, 3] and out["warnings"] == [
        {"line": 1, "unverified": ["ssn"], "problems": {"ssn": "'12345678' is not a valid SSN"}}]
    subjects = graph.query("MATCH (p:Person)-[:SUBJECT_IN]->(:Case {uid: $c}) RETURN p.source_ref AS ref",
                           {"c": case["uid"]})
    assert [s["ref"] for s in subjects] == ["A-1"]


def test_jsonl_import_lists_each_line_that_met_a_record_with_whom_to_call_never_a_hidden_one(as_user, graph, org):
    mine, hidden, lines = a_readable_and_a_hidden_match(graph, org)
    r = as_user(org.agent_a).post("imports/persons", data=_jsonl(*map(json.dumps, lines)))
    assert r.status_code == 200, r.get_json()
    out, text = r.get_json(), r.get_data(as_text=True)
    met = {m["ref"]: m for m in out["hit_lines"]}
    assert sorted(met) == ["L1", "L3"] and out["hit_lines_total"] == 2 and met["L3"]["line"] == 3
    (seen,) = met["L1"]["hits"]
    assert (seen["uid"], seen["source_ref"], seen["owner"]["name"]) == (mine["uid"], "MIA-9", org.agent_b.name)
    assert met["L1"]["sub_record_of"] == mine["uid"]
    (locked,) = met["L3"]["hits"]
    assert (locked["restricted"], locked["uid"], locked["owner"]["name"]) == (True, None, org.agent_nyc.name)
    assert hidden["uid"] not in text and "NYC-SECRET-5" not in text


def test_a_csv_import_reads_its_rows_by_the_header_and_a_bad_header_is_422_naming_the_file(as_user, graph, org):
    api = as_user(org.agent_a)
    text = "Record ID;First Name;Last Name;SSN\nA-1;Dana;Reyes;12345678\nA-2;;;\nA-3;Ann;Lee;;;x\n"
    r = api.post("imports/persons", data={"file": (io.BytesIO(text.encode()), "people.csv", "text/csv")})
    assert r.status_code == 200, r.get_json()
    out = r.get_json()
    assert (out["lines"], out["created"]) == (3, 1)
    assert [x["line"] for x in out["refused"]] == [3, 4]  # A-2 identifies nothing; A-3 has cells past the header
    assert out["refused"][1] == {"line": 4, "reason": "6 cells, the header has 4 columns"}
    assert out["warnings"] == [{"line": 2, "unverified": ["ssn"], "problems": {"ssn": "'12345678' is not a valid SSN"}}]
    assert graph.query("MATCH (p:Person) RETURN p.source_ref AS ref, p.given_name AS g") == [{"ref": "A-1", "g": "Dana"}]
    bad = _problem(api.post("imports/persons", data={"file": (io.BytesIO(b"ref,ref\n1,2\n"), "p.csv", "text/csv")}),
                   422)
    assert bad["errors"] == {"file": ["the header names 'ref' twice (columns 1 and 2)"]}


def test_a_csv_saved_by_a_windows_spreadsheet_or_as_unicode_text_imports_as_written(as_user, graph, org):
    """Before, a Windows-1252 file (Excel's "CSV") was refused as "not UTF-8 text", and so was UTF-16 (its
    "Unicode text"); the command line reads both (cli/files.py), and now the API and the browser do too."""
    api = as_user(org.agent_a)
    for ref, data in (("W", "ref,First Name,Last Name\nW,Jürgen,Müller\n".encode("cp1252")),
                      ("U", "ref\tFirst Name\tLast Name\nU,Zoë,Brontë\n".replace(",", "\t").encode("utf-16"))):
        r = api.post("imports/persons", data={"file": (io.BytesIO(data), "people.csv" if ref == "W" else "people.tsv",
                                                        "text/csv")})
        assert r.status_code == 200 and r.get_json()["created"] == 1, r.get_json()
    assert sorted((r["ref"], r["g"], r["f"]) for r in graph.query(
        "MATCH (p:Person) RETURN p.source_ref AS ref, p.given_name AS g, p.family_name AS f")) == [
        ("U", "Zoë", "Brontë"), ("W", "Jürgen", "Müller")]


def test_jsonl_import_into_a_case_out_of_scope_is_refused(as_user, graph, org):
    secret = open_case(graph, org.agent_nyc, org.sup_nyc, title="Secret", restricted=True)["uid"]
    line = json.dumps({"given_name": "Dana", "family_name": "Reyes"})
    _problem(as_user(org.agent_a).post("imports/persons", data=_jsonl(line), query_string={"case_uid": secret}), 404)
    assert not graph.query("MATCH (p:Person) RETURN p")
    _problem(as_user(org.agent_a).post("imports/persons", data={}), 422)


# ---------------------------------------------------------------------------------------------
# Delete
# ---------------------------------------------------------------------------------------------


def test_delete_a_record_with_a_reason(as_user, graph, org):
    person = make_person(graph, org.agent_a)["uid"]
    approvals.approve(graph, org.sup_mia, person)
    api = as_user(org.agent_a)
    assert "reason" in _problem(api.delete(f"records/{person}"), 422)["errors"]
    _problem(as_user(org.agent_nyc).delete(f"records/{person}", query_string={"reason": "not mine"}), 403)
    r = api.delete(f"records/{person}", query_string={"reason": "entered twice"})
    assert r.status_code == 200 and r.get_json() == {"uid": person, "deleted": True}
    _problem(api.get(f"records/{person}"), 404)


def test_a_record_decision_names_the_version_reviewed_and_a_changed_record_is_409(as_user, graph, org):
    person = make_person(graph, org.agent_a, given_name="Viktor", family_name="Orlov")
    sup = as_user(org.sup_mia)
    (item,) = [q for q in sup.get("approvals").get_json() if q["target_uid"] == person["uid"]]
    assert item["target_version"] == 1
    assert as_user(org.agent_a).patch(f"records/{person['uid']}", json={"family_name": "Orlova"}).status_code == 200
    stale = sup.post(f"approvals/{person['uid']}/decision", json={"decision": "approved", "version": 1})
    assert stale.status_code == 409 and "has changed since you reviewed it" in stale.get_json()["detail"]
    bad = sup.post(f"approvals/{person['uid']}/decision", json={"decision": "approved", "version": "latest"})
    assert bad.status_code == 422 and "version" in bad.get_json()["errors"]
    fresh = sup.post(f"approvals/{person['uid']}/decision", json={"decision": "approved", "version": 2})
    assert fresh.status_code == 200 and fresh.get_json()["status"] == "approved"



def test_a_csv_import_reads_a_mapped_column_and_a_bad_map_is_422_naming_map(as_user, graph, org):
    api = as_user(org.agent_a)
    text = b"unique_id,cluster,first_name,surname,postcode_fake\nH-1,c9,Dana,Reyes,33101\n"
    r = api.post("imports/persons", data={"file": (io.BytesIO(text), "people.csv", "text/csv")},
                 query_string={"map": ["postcode_fake=postcode", "cluster="]})
    assert r.status_code == 200, r.get_json()
    assert (r.get_json()["created"], r.get_json()["warnings"]) == (1, [])
    assert graph.query("MATCH (p:Person {source_ref: 'H-1'})-[:RESIDES_AT]->(a) RETURN a.postcode AS z") == [
        {"z": "33101"}]
    bad = _problem(api.post("imports/persons", data={"file": (io.BytesIO(text), "people.csv", "text/csv")},
                            query_string={"map": ["postcode_fake=zipp"]}), 422)
    assert list(bad["errors"]) == ["map"] and "'zipp' is no Person field" in bad["errors"]["map"][0]
    gone = _problem(api.post("imports/persons", data={"file": (io.BytesIO(text), "people.csv", "text/csv")},
                             query_string={"map": ["nope=city"]}), 422)
    assert "the file has no column 'nope'" in gone["errors"]["map"][0]
    assert graph.query("MATCH (p:Person) RETURN count(p) AS n") == [{"n": 1}]
