"""A refused sign-in tells a stranger nothing: unknown, wrong, locked and inactive all get one answer.

Issue 13 found that the lockout message (and its locked-until time) differed from the wrong-password one,
so a guesser could tell which usernames exist. Every refusal must answer the same words with the same
status, in the logic, the JSON API and the sign-in page; the audit entry keeps the real reason.
"""

from __future__ import annotations

import json
import re
import statistics
import time

import pytest

from ccms_graph.errors import Forbidden, TrainingExpired
from ccms_graph.logic.people import auth
from ccms_graph.web import create_app
from tests.factories import PASSWORD
from tests.web.conftest import sign_in

WRONG = "wrong-password-123"
IP = "198.51.100.9"


def _prepare(graph) -> dict[str, tuple[str, str]]:
    """One account in each refused state; username and password to try, by the reason the audit must record."""
    for _ in range(auth.MAX_FAILURES):
        with pytest.raises(Forbidden):
            auth.authenticate(graph, "agent_b", WRONG, IP)
    graph.query("MATCH (u:User {username: 'analyst_mia'}) SET u.active = false", write=True)
    graph.query("MATCH (u:User {username: 'agent_port'}) SET u.separated_at = datetime()", write=True)
    return {"unknown_user": ("nobody_here", PASSWORD), "bad_password": ("agent_a", WRONG),
            "locked": ("agent_b", PASSWORD), "inactive": ("analyst_mia", PASSWORD),
            "separated": ("agent_port", PASSWORD)}


def _reasons(graph, username: str) -> list[str]:
    rows = graph.query("""MATCH (e:AuditEntry {action: 'sign_in_failed'}) RETURN e.details AS d ORDER BY e.seq""")
    return [json.loads(r["d"])["reason"] for r in rows if json.loads(r["d"])["username"] == username]


def test_every_refusal_raises_the_same_error_with_nothing_attached(graph, org):
    attempts = _prepare(graph)
    answers = {}
    for why, (username, password) in attempts.items():
        with pytest.raises(Forbidden) as info:
            auth.authenticate(graph, username, password, IP)
        assert type(info.value) is Forbidden, why  # never TrainingExpired, which would admit a right password
        answers[why] = (info.value.status, info.value.detail, info.value.extra)
    assert {why: a for why, a in answers.items() if a != (403, auth.BAD_CREDENTIALS, {})} == {}
    # The audit trail still says what happened.
    assert _reasons(graph, "nobody_here") == ["unknown_user"]
    assert _reasons(graph, "agent_a") == ["bad_password"]
    assert _reasons(graph, "agent_b")[-1] == "locked"
    assert _reasons(graph, "analyst_mia") == ["inactive"]
    assert _reasons(graph, "agent_port") == ["inactive"]


def test_the_failure_that_locks_an_account_reads_like_any_other(graph, org):
    details = []
    for _ in range(auth.MAX_FAILURES):
        with pytest.raises(Forbidden) as info:
            auth.authenticate(graph, "agent_a", WRONG, IP)
        details.append((info.value.detail, info.value.extra))
    assert details == [(auth.BAD_CREDENTIALS, {})] * auth.MAX_FAILURES
    assert auth.lock_state(graph, "agent_a")["locked"] is True  # the lock itself still works
    rows = graph.query("MATCH (e:AuditEntry {action: 'sign_in_failed'}) RETURN e.details AS d ORDER BY e.seq")
    last = json.loads(rows[-1]["d"])
    assert last["reason"] == "bad_password" and last["locked_now"] is True and last["locked_until"]


def test_the_json_api_answers_every_refusal_identically(graph, org):
    attempts = _prepare(graph)
    client = create_app({"TESTING": True}, graph=graph).test_client()
    bodies = {}
    for why, (username, password) in attempts.items():
        token = client.get("/api/v1/auth/csrf").get_json()["csrf_token"]
        r = client.post("/api/v1/auth/session", headers={"X-CSRFToken": token},
                        json={"username": username, "password": password, "acknowledge": True})
        bodies[why] = (r.status_code, r.get_json())
    expected = bodies["unknown_user"]
    assert expected[0] == 401 and expected[1]["detail"] == auth.BAD_CREDENTIALS
    assert {why: b for why, b in bodies.items() if b != expected} == {}


def test_the_sign_in_page_answers_every_refusal_identically(graph, org):
    attempts = _prepare(graph)
    client = create_app({"TESTING": True}, graph=graph).test_client()
    answers = {}
    for why, (username, password) in attempts.items():
        resp = sign_in(client, username, password)
        shown = re.findall(r'<p class="error" role="alert">(.*?)</p>', resp.get_data(as_text=True), re.S)
        answers[why] = (resp.status_code, shown)
    assert answers["unknown_user"] == (401, [auth.BAD_CREDENTIALS])
    assert {why: a for why, a in answers.items() if a != answers["unknown_user"]} == {}


def test_an_unknown_username_takes_as_long_as_a_wrong_password(graph, org):
    """Timing: with no account the password is checked against a decoy hash, so the answer is not faster."""
    from argon2 import PasswordHasher

    from ccms_graph.logic.people import users

    cheap = users._hasher
    users.use_hasher(PasswordHasher(time_cost=3, memory_cost=64 * 1024, parallelism=1))  # ~0.1 s a check
    try:
        graph.query("MATCH (u:User {username: 'agent_a'}) SET u.password_hash = $h",
                    {"h": users.hash_password(PASSWORD)}, write=True)

        def took(username: str) -> float:
            start = time.perf_counter()
            with pytest.raises(Forbidden):
                auth.authenticate(graph, username, WRONG, IP)
            return time.perf_counter() - start

        took("nobody_here")  # the decoy hash is made once, on first use
        unknown = statistics.median(took("nobody_here") for _ in range(3))
        wrong = statistics.median(took("agent_a") for _ in range(3))
    finally:
        users.use_hasher(cheap)
    assert unknown > 0.5 * wrong, (unknown, wrong)


def test_a_right_password_with_expired_training_is_still_told_why(graph, org):
    graph.query("MATCH (u:User {username: 'agent_a'}) SET u.training_expires = '2021-06-30'", write=True)
    with pytest.raises(TrainingExpired) as info:
        auth.authenticate(graph, "agent_a", PASSWORD, IP)
    assert "2021-06-30" in info.value.detail
    with pytest.raises(Forbidden) as wrong:  # without the password, it is an ordinary refusal
        auth.authenticate(graph, "agent_a", WRONG, IP)
    assert type(wrong.value) is Forbidden and wrong.value.detail == auth.BAD_CREDENTIALS
