"""A case number, a case uid or a master's uid never tells a hostile insider that a hidden record exists.

"Missing" and "hidden" give one answer, in the same words, on every route that finds a case by uid or
number (telecom returns, record imports, restriction, team); and a property that points at a record
(a sub-record's `master_uid`) is shown only to those who may read the record it points at.
"""

from __future__ import annotations

import io
import json

import pytest

from ccms_graph.errors import Conflict, NotFound, ValidationFailed
from ccms_graph.logic.casework.cases import create_case
from ccms_graph.logic.entities import access, imports, records
from ccms_graph.logic.identity import resolution
from ccms_graph.web import create_app
from tests.api.conftest import Api, token_for
from tests.factories import make_person

MISSING_NUMBER = "NYC-FY99-99999"
MISSING_UID = "0123456789abcdef0123456789abcdef"
CDR = (b"originating_number,terminating_number,start_time,duration\n"
       b"+13055550101,+12125550199,2026-01-05T10:00:00Z,60\n")
SUBSCRIBERS = b"number,subscriber_name\n+12125550199,Jane Roe\n"
JSONL = b'{"given_name": "Ann", "family_name": "Other"}\n'


@pytest.fixture
def hidden_case(graph, org):
    """NYC's restricted case: agent_a (Miami) may neither read nor change it, nor learn that it exists."""
    case = create_case(graph, org.agent_nyc, {"title": "Operation Lantern", "restricted": True})
    return {"uid": case["uid"], "number": case["props"]["case_number"]}


@pytest.fixture
def agent_a_api(graph, org):
    app = create_app({"TESTING": True}, graph=graph)
    return Api(app.test_client(), token_for(graph, org.agent_a))


#: Each route that finds a case by what the caller typed: (name, request(api, key)).
ROUTES = {
    "telecom cdr import": lambda api, key: api.post(
        f"cases/{key}/telecom/cdr", data={"file": (_file(CDR), "calls.csv", "text/csv")},
        content_type="multipart/form-data"),
    "telecom subscriber import": lambda api, key: api.post(
        f"cases/{key}/telecom/subscribers", data={"file": (_file(SUBSCRIBERS), "subs.csv", "text/csv")},
        content_type="multipart/form-data"),
    "record import into a case": lambda api, key: api.post(
        "imports/persons", query_string={"case_uid": key},
        data={"file": (_file(JSONL), "people.jsonl", "application/x-ndjson")}, content_type="multipart/form-data"),
    "restriction": lambda api, key: api.put(f"cases/{key}/restricted",
                                            json={"restricted": False, "reason": "open it up"}),
    "team": lambda api, key: api.delete(f"cases/{key}/team/{MISSING_UID}"),
}


def _file(data: bytes) -> io.BytesIO:
    return io.BytesIO(data)


def _answer(response, key: str) -> tuple:
    """What the caller learns: status, title and the detail with the key they typed taken out."""
    body = response.get_json()
    return response.status_code, body.get("title"), body.get("detail", "").replace(key, "<what you typed>")


#: The restriction and team routes take a case uid; the others a uid or a case number.
ASKED = [(route, by) for route in sorted(ROUTES) for by in ("uid", "number")
         if by == "uid" or route not in ("restriction", "team")]


@pytest.mark.parametrize("route, by", ASKED)
def test_a_hidden_case_answers_exactly_as_a_missing_one(graph, org, hidden_case, agent_a_api, route, by):
    hidden_key = hidden_case[by]
    missing_key = MISSING_NUMBER if by == "number" else MISSING_UID
    hidden = ROUTES[route](agent_a_api, hidden_key)
    missing = ROUTES[route](agent_a_api, missing_key)

    assert _answer(hidden, hidden_key) == _answer(missing, missing_key)
    assert hidden.status_code == 404
    assert hidden.get_json()["detail"] == f"no case {hidden_key}"  # the words a missing case gets
    other = hidden_case["uid"] if by == "number" else hidden_case["number"]
    assert other not in hidden.get_data(as_text=True)  # neither the case's uid nor its number leaks out
    assert graph.query("MATCH (c:CallRecord) RETURN count(c) AS n") == [{"n": 0}]


def test_the_case_team_may_still_load_returns_by_case_number(graph, org, hidden_case):
    app = create_app({"TESTING": True}, graph=graph)
    nyc = Api(app.test_client(), token_for(graph, org.agent_nyc))
    r = nyc.post(f"cases/{hidden_case['number']}/telecom/cdr", data={"file": (_file(CDR), "c.csv", "text/csv")},
                 content_type="multipart/form-data")
    assert r.status_code == 200 and r.get_json()["loaded"] == 1
    # And a Miami agent asking by the same number still learns nothing.
    denied = Api(app.test_client(), token_for(graph, org.agent_a)).post(
        f"cases/{hidden_case['number']}/telecom/cdr", data={"file": (_file(CDR), "c.csv", "text/csv")},
        content_type="multipart/form-data")
    assert _answer(denied, hidden_case["number"]) == (404, "Not found", "no case <what you typed>")


# ---------------------------------------------------------------------------------------------
# master_uid: a sub-record whose master lies in a restricted case
# ---------------------------------------------------------------------------------------------


