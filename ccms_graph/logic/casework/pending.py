"""Pending requests for a supervisor's approval: filing one, and the lock every decision takes first.

A pending action is an `(:ApprovalRequest)` node, filed here by the module that owns the action
(workflows, documents, grants, and `logic.people.users` for content roles) and decided by
`logic.casework.approvals`, which carries out the action through that module's appliers.
"""

from __future__ import annotations

import json

from ...errors import Conflict
from ...policy.actor import Actor
from ..common import new_uid, plain
from ..oversight import audit
from ..oversight.notifications import notify

#: Every kind of ApprovalRequest, declared once. "subject_record" items live on the record itself,
#: and "merge" requests are filed and carried out by identity resolution. "user_role" is an
#: administrator's request to create an account with a content role, or to give a user one. "elsur" is an
#: agent's request to conduct electronic surveillance, decided at headquarters (`elsur`).
REQUEST_KINDS = ("case_open", "case_refer", "case_close", "case_reopen", "case_combine", "case_restrict", "roi",
                 "document", "access_grant", "user_role", "elsur")


#: Labels a lock may be taken on (an allow-list: labels are never built from input).
_LOCKABLE = ("ApprovalRequest", "Case", "SubjectRecord", "Document", "AccessGrant", "User", "PendingUser",
             "Linkable")


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


def supervisors_of(tx, user_uid: str) -> list[str]:
    """The user's direct supervisor(s): the first people who may approve their requests."""
    return [r["uid"] for r in tx.run("MATCH (:User {uid: $u})-[:REPORTS_TO]->(s:User) RETURN s.uid AS uid",
                                     u=user_uid)]


_PENDING_FOR = """
MATCH (r:ApprovalRequest {status: 'pending'})
WHERE r.kind IN $kinds AND (r.target_uid IN $targets OR r.related_uid IN $targets)
RETURN r.uid AS uid, r.kind AS kind, r.target_uid AS target LIMIT 1
"""

_FILE = """
MERGE (r:ApprovalRequest {uid: $uid})
ON CREATE SET r += $extra,
              r.kind = $kind, r.target_uid = $target, r.requested_by = $actor, r.requested_at = datetime(),
              r.status = 'pending', r.comment = $comment, r.payload = $payload, r.related_uid = $related
RETURN properties(r) AS r
"""


def file_request(tx, actor: Actor, kind: str, target_uid: str, *, payload: dict | None = None,
                 comment: str | None = None, exclusive_kinds: tuple[str, ...] | None = None,
                 related_uid: str | None = None, uid: str | None = None,
                 approvers: list[str] | None = None, extra: dict | None = None) -> dict:
    """Create a pending ApprovalRequest in `tx`, audit it and tell the requester's supervisor(s).

    Refuses (Conflict) while a pending request of one of `exclusive_kinds` (default: this kind)
    already exists for the target or `related_uid` (the second case of a combination), and when
    the requester has no supervisor to approve it.
    `approvers` names whom to tell instead, for a kind that is not decided up the requester's chain
    (a user's role: see `logic.people.users`); `extra` holds plain properties that kind routes by.
    The caller has already locked the target, so two concurrent filings cannot both pass.
    """
    if kind not in REQUEST_KINDS:
        raise ValueError(f"undeclared approval kind {kind!r}")
    targets = [t for t in (target_uid, related_uid) if t]
    existing = tx.run(_PENDING_FOR, targets=targets, kinds=list(exclusive_kinds or (kind,))).single()
    if existing:
        raise Conflict(f"a {existing['kind']} request for {existing['target']} is already pending",
                       request_uid=existing["uid"])
    if approvers is None:
        approvers = supervisors_of(tx, actor.uid)
    if not approvers:
        raise Conflict("you have no supervisor who could approve this request")
    rec = tx.run(_FILE, uid=uid or new_uid(), kind=kind, target=target_uid, actor=actor.uid, comment=comment,
                 payload=json.dumps(payload or {}, sort_keys=True), related=related_uid,
                 extra=extra or {}).single()
    req = plain(rec["r"])
    audit.record(tx, actor, "request", [req["uid"], target_uid], details={"kind": kind, "payload": payload or {}})
    for sup in approvers:
        notify(tx, sup, "approval_needed", item_kind=kind, item_uid=req["uid"], record_uid=target_uid,
               actor_uid=actor.uid, actor_name=actor.name,
               message=f"{actor.name} asks for your approval: {kind.replace('_', ' ')}")
    return req
