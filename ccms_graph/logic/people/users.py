"""Offices and user accounts: create them, hash passwords, and check a password."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from marshmallow import Schema, fields, validate

from ...db import Graph
from ...errors import Conflict, Forbidden, ValidationFailed
from ...nodes.vocabulary import OFFICE_KINDS, ROLES
from ...policy import rules
from ...policy.actor import Actor
from ..common import load_input, new_uid
from ..oversight import audit

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


def require_admin(graph: Graph, actor: Actor, op: str, targets=()) -> None:
    """Refuse (Forbidden, audited as a denial) anyone but an administrator or the system itself."""
    try:
        rules.require_active(actor)
        if not rules.can(actor, "admin"):
            raise Forbidden("only an administrator may manage offices and users")
    except Forbidden as exc:
        raise audit.refuse(graph, actor, exc, op, [t for t in targets if t]) from None


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
        tx.run("""CREATE (o:Office) SET o = $props
                  WITH o OPTIONAL MATCH (p:Office {code: $parent})
                  FOREACH (_ IN CASE WHEN p IS NULL THEN [] ELSE [1] END | CREATE (o)-[:WITHIN]->(p))""",
               props={k: v for k, v in clean.items() if v is not None}, parent=clean["parent_code"]).consume()
        audit.record(tx, actor, "admin", [clean["code"]], details={"op": "create_office"})
        return clean

    return graph.write(work)


def create_user(graph: Graph, actor: Actor, data: dict) -> dict:
    """Create a user account (administrators and the system only); Conflict if the username is taken."""
    require_admin(graph, actor, "create_user", [data.get("username") if isinstance(data, dict) else None])
    clean = load_input(UserInput(), data)
    props = {
        "uid": new_uid(), "username": clean["username"], "name": clean["name"], "role": clean["role"],
        "office_code": clean["office_code"], "phone": clean["phone"], "email": clean["email"],
        "training_expires": clean["training_expires"].isoformat() if clean["training_expires"] else None,
        "password_hash": hash_password(clean["password"]), "active": True, "failed_logins": 0,
    }

    def work(tx):
        if not tx.run("MATCH (o:Office {code: $c}) RETURN o", c=clean["office_code"]).single():
            raise ValidationFailed({"office_code": [f"no office {clean['office_code']}"]})
        if tx.run("MATCH (u:User {username: $u}) RETURN u", u=clean["username"]).single():
            raise Conflict(f"username {clean['username']} is taken")
        sup_uid = None
        if clean["supervisor"]:
            sup = tx.run("MATCH (s:User {username: $u}) RETURN s.uid AS uid", u=clean["supervisor"]).single()
            if sup is None:
                raise ValidationFailed({"supervisor": [f"no user {clean['supervisor']}"]})
            sup_uid = sup["uid"]
        tx.run("""CREATE (u:User) SET u = $props, u.created_at = datetime(), u.supervisor_uid = $sup
                  WITH u MATCH (o:Office {code: u.office_code}) CREATE (u)-[:MEMBER_OF]->(o)
                  WITH u OPTIONAL MATCH (s:User {uid: $sup})
                  FOREACH (_ IN CASE WHEN s IS NULL THEN [] ELSE [1] END | CREATE (u)-[:REPORTS_TO]->(s))""",
               props={k: v for k, v in props.items() if v is not None}, sup=sup_uid).consume()
        audit.record(tx, actor, "admin", [props["uid"]], details={"op": "create_user",
                                                                  "username": clean["username"]})
        return {k: v for k, v in props.items() if k != "password_hash"}

    return graph.write(work)


def list_offices(graph: Graph) -> list[dict]:
    """Every office with its parent, for pickers and filters (names are not case content)."""
    return graph.query("MATCH (o:Office) RETURN o.code AS code, o.name AS name, o.kind AS kind, "
                       "o.parent_code AS parent_code ORDER BY o.code")
