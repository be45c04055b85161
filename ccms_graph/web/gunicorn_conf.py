"""gunicorn's configuration for `make run`: `gunicorn -c python:ccms_graph.web.gunicorn_conf ...`.

The address comes from the command line (`--bind`); the rest from `CCMS_*` settings.
"""

from __future__ import annotations

from ccms_graph.db import get_graph
from ccms_graph.settings import load_settings

_settings = load_settings()

# Worker processes: `CCMS_WEB_WORKERS`, default one per core (at most four); threads per worker
# `CCMS_WEB_THREADS`. Any worker answers any request: sessions, import jobs and the audit chain are in Neo4j.
workers = _settings.web_workers
threads = _settings.web_threads

# Load the app once in the master, before forking: the first request then takes ~0.07 s instead of
# 2-7 s (the saved-query catalogue is checked against Neo4j at start-up), and a broken app stops the
# start instead of every worker failing in turn.
preload_app = True

# gunicorn 25.1+ opens a control socket at ~/.gunicorn/gunicorn.ctl by default: one path per user, so a
# second gunicorn on the host (a test server, the probe) takes it over and deletes it on exit. Nothing
# here uses `gunicornc`; no socket at all. (Older gunicorn has no control socket and ignores this.)
control_socket_disable = True

# Idle keep-alive connections stay open 75 s, not gunicorn's 2: a client (or a load balancer, whose idle
# time-out is commonly 60 s) that sends on a pooled connection just as the server closes it gets a reset,
# not an answer; the insider probe met one in 4,734 requests. gthread keeps idle connections in its
# poller, not in a thread, so this costs a socket each.
keepalive = 75

# Search URLs carry up to 500 characters, percent-encoded; gunicorn's default line limit (4094) is too short.
limit_request_line = 8190
accesslog = "-"
# One JSON object a line, like the app's own log (`ccms_graph.logs`), with the request id the app set.
# The path without its query string: a search term is case content, not access-log material.
access_log_format = ('{"time": "%(t)s", "remote": "%(h)s", "method": "%(m)s", "path": "%(U)s", "status": %(s)s, '
                     '"bytes": "%(B)s", "seconds": %(L)s, "request_id": "%({x-request-id}o)s"}')


def pre_fork(server, worker) -> None:
    """Close the master's connections before each fork: the preloaded app opened some at start-up, and a
    pooled socket shared by two processes interleaves their replies."""
    get_graph().driver.close()


def post_fork(server, worker) -> None:
    """Each worker opens its own driver (see `Graph.reopen`)."""
    get_graph().reopen()
