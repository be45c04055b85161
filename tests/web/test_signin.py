"""Sign-in security through the real app: banner, CSRF, lockout, idle timeout, server-side sign-out."""

from __future__ import annotations

import json

from ccms_graph.logic.people.auth import BAD_CREDENTIALS
from ccms_graph.web.auth import BANNER
from tests.web.conftest import csrf_from, sign_in


def test_signin_page_shows_the_system_use_banner(client, org):
    page = client.get("/signin")
    assert page.status_code == 200
    assert BANNER[:60] in page.get_data(as_text=True)


def test_signin_requires_acknowledging_the_banner(client, org):
    resp = sign_in(client, "agent_a", acknowledge=False)
    assert resp.status_code == 401
    assert "Acknowledge the system-use notice" in resp.get_data(as_text=True)
    assert client.get("/").status_code == 302  # still signed out


def test_signin_and_desktop_lists_my_cases(client, graph, org):
    from ccms_graph.logic.casework.cases import create_case

    create_case(graph, org.agent_a, {"title": "Operation Heron"})
    create_case(graph, org.agent_nyc, {"title": "Operation Elsewhere"})
    resp = sign_in(client, "agent_a")
    assert resp.status_code == 302
    html = client.get("/").get_data(as_text=True)
    assert "Operation Heron" in html
    assert "Operation Elsewhere" not in html


def test_post_without_csrf_token_is_refused(client, org):
    resp = client.post("/signin", data={"username": "agent_a", "password": "x", "acknowledge": "yes"})
    assert resp.status_code == 400
    assert "CSRF" in resp.get_data(as_text=True)


def test_five_failures_lock_the_account_even_for_the_right_password(client, graph, org):
    for _ in range(5):
        assert sign_in(client, "agent_a", password="wrong-password-123").status_code == 401
    resp = sign_in(client, "agent_a")
    assert resp.status_code == 401
    # Stricter since issue 13: the page says what it says to any wrong password, never "locked".
    html = resp.get_data(as_text=True)
    assert BAD_CREDENTIALS in html and "locked" not in html.lower()
    assert client.get("/").status_code == 302  # still signed out
    rows = graph.query("MATCH (e:AuditEntry {action: 'sign_in_failed'}) RETURN e.details AS d ORDER BY e.seq")
    assert [json.loads(r["d"])["reason"] for r in rows] == ["bad_password"] * 5 + ["locked"]


def test_idle_session_ends_after_the_limit(client, graph, org):
    sign_in(client, "agent_a")
    assert client.get("/").status_code == 200
    graph.query("MATCH (s:Session) SET s.last_seen = datetime() - duration({minutes: 31})", write=True)
    resp = client.get("/")
    assert resp.status_code == 302 and "/signin" in resp.headers["Location"]
    assert graph.query("MATCH (s:Session) RETURN s.end_reason AS r") == [{"r": "idle"}]


def test_signout_invalidates_the_session_on_the_server(app, graph, org):
    client = app.test_client()
    sign_in(client, "agent_a")
    stolen_cookie = client.get_cookie("session").value
    page = client.get("/").get_data(as_text=True)
    assert client.post("/signout", data={"csrf_token": csrf_from(page)}).status_code == 302
    # Replaying the old cookie after sign-out does not resume the session.
    replay = app.test_client()
    replay.set_cookie("session", stolen_cookie)
    assert replay.get("/").status_code == 302
    assert graph.query("MATCH (s:Session) RETURN s.end_reason AS r") == [{"r": "sign_out"}]
    assert graph.query("MATCH (e:AuditEntry {action: 'sign_out'}) RETURN count(e) AS n") == [{"n": 1}]


def test_new_session_id_on_each_signin(client, graph, org):
    sign_in(client, "agent_a")
    client.post("/signout", data={"csrf_token": csrf_from(client.get("/").get_data(as_text=True))})
    sign_in(client, "agent_a")
    sids = [r["sid"] for r in graph.query("MATCH (s:Session) RETURN s.sid AS sid")]
    assert len(set(sids)) == 2


def test_security_headers_on_every_response(client, org):
    resp = client.get("/signin")
    assert "frame-ancestors 'none'" in resp.headers["Content-Security-Policy"]
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert resp.headers["X-Frame-Options"] == "DENY"


def test_session_cookie_is_httponly_and_samesite(client, org):
    resp = sign_in(client, "agent_a")
    cookie = resp.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_expired_training_is_refused_with_a_clear_message(client, graph, org):
    graph.query("MATCH (u:User {username: 'agent_a'}) SET u.training_expires = '2020-01-01'", write=True)
    resp = sign_in(client, "agent_a")
    assert resp.status_code == 401
    assert "training" in resp.get_data(as_text=True).lower()


def test_case_page_hides_restricted_subjects_and_refuses_other_offices_restricted_case(client, graph, org):
    from ccms_graph.logic.casework.cases import create_case
    from ccms_graph.logic.entities import records

    open_case = create_case(graph, org.agent_a, {"title": "Operation Open Water"})
    secret = create_case(graph, org.agent_nyc, {"title": "Operation Quiet", "restricted": True})
    records.create_entity(graph, org.agent_a, "Person", {"given_name": "Visible", "family_name": "Subject"},
                          case_uid=open_case["uid"])
    sign_in(client, "agent_a")
    page = client.get(f"/cases/{open_case['uid']}")
    assert page.status_code == 200 and "Visible Subject" in page.get_data(as_text=True)
    refused = client.get(f"/cases/{secret['uid']}")
    assert refused.status_code == 404
    assert "Operation Quiet" not in refused.get_data(as_text=True)
    assert graph.query("MATCH (e:AuditEntry {action: 'deny'}) RETURN count(e) AS n") == [{"n": 1}]
