"""The append-only, hash-chained audit log, written inside the transaction of the action it records."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime

from ..policy.actor import Actor

#: Every audit action, declared once. A logic function may only record one of these.
ACTIONS = frozenset({
    "sign_in", "sign_in_failed", "sign_out", "view", "search", "create", "update", "delete",
    "link", "unlink", "merge", "unmerge", "approve", "return", "submit", "request", "export",
    "download", "upload", "disclose", "deny", "admin", "import", "deconflict", "query", "retention",
    "grant", "revoke", "comment", "resolve", "notify",
})

_HEAD = """
MERGE (h:AuditHead {id: 'audit'})
  ON CREATE SET h.seq = 0, h.hash = ''
SET h.locked_at = datetime()
RETURN h.seq AS seq, h.hash AS hash
"""

_APPEND = """
MATCH (h:AuditHead {id: 'audit'})
CREATE (e:AuditEntry)
SET e = $entry, e.at = datetime($entry.at)
SET h.seq = $entry.seq, h.hash = $entry.hash
"""

#: The fields the hash covers, in order. Changing this list breaks every existing chain.
HASHED_FIELDS = ("seq", "at", "actor_uid", "actor_username", "role", "office_code", "action",
                 "targets", "outcome", "client_address", "purpose", "details", "prev_hash")


def entry_hash(entry: dict) -> str:
    """SHA-256 over the hashed fields of an entry (which include the previous entry's hash)."""
    canonical = json.dumps([entry.get(k) for k in HASHED_FIELDS], sort_keys=True, separators=(",", ":"),
                           default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def record(tx, actor: Actor, action: str, targets: list[str] | tuple[str, ...] = (),
           outcome: str = "success", details: dict | None = None) -> dict:
    """Append one audit entry in transaction `tx`; the action fails if this does.

    Taking the write lock on the single AuditHead node serializes appends, so the chain never forks.
    """
    if action not in ACTIONS:
        raise ValueError(f"undeclared audit action {action!r}")
    head = tx.run(_HEAD).single()
    entry = {
        "seq": head["seq"] + 1,
        "at": datetime.now(UTC).isoformat(timespec="microseconds"),
        "actor_uid": actor.uid,
        "actor_username": actor.username,
        "role": actor.role,
        "office_code": actor.office_code,
        "action": action,
        "targets": [str(t) for t in targets],
        "outcome": outcome,
        "client_address": actor.client_address,
        "purpose": actor.purpose,
        "details": json.dumps(details or {}, sort_keys=True, default=str),
        "prev_hash": head["hash"],
    }
    entry["hash"] = entry_hash(entry)
    tx.run(_APPEND, entry=entry).consume()
    return entry
