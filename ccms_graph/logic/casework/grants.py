"""Cross-office access grants to a case: requested by the owner, approved by a supervisor, revocable.

An `(:AccessGrant)` is pending until a supervisor of the owner approves it, then `active`, and the
read policy (policy/actor.py) counts only active grants. Revoking keeps the node, with who, when and why.

A team grant (`team: true`) is how a user of another office joins a case team: team membership opens
the case (even a restricted one) and lets the member change it, so `cases.change_team` files one
instead of adding such a user at once. Approving it puts the user on the team; revoking it, or taking
the user off the team, ends both.
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


#: Who may never join a case team, whatever the office: the auditor and the administrator read every case,
#: or none, by role; an attorney reads and never works on a case (a team opens its restricted case to them).
NO_TEAM_ROLES = ("auditor", "admin", "attorney")

_TEAM_GRANT = """
MATCH (g:AccessGrant {case_uid: $case, grantee_uid: $member, team: true}) WHERE g.status IN ['pending', 'active']
OPTIONAL MATCH (r:ApprovalRequest {target_uid: g.uid, status: 'pending'})
RETURN g.uid AS uid, g.status AS status, r.uid AS request_uid
"""


def team_grant(tx, actor: Actor, case: dict, member_uid: str, member_name: str | None) -> dict | None:
    """For `cases.change_team`: file the grant that lets another office's user join the case team, and
    its request for the actor's supervisor; None when an active team grant already admits them.

    Conflict while one waits for approval. The caller has checked the actor may change the case and
    locked it; the applier below adds the member on approval.
    """
    held = tx.run(_TEAM_GRANT, case=case["uid"], member=member_uid).single()
    if held and held["status"] == "active":
        return None
    if held:
        raise Conflict(f"adding {member_name or member_uid} to the team already waits for a supervisor's approval",
                       grant_uid=held["uid"], request_uid=held["request_uid"])
    uid = new_uid()
    reason = f"join the team of case {case.get('case_number')}"
    rec = tx.run("""MERGE (g:AccessGrant {uid: $uid})
                    ON CREATE SET g = $props, g.requested_at = datetime()
                    WITH g MATCH (c:Case {uid: $case}) MERGE (g)-[:GRANTS]->(c)
                    RETURN properties(g) AS g""",
                 uid=uid, case=case["uid"], props={"uid": uid, "case_uid": case["uid"], "grantee_uid": member_uid,
                                                   "team": True, "reason": reason, "status": "pending",
                                                   "requested_by": actor.uid}).single()
    request = file_request(tx, actor, "access_grant", uid,
                           comment=f"add {member_name or member_uid}, of another office, to the team of case "
                                   f"{case.get('case_number')}",
                           payload={"case_uid": case["uid"], "case_number": case.get("case_number"),
                                    "grantee_uid": member_uid, "grantee_office": None, "team": True})
    return {**plain(rec["g"]), "request_uid": request["uid"]}


def end_team_grant(tx, actor: Actor, case_uid: str, member_uid: str, reason: str) -> str | None:
    """Revoke the active team grant of a member taken off the team (so it cannot put them back); its uid."""
    rec = tx.run("""MATCH (g:AccessGrant {case_uid: $case, grantee_uid: $member, team: true, status: 'active'})
                    SET g.status = 'revoked', g.revoked_by = $actor, g.revoked_at = datetime(),
                        g.revoke_reason = $reason
                    RETURN g.uid AS uid""", case=case_uid, member=member_uid, actor=actor.uid, reason=reason).single()
    return rec["uid"] if rec else None


def _join_team(tx, grant: dict) -> None:
    """On approval of a team grant: put the grantee on the team, if they may still join one."""
    who = tx.run("MATCH (u:User {uid: $u}) RETURN u.role AS role, coalesce(u.active, true) "
                 "AND u.separated_at IS NULL AS active", u=grant["grantee_uid"]).single()
    if who is None or who["role"] in NO_TEAM_ROLES or not who["active"]:
        raise Conflict("this user can no longer join a case team; return the request")
    tx.run("""MATCH (c:Case {uid: $case})
              SET c.team_uids = CASE WHEN $member IN coalesce(c.team_uids, []) THEN c.team_uids
                                     ELSE coalesce(c.team_uids, []) + $member END,
                  c.updated_at = datetime(), c.last_activity_at = datetime()""",
           case=grant["case_uid"], member=grant["grantee_uid"]).consume()


def _leave_team(tx, grant: dict) -> None:
    """On revoking a team grant: take the grantee off the team it put them on."""
    tx.run("""MATCH (c:Case {uid: $case})
              SET c.team_uids = [t IN coalesce(c.team_uids, []) WHERE t <> $member],
                  c.updated_at = datetime(), c.last_activity_at = datetime()""",
           case=grant["case_uid"], member=grant["grantee_uid"]).consume()


def _apply_grant(tx, actor: Actor, request: dict, decision: str) -> None:
    grant = lock(tx, "AccessGrant", request["target_uid"])
    if grant is None:
        raise NotFound(f"no access grant {request['target_uid']}")
    if grant["status"] != "pending":
        raise Conflict(f"access grant {grant['uid']} is {grant['status']}, not pending", status=grant["status"])
    if decision == "approved" and grant.get("team"):
        lock(tx, "Case", grant["case_uid"])
        _join_team(tx, grant)
    tx.run("""MATCH (g:AccessGrant {uid: $uid})
              SET g.status = CASE WHEN $decision = 'approved' THEN 'active' ELSE 'returned' END,
                  g.approved_by = CASE WHEN $decision = 'approved' THEN $actor ELSE null END,
                  g.approved_at = CASE WHEN $decision = 'approved' THEN datetime() ELSE null END,
                  g.decided_by = $actor, g.decided_at = datetime()""",
           uid=grant["uid"], decision=decision, actor=actor.uid).consume()
    if decision == "approved" and grant.get("grantee_uid"):
        notify(tx, grant["grantee_uid"], "access_decided", record_uid=grant["case_uid"], grant_uid=grant["uid"],
               actor_uid=actor.uid, actor_name=actor.name,
               message="you were added to a case team" if grant.get("team") else "you were granted access to a case")


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
        if grant.get("team"):
            _leave_team(tx, grant)
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
