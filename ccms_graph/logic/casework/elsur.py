"""Electronic surveillance (ELSUR): the agent's request, headquarters' decision, Reports of Use, citing ROIs.

ICM PIA 2016, §2.2: an ELSUR "officially serves as the agent's request to a supervisor to conduct the
surveillance. ELSURs are approved at the HSI headquarters level. Once HSI headquarters approves the
ELSUR and the agent conducts the surveillance, the agent documents the activity in an ROI and also
appends the ELSUR with one or more Reports of Use".

States: requested -> approved | returned. An `(:Elsur)` belongs to one case (`case_uid`) and is read
and changed as that case is (`rules.require_case`). Filing it files an "elsur" ApprovalRequest routed to
headquarters: a supervisor at `HEADQUARTERS` or an office within it decides it (`require_hq_approver`),
never the requester, whatever their chain. Once approved, the case's writers append `(:ReportOfUse)`
nodes (date, contact, summary), and a Report of Investigation of the case may cite it (`cite`); an ROI
citing an ELSUR that is not approved is refused.
"""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from ...db import Graph
from ...errors import Conflict, Forbidden, NotFound, ValidationFailed
from ...nodes.vocabulary import HEADQUARTERS
from ...policy import rules
from ...policy.actor import Actor
from ..common import Text, load_input, new_uid, plain
from ..oversight import audit
from ..people import users
from .pending import file_request, lock

STATUSES = ("requested", "approved", "returned")
#: Case statuses in which surveillance may be asked for, and its use recorded.
ACTIVE_CASE = ("open", "referred")


class ElsurInput(Schema):
    kind = Text(required=True, validate=validate.Length(min=2, max=120),
                metadata={"description": "e.g. Title III wire intercept, consensual monitoring, pen register"})
    target = Text(required=True, validate=validate.Length(min=2, max=500),
                  metadata={"description": "the facility or person to be monitored"})
    justification = Text(required=True, validate=validate.Length(min=3, max=10_000))


class ReportOfUseInput(Schema):
    date = fields.Date(required=True, metadata={"description": "the day the surveillance was used"})
    contact = Text(required=True, validate=validate.Length(min=2, max=300),
                   metadata={"description": "who was contacted or monitored"})
    summary = Text(required=True, validate=validate.Length(min=3, max=10_000))


class CiteInput(Schema):
    elsur_uid = fields.String(required=True, validate=validate.Length(min=1, max=64))


_CREATE = """
MATCH (c:Case {uid: $case})
CREATE (e:Elsur)
SET e = $props, e.requested_at = datetime(), e.created_at = datetime()
SET c.last_activity_at = datetime()
RETURN properties(e) AS e
"""


def request_elsur(graph: Graph, actor: Actor, case_uid: str, data: dict) -> dict:
    """File an ELSUR for a case the actor may change (open or referred): the Elsur and its "elsur" request,
    routed to the supervisors at headquarters. Conflict when headquarters has no supervisor."""
    clean = load_input(ElsurInput(), data)

    def work(tx):
        rules.require_case(tx, actor, case_uid, write=True)
        case = lock(tx, "Case", case_uid)
        if case.get("status") not in ACTIVE_CASE:
            raise Conflict(f"case {case.get('case_number')} is {case.get('status')}; surveillance is asked for "
                           "in an open or referred case", status=case.get("status"))
        try:  # headquarters' supervisors, as for an account that reports to no one (never the requester)
            _, approvers = users.approval_route(tx, "auditor", None, actor.uid)
        except Conflict:
            raise Conflict(f"no supervisor at headquarters ({HEADQUARTERS}) could approve an ELSUR") from None
        uid = new_uid()
        props = {"uid": uid, "case_uid": case_uid, "requested_by": actor.uid, "office_code": actor.office_code,
                 "status": "requested", **clean}
        elsur = plain(tx.run(_CREATE, case=case_uid, props=props).single()["e"])
        audit.record(tx, actor, "create", [uid, case_uid], details={"type": "Elsur", "kind": clean["kind"]})
        req = file_request(tx, actor, "elsur", uid, payload={"case_number": case.get("case_number"),
                                                              "kind": clean["kind"]},
                           comment=clean["justification"], approvers=approvers,
                           extra={"approval_route": "headquarters", "target_caption": f"ELSUR: {clean['kind']}"})
        return {**elsur, "request_uid": req["uid"]}

    return audit.write_or_refuse(graph, actor, "request_elsur", [case_uid], work)


