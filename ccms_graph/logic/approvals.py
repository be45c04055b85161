"""Supervisor approvals: pending requests, who may decide them, the decision itself, and the approval queue.

A pending action is an `(:ApprovalRequest)` node. Subject Records are the one exception: they are
created `approval_status: 'pending'` by `logic.records` and are decided on the record node itself.
Each decision first takes the write lock on the node it decides and only then reads its state, so
two supervisors deciding the same item at the same moment cannot both succeed: the second one
waits for the first to commit, then reads the decided state and gets `Conflict`.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from marshmallow import Schema, ValidationError, fields, validate

from ..errors import Conflict, Forbidden, NotFound, ValidationFailed
from ..nodes.vocabulary import caption
from ..policy import rules
from ..policy.actor import Actor
from . import audit
from .notifications import notify
from .records import new_uid, record_type_of

#: Every kind of ApprovalRequest, declared once. "subject_record" items live on the record itself.
REQUEST_KINDS = ("case_open", "case_refer", "case_close", "case_reopen", "case_combine", "roi", "access_grant")
DECISIONS = ("approved", "returned")

#: What happens to the target when a request of a kind is decided: `(tx, actor, request, decision)`.
#: The owning modules (workflows, documents, grants) register their appliers on import.
APPLIERS: dict[str, Callable[..., None]] = {}


def applies(kind: str):
    """Decorator: register the function that carries out a decided request of `kind`."""
    assert kind in REQUEST_KINDS, kind

    def deco(fn):
        APPLIERS[kind] = fn
        return fn

    return deco


def _ensure_appliers() -> None:
    from . import documents, grants, workflows  # noqa: F401  (importing registers the appliers)


def load_input(schema: Schema, data: object) -> dict:
    """Validate `data` with a marshmallow schema; ValidationFailed names each bad field."""
    if not isinstance(data, dict):
        raise ValidationFailed({"_schema": ["expected an object"]})
    try:
        return schema.load(data)
    except ValidationError as exc:
        raise ValidationFailed(exc.normalized_messages()) from None


def plain(props: dict) -> dict:
    """Node properties with Neo4j temporals as ISO strings and the JSON payload decoded."""
    out = dict(props)
    for k, v in list(out.items()):
        if hasattr(v, "iso_format"):
            out[k] = v.iso_format()
    if isinstance(out.get("payload"), str):
        out["payload"] = json.loads(out["payload"])
    return out


class DecisionInput(Schema):
    decision = fields.String(required=True, validate=validate.OneOf(DECISIONS))
    comment = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=5000))


# ---------------------------------------------------------------------------------------------
# Locks and approvers
# ---------------------------------------------------------------------------------------------

#: Labels a lock may be taken on (an allow-list: labels are never built from input).
_LOCKABLE = ("ApprovalRequest", "Case", "SubjectRecord", "Document", "AccessGrant")


def lock(tx, label: str, uid: str) -> dict | None:
    """Take the write lock on one node, then read it afresh; None if it does not exist.

    Neo4j evaluates a WHERE before it waits for a lock, so a check-then-set in one statement can
    lose an update. Setting (and removing) a throwaway property takes the lock, which is held until
    the transaction ends; the second statement then reads what the previous holder committed.
    """
    if label not in _LOCKABLE:
        raise ValueError(f"not a lockable label: {label!r}")
    tx.run(f"MATCH (n:{label} {{uid: $uid}}) SET n._lock = true REMOVE n._lock", uid=uid).consume()
    rec = tx.run(f"MATCH (n:{label} {{uid: $uid}}) RETURN properties(n) AS p, labels(n) AS labels",
                 uid=uid).single()
    if rec is None:
        return None
    return {**rec["p"], "_labels": rec["labels"]}


# ---------------------------------------------------------------------------------------------
# Read access first: a hidden record answers NotFound, a known one Forbidden, and every denial is audited
# ---------------------------------------------------------------------------------------------


def require_readable(tx, actor: Actor, uid: str, kinds: tuple[str, ...] = (), what: str = "record") -> dict:
    """The policy's read check (`rules.require_read`), named as the workflow modules call it."""
    return rules.require_read(tx, actor, uid, kinds, what)


#: Kept here for the modules that import it from approvals; it lives with the audit log.
write_or_refuse = audit.write_or_refuse


def supervisors_of(tx, user_uid: str) -> list[str]:
    """The user's direct supervisor(s): the first people who may approve their requests."""
    return [r["uid"] for r in tx.run("MATCH (:User {uid: $u})-[:REPORTS_TO]->(s:User) RETURN s.uid AS uid",
                                     u=user_uid)]


