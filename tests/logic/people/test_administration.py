"""Administering accounts (issue 17 item 6): each action works and is audited, bad input names its field, and
an administrator alone never opens case content (a content role or a reactivation waits for a supervisor)."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest

from ccms_graph.errors import Conflict, Forbidden, NotFound, ValidationFailed
from ccms_graph.logic.casework import approvals
from ccms_graph.logic.people import administration, auth, users
from ccms_graph.policy.actor import load_actor
from tests.factories import PASSWORD, DaysFromToday, on_the_day


def _user(graph, username: str) -> dict:
    return graph.query("MATCH (u:User {username: $u}) RETURN u.role AS role, coalesce(u.active, true) AS active, "
                       "u.training_expires AS training", {"u": username})[0]


def _admin_entries(graph, op: str) -> list[dict]:
    rows = graph.query("MATCH (e:AuditEntry {action: 'admin'}) RETURN e.details AS d, e.targets AS t, "
                       "e.actor_username AS who ORDER BY e.seq")
    return [{**json.loads(r["d"]), "targets": r["t"], "who": r["who"]} for r in rows if json.loads(r["d"])["op"] == op]


def _denials(graph, op: str) -> int:
    rows = graph.query("MATCH (e:AuditEntry {action: 'deny'}) RETURN e.details AS d")
    return sum(json.loads(r["d"]).get("op") == op for r in rows)


def test_deactivation_ends_sign_in_and_is_audited(graph, org):
    out = administration.deactivate_user(graph, org.admin, "agent_a", {"reason": "left the task force"})
    assert out["active"] is False and _user(graph, "agent_a")["active"] is False
    (entry,) = _admin_entries(graph, "deactivate_user")
    assert (entry["who"], entry["targets"], entry["reason"]) == ("admin", [org.agent_a.uid], "left the task force")
    with pytest.raises(Forbidden):
        auth.authenticate(graph, "agent_a", PASSWORD)
    with pytest.raises(Conflict):
        administration.deactivate_user(graph, org.admin, "agent_a", {"reason": "again"})
    with pytest.raises(Conflict):
        administration.deactivate_user(graph, org.admin, "admin", {"reason": "myself"})


@pytest.mark.parametrize("op, data, field", [
    ("deactivate_user", {}, "reason"),
    ("deactivate_user", {"reason": "x"}, "reason"),
    ("reactivate_user", {"reason": ""}, "reason"),
    ("renew_training", {}, "completed_on"),
    ("renew_training", {"completed_on": "last tuesday"}, "completed_on"),
    ("renew_training", {"completed_on": DaysFromToday(1)}, "completed_on"),
    ("renew_training", {"completed_on": DaysFromToday(-400)}, "completed_on"),
])
def test_bad_input_names_the_field(graph, org, op, data, field):
    with pytest.raises(ValidationFailed) as err:
        getattr(administration, op)(graph, org.admin, "agent_b", on_the_day(data))
    assert set(err.value.errors) == {field}
    assert _admin_entries(graph, op) == []


@pytest.mark.parametrize("who", ["agent_a", "sup_mia", "auditor"])
def test_only_administrators_administer_and_refusals_are_audited(graph, org, who):
    actor = getattr(org, who)
    for op, data in (("deactivate_user", {"reason": "because"}), ("reactivate_user", {"reason": "because"}),
                     ("renew_training", {"completed_on": date.today().isoformat()})):
        with pytest.raises(Forbidden, match="administrator"):
            getattr(administration, op)(graph, actor, "agent_b", data)
        assert _denials(graph, op) == 1
    with pytest.raises(Forbidden):
        administration.list_users(graph, actor)
    assert _user(graph, "agent_b")["active"] is True


def test_an_unknown_user_is_not_found(graph, org):
    with pytest.raises(NotFound):
        administration.deactivate_user(graph, org.admin, "nobody_here", {"reason": "gone"})


def test_reactivating_a_content_role_waits_for_the_supervisor(graph, org):
    administration.deactivate_user(graph, org.admin, "agent_a", {"reason": "extended leave"})
    out = administration.reactivate_user(graph, org.admin, "agent_a", {"reason": "back from leave"})
    assert out["status"] == "pending_approval" and out["active"] is False
    assert _user(graph, "agent_a")["active"] is False  # the administrator alone opened nothing
    with pytest.raises(Forbidden):
        auth.authenticate(graph, "agent_a", PASSWORD)
    with pytest.raises(Forbidden):
        approvals.approve(graph, org.sup_nyc, out["request_uid"])  # not the account's chain
    approvals.approve(graph, org.sup_mia, out["request_uid"])
    assert _user(graph, "agent_a") == {"role": "agent", "active": True, "training": "2099-12-31"}
    assert auth.authenticate(graph, "agent_a", PASSWORD).username == "agent_a"
    (entry,) = _admin_entries(graph, "reactivate_user")
    assert entry["status"] == "pending_approval" and entry["request_uid"] == out["request_uid"]


def test_an_administrators_account_is_reactivated_at_once(graph, org):
    users.create_user(graph, org.admin, {"username": "admin2", "name": "Second Admin", "role": "admin",
                                         "office_code": "NYC", "password": "correct horse battery",
                                         "training_expires": "2099-12-31"})
    administration.deactivate_user(graph, org.admin, "admin2", {"reason": "rotation"})
    out = administration.reactivate_user(graph, org.admin, "admin2", {"reason": "back"})
    assert out["status"] == "active" and _user(graph, "admin2")["active"] is True
    with pytest.raises(Conflict):
        administration.reactivate_user(graph, org.admin, "admin2", {"reason": "again"})


def test_a_role_change_to_a_content_role_is_not_effective_until_approved(graph, org):
    out = users.change_role(graph, org.admin, "agent_b", {"role": "supervisor", "reason": "promoted"})
    assert out["status"] == "pending_approval"
    assert graph.read(load_actor, "agent_b").role == "agent"
    approvals.approve(graph, org.sup_mia, out["request_uid"])
    assert graph.read(load_actor, "agent_b").role == "supervisor"


def test_renewing_training_lets_an_expired_user_back_in_and_is_audited(graph, org):
    graph.query("MATCH (u:User {username: 'agent_b'}) SET u.training_expires = '2020-01-01'", write=True)
    with pytest.raises(Exception, match="training"):
        auth.authenticate(graph, "agent_b", PASSWORD)
    done = date.today() - timedelta(days=10)
    out = administration.renew_training(graph, org.admin, "agent_b", {"completed_on": done.isoformat(),
                                                                     "course": "privacy 2026"})
    expires = (done + timedelta(days=365)).isoformat()
    assert out["training_expires"] == expires == _user(graph, "agent_b")["training"]
    assert auth.authenticate(graph, "agent_b", PASSWORD).username == "agent_b"
    (entry,) = _admin_entries(graph, "renew_training")
    assert (entry["from"], entry["to"], entry["course"]) == ("2020-01-01", expires, "privacy 2026")


def test_the_account_list_shows_state_and_is_audited(graph, org):
    administration.deactivate_user(graph, org.admin, "agent_b", {"reason": "leave"})
    users.change_role(graph, org.admin, "analyst_mia", {"role": "agent", "reason": "new duties"})
    rows = {u["username"]: u for u in administration.list_users(graph, org.admin)}
    assert rows["agent_b"]["active"] is False and rows["analyst_mia"]["waiting_for_approval"] is True
    assert "password_hash" not in rows["agent_a"]
    assert graph.query("MATCH (e:AuditEntry {action: 'search', actor_username: 'admin'}) RETURN count(e) AS n")[0]["n"] == 1
