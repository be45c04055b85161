"""Fail fast (issue 16): while Neo4j is down every request answers 503 with Retry-After, the error page
never touches the database, and /health (liveness) and /ready (readiness) are separate. How many seconds
the 503 takes (about 1 s refused, 3 s silent, against 30-120 s with the driver's defaults) is measured by
`benchmarks/fail_fast.py`, never asserted here.

The "down" databases are real: a Bolt address nothing listens on (Neo4j killed: connections refused),
a TCP listener that never answers (Neo4j hung, or the network to it lost), and the test server itself
killed with SIGKILL and restarted. The app is built against the live test server (start-up checks the
saved-query catalogue against it) and then loses its database, as a running app would. The Graph for
the dead address is built from the app's own settings, so its driver has exactly the configured bounds.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import time
from dataclasses import replace

import pytest

from ccms_graph import neo4j_server
from ccms_graph.db import Graph, install_schema
from ccms_graph.logic.people import tokens
from ccms_graph.web.errors import RETRY_AFTER_SECONDS
from tests.web.conftest import csrf_from, sign_in


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def refused(test_settings):
    """A Graph, configured as the app's, whose Neo4j is gone: nothing listens on its port."""
    dead = Graph(replace(test_settings, neo4j_uri=f"bolt://127.0.0.1:{_free_port()}"))
    yield dead
    dead.close()


@pytest.fixture
def silent(test_settings):
    """A Graph whose Neo4j accepts TCP connections and never answers (hung, or its network lost)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)  # the kernel completes the TCP handshake; no one ever reads or replies
    dead = Graph(replace(test_settings, neo4j_uri=f"bolt://127.0.0.1:{listener.getsockname()[1]}"))
    yield dead
    dead.close()
    listener.close()


def _assert_api_503(resp):
    assert resp.status_code == 503, resp.get_data(as_text=True)[:300]
    assert resp.mimetype == "application/problem+json"
    assert resp.get_json()["title"] == "Database unavailable"
    assert resp.headers["Retry-After"] == str(RETRY_AFTER_SECONDS)


def _assert_html_503(resp):
    html = resp.get_data(as_text=True)
    assert resp.status_code == 503, html[:300]
    assert resp.mimetype == "text/html"
    assert resp.headers["Retry-After"] == str(RETRY_AFTER_SECONDS)
    # A real page: a document with a title and a heading that says what happened and what to do.
    assert html.lstrip().lower().startswith("<!doctype html>")
    assert "<title>Database unavailable · CCMS-Graph</title>" in html
    assert "<h1>503 · Database unavailable</h1>" in html
    assert f"Try again in {RETRY_AFTER_SECONDS} seconds" in html
    return html


@pytest.mark.parametrize("down", ["refused", "silent"])
def test_api_reads_and_writes_answer_503(request, app, graph, org, down):
    token = tokens.create_token(graph, org.agent_a, {"name": "fail-fast"})["token"]
    app.extensions["ccms_graph"] = request.getfixturevalue(down)
    client = app.test_client()
    auth = {"Authorization": f"Bearer {token}"}

    _assert_api_503(client.get("/api/v1/cases", headers=auth))
    _assert_api_503(client.post("/api/v1/cases", json={"title": "Operation Lost"}, headers=auth))


@pytest.mark.parametrize("down", ["refused", "silent"])
def test_pages_of_a_signed_in_user_answer_a_503_page(request, app, org, down):
    """The user is loaded from Neo4j on every request; the 503 page must not try again (it used to, and
    ended as a 500 after 132 s)."""
    client = app.test_client()
    assert sign_in(client, "agent_a").status_code == 302
    app.extensions["ccms_graph"] = request.getfixturevalue(down)

    html = _assert_html_503(client.get("/"))
    assert 'href="/">Try again</a>' in html
    # A page that does not exist: the 404 page's header would load the user, so it is a 503 as well.
    _assert_html_503(client.get("/no-such-page"))


def test_a_form_sent_while_neo4j_is_down_answers_503_and_says_it_may_not_be_saved(app, org, refused):
    client = app.test_client()
    sign_in(client, "agent_a")
    token = csrf_from(client.get("/").get_data(as_text=True))  # the sign-out form's token
    app.extensions["ccms_graph"] = refused

    html = _assert_html_503(client.post("/signout", data={"csrf_token": token}))
    assert "may not have been saved" in html and "Try again</a>" not in html


def test_health_is_liveness_and_never_asks_neo4j(app, refused):
    app.extensions["ccms_graph"] = refused
    resp = app.test_client().get("/health")
    assert resp.status_code == 200 and resp.get_json() == {"status": "ok"}


def test_ready_answers_200_when_neo4j_answers_and_the_schema_is_installed(client):
    resp = client.get("/ready")
    assert resp.status_code == 200, resp.get_json()
    assert resp.get_json() == {"status": "ready", "neo4j": True, "schema": True, "schema_missing": 0}
    assert "Retry-After" not in resp.headers


@pytest.mark.parametrize("down", ["refused", "silent"])
def test_ready_answers_503_with_retry_after_while_neo4j_is_down(request, app, down):
    app.extensions["ccms_graph"] = request.getfixturevalue(down)
    resp = app.test_client().get("/ready")
    assert resp.status_code == 503
    assert resp.get_json() == {"status": "not ready", "neo4j": False, "schema": False, "schema_missing": 0}
    assert resp.headers["Retry-After"] == str(RETRY_AFTER_SECONDS)


def test_ready_answers_503_while_an_index_is_missing(client, graph):
    graph.query("DROP INDEX case_status", write=True)
    try:
        resp = client.get("/ready")
        assert resp.status_code == 503 and resp.headers["Retry-After"] == str(RETRY_AFTER_SECONDS)
        assert resp.get_json() == {"status": "not ready", "neo4j": True, "schema": False, "schema_missing": 1}
    finally:
        install_schema(graph)
    assert client.get("/ready").status_code == 200


def _wait_gone(pid: int, settings) -> None:
    """Wait for a SIGKILLed server's process to be gone, so `neo4j_server.start` starts a new one."""
    with contextlib.suppress(ChildProcessError):  # this process started it: reap it
        os.waitpid(pid, 0)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.1)
    # Still a zombie nobody reaps (a container without an init): its pid file is stale all the same.
    neo4j_server.Instance(settings).pid_file.unlink(missing_ok=True)


