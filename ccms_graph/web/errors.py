"""One mapping from domain errors and HTTP errors to RFC 9457 problem details (API) or an HTML page."""

from __future__ import annotations

import logging
from collections.abc import Mapping

from flask import current_app, jsonify, make_response, render_template, request
from flask_wtf.csrf import CSRFError
from neo4j.exceptions import (
    ConnectionPoolError,
    DatabaseUnavailable,
    ServiceUnavailable,
    SessionExpired,
    TransientError,
)
from werkzeug.exceptions import HTTPException

from ..errors import DomainError

log = logging.getLogger(__name__)


#: What the driver raises when Neo4j cannot be reached (down, restarting, or no connection to be had
#: within the bounded wait of `settings.neo4j_acquisition_timeout`).
DATABASE_DOWN = (ServiceUnavailable, SessionExpired, ConnectionPoolError, DatabaseUnavailable)
#: Seconds a client is asked to wait before trying again after a 503.
RETRY_AFTER_SECONDS = 10
UNAVAILABLE = ("Database unavailable", "the graph database cannot be reached; try again shortly")


def wants_json() -> bool:
    if request.path.startswith("/api/"):
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json", "application/problem+json"])
    return best in ("application/json", "application/problem+json")


#: The members RFC 9457 defines. An extension member may never replace one of them.
PROBLEM_MEMBERS = ("type", "title", "status", "detail", "instance")


def extension_members(extra: Mapping[str, object], errors: Mapping | None = None) -> dict:
    """A domain error's extra facts as problem-details extension members, none named like a standard one.

    A logic function names a fact by what it is (`Conflict(..., status="approved")`: the item's status),
    and may not know the answer's wrapper has a `status` of its own. Such a fact is kept, renamed
    `current_<name>` (`current_status: "approved"`, beside `status: 409`), the way a stale write already
    answers `current_version`; it is never dropped and never collides. Only plain values are sent,
    and `errors` (a validation failure's field -> problems).
    """
    out: dict = {}
    for key, value in extra.items():
        if key in PROBLEM_MEMBERS:
            key = f"current_{key}"
        if key in out or key == "errors" or not isinstance(value, str | int | float | bool):
            continue
        out[key] = value
    if errors is not None:
        out["errors"] = dict(errors)
    return out


def problem(status: int, title: str, detail: str, members: Mapping[str, object] | None = None):
    """The answer for an error: problem-details JSON for API clients, else the error page.

    `members` (from `extension_members`) is a mapping, not keyword arguments, so no name in it can meet a
    parameter; and the standard members are written last, so none of them can be replaced.
    """
    members = dict(members or {})
    if wants_json():
        body = {**members, "type": "about:blank", "title": title, "status": status, "detail": detail,
                "instance": request.path}
        resp = jsonify(body)
        resp.status_code = status
        resp.mimetype = "application/problem+json"
    elif status == 503:
        resp = make_response(unavailable_page(title, detail), status)
    else:
        try:
            html = render_template("error.html", status=status, title=title, detail=detail, extra=members)
        except DATABASE_DOWN:  # the page's header looks up the signed-in user, and the database is gone
            return problem(503, *UNAVAILABLE)
        resp = make_response(html, status)
    if status == 503:
        resp.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return resp


def unavailable_page(title: str, detail: str) -> str:
    """The 503 page, rendered from the template alone, without the app's context processors.

    Those processors ask flask-login for the signed-in user, which resumes the server-side session
    from Neo4j: when Neo4j is what failed, that read fails again, and the page that should say so ends
    as a 500 minutes later (issue 16). This page knows no user and no data, so it cannot touch the
    database.
    """
    template = current_app.jinja_env.get_template("unavailable.html")
    return template.render(status=503, title=title, detail=detail, retry_after=RETRY_AFTER_SECONDS)


def domain_problem(exc: DomainError):
    """The answer for a refusal the logic layer raised: its status, title, detail and facts."""
    return problem(exc.status, exc.title, exc.detail, extension_members(exc.extra, getattr(exc, "errors", None)))


def init_app(app) -> None:
    app.register_error_handler(DomainError, domain_problem)

    @app.errorhandler(CSRFError)
    def _csrf(exc: CSRFError):
        return problem(400, "CSRF check failed", exc.description or "missing or invalid CSRF token")

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException):
        return problem(exc.code or 500, exc.name, exc.description or exc.name)

    @app.errorhandler(ServiceUnavailable)
    @app.errorhandler(SessionExpired)
    @app.errorhandler(ConnectionPoolError)
    @app.errorhandler(DatabaseUnavailable)
    def _down(exc):
        log.warning("database unavailable on %s %s: %s", request.method, request.path, exc)
        return problem(503, *UNAVAILABLE)

    @app.errorhandler(TransientError)
    def _busy(exc: TransientError):
        # e.g. a deadlock still there when the driver's bounded retries (settings.neo4j_max_retry_time) ran out
        log.warning("transient database error on %s %s: %s", request.method, request.path, exc)
        return problem(503, "Database busy", "the graph database could not finish this in time; try again shortly")

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        log.exception("unhandled error on %s %s", request.method, request.path)
        return problem(500, "Internal error", "something went wrong on our side; it has been logged")
