"""Every error is one RFC 9457 shape: 422 naming fields, 404, 409 on stale versions and duplicates, 413, 503."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

from neo4j import GraphDatabase

from ccms_graph.db import Graph
from ccms_graph.web import create_app
from tests.api.conftest import token_for
from tests.factories import make_person

PROBLEM_KEYS = {"type", "title", "status", "detail", "instance"}


def _problem(r, status):
    assert r.status_code == status, (r.status_code, r.get_data(as_text=True)[:500])
    assert r.mimetype == "application/problem+json"
    body = r.get_json()
    assert PROBLEM_KEYS <= set(body) and body["status"] == status
    assert "Traceback" not in r.get_data(as_text=True)
    return body


def test_a_lone_surrogate_in_a_json_body_is_422_naming_its_field_and_nothing_is_written(as_user, org, graph):
    """JSON's "\\ud800" escape decodes to half a UTF-16 pair, which no store takes: it was a 500 (the driver
    could not encode it), after the request had been checked and half handled."""
    api = as_user(org.agent_a)
    sent = '{"given_name": "Ann\\ud800", "family_name": "Odd", "addresses": [{"line1": "1 Main \\udc00St"}]}'
    body = _problem(api.post("records/persons", data=sent, content_type="application/json"), 422)
    assert set(body["errors"]) == {"given_name", "addresses"} and "surrogate" in body["errors"]["given_name"][0]
    admin = as_user(org.admin)  # an endpoint that hands the body on as sent (raw_body) is refused the same way
    body = _problem(admin.post("admin/offices", data='{"code": "XX", "name": "\\udfffOffice", "kind": "field_office"}',
                               content_type="application/json"), 422)
    assert list(body["errors"]) == ["name"]
    assert graph.query("MATCH (n) WHERE n:Person OR (n:Office AND n.code = 'XX') RETURN count(n) AS n") == [{"n": 0}]
    pair = '{"given_name": "Ann \\ud83d\\ude00", "family_name": "Odd"}'  # a whole pair is text: an emoji
    assert api.post("records/persons", data=pair, content_type="application/json").status_code == 201


def test_a_date_of_birth_that_is_no_past_date_is_422_naming_dob_on_create_and_edit(as_user, org, graph):
    """It was stored as written (flagged) with a 201 that said nothing; a file's import still keeps it."""
    api = as_user(org.agent_a)
    body = _problem(api.post("records/persons", json={"given_name": "Ana", "dob": "sometime in the 70s"}), 422)
    assert list(body["errors"]) == ["dob"] and "not a date of birth" in body["errors"]["dob"][0]
    tomorrow = (date.today() + timedelta(days=1)).isoformat()
    body = _problem(api.post("records/persons", json={"given_name": "Ana", "dob": tomorrow}), 422)
    assert "after today" in body["errors"]["dob"][0]
    assert graph.query("MATCH (n:Person) RETURN count(n) AS n") == [{"n": 0}]
    made = api.post("records/persons", json={"given_name": "Ana", "dob": "1975-02"})
    assert made.status_code == 201
    body = _problem(api.patch(f"records/{made.get_json()['uid']}", json={"dob": "1975-02-30"},
                              headers={"If-Match": '"1"'}), 422)
    assert list(body["errors"]) == ["dob"]
    assert graph.query("MATCH (n:Person) RETURN n.dob AS dob, n.version AS v") == [{"dob": "1975-02", "v": 1}]


def test_bad_body_is_422_naming_each_field(as_user, org):
    body = _problem(as_user(org.agent_a).post("cases", json={"title": "x", "restricted": "perhaps"}), 422)
    assert {"title", "restricted"} <= set(body["errors"])


def test_bad_query_is_422_naming_the_parameter(as_user, org):
    body = _problem(as_user(org.auditor).get("audit", query_string={"limit": 0, "action": "nonsense"}), 422)
    assert {"limit", "action"} <= set(body["errors"])


def test_unknown_field_and_non_object_bodies_are_refused(as_user, org):
    assert "colour" in _problem(as_user(org.agent_a).post("records/persons",
                                                          json={"given_name": "Ann", "colour": "red"}), 422)["errors"]
    _problem(as_user(org.agent_a).post("cases", json=["not", "an", "object"]), 422)
    _problem(as_user(org.agent_a).post("cases", data="{not json", content_type="application/json"), 400)


def test_logic_validation_comes_out_in_the_same_shape(as_user, org):
    body = _problem(as_user(org.agent_a).post("records/persons", json={"given_name": "Ann", "ssn": "12"}), 422)
    assert "ssn" in body["errors"]


def test_unknown_route_and_record_are_404_problems(as_user, org):
    _problem(as_user(org.agent_a).get("no/such/thing"), 404)
    _problem(as_user(org.agent_a).get("records/0123456789abcdef"), 404)


