"""The case lifecycle: open, refer, close, reopen and combine, each requested and then approved by a supervisor.

States (nodes/vocabulary.CASE_STATUSES): requested -> open -> referred -> closed -> open (reopened);
a combined case ends as `combined`. A request records the wish; nothing about the case changes
until a supervisor above the requester approves it. The state is checked twice, when the request
is filed and again when it is approved, under the case's write lock.

"Opening and closing of case files are documented in a Report of Investigation and approved by the
supervisor" (CBP CCMS PIA, Overview): a request to open or close names the ROI (`roi_uid`, one in the
case) that documents it. A draft or returned ROI is submitted with the request, and the supervisor's
one decision settles both: approved, the case changes and the ROI is approved; returned, the case stays
and the ROI comes back to its author to revise. An ROI a supervisor approved already may be named too.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from marshmallow import Schema, fields, validate

from ...db import Graph
from ...errors import Conflict, Forbidden, NotFound, ValidationFailed
from ...nodes.vocabulary import CLOSE_REASONS
from ...policy import rules
from ...policy.actor import Actor
from ..common import load_input, plain
from ..oversight import audit
from . import documents
from .pending import file_request, lock

#: action name -> (approval kind, statuses the case may be in, status once approved)
TRANSITIONS: dict[str, tuple[str, tuple[str, ...], str]] = {
    "open": ("case_open", ("requested",), "open"),
    "refer": ("case_refer", ("open",), "referred"),
    "close": ("case_close", ("open", "referred"), "closed"),
    "reopen": ("case_reopen", ("closed",), "open"),
    "combine": ("case_combine", ("open", "referred"), "open"),
}
CASE_KINDS = tuple(kind for kind, _, _ in TRANSITIONS.values())
#: A case absorbed by a combination may be in any state but closed or combined.
COMBINABLE = ("requested", "open", "referred")
#: Reasons a user may give to close a case; "combined" is set only by a combination.
USER_CLOSE_REASONS = tuple(r for r in CLOSE_REASONS if r != "combined")


class _Comment(Schema):
    comment = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=5000))


#: Case actions documented in a Report of Investigation the supervisor approves with them.
ROI_ACTIONS = ("open", "close")


def _roi_field() -> fields.String:
    # Not `required` here: a missing ROI is reported after the policy has answered (`_require_roi`).
    return fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=64))


def _require_roi(action: str, roi_uid: str | None) -> str:
    if not roi_uid:
        raise ValidationFailed({"roi_uid": [
            f"{'opening' if action == 'open' else 'closing'} a case is documented in a Report of Investigation: "
            "name the case's ROI (roi_uid) that your supervisor approves with the request"]})
    return roi_uid


class OpenInput(_Comment):
    roi_uid = _roi_field()


class ReferInput(_Comment):
    referred_to = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=300))


class CloseInput(_Comment):
    reason = fields.String(required=True, validate=validate.OneOf(USER_CLOSE_REASONS))
    roi_uid = _roi_field()


class ReopenInput(Schema):
    # Reopening needs new information; say what it is.
    comment = fields.String(required=True, validate=validate.Length(min=3, max=5000))


class CombineInput(_Comment):
    other_case_uid = fields.String(required=True, validate=validate.Length(min=1, max=64))


INPUTS: dict[str, type[Schema]] = {"open": OpenInput, "refer": ReferInput, "close": CloseInput,
                                   "reopen": ReopenInput, "combine": CombineInput}


def _case(tx, uid: str) -> dict:
    case = lock(tx, "Case", uid)
    if case is None:
        raise NotFound(f"no case {uid}")
    return case


_DONE = {"open": "opened", "refer": "referred", "close": "closed", "reopen": "reopened", "combine": "combined",
         "review": "reviewed"}


_ROI_IN_CASE = """
MATCH (d:ReportOfInvestigation {uid: $roi})-[:PART_OF {status: 'active'}]->(:Case {uid: $case})
WHERE coalesce(d.deleted, false) = false
RETURN d.uid AS uid
"""

_SUBMIT_WITH = """
MATCH (d:ReportOfInvestigation {uid: $roi})
SET d.status = 'submitted', d.submitted_at = datetime(), d.updated_at = datetime(), d.submitted_with = $action
"""


def _attach_roi(tx, actor: Actor, case_uid: str, roi_uid: str, action: str) -> dict:
    """Check the ROI that documents opening or closing the case, and submit it with the request when it is
    the author's draft (or returned); what the request's payload keeps of it."""
    rules.require_read(tx, actor, roi_uid, ("Document",), "document")  # another's draft: as missing
    doc = lock(tx, "Document", roi_uid)
    if doc is None or tx.run(_ROI_IN_CASE, roi=roi_uid, case=case_uid).single() is None:
        raise ValidationFailed({"roi_uid": [f"{roi_uid} is not a Report of Investigation in this case"]})
    status = doc.get("status") or "draft"
    if status == "approved":
        if doc.get("documents_action"):
            raise ValidationFailed({"roi_uid": [f"this ROI documents the case's {doc['documents_action']} "
                                                "already; write a new one"]})
        return {"roi_uid": roi_uid, "roi_submitted": False}
    if status not in documents.EDITABLE_ROI:
        raise ValidationFailed({"roi_uid": [f"this ROI is {status}: it waits for a supervisor already"]})
    if (doc.get("author_uid") or doc.get("owner_uid")) != actor.uid:
        raise Forbidden("only the ROI's author submits it with the request")
    tx.run(_SUBMIT_WITH, roi=roi_uid, action=action).consume()
    return {"roi_uid": roi_uid, "roi_submitted": True}


def _settle_roi(tx, actor: Actor, request: dict, action: str, decision: str) -> None:
    """The ROI named by an open or close request follows the supervisor's decision on it."""
    payload = request.get("payload") or {}
    roi = payload.get("roi_uid")
    if not roi:
        return
    if payload.get("roi_submitted"):
        documents.APPLIERS["roi"](tx, actor, {**request, "target_uid": roi}, decision)
    if decision == "approved":
        tx.run("MATCH (d:ReportOfInvestigation {uid: $roi}) SET d.documents_action = $action, d.case_request = $req",
               roi=roi, action=action, req=request["uid"]).consume()


