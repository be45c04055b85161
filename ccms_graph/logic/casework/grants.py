"""Cross-office access grants to a case: requested by the owner, approved by a supervisor, revocable.

An `(:AccessGrant)` is pending until a supervisor of the owner approves it, then `active`, and the
read policy (policy/actor.py) counts only active grants. Revoking keeps the node, with who, when and why.
"""

from __future__ import annotations

from marshmallow import Schema, fields, validate, validates_schema
from marshmallow import ValidationError as SchemaError

from ...db import Graph
from ...errors import Conflict, Forbidden, NotFound, ValidationFailed
from ...policy import rules
from ...policy.actor import Actor
from ..common import load_input, new_uid, plain
from ..oversight import audit
from ..oversight.notifications import notify
from .pending import file_request, lock


class GrantInput(Schema):
    grantee_uid = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=64))
    grantee_office = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=20))
    reason = fields.String(required=True, validate=validate.Length(min=3, max=2000))

    @validates_schema
    def _one_grantee(self, data, **kwargs):
        if bool(data.get("grantee_uid")) == bool(data.get("grantee_office")):
            raise SchemaError("name exactly one grantee: a user (grantee_uid) or an office (grantee_office)",
                              field_name="grantee_uid")


class RevokeInput(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=3, max=2000))


def request_grant(graph: Graph, actor: Actor, case_uid: str, data: dict) -> dict:
    """The case owner asks for their case to be shared with another user or office; returns the pending grant."""
    clean = load_input(GrantInput(), data)
    uid = new_uid()

    def work(tx):
        rules.require_read(tx, actor, case_uid, ("Case",), "case")
        case = lock(tx, "Case", case_uid)
        if case.get("owner_uid") != actor.uid:
            raise Forbidden("only the case owner may request access for others")
        if clean["grantee_uid"]:
            if not tx.run("MATCH (u:User {uid: $u}) RETURN u.uid", u=clean["grantee_uid"]).single():
                raise ValidationFailed({"grantee_uid": [f"no user {clean['grantee_uid']}"]})
            if clean["grantee_uid"] == actor.uid:
                raise ValidationFailed({"grantee_uid": ["you own the case already"]})
        elif not tx.run("MATCH (o:Office {code: $c}) RETURN o.code", c=clean["grantee_office"]).single():
            raise ValidationFailed({"grantee_office": [f"no office {clean['grantee_office']}"]})
        dup = tx.run("""MATCH (g:AccessGrant {case_uid: $case}) WHERE g.status IN ['pending', 'active']
                          AND coalesce(g.grantee_uid, '') = coalesce($gu, '')
                          AND coalesce(g.grantee_office, '') = coalesce($go, '')
                        RETURN g.uid AS uid, g.status AS status""",
                     case=case_uid, gu=clean["grantee_uid"], go=clean["grantee_office"]).single()
        if dup:
            raise Conflict(f"this grantee already has a {dup['status']} grant to the case", grant_uid=dup["uid"])
        props = {"uid": uid, "case_uid": case_uid, "grantee_uid": clean["grantee_uid"],
                 "grantee_office": clean["grantee_office"], "reason": clean["reason"], "status": "pending",
                 "requested_by": actor.uid}
        rec = tx.run("""MERGE (g:AccessGrant {uid: $uid})
                        ON CREATE SET g = $props, g.requested_at = datetime()
                        WITH g MATCH (c:Case {uid: $case}) MERGE (g)-[:GRANTS]->(c)
                        RETURN properties(g) AS g""",
                     uid=uid, props={k: v for k, v in props.items() if v is not None}, case=case_uid).single()
        request = file_request(tx, actor, "access_grant", uid, comment=clean["reason"],
                               payload={"case_uid": case_uid, "case_number": case.get("case_number"),
                                        "grantee_uid": clean["grantee_uid"],
                                        "grantee_office": clean["grantee_office"]})
        return {**plain(rec["g"]), "request_uid": request["uid"]}

    return audit.write_or_refuse(graph, actor, "request_grant", [case_uid], work)