def test_stale_update_by_version_or_if_match_is_409(as_user, graph, org):
    person = make_person(graph, org.agent_a)
    api = as_user(org.agent_a)
    r = api.get(f"records/{person['uid']}")
    assert r.headers["ETag"] == '"1"'
    ok = api.patch(f"records/{person['uid']}", json={"middle_name": "Q"}, headers={"If-Match": '"1"'})
    assert ok.status_code == 200 and ok.headers["ETag"] == '"2"'
    body = _problem(api.patch(f"records/{person['uid']}", json={"middle_name": "R"}, headers={"If-Match": '"1"'}),
                    409)
    assert body["current_version"] == 2
    _problem(api.patch(f"records/{person['uid']}", json={"middle_name": "R", "version": 1}), 409)
    assert api.get(f"records/{person['uid']}").get_json()["props"]["middle_name"] == "Q"


def test_duplicate_unique_identifier_is_409(as_user, org):
    api = as_user(org.agent_a)
    vehicle = {"vin": "1HGCM82633A004352", "make": "Honda"}
    assert api.post("records/vehicles", json=vehicle).status_code == 201
    _problem(api.post("records/vehicles", json=vehicle), 409)


def _document(as_user, graph, org):
    from tests.logic.casework.helpers import open_case

    case = open_case(graph, org.agent_a, org.sup_mia)
    r = as_user(org.agent_a).post(f"cases/{case['uid']}/documents/evidence-items", json={"title": "Ledger"})
    assert r.status_code == 201, r.get_json()
    return r.get_json()["uid"]


def test_upload_limits_413_and_content_type_check(as_user, graph, org):
    import io

    api = as_user(org.agent_a)
    doc = _document(as_user, graph, org)
    url = f"documents/{doc}/attachments"
    too_big = api.post(url, data={"file": (io.BytesIO(b"x" * (200 * 1024)), "big.pdf", "application/pdf")})
    _problem(too_big, 413)
    over_logic_limit = api.post(url, data={"file": (io.BytesIO(b"x" * (80 * 1024)), "big.pdf", "application/pdf")})
    assert "file" in _problem(over_logic_limit, 422)["errors"]
    bad_type = api.post(url, data={"file": (io.BytesIO(b"MZ\x90\x00"), "tool.exe", "application/x-msdownload")})
    assert "content_type" in _problem(bad_type, 422)["errors"]
    ok = api.post(url, data={"file": (io.BytesIO(b"%PDF-1.4 ledger"), "ledger.pdf", "application/pdf")})
    assert ok.status_code == 201, ok.get_json()
    down = api.get(f"documents/{doc}/attachments/{ok.get_json()['uid']}")
    assert down.status_code == 200, down.get_data(as_text=True)[:300]
    assert down.data == b"%PDF-1.4 ledger" and down.mimetype == "application/pdf"
    # Someone outside the case cannot download it: a draft's existence is hidden (404); once approved, 403.
    _problem(as_user(org.agent_nyc).get(f"documents/{doc}/attachments/{ok.get_json()['uid']}"), 404)
    from ccms_graph.logic.casework import approvals, documents

    approvals.approve(graph, org.sup_mia, documents.submit_document(graph, org.agent_a, doc)["uid"])
    _problem(as_user(org.agent_nyc).get(f"documents/{doc}/attachments/{ok.get_json()['uid']}"), 403)


def test_database_down_is_503_with_retry_after(graph, org, test_settings):
    token = token_for(graph, org.agent_a)
    dead = Graph(replace(test_settings, neo4j_uri="bolt://127.0.0.1:9"))
    dead.driver.close()  # a real driver at a port nothing listens on, without 30 s of retries
    dead.driver = GraphDatabase.driver(dead.settings.bolt_uri, auth=("neo4j", "x"), max_transaction_retry_time=0,
                                       connection_timeout=2)
    try:
        app = create_app({"TESTING": True}, graph=graph)
        app.extensions["ccms_graph"] = dead  # the database goes away after start-up
        r = app.test_client().get("/api/v1/cases", headers={"Authorization": f"Bearer {token}"})
        body = _problem(r, 503)
        assert r.headers["Retry-After"].isdigit() and "database" in body["detail"]
    finally:
        dead.close()


def test_an_address_with_a_town_and_no_street_is_kept_and_one_with_neither_is_422_naming_it(as_user, org):
    api = as_user(org.agent_a)
    body = _problem(api.post("records/persons", json={"given_name": "Ana", "addresses": [{"country": "US"}]}), 422)
    assert body["errors"] == {"addresses": {"0": ["an address needs a street line (line1), a city or a postcode"]}}
    made = api.post("records/persons", json={"given_name": "Ana", "addresses": [{"postcode": "33010"}]})
    assert made.status_code == 201
    near = api.get(f"graph/neighbours/{made.get_json()['uid']}")  # a record's addresses are its neighbours
    assert near.status_code == 200 and "33010" in near.get_data(as_text=True)
