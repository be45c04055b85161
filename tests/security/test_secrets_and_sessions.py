"""Session forgery, revocation, and training checked on every request (issue 13, classes 2 and 8).

The attack: `make run` signed cookies with the public default key, and the graph held session ids in
the clear; an analyst who read a supervisor's session id forged a cookie naming it and became that
supervisor. Now there is no default key (a random one is kept, 0600, beside the instance), the graph
keeps only a hash of each session id, and sessions and tokens can be ended by their user, an
administrator or a supervisor above the user, stopping on the very next request.
"""

from __future__ import annotations

import hashlib
import os
import stat

import pytest
from flask.sessions import SecureCookieSessionInterface
from itsdangerous import URLSafeTimedSerializer

from ccms_graph.web import create_app
from tests.api.conftest import Api, token_for
from tests.factories import PASSWORD
from tests.web.conftest import sign_in

#: The key `make run` used to sign cookies with, published in the source.
PUBLIC_KEY = "ccms-sandbox-secret-change-me"


@pytest.fixture
def app(graph):
    return create_app({"TESTING": True}, graph=graph)


def _serializer(key: str) -> URLSafeTimedSerializer:
    """How Flask signs its session cookie, with a given key (what an attacker holding the key would do)."""
    iface = SecureCookieSessionInterface()
    return URLSafeTimedSerializer(key, salt=iface.salt, serializer=iface.serializer,
                                  signer_kwargs={"key_derivation": iface.key_derivation,
                                                 "digest_method": iface.digest_method})


def _api_sign_in(client, username: str):
    csrf = client.get("/api/v1/auth/csrf").get_json()["csrf_token"]
    r = client.post("/api/v1/auth/session", headers={"X-CSRFToken": csrf},
                    json={"username": username, "password": PASSWORD, "acknowledge": True})
    assert r.status_code == 201, r.get_json()
    return client


def _csrf(client) -> dict:
    return {"X-CSRFToken": client.get("/api/v1/auth/csrf").get_json()["csrf_token"]}


def _me(client, **kw):
    return client.get("/api/v1/auth/me", **kw)


def _audit(graph, action: str) -> list[dict]:
    return graph.query("MATCH (e:AuditEntry {action: $a}) RETURN e.actor_username AS who, e.targets AS targets, "
                       "e.details AS details, e.outcome AS outcome ORDER BY e.seq", {"a": action})


# ---------------------------------------------------------------------------------------------
# The signing key
# ---------------------------------------------------------------------------------------------


def test_without_a_configured_key_the_first_start_keeps_a_random_one_private(graph, tmp_path, monkeypatch):
    monkeypatch.setenv("CCMS_HOME", str(tmp_path))
    monkeypatch.delenv("CCMS_SECRET_KEY", raising=False)
    first = create_app(graph=graph)
    assert first.secret_key != PUBLIC_KEY and len(first.secret_key) >= 32
    kept = tmp_path / "var" / "secret_key"
    assert kept.read_text().strip() == first.secret_key
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    # The next start (another worker, a restart) signs with the same key, so sessions survive it.
    assert create_app(graph=graph).secret_key == first.secret_key
    # Another instance gets a key of its own.
    monkeypatch.setenv("CCMS_HOME", str(tmp_path / "other"))
    assert create_app(graph=graph).secret_key != first.secret_key


@pytest.mark.parametrize("key", [PUBLIC_KEY, "short-key"])
def test_a_public_or_short_configured_key_stops_the_start(graph, tmp_path, monkeypatch, key):
    monkeypatch.setenv("CCMS_HOME", str(tmp_path))
    monkeypatch.setenv("CCMS_SECRET_KEY", key)
    with pytest.raises(RuntimeError, match="CCMS_SECRET_KEY"):
        create_app(graph=graph)


