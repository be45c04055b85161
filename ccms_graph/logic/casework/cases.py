"""Create cases with readable numbers, add subjects to them, and list and read them."""

from __future__ import annotations

from datetime import UTC, date, datetime

from marshmallow import Schema, fields, validate

from ...db import Graph
from ...errors import Conflict, DomainError, Forbidden, NotFound, ValidationFailed
from ...policy import rules, scopes
from ...policy.actor import Actor
from ..common import Text, load_input, new_uid, node_dict
from ..oversight import audit, checks
from . import case_deconfliction, grants, protection
from .pending import file_request, lock


class CaseInput(Schema):
    title = Text(required=True, validate=validate.Length(min=3, max=300))
    violations = fields.List(fields.String(validate=validate.Length(min=1, max=120)),
                             load_default=list, validate=validate.Length(max=50))
    predication = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=5000))
    #: The systems the predication's data comes from (e.g. "FinCEN"): a protected one restricts the case at once.
    sources = fields.List(fields.String(validate=validate.Length(min=1, max=120)), load_default=list,
                          validate=validate.Length(max=20))
    restricted = fields.Boolean(load_default=False)
    team_uids = fields.List(fields.String(validate=validate.Length(min=1, max=64)), load_default=list,
                            validate=validate.Length(max=100))
    #: The case deconfliction check the user ran before asking (`case_deconfliction.check`).
    deconfliction_check = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=64))


def fiscal_year(day: date) -> int:
    """The US federal fiscal year: FY2027 begins on 1 October 2026."""
    return day.year + 1 if day.month >= 10 else day.year


_NEXT_NUMBER = """
MERGE (s:Sequence {name: $name}) ON CREATE SET s.value = 0
SET s.value = s.value + 1
RETURN s.value AS n
"""


def next_case_number(tx, office_code: str, day: date | None = None) -> str:
    """Office code, fiscal year and sequence, e.g. "MIA-FY27-00012"; the sequence lock makes it unique."""
    fy = fiscal_year(day or datetime.now(UTC).date())
    n = tx.run(_NEXT_NUMBER, name=f"case:{office_code}:{fy}").single()["n"]
    return f"{office_code}-FY{fy % 100:02d}-{n:05d}"


_CREATE_CASE = """
CREATE (c:Case:Linkable)
SET c = $props, c.created_at = datetime(), c.updated_at = datetime(), c.last_activity_at = datetime()
WITH c
MATCH (u:User {uid: $owner})
CREATE (c)-[:OWNED_BY]->(u)
RETURN c
"""


_TEAM_AT_OPENING = """
UNWIND $uids AS uid
OPTIONAL MATCH (u:User {uid: uid})
RETURN uid, u IS NOT NULL AS found, u.role AS role, u.name AS name,
       coalesce(u.active, true) AND u.separated_at IS NULL AS active,
       // As in _TEAM: the member reads the new case by office already, or supervises its owner.
       u IS NOT NULL AND (EXISTS { (:Office {code: $office})-[:WITHIN*0..]->(:Office {code: u.office_code}) }
                          OR EXISTS { (:User {uid: $me})-[:REPORTS_TO*1..]->(u) }) AS home
"""


def _check_opening_team(tx, actor: Actor, uids: list[str]) -> None:
    """The team a case opens with holds only active users who may work on it and read it by office or chain;
    another office's user joins afterwards through a team grant (`change_team`), as a supervisor approves."""
    errors: dict[int, list[str]] = {}
    position = {uid: i for i, uid in enumerate(uids)}
    for row in tx.run(_TEAM_AT_OPENING, uids=uids, office=actor.office_code, me=actor.uid):
        i = position[row["uid"]]
        if not row["found"]:
            errors[i] = [f"no user {row['uid']}"]
        elif row["role"] in grants.NO_TEAM_ROLES or not row["active"]:
            errors[i] = [f"a {row['role']} or inactive user cannot join a case team"]
        elif not row["home"]:
            errors[i] = [f"{row['name']} is in another office: add them once the case exists, and a supervisor "
                         "approves the team grant"]
    if errors:
        raise ValidationFailed({"team_uids": errors})


