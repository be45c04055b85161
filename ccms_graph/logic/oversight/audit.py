"""The append-only, hash-chained audit log, written inside the transaction of the action it records."""

from __future__ import annotations

import csv
import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import IO, cast

from ...db import Graph
from ...errors import DomainError, Forbidden, NotFound, ValidationFailed
from ...policy.actor import Actor
from ...policy.rules import can, require_active
from ..common import csv_safe

#: Every audit action, declared once. A logic function may only record one of these.
ACTIONS = frozenset({
    "sign_in", "sign_in_failed", "sign_out", "view", "search", "create", "update", "delete",
    "link", "unlink", "merge", "unmerge", "approve", "return", "submit", "request", "export",
    "download", "upload", "disclose", "deny", "admin", "import", "deconflict", "query", "retention",
    "grant", "revoke", "comment", "resolve", "notify",
})

# Taking the head's write lock first, then reading it in a second statement, serializes appends.
_LOCK_HEAD = """
MERGE (h:AuditHead {id: 'audit'})
  ON CREATE SET h.seq = 0, h.hash = ''
SET h.locked_at = datetime()
"""

_HEAD = """
MATCH (h:AuditHead {id: 'audit'})
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
    tx.run(_LOCK_HEAD).consume()
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


#: `record` under another name, for functions whose `record` parameter is a record uid.
_record = record


# ---------------------------------------------------------------------------------------------
# Refusals: a denied action leaves its own entry, in its own transaction
# ---------------------------------------------------------------------------------------------

def refuse(graph: Graph, actor: Actor, error: DomainError, op: str, targets: Iterable[str] = (),
           **details) -> DomainError:
    """Audit a refusal (action "deny") in its own transaction and return the error for the caller to raise.

    The refused action's transaction rolls back, so the entry cannot live there.
    """
    info = {"op": op, "answer": error.status, "reason": type(error).__name__, "detail": error.detail,
            **details}
    graph.write(lambda tx: record(tx, actor, "deny", list(targets), outcome="denied", details=info))
    return error


# ---------------------------------------------------------------------------------------------
# Verification: recompute the chain and say where it breaks
# ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Problem:
    seq: int | None
    kind: str  #: altered | missing | duplicate | reordered | chain | truncated | extended | head
    detail: str

    def __str__(self) -> str:
        where = f"entry {self.seq}" if self.seq is not None else "log"
        return f"{where}: {self.kind}: {self.detail}"


@dataclass
class VerifyResult:
    checked: int = 0
    last_seq: int | None = None
    head_seq: int | None = None
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        if self.ok:
            return f"audit log intact: {self.checked} entries, last seq {self.last_seq}"
        lines = [f"audit log NOT intact: {len(self.problems)} problem(s) in {self.checked} entries"]
        lines += [f"  {p}" for p in self.problems]
        return "\n".join(lines)


_PAGE = """
MATCH (e:AuditEntry) WHERE e.seq > $after
RETURN properties(e) AS e ORDER BY e.seq, e.hash LIMIT $size
"""
_HEAD_STATE = ("MATCH (h:AuditHead {id: 'audit'}) RETURN h.seq AS seq, h.hash AS hash, "
               "h.pruned_through_seq AS pruned_seq, h.pruned_hash AS pruned_hash")


def as_hashed(entry: dict) -> dict:
    """An entry's properties as they were hashed (the time back to its ISO text)."""
    out = dict(entry)
    at = out.get("at")
    if at is not None and hasattr(at, "to_native"):
        out["at"] = at.to_native().isoformat(timespec="microseconds")
    if out.get("targets") is not None:
        out["targets"] = list(out["targets"])
    return out


def verify(graph: Graph, page_size: int = 5000) -> VerifyResult:
    """Walk the log in seq order, recomputing every hash and link; report each break and where it is."""
    result = VerifyResult()
    prev: dict | None = None
    by_hash: dict[str, int] = {}
    breaks: list[tuple[int, str | None]] = []  # (seq, prev_hash) links that did not match their predecessor
    after = -1
    head_state = graph.query(_HEAD_STATE)
    if head_state and head_state[0]["pruned_seq"]:
        # Retention removed entries up to here and anchored the chain: start from that anchor.
        anchor = head_state[0]
        prev = {"seq": anchor["pruned_seq"], "hash": anchor["pruned_hash"]}
        after = anchor["pruned_seq"]
    while True:
        rows = graph.query(_PAGE, {"after": after, "size": page_size})
        if not rows:
            break
        for row in rows:
            e = as_hashed(row["e"])
            seq = cast(int, e.get("seq"))  # every entry is written with its sequence number
            result.checked += 1
            if prev is not None and seq == prev["seq"]:
                result.problems.append(Problem(seq, "duplicate", "two entries carry this sequence number"))
            expected = 1 if prev is None else prev["seq"] + 1
            gap = seq > expected
            if gap:
                missing = f"{expected}" if seq == expected + 1 else f"{expected} to {seq - 1}"
                result.problems.append(Problem(expected, "missing", f"entry {missing} is missing (deleted)"))
            if entry_hash(e) != e.get("hash"):
                result.problems.append(Problem(seq, "altered", "the entry's content does not match its hash"))
            want_prev = "" if prev is None else prev.get("hash")
            if e.get("prev_hash") != want_prev and not gap:
                breaks.append((seq, e.get("prev_hash")))
            if e.get("hash"):
                by_hash.setdefault(e["hash"], seq)
            prev = e
        after = rows[-1]["e"]["seq"]
        if len(rows) < page_size:
            break
    for seq, prev_hash in breaks:
        origin = by_hash.get(prev_hash) if prev_hash else None
        if origin is not None:
            result.problems.append(Problem(seq, "reordered", f"it follows entry {origin} in the chain, "
                                                            f"not entry {seq - 1}"))
        else:
            result.problems.append(Problem(seq, "chain", f"its previous-hash does not match entry {seq - 1}"))
    result.last_seq = prev["seq"] if prev else None
    head = head_state
    if not head:
        if prev is not None:
            result.problems.append(Problem(None, "head", "entries exist but the chain head is missing"))
    else:
        result.head_seq = head[0]["seq"]
        last = result.last_seq or 0
        if result.head_seq > last:
            result.problems.append(Problem(last + 1, "truncated",
                                           f"the head records {result.head_seq} entries but the log ends "
                                           f"at entry {last}"))
        elif result.head_seq < last:
            result.problems.append(Problem(result.head_seq + 1, "extended",
                                           f"entries after the head's last entry {result.head_seq}"))
        elif prev is not None and head[0]["hash"] != prev.get("hash"):
            result.problems.append(Problem(last, "truncated",
                                           "the last entry's hash is not the one the head recorded"))
    result.problems.sort(key=lambda p: (p.seq is None, p.seq or 0))
    return result


