"""The shared load-and-check entry points: the training guard, and loading one record under the read policy,
each refusal leaving its audit entry (and telling the owner) — against the real server."""

from __future__ import annotations

import json
import re
from dataclasses import replace

import pytest

from ccms_graph.errors import Forbidden, NotFound, TrainingExpired
from ccms_graph.logic.entities import records
from ccms_graph.logic.oversight.checks import check_record, guard
from ccms_graph.policy.actor import SYSTEM
from tests.factories import make_person
from tests.policy import helpers as h


def _entries(graph) -> list[dict]:
    rows = graph.query("""MATCH (e:AuditEntry) RETURN e.action AS action, e.actor_uid AS actor, e.targets AS targets,
                          e.outcome AS outcome, e.details AS details ORDER BY e.seq""")
    return [{**r, "details": json.loads(r["details"])} for r in rows]


def _notes(graph) -> list[dict]:
    return graph.query("""MATCH (n:Notification) RETURN n.recipient_uid AS to, n.kind AS kind, n.actor_uid AS actor,
                          n.record_uid AS record, n.record_type AS type, n.displayed AS displayed""")


def _counts(graph) -> tuple[int, int]:
    row = graph.query("RETURN COUNT { (:AuditEntry) } AS entries, COUNT { (:Notification) } AS notes")[0]
    return row["entries"], row["notes"]


# ---------------------------------------------------------------------------------------------
# guard: an actor whose training has lapsed uses nothing, and the refusal is audited
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("expires", ["2020-01-01", None])
def test_the_guard_refuses_lapsed_training_and_audits_the_refusal(graph, org, expires):
    lapsed = replace(org.agent_a, training_expires=expires)
    before = len(_entries(graph))
    with pytest.raises(TrainingExpired) as err:
        guard(graph, lapsed, "view", ["rec-1"], purpose_note="lead 7")
    assert err.value.status == 403 and "renew it" in err.value.detail
    assert _entries(graph)[before:] == [{
        "action": "deny", "actor": org.agent_a.uid, "targets": ["rec-1"], "outcome": "denied",
        "details": {"op": "view", "answer": 403, "reason": "TrainingExpired", "detail": err.value.detail,
                    "purpose_note": "lead 7"},
    }]


@pytest.mark.parametrize(("expires", "said"), [("2020-01-01", "(2020-01-01)"), (None, "(never recorded)")])
def test_the_guards_refusal_names_the_expiry(graph, org, expires, said):
    with pytest.raises(TrainingExpired, match=re.escape(said)):
        guard(graph, replace(org.agent_b, training_expires=expires), "search")


@pytest.mark.parametrize("who", ["agent_a", "auditor", "admin"])
def test_the_guard_lets_current_training_through_and_writes_nothing(graph, org, who):
    before = _counts(graph)
    assert guard(graph, getattr(org, who), "view", ["rec-1"]) is None
    assert _counts(graph) == before


def test_the_system_needs_no_training(graph):
    assert SYSTEM.training_expires is None
    guard(graph, SYSTEM, "retention")
    assert _counts(graph) == (0, 0)


# ---------------------------------------------------------------------------------------------
# check_record: readable, hidden, forbidden, deleted, missing
# ---------------------------------------------------------------------------------------------

def _check(graph, who, uid, op="view", **kw):
    """check_record in its own committed transaction, as a use case runs it."""
    return graph.write(lambda tx: check_record(tx, who, uid, op, **kw))


@pytest.fixture
def world(graph, org):
    """agent_a's open record, a record in agent_a's restricted case, and a deleted record."""
    restricted = h.case(graph, org.agent_a, "Operation Nightjar", restricted=True)
    w = {
        "open": h.person(graph, org.agent_a, given_name="Maria", family_name="Lopez"),
        "hidden": h.person(graph, org.agent_a, restricted, given_name="Nell", family_name="Quist"),
        "deleted": h.person(graph, org.agent_a, given_name="Gone", family_name="Away"),
        "case": restricted,
    }
    records.delete_entity(graph, org.agent_a, w["deleted"], "entered in error")
    w["before"] = _counts(graph)
    return w


