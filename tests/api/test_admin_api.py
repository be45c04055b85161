"""Administering accounts over the API and in the browser: each action, its audit entry, field-named 4xx errors,
and a deactivated user who can neither sign in nor use a token."""

from __future__ import annotations

import json
from datetime import date

import pytest

from ccms_graph.errors import Forbidden
from ccms_graph.logic.people import auth
from tests.api.conftest import Api, token_for
from tests.factories import PASSWORD
from tests.web.conftest import csrf_from, sign_in


def _ops(graph) -> list[str]:
    rows = graph.query("MATCH (e:AuditEntry {action: 'admin', actor_username: 'admin'}) RETURN e.details AS d "
                       "ORDER BY e.seq")
    return [json.loads(r["d"])["op"] for r in rows]


def test_a_deactivated_user_can_neither_sign_in_nor_use_a_token(app, graph, org, as_user):
    token = Api(app.test_client(), token_for(graph, org.agent_a))
    assert token.get("auth/me").status_code == 200
    r = as_user(org.admin).post("admin/users/agent_a/deactivate", json={"reason": "left the agency"})
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["active"] is False and r.get_json()["tokens_revoked"] == 1
    assert token.get("auth/me").status_code == 401
    assert sign_in(app.test_client(), "agent_a").status_code != 302  # the sign-in page answers again, no session
    web = app.test_client()
    sign_in(web, "agent_a")
    assert web.get("/").status_code in (302, 401)
    assert _ops(graph) == ["deactivate_user"]


def test_bad_input_gets_a_field_named_4xx(as_user, org):
    admin = as_user(org.admin)
    for path, body, field in (("deactivate", {}, "reason"), ("reactivate", {"reason": 7}, "reason"),
                              ("training", {"completed_on": "2999-01-01"}, "completed_on"),
                              ("role", {"role": "king", "reason": "because"}, "role")):
        r = admin.post(f"admin/users/agent_b/{path}", json=body)
        assert r.status_code == 422, (path, r.get_json())
        assert field in r.get_json()["errors"], (path, r.get_json())
    assert admin.post("admin/users/nobody_here/deactivate", json={"reason": "gone"}).status_code == 404
    assert as_user(org.sup_mia).post("admin/users/agent_b/deactivate", json={"reason": "mine"}).status_code == 403


def test_role_reactivation_training_and_lockout_over_the_api(app, graph, org, as_user):
    admin = as_user(org.admin)
    r = admin.post("admin/users/agent_b/role", json={"role": "supervisor", "reason": "promoted"})
    assert r.status_code == 202 and r.get_json()["role"] == "agent"
    assert as_user(org.agent_b).get("auth/me").get_json()["role"] == "agent"  # not until a supervisor approves
    d = as_user(org.sup_mia).post(f"approvals/{r.get_json()['request_uid']}/decision", json={"decision": "approved"})
    assert d.status_code == 200, d.get_json()
    assert graph.query("MATCH (u:User {username: 'agent_b'}) RETURN u.role AS r") == [{"r": "supervisor"}]

    admin.post("admin/users/analyst_mia/deactivate", json={"reason": "leave"})
    r = admin.post("admin/users/analyst_mia/reactivate", json={"reason": "back"})
    assert r.status_code == 202 and r.get_json()["active"] is False

    r = admin.post("admin/users/analyst_mia/training", json={"completed_on": date.today().isoformat()})
    assert r.status_code == 200 and r.get_json()["training_expires"] > date.today().isoformat()

    for _ in range(auth.MAX_FAILURES):
        with pytest.raises(Forbidden):
            auth.authenticate(graph, "agent_a", "not the password")
    assert admin.get("admin/users/agent_a/lock").get_json()["locked"] is True
    assert admin.post("admin/users/agent_a/release-lockout").status_code == 200
    assert auth.authenticate(graph, "agent_a", PASSWORD).username == "agent_a"

    listed = {u["username"]: u for u in admin.get("admin/users").get_json()}
    assert listed["analyst_mia"]["waiting_for_approval"] is True and listed["analyst_mia"]["active"] is False
    assert _ops(graph) == ["deactivate_user", "reactivate_user", "renew_training", "release_lockout"]


def test_the_accounts_page_changes_an_account(app, graph, org):
    web = app.test_client()
    sign_in(web, "admin")
    page = web.get("/admin/users")
    assert page.status_code == 200 and "agent_b" in page.get_data(as_text=True)
    r = web.post("/admin/users/agent_b/deactivate", data={"reason": "left", "csrf_token": csrf_from(page.get_data(as_text=True))},
                 follow_redirects=True)
    assert r.status_code == 200 and "Done: agent_b" in r.get_data(as_text=True)
    assert graph.query("MATCH (u:User {username: 'agent_b'}) RETURN u.active AS a") == [{"a": False}]
    page = web.get("/admin/users")
    r = web.post("/admin/users/agent_b/reactivate", data={"reason": "", "csrf_token": csrf_from(page.get_data(as_text=True))},
                 follow_redirects=True)
    assert "Not done: reason" in r.get_data(as_text=True)
    r = web.post("/admin/users/agent_b/role", data={"role": "analyst", "reason": "new duties",
                                                    "csrf_token": csrf_from(page.get_data(as_text=True))},
                 follow_redirects=True)
    assert "Sent to a supervisor" in r.get_data(as_text=True)
    agent = app.test_client()
    sign_in(agent, "agent_a")
    assert agent.get("/admin/users").status_code == 403
