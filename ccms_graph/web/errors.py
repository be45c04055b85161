"""One mapping from domain errors and HTTP errors to RFC 9457 problem details (API) or an HTML page."""

from __future__ import annotations

import logging

from flask import jsonify, make_response, render_template, request
from flask_wtf.csrf import CSRFError
from neo4j.exceptions import ServiceUnavailable, SessionExpired
from werkzeug.exceptions import HTTPException

from ..errors import DomainError

log = logging.getLogger(__name__)


def wants_json() -> bool:
    if request.path.startswith("/api/"):
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json", "application/problem+json"])
    return best in ("application/json", "application/problem+json")


def problem(status: int, title: str, detail: str, **extra):
    if wants_json():
        body = {"type": "about:blank", "title": title, "status": status, "detail": detail,
                "instance": request.path, **extra}
        resp = jsonify(body)
        resp.status_code = status
        resp.mimetype = "application/problem+json"
    else:
        resp = make_response(render_template("error.html", status=status, title=title, detail=detail,
                                             extra=extra), status)
    if status == 503:
        resp.headers["Retry-After"] = "10"
    return resp


def init_app(app) -> None:
    @app.errorhandler(DomainError)
    def _domain(exc: DomainError):
        extra: dict = {}
        errors = getattr(exc, "errors", None)
        if errors is not None:
            extra["errors"] = errors
        extra.update({k: v for k, v in exc.extra.items() if isinstance(v, str | int | float | bool)})
        return problem(exc.status, exc.title, exc.detail, **extra)

    @app.errorhandler(CSRFError)
    def _csrf(exc: CSRFError):
        return problem(400, "CSRF check failed", exc.description or "missing or invalid CSRF token")

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException):
        return problem(exc.code or 500, exc.name, exc.description or exc.name)

    @app.errorhandler(ServiceUnavailable)
    @app.errorhandler(SessionExpired)
    def _down(exc):
        return problem(503, "Database unavailable", "the graph database cannot be reached; try again shortly")

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        log.exception("unhandled error on %s %s", request.method, request.path)
        return problem(500, "Internal error", "something went wrong on our side; it has been logged")
