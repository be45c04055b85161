"""Request ids, structured JSON logs and the Prometheus `/metrics` endpoint.

* **Request id.** Every request gets one: the `X-Request-Id` a proxy sent (letters, digits, `-`, `_`,
  `.`, at most 64), else a new one. It comes back in the response's `X-Request-Id` and is on every
  log line written while the request runs, so one request can be followed from the load balancer
  through the app's log.
* **JSON logs** (`ccms_graph.logs`): one object a line, with `request_id`, `method`, `path`.
* **`GET /metrics`** (Prometheus text format): request latency by route (the URL rule, never the
  URL itself, which may carry a search term), method and status class; transaction retries;
  deconfliction latency; and, read at scrape time, the durable job queue's depth and the audit
  sequencer's lag (entries pending and the age of the oldest). It shows counts and timings, never
  case content, but it is still not public: it answers a loopback client, or one that sends
  `Authorization: Bearer <CCMS_METRICS_TOKEN>`; anyone else gets 404.
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
import os
import re
import time
import uuid

from flask import Flask, Response, abort, g, request
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector

from .. import metrics
from ..logic.jobs import queue
from ..logic.oversight import audit

log = logging.getLogger(__name__)
_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")

def request_id() -> str | None:
    """The id of the request being served (None outside a request)."""
    return g.get("request_id") if g else None


class _Live:
    """Gauges read from Neo4j when Prometheus scrapes: nothing to keep in step between processes."""

    def __init__(self, app: Flask):
        self.app = app

    def collect(self):
        graph = self.app.extensions["ccms_graph"]
        lag = GaugeMetricFamily("ccms_audit_pending_entries", "Audit entries written but not yet chained")
        age = GaugeMetricFamily("ccms_audit_sequencer_lag_seconds", "Age of the oldest audit entry not yet chained")
        jobs = GaugeMetricFamily("ccms_jobs", "Durable jobs by state", labels=["state"])
        try:
            row = audit.sequencer_lag(graph)
            lag.add_metric([], row["pending"])
            age.add_metric([], row["age"])
            counts = queue.depth(graph)
            for state in ("queued", "running"):
                jobs.add_metric([state], counts.get(state, 0))
        except Exception:  # noqa: BLE001 - Neo4j away: the scrape still answers, without these
            log.warning("live metrics unavailable", exc_info=True)
            return
        yield lag
        yield age
        yield jobs


def _allowed(token: str | None) -> bool:
    sent = request.headers.get("Authorization", "")
    if token and hmac.compare_digest(sent.encode(), f"Bearer {token}".encode()):
        return True
    try:
        return ipaddress.ip_address(request.remote_addr or "").is_loopback
    except ValueError:
        return False


def init_app(app: Flask) -> None:
    settings = app.config["CCMS_SETTINGS"]
    live = CollectorRegistry()
    live.register(_Live(app))

    @app.before_request
    def _start():
        sent = request.headers.get("X-Request-Id", "")
        g.request_id = sent if _ID.fullmatch(sent) else uuid.uuid4().hex
        g.request_started = time.perf_counter()

    @app.after_request
    def _finish(response):
        response.headers["X-Request-Id"] = g.get("request_id", "")
        started = g.get("request_started")
        if started is not None:
            route = request.url_rule.rule if request.url_rule is not None else "unmatched"
            metrics.REQUEST_SECONDS.labels(request.method, route, f"{response.status_code // 100}xx").observe(
                time.perf_counter() - started)
        return response

    @app.route("/metrics")
    def prometheus_metrics():
        if not _allowed(settings.metrics_token):
            abort(404)
        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            shared = CollectorRegistry()
            MultiProcessCollector(shared)
            body = generate_latest(shared)
        else:
            body = generate_latest(REGISTRY)
        return Response(body + generate_latest(live), content_type=CONTENT_TYPE_LATEST)