# ---------------------------------------------------------------------------------------------
# Who may decide
# ---------------------------------------------------------------------------------------------


#: The approval rule lives in the policy module; kept here for callers that import it from approvals.
require_approver = rules.require_approver


# ---------------------------------------------------------------------------------------------
# Filing a request
# ---------------------------------------------------------------------------------------------

_PENDING_FOR = """
MATCH (r:ApprovalRequest {status: 'pending'})
WHERE r.kind IN $kinds AND (r.target_uid IN $targets OR r.related_uid IN $targets)
RETURN r.uid AS uid, r.kind AS kind, r.target_uid AS target LIMIT 1
"""

_FILE = """
MERGE (r:ApprovalRequest {uid: $uid})
ON CREATE SET r.kind = $kind, r.target_uid = $target, r.requested_by = $actor, r.requested_at = datetime(),
              r.status = 'pending', r.comment = $comment, r.payload = $payload, r.related_uid = $related
RETURN properties(r) AS r
"""


def file_request(tx, actor: Actor, kind: str, target_uid: str, *, payload: dict | None = None,
                 comment: str | None = None, exclusive_kinds: tuple[str, ...] | None = None,
                 related_uid: str | None = None, uid: str | None = None) -> dict:
    """Create a pending ApprovalRequest in `tx`, audit it and tell the requester's supervisor(s).

    Refuses (Conflict) while a pending request of one of `exclusive_kinds` (default: this kind)
    already exists for the target or `related_uid` (the second case of a combination), and when
    the requester has no supervisor to approve it.
    The caller has already locked the target, so two concurrent filings cannot both pass.
    """
    if kind not in REQUEST_KINDS:
        raise ValueError(f"undeclared approval kind {kind!r}")
    targets = [t for t in (target_uid, related_uid) if t]
    existing = tx.run(_PENDING_FOR, targets=targets, kinds=list(exclusive_kinds or (kind,))).single()
    if existing:
        raise Conflict(f"a {existing['kind']} request for {existing['target']} is already pending",
                       request_uid=existing["uid"])
    approvers = supervisors_of(tx, actor.uid)
    if not approvers:
        raise Conflict("you have no supervisor who could approve this request")
    rec = tx.run(_FILE, uid=uid or new_uid(), kind=kind, target=target_uid, actor=actor.uid, comment=comment,
                 payload=json.dumps(payload or {}, sort_keys=True), related=related_uid).single()
    req = plain(rec["r"])
    audit.record(tx, actor, "request", [req["uid"], target_uid], details={"kind": kind, "payload": payload or {}})
    for sup in approvers:
        notify(tx, sup, "approval_needed", item_kind=kind, item_uid=req["uid"], record_uid=target_uid,
               actor_uid=actor.uid, actor_name=actor.name,
               message=f"{actor.name} asks for your approval: {kind.replace('_', ' ')}")
    return req


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
    require_approver(actor, req["requested_by"], f"{req['kind']} request {req['uid']}")
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


def _decide_record(tx, actor: Actor, node: dict, decision: str, comment: str | None) -> dict:
    if node.get("deleted"):
        raise NotFound(f"no record {node['uid']}")
    require_approver(actor, node.get("owner_uid"), f"subject record {node['uid']}")
    if node.get("approval_status") != "pending":
        raise Conflict(f"record {node['uid']} is {node.get('approval_status')}, not pending",
                       status=node.get("approval_status"))
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


def decide(graph, actor: Actor, item_uid: str, decision: str, comment: str | None = None) -> dict:
    """Approve or return one pending item (an ApprovalRequest uid or a Subject Record uid).

    Forbidden for anyone but a supervisor above the requester (never the requester); Conflict when
    the item is no longer pending, which is what the slower of two simultaneous deciders gets.
    """
    return write_or_refuse(graph, actor, "decide", [item_uid], decide_in, actor, item_uid, decision, comment)


def _target_case_uid(tx, req: dict) -> str | None:
    """The Linkable a request is about: its target, or for an access grant the granted case."""
    if req["kind"] == "access_grant":
        rec = tx.run("MATCH (g:AccessGrant {uid: $u}) RETURN g.case_uid AS c", u=req["target_uid"]).single()
        return rec["c"] if rec else None
    return req["target_uid"]


