"""Administration of offices and user accounts, for administrators."""

from __future__ import annotations

from ...errors import Forbidden
from ...logic.people import auth as auth_logic
from ...logic.people import users
from ...policy.rules import can
from . import schemas
from .common import Blueprint, actor, graph, raw_body

blp = Blueprint("admin", __name__, "/admin", description="Offices and users (administrators only)")


def _admin():
    """The actor, if the policy lets them administer (for the lockout reads, whose logic takes no actor)."""
    who = actor()
    if not can(who, "admin"):
        raise Forbidden("only an administrator may manage offices and users")
    return who


@blp.route("/offices", methods=["POST"])
@blp.arguments(users.OfficeInput)
@blp.response(201, schemas.OfficeOut)
def create_office(_):
    """Create an office (409 if its code is taken)."""
    return users.create_office(graph(), actor(), raw_body())


@blp.route("/users", methods=["POST"])
@blp.arguments(users.UserInput)
@blp.response(201, schemas.UserOut)
def create_user(_):
    """Create a user account (409 if the username is taken)."""
    return users.create_user(graph(), actor(), raw_body())


@blp.route("/users/<username>/lock", methods=["GET"])
@blp.response(200, schemas.LockoutOut)
def lock_state(username):
    """An account's failed sign-ins and lock expiry."""
    _admin()
    return auth_logic.lock_state(graph(), username)


@blp.route("/users/<username>/release-lockout", methods=["POST"])
@blp.response(200, schemas.LockoutOut)
def release_lockout(username):
    """End an account's lockout and reset its failure count (audited)."""
    return auth_logic.release_lockout(graph(), actor(), username)