def create_case(graph: Graph, actor: Actor, data: dict, status: str = "requested", *,
                require_check: bool = False) -> dict:
    """Open a case request (status `requested` until a supervisor approves it). Writers only, with current
    training (refusals audited); the opening team is checked as `_check_opening_team` says.

    `deconfliction_check` names the case deconfliction check the user ran first; it is kept on the case and in
    the audit entry, and `case_deconfliction.use_check` says which checks count. `require_check` (the browser's
    form) refuses to open without one; see `case_deconfliction` for why it is not required everywhere.

    A case predicated on data from a protected source (`sources`, see `protection`) is restricted from the start.
    Asking for a restricted case needs no separate restriction request: the supervisor's approval of the
    opening decides it with the rest of the case."""
    clean = load_input(CaseInput(), data)
    if require_check and not clean["deconfliction_check"]:
        raise ValidationFailed({"deconfliction_check": ["check for open cases on the subject before opening one"]})
    try:
        rules.require_writer(actor)
    except DomainError as exc:
        raise audit.refuse(graph, actor, exc, "create_case") from None
    if not actor.office_code:
        raise ValidationFailed({"office_code": ["you belong to no office, so you cannot own a case"]})

    protected = protection.protected(graph.settings, clean["sources"])

    def work(tx):
        _check_opening_team(tx, actor, [u for u in dict.fromkeys(clean["team_uids"]) if u != actor.uid])
        number = next_case_number(tx, actor.office_code)
        team = sorted(set(clean["team_uids"]) | {actor.uid})
        props = {
            "uid": new_uid(), "case_number": number, "title": clean["title"],
            "violations": clean["violations"], "violations_text": " ".join(clean["violations"]),
            "predication": clean["predication"], "restricted": clean["restricted"] or bool(protected),
            "predication_sources": clean["sources"] or None, "protected_sources": protected or None,
            "team_uids": team,
            "status": status, "owner_uid": actor.uid, "office_code": actor.office_code,
            "created_by": actor.uid, "updated_by": actor.uid, "approval_status": "pending",
            "source": "manual", "version": 1, "deleted": False, "deconfliction_check": clean["deconfliction_check"],
        }
        checked = {} if not clean["deconfliction_check"] else case_deconfliction.use_check(
            tx, actor, clean["deconfliction_check"], props["uid"], clean["violations"])
        rec = tx.run(_CREATE_CASE, props={k: v for k, v in props.items() if v is not None},
                     owner=actor.uid).single()
        audit.record(tx, actor, "create", [props["uid"], *([clean["deconfliction_check"]] if checked else [])],
                     details={"type": "Case", "case_number": number, **checked,
                              **({"protected_sources": protected} if protected else {})})
        return node_dict(rec["c"], ["Case"])

    return graph.write(work)


# A supervisor's desktop also lists the cases their subordinates own or work on (CCMS PIA: supervisors
# "view all case files created by their subordinates"); `relation` says which.
_MY_CASES = f"""
MATCH (c:Case) WHERE coalesce(c.deleted, false) = false
  AND (c.owner_uid = $me OR $me IN c.team_uids OR c.owner_uid IN $subordinates
       OR any(t IN coalesce(c.team_uids, []) WHERE t IN $subordinates))
  AND {scopes.case_readable("c")}
OPTIONAL MATCH (o:User {{uid: c.owner_uid}})
RETURN c, o.name AS owner_name,
       CASE WHEN c.owner_uid = $me THEN 'owner' WHEN $me IN c.team_uids THEN 'team' ELSE 'subordinate' END AS relation
ORDER BY c.last_activity_at DESC LIMIT 500
"""


