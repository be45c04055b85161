"""A deconfliction hit on a record the user may not read shows only that a match exists and whom to call —
in every answer that carries it: create, update, import (and an import job), query before create, check, list, review,
judgements."""

from __future__ import annotations

import json

import pytest

from ccms_graph.logic.casework.cases import create_case
from ccms_graph.logic.entities import imports, records
from ccms_graph.logic.identity import deconfliction
from ccms_graph.logic.jobs import imports as import_jobs
from ccms_graph.logic.jobs import worker
from ccms_graph.web import create_app
from tests.api.conftest import Api, token_for
from tests.factories import make_person

ORLOV = {"given_name": "Viktor", "family_name": "Orlov", "dob": "1975-03-14"}
#: The redacted core every answer gives of a hidden match, and nothing more of the record.
REDACTED = {"hit_uid", "type", "restricted", "owner"}


@pytest.fixture
def hidden(graph, org):
    """NYC's record in a restricted case, and agent_a's new record that matches it."""
    case = create_case(graph, org.agent_nyc, {"title": "Operation Lantern", "restricted": True})
    theirs = make_person(graph, org.agent_nyc, case_uid=case["uid"], ssn="212-55-1234", **ORLOV)
    mine = make_person(graph, org.agent_a, **ORLOV)
    (hit,) = mine["hits"]
    return {"case_number": case["props"]["case_number"], "theirs": theirs["uid"], "mine": mine["uid"],
            "hit": hit}


#: What an answer may carry beside the redacted core: the state of the hit on the actor's side (a review
#: reason only where the actor wrote it: `test_what_the_hidden_side_writes_in_a_review_stays_on_its_side`).
OWN_SIDE = {"status", "record_uid", "created_at", "reviewed_by", "reviewed_at", "review_reason"}


def _dicts(value):
    if isinstance(value, dict):
        yield value
        value = list(value.values())
    if isinstance(value, list):
        for v in value:
            yield from _dicts(v)


def _leaks(hidden: dict, answer) -> list[str]:
    """What of the hidden record an answer gives away: its uid, SSN or case number anywhere, and any
    field of a redacted entry beyond the core (a name, score, decision, explanation, pair of uids...)."""
    text = json.dumps(answer, default=str)
    found = [w for w in (hidden["theirs"], hidden["case_number"], "212551234", "212-55-1234") if w in text]
    for entry in _dicts(answer):
        if entry.get("restricted") is True:
            found += sorted({k for k, v in entry.items() if v is not None} - REDACTED - OWN_SIDE)
    return found


def test_reviewing_a_hit_on_a_hidden_record_answers_as_the_create_did(graph, org, hidden):
    app = create_app({"TESTING": True}, graph=graph)
    api = Api(app.test_client(), token_for(graph, org.agent_a))

    r = api.post(f"deconfliction/hits/{hidden['hit']['hit_uid']}/review",
                 json={"decision": "dismissed", "reason": "different man, per the NYC agent"})

    assert r.status_code == 200, r.get_json()
    got = r.get_json()
    assert _leaks(hidden, got) == []
    assert {k: got[k] for k in REDACTED} == hidden["hit"]  # the same redacted core the create answered
    assert got["status"] == "dismissed" and got["record_uid"] == hidden["mine"]
    assert got["owner"]["name"] == "Agent Nyc" and got["owner"]["email"] == "agent_nyc@example.gov"


def _import_job(graph, actor, lines: list[str]) -> dict:
    uid = import_jobs.enqueue_import(graph, actor, "Person", "people.jsonl", lines)
    worker.Worker(graph).drain()
    return import_jobs.import_job(graph, actor, uid)


def test_every_answer_that_carries_the_hit_redacts_it_alike(graph, org, hidden, no_embedded_worker):
    hit_uid = hidden["hit"]["hit_uid"]
    met: list[dict] = []
    answers = {
        "create": hidden["hit"],
        "update": records.update_entity(graph, org.agent_a, hidden["mine"], {"middle_name": "A"})["hits"],
        "import": {**imports.import_jsonl(graph, org.agent_a, "Person", [json.dumps(ORLOV)], on_hits=met.extend),
                   "hit_lines": met},
        "import job": _import_job(graph, org.agent_a, [json.dumps(ORLOV)]),
        "query before create": deconfliction.search_candidates(graph, org.agent_a, "Person", ORLOV),
        "check": list(imports.deconflict_jsonl(graph, org.agent_a, "Person", [json.dumps({"ref": "Q1", **ORLOV})])),
        "list": deconfliction.list_hits(graph, org.agent_a),
        "review": deconfliction.review_hit(graph, org.agent_a, hit_uid, "dismissed", "not him"),
        "judgements": deconfliction.judgements(graph, org.agent_a, hit_uid),
    }
    assert {name: _leaks(hidden, answer) for name, answer in answers.items()} == {name: [] for name in answers}
    cores = [{k: h[k] for k in REDACTED} for h in (*answers["update"], *answers["list"], answers["review"])
             if h["hit_uid"] == hit_uid]
    assert cores and all(core == hidden["hit"] for core in cores)
    for name in ("import", "import job"):
        (line,) = answers[name]["hit_lines"]
        assert [h["owner"]["name"] for h in line["hits"] if h["restricted"]] == ["Agent Nyc"], name
    (cand,) = [c for c in answers["check"][0]["candidates"] if c["restricted"]]
    assert cand["uid"] is None and cand["score"] is None and cand["owner"]["name"] == "Agent Nyc"


def test_a_hit_on_a_readable_record_still_shows_the_record_and_why(graph, org):
    theirs = make_person(graph, org.agent_b, given_name="Maria", family_name="Delgado", dob="1988-07-02")
    mine = make_person(graph, org.agent_a, given_name="Maria", family_name="Delgado", dob="1988-07-02", separate_reason="kept apart until compared")
    (hit,) = mine["hits"]

    got = deconfliction.review_hit(graph, org.agent_a, hit["hit_uid"], "confirmed_same", "same passport photo")

    assert got["restricted"] is False and got["uid"] == theirs["uid"] and got["caption"] == hit["caption"]
    assert {row["field"] for row in got["explanation"]} >= {"name", "dob"} and got["score"] == hit["score"]
    assert got["record_uid"] == mine["uid"] and got["status"] == "confirmed_same"
    assert got["review_reason"] == "same passport photo"


def test_what_the_hidden_side_writes_in_a_review_stays_on_its_side(graph, org, hidden):
    hit_uid = hidden["hit"]["hit_uid"]
    words = f"same man as our target in {hidden['case_number']}: Orlov"
    deconfliction.review_hit(graph, org.agent_nyc, hit_uid, "confirmed_same", words)

    (mine,) = deconfliction.list_hits(graph, org.agent_a, status=None)
    (judged,) = deconfliction.judgements(graph, org.agent_a, hit_uid)
    assert mine["status"] == judged["decision"] == "confirmed_same"
    assert _leaks(hidden, mine) == _leaks(hidden, judged) == []
    # The NYC agent, who may read both sides, sees the words they wrote.
    (theirs,) = deconfliction.judgements(graph, org.agent_nyc, hit_uid)
    assert theirs["reason"] == words
