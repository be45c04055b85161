"""What every API blueprint shares: sign-in and CSRF guards, the argument parser, and request helpers."""

from __future__ import annotations

from flask import g, request
from flask_login import current_user
from flask_smorest import Blueprint as _SmorestBlueprint
from webargs.flaskparser import FlaskParser

from ...errors import DomainError, ValidationFailed
from ...logic.common import text_of
from ...validation import refuse_surrogates
from .. import context
from ..auth import refusal
from ..security import csrf
from ..tokens import token_authenticated

#: Where the API lives; every blueprint's url_prefix starts here.
PREFIX = "/api/v1"


class NotSignedIn(DomainError):
    """The request carries no live session and no valid token."""

    status = 401
    title = "Not signed in"


class Parser(FlaskParser):
    """webargs, but a refused argument raises ValidationFailed: one error shape for the whole app."""

    DEFAULT_VALIDATION_STATUS = 422

    def _raw_load_json(self, req):
        data = super()._raw_load_json(req)
        refuse_surrogates(data)  # a "\ud800" escape decodes to no text: refused here, naming the field
        return data

    def handle_error(self, error, req, schema, *, error_status_code, error_headers):
        errors: dict = {}
        for location, messages in error.normalized_messages().items():
            if isinstance(messages, dict):
                for name, problems in messages.items():
                    errors[name] = problems
            else:
                errors[location] = messages
        raise ValidationFailed(errors or {"_schema": ["invalid input"]})


#: Endpoints reachable without signing in (blueprint-relative view function names).
PUBLIC = {"auth.csrf_token", "auth.banner", "auth.sign_in"}


class Blueprint(_SmorestBlueprint):
    """A flask-smorest blueprint under /api/v1 whose views need a signed-in user and, for cookies, CSRF."""

    ARGUMENTS_PARSER = Parser()

    def __init__(self, name: str, import_name: str, url_prefix: str = "", **kwargs):
        super().__init__(f"api_{name}", import_name, url_prefix=PREFIX + url_prefix, **kwargs)
        self.before_request(_guard)


def _guard():
    endpoint = (request.endpoint or "").removeprefix("api_")
    if endpoint not in PUBLIC and not current_user.is_authenticated:
        refused = refusal()
        if refused is not None:  # e.g. the session's or token's user's training expired: say so (403)
            raise refused
        if g.get("api_token_refused"):
            raise NotSignedIn("the API token is unknown, expired or revoked")
        raise NotSignedIn("sign in first: POST /api/v1/auth/session, or send Authorization: Bearer <token>")
    # Requests signed in by a bearer token carry no ambient credential a forged page could borrow.
    if request.method not in ("GET", "HEAD", "OPTIONS") and not token_authenticated():
        csrf.protect()


def actor():
    """The signed-in actor with this request's client address and stated purpose."""
    return context.actor()


def graph():
    return context.graph()


def raw_body() -> dict:
    """The request's JSON object as sent (the logic function validates it with its own schema)."""
    data = request.get_json(silent=True)
    refuse_surrogates(data)
    return data if isinstance(data, dict) else {}


def if_match_version() -> int | None:
    """The record version named by an If-Match header ("3" or W/"3"), if any; 422 if it is not one."""
    header = request.headers.get("If-Match")
    if not header:
        return None
    value = header.strip().removeprefix("W/").strip('"')
    if not value.isdigit():
        raise ValidationFailed({"If-Match": ["send the ETag you received, e.g. \"3\""]})
    return int(value)


def etag_of(out: dict) -> str | None:
    version = (out.get("props") or {}).get("version")
    return f'"{version}"' if isinstance(version, int) else None


def uploaded_text(upload, what: str = "file") -> str:
    """An uploaded file's text (`logic.common.text_of`: UTF-16 by its byte-order mark, else UTF-8, else
    Windows-1252, as a spreadsheet saved it), refused (422 on `file`) when it is empty or larger than the upload
    limit (CCMS_MAX_UPLOAD_BYTES; a larger request is already 413)."""
    limit = graph().settings.max_upload_bytes
    data = upload.read(limit + 1)
    if not data:
        raise ValidationFailed({"file": [f"the {what} is empty"]})
    if len(data) > limit:
        raise ValidationFailed({"file": [f"the {what} is larger than the limit of {limit} bytes"]})
    return text_of(data)[0]