def _require_status(case: dict, allowed: tuple[str, ...], action: str) -> None:
    if case.get("status") not in allowed:
        raise Conflict(f"case {case.get('case_number')} is {case.get('status')}; it cannot be {_DONE[action]} "
                       f"(only from {', '.join(allowed)})", status=case.get("status"))


def request_case_action(graph: Graph, actor: Actor, case_uid: str, action: str, data: dict | None = None) -> dict:
    """File a request to open, refer, close, reopen or combine a case; returns the pending ApprovalRequest.

    `data` per action: open {roi_uid, comment}; close {reason, roi_uid, comment}; reopen {comment: the new
    information}; refer
    {referred_to, comment}; combine {other_case_uid, comment} (the other case is absorbed into this one).
    Forbidden unless the actor may write the case (both cases, to combine); Conflict when the case is
    in the wrong state or a case request for it is already pending.
    """
    if action not in TRANSITIONS:
        raise ValidationFailed({"action": [f"one of {', '.join(TRANSITIONS)}"]})
    kind, allowed, _ = TRANSITIONS[action]
    clean = load_input(INPUTS[action](), data or {})
    other = clean.get("other_case_uid")
    if other == case_uid:
        raise ValidationFailed({"other_case_uid": ["a case cannot be combined with itself"]})

    def work(tx):
        rules.require_read(tx, actor, case_uid, ("Case",), "case")
        rules.require_case_write(tx, actor, case_uid)
        case = _case(tx, case_uid)
        _require_status(case, allowed, action)
        if other:
            rules.require_read(tx, actor, other, ("Case",), "case")
            rules.require_case_write(tx, actor, other)
            _require_status(_case(tx, other), COMBINABLE, action)
        payload = {k: v for k, v in clean.items() if k != "comment" and v is not None}
        payload["case_number"] = case.get("case_number")
        if action in ROI_ACTIONS:
            payload.update(_attach_roi(tx, actor, case_uid, _require_roi(action, clean["roi_uid"]), action))
        return file_request(tx, actor, kind, case_uid, payload=payload, comment=clean.get("comment"),
                            exclusive_kinds=CASE_KINDS, related_uid=other)

    return audit.write_or_refuse(graph, actor, f"request_{action}", [case_uid, other], work)