def test_a_kept_key_others_may_read_stops_the_start(graph, tmp_path, monkeypatch):
    monkeypatch.setenv("CCMS_HOME", str(tmp_path))
    monkeypatch.delenv("CCMS_SECRET_KEY", raising=False)
    create_app(graph=graph)
    os.chmod(tmp_path / "var" / "secret_key", 0o644)
    with pytest.raises(RuntimeError, match="read by other users"):
        create_app(graph=graph)


def test_a_configured_key_is_used(graph, tmp_path, monkeypatch):
    monkeypatch.setenv("CCMS_HOME", str(tmp_path))
    monkeypatch.setenv("CCMS_SECRET_KEY", "k" * 40)
    assert create_app(graph=graph).secret_key == "k" * 40
    assert not (tmp_path / "var" / "secret_key").exists()


def test_a_cookie_forged_with_the_public_key_and_a_stolen_session_id_signs_no_one_in(graph, org, tmp_path,
                                                                                    monkeypatch):
    """The hostile-insider attack, end to end, against the app as `make run` builds it (no key configured)."""
    from flask_login.utils import _create_identifier

    monkeypatch.setenv("CCMS_HOME", str(tmp_path))
    monkeypatch.delenv("CCMS_SECRET_KEY", raising=False)
    app = create_app(graph=graph)
    victim = app.test_client()
    assert sign_in(victim, "sup_nyc").status_code == 302
    # The analyst reads the supervisor's session as the graph holds it, and forges a cookie naming it.
    stolen = graph.query("MATCH (s:Session {user_uid: $u}) RETURN s.sid AS sid", {"u": org.sup_nyc.uid})[0]["sid"]
    attacker = app.test_client()
    with app.test_request_context(environ_base=attacker.environ_base):
        ident = _create_identifier()  # what session protection expects of the attacker's own browser
    attacker.set_cookie("session", _serializer(PUBLIC_KEY).dumps(
        {"_user_id": stolen, "_fresh": True, "_id": ident, "_permanent": True}))
    r = _me(attacker)
    assert r.status_code == 401, r.get_json()
    assert attacker.get("/").status_code == 302
    assert _me(victim).get_json()["username"] == "sup_nyc"


def test_a_session_id_read_from_the_graph_does_not_resume_the_session(app, graph, org):
    """Even with the app's own key (as if it leaked), what the graph holds of a session resumes nothing."""
    victim = _api_sign_in(app.test_client(), "sup_nyc")
    attacker = _api_sign_in(app.test_client(), "analyst_mia")
    cookie = _serializer(app.secret_key).loads(attacker.get_cookie("session").value)
    real_sid = _serializer(app.secret_key).loads(victim.get_cookie("session").value)["_user_id"]
    stored = graph.query("MATCH (s:Session {user_uid: $u}) RETURN properties(s) AS s", {"u": org.sup_nyc.uid})
    assert len(stored) == 1
    assert real_sid not in {str(v) for v in stored[0]["s"].values()}  # only a hash of it is kept
    for value in stored[0]["s"].values():
        attacker.set_cookie("session", _serializer(app.secret_key).dumps({**cookie, "_user_id": str(value)}))
        assert _me(attacker).status_code == 401
    assert _me(victim).get_json()["username"] == "sup_nyc"
    assert stored[0]["s"]["sid"] == hashlib.sha256(real_sid.encode()).hexdigest()


# ---------------------------------------------------------------------------------------------
# Revoking sessions and tokens
# ---------------------------------------------------------------------------------------------


def test_a_user_lists_and_ends_their_other_sessions_and_the_next_request_is_refused(app, graph, org):
    laptop = _api_sign_in(app.test_client(), "agent_a")
    phone = _api_sign_in(app.test_client(), "agent_a")
    _api_sign_in(app.test_client(), "agent_b")  # someone else's: never listed, never ended
    listed = laptop.get("/api/v1/auth/sessions").get_json()
    assert len(listed) == 2 and [s["current"] for s in listed].count(True) == 1
    assert all("sid" not in s for s in listed)
    phone_uid = next(s["uid"] for s in phone.get("/api/v1/auth/sessions").get_json() if s["current"])

    r = laptop.delete(f"/api/v1/auth/sessions/{phone_uid}", headers=_csrf(laptop))
    assert r.status_code == 200 and r.get_json()["end_reason"] == "revoked"
    assert _me(phone).status_code == 401  # on its very next request
    assert _me(laptop).status_code == 200
    again = laptop.delete(f"/api/v1/auth/sessions/{phone_uid}", headers=_csrf(laptop))
    assert again.status_code == 409 and again.mimetype == "application/problem+json"
    revokes = _audit(graph, "revoke")
    assert [(e["who"], e["targets"]) for e in revokes] == [("agent_a", [org.agent_a.uid, phone_uid])]


