"""GET /api/v1/search: the same grouped answer as the page, criteria checked field by field."""

from __future__ import annotations

import pytest

from tests.factories import make_person
from tests.policy.helpers import case


def test_the_api_answers_groups_facets_and_contacts(graph, org, as_user):
    p = make_person(graph, org.agent_a, given_name="Rosa", family_name="Vidal", phones=["+13055261332"])
    secret = case(graph, org.agent_a, "Operation Vidal", restricted=True)
    make_person(graph, org.agent_a, secret, given_name="Rosa", family_name="Vidal", separate_reason="a test")
    r = as_user(org.agent_b).get("search", query_string={"text": "(305) 526-1332"})
    assert r.status_code == 200, r.get_json()
    body = r.get_json()
    assert body["total"] == 2 and body["more"] is False
    assert [g["kind"] for g in body["groups"]] == ["Person", "Selector"]
    assert body["groups"][0]["hits"][0]["uid"] == p["uid"]
    assert body["contacts"] == []
    r = as_user(org.agent_b).get("search", query_string={"text": "vidal", "types": ["Person"]})
    assert [h["uid"] for g in r.get_json()["groups"] for h in g["hits"]] == [p["uid"]]  # the hidden one is not counted
    assert r.get_json()["facets"]["type"] == [{"value": "Person", "count": 1}]


@pytest.mark.parametrize(("query", "field"), [
    ({"text": "x", "date_from": "2024-02-30"}, "date_from"), ({"text": "x", "types": "Nope"}, "types"),
    ({"text": "x", "limit": "many"}, "limit"), ({}, "text"), ({"text": "*:*"}, "text"),
    ({"text": "x", "case_status": "gone"}, "case_status"),
])
def test_bad_criteria_are_422_naming_the_field(graph, org, as_user, query, field):
    r = as_user(org.agent_b).get("search", query_string=query)
    assert r.status_code == 422, (r.status_code, r.get_json())
    assert field in r.get_json()["errors"], r.get_json()