# ---------------------------------------------------------------------------------------------
# What an approval does to the case
# ---------------------------------------------------------------------------------------------

_SET_STATUS = {
    "open": """MATCH (c:Case {uid: $uid})
               SET c.status = 'open', c.opened_at = coalesce(c.opened_at, datetime()), c.approval_status = 'approved',
                   c.approved_by = $actor, c.reopened_at = CASE WHEN c.closed_at IS NULL THEN c.reopened_at
                                                               ELSE datetime() END,
                   c.closed_at = null, c.close_reason = null, c.last_activity_at = datetime(),
                   c.updated_at = datetime(), c.updated_by = $actor""",
    "refer": """MATCH (c:Case {uid: $uid})
                SET c.status = 'referred', c.referred_at = datetime(), c.referred_to = $p.referred_to,
                    c.last_activity_at = datetime(), c.updated_at = datetime(), c.updated_by = $actor""",
    "close": """MATCH (c:Case {uid: $uid})
                SET c.status = 'closed', c.closed_at = datetime(), c.close_reason = $p.reason, c.closed_by = $actor,
                    c.last_activity_at = datetime(), c.updated_at = datetime(), c.updated_by = $actor""",
}
_SET_STATUS["reopen"] = _SET_STATUS["open"]


def _approved_transition(action: str):
    _, allowed, _ = TRANSITIONS[action]

    def apply(tx, actor: Actor, request: dict, decision: str) -> None:
        if action in ROI_ACTIONS:
            _settle_roi(tx, actor, request, action, decision)
        if decision != "approved":
            return  # a returned request leaves the case as it is
        case = _case(tx, request["target_uid"])
        _require_status(case, allowed, action)
        tx.run(_SET_STATUS[action], uid=case["uid"], actor=actor.uid, p=request.get("payload") or {}).consume()

    return apply


_MOVE_SUBJECTS = """
MATCH (s:SubjectRecord)-[r:SUBJECT_IN {status: 'active'}]->(:Case {uid: $from})
MATCH (keep:Case {uid: $to})
SET r.status = 'retired', r.retired_at = datetime(), r.retired_by = $actor, r.retired_reason = $why
WITH s, r, keep
CALL (s, r, keep) {
  WITH s, r, keep WHERE NOT EXISTS { (s)-[:SUBJECT_IN {status: 'active'}]->(keep) }
  CREATE (s)-[n:SUBJECT_IN {uid: randomUUID(), created_at: datetime(), created_by: $actor, source: 'combine',
                            status: 'active', reason: $why, combined_from: $from}]->(keep)
  SET n.role = r.role
}
RETURN collect(DISTINCT s.uid) AS uids
"""

_MOVE_DOCUMENTS = """
MATCH (d:Document)-[r:PART_OF {status: 'active'}]->(:Case {uid: $from})
MATCH (keep:Case {uid: $to})
SET r.status = 'retired', r.retired_at = datetime(), r.retired_by = $actor, r.retired_reason = $why
CREATE (d)-[:PART_OF {uid: randomUUID(), created_at: datetime(), created_by: $actor, source: 'combine',
                      status: 'active', reason: $why, combined_from: $from}]->(keep)
RETURN collect(DISTINCT d.uid) AS uids
"""

_CLOSE_COMBINED = """
MATCH (old:Case {uid: $from}) MATCH (keep:Case {uid: $to})
SET old.status = 'combined', old.close_reason = 'combined', old.combined_into = keep.uid,
    old.closed_at = datetime(), old.closed_by = $actor, old.updated_at = datetime(), old.updated_by = $actor,
    old.last_activity_at = datetime(),
    keep.team_uids = reduce(t = coalesce(keep.team_uids, []), u IN coalesce(old.team_uids, []) |
                            CASE WHEN u IN t THEN t ELSE t + u END),
    keep.last_activity_at = datetime(), keep.updated_at = datetime(), keep.updated_by = $actor
"""  # the kept case's team gains the absorbed team, so they can still write the documents they moved


