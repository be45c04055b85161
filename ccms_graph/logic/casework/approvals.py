"""Supervisor approvals: pending requests, who may decide them, the decision itself, and the approval queue.

A pending action is an `(:ApprovalRequest)` node, filed by `logic.casework.pending`. Most are decided by a
supervisor above the requester; a user's content role by the approver `logic.people.users` routes it to
(`APPROVER_CHECKS`). Subject Records are the one
exception: they are created `approval_status: 'pending'` by `logic.entities.records` and are decided on the record
node itself.
Each decision first takes the write lock on the node it decides and only then reads its state, so
two supervisors deciding the same item at the same moment cannot both succeed: the second one
waits for the first to commit, then reads the decided state and gets `Conflict`.
"""

from __future__ import annotations

from collections.abc import Callable

from marshmallow import Schema, fields, validate

from ...db import Graph
from ...errors import Conflict, Forbidden, NotFound, ValidationFailed
from ...nodes.vocabulary import caption
from ...policy import rules
from ...policy.actor import Actor
from ..common import load_input, plain, record_type_of
from ..identity import resolution
from ..oversight import audit
from ..oversight.notifications import notify
from ..people import users
from . import cases, documents, elsur, grants, workflows
from .pending import REQUEST_KINDS, lock, supervisors_of

DECISIONS = ("approved", "returned")

#: What happens to the target when a request of a kind is decided: `(tx, actor, request, decision)`.
#: Each module that files a kind of request declares its appliers beside the action they carry out.
APPLIERS: dict[str, Callable[..., None]] = {**workflows.APPLIERS, **documents.APPLIERS, **grants.APPLIERS,
                                            **cases.APPLIERS, **elsur.APPLIERS, **users.APPLIERS}
assert set(APPLIERS) == set(REQUEST_KINDS), sorted(set(REQUEST_KINDS) ^ set(APPLIERS))

#: Who may decide a request of a kind, when it is not "a supervisor above the requester" (`rules.require_approver`):
#: `(tx, actor, request)`, raising Forbidden. A user's role is decided above the user, not above the administrator.
APPROVER_CHECKS: dict[str, Callable[..., None]] = {**users.APPROVER_CHECKS, **elsur.APPROVER_CHECKS}
assert set(APPROVER_CHECKS) <= set(REQUEST_KINDS), sorted(set(APPROVER_CHECKS) - set(REQUEST_KINDS))


class DecisionInput(Schema):
    decision = fields.String(required=True, validate=validate.OneOf(DECISIONS))
    comment = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=5000))
    # A Subject Record stays editable while it waits: the version the supervisor reviewed (the queue's
    # `target_version`), so a change made meanwhile is not approved unseen.
    version = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(min=1),
                             metadata={"description": "for a subject record: the version you reviewed; "
                                                      "409 if it has changed since"})


# ---------------------------------------------------------------------------------------------
# Deciding
# ---------------------------------------------------------------------------------------------

_DECIDE = """
MATCH (r:ApprovalRequest {uid: $uid, status: 'pending'})
SET r.status = $decision, r.decided_by = $actor, r.decided_at = datetime(), r.decision_comment = $comment
RETURN properties(r) AS r
"""

_DECIDE_RECORD = """
MATCH (n:SubjectRecord {uid: $uid, approval_status: 'pending'})
SET n.approval_status = $decision, n.decided_by = $actor, n.decided_at = datetime(),
    n.decision_comment = $comment,
    n.approved_by = CASE WHEN $decision = 'approved' THEN $actor ELSE n.approved_by END,
    n.approved_at = CASE WHEN $decision = 'approved' THEN datetime() ELSE n.approved_at END
RETURN properties(n) AS n
"""


def _check_comment(decision: str, comment: str | None) -> None:
    if decision == "returned" and not (comment or "").strip():
        raise ValidationFailed({"comment": ["say what must change when you return an item"]})