@pytest.fixture
def merged(graph, org, hidden_case):
    """agent_b's readable Miami record `sub`, merged under NYC's `master` in the restricted case."""
    master = make_person(graph, org.agent_nyc, case_uid=hidden_case["uid"], given_name="Viktor",
                         family_name="Orlov", dob="1975-03-14")
    sub = make_person(graph, org.agent_b, given_name="Victor", family_name="Orloff", dob="1975-03-14")
    graph.query("""MATCH (o:SubjectRecord {uid: $o}), (m:SubjectRecord {uid: $m})
                   CREATE (o)-[:SUB_RECORD_OF {uid: randomUUID(), status: 'active', created_at: datetime(),
                                               created_by: $by, reason: 'same man', source: 'resolution'}]->(m)
                   SET o.master_uid = m.uid""", {"o": sub["uid"], "m": master["uid"], "by": org.sup_nyc.uid},
                write=True)
    other = make_person(graph, org.agent_b, given_name="Viktor", family_name="Orlov", dob="1975-03-15")
    return {"master": master["uid"], "sub": sub["uid"], "other": other["uid"]}


def _merge_conflict(graph, org, m):
    with pytest.raises(Conflict) as info:
        resolution.merge(graph, org.agent_b, m["other"], m["sub"], "same man")
    return {"detail": info.value.detail, **info.value.extra}


def _create_under_sub(graph, org, m):
    """A new record asked to settle under the readable record: refused, naming the field, as under any
    sub-record whose master the creator may not read."""
    with pytest.raises(ValidationFailed) as info:
        records.create_entity(graph, org.agent_a, "Person", {"given_name": "Victor", "family_name": "Orloff",
                                                             "dob": "1975-03-14", "sub_record_of": m["sub"]})
    assert list(info.value.errors) == ["sub_record_of"]
    return {"detail": info.value.detail, **info.value.errors}


def _import_meeting_sub(graph, org, m):
    """An imported line matching the readable record: whom to call, and no settlement under the hidden master."""
    met: list[dict] = []
    line = {"ref": "V1", "given_name": "Victor", "family_name": "Orloff", "dob": "1975-03-14"}
    counts = imports.import_jsonl(graph, org.agent_a, "Person", [json.dumps(line)], on_hits=met.extend)
    assert counts["created"] == 1 and met and m["sub"] in [h["uid"] for h in met[0]["hits"]]
    return {"counts": counts, "met": met}


#: Every answer of the record's that carries its properties or its master, as agent_a or agent_b gets it.
ANSWERS = {
    "record page": lambda g, o, m: access.view_record(g, o.agent_a, m["sub"], with_links=True),
    "expansion": lambda g, o, m: access.neighbours(g, o.agent_a, m["sub"]),
    "search": lambda g, o, m: access.search(g, o.agent_a, "Victor Orloff"),
    "update answer": lambda g, o, m: records.update_entity(g, o.agent_b, m["sub"], {"middle_name": "Q"}),
    "compare": lambda g, o, m: resolution.compare(g, o.agent_a, m["sub"], m["other"]),
    "merge refusal": _merge_conflict,
    "unmerge answer": lambda g, o, m: resolution.unmerge(g, o.agent_b, m["sub"], "not the same man"),
    "create as its sub-record": _create_under_sub,
    "import meeting it": _import_meeting_sub,
}


@pytest.mark.parametrize("answer", sorted(ANSWERS))
def test_a_hidden_master_is_named_in_no_answer(graph, org, merged, answer):
    got = ANSWERS[answer](graph, org, merged)
    assert merged["sub"] in repr(got)  # the readable record itself is there ...
    assert merged["master"] not in repr(got)  # ... and nothing names its hidden master


def test_a_master_is_named_only_to_those_who_may_read_it(graph, org, merged):
    assert "master_uid" not in access.view_record(graph, org.agent_a, merged["sub"])["props"]
    assert access.view_record(graph, org.auditor, merged["sub"])["props"]["master_uid"] == merged["master"]
    # A Miami agent asking for the master itself gets the answer a missing record gets.
    with pytest.raises(NotFound) as hidden:
        access.view_record(graph, org.agent_a, merged["master"])
    with pytest.raises(NotFound) as missing:
        access.view_record(graph, org.agent_a, MISSING_UID)
    assert hidden.value.detail.replace(merged["master"], "?") == missing.value.detail.replace(MISSING_UID, "?")


def test_an_imported_line_settles_under_its_best_match_whose_master_it_may_read(graph, org, merged):
    """The best match sits under the hidden master: the line goes under the next match, never under that master."""
    twin = make_person(graph, org.agent_b, given_name="Victor", family_name="Orlof", dob="1975-03-14",
                       separate_reason="a second copy, kept apart for this test")
    met: list[dict] = []
    line = {"ref": "V2", "given_name": "Victor", "family_name": "Orloff", "dob": "1975-03-14"}
    imports.import_jsonl(graph, org.agent_a, "Person", [json.dumps(line)], on_hits=met.extend)
    scores = {h["uid"]: (h["score"], h["decision"]) for h in met[0]["hits"] if not h["restricted"]}
    assert scores[merged["sub"]] > scores[twin["uid"]] and scores[twin["uid"]][1] == "match", scores
    assert met[0]["sub_record_of"] == twin["uid"]
