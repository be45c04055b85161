"""Administering accounts: list them, deactivate and reactivate them, record renewed training.

Every action is an administrator's (or the system's), takes a reason or a date, and is audited
("admin") in its own transaction; a refusal is audited as a denial. Changing a role, and releasing a
lockout, live beside account creation (`users.change_role`) and sign-in (`auth.release_lockout`).

The administrator alone never opens case content (ICM PIA §8: access is role-based and approved):

- **deactivating** ends access at once: the user's sessions end and their API tokens are revoked in
  the same transaction (`sessions.end_access_on_deactivation`), and sign-in refuses them;
- **reactivating** an account with a content role is a "user_role" request (`op: reactivate`) that the
  supervisor the account reports to (or headquarters, for an auditor or a chain's head) approves, as a
  content role is (`users`); until then the account stays inactive. An administrator's account is
  reactivated at once. Neither brings back an old session or token: the user signs in again;
- **renewing training** records a course completed on a day (not in the future, not more than a year
  ago); the training then runs for `TRAINING_DAYS` from that day (CBP CCMS PIA §8: annual privacy and
  security training). It restores nothing an expired user did not already hold.
"""

from __future__ import annotations

from datetime import date, timedelta

from marshmallow import Schema, ValidationError, fields, validate, validates

from ...db import Graph
from ...errors import Conflict, NotFound
from ...policy.actor import Actor
from ..casework.pending import lock
from ..common import load_input
from ..oversight import audit
from . import sessions
from .users import CONTENT_ROLES, approval_route, file_role_request, require_admin

#: How long a training completion counts for.
TRAINING_DAYS = 365


class ReasonInput(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=3, max=2000),
                           metadata={"description": "why (audited; the approver of a reactivation reads it)"})


class TrainingInput(Schema):
    completed_on = fields.Date(required=True, metadata={"description": "the day the course was completed"})
    course = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200),
                           metadata={"description": "which course (e.g. the annual privacy training)"})

    @validates("completed_on")
    def _recent(self, value: date, **_) -> None:
        today = date.today()
        if value > today:
            raise ValidationError("is in the future")
        if value < today - timedelta(days=TRAINING_DAYS):
            raise ValidationError(f"is more than {TRAINING_DAYS} days ago: that training has expired already")


_ACCOUNT = "MATCH (u:User {username: $u}) RETURN u.uid AS uid"


def _account(tx, username: str) -> dict:
    """The user's properties, under its write lock; NotFound if there is no such account."""
    found = tx.run(_ACCOUNT, u=(username or "").strip().lower()).single()
    user = lock(tx, "User", found["uid"]) if found else None
    if user is None:
        raise NotFound(f"no user {username}")
    return user


def _out(user: dict, **changes) -> dict:
    merged = {**user, **changes}
    return {"uid": merged["uid"], "username": merged["username"], "name": merged.get("name"),
            "role": merged["role"], "office_code": merged.get("office_code"),
            "active": bool(merged.get("active", True)), "training_expires": merged.get("training_expires")}


def deactivate_user(graph: Graph, actor: Actor, username: str, data: dict) -> dict:
    """Deactivate an account, with a reason: its sessions end and its tokens are revoked at once."""
    require_admin(graph, actor, "deactivate_user", [username])
    clean = load_input(ReasonInput(), data)

    def work(tx):
        user = _account(tx, username)
        if user["uid"] == actor.uid:
            raise Conflict("you may not deactivate your own account")
        if not user.get("active", True):
            raise Conflict(f"{user['username']} is already inactive")
        tx.run("MATCH (u:User {uid: $uid}) SET u.active = false, u.deactivated_at = datetime(), "
               "u.deactivated_by = $actor, u.deactivation_reason = $reason",
               uid=user["uid"], actor=actor.uid, reason=clean["reason"]).consume()
        ended = sessions.end_access_on_deactivation(tx, actor, user["uid"])
        audit.record(tx, actor, "admin", [user["uid"]], details={
            "op": "deactivate_user", "username": user["username"], "reason": clean["reason"], **ended})
        return {**_out(user, active=False), "status": "active", **ended}

    return audit.write_or_refuse(graph, actor, "deactivate_user", [username], work)