def my_cases(graph: Graph, actor: Actor) -> list[dict]:
    """Cases the actor owns or is on the team of, and those of the people who report to them, that the actor
    may read, newest activity first; each says its `relation` and its owner's name. Audited as a view of
    them. Lapsed training reads nothing (refusal audited)."""
    checks.guard(graph, actor, "my_cases")

    def work(tx):
        out = [{**node_dict(r["c"], ["Case"]), "relation": r["relation"], "owner_name": r["owner_name"]}
               for r in tx.run(_MY_CASES, **rules.actor_params(actor))]
        audit.record(tx, actor, "view", [c["uid"] for c in out], details={"op": "my_cases", "count": len(out)})
        return out

    return graph.write(work)


_SET_RESTRICTED = """
MATCH (c:Case {uid: $uid})
WITH c, coalesce(c.restricted, false) AS before
SET c.restricted = $restricted, c.updated_at = datetime(), c.updated_by = $me, c.version = c.version + 1,
    c.last_activity_at = datetime()
RETURN before
"""


class RestrictionInput(Schema):
    restricted = fields.Boolean(required=True)
    reason = Text(required=True, validate=validate.Length(min=3, max=2000))


def set_restricted(graph: Graph, actor: Actor, case_uid: str, restricted: bool, reason: str) -> dict:
    """Ask to restrict a case to its team (and the supervisors above them), or to lift the restriction.

    "Access to cases may be further restricted or expanded by the owning case agent/officer with supervisor
    approval" (CBP CCMS PIA, Overview): the owner, or a supervisor above the owner, files a `case_restrict`
    request, and nothing changes until a supervisor above the requester approves it (`APPLIERS`). The
    answer is the case's access settings as they stand, with `restriction_request` (the pending request).
    Conflict when the case already is as asked, when such a request is pending, or when lifting the
    restriction of a case holding protected-source data (`protection`). The system applies at once."""
    if not isinstance(restricted, bool):
        raise ValidationFailed({"restricted": ["must be true or false"]})
    clean = load_input(RestrictionInput(), {"restricted": restricted, "reason": reason})

    def work(tx):
        facts = rules.require_case(tx, actor, case_uid, write=True)
        if not rules.owns_or_supervises(actor, facts["owner_uid"]):
            raise Forbidden("only the case owner, or a supervisor above them, may ask to restrict the case "
                            "or lift its restriction")
        case = lock(tx, "Case", case_uid)
        if bool(case.get("restricted")) == clean["restricted"]:
            raise Conflict(f"case {case.get('case_number')} is already "
                           f"{'restricted' if clean['restricted'] else 'not restricted'}")
        if not clean["restricted"]:
            protection.require_liftable(case)
        if actor.role == "system":
            _apply_restricted(tx, actor, case_uid, clean["restricted"], clean["reason"])
            return None
        req = file_request(tx, actor, "case_restrict", case_uid, comment=clean["reason"],
                           payload={"restricted": clean["restricted"], "reason": clean["reason"],
                                    "case_number": case.get("case_number")})
        return {"request_uid": req["uid"], "restricted": clean["restricted"]}

    pending = audit.write_or_refuse(graph, actor, "set_restricted", [case_uid], work)
    out = _access_settings(graph, case_uid)
    return {**out, "restriction_request": pending} if pending else out


def _apply_restricted(tx, actor: Actor, case_uid: str, restricted: bool, reason: str) -> None:
    before = tx.run(_SET_RESTRICTED, uid=case_uid, restricted=restricted, me=actor.uid).single()["before"]
    audit.record(tx, actor, "update", [case_uid], details={
        "field": "restricted", "from": before, "to": restricted, "reason": reason})


def _apply_restriction(tx, actor: Actor, request: dict, decision: str) -> None:
    """An approved `case_restrict` request changes the case, checked afresh under its lock."""
    if decision != "approved":
        return
    payload = request.get("payload") or {}
    case = lock(tx, "Case", request["target_uid"])
    if case is None or case.get("deleted"):
        raise NotFound(f"no case {request['target_uid']}")
    if not payload["restricted"]:
        protection.require_liftable(case)
    _apply_restricted(tx, actor, case["uid"], payload["restricted"], payload.get("reason") or "")