def require_hq_approver(tx, actor: Actor, request: dict) -> None:
    """Refuse (Forbidden) anyone but a supervisor at headquarters, and the requester themself."""
    rules.require_active(actor)
    if actor.uid == request["requested_by"]:
        raise Forbidden("you may not approve or return your own ELSUR: no self-approval")
    if not users.at_headquarters(tx, actor):
        raise Forbidden("an ELSUR is approved at the headquarters level: only a supervisor at headquarters "
                        "decides it")


def _apply(tx, actor: Actor, request: dict, decision: str) -> None:
    elsur = _elsur(tx, request["target_uid"])
    if elsur["status"] != "requested":
        raise Conflict(f"this ELSUR is {elsur['status']}", status=elsur["status"])
    tx.run("""MATCH (e:Elsur {uid: $uid})
              SET e.status = $decision, e.decided_by = $actor, e.decided_at = datetime(),
                  e.decision_comment = $comment""",
           uid=elsur["uid"], decision=decision, actor=actor.uid, comment=request.get("decision_comment")).consume()


#: What a decided request of this kind carries out, and who may decide it (called by `approvals`).
APPLIERS = {"elsur": _apply}
APPROVER_CHECKS = {"elsur": require_hq_approver}


def _elsur(tx, uid: str) -> dict:
    rec = tx.run("MATCH (e:Elsur {uid: $uid}) SET e._lock = true REMOVE e._lock RETURN properties(e) AS e",
                 uid=uid).single()
    if rec is None:
        raise NotFound(f"no ELSUR {uid}")
    return plain(rec["e"])


def _readable_elsur(tx, actor: Actor, uid: str, *, write: bool = False) -> dict:
    """The ELSUR, locked, if the actor may read (with `write`, change) its case; a hidden case's ELSUR
    answers as a missing one."""
    rec = tx.run("MATCH (e:Elsur {uid: $uid}) RETURN e.case_uid AS c", uid=uid).single()
    if rec is None:
        raise NotFound(f"no ELSUR {uid}")
    try:
        rules.require_case(tx, actor, rec["c"], write=write)
    except NotFound:
        raise NotFound(f"no ELSUR {uid}") from None
    return _elsur(tx, uid)


_ADD_USE = """
MATCH (e:Elsur {uid: $elsur})
CREATE (u:ReportOfUse)
SET u = $props, u.created_at = datetime()
CREATE (e)-[:HAS_REPORT_OF_USE]->(u)
RETURN properties(u) AS u
"""


def add_report_of_use(graph: Graph, actor: Actor, elsur_uid: str, data: dict) -> dict:
    """Append a Report of Use (date, contact, summary) to an approved ELSUR of a case the actor may change."""
    clean = load_input(ReportOfUseInput(), data)

    def work(tx):
        elsur = _readable_elsur(tx, actor, elsur_uid, write=True)
        if elsur["status"] != "approved":
            raise Conflict(f"this ELSUR is {elsur['status']}: Reports of Use follow headquarters' approval",
                           status=elsur["status"])
        uid = new_uid()
        props = {"uid": uid, "elsur_uid": elsur_uid, "date": clean["date"].isoformat(),
                 "contact": clean["contact"], "summary": clean["summary"], "created_by": actor.uid}
        out = plain(tx.run(_ADD_USE, elsur=elsur_uid, props=props).single()["u"])
        audit.record(tx, actor, "create", [uid, elsur_uid, elsur["case_uid"]], details={"type": "ReportOfUse"})
        return out

    return audit.write_or_refuse(graph, actor, "report_of_use", [elsur_uid], work)