def _require_item_readable(tx, actor: Actor, item_uid: str, target_uid: str | None) -> None:
    """An item about a record the actor may not read is, to them, no item at all (or a Forbidden one)."""
    if target_uid is None:
        return
    try:
        require_readable(tx, actor, target_uid)
    except NotFound:
        if rules.load_facts(tx, target_uid) is not None:  # hidden from this actor: so is the item
            raise NotFound(f"no approval item {item_uid}") from None


def decide_in(tx, actor: Actor, item_uid: str, decision: str, comment: str | None = None) -> dict:
    """`decide` inside a transaction the caller holds (the lock is kept until it ends)."""
    clean = load_input(DecisionInput(), {"decision": decision, "comment": comment})
    _check_comment(clean["decision"], clean["comment"])
    _ensure_appliers()
    req = lock(tx, "ApprovalRequest", item_uid)
    if req is not None and req.get("kind") == "merge":
        from .resolution import decide_merge_in  # merges are carried out by identity resolution

        return decide_merge_in(tx, actor, item_uid, clean["decision"], clean["comment"])
    if req is not None:
        _require_item_readable(tx, actor, item_uid, _target_case_uid(tx, req))
        return _decide_request(tx, actor, req, clean["decision"], clean["comment"])
    node = lock(tx, "SubjectRecord", item_uid)
    if node is not None:
        require_readable(tx, actor, item_uid, ("SubjectRecord",), "approval item")
        return _decide_record(tx, actor, node, clean["decision"], clean["comment"])
    raise NotFound(f"no approval item {item_uid}")


def approve(graph, actor: Actor, item_uid: str, comment: str | None = None) -> dict:
    """Approve a pending item; see `decide`."""
    return decide(graph, actor, item_uid, "approved", comment)


def return_item(graph, actor: Actor, item_uid: str, comment: str) -> dict:
    """Return a pending item to its requester with a comment saying what must change; see `decide`."""
    return decide(graph, actor, item_uid, "returned", comment)


# ---------------------------------------------------------------------------------------------
# Subject Records: resubmission after a return
# ---------------------------------------------------------------------------------------------


def resubmit_record(graph, actor: Actor, record_uid: str) -> dict:
    """The owner sends a returned Subject Record back for approval (returned -> pending)."""

    def work(tx):
        require_readable(tx, actor, record_uid, ("SubjectRecord",))
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

    return write_or_refuse(graph, actor, "resubmit", [record_uid], work)


# ---------------------------------------------------------------------------------------------
# Reading requests and the queue
# ---------------------------------------------------------------------------------------------


def get_request(graph, uid: str) -> dict:
    """One ApprovalRequest as a dict; NotFound if absent."""
    rows = graph.query("MATCH (r:ApprovalRequest {uid: $uid}) RETURN properties(r) AS r", {"uid": uid})
    if not rows:
        raise NotFound(f"no approval request {uid}")
    return plain(rows[0]["r"])


def requests_for(graph, target_uid: str) -> list[dict]:
    """Every ApprovalRequest about one target (a case, document or grant), oldest first: its history."""
    rows = graph.query("""MATCH (r:ApprovalRequest {target_uid: $t}) RETURN properties(r) AS r
                          ORDER BY r.requested_at, r.uid""", {"t": target_uid})
    return [plain(r["r"]) for r in rows]


_QUEUE = """
CALL () {
  MATCH (r:ApprovalRequest {status: 'pending'})
  // A merge touching another owner's record waits for that owner's supervisors, not the requester's.
  WHERE (r.kind <> 'merge' AND r.requested_by IN $subordinates)
     OR (r.kind = 'merge' AND r.target_owner_uid IN $subordinates)
  OPTIONAL MATCH (t:Linkable {uid: r.target_uid})
  RETURN r.uid AS uid, r.kind AS kind, r.target_uid AS target_uid, r.requested_by AS requested_by,
         r.requested_at AS requested_at, r.comment AS comment, r.payload AS payload,
         coalesce(t.case_number, t.title, t.case_uid) AS target_caption, null AS record
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
    return item


def approval_queue(graph, supervisor: Actor) -> list[dict]:
    """The supervisor's subordinates' pending items of every kind, oldest first; audited as a view."""
    if not supervisor.subordinates or supervisor.role in rules.NON_WRITERS:
        return []

    def work(tx):
        items = [_queue_item(r) for r in tx.run(_QUEUE, subordinates=list(supervisor.subordinates))]
        shown = [i["uid"] for i in items] + [i["target_uid"] for i in items if i["target_uid"]]
        audit.record(tx, supervisor, "view", list(dict.fromkeys(shown)),
                     details={"op": "approval_queue", "count": len(items)})
        return items

    return graph.write(work)
