"""The case deconfliction API: check for open cases on a subject and violation, request the case with the check,
and read what it found; each answer redacted by the one access policy, refusals by field."""

from __future__ import annotations

import json

import pytest

from tests.api.conftest import api_only_app
from tests.factories import make_person
from tests.logic.casework.helpers import open_case

SMUGGLING = "18 USC 545 (smuggling)"
PERSON = {"type": "Person", "fields": {"given_name": "Jonathon", "family_name": "Smithers", "dob": "1980-05-17"}}


def _problem(r, status):
    assert r.status_code == status, (r.status_code, r.get_data(as_text=True)[:400])
    assert r.mimetype == "application/problem+json"
    return r.get_json()


@pytest.fixture
def cases_on_the_subject(graph, org):
    """A Miami case and a restricted New York case, both on Jonathan Smithers for smuggling."""
    out = {}
    for owner, sup, title, restricted in ((org.agent_b, org.sup_mia, "Operation Heron", False),
                                          (org.agent_nyc, org.sup_nyc, "Operation Lantern", True)):
        case = open_case(graph, owner, sup, title, violations=[SMUGGLING], restricted=restricted)
        make_person(graph, owner, case_uid=case["uid"], given_name="Jonathan", family_name="Smithers",
                    dob="1980-05-17")
        out[title] = case
    return out


def test_the_check_and_the_request_and_the_summary_are_in_the_openapi_document():
    spec = api_only_app().test_client().get("/api/v1/openapi.json").get_json()
    assert "post" in spec["paths"]["/api/v1/cases/deconfliction-checks"]
    assert "get" in spec["paths"]["/api/v1/cases/{case_uid}/deconfliction"]
    body = spec["paths"]["/api/v1/cases"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    ref = body["$ref"].rsplit("/", 1)[-1]
    assert "deconfliction_check" in spec["components"]["schemas"][ref]["properties"]


def test_an_agent_checks_requests_the_case_with_the_check_and_the_supervisor_sees_it(as_user, org,
                                                                                      cases_on_the_subject):
    heron, lantern = cases_on_the_subject["Operation Heron"], cases_on_the_subject["Operation Lantern"]
    agent = as_user(org.agent_a)

    r = agent.post("cases/deconfliction-checks", json={"subjects": [PERSON], "violations": ["18 U.S.C. 545"]})

    assert r.status_code == 200, r.get_data(as_text=True)
    out = r.get_json()
    assert out["conflict"] is True
    readable, hidden = out["cases"]
    assert (readable["case_number"], readable["owner"]["name"]) == (heron["props"]["case_number"], "Agent B")
    assert hidden == {"restricted": True, "conflict": True, "owner": hidden["owner"]}
    assert hidden["owner"]["email"] == "agent_nyc@example.gov"
    assert lantern["props"]["case_number"] not in r.get_data(as_text=True)

    r = agent.post("cases", json={"title": "Operation Egret", "violations": [SMUGGLING],
                                  "deconfliction_check": out["check_uid"]})
    assert r.status_code == 201, r.get_data(as_text=True)
    case = r.get_json()
    assert case["props"]["deconfliction_check"] == out["check_uid"]

    seen = as_user(org.sup_mia).get(f"cases/{case['uid']}/deconfliction").get_json()
    assert (seen["checked"], seen["conflicts"], seen["other_cases"], seen["restricted"]) == (True, 2, 0, 1)
    assert [c["case_number"] for c in seen["cases"]] == [heron["props"]["case_number"]]
    assert "Lantern" not in json.dumps(seen)


def test_another_office_is_shown_whom_to_call_and_nothing_else(as_user, org, cases_on_the_subject):
    r = as_user(org.agent_nyc).post("cases/deconfliction-checks", json={"subjects": [PERSON],
                                                                        "violations": ["18 USC 545"]})
    readable, hidden = r.get_json()["cases"]
    assert readable["case_number"] == cases_on_the_subject["Operation Lantern"]["props"]["case_number"]  # theirs
    assert hidden == {"restricted": True, "conflict": True, "owner": hidden["owner"]}
    assert hidden["owner"]["name"] == "Agent B"
    assert "Heron" not in r.get_data(as_text=True)


@pytest.mark.parametrize(("body", "field"), [
    ({"subjects": [PERSON]}, "violations"),
    ({"violations": [SMUGGLING]}, "subjects"),
    ({"subjects": [{"type": "Vessel", "fields": {}}], "violations": [SMUGGLING]}, "subjects"),
    ({"subjects": [{"type": "Person", "fields": {"dob": "x" * 500}}], "violations": [SMUGGLING]}, "subjects"),
    ({"subject_uids": "abc", "violations": [SMUGGLING]}, "subject_uids"),
])
def test_bad_input_is_a_problem_naming_the_field(as_user, org, body, field):
    problem = _problem(as_user(org.agent_a).post("cases/deconfliction-checks", json=body), 422)
    assert field in problem["errors"]


def test_a_check_of_another_user_is_refused_by_field(as_user, org):
    check = as_user(org.agent_a).post("cases/deconfliction-checks", json={"subjects": [PERSON],
                                                                          "violations": [SMUGGLING]}).get_json()
    problem = _problem(as_user(org.agent_b).post("cases", json={"title": "Operation Egret", "violations": [SMUGGLING],
                                                                "deconfliction_check": check["check_uid"]}), 422)
    assert problem["errors"] == {"deconfliction_check": [f"no deconfliction check {check['check_uid']} of yours"]}


def test_the_summary_of_a_hidden_case_answers_like_a_missing_one(as_user, org, cases_on_the_subject):
    agent = as_user(org.agent_a)
    hidden = _problem(agent.get(f"cases/{cases_on_the_subject['Operation Lantern']['uid']}/deconfliction"), 404)
    missing = _problem(agent.get("cases/no-such-case/deconfliction"), 404)
    assert hidden["detail"].replace(cases_on_the_subject["Operation Lantern"]["uid"], "X") == \
        missing["detail"].replace("no-such-case", "X")
    assert agent.get(f"cases/{cases_on_the_subject['Operation Heron']['uid']}/deconfliction").get_json() == {
        "checked": False}


def test_an_auditor_checks_nothing(as_user, org):
    _problem(as_user(org.auditor).post("cases/deconfliction-checks", json={"subjects": [PERSON],
                                                                           "violations": [SMUGGLING]}), 403)