def cite(graph: Graph, actor: Actor, roi_uid: str, data: dict) -> dict:
    """Let a Report of Investigation the actor may change cite an ELSUR of its case: refused (422, naming
    `elsur_uid`) unless headquarters approved the ELSUR."""
    clean = load_input(CiteInput(), data)

    def work(tx):
        rules.require_read(tx, actor, roi_uid, ("Document",), "document")
        rules.require_record_write(tx, actor, roi_uid)
        lock(tx, "Document", roi_uid)  # its status is read under the lock a submission takes too
        roi = tx.run("""MATCH (d:ReportOfInvestigation {uid: $uid})-[:PART_OF {status: 'active'}]->(c:Case)
                        RETURN c.uid AS case_uid, coalesce(d.status, 'draft') AS status""", uid=roi_uid).single()
        if roi is None:
            raise ValidationFailed({"roi_uid": ["only a Report of Investigation in a case cites an ELSUR"]})
        if roi["status"] not in ("draft", "returned"):
            raise Conflict(f"this Report of Investigation is {roi['status']} and read-only", status=roi["status"])
        try:
            elsur = _readable_elsur(tx, actor, clean["elsur_uid"])
        except NotFound:
            raise ValidationFailed({"elsur_uid": [f"no ELSUR {clean['elsur_uid']}"]}) from None
        if elsur["case_uid"] != roi["case_uid"]:
            raise ValidationFailed({"elsur_uid": ["the ELSUR is of another case"]})
        if elsur["status"] != "approved":
            raise ValidationFailed({"elsur_uid": [f"the ELSUR is {elsur['status']}: an ROI cites surveillance "
                                                  "only once headquarters has approved it"]})
        tx.run("""MATCH (d:ReportOfInvestigation {uid: $roi})
                  SET d.elsur_uids = coalesce(d.elsur_uids, []) +
                      CASE WHEN $elsur IN coalesce(d.elsur_uids, []) THEN [] ELSE [$elsur] END,
                      d.updated_at = datetime(), d.updated_by = $me""",
               roi=roi_uid, elsur=elsur["uid"], me=actor.uid).consume()
        audit.record(tx, actor, "update", [roi_uid, elsur["uid"]], details={"op": "cite_elsur"})
        return {"roi_uid": roi_uid, "elsur_uid": elsur["uid"]}

    return audit.write_or_refuse(graph, actor, "cite_elsur", [roi_uid], work)


_OF_CASE = """
MATCH (e:Elsur {case_uid: $case})
OPTIONAL MATCH (e)-[:HAS_REPORT_OF_USE]->(u:ReportOfUse)
WITH e, u ORDER BY u.date, u.created_at
RETURN properties(e) AS e, [x IN collect(properties(u)) WHERE x IS NOT NULL] AS uses
ORDER BY e.requested_at
"""


def elsurs_of_case(graph: Graph, actor: Actor, case_uid: str) -> list[dict]:
    """The ELSURs of a case the actor may read, oldest first, each with its Reports of Use; audited as a view."""

    def work(tx):
        rules.require_case(tx, actor, case_uid)
        out = [{**plain(r["e"]), "reports_of_use": [plain(u) for u in r["uses"]]}
               for r in tx.run(_OF_CASE, case=case_uid)]
        if out:
            audit.record(tx, actor, "view", [e["uid"] for e in out], details={"op": "elsurs_of_case"})
        return out

    return audit.write_or_refuse(graph, actor, "view_elsur", [case_uid], work)


def get_elsur(graph: Graph, actor: Actor, uid: str) -> dict:
    """An ELSUR of a case the actor may read, with its Reports of Use (oldest first); audited as a view."""

    def work(tx):
        elsur = _readable_elsur(tx, actor, uid)
        uses = [plain(r["u"]) for r in tx.run("""MATCH (:Elsur {uid: $uid})-[:HAS_REPORT_OF_USE]->(u:ReportOfUse)
                                                 RETURN properties(u) AS u ORDER BY u.date, u.created_at""", uid=uid)]
        audit.record(tx, actor, "view", [uid, elsur["case_uid"]], details={"op": "elsur"})
        return {**elsur, "reports_of_use": uses}

    return audit.write_or_refuse(graph, actor, "view_elsur", [uid], work)