def test_neo4j_killed_then_restarted_503_then_recovers(app, graph, org, test_settings):
    """The issue's drill: SIGKILL the real server under a signed-in user and a token client, whose pooled
    connections die with it; every request answers 503; after a restart the same app serves again."""
    if not test_settings.uses_local_server:
        pytest.skip("needs the project's local test server, which the test can kill and restart")
    token = tokens.create_token(graph, org.agent_a, {"name": "fail-fast"})["token"]
    auth = {"Authorization": f"Bearer {token}"}
    browser, api = app.test_client(), app.test_client(use_cookies=False)  # a script with a bare token
    sign_in(browser, "agent_a")
    assert browser.get("/").status_code == 200 and api.get("/api/v1/cases", headers=auth).status_code == 200

    pid = neo4j_server.status(test_settings)["pid"]
    os.kill(pid, signal.SIGKILL)
    _wait_gone(pid, test_settings)
    try:
        for _ in range(150):  # the killed server's port closes; a bounded wait, not a timing check
            if not neo4j_server.bolt_answers(test_settings, timeout=0.5):
                break
            time.sleep(0.2)
        else:
            pytest.fail("Neo4j still answers after SIGKILL")
        _assert_api_503(api.get("/api/v1/cases", headers=auth))
        _assert_api_503(api.post("/api/v1/cases", json={"title": "Operation Lost"}, headers=auth))
        _assert_html_503(browser.get("/"))
        health, ready = app.test_client().get("/health"), app.test_client().get("/ready")
        assert health.status_code == 200 and ready.status_code == 503
    finally:
        neo4j_server.start(test_settings)

    # The same app, the same driver: recovered without a restart.
    assert app.test_client().get("/ready").status_code == 200
    assert browser.get("/").status_code == 200
    assert api.get("/api/v1/cases", headers=auth).status_code == 200
