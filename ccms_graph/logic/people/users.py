"""Offices and user accounts: create them, give them roles, hash passwords, and check a password.

Content roles (every role but the administrator's: agent, analyst, supervisor, auditor) open case
content, so an administrator alone never grants one. Creating an account with a content role,
giving a user one, or reactivating one (`administration.reactivate_user`), files a "user_role"
ApprovalRequest; until a supervisor approves it the account
is a `(:PendingUser)`, which nothing signs in as or loads as an Actor, and a user whose role is
raised keeps the role they had. Who approves:

- the supervisor the account reports to, or anyone above them (the chain that will see its work);
- for an auditor, or an account that reports to no one (the head of a chain), a supervisor at
  headquarters (`HEADQUARTERS`, or an office within it). An auditor reads every office, so no field
  office's chain picks its own auditor; a second administrator is never enough.

Nobody approves their own role. The system itself (seed, bootstrap, tests' org chart) creates
accounts directly; the administrator role, which reads no content, is given without approval.
"""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from marshmallow import Schema, fields, validate
from neo4j.exceptions import ConstraintError

from ...db import Graph
from ...errors import Conflict, Forbidden, NotFound, ValidationFailed
from ...nodes.vocabulary import HEADQUARTERS, OFFICE_KINDS, ROLES
from ...policy import rules
from ...policy.actor import Actor
from ..casework.pending import file_request, lock
from ..common import load_input, new_uid, plain
from ..oversight import audit
from ..oversight.notifications import notify

#: Roles that open case content: given only with a supervisor's approval (see the module docstring).
CONTENT_ROLES = tuple(r for r in ROLES if r in rules.READERS)
#: Roles that may supervise others (and so approve their work); auditors and administrators approve nothing.
SUPERVISING_ROLES = tuple(r for r in ROLES if r in rules.WRITERS)

_hasher = PasswordHasher()
#: A hash of no one's password, made with the current parameters: checked against when there is no account,
#: so that an unknown username costs the same time as a wrong password.
_decoy: str | None = None


def use_hasher(hasher: PasswordHasher) -> None:
    """Replace the Argon2id parameters (the test suite uses cheap ones; production keeps the defaults)."""
    global _hasher, _decoy
    _hasher, _decoy = hasher, None


def hash_password(password: str) -> str:
    """Argon2id hash of a password."""
    return _hasher.hash(password)


def password_matches(stored_hash: str | None, password: str) -> bool:
    """Whether `password` matches; with no stored hash, False after the same work as a real check."""
    global _decoy
    if not stored_hash:
        _decoy = _decoy or _hasher.hash(new_uid())  # the password to it was never kept
        try:
            _hasher.verify(_decoy, password)
        except (VerificationError, InvalidHashError):
            pass
        return False
    try:
        return _hasher.verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


class OfficeInput(Schema):
    code = fields.String(required=True, validate=validate.Regexp(r"^[A-Z0-9][A-Z0-9-]{1,19}$",
                                                                  error="use 2-20 capitals, digits or '-'"))
    name = fields.String(required=True, validate=validate.Length(min=2, max=200))
    kind = fields.String(required=True, validate=validate.OneOf(OFFICE_KINDS))
    parent_code = fields.String(load_default=None, allow_none=True)
    address = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=300))
    phone = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=40))


class UserInput(Schema):
    username = fields.String(required=True, validate=validate.Regexp(r"^[a-z][a-z0-9_.-]{1,39}$",
                                                                      error="use 2-40 lowercase letters, digits, _ . -"))
    name = fields.String(required=True, validate=validate.Length(min=2, max=200))
    role = fields.String(required=True, validate=validate.OneOf(ROLES))
    office_code = fields.String(required=True)
    supervisor = fields.String(load_default=None, allow_none=True, metadata={"description": "username"})
    password = fields.String(required=True, load_only=True, validate=validate.Length(min=12, max=200))
    phone = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=40))
    email = fields.Email(load_default=None, allow_none=True)
    training_expires = fields.Date(load_default=None, allow_none=True)


class RoleInput(Schema):
    role = fields.String(required=True, validate=validate.OneOf(ROLES))
    reason = fields.String(required=True, validate=validate.Length(min=3, max=2000),
                           metadata={"description": "why the user needs the role; the approver reads it"})


