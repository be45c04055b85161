"""Administration of offices and user accounts, for administrators."""

from __future__ import annotations

from ...errors import Forbidden
from ...logic.people import administration, users
from ...logic.people import auth as auth_logic
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


def _created_or_pending(out: dict, done: int):
    return (out, 202) if out.get("status") == "pending_approval" else (out, done)


@blp.route("/users", methods=["POST"])
@blp.arguments(users.UserInput)
@blp.response(201, schemas.UserOut)
@blp.alt_response(202, schema=schemas.UserOut,
                  description="A content role: the account waits for a supervisor's approval (`request_uid`)")
def create_user(_):
    """Create a user account (409 if the username is taken).

    An account with a content role (agent, analyst, supervisor, auditor) signs in only once a supervisor
    approves it: the answer is then 202 with `status: pending_approval` and the request's uid."""
    return _created_or_pending(users.create_user(graph(), actor(), raw_body()), 201)


@blp.route("/users/<username>/role", methods=["POST"])
@blp.arguments(users.RoleInput)
@blp.response(200, schemas.UserOut)
@blp.alt_response(202, schema=schemas.UserOut,
                  description="A content role: the change waits for a supervisor's approval (`request_uid`)")
def change_role(_, username):
    """Give a user another role, with a reason. A content role waits for a supervisor's approval (202);
    the user keeps their role until then."""
    return _created_or_pending(users.change_role(graph(), actor(), username, raw_body()), 200)


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


@blp.route("/users", methods=["GET"])
@blp.response(200, schemas.UserOut(many=True))
def list_users():
    """Every account with its role, whether it is active, locked or waiting for a role approval (audited)."""
    return administration.list_users(graph(), actor())


@blp.route("/users/<username>/deactivate", methods=["POST"])
@blp.arguments(administration.ReasonInput)
@blp.response(200, schemas.UserOut)
def deactivate_user(_, username):
    """Deactivate an account, with a reason: its sessions end and its tokens are revoked at once (409 if inactive)."""
    return administration.deactivate_user(graph(), actor(), username, raw_body())


@blp.route("/users/<username>/reactivate", methods=["POST"])
@blp.arguments(administration.ReasonInput)
@blp.response(200, schemas.UserOut)
@blp.alt_response(202, schema=schemas.UserOut,
                  description="A content role: the account stays inactive until a supervisor approves (`request_uid`)")
def reactivate_user(_, username):
    """Reactivate an account, with a reason. An account with a content role waits for a supervisor's approval
    (202); old sessions and tokens never come back."""
    return _created_or_pending(administration.reactivate_user(graph(), actor(), username, raw_body()), 200)


@blp.route("/users/<username>/training", methods=["POST"])
@blp.arguments(administration.TrainingInput)
@blp.response(200, schemas.UserOut)
def renew_training(_, username):
    """Record a training completed on a day (within the last year); it runs a year from that day."""
    return administration.renew_training(graph(), actor(), username, raw_body())