def test_sign_out_everywhere_else_keeps_only_the_asking_session(app, graph, org):
    here = _api_sign_in(app.test_client(), "agent_a")
    others = [_api_sign_in(app.test_client(), "agent_a") for _ in range(2)]
    bystander = _api_sign_in(app.test_client(), "agent_b")
    r = here.post("/api/v1/auth/sessions/end-others", headers=_csrf(here))
    assert r.status_code == 200 and r.get_json() == {"sessions_ended": 2}
    assert [_me(c).status_code for c in others] == [401, 401]
    assert _me(here).status_code == 200 and _me(bystander).status_code == 200
    (entry,) = _audit(graph, "revoke")
    assert entry["who"] == "agent_a" and len(entry["targets"]) == 3


def test_revoking_a_revoked_token_is_409(app, graph, org):
    api = Api(app.test_client(), token_for(graph, org.agent_a))
    other = api.post("auth/tokens", json={"name": "cron"}).get_json()
    assert api.delete(f"auth/tokens/{other['uid']}").status_code == 200
    assert Api(app.test_client(), other["token"]).get("auth/me").status_code == 401
    r = api.delete(f"auth/tokens/{other['uid']}")
    assert r.status_code == 409 and r.mimetype == "application/problem+json"


@pytest.mark.parametrize("by", ["admin", "sup_mia", "chief"])
def test_an_administrator_or_a_supervisor_above_ends_every_session_and_token_of_a_user(app, graph, org, by):
    session = _api_sign_in(app.test_client(), "agent_a")
    page = app.test_client()
    sign_in(page, "agent_a")
    token = Api(app.test_client(), token_for(graph, org.agent_a))
    bystander = Api(app.test_client(), token_for(graph, org.agent_b))
    assert _me(session).status_code == 200 and page.get("/").status_code == 200

    r = Api(app.test_client(), token_for(graph, getattr(org, by))).post(
        "auth/revocations", json={"username": "agent_a", "reason": "laptop reported stolen"})
    assert r.status_code == 200, r.get_json()
    assert r.get_json() == {"username": "agent_a", "sessions_ended": 2, "tokens_revoked": 1}
    assert _me(session).status_code == 401
    assert token.get("auth/me").status_code == 401
    assert page.get("/").status_code == 302
    assert bystander.get("auth/me").status_code == 200
    (entry,) = [e for e in _audit(graph, "revoke") if e["who"] == by]
    assert org.agent_a.uid in entry["targets"] and "laptop reported stolen" in entry["details"]


@pytest.mark.parametrize("by", ["agent_b", "sup_nyc", "analyst_mia", "auditor"])
def test_no_one_else_ends_a_users_access_and_the_attempt_is_audited(app, graph, org, by):
    token = Api(app.test_client(), token_for(graph, org.agent_a))
    session = _api_sign_in(app.test_client(), "agent_a")
    r = Api(app.test_client(), token_for(graph, getattr(org, by))).post(
        "auth/revocations", json={"username": "agent_a", "reason": "mischief"})
    assert r.status_code == 403 and r.mimetype == "application/problem+json"
    assert token.get("auth/me").status_code == 200 and _me(session).status_code == 200
    sid_uid = next(s["uid"] for s in session.get("/api/v1/auth/sessions").get_json())
    r = Api(app.test_client(), token_for(graph, getattr(org, by))).delete(f"auth/sessions/{sid_uid}")
    assert r.status_code == 404
    assert _me(session).status_code == 200
    denials = [e for e in _audit(graph, "deny") if e["who"] == by]
    assert len(denials) == 2 and all(e["outcome"] == "denied" for e in denials)