def require_admin(graph: Graph, actor: Actor, op: str, targets=()) -> None:
    """Refuse (Forbidden, audited as a denial) anyone but an administrator or the system itself."""
    try:
        rules.require_active(actor)
        if not rules.can(actor, "admin"):
            raise Forbidden("only an administrator may manage offices and users")
    except Forbidden as exc:
        raise audit.refuse(graph, actor, exc, op, [t for t in targets if t]) from None


_CREATE_OFFICES = """
UNWIND $rows AS r
CREATE (o:Office) SET o = r
"""

# After every office of a roster exists, so a roster may list a parent after its children.
_LINK_OFFICES = """
UNWIND $codes AS code
MATCH (o:Office {code: code}), (p:Office {code: o.parent_code})
CREATE (o)-[:WITHIN]->(p)
"""


def _taken(what: str, values: list[str]) -> Conflict:
    """The refusal of a write that another transaction beat to a unique value after this one checked it
    (the check and the constraint give the same answer, in the same words)."""
    if len(values) == 1:
        return Conflict(f"{what} {values[0]} " + ("is taken" if what == "username" else "already exists"))
    return Conflict(f"one of the {what}s {', '.join(values)} was taken meanwhile")


def insert_offices(tx, actor: Actor, offices: list[dict]) -> None:
    """Write validated offices (`OfficeInput`), link each to its parent, and audit each."""
    try:
        tx.run(_CREATE_OFFICES, rows=[{k: v for k, v in o.items() if v is not None} for o in offices]).consume()
    except ConstraintError:  # another transaction created the code after the caller's check
        raise _taken("office", [o["code"] for o in offices]) from None
    tx.run(_LINK_OFFICES, codes=[o["code"] for o in offices if o["parent_code"]]).consume()
    for o in offices:
        audit.record(tx, actor, "admin", [o["code"]], details={"op": "create_office"})


def create_office(graph: Graph, actor: Actor, data: dict) -> dict:
    """Create an office (administrators and the system only); Conflict if its code is taken."""
    require_admin(graph, actor, "create_office", [data.get("code") if isinstance(data, dict) else None])
    clean = load_input(OfficeInput(), data)

    def work(tx):
        if tx.run("MATCH (o:Office {code: $code}) RETURN o", code=clean["code"]).single():
            raise Conflict(f"office {clean['code']} already exists")
        if clean["parent_code"] and not tx.run("MATCH (o:Office {code: $c}) RETURN o",
                                                c=clean["parent_code"]).single():
            raise ValidationFailed({"parent_code": [f"no office {clean['parent_code']}"]})
        insert_offices(tx, actor, [clean])
        return clean

    return graph.write(work)


_USER_EXISTS = """
OPTIONAL MATCH (u:User {username: $u}) OPTIONAL MATCH (p:PendingUser {username: $u, status: 'pending'})
RETURN u IS NOT NULL AS user, p IS NOT NULL AS pending
"""

_CREATE_USERS = """
UNWIND $rows AS r
CREATE (u:User) SET u = r, u.created_at = datetime()
WITH u MATCH (o:Office {code: u.office_code}) CREATE (u)-[:MEMBER_OF]->(o)
"""

# After every account of a roster exists, so a roster may list a supervisor after their staff.
_LINK_SUPERVISORS = """
UNWIND $uids AS uid
MATCH (u:User {uid: uid}), (s:User {uid: u.supervisor_uid})
CREATE (u)-[:REPORTS_TO]->(s)
"""


def insert_users(tx, actor: Actor, accounts: list[tuple[dict, str | None]]) -> None:
    """Write active accounts (`props` as `create_user` builds them, supervisor uid), link each to its
    office and supervisor, and audit each."""
    rows = [{**{k: v for k, v in props.items() if v is not None}, "supervisor_uid": sup, "active": True,
             "failed_logins": 0} for props, sup in accounts]
    try:
        tx.run(_CREATE_USERS, rows=rows).consume()
    except ConstraintError:  # another transaction created the username after the caller's check
        raise _taken("username", [props["username"] for props, _ in accounts]) from None
    tx.run(_LINK_SUPERVISORS, uids=[props["uid"] for props, sup in accounts if sup]).consume()
    for props, _ in accounts:
        audit.record(tx, actor, "admin", [props["uid"]], details={"op": "create_user", "username": props["username"]})

_CREATE_PENDING = """
CREATE (p:PendingUser) SET p = $props, p.created_at = datetime(), p.created_by = $actor,
    p.supervisor_uid = $sup, p.status = 'pending'
"""


