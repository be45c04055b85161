"""Sign-in security: lockout after five failures, its expiry and release, refusals, and the audit trail."""

from __future__ import annotations

import json

import pytest

from ccms_graph.errors import Forbidden, TrainingExpired
from ccms_graph.logic.people import auth
from tests.factories import PASSWORD

IP = "203.0.113.7"


def _entries(graph, action):
    rows = graph.query("""MATCH (e:AuditEntry {action: $a})
                          RETURN e.actor_username AS who, e.outcome AS outcome, e.details AS d,
                                 e.client_address AS ip ORDER BY e.seq""", {"a": action})
    return [{**r, "d": json.loads(r["d"])} for r in rows]


def _fail(graph, username="agent_a", password="wrong-password-123"):
    with pytest.raises(Forbidden) as info:
        auth.authenticate(graph, username, password, IP)
    return info.value


def test_a_correct_password_signs_in_and_is_audited(graph, org):
    who = auth.authenticate(graph, "agent_a", PASSWORD, IP)
    assert who.uid == org.agent_a.uid and who.client_address == IP and who.offices == ("MIA", "MIA-PEV")
    (entry,) = _entries(graph, "sign_in")
    assert entry["who"] == "agent_a" and entry["ip"] == IP and entry["outcome"] == "success"


def test_failures_are_audited_with_the_attempted_username(graph, org):
    wrong = _fail(graph)
    unknown = _fail(graph, "nobody-here", PASSWORD)
    assert wrong.detail == unknown.detail == auth.BAD_CREDENTIALS  # no hint which one exists
    entries = _entries(graph, "sign_in_failed")
    assert [(e["d"]["username"], e["d"]["reason"], e["ip"]) for e in entries] == [
        ("agent_a", "bad_password", IP), ("nobody-here", "unknown_user", IP)]
    assert auth.lock_state(graph, "agent_a")["failed_logins"] == 1


def test_five_consecutive_failures_lock_the_account(graph, org):
    # Stricter since issue 13: the lock is never announced, not even on the failure that sets it, since
    # an answer only an existing account can get tells a guesser the username exists.
    for _ in range(5):
        failure = _fail(graph)
        assert (failure.detail, failure.extra) == (auth.BAD_CREDENTIALS, {})
    locked = _fail(graph, password=PASSWORD)  # even the right password is refused now
    assert (locked.detail, locked.extra) == (auth.BAD_CREDENTIALS, {})
    assert auth.lock_state(graph, "agent_a")["locked"] is True
    reasons = [e["d"] for e in _entries(graph, "sign_in_failed")]
    assert [d["reason"] for d in reasons] == ["bad_password"] * 5 + ["locked"]
    assert reasons[4]["locked_now"] is True and reasons[5]["locked_until"] == reasons[4]["locked_until"]
    auth.authenticate(graph, "agent_b", PASSWORD, IP)  # other accounts are untouched


def test_a_success_resets_the_count(graph, org):
    for _ in range(4):
        _fail(graph)
    auth.authenticate(graph, "agent_a", PASSWORD, IP)
    for _ in range(4):
        _fail(graph)
    assert auth.authenticate(graph, "agent_a", PASSWORD, IP).uid == org.agent_a.uid


def test_the_lock_ends_after_ten_minutes(graph, org):
    for _ in range(5):
        _fail(graph)
    until = graph.query("MATCH (u:User {username: 'agent_a'}) RETURN u.locked_until AS t")[0]["t"]
    minutes = (until.to_native() - graph.query("RETURN datetime() AS now")[0]["now"].to_native()).total_seconds() / 60
    assert 9 < minutes <= 10
    graph.query("""MATCH (u:User {username: 'agent_a'})
                   SET u.locked_until = datetime() - duration({seconds: 1})""", write=True)
    assert auth.authenticate(graph, "agent_a", PASSWORD, IP).uid == org.agent_a.uid
    assert auth.lock_state(graph, "agent_a") == {"failed_logins": 0, "locked_until": None, "locked": False}


def test_an_administrator_may_release_a_lock(graph, org):
    for _ in range(5):
        _fail(graph)
    with pytest.raises(Forbidden):
        auth.release_lockout(graph, org.sup_mia, "agent_a")
    out = auth.release_lockout(graph, org.admin, "agent_a")
    assert out["was_locked"] is True
    assert auth.authenticate(graph, "agent_a", PASSWORD, IP).uid == org.agent_a.uid
    admin_entries = [e for e in _entries(graph, "admin") if e["d"].get("op") == "release_lockout"]
    assert [(e["who"], e["d"]["username"]) for e in admin_entries] == [("admin", "agent_a")]
    (denial,) = _entries(graph, "deny")
    assert denial["who"] == "sup_mia" and denial["d"]["op"] == "release_lockout"


def test_inactive_and_separated_users_are_refused(graph, org):
    graph.query("MATCH (u:User {username: 'agent_a'}) SET u.active = false", write=True)
    graph.query("MATCH (u:User {username: 'agent_b'}) SET u.separated_at = datetime()", write=True)
    for name in ("agent_a", "agent_b"):  # stricter since issue 13: the same words as a wrong password
        refused = _fail(graph, name, PASSWORD)
        assert (refused.detail, refused.extra) == (auth.BAD_CREDENTIALS, {})
    assert [e["d"]["reason"] for e in _entries(graph, "sign_in_failed")] == ["inactive", "inactive"]
    assert _entries(graph, "sign_in") == []


def test_expired_training_is_refused_with_a_clear_message(graph, org):
    graph.query("MATCH (u:User {username: 'agent_a'}) SET u.training_expires = '2021-06-30'", write=True)
    with pytest.raises(TrainingExpired) as info:
        auth.authenticate(graph, "agent_a", PASSWORD, IP)
    assert "training" in info.value.detail and "2021-06-30" in info.value.detail
    assert _entries(graph, "sign_in_failed")[-1]["d"]["reason"] == "training_expired"
    graph.query("MATCH (u:User {username: 'agent_a'}) SET u.training_expires = '2099-01-01'", write=True)
    assert auth.authenticate(graph, "agent_a", PASSWORD, IP).training_current()


def test_trusted_header_sign_in_applies_the_same_guards(graph, org):
    assert auth.authenticate_trusted(graph, "agent_nyc", IP).uid == org.agent_nyc.uid
    for _ in range(5):
        _fail(graph, "agent_nyc")
    with pytest.raises(Forbidden):
        auth.authenticate_trusted(graph, "agent_nyc", IP)
    assert _entries(graph, "sign_in")[0]["d"]["method"] == "sso"


def test_sign_out_is_audited(graph, org):
    who = auth.authenticate(graph, "agent_a", PASSWORD, IP)
    auth.sign_out(graph, who)
    (entry,) = _entries(graph, "sign_out")
    assert entry["who"] == "agent_a" and entry["ip"] == IP