def reactivate_user(graph: Graph, actor: Actor, username: str, data: dict) -> dict:
    """Reactivate an account, with a reason. A content role waits for a supervisor's approval
    (`status: "pending_approval"`, with the request's uid); an administrator's account is active at once."""
    require_admin(graph, actor, "reactivate_user", [username])
    clean = load_input(ReasonInput(), data)

    def work(tx):
        user = _account(tx, username)
        if user.get("active", True):
            raise Conflict(f"{user['username']} is already active")
        if user.get("separated_at") is not None:
            raise Conflict(f"{user['username']} has separated from service; create a new account instead")
        details = {"op": "reactivate_user", "username": user["username"], "reason": clean["reason"]}
        if actor.role == "system" or user["role"] not in CONTENT_ROLES:
            tx.run("MATCH (u:User {uid: $uid}) SET u.active = true, u.reactivated_at = datetime(), "
                   "u.reactivated_by = $actor", uid=user["uid"], actor=actor.uid).consume()
            audit.record(tx, actor, "admin", [user["uid"]], details=details)
            return {**_out(user, active=True), "status": "active"}
        route, approvers = approval_route(tx, user["role"], user.get("supervisor_uid"), user["uid"])
        request = file_role_request(tx, actor, user["uid"], route, approvers, {
            "op": "reactivate", "username": user["username"], "name": user.get("name"),
            "office_code": user.get("office_code"), "role": user["role"], "from_role": user["role"],
            "reason": clean["reason"]},
            f"reactivate {user['username']} ({user.get('name')}), {user['role']}: {clean['reason']}")
        audit.record(tx, actor, "admin", [user["uid"]], details={
            **details, "status": "pending_approval", "request_uid": request["uid"]})
        return {**_out(user), "status": "pending_approval", "request_uid": request["uid"]}

    return audit.write_or_refuse(graph, actor, "reactivate_user", [username], work)


def renew_training(graph: Graph, actor: Actor, username: str, data: dict) -> dict:
    """Record a training the user completed on `completed_on`; it then runs for `TRAINING_DAYS` days."""
    require_admin(graph, actor, "renew_training", [username])
    clean = load_input(TrainingInput(), data)
    expires = (clean["completed_on"] + timedelta(days=TRAINING_DAYS)).isoformat()

    def work(tx):
        user = _account(tx, username)
        tx.run("MATCH (u:User {uid: $uid}) SET u.training_expires = $expires, "
               "u.training_completed_on = $done, u.training_recorded_by = $actor",
               uid=user["uid"], expires=expires, done=clean["completed_on"].isoformat(), actor=actor.uid).consume()
        audit.record(tx, actor, "admin", [user["uid"]], details={
            "op": "renew_training", "username": user["username"], "completed_on": clean["completed_on"].isoformat(),
            "course": clean["course"], "from": user.get("training_expires"), "to": expires})
        return {**_out(user, training_expires=expires), "status": "active"}

    return audit.write_or_refuse(graph, actor, "renew_training", [username], work)


_USERS = """
MATCH (u:User)
RETURN u.uid AS uid, u.username AS username, u.name AS name, u.role AS role, u.office_code AS office_code,
       coalesce(u.active, true) AND u.separated_at IS NULL AS active, u.training_expires AS training_expires,
       u.locked_until IS NOT NULL AND u.locked_until > datetime() AS locked
ORDER BY u.username
"""

_PENDING = """
MATCH (r:ApprovalRequest {kind: 'user_role', status: 'pending'})
RETURN r.target_uid AS uid, r.payload AS payload
"""


def list_users(graph: Graph, actor: Actor) -> list[dict]:
    """Every account with its role, state and any role request waiting (administrators only; audited)."""
    require_admin(graph, actor, "list_users")

    def work(tx):
        rows = [r.data() for r in tx.run(_USERS)]
        waiting = {r["uid"]: r["payload"] for r in tx.run(_PENDING)}
        audit.record(tx, actor, "search", [], details={"scope": "users", "shown": len(rows)})
        return rows, waiting

    rows, waiting = graph.write(work)
    return [{**r, "waiting_for_approval": r["uid"] in waiting} for r in rows]