def supervises_no_one(role: str) -> str:
    """Why a user of `role` (an analyst, an auditor, an administrator) cannot be anyone's supervisor."""
    return f"{'an' if role[:1] in 'aeiou' else 'a'} {role} supervises no one"


def _supervisor_uid(tx, username: str | None) -> str | None:
    """The uid of a named supervisor, who must be a user who supervises (never an auditor or administrator)."""
    if not username:
        return None
    sup = tx.run("MATCH (s:User {username: $u}) RETURN s.uid AS uid, s.role AS role", u=username).single()
    if sup is None:
        raise ValidationFailed({"supervisor": [f"no user {username}"]})
    if sup["role"] not in SUPERVISING_ROLES:
        raise ValidationFailed({"supervisor": [supervises_no_one(sup["role"])]})
    return sup["uid"]


def new_account(clean: dict) -> dict:
    """The stored properties of a new account from its validated input (`UserInput`), password hashed."""
    return {
        "uid": new_uid(), "username": clean["username"], "name": clean["name"], "role": clean["role"],
        "office_code": clean["office_code"], "phone": clean["phone"], "email": clean["email"],
        "training_expires": clean["training_expires"].isoformat() if clean["training_expires"] else None,
        "password_hash": hash_password(clean["password"]),
    }


def create_user(graph: Graph, actor: Actor, data: dict) -> dict:
    """Create a user account (administrators and the system only); Conflict if the username is taken.

    An administrator's account with a content role waits for a supervisor's approval: the answer says
    `status: "pending_approval"` with the request's uid, and the account signs in only once approved.
    The system, and any administrator-role account, is created at once (`status: "active"`).
    """
    require_admin(graph, actor, "create_user", [data.get("username") if isinstance(data, dict) else None])
    clean = load_input(UserInput(), data)
    needs_approval = actor.role != "system" and clean["role"] in CONTENT_ROLES
    props = new_account(clean)

    def work(tx):
        if not tx.run("MATCH (o:Office {code: $c}) RETURN o", c=clean["office_code"]).single():
            raise ValidationFailed({"office_code": [f"no office {clean['office_code']}"]})
        taken = tx.run(_USER_EXISTS, u=clean["username"]).single()
        if taken["user"] or taken["pending"]:
            raise Conflict(f"username {clean['username']} is taken"
                           + (" by an account waiting for approval" if taken["pending"] else ""))
        sup_uid = _supervisor_uid(tx, clean["supervisor"])
        out = {k: v for k, v in props.items() if k != "password_hash"}
        if not needs_approval:
            insert_users(tx, actor, [(props, sup_uid)])
            return {**out, "active": True, "status": "active"}
        route, approvers = approval_route(tx, clean["role"], sup_uid, props["uid"])
        tx.run(_CREATE_PENDING, props={k: v for k, v in props.items() if v is not None}, actor=actor.uid,
               sup=sup_uid).consume()
        request = file_role_request(tx, actor, props["uid"], route, approvers, {
            "op": "create", "username": clean["username"], "name": clean["name"], "office_code": clean["office_code"],
            "role": clean["role"], "from_role": None, "supervisor": clean["supervisor"]},
            f"new {clean['role']} account {clean['username']} ({clean['name']}), {clean['office_code']}")
        audit.record(tx, actor, "admin", [props["uid"]], details={
            "op": "create_user", "username": clean["username"], "role": clean["role"],
            "status": "pending_approval", "request_uid": request["uid"]})
        return {**out, "active": False, "status": "pending_approval", "request_uid": request["uid"],
                "requested_role": clean["role"]}

    return graph.write(work)


