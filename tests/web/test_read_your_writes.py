"""Issue 16, cluster-ready: a user's bookmarks follow them across requests and app servers, so they read
their own writes on any cluster member. Two apps, each with its own driver over a routing `neo4j://` URI
to the local server, stand for two app servers behind a load balancer."""

from __future__ import annotations

import base64
from dataclasses import replace

import pytest

from ccms_graph import db
from ccms_graph.db import Graph
from ccms_graph.logic.people import tokens
from ccms_graph.web import create_app
from tests.factories import make_org
from tests.web.conftest import sign_in

KEY = "one-key-for-every-app-server-of-this-deployment-0123456789"


@pytest.fixture
def servers(graph):
    """Two app servers on one routing URI (the same signing key, as behind one load balancer)."""
    routed = replace(graph.settings, neo4j_uri=f"neo4j://127.0.0.1:{graph.settings.neo4j_bolt_port}")
    graphs = [Graph(routed), Graph(routed)]
    yield [create_app({"TESTING": True, "SECRET_KEY": KEY}, graph=g) for g in graphs]
    for g in graphs:
        g.driver.close()


def test_a_browser_user_reads_their_own_write_on_the_other_app_server(graph, servers):
    org = make_org(graph)
    first, second = servers[0].test_client(), servers[1].test_client()
    assert sign_in(first, org.agent_a.username).status_code == 302
    made = first.post("/api/v1/records/persons", json={"given_name": "Perpetua", "family_name": "Oyelaran-Stroud",
                                                      "separate_reason": "new subject"},
                      headers={"X-CSRFToken": _csrf(first)})
    assert made.status_code == 201, made.get_data(as_text=True)
    handed = made.headers.get("X-Bookmarks", "")
    assert handed.startswith("FB:")  # the write's bookmark comes back
    cookie = first.get_cookie("session")
    second.set_cookie("session", cookie.value)  # the load balancer sends the next request elsewhere
    page = second.get(f"/api/v1/records/{made.get_json()['uid']}")
    assert page.status_code == 200 and "Perpetua" in page.get_data(as_text=True)


def _token_write(graph, servers, given: str) -> tuple[dict, object]:
    """A token client's create through the first app server: (its auth header, the answer)."""
    org = make_org(graph)
    auth = {"Authorization": f"Bearer {tokens.create_token(graph, org.agent_a, {'name': given})['token']}"}
    made = servers[0].test_client().post("/api/v1/records/persons", headers=auth,
                                         json={"given_name": given, "family_name": "Wolkenstein-Imai",
                                               "separate_reason": "new subject"})
    assert made.status_code == 201
    return auth, made


def test_an_api_client_carries_its_bookmarks_in_a_header(graph, servers):
    auth, made = _token_write(graph, servers, "Ansgar")
    sent = made.headers["X-Bookmarks"]
    read = servers[1].test_client().get(f"/api/v1/records/{made.get_json()['uid']}",
                                        headers={**auth, "X-Bookmarks": sent})
    assert read.status_code == 200
    assert read.headers["X-Bookmarks"] != sent  # the view was audited: a newer bookmark to send next time


def test_an_anonymous_request_gets_no_session_cookie_that_would_shadow_a_token(graph, app):
    org = make_org(graph)
    token = tokens.create_token(graph, org.agent_a, {"name": "jar"})["token"]
    client = app.test_client()
    ready = client.get("/ready")
    assert ready.status_code == 200 and "Set-Cookie" not in ready.headers
    assert client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"}).status_code == 200


def test_a_token_client_that_keeps_cookies_stays_signed_in_across_writes(graph, app):
    org = make_org(graph)
    token = tokens.create_token(graph, org.agent_a, {"name": "cookie-jar"})["token"]
    client = app.test_client()  # keeps any cookie it is given, as requests.Session does
    auth = {"Authorization": f"Bearer {token}"}
    for name in ("Rainer", "Ilka", "Tamsin"):
        r = client.post("/api/v1/records/persons", headers=auth,
                        json={"given_name": name, "family_name": "Quellmalz-Obi", "separate_reason": "new subject"})
        assert r.status_code == 201, r.get_data(as_text=True)


def test_sessions_of_a_followed_context_start_after_its_bookmarks(graph):
    """The mechanism under the two tests above, on the routing driver: a followed context collects the
    bookmark of each write it commits, and its next session starts from it."""
    routed = Graph(replace(graph.settings, neo4j_uri=f"neo4j://127.0.0.1:{graph.settings.neo4j_bolt_port}"))
    try:
        token = db.follow([])
        try:
            assert db.followed() == []
            routed.write(lambda tx: tx.run("CREATE (:Scratch {n: 1})").consume())
            after_first = db.followed()
            assert len(after_first) == 1
            routed.write(lambda tx: tx.run("CREATE (:Scratch {n: 2})").consume())
            assert db.followed() != after_first  # the newer write's bookmark replaced it
            assert routed.read(lambda tx: tx.run("MATCH (s:Scratch) RETURN count(s) AS n").single()["n"]) == 2
        finally:
            db.unfollow(token)
        assert db.followed() == []  # nothing leaks into the next request
    finally:
        routed.driver.close()


def _csrf(client) -> str:
    from tests.web.conftest import csrf_from

    return csrf_from(client.get("/").get_data(as_text=True))


def _beyond(bookmark: str) -> str:
    """The same database's bookmark for a transaction far beyond its last one (what a bookmark handed out
    before a restore of an older backup looks like to the restored database)."""
    raw = base64.b64decode(bookmark[3:])
    assert raw[:3] == b"\x91\xcc\x10"  # one entry: the database id (16 bytes), then the transaction id
    return "FB:" + base64.b64encode(raw[:19] + b"\xca\x00\xff\xff\xff" + b"\x90").decode()


def test_a_bookmark_the_database_never_reached_is_dropped_not_fatal(graph, servers):
    auth, made = _token_write(graph, servers, "Ottokar")
    stale = _beyond(made.headers["X-Bookmarks"])
    read = servers[1].test_client().get(f"/api/v1/records/{made.get_json()['uid']}",
                                        headers={**auth, "X-Bookmarks": stale})
    assert read.status_code == 200, read.get_data(as_text=True)
    assert stale not in read.headers["X-Bookmarks"]  # the client is handed a bookmark it can use