def _apply_combine(tx, actor: Actor, request: dict, decision: str) -> None:
    if decision != "approved":
        return
    keep = _case(tx, request["target_uid"])
    _require_status(keep, TRANSITIONS["combine"][1], "combine")
    other = _case(tx, request["related_uid"])
    _require_status(other, COMBINABLE, "combine")
    why = f"case {other.get('case_number')} combined into {keep.get('case_number')}"
    params = {"from": other["uid"], "to": keep["uid"], "actor": actor.uid, "why": why}
    subjects = tx.run(_MOVE_SUBJECTS, **params).single()["uids"]
    documents = tx.run(_MOVE_DOCUMENTS, **params).single()["uids"]
    tx.run(_CLOSE_COMBINED, **params).consume()
    audit.record(tx, actor, "update", [keep["uid"], other["uid"]],
                 details={"op": "combine", "subjects_moved": subjects, "documents_moved": documents})


#: What a decided request of each kind carries out: `(tx, actor, request, decision)`, called by `approvals`.
APPLIERS = {
    **{TRANSITIONS[action][0]: _approved_transition(action) for action in ("open", "refer", "close", "reopen")},
    "case_combine": _apply_combine,
}


# ---------------------------------------------------------------------------------------------
# Review lists
# ---------------------------------------------------------------------------------------------

ACTIVE_STATUSES = ("open", "referred")

_INACTIVE = """
MATCH (c:Case) WHERE c.status IN $active AND ($owners IS NULL OR c.owner_uid IN $owners)
  AND c.last_activity_at < datetime($now) - duration({months: 6})
RETURN properties(c) AS c ORDER BY c.last_activity_at ASC, c.case_number ASC
"""

_REVIEW_DUE = """
MATCH (c:Case) WHERE c.status IN $active AND ($owners IS NULL OR c.owner_uid IN $owners)
WITH c, coalesce(c.last_reviewed_at, c.opened_at, c.created_at) AS since
WHERE since < datetime($now) - duration({months: 3})
RETURN properties(c) AS c ORDER BY since ASC, c.case_number ASC
"""


def as_of(today: date | datetime | None) -> str:
    """An ISO instant for Cypher's datetime(): now, a given datetime, or midnight UTC of a given day."""
    if today is None:
        return datetime.now(UTC).isoformat()
    if isinstance(today, datetime):
        return today.astimezone(UTC).isoformat()
    return datetime(today.year, today.month, today.day, tzinfo=UTC).isoformat()


def _owners(actor: Actor | None) -> list[str] | None:
    """None (every case) for the system; else the actor's own cases and their subordinates'."""
    if actor is None or actor.role == "system":
        return None
    return [actor.uid, *actor.subordinates]


def inactive_cases(graph: Graph, actor: Actor | None = None, today: date | datetime | None = None) -> list[dict]:
    """Open or referred cases with no activity for six months (closure candidates), stalest first."""
    rows = graph.query(_INACTIVE, {"active": list(ACTIVE_STATUSES), "owners": _owners(actor),
                                   "now": as_of(today)})
    return [plain(r["c"]) for r in rows]


def review_due_cases(graph: Graph, actor: Actor | None = None, today: date | datetime | None = None) -> list[dict]:
    """Open or referred cases opened or last reviewed more than three months ago (quarterly review)."""
    rows = graph.query(_REVIEW_DUE, {"active": list(ACTIVE_STATUSES), "owners": _owners(actor),
                                     "now": as_of(today)})
    return [plain(r["c"]) for r in rows]


class ReviewInput(Schema):
    note = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=5000))


def record_review(graph: Graph, actor: Actor, case_uid: str, note: str | None = None) -> dict:
    """Record the quarterly review of a case by its agent or supervisor (sets last_reviewed_at)."""
    clean = load_input(ReviewInput(), {"note": note})

    def work(tx):
        rules.require_read(tx, actor, case_uid, ("Case",), "case")
        rules.require_case_write(tx, actor, case_uid)
        case = _case(tx, case_uid)
        _require_status(case, ACTIVE_STATUSES, "review")
        rec = tx.run("""MATCH (c:Case {uid: $uid})
                        SET c.last_reviewed_at = datetime(), c.last_reviewed_by = $actor, c.last_review_note = $note
                        RETURN properties(c) AS c""", uid=case_uid, actor=actor.uid, note=clean["note"]).single()
        audit.record(tx, actor, "update", [case_uid], details={"op": "quarterly_review", "note": clean["note"]})
        return plain(rec["c"])

    return audit.write_or_refuse(graph, actor, "review", [case_uid], work)