def change_role(graph: Graph, actor: Actor, username: str, data: dict) -> dict:
    """Give a user another role (administrators and the system only).

    A content role asked for by an administrator waits for a supervisor's approval (the answer says
    `status: "pending_approval"`; the user keeps their role until then). The administrator role, which
    opens no content, and any role the system sets, apply at once (`status: "active"`).
    """
    require_admin(graph, actor, "change_role", [username])
    clean = load_input(RoleInput(), data)

    def work(tx):
        found = tx.run("MATCH (u:User {username: $u}) RETURN u.uid AS uid", u=username).single()
        user = lock(tx, "User", found["uid"]) if found else None
        if user is None:
            raise NotFound(f"no user {username}")
        if user["role"] == clean["role"]:
            raise Conflict(f"{username} is already a {clean['role']}")
        out = {"uid": user["uid"], "username": username, "name": user.get("name"), "role": user["role"],
               "office_code": user.get("office_code"), "active": user.get("active", True)}
        if actor.role == "system" or clean["role"] not in CONTENT_ROLES:
            tx.run("MATCH (u:User {uid: $uid}) SET u.role = $role", uid=user["uid"], role=clean["role"]).consume()
            audit.record(tx, actor, "admin", [user["uid"]], details={
                "op": "change_role", "username": username, "from": user["role"], "to": clean["role"],
                "reason": clean["reason"]})
            return {**out, "role": clean["role"], "status": "active"}
        route, approvers = approval_route(tx, clean["role"], user.get("supervisor_uid"), user["uid"])
        request = file_role_request(tx, actor, user["uid"], route, approvers, {
            "op": "change", "username": username, "name": user.get("name"), "office_code": user.get("office_code"),
            "role": clean["role"], "from_role": user["role"], "reason": clean["reason"]},
            f"{username} ({user.get('name')}): {user['role']} to {clean['role']}: {clean['reason']}")
        return {**out, "status": "pending_approval", "request_uid": request["uid"], "requested_role": clean["role"]}

    return audit.write_or_refuse(graph, actor, "change_role", [username], work)


# ---------------------------------------------------------------------------------------------
# Approving a content role
# ---------------------------------------------------------------------------------------------

_HQ_SUPERVISORS = """
MATCH (s:User {role: 'supervisor'})
WHERE coalesce(s.active, true) AND s.separated_at IS NULL AND s.uid <> $target
  AND EXISTS { (:Office {code: s.office_code})-[:WITHIN*0..]->(:Office {code: $hq}) }
RETURN s.uid AS uid ORDER BY uid
"""

_AT_HQ = """
MATCH (:Office {code: $office})-[:WITHIN*0..]->(:Office {code: $hq})
RETURN count(*) > 0 AS yes
"""


def approval_route(tx, role: str, supervisor_uid: str | None, target_uid: str) -> tuple[str, list[str]]:
    """("chain", [the supervisor]) or ("headquarters", [its supervisors]): who decides a content role."""
    if role != "auditor" and supervisor_uid:
        return "chain", [supervisor_uid]
    approvers = [r["uid"] for r in tx.run(_HQ_SUPERVISORS, hq=HEADQUARTERS, target=target_uid)]
    if not approvers:
        who = "an auditor" if role == "auditor" else "an account that reports to no one"
        raise Conflict(f"no supervisor at headquarters ({HEADQUARTERS}) could approve {who}; "
                       "headquarters needs a supervisor first")
    return "headquarters", approvers


def file_role_request(tx, actor: Actor, target_uid: str, route: str, approvers: list[str], payload: dict,
                       caption: str) -> dict:
    extra = {"approval_route": route, "target_caption": caption,
             "approver_uid": approvers[0] if route == "chain" else None}
    return file_request(tx, actor, "user_role", target_uid, payload=payload, comment=caption,
                        approvers=approvers, extra={k: v for k, v in extra.items() if v is not None})


def at_headquarters(tx, actor: Actor) -> bool:
    """Whether the actor is a supervisor at headquarters (or an office within it): an auditor's approver."""
    if actor.role != "supervisor" or not actor.office_code:
        return False
    return bool(tx.run(_AT_HQ, office=actor.office_code, hq=HEADQUARTERS).single()["yes"])


def require_role_approver(tx, actor: Actor, request: dict) -> None:
    """Refuse (Forbidden) anyone but the approver a "user_role" request is routed to (see the module docstring)."""
    rules.require_active(actor)
    if actor.role not in rules.WRITERS:
        raise Forbidden(f"the {actor.role} role approves nothing")
    if actor.uid in (request["target_uid"], request["requested_by"]):
        raise Forbidden("you may not approve or return your own role: no self-approval")
    if request.get("approval_route") == "chain":
        sup = request.get("approver_uid")
        if actor.uid != sup and sup not in actor.subordinates:
            raise Forbidden("only the supervisor the account reports to, or one above them, may decide its role")
    elif not at_headquarters(tx, actor):
        raise Forbidden(f"only a supervisor at headquarters ({HEADQUARTERS}) may decide this role")