# ---------------------------------------------------------------------------------------------
# Search and export, for auditors
# ---------------------------------------------------------------------------------------------

_SEARCH = """
MATCH (e:AuditEntry)
WHERE ($user IS NULL OR e.actor_uid = $user OR e.actor_username = $user)
  AND ($record IS NULL OR $record IN e.targets)
  AND ($since IS NULL OR e.at >= datetime($since))
  AND ($until IS NULL OR e.at < datetime($until))
  AND ($action IS NULL OR e.action = $action)
RETURN properties(e) AS e ORDER BY e.seq DESC SKIP $offset LIMIT $limit
"""

#: CSV columns of an export: the hashed fields and the hash, so an export can be re-verified.
CSV_COLUMNS = (*HASHED_FIELDS, "hash")


def _when(value, name: str) -> str | None:
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).isoformat()
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC).isoformat()
    try:
        parsed = datetime.fromisoformat(str(value))
    except ValueError:
        raise ValidationFailed({name: [f"{value!r} is not an ISO date or time"]}) from None
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).isoformat()


def _criteria(user, record_uid, since, until, action) -> dict:
    if action is not None and action not in ACTIONS:
        raise ValidationFailed({"action": [f"unknown audit action {action!r}"]})
    return {"user": user or None, "record": record_uid or None, "since": _when(since, "since"),
            "until": _when(until, "until"), "action": action or None}


def _require_auditor(graph: Graph, actor: Actor, op: str, criteria: dict) -> None:
    try:
        require_active(actor)
    except DomainError as exc:
        raise refuse(graph, actor, exc, op, criteria=criteria) from None
    if not can(actor, "audit"):
        raise refuse(graph, actor, Forbidden("only auditors may search the audit log"), op, criteria=criteria)


def _out(entry: dict) -> dict:
    e = as_hashed(entry)
    try:
        e["details"] = json.loads(e.get("details") or "{}")
    except ValueError:
        pass
    return e


def search(graph: Graph, actor: Actor, user: str | None = None, record: str | None = None, since=None,
           until=None, action: str | None = None, limit: int = 100, offset: int = 0) -> list[dict]:
    """Audit entries matching every given criterion, newest first; auditors only, and itself audited."""
    criteria = _criteria(user, record, since, until, action)
    if not 1 <= int(limit) <= 1000 or int(offset) < 0:
        raise ValidationFailed({"limit": ["use 1 to 1000 entries and a non-negative offset"]})
    _require_auditor(graph, actor, "audit_search", criteria)

    def work(tx):
        rows = [r["e"] for r in tx.run(_SEARCH, **criteria, limit=int(limit), offset=int(offset))]
        _record(tx, actor, "search", [criteria["record"]] if criteria["record"] else [],
               details={"scope": "audit", "criteria": criteria, "shown": len(rows), "offset": int(offset)})
        return rows

    return [_out(e) for e in graph.write(work)]


def export_csv(graph: Graph, actor: Actor, out: IO[str], user: str | None = None, record: str | None = None,
               since=None, until=None, action: str | None = None) -> int:
    """Write every matching entry (oldest first) as CSV to `out`; auditors only, audited as an export."""
    criteria = _criteria(user, record, since, until, action)
    _require_auditor(graph, actor, "audit_export", criteria)

    def work(tx):
        rows = [r["e"] for r in tx.run(_SEARCH, **criteria, limit=10_000_000, offset=0)]
        _record(tx, actor, "export", [criteria["record"]] if criteria["record"] else [],
               details={"scope": "audit", "criteria": criteria, "rows": len(rows), "format": "csv"})
        return rows

    rows = graph.write(work)
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for entry in reversed(rows):
        e = as_hashed(entry)
        writer.writerow([csv_safe(json.dumps(e.get(k)) if k == "targets" else e.get(k)) for k in CSV_COLUMNS])
    return len(rows)


def write_or_refuse(graph: Graph, actor: Actor, op: str, targets, work, *args):
    """`graph.write(work, *args)`; a NotFound or Forbidden it raises is audited ("deny", in its own
    transaction, since this one rolled back) and raised."""
    return _or_refuse(graph.write, graph, actor, op, targets, work, *args)


def read_or_refuse(graph: Graph, actor: Actor, op: str, targets, work, *args):
    """`graph.read(work, *args)`, with a NotFound or Forbidden audited as a denial and raised."""
    return _or_refuse(graph.read, graph, actor, op, targets, work, *args)


def _or_refuse(run, graph: Graph, actor: Actor, op: str, targets, work, *args):
    try:
        return run(work, *args)
    except (NotFound, Forbidden) as exc:
        raise refuse(graph, actor, exc, op, [t for t in targets if t]) from None