def _decide_request(tx, actor: Actor, req: dict, decision: str, comment: str | None) -> dict:
    if req["kind"] in APPROVER_CHECKS:
        APPROVER_CHECKS[req["kind"]](tx, actor, req)
    else:
        rules.require_approver(actor, req["requested_by"], f"{req['kind']} request {req['uid']}")
    if req["status"] != "pending":
        raise Conflict(f"request {req['uid']} is already {req['status']}", status=req["status"])
    rec = tx.run(_DECIDE, uid=req["uid"], decision=decision, actor=actor.uid, comment=comment).single()
    if rec is None:  # cannot happen while we hold the lock; kept as a guard, never as a silent pass
        raise Conflict(f"request {req['uid']} is no longer pending")
    decided = plain(rec["r"])
    APPLIERS[req["kind"]](tx, actor, decided, decision)
    audit.record(tx, actor, "approve" if decision == "approved" else "return", [req["uid"], req["target_uid"]],
                 details={"kind": req["kind"], "comment": comment, "payload": decided.get("payload") or {}})
    notify(tx, req["requested_by"], "approval_decided", item_kind=req["kind"], item_uid=req["uid"],
           record_uid=req["target_uid"], decision=decision, comment=comment, actor_uid=actor.uid,
           actor_name=actor.name, message=f"{actor.name} {decision} your {req['kind'].replace('_', ' ')} request")
    return {"kind": req["kind"], **decided}


def _decide_record(tx, actor: Actor, node: dict, decision: str, comment: str | None,
                   version: int | None = None) -> dict:
    if node.get("deleted"):
        raise NotFound(f"no record {node['uid']}")
    rules.require_approver(actor, node.get("owner_uid"), f"subject record {node['uid']}")
    if node.get("approval_status") != "pending":
        raise Conflict(f"record {node['uid']} is {node.get('approval_status')}, not pending",
                       status=node.get("approval_status"))
    if version is not None and node.get("version") != version:
        raise Conflict(f"record {node['uid']} has changed since you reviewed it (version {node.get('version')}, "
                       f"you saw {version}); review it again", current_version=node.get("version"))
    rec = tx.run(_DECIDE_RECORD, uid=node["uid"], decision=decision, actor=actor.uid, comment=comment).single()
    if rec is None:
        raise Conflict(f"record {node['uid']} is no longer pending")
    audit.record(tx, actor, "approve" if decision == "approved" else "return", [node["uid"]],
                 details={"kind": "subject_record", "comment": comment})
    notify(tx, node["owner_uid"], "approval_decided", item_kind="subject_record", item_uid=node["uid"],
           record_uid=node["uid"], decision=decision, comment=comment, actor_uid=actor.uid,
           actor_name=actor.name, message=f"{actor.name} {decision} your subject record")
    out = plain(rec["n"])
    return {"kind": "subject_record", "status": out["approval_status"], **out}


def decide(graph: Graph, actor: Actor, item_uid: str, decision: str, comment: str | None = None,
           version: object = None) -> dict:
    """Approve or return one pending item (an ApprovalRequest uid or a Subject Record uid).

    Forbidden for anyone but a supervisor above the requester (never the requester); Conflict when
    the item is no longer pending, which is what the slower of two simultaneous deciders gets, and
    when a Subject Record is no longer at the `version` the supervisor reviewed (its owner may edit
    it while it waits).
    """
    return audit.write_or_refuse(graph, actor, "decide", [item_uid], decide_in, actor, item_uid, decision, comment,
                                 version)


def _target_case_uid(tx, req: dict) -> str | None:
    """The Linkable a request is about: its target, or for an access grant the granted case (none for a
    user's role, which is about no record)."""
    if req["kind"] in ("user_role", "elsur"):  # an ELSUR is decided at headquarters, outside the case's office
        return None
    if req["kind"] == "access_grant":
        rec = tx.run("MATCH (g:AccessGrant {uid: $u}) RETURN g.case_uid AS c", u=req["target_uid"]).single()
        return rec["c"] if rec else None
    return req["target_uid"]


