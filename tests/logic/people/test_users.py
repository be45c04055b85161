"""Offices and user accounts are created by administrators and the system only; every refusal is audited."""

from __future__ import annotations

import json

import pytest

from ccms_graph.errors import Forbidden, TrainingExpired, ValidationFailed
from ccms_graph.logic.people import users
from ccms_graph.policy.actor import SYSTEM

OFFICE = {"code": "LAX", "name": "Los Angeles Field Office", "kind": "field_office"}


def _user(username: str) -> dict:
    return {"username": username, "name": "New User", "role": "agent", "office_code": "MIA",
            "password": "correct horse battery", "training_expires": "2099-12-31"}


def _offices(graph) -> set[str]:
    return {r["code"] for r in users.list_offices(graph)}


@pytest.mark.parametrize("who", ["agent_a", "sup_mia", "analyst_mia", "auditor"])
def test_only_administrators_create_offices_and_users(graph, org, who):
    actor = getattr(org, who)
    with pytest.raises(Forbidden, match="administrator"):
        users.create_office(graph, actor, OFFICE)
    with pytest.raises(Forbidden, match="administrator"):
        users.create_user(graph, actor, _user("intruder"))
    assert "LAX" not in _offices(graph)
    assert not graph.query("MATCH (u:User {username: 'intruder'}) RETURN u")
    rows = graph.query("MATCH (e:AuditEntry {action: 'deny', actor_username: $w}) RETURN e.details AS d "
                       "ORDER BY e.seq", {"w": who})
    assert [json.loads(r["d"])["op"] for r in rows] == ["create_office", "create_user"]


def test_administrator_and_system_create_them(graph, org):
    users.create_office(graph, org.admin, OFFICE)
    users.create_office(graph, SYSTEM, {**OFFICE, "code": "SFO", "name": "San Francisco"})
    assert {"LAX", "SFO"} <= _offices(graph)
    # Stricter since issue 13: the administrator's agent waits for a supervisor; the system's is made at once.
    asked = users.create_user(graph, org.admin, {**_user("new_agent"), "supervisor": "sup_mia"})
    assert (asked["username"], asked["status"], asked["active"]) == ("new_agent", "pending_approval", False)
    assert "password_hash" not in asked and "password" not in asked
    assert not graph.query("MATCH (u:User {username: 'new_agent'}) RETURN u")
    made = users.create_user(graph, SYSTEM, _user("newer_agent"))
    assert (made["username"], made["status"]) == ("newer_agent", "active")
    assert graph.query("MATCH (u:User {username: 'newer_agent'}) RETURN u.role AS r") == [{"r": "agent"}]


def test_a_supervisor_must_be_someone_who_supervises(graph, org):
    for boss in ("admin", "auditor"):
        with pytest.raises(ValidationFailed) as err:
            users.create_user(graph, SYSTEM, {**_user(f"under_{boss}"), "supervisor": boss})
        assert set(err.value.errors) == {"supervisor"}
    with pytest.raises(ValidationFailed):
        users.create_user(graph, SYSTEM, {**_user("under_nobody"), "supervisor": "nobody_here"})
    assert not graph.query("MATCH (u:User) WHERE u.username STARTS WITH 'under_' RETURN u")


def test_an_administrator_with_expired_training_is_refused(graph, org):
    from dataclasses import replace

    with pytest.raises(TrainingExpired):
        users.create_office(graph, replace(org.admin, training_expires="2000-01-01"), OFFICE)
    assert "LAX" not in _offices(graph)