def test_deactivating_a_user_ends_their_sessions_and_tokens_for_good(app, graph, org):
    session = _api_sign_in(app.test_client(), "agent_a")
    token = Api(app.test_client(), token_for(graph, org.agent_a))
    graph.query("MATCH (u:User {username: 'agent_a'}) SET u.active = false", write=True)
    assert _me(session).status_code == 401
    assert token.get("auth/me").status_code == 401
    assert graph.query("MATCH (s:Session {user_uid: $u}) RETURN s.end_reason AS r", {"u": org.agent_a.uid}) == [
        {"r": "user_inactive"}]
    assert graph.query("MATCH (t:ApiToken {user_uid: $u}) RETURN t.revoked_at IS NOT NULL AS revoked",
                       {"u": org.agent_a.uid}) == [{"revoked": True}]
    # Reactivating the account brings neither back: the user signs in again.
    graph.query("MATCH (u:User {username: 'agent_a'}) SET u.active = true", write=True)
    assert _me(session).status_code == 401
    assert token.get("auth/me").status_code == 401


def test_the_deactivation_hook_ends_access_in_the_deactivating_transaction(app, graph, org):
    from ccms_graph.logic.people import sessions
    from ccms_graph.policy.actor import SYSTEM

    session = _api_sign_in(app.test_client(), "agent_a")
    token = Api(app.test_client(), token_for(graph, org.agent_a))
    out = graph.write(lambda tx: sessions.end_access_on_deactivation(tx, SYSTEM, org.agent_a.uid))
    assert out == {"sessions_ended": 1, "tokens_revoked": 1}
    assert _me(session).status_code == 401 and token.get("auth/me").status_code == 401


# ---------------------------------------------------------------------------------------------
# Training, checked on every request
# ---------------------------------------------------------------------------------------------


def _expire_training(graph, username: str) -> None:
    graph.query("MATCH (u:User {username: $u}) SET u.training_expires = '2020-01-01'", {"u": username}, write=True)


def _training_refused(r) -> None:
    assert r.status_code == 403, (r.status_code, r.get_data(as_text=True)[:300])
    body = r.get_json()
    assert body["title"] == "Training expired" and "training" in body["detail"] and "2020-01-01" in body["detail"]


def test_a_session_is_refused_mid_session_when_training_expires(app, graph, org):
    client = _api_sign_in(app.test_client(), "agent_a")
    assert _me(client).status_code == 200
    _expire_training(graph, "agent_a")
    _training_refused(_me(client))  # even a request that reads no case content
    denials = [e for e in _audit(graph, "deny") if e["who"] == "agent_a"]
    assert len(denials) == 1 and "resume_session" in denials[0]["details"]
    assert _me(client).status_code == 401  # the session ended with the refusal


def test_a_page_session_is_refused_with_the_training_message(app, graph, org):
    client = app.test_client()
    sign_in(client, "agent_a")
    assert client.get("/").status_code == 200
    _expire_training(graph, "agent_a")
    r = client.get("/")
    assert r.status_code == 403 and "training" in r.get_data(as_text=True).lower()


def test_a_token_is_refused_while_training_is_expired_and_works_once_renewed(app, graph, org):
    api = Api(app.test_client(), token_for(graph, org.agent_a))
    assert api.get("cases").status_code == 200
    _expire_training(graph, "agent_a")
    _training_refused(api.get("auth/me"))
    _training_refused(api.post("cases", json={"title": "Still working"}))
    denials = [e for e in _audit(graph, "deny") if e["who"] == "agent_a"]
    assert len(denials) == 2 and all("use_token" in e["details"] for e in denials)
    graph.query("MATCH (u:User {username: 'agent_a'}) SET u.training_expires = '2099-12-31'", write=True)
    assert api.get("cases").status_code == 200