def _require_item_readable(tx, actor: Actor, item_uid: str, target_uid: str | None) -> None:
    """An item about a record the actor may not read is, to them, no item at all (or a Forbidden one)."""
    if target_uid is None:
        return
    try:
        rules.require_read(tx, actor, target_uid)
    except NotFound:
        if rules.load_facts(tx, target_uid) is not None:  # hidden from this actor: so is the item
            raise NotFound(f"no approval item {item_uid}") from None


def decide_in(tx, actor: Actor, item_uid: str, decision: str, comment: str | None = None,
              version: object = None) -> dict:
    """`decide` inside a transaction the caller holds (the lock is kept until it ends)."""
    clean = load_input(DecisionInput(), {"decision": decision, "comment": comment, "version": version})
    _check_comment(clean["decision"], clean["comment"])
    req = lock(tx, "ApprovalRequest", item_uid)
    if req is not None and req.get("kind") == "merge":  # merges are carried out by identity resolution
        return resolution.decide_merge_in(tx, actor, item_uid, clean["decision"], clean["comment"])
    if req is not None:
        _require_item_readable(tx, actor, item_uid, _target_case_uid(tx, req))
        return _decide_request(tx, actor, req, clean["decision"], clean["comment"])
    node = lock(tx, "SubjectRecord", item_uid)
    if node is not None:
        rules.require_read(tx, actor, item_uid, ("SubjectRecord",), "approval item")
        return _decide_record(tx, actor, node, clean["decision"], clean["comment"], clean["version"])
    raise NotFound(f"no approval item {item_uid}")


def approve(graph: Graph, actor: Actor, item_uid: str, comment: str | None = None, version: object = None) -> dict:
    """Approve a pending item; see `decide`."""
    return decide(graph, actor, item_uid, "approved", comment, version)


def return_item(graph: Graph, actor: Actor, item_uid: str, comment: str, version: object = None) -> dict:
    """Return a pending item to its requester with a comment saying what must change; see `decide`."""
    return decide(graph, actor, item_uid, "returned", comment, version)


# ---------------------------------------------------------------------------------------------
# Subject Records: resubmission after a return
# ---------------------------------------------------------------------------------------------


def resubmit_record(graph: Graph, actor: Actor, record_uid: str) -> dict:
    """The owner sends a returned Subject Record back for approval (returned -> pending)."""

    def work(tx):
        rules.require_read(tx, actor, record_uid, ("SubjectRecord",))
        node = lock(tx, "SubjectRecord", record_uid)
        if node.get("owner_uid") != actor.uid:
            raise Forbidden("only the record's owner may resubmit it")
        if node.get("approval_status") != "returned":
            raise Conflict(f"record {record_uid} is {node.get('approval_status')}; only a returned record "
                           "is resubmitted", status=node.get("approval_status"))
        approvers = supervisors_of(tx, actor.uid)
        tx.run("""MATCH (n:SubjectRecord {uid: $uid})
                  SET n.approval_status = 'pending', n.submitted_at = datetime()""", uid=record_uid).consume()
        audit.record(tx, actor, "request", [record_uid], details={"kind": "subject_record", "op": "resubmit"})
        for sup in approvers:
            notify(tx, sup, "approval_needed", item_kind="subject_record", item_uid=record_uid,
                   record_uid=record_uid, actor_uid=actor.uid, actor_name=actor.name,
                   message=f"{actor.name} resubmitted a subject record for your approval")
        return {"uid": record_uid, "approval_status": "pending"}

    return audit.write_or_refuse(graph, actor, "resubmit", [record_uid], work)


# ---------------------------------------------------------------------------------------------
# Reading requests and the queue
# ---------------------------------------------------------------------------------------------


