"""Structured logs: one JSON object a line, carrying the request id of the request that wrote it.

`configure()` is called by the web app and the worker at start. Each line holds `time`, `level`,
`logger`, `message`, and inside a request `request_id`, `method` and `path` (the path only: a query
string may carry a search term); an exception adds `exception` (its type and message; the traceback
goes to `traceback`, for the operator's log, never to a client).
"""

from __future__ import annotations

import json
import logging
import os
from datetime import UTC, datetime

from flask import g, has_request_context, request


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        out = {"time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
               "level": record.levelname.lower(), "logger": record.name, "message": record.getMessage()}
        for key in ("request_id", "method", "path"):
            value = getattr(record, key, None)
            if value:
                out[key] = value
        if record.exc_info and record.exc_info[0] is not None:
            out["exception"] = f"{record.exc_info[0].__name__}: {record.exc_info[1]}"
            out["traceback"] = self.formatException(record.exc_info)
        return json.dumps(out, default=str)


class RequestContext(logging.Filter):
    """Adds the Flask request's id, method and path to records written while it is served."""

    def filter(self, record: logging.LogRecord) -> bool:
        if has_request_context():
            record.request_id = g.get("request_id")
            record.method = request.method
            record.path = request.path
        return True


def configure(level: str | None = None) -> None:
    """JSON lines on stderr for the root logger (idempotent); CCMS_LOG_LEVEL sets the level (INFO)."""
    root = logging.getLogger()
    if any(isinstance(h.formatter, JsonFormatter) for h in root.handlers):
        return
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestContext())
    root.addHandler(handler)
    root.setLevel(level or os.environ.get("CCMS_LOG_LEVEL", "INFO"))
