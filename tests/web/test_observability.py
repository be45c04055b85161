"""Issue 16, observability: a request id on every response and log line, JSON logs, and Prometheus metrics
that only a loopback client or the configured token may read."""

from __future__ import annotations

import io
import json
import logging
import threading

import pytest

from ccms_graph import logs
from ccms_graph.logic.oversight import audit
from ccms_graph.policy.actor import Actor
from ccms_graph.web import create_app
from tests.factories import make_org, make_person
from tests.web.conftest import sign_in


def test_a_request_id_comes_back_and_a_sent_one_is_kept_if_well_formed(client):
    mine = client.get("/health", headers={"X-Request-Id": "lb-7f3a.1"})
    assert mine.headers["X-Request-Id"] == "lb-7f3a.1"
    made = client.get("/health", headers={"X-Request-Id": "bad id <script>"})
    assert made.headers["X-Request-Id"] != "bad id" and len(made.headers["X-Request-Id"]) == 32


def test_log_lines_are_json_with_the_request_id(app, client):
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(logs.JsonFormatter())
    handler.addFilter(logs.RequestContext())
    logger = logging.getLogger("ccms_graph.tests.observability")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)

    @app.get("/_log_probe")
    def _log_probe():
        logger.info("inside the request")
        return "ok"

    try:
        client.get("/_log_probe?q=Secret+Surname", headers={"X-Request-Id": "req-42"})
    finally:
        logger.removeHandler(handler)
    line = json.loads(out.getvalue().strip().splitlines()[-1])
    assert line["request_id"] == "req-42" and line["message"] == "inside the request"
    assert line["path"] == "/_log_probe" and "Secret" not in out.getvalue()  # no query string in the log


WHO = Actor(uid="x", username="x", name="X", role="agent", office_code="MIA")


def _metrics(client, **kw):
    return client.get("/metrics", **kw)


def test_metrics_show_latency_by_route_deconfliction_and_the_sequencer(graph, app, client):
    org = make_org(graph)
    assert sign_in(client, org.agent_a.username).status_code == 302
    person = make_person(graph, org.agent_a, given_name="Leocadia", family_name="Brunnhuber")
    client.get(f"/records/{person['uid']}")
    def unchained():  # an entry no sequencer has chained yet (its writer's thread ends without integrating)
        with graph.driver.session(database=graph.database) as s:
            s.execute_write(lambda tx: audit.record(tx, WHO, "view"))

    writer = threading.Thread(target=unchained)
    writer.start()
    writer.join(30)
    body = _metrics(client).get_data(as_text=True)
    assert 'ccms_http_request_seconds_count{method="GET",route="/records/<uid>",status="2xx"}' in body
    assert "Leocadia" not in body and person["uid"] not in body  # routes, not URLs
    assert 'ccms_deconfliction_seconds_count{operation="create"}' in body
    assert "ccms_audit_pending_entries 1.0" in body
    assert "ccms_transaction_retries_total" in body and 'ccms_jobs{state="queued"}' in body


def test_metrics_answer_only_loopback_clients_without_a_token(app):
    assert app.test_client().get("/metrics", environ_base={"REMOTE_ADDR": "10.1.2.3"}).status_code == 404
    assert app.test_client().get("/metrics").status_code == 200  # the test client is 127.0.0.1


@pytest.fixture
def token_app(graph, monkeypatch):
    monkeypatch.setenv("CCMS_METRICS_TOKEN", "scrape-token-0123456789")
    return create_app({"TESTING": True}, graph=graph)


def test_a_remote_scraper_with_the_token_reads_them(token_app):
    remote = {"REMOTE_ADDR": "10.1.2.3"}
    client = token_app.test_client()
    assert client.get("/metrics", environ_base=remote,
                      headers={"Authorization": "Bearer scrape-token-0123456789"}).status_code == 200
    assert client.get("/metrics", environ_base=remote, headers={"Authorization": "Bearer wrong"}).status_code == 404
