"""Request-scoped access to the graph and the signed-in actor, for views."""

from __future__ import annotations

from flask import current_app, request
from flask_login import current_user

from ..errors import Forbidden
from ..policy.actor import Actor


def graph():
    return current_app.extensions["ccms_graph"]


def settings():
    return current_app.config["CCMS_SETTINGS"]


def client_address() -> str | None:
    return request.remote_addr


def actor() -> Actor:
    """The signed-in actor, carrying this request's client address and stated purpose."""
    if not current_user.is_authenticated:
        raise Forbidden("sign in first")
    purpose = request.headers.get("X-Purpose") or request.values.get("purpose")
    return current_user.actor.with_request(client_address(), purpose[:500] if purpose else None)