_ACTIVATE = """
MATCH (p:PendingUser {uid: $uid, status: 'pending'})
REMOVE p:PendingUser, p.status
SET p:User, p.active = true, p.failed_logins = 0, p.role_approved_by = $actor, p.role_approved_at = datetime()
WITH p MATCH (o:Office {code: p.office_code}) CREATE (p)-[:MEMBER_OF]->(o)
WITH p OPTIONAL MATCH (s:User {uid: p.supervisor_uid})
FOREACH (_ IN CASE WHEN s IS NULL THEN [] ELSE [1] END | CREATE (p)-[:REPORTS_TO]->(s))
RETURN p.uid AS uid
"""

_RAISE = """
MATCH (u:User {uid: $uid})
SET u.role = $role, u.role_approved_by = $actor, u.role_approved_at = datetime()
"""


def _apply_user_role(tx, actor: Actor, request: dict, decision: str) -> None:
    """Carry out a decided "user_role" request: activate the account, or give the user the role."""
    payload = request.get("payload") or {}
    if payload.get("op") == "create":
        pending = lock(tx, "PendingUser", request["target_uid"])
        if pending is None or pending.get("status") != "pending":
            raise Conflict(f"the account {payload.get('username')} no longer waits for approval")
        if decision != "approved":
            tx.run("MATCH (p:PendingUser {uid: $uid}) SET p.status = 'returned', p.decided_by = $actor, "
                   "p.decided_at = datetime() REMOVE p.password_hash", uid=pending["uid"], actor=actor.uid).consume()
            return
        if tx.run(_USER_EXISTS, u=pending["username"]).single()["user"]:
            raise Conflict(f"username {pending['username']} was taken meanwhile; return this request")
        tx.run(_ACTIVATE, uid=pending["uid"], actor=actor.uid).consume()
        return
    user = lock(tx, "User", request["target_uid"])
    if user is None:
        raise Conflict(f"user {payload.get('username')} no longer exists; return this request")
    if decision != "approved":
        return
    if payload.get("op") == "reactivate":
        _reactivate(tx, actor, user, request)
        return
    if user["role"] != payload.get("from_role"):
        raise Conflict(f"{user['username']} is a {user['role']} now, no longer a {payload.get('from_role')}; "
                       "return this request")
    tx.run(_RAISE, uid=user["uid"], role=payload["role"], actor=actor.uid).consume()
    notify(tx, user["uid"], "approval_decided", item_kind="user_role", item_uid=request["uid"],
           actor_uid=actor.uid, actor_name=actor.name, message=f"you are now a {payload['role']}")


def _reactivate(tx, actor: Actor, user: dict, request: dict) -> None:
    """An approved reactivation (`administration.reactivate_user`): the account, with the role it had, is active again."""
    payload = request.get("payload") or {}
    if user.get("active", True):
        raise Conflict(f"{user['username']} is active already; return this request")
    if user["role"] != payload.get("role") or user.get("separated_at") is not None:
        raise Conflict(f"{user['username']} has changed since the request; return this request")
    tx.run("MATCH (u:User {uid: $uid}) SET u.active = true, u.reactivated_at = datetime(), u.reactivated_by = $by, "
           "u.role_approved_by = $actor, u.role_approved_at = datetime()",
           uid=user["uid"], by=request["requested_by"], actor=actor.uid).consume()
    notify(tx, user["uid"], "approval_decided", item_kind="user_role", item_uid=request["uid"],
           actor_uid=actor.uid, actor_name=actor.name, message=f"your account is active again, as a {user['role']}")


#: What a decided request of this kind carries out: `(tx, actor, request, decision)`, called by `approvals`.
APPLIERS = {"user_role": _apply_user_role}
#: Who may decide a request of this kind: `(tx, actor, request)`, raising Forbidden; called by `approvals`
#: instead of its usual "a supervisor above the requester".
APPROVER_CHECKS = {"user_role": require_role_approver}


def pending_account(graph: Graph, uid: str) -> dict | None:
    """An account waiting for (or returned by) a role approval, without its password hash; None if absent."""
    rows = graph.query("MATCH (p:PendingUser {uid: $uid}) RETURN properties(p) AS p", {"uid": uid})
    return {k: v for k, v in plain(rows[0]["p"]).items() if k != "password_hash"} if rows else None


def list_offices(graph: Graph) -> list[dict]:
    """Every office with its parent, for pickers and filters (names are not case content)."""
    return graph.query("MATCH (o:Office) RETURN o.code AS code, o.name AS name, o.kind AS kind, "
                       "o.parent_code AS parent_code ORDER BY o.code")