def get_request(graph: Graph, uid: str) -> dict:
    """One ApprovalRequest as a dict; NotFound if absent."""
    rows = graph.query("MATCH (r:ApprovalRequest {uid: $uid}) RETURN properties(r) AS r", {"uid": uid})
    if not rows:
        raise NotFound(f"no approval request {uid}")
    return plain(rows[0]["r"])


def requests_for(graph: Graph, target_uid: str) -> list[dict]:
    """Every ApprovalRequest about one target (a case, document or grant), oldest first: its history."""
    rows = graph.query("""MATCH (r:ApprovalRequest {target_uid: $t}) RETURN properties(r) AS r
                          ORDER BY r.requested_at, r.uid""", {"t": target_uid})
    return [plain(r["r"]) for r in rows]


_QUEUE = """
CALL () {
  MATCH (r:ApprovalRequest {status: 'pending'})
  // A merge touching another owner's record waits for that owner's supervisors, not the requester's;
  // a user's role waits above the user (or at headquarters), never above the administrator who asked.
  WHERE (NOT r.kind IN ['merge', 'user_role', 'elsur'] AND r.requested_by IN $subordinates)
     OR (r.kind = 'elsur' AND $headquarters AND r.requested_by <> $me)
     OR (r.kind = 'merge' AND r.target_owner_uid IN $subordinates)
     OR (r.kind = 'user_role' AND r.target_uid <> $me
         AND ((r.approval_route = 'chain' AND (r.approver_uid = $me OR r.approver_uid IN $subordinates))
              OR (r.approval_route = 'headquarters' AND $headquarters)))
  OPTIONAL MATCH (t:Linkable {uid: r.target_uid})
  RETURN r.uid AS uid, r.kind AS kind, r.target_uid AS target_uid, r.requested_by AS requested_by,
         r.requested_at AS requested_at, r.comment AS comment, r.payload AS payload,
         coalesce(t.case_number, t.title, t.case_uid, r.target_caption) AS target_caption, null AS record
  UNION ALL
  MATCH (n:SubjectRecord {approval_status: 'pending'})
  WHERE n.owner_uid IN $subordinates AND coalesce(n.deleted, false) = false
  RETURN n.uid AS uid, 'subject_record' AS kind, n.uid AS target_uid, n.owner_uid AS requested_by,
         coalesce(n.submitted_at, n.created_at) AS requested_at, null AS comment, null AS payload,
         null AS target_caption, n AS record
}
RETURN uid, kind, target_uid, requested_by, requested_at, comment, payload, target_caption, record
ORDER BY requested_at ASC, uid ASC
"""


def _queue_item(row) -> dict:
    """One queue row; a pending record is captioned by its type's caption fields (never its search text,
    which holds every field value, identifiers included)."""
    item = plain({k: row[k] for k in row.keys() if k != "record"})
    if row["record"] is not None:
        item["target_caption"] = caption(record_type_of(row["record"].labels), dict(row["record"]))
        item["target_version"] = row["record"].get("version")
    return item


def approval_queue(graph: Graph, supervisor: Actor) -> list[dict]:
    """The supervisor's subordinates' pending items of every kind, and the user roles routed to them
    (see `logic.people.users`), oldest first; audited as a view."""
    if supervisor.role not in rules.WRITERS or not (supervisor.subordinates or supervisor.role == "supervisor"):
        return []

    def work(tx):
        headquarters = users.at_headquarters(tx, supervisor)
        if not supervisor.subordinates and not headquarters:
            return []
        items = [_queue_item(r) for r in tx.run(_QUEUE, subordinates=list(supervisor.subordinates),
                                                me=supervisor.uid, headquarters=headquarters)]
        shown = [i["uid"] for i in items] + [i["target_uid"] for i in items if i["target_uid"]]
        audit.record(tx, supervisor, "view", list(dict.fromkeys(shown)),
                     details={"op": "approval_queue", "count": len(items)})
        return items

    return graph.write(work)