def test_a_readable_record_is_loaded_and_nothing_is_written(graph, org, world):
    row, error = _check(graph, org.agent_b, world["open"])
    assert error is None
    assert row["node"]["uid"] == world["open"] and row["node"]["given_name"] == "Maria"
    assert row["ok"] is True and row["deleted"] is False and row["hidden"] is False
    assert row["owner_uid"] == org.agent_a.uid and "Person" in row["labels"]
    assert _counts(graph) == world["before"]  # the caller writes its own view entry and notification


def test_another_offices_restricted_record_answers_not_found_audits_a_denial_and_tells_the_owner(graph, org, world):
    row, error = _check(graph, org.agent_nyc, world["hidden"], op="expand")
    assert row is None
    assert isinstance(error, NotFound) and error.detail == f"no record {world['hidden']}"
    entries = _entries(graph)
    assert len(entries) == world["before"][0] + 1
    assert entries[-1] == {
        "action": "deny", "actor": org.agent_nyc.uid, "targets": [world["hidden"]], "outcome": "denied",
        "details": {"op": "expand", "answer": 404, "reason": "policy"},
    }
    assert _notes(graph) == [{"to": org.agent_a.uid, "kind": "view", "actor": org.agent_nyc.uid,
                              "record": world["hidden"], "type": "Person", "displayed": False}]


def test_another_offices_open_record_answers_forbidden_since_its_existence_is_no_secret(graph, org, world):
    row, error = _check(graph, org.agent_nyc, world["open"])
    assert row is None
    assert isinstance(error, Forbidden) and not isinstance(error, NotFound)
    (entry,) = _entries(graph)[-1:]
    assert (entry["action"], entry["outcome"], entry["details"]) == (
        "deny", "denied", {"op": "view", "answer": 403, "reason": "policy"})
    assert [(n["to"], n["displayed"]) for n in _notes(graph)] == [(org.agent_a.uid, False)]


def test_a_restricted_case_itself_is_hidden_from_another_office(graph, org, world):
    _, error = _check(graph, org.agent_nyc, world["case"])
    assert isinstance(error, NotFound) and error.detail == f"no record {world['case']}"
    assert [(n["to"], n["type"]) for n in _notes(graph)] == [(org.agent_a.uid, "Case")]


@pytest.mark.parametrize("which", ["deleted", "missing"])
def test_a_deleted_or_missing_record_answers_not_found_with_a_not_found_view_entry_and_tells_nobody(
        graph, org, world, which):
    uid = world.get(which, "no-such-uid")
    row, error = _check(graph, org.agent_a, uid, op="comments")  # even the owner: deleted is gone
    assert row is None
    assert isinstance(error, NotFound) and error.detail == f"no record {uid}"
    entries = _entries(graph)
    assert len(entries) == world["before"][0] + 1
    assert entries[-1] == {"action": "view", "actor": org.agent_a.uid, "targets": [uid],
                           "outcome": "not_found", "details": {"op": "comments"}}
    assert _counts(graph)[1] == world["before"][1]


def test_hidden_and_missing_give_the_caller_the_same_answer(graph, org, world):
    _, hidden = _check(graph, org.agent_nyc, world["hidden"])
    _, missing = _check(graph, org.agent_nyc, "no-such-uid")
    assert type(hidden) is type(missing) is NotFound
    assert (hidden.status, hidden.detail.replace(world["hidden"], "X")) == \
        (missing.status, missing.detail.replace("no-such-uid", "X"))


def test_an_auditor_reads_everything_and_tells_nobody(graph, org, world):
    for uid in (world["open"], world["hidden"], world["case"]):
        row, error = _check(graph, org.auditor, uid)
        assert error is None and row["node"]["uid"] == uid
    assert _counts(graph) == world["before"]


def test_selectors_count_only_when_the_caller_asks_for_any_kind(graph, org):
    make_person(graph, org.agent_a, phones=["(305) 555-0101"])
    phone = graph.query("MATCH (p:Phone) RETURN p.uid AS uid")[0]["uid"]
    _, error = _check(graph, org.agent_b, phone)
    assert isinstance(error, NotFound)
    row, error = _check(graph, org.agent_b, phone, any_kind=True)  # a colleague who reads the person
    assert error is None and row["node"]["e164"] == "+13055550101"
    # Another office reads not the person, so not their phone either: it answers like a missing one.
    _, error = _check(graph, org.agent_nyc, phone, any_kind=True)
    assert isinstance(error, NotFound)
