"""Session sign-in with CSRF, personal API tokens, and the 401 answer, through the real app."""

from __future__ import annotations

from tests.api.conftest import Api
from tests.factories import PASSWORD


def _csrf(client) -> str:
    return client.get("/api/v1/auth/csrf").get_json()["csrf_token"]


def _sign_in(client, username="agent_a", password=PASSWORD):
    return client.post("/api/v1/auth/session", headers={"X-CSRFToken": _csrf(client)},
                       json={"username": username, "password": password, "acknowledge": True})


def test_not_signed_in_is_a_401_problem_not_a_redirect(client, org):
    r = client.get("/api/v1/cases")
    assert r.status_code == 401
    assert r.mimetype == "application/problem+json"
    assert r.get_json()["title"] == "Not signed in"


def test_session_sign_in_needs_csrf_and_then_works_until_sign_out(client, org):
    r = client.post("/api/v1/auth/session", json={"username": "agent_a", "password": PASSWORD,
                                                   "acknowledge": True})
    assert r.status_code == 400 and r.get_json()["title"] == "CSRF check failed"
    r = _sign_in(client)
    assert r.status_code == 201, r.get_json()
    assert r.get_json()["username"] == "agent_a" and "password" not in r.get_json()
    assert client.get("/api/v1/auth/me").get_json()["authenticated_by"] == "session"
    # A state-changing request on the cookie session needs the header; with it, it goes through.
    assert client.post("/api/v1/cases", json={"title": "Harbour case"}).status_code == 400
    token = _csrf(client)
    r = client.post("/api/v1/cases", json={"title": "Harbour case"}, headers={"X-CSRFToken": token})
    assert r.status_code == 201, r.get_json()
    assert client.delete("/api/v1/auth/session", headers={"X-CSRFToken": token}).status_code == 204
    assert client.get("/api/v1/auth/me").status_code == 401


def test_wrong_password_is_401_and_audited(client, graph, org):
    r = _sign_in(client, password="not-the-password")
    assert r.status_code == 401
    rows = graph.query("MATCH (e:AuditEntry {action: 'sign_in_failed'}) RETURN e.actor_username AS u")
    assert [row["u"] for row in rows] == ["agent_a"]


def test_sign_in_needs_the_banner_acknowledged(client, org):
    r = client.post("/api/v1/auth/session", headers={"X-CSRFToken": _csrf(client)},
                    json={"username": "agent_a", "password": PASSWORD, "acknowledge": False})
    assert r.status_code == 422 and "acknowledge" in r.get_json()["errors"]


def test_token_lifecycle_hash_only_and_own_rights(client, app, graph, org):
    assert _sign_in(client).status_code == 201
    csrf = {"X-CSRFToken": _csrf(client)}
    r = client.post("/api/v1/auth/tokens", json={"name": "nightly import"}, headers=csrf)
    assert r.status_code == 201, r.get_json()
    made = r.get_json()
    secret = made["token"]
    stored = graph.query("MATCH (t:ApiToken) RETURN properties(t) AS t")
    assert len(stored) == 1 and secret not in {str(v) for v in stored[0]["t"].values()}
    listed = client.get("/api/v1/auth/tokens").get_json()
    assert [t["uid"] for t in listed] == [made["uid"]] and "token" not in listed[0]

    bearer = Api(app.test_client(), secret)
    me = bearer.get("auth/me").get_json()
    assert (me["username"], me["authenticated_by"]) == ("agent_a", "token")
    # No CSRF header needed with a token; and the token carries the agent's rights only.
    assert bearer.post("cases", json={"title": "Scripted case"}).status_code == 201
    assert bearer.post("admin/offices", json={"code": "BOS", "name": "Boston", "kind": "field_office"}
                       ).status_code == 403
    assert bearer.get("audit").status_code == 403

    assert client.delete(f"/api/v1/auth/tokens/{made['uid']}", headers=csrf).status_code == 200
    r = bearer.get("auth/me")
    assert r.status_code == 401 and "token" in r.get_json()["detail"]


def test_someone_elses_token_cannot_be_revoked(as_user, graph, org):
    theirs = as_user(org.agent_nyc).post("auth/tokens", json={"name": "theirs"}).get_json()
    r = as_user(org.agent_a).delete(f"auth/tokens/{theirs['uid']}")
    assert r.status_code == 404
    assert Api(as_user(org.agent_a).client, theirs["token"]).get("auth/me").status_code == 200


def test_garbage_bearer_is_401(client, org):
    r = Api(client, "ccms_not-a-real-token").get("cases")
    assert r.status_code == 401
