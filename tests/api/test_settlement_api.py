"""Creating a record that matches one the caller may read, through the JSON API (CBP CCMS PIA §2.4)."""

from __future__ import annotations

import pytest

from ccms_graph.web import create_app
from tests.api.conftest import Api, token_for
from tests.factories import make_person

IVAN = {"given_name": "Ivan", "family_name": "Dragomirov", "dob": "1961-11-30", "ssn": "212-55-1234"}


@pytest.fixture
def api(graph):
    app = create_app({"TESTING": True}, graph=graph)
    return lambda who: Api(app.test_client(), token_for(graph, who))


def _count(graph) -> int:
    return graph.query("MATCH (n:Person) RETURN count(n) AS n")[0]["n"]


def test_a_matching_create_answers_409_with_the_matches_and_creates_nothing(graph, org, api):
    theirs = make_person(graph, org.agent_b, **IVAN)
    r = api(org.agent_a).post("records/persons", json={**IVAN, "ssn": "212551234"})
    assert r.status_code == 409
    body = r.get_json()
    assert [m["uid"] for m in body["matches"]] == [theirs["uid"]]
    assert "sub_record_of" in body["detail"] and "separate_reason" in body["detail"]
    assert _count(graph) == 1


def test_the_caller_files_it_as_a_sub_record_or_says_why_it_is_separate(graph, org, api):
    theirs = make_person(graph, org.agent_b, **IVAN)
    sub = api(org.agent_a).post("records/persons", json={**IVAN, "sub_record_of": theirs["uid"]})
    assert sub.status_code == 201 and sub.get_json()["sub_record_of"] == theirs["uid"]
    apart = api(org.agent_a).post("records/persons", json={**IVAN, "separate_reason": "his son, same name"})
    assert apart.status_code == 201 and apart.get_json()["separate_reason"] == "his son, same name"
    assert _count(graph) == 3


@pytest.mark.parametrize("bad, field", [({"separate_reason": "x"}, "separate_reason"),
                                        ({"sub_record_of": ""}, "sub_record_of"),
                                        ({"sub_record_of": "no-such-record"}, "sub_record_of")])
def test_a_bad_settlement_names_the_field(graph, org, api, bad, field):
    make_person(graph, org.agent_b, **IVAN)
    r = api(org.agent_a).post("records/persons", json={**IVAN, **bad})
    assert r.status_code == 422 and field in r.get_json()["errors"]
    assert _count(graph) == 1


def test_a_record_hidden_from_the_caller_does_not_block_and_is_not_named(graph, org, api):
    theirs = make_person(graph, org.agent_nyc, **IVAN)
    r = api(org.agent_a).post("records/persons", json=IVAN)
    assert r.status_code == 201
    body = r.get_json()
    assert theirs["uid"] not in str(body) and [h["restricted"] for h in body["hits"]] == [True]
