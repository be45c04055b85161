"""Bearer-token sign-in for API scripts: a flask-login request loader tried before the SSO one."""

from __future__ import annotations

from flask import g

from ..errors import TrainingExpired
from ..logic.people import tokens
from . import context
from .auth import WebUser, refuse_later


def bearer_token(req) -> str | None:
    """The token of an `Authorization: Bearer <token>` header, if the request carries one."""
    header = req.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()


def token_authenticated() -> bool:
    """Whether this request's user was signed in by a bearer token (such requests skip the CSRF check)."""
    return bool(g.get("api_token_uid"))


def install(login_manager) -> None:
    """Chain a bearer-token request loader in front of whatever request loader is registered (SSO)."""
    previous = login_manager._request_callback
    if getattr(previous, "_ccms_bearer", False):
        return  # already installed (create_app called again in the same process)

    def load(req):
        token = bearer_token(req)
        if token is not None:
            try:
                found = tokens.resolve_token(context.graph(), token, req.remote_addr)
            except TrainingExpired as exc:  # checked on every request, not only at sign-in
                refuse_later(exc)
                found = None
            if found is None:
                g.api_token_refused = True
                return None  # a bad token never falls back to another way of signing in
            actor, token_uid = found
            g.api_token_uid = token_uid
            return WebUser(actor, f"token:{token_uid}")
        return previous(req) if previous is not None else None

    load._ccms_bearer = True  # type: ignore[attr-defined]  # a marker on the function itself
    login_manager.request_loader(load)
