"""Data derived from case material is as secret as the cases it comes from.

Phones are readable by everyone, but the calls between them come from the call detail records of cases:
another office's analyst must not see a restricted case's call history (its counts, dates, its case uid
or who loaded it) through expansion, the record of calls between two numbers or a shortest path, and a
phone must not say that a hidden record uses it.
"""

from __future__ import annotations

import pytest

from ccms_graph.logic.casework.cases import create_case
from ccms_graph.logic.entities import access
from ccms_graph.logic.identity import telecom
from ccms_graph.web import create_app
from tests.api.conftest import Api, token_for
from tests.factories import make_person

# NYC's restricted case: three calls from Miami's number to the New York number, one from a number
# that appears in no other case.
NYC_CDR = """originating_number,terminating_number,start_time,duration
+13055550101,+12125550199,2025-11-01T09:00:00Z,100
+13055550101,+12125550199,2025-11-02T09:00:00Z,100
+13055550101,+12125550199,2025-11-03T09:00:00Z,100
+13055550177,+12125550199,2025-11-04T09:00:00Z,40
"""
# Miami's open case: one call between the same two numbers, later.
MIA_CDR = """originating_number,terminating_number,start_time,duration
+13055550101,+12125550199,2026-01-05T10:00:00Z,60
"""


@pytest.fixture
def calls(graph, org):
    nyc = create_case(graph, org.agent_nyc, {"title": "Operation Hudson", "restricted": True})["uid"]
    mia = create_case(graph, org.agent_a, {"title": "Operation Wire"})["uid"]
    telecom.import_cdr(graph, org.agent_nyc, nyc, NYC_CDR)  # NYC loaded first: the CALLED link is theirs
    telecom.import_cdr(graph, org.agent_a, mia, MIA_CDR)
    hidden = make_person(graph, org.agent_nyc, case_uid=nyc, given_name="Cy", family_name="Hudson",
                         phones=["+12125550199"])["uid"]
    ann = make_person(graph, org.agent_a, given_name="Ann", family_name="Wire", phones=["+13055550101"])["uid"]
    bea = make_person(graph, org.agent_a, given_name="Bea", family_name="Wire", phones=["+13055550177"])["uid"]
    phones = {r["e164"]: r["uid"] for r in graph.query("MATCH (p:Phone) RETURN p.e164 AS e164, p.uid AS uid")}
    return {"nyc": nyc, "mia": mia, "hidden": hidden, "ann": ann, "bea": bea, "phones": phones}


def _called(near: dict) -> list[dict]:
    return [link["link"] for link in near["links"] if link["type"] == "CALLED"]


def test_a_call_link_shows_only_the_calls_of_cases_the_reader_may_read(graph, org, calls):
    api = Api(create_app({"TESTING": True}, graph=graph).test_client(), token_for(graph, org.agent_a))
    r = api.get(f"graph/neighbours/{calls['phones']['+13055550101']}", query_string={"link_types": "CALLED"})
    assert r.status_code == 200, r.get_json()
    (link,) = _called(r.get_json())
    assert (link["count"], link["total_seconds"], link["case_uids"]) == (1, 60, [calls["mia"]])
    assert link["first_at"].startswith("2026-01-05T10:00") and link["last_at"].startswith("2026-01-05T10:00")
    assert "created_by" not in link  # NYC's analyst loaded it first: who did is NYC's case material
    assert calls["nyc"] not in r.get_data(as_text=True) and org.agent_nyc.uid not in r.get_data(as_text=True)

    (theirs,) = _called(access.neighbours(graph, org.agent_nyc, calls["phones"]["+13055550101"]))
    assert (theirs["count"], theirs["total_seconds"], theirs["case_uids"]) == (3, 300, [calls["nyc"]])
    (everything,) = _called(access.neighbours(graph, org.auditor, calls["phones"]["+13055550101"]))
    assert everything["count"] == 4 and set(everything["case_uids"]) == {calls["nyc"], calls["mia"]}
    assert everything["created_by"] == org.agent_nyc.uid


def test_a_number_called_only_in_a_hidden_case_shows_no_call(graph, org, calls):
    near = access.neighbours(graph, org.agent_a, calls["phones"]["+13055550177"])
    assert _called(near) == [] and [link["type"] for link in near["links"]] == ["USES_PHONE"]
    assert len(_called(access.neighbours(graph, org.agent_nyc, calls["phones"]["+13055550177"]))) == 1


def test_a_phone_does_not_say_that_a_hidden_record_uses_it(graph, org, calls):
    near = access.neighbours(graph, org.agent_a, calls["phones"]["+12125550199"])
    assert sorted(link["type"] for link in near["links"]) == ["CALLED"]  # Miami's call; no trace of Cy
    assert not [link for link in near["links"] if link["other"].get("locked")]
    seen = access.neighbours(graph, org.agent_nyc, calls["phones"]["+12125550199"])
    assert calls["hidden"] in {link["other"]["uid"] for link in seen["links"]}


def test_calls_between_two_numbers_count_only_readable_cases(graph, org, calls):
    assert telecom.calls_between(graph, org.agent_a, "305-555-0101", "212-555-0199")["count"] == 1
    assert telecom.calls_between(graph, org.agent_nyc, "305-555-0101", "212-555-0199")["count"] == 3
    assert telecom.calls_between(graph, org.auditor, "305-555-0101", "212-555-0199")["count"] == 4
    assert telecom.calls_between(graph, org.agent_a, "305-555-0177", "212-555-0199") is None


def test_a_shortest_path_never_crosses_a_hidden_case_s_calls(graph, org, calls):
    app = create_app({"TESTING": True}, graph=graph)
    api = Api(app.test_client(), token_for(graph, org.agent_a))
    # Bea's number reached New York only in the hidden case: for agent_a there is no path to Ann.
    r = api.get("graph/path", query_string={"from": calls["bea"], "to": calls["ann"]})
    assert r.status_code == 200 and r.get_json()["nodes"] == r.get_json()["edges"] == []
    # Ann's number to New York's: the one call agent_a may see, not NYC's three.
    r = api.get("graph/path", query_string={"from": calls["ann"], "to": calls["phones"]["+12125550199"]})
    (called,) = [e for e in r.get_json()["edges"] if e["type"] == "CALLED"]
    assert called["props"]["count"] == 1 and calls["nyc"] not in r.get_data(as_text=True)
    # The auditor reads everything, so the hidden case's calls do join Bea to Ann.
    audit = Api(app.test_client(), token_for(graph, org.auditor))
    found = audit.get("graph/path", query_string={"from": calls["bea"], "to": calls["ann"]}).get_json()
    assert {calls["bea"], calls["ann"]} <= {n["uid"] for n in found["nodes"]}
