"""The load-and-check entry points every use case shares, each auditing its own refusals.

`guard` is the training guard: an actor whose training has lapsed uses nothing. `check_record` loads
one record under the read policy; a refusal writes its "deny" entry and tells the owner, in the
caller's transaction, and answers NotFound (the record is missing, or its very existence is hidden)
or Forbidden, by the rule in `policy.scopes`.
"""

from __future__ import annotations

from ...db import Graph
from ...errors import DomainError, NotFound
from ...policy import scopes
from ...policy.actor import Actor
from ...policy.rules import actor_params, refusal, require_active, require_writer
from ..common import record_type_of
from . import audit, notifications


def guard(graph: Graph, actor: Actor, op: str, targets=(), **details) -> None:
    """The training guard, with the refusal audited."""
    try:
        require_active(actor)
    except DomainError as exc:
        raise audit.refuse(graph, actor, exc, op, targets, **details) from None


def writer_guard(graph: Graph, actor: Actor, op: str, targets=(), **details) -> None:
    """The write guard (roles that change no case content: auditor, administrator, attorney; lapsed
    training), with the refusal audited."""
    try:
        require_writer(actor)
    except DomainError as exc:
        raise audit.refuse(graph, actor, exc, op, [t for t in targets if t], **details) from None


def _center(any_kind: bool) -> str:
    """The policy's verdict on one record. A case, subject record or document is checked by its kind's rule
    (`scopes.content_readable`); only a check that may meet a selector (`any_kind`) carries the selector
    rule's dozen subqueries, which took Neo4j a second more to plan."""
    readable = scopes.record_readable("n") if any_kind else scopes.content_readable("n")
    kinds = "" if any_kind else f"WHERE {scopes.is_record('n')}"
    return f"""
MATCH (n:Linkable {{uid: $uid}})
{kinds}
WITH n, labels(n) AS labels, coalesce(n.deleted, false) AS deleted,
     {readable} AS ok, {scopes.hidden("n")} AS hidden
RETURN CASE WHEN ok AND NOT deleted THEN n END AS node, n.uid AS uid, labels, deleted, ok, hidden,
       coalesce(n.owner_uid, n.author_uid) AS owner_uid
"""


_CENTER = {any_kind: _center(any_kind) for any_kind in (False, True)}


def check_record(tx, actor: Actor, uid: str, op: str, any_kind: bool = False):
    """Load the record under the policy; on refusal write the deny entry (and tell the owner) here.

    Returns (row, None) when readable, or (None, error) when refused — the caller commits and raises.
    """
    params = actor_params(actor)
    row = tx.run(_CENTER[any_kind], uid=uid, **params).single()
    if row is None or row["deleted"]:
        audit.record(tx, actor, "view", [uid], outcome="not_found", details={"op": op})
        return None, NotFound(f"no record {uid}")
    if not row["ok"]:
        facts = {"uid": uid, "kind": record_type_of(row["labels"]), "hidden": row["hidden"], "deleted": False}
        error = refusal(facts, "read")
        audit.record(tx, actor, "deny", [uid], outcome="denied",
                     details={"op": op, "answer": error.status, "reason": "policy"})
        notifications.notify_owner(tx, actor, row["owner_uid"], "view", record_uid=uid,
                                   record_type=record_type_of(row["labels"]), displayed=False)
        return None, error
    return row, None