def _apply_grant(tx, actor: Actor, request: dict, decision: str) -> None:
    grant = lock(tx, "AccessGrant", request["target_uid"])
    if grant is None:
        raise NotFound(f"no access grant {request['target_uid']}")
    if grant["status"] != "pending":
        raise Conflict(f"access grant {grant['uid']} is {grant['status']}, not pending", status=grant["status"])
    tx.run("""MATCH (g:AccessGrant {uid: $uid})
              SET g.status = CASE WHEN $decision = 'approved' THEN 'active' ELSE 'returned' END,
                  g.approved_by = CASE WHEN $decision = 'approved' THEN $actor ELSE null END,
                  g.approved_at = CASE WHEN $decision = 'approved' THEN datetime() ELSE null END,
                  g.decided_by = $actor, g.decided_at = datetime()""",
           uid=grant["uid"], decision=decision, actor=actor.uid).consume()
    if decision == "approved" and grant.get("grantee_uid"):
        notify(tx, grant["grantee_uid"], "access_decided", record_uid=grant["case_uid"], grant_uid=grant["uid"],
               actor_uid=actor.uid, actor_name=actor.name, message="you were granted access to a case")


#: What a decided request of this kind carries out: `(tx, actor, request, decision)`, called by `approvals`.
APPLIERS = {"access_grant": _apply_grant}


def revoke_grant(graph: Graph, actor: Actor, grant_uid: str, reason: str) -> dict:
    """End an active grant (the case owner, or a supervisor above the owner); the grant stays as history."""
    clean = load_input(RevokeInput(), {"reason": reason})

    def work(tx):
        rules.require_active(actor)
        grant = lock(tx, "AccessGrant", grant_uid)
        if grant is None:
            raise NotFound(f"no access grant {grant_uid}")
        try:  # a grant on a case the actor may not know about is, to them, no grant at all
            rules.require_read(tx, actor, grant["case_uid"], ("Case",), "case")
        except NotFound:
            raise NotFound(f"no access grant {grant_uid}") from None
        owner = tx.run("MATCH (c:Case {uid: $c}) RETURN c.owner_uid AS o", c=grant["case_uid"]).single()
        owner_uid = owner["o"] if owner else None
        if not rules.owns_or_supervises(actor, owner_uid):
            raise Forbidden("only the case owner or a supervisor above the owner may revoke its grants")
        if grant["status"] != "active":
            raise Conflict(f"access grant {grant_uid} is {grant['status']}, not active", status=grant["status"])
        rec = tx.run("""MATCH (g:AccessGrant {uid: $uid})
                        SET g.status = 'revoked', g.revoked_by = $actor, g.revoked_at = datetime(),
                            g.revoke_reason = $reason
                        RETURN properties(g) AS g""", uid=grant_uid, actor=actor.uid, reason=clean["reason"]).single()
        if grant.get("grantee_uid"):
            notify(tx, grant["grantee_uid"], "access_decided", record_uid=grant["case_uid"], grant_uid=grant_uid,
                   actor_uid=actor.uid, actor_name=actor.name, message="your access to a case was revoked")
        audit.record(tx, actor, "revoke", [grant_uid, grant["case_uid"]],
                     details={"reason": clean["reason"], "grantee_uid": grant.get("grantee_uid"),
                              "grantee_office": grant.get("grantee_office")})
        return plain(rec["g"])

    return audit.write_or_refuse(graph, actor, "revoke_grant", [grant_uid], work)


def grants_for_case(graph: Graph, case_uid: str) -> list[dict]:
    """Every grant of a case, in any status, oldest first."""
    rows = graph.query("""MATCH (g:AccessGrant {case_uid: $c}) RETURN properties(g) AS g
                          ORDER BY g.requested_at, g.uid""", {"c": case_uid})
    return [plain(r["g"]) for r in rows]