#: What a decided request of this module's kinds carries out: `(tx, actor, request, decision)`, called by `approvals`.
APPLIERS = {"case_restrict": _apply_restriction}


_TEAM = """
MATCH (c:Case {uid: $uid})
OPTIONAL MATCH (u:User {uid: $member})
RETURN c.owner_uid AS owner, coalesce(c.team_uids, []) AS team, u.uid AS member, u.role AS role,
       u.name AS name, coalesce(u.active, true) AND u.separated_at IS NULL AS active,
       // The member reads the case by office already (it is their office's or one within it), or
       // supervises its owner: joining the team opens nothing the office or the chain does not.
       u IS NOT NULL AND (EXISTS { (:Office {code: c.office_code})-[:WITHIN*0..]->(:Office {code: u.office_code}) }
                          OR EXISTS { (:User {uid: c.owner_uid})-[:REPORTS_TO*1..]->(u) }) AS home
"""


def change_team(graph: Graph, actor: Actor, case_uid: str, member_uid: str, add: bool) -> dict:
    """Add a user to, or remove one from, a case team; the owner stays. Supervisors above any member
    keep their view whatever the team is (the policy follows the reporting chain, not the team list).

    A team opens its case to every member, restricted or not, so a user of another office joins only
    through a team grant (`grants.team_grant`) that a supervisor above the actor approves: the answer
    then carries `pending` (the grant and its request) and the team is unchanged until the approval,
    which adds the member. That is what an investigator expects from "add to team": one step, done when
    the supervisor agrees, instead of a refusal and a second form. Taking a member off the team also
    ends their team grant."""
    def work(tx):
        rules.require_case_write(tx, actor, case_uid)
        row = tx.run(_TEAM, uid=case_uid, member=member_uid).single()
        if row["member"] is None:
            raise ValidationFailed({"member_uid": [f"no user {member_uid}"]})
        if add and (row["role"] in grants.NO_TEAM_ROLES or not row["active"]):
            raise ValidationFailed({"member_uid": [f"a {row['role']} or inactive user cannot join a case team"]})
        if not add and member_uid == row["owner"]:
            raise ValidationFailed({"member_uid": ["the case owner stays on the team"]})
        team = set(row["team"])
        if add and member_uid not in team and not row["home"]:
            case = lock(tx, "Case", case_uid)
            pending = grants.team_grant(tx, actor, case, member_uid, row["name"])
            if pending is not None:
                return {"grant_uid": pending["uid"], "request_uid": pending["request_uid"], "member_uid": member_uid}
        team = team | {member_uid} if add else team - {member_uid}
        tx.run("""MATCH (c:Case {uid: $uid}) SET c.team_uids = $team, c.updated_at = datetime(),
                  c.updated_by = $me, c.last_activity_at = datetime()""",
               uid=case_uid, team=sorted(team), me=actor.uid).consume()
        ended = None if add else grants.end_team_grant(tx, actor, case_uid, member_uid, "taken off the case team")
        audit.record(tx, actor, "update", [case_uid, member_uid],
                     details={"field": "team", "op": "add" if add else "remove",
                              **({"grant_revoked": ended} if ended else {})})
        return None

    pending = audit.write_or_refuse(graph, actor, "change_team", [case_uid, member_uid], work)
    out = _access_settings(graph, case_uid)
    return {**out, "pending": pending} if pending else out


def _access_settings(graph: Graph, case_uid: str) -> dict:
    """What a change of access settings answers: the settings only, never the case's contents."""
    row = graph.query("MATCH (c:Case {uid: $uid}) RETURN c.uid AS uid, c.case_number AS case_number, "
                      "coalesce(c.restricted, false) AS restricted, c.team_uids AS team_uids, "
                      "c.owner_uid AS owner_uid", {"uid": case_uid})
    return row[0]
