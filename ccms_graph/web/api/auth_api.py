"""Sign-in and sign-out by session, the CSRF token for cookie clients, personal API tokens, and ending
sessions and tokens: your own, or (administrators, and supervisors above the user) another user's."""

from __future__ import annotations

from flask import session
from flask_login import current_user, login_user, logout_user
from flask_wtf.csrf import generate_csrf
from marshmallow import Schema, fields

from ...errors import Conflict, Forbidden, TrainingExpired, ValidationFailed
from ...logic.people import auth as auth_logic
from ...logic.people import sessions, tokens
from .. import context
from ..auth import BANNER, WebUser
from ..tokens import token_authenticated
from . import schemas
from .common import Blueprint, NotSignedIn, actor, graph, raw_body

blp = Blueprint("auth", __name__, "/auth", description="Sign-in, sign-out, sessions and personal API tokens")


@blp.route("/csrf", methods=["GET"])
@blp.response(200, schemas.CsrfOut)
def csrf_token():
    """The CSRF token a cookie-session client sends as X-CSRFToken on every state-changing request."""
    return {"csrf_token": generate_csrf(), "header": "X-CSRFToken"}


@blp.route("/banner", methods=["GET"])
@blp.response(200, schemas.BannerOut)
def banner():
    """The system-use notice every sign-in must acknowledge."""
    return {"banner": BANNER}


def _me(who, by: str) -> dict:
    return {"uid": who.uid, "username": who.username, "name": who.name, "role": who.role,
            "office_code": who.office_code, "offices": list(who.offices),
            "training_expires": who.training_expires, "authenticated_by": by}


@blp.route("/session", methods=["POST"])
@blp.arguments(schemas.SignInInput)
@blp.response(201, schemas.MeOut)
def sign_in(data):
    """Sign in with username and password (audited, with lockout); starts a server-side session."""
    if data["acknowledge"] is not True:
        raise ValidationFailed({"acknowledge": ["acknowledge the system-use notice to continue"]})
    try:
        who = auth_logic.authenticate(graph(), data["username"].strip().lower(), data["password"],
                                      _client_address())
    except TrainingExpired:
        raise
    except Forbidden as exc:
        raise NotSignedIn(exc.detail) from None
    session.clear()  # a new session on sign-in
    login_user(WebUser(who, sessions.start_session(graph(), who)))
    session.permanent = True
    return _me(who, "session")


def _client_address():
    return context.client_address()


@blp.route("/session", methods=["DELETE"])
@blp.response(204)
def sign_out():
    """End the signed-in session on the server (audited). Token requests have no session to end."""
    if token_authenticated():
        raise Conflict("this request was signed in by an API token; revoke the token instead")
    sessions.end_session(graph(), actor(), current_user.sid)
    logout_user()
    session.clear()
    return ""


@blp.route("/me", methods=["GET"])
@blp.response(200, schemas.MeOut)
def me():
    """Who the request is signed in as, and how."""
    return _me(actor(), "token" if token_authenticated() else "session")


@blp.route("/tokens", methods=["GET"])
@blp.response(200, schemas.TokenOut(many=True))
def list_tokens():
    """Your own API tokens (never the secrets)."""
    return tokens.list_tokens(graph(), actor())


@blp.route("/tokens", methods=["POST"])
@blp.arguments(tokens.TokenInput)
@blp.response(201, schemas.NewTokenOut)
def create_token(data):
    """Create a personal API token; the secret is in `token`, shown this once. It carries only your rights."""
    return tokens.create_token(graph(), actor(), data)


@blp.route("/tokens/<token_uid>", methods=["DELETE"])
@blp.response(200, schemas.TokenOut)
def revoke_token(token_uid):
    """Revoke one of your tokens; it stops working at once (409 if it is already revoked)."""
    return tokens.revoke_token(graph(), actor(), token_uid)


class SessionOut(schemas.Out):
    uid = fields.String(required=True, metadata={"description": "the session's public id (not its secret)"})
    created_at = fields.String(allow_none=True)
    last_seen = fields.String(allow_none=True)
    client_address = fields.String(allow_none=True)
    current = fields.Boolean(metadata={"description": "true for the session making this request"})
    ended_at = fields.String(allow_none=True)
    end_reason = fields.String(allow_none=True)


class EndedOut(Schema):
    sessions_ended = fields.Integer(required=True)


class RevokedAccessOut(Schema):
    username = fields.String(required=True)
    sessions_ended = fields.Integer(required=True)
    tokens_revoked = fields.Integer(required=True)


def _current_sid() -> str | None:
    """The session id of this request, or None when a token signed it in."""
    return None if token_authenticated() else current_user.sid


@blp.route("/sessions", methods=["GET"])
@blp.response(200, SessionOut(many=True))
def list_sessions():
    """Your live sessions (never their secrets); `current` marks this one."""
    return sessions.list_sessions(graph(), actor(), context.settings().session_idle_minutes, _current_sid())


@blp.route("/sessions/<session_uid>", methods=["DELETE"])
@blp.response(200, SessionOut)
def end_session(session_uid):
    """End one of your sessions (or, for an administrator or a supervisor above its user, theirs); it stops
    working on its next request. 404 for a session you may not end; 409 if it has already ended."""
    return sessions.revoke_session(graph(), actor(), session_uid)


@blp.route("/sessions/end-others", methods=["POST"])
@blp.response(200, EndedOut)
def end_other_sessions():
    """Sign out everywhere else: end every session of yours but this one (all of them, from a token)."""
    return sessions.end_other_sessions(graph(), actor(), _current_sid())


@blp.route("/revocations", methods=["POST"])
@blp.arguments(sessions.RevokeAccessInput)
@blp.response(200, RevokedAccessOut)
def revoke_access(_):
    """End every session and revoke every token of a user at once, saying why (audited): for an administrator,
    a supervisor above the user, or the user. Refused (403, audited) to anyone else."""
    return sessions.revoke_access(graph(), actor(), raw_body())
