"""The append-only, hash-chained audit log, written inside the transaction of the action it records."""

from __future__ import annotations

import csv
import hashlib
import json
import logging
import os
import threading
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import IO, cast

from ...db import Graph, after_write_hooks
from ...errors import DomainError, Forbidden, NotFound, ValidationFailed
from ...policy.actor import Actor
from ...policy.rules import audit_scope
from ..common import csv_safe
from . import checkpoints

log = logging.getLogger(__name__)

#: Every audit action, declared once. A logic function may only record one of these.
ACTIONS = frozenset({
    "sign_in", "sign_in_failed", "sign_out", "view", "search", "create", "update", "delete",
    "link", "unlink", "merge", "unmerge", "approve", "return", "submit", "request", "export",
    "download", "upload", "disclose", "deny", "admin", "import", "deconflict", "query", "retention",
    "grant", "revoke", "comment", "resolve", "notify", "statistics",
})

#: An action's entry: written in the action's transaction, with no sequence number yet and no lock
#: taken. `integrate` chains it.
_RECORD = """
CREATE (e:AuditEntry:AuditPending)
SET e = $entry, e.at = datetime($entry.at)
"""

# The sequencer's write lock: the single AuditHead node, taken first, then read in a second statement.
_LOCK_HEAD = """
MERGE (h:AuditHead {id: 'audit'})
  ON CREATE SET h.seq = 0, h.hash = ''
SET h.locked_at = datetime(), h.chain = coalesce(h.chain, $chain)
"""

_HEAD = """
MATCH (h:AuditHead {id: 'audit'})
RETURN h.seq AS seq, h.hash AS hash, h.chain AS chain
"""

_PENDING = """
MATCH (e:AuditPending)
RETURN properties(e) AS e ORDER BY e.at, e.uid LIMIT $limit
"""

_CHAIN = """
UNWIND $rows AS r
MATCH (e:AuditEntry {uid: r.uid}) WHERE e:AuditPending
SET e.seq = r.seq, e.prev_hash = r.prev_hash, e.hash = r.hash
REMOVE e:AuditPending
"""

_MOVE_HEAD = """
MATCH (h:AuditHead {id: 'audit'})
SET h.seq = $seq, h.hash = $hash, h.integrated_at = datetime()
"""

#: The fields the hash covers, in order. Changing this list breaks every existing chain.
HASHED_FIELDS = ("seq", "at", "actor_uid", "actor_username", "role", "office_code", "action",
                 "targets", "outcome", "client_address", "purpose", "details", "prev_hash")
#: Pending entries one sequencer transaction chains at most.
INTEGRATE_BATCH = 5000


def entry_hash(entry: dict) -> str:
    """SHA-256 over the hashed fields of an entry (which include the previous entry's hash)."""
    canonical = json.dumps([entry.get(k) for k in HASHED_FIELDS], sort_keys=True, separators=(",", ":"),
                           default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def record(tx, actor: Actor, action: str, targets: list[str] | tuple[str, ...] = (),
           outcome: str = "success", details: dict | None = None) -> dict:
    """Write one audit entry in transaction `tx`; the action fails if this does.

    No lock is taken: the entry is stored whole (who, what, when, outcome) but pending, and the
    sequencer (`integrate`, run after the transaction commits: `sequencer`) gives it its sequence
    number and chains its hash, in order of integration. So no action waits for another user's entry.
    """
    if action not in ACTIONS:
        raise ValueError(f"undeclared audit action {action!r}")
    entry = {
        "uid": uuid.uuid4().hex,
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
    }
    tx.run(_RECORD, entry=entry).consume()
    sequencer.written()
    return entry


def _integrate(tx, chain: str, limit: int) -> tuple[int, dict]:
    tx.run(_LOCK_HEAD, chain=chain).consume()
    head = tx.run(_HEAD).single()
    seq, prev = head["seq"], head["hash"]
    rows = []
    for row in tx.run(_PENDING, limit=limit):
        e = as_hashed(row["e"])
        seq += 1
        e.update(seq=seq, prev_hash=prev)
        prev = entry_hash(e)
        rows.append({"uid": e["uid"], "seq": seq, "prev_hash": e["prev_hash"], "hash": prev})
    if rows:
        tx.run(_CHAIN, rows=rows).consume()
        tx.run(_MOVE_HEAD, seq=seq, hash=prev).consume()
    return len(rows), {"chain": head["chain"], "seq": seq, "hash": prev}


def integrate(graph: Graph, limit: int = INTEGRATE_BATCH) -> int:
    """Chain every pending entry (oldest first) onto the log; returns how many were chained.

    One transaction per `limit` entries holds the AuditHead's write lock for the few milliseconds
    it takes to hash them, so two sequencers (two workers) never fork the chain. A signed checkpoint
    of the new head goes to the file outside the database (`checkpoints.keep`).
    """
    done = 0
    while True:
        n, head = graph.write(_integrate, uuid.uuid4().hex, limit)
        done += n
        if n:
            checkpoints.keep(graph.settings, head)
        if n < limit:
            return done


class Sequencer:
    """Runs `integrate` after each write transaction that recorded an entry (`db.after_write`).

    `inline` (the default; the CLI and tests) integrates in the writer's thread right after its
    commit: the entry is chained when the call returns. `background` (the web app under `make run`)
    wakes one thread per process instead, which also sweeps every `interval` seconds for entries a
    crashed process left pending; no request waits for the chain.
    """

    def __init__(self, interval: float = 1.0):
        self.interval = interval
        self._local = threading.local()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._pid = 0
        self._graph: Graph | None = None

    def written(self) -> None:
        self._local.pending = True

    @contextmanager
    def deferred(self, graph: Graph) -> Iterator[None]:
        """Inline mode only: the writes in this thread leave their entries pending until the block
        ends, then one integration chains them all (for bulk callers: one chaining
        transaction instead of one per write). Entries are written either way; only the chaining waits."""
        self._local.deferring = True
        try:
            yield
        finally:
            self._local.deferring = False
            self.after_write(graph)

    def after_write(self, graph: Graph) -> None:
        if not getattr(self._local, "pending", False) or getattr(self._local, "deferring", False):
            return
        self._local.pending = False
        if graph.settings.audit_sequencer == "background":
            self._start(graph)
            self._wake.set()
            return
        try:
            integrate(graph)
        except Exception:  # noqa: BLE001 - the action committed; its entry stays pending for the next run
            log.warning("audit entries left pending; the next integration chains them", exc_info=True)

    def _start(self, graph: Graph) -> None:
        if self._thread is not None and self._thread.is_alive() and self._pid == os.getpid():
            return
        self._graph, self._pid = graph, os.getpid()
        self._thread = threading.Thread(target=self._run, name="audit-sequencer", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while True:
            self._wake.wait(self.interval)
            self._wake.clear()
            try:
                if self._graph is not None:
                    integrate(self._graph)
            except Exception:  # noqa: BLE001 - Neo4j away: try again on the next wake-up
                log.warning("audit integration failed; retrying", exc_info=True)


_LAG = """
OPTIONAL MATCH (e:AuditPending)
WITH count(e) AS pending, min(e.at) AS oldest
RETURN pending, CASE WHEN oldest IS NULL THEN 0.0
                     ELSE duration.inSeconds(oldest, datetime()).milliseconds / 1000.0 END AS age
"""


def sequencer_lag(graph: Graph) -> dict:
    """{"pending": entries not yet chained, "age": seconds since the oldest of them was written} (metrics)."""
    return graph.query(_LAG)[0]


sequencer = Sequencer()
after_write_hooks.append(sequencer.after_write)


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
    #: altered | missing | duplicate | reordered | chain | truncated | extended | head | rolled_back |
    #: rewritten | checkpoint
    kind: str
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
    #: Entries written but not yet chained by the sequencer (never a problem: they are chained within seconds).
    pending: int = 0
    #: Signed checkpoints outside the database that the log was compared with.
    checkpoints: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        waiting = f"; {self.pending} newer entries pending integration" if self.pending else ""
        if self.ok:
            return f"audit log intact: {self.checked} entries, last seq {self.last_seq}{waiting}"
        lines = [f"audit log NOT intact: {len(self.problems)} problem(s) in {self.checked} entries{waiting}"]
        lines += [f"  {p}" for p in self.problems]
        return "\n".join(lines)


_PAGE = """
MATCH (e:AuditEntry) WHERE e.seq > $after AND e.seq <= $upto
RETURN properties(e) AS e ORDER BY e.seq, e.hash LIMIT $size
"""
#: Read under the head's lock (the SET takes it): a read without it, during an integration's commit, could
#: see the head's new sequence number beside its old hash and report a truncation that is not there.
_HEAD_STATE = ("MATCH (h:AuditHead {id: 'audit'}) SET h.verified_at = datetime() "
               "RETURN h.seq AS seq, h.hash AS hash, h.chain AS chain, "
               "h.pruned_through_seq AS pruned_seq, h.pruned_hash AS pruned_hash")
#: Under the head's lock (no integration half-seen): entries numbered beyond the head, and the pending ones.
_BEYOND_HEAD = """
MATCH (h:AuditHead {id: 'audit'})
SET h.verified_at = datetime()
WITH h
OPTIONAL MATCH (e:AuditEntry) WHERE e.seq > h.seq
WITH h, count(e) AS beyond, min(e.seq) AS first
RETURN h.seq AS seq, beyond, first, COUNT { (p:AuditPending) } AS pending
"""


_HEADLESS = """
OPTIONAL MATCH (e:AuditEntry) WHERE e.seq IS NOT NULL
WITH count(e) AS chained
OPTIONAL MATCH (h:AuditHead {id: 'audit'})
RETURN chained, h IS NOT NULL AS head, COUNT { (p:AuditPending) } AS pending
"""


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
    """Walk the chained log in seq order, recomputing every hash and link; report each break and where it is.

    Exact while others write: it verifies up to the head it read first (later entries are chained
    after it, never before), counts the entries still pending integration without judging them, and
    looks for entries beyond the head under the head's lock, so an integration in flight is never
    mistaken for tampering. The log is then compared with the signed checkpoints kept outside the
    database (`checkpoints`): a checkpoint of an entry the log no longer reaches is a rollback (a
    restore of an older backup), and one whose hash differs from the entry now at its position a
    rewrite. A verified head is checkpointed in turn.
    """
    result = VerifyResult()
    prev: dict | None = None
    by_hash: dict[str, int] = {}
    breaks: list[tuple[int, str | None]] = []  # (seq, prev_hash) links that did not match their predecessor
    after = -1
    head_state = graph.query(_HEAD_STATE, write=True)
    upto = head_state[0]["seq"] if head_state else 0  # no head yet: nothing was chained when we looked
    chain = head_state[0]["chain"] if head_state else None
    kept, forged = checkpoints.of_chain(graph.settings, chain)
    wanted = {cp["seq"] for cp in kept}
    seen: dict[int, str] = {}
    if head_state and head_state[0]["pruned_seq"]:
        # Retention removed entries up to here and anchored the chain: start from that anchor.
        anchor = head_state[0]
        prev = {"seq": anchor["pruned_seq"], "hash": anchor["pruned_hash"]}
        after = anchor["pruned_seq"]
    while True:
        rows = graph.query(_PAGE, {"after": after, "upto": upto, "size": page_size})
        if not rows:
            break
        for row in rows:
            e = as_hashed(row["e"])
            seq = cast(int, e.get("seq"))  # every chained entry has its sequence number
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
            if seq in wanted:
                seen[seq] = e.get("hash") or ""
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
        # The first integration may have committed since: it writes the head with the entries it chains,
        # so chained entries counted BEFORE the head is looked for, with no head after, mean it was deleted.
        now = graph.query(_HEADLESS)[0]
        result.pending = now["pending"]
        if now["chained"] and not now["head"]:
            result.problems.append(Problem(None, "head", "entries exist but the chain head is missing"))
    else:
        result.head_seq = head[0]["seq"]
        last = result.last_seq or 0
        if result.head_seq > last:
            result.problems.append(Problem(last + 1, "truncated",
                                           f"the head records {result.head_seq} entries but the log ends "
                                           f"at entry {last}"))
        elif prev is not None and head[0]["hash"] != prev.get("hash"):
            result.problems.append(Problem(last, "truncated",
                                           "the last entry's hash is not the one the head recorded"))
        now = graph.write(lambda tx: tx.run(_BEYOND_HEAD).single().data())
        result.pending = now["pending"]
        if now["beyond"]:
            result.problems.append(Problem(now["first"], "extended",
                                           f"{now['beyond']} entries numbered after the head's last entry "
                                           f"{now['seq']}"))
        _compare(result, kept, forged, seen, now["seq"], head[0]["pruned_seq"] or 0)
        if result.ok and prev is not None:
            checkpoints.keep(graph.settings, {"chain": chain, "seq": last, "hash": prev.get("hash")}, force=True)
    result.problems.sort(key=lambda p: (p.seq is None, p.seq or 0))
    return result


def _compare(result: VerifyResult, kept: list[dict], forged: int, seen: dict[int, str], head_seq: int,
             pruned: int) -> None:
    """The log against the checkpoints kept outside the database (see `verify`)."""
    result.checkpoints = len(kept)
    if forged:
        result.problems.append(Problem(None, "checkpoint", f"{forged} checkpoint line(s) of this log fail their "
                                                           f"signature (edited or forged)"))
    if not kept:
        return
    latest = max(kept, key=lambda cp: cp["seq"])
    if latest["seq"] > head_seq:
        result.problems.append(Problem(head_seq + 1, "rolled_back",
                                       f"a checkpoint kept at {latest['at']} records entry {latest['seq']}, but the "
                                       f"log ends at entry {head_seq}: entries {head_seq + 1} to {latest['seq']} "
                                       f"are gone (a restore of an older backup?)"))
    for cp in kept:
        if pruned < cp["seq"] <= (result.last_seq or 0) and cp["seq"] in seen and seen[cp["seq"]] != cp["hash"]:
            result.problems.append(Problem(cp["seq"], "rewritten",
                                           f"the entry's hash differs from the one checkpointed at {cp['at']}"))


# ---------------------------------------------------------------------------------------------
# Search and export, for auditors
# ---------------------------------------------------------------------------------------------

_SEARCH = """
MATCH (e:AuditEntry)
WHERE ($scope IS NULL OR e.actor_uid IN $scope)
  AND ($user IS NULL OR e.actor_uid = $user OR e.actor_username = $user)
  AND ($record IS NULL OR $record IN e.targets)
  AND ($since IS NULL OR e.at >= datetime($since))
  AND ($until IS NULL OR e.at < datetime($until))
  AND ($action IS NULL OR e.action = $action)
RETURN properties(e) AS e ORDER BY e.seq DESC, e.at DESC SKIP $offset LIMIT $limit
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


def _reader_scope(graph: Graph, actor: Actor, op: str, criteria: dict) -> list[str] | None:
    """Whose entries the actor may read (`rules.audit_scope`: None for everyone's); a refusal is audited."""
    try:
        return audit_scope(actor)
    except DomainError as exc:
        raise refuse(graph, actor, exc, op, criteria=criteria) from None


def _out(entry: dict) -> dict:
    e = as_hashed(entry)
    try:
        e["details"] = json.loads(e.get("details") or "{}")
    except ValueError:
        pass
    return e


def search(graph: Graph, actor: Actor, user: str | None = None, record: str | None = None, since=None,
           until=None, action: str | None = None, limit: int = 100, offset: int = 0) -> list[dict]:
    """Audit entries matching every given criterion, newest first, and itself audited: every entry for the
    auditor, a supervisor's subordinates' entries for a supervisor (`rules.audit_scope`)."""
    criteria = _criteria(user, record, since, until, action)
    if not 1 <= int(limit) <= 1000 or int(offset) < 0:
        raise ValidationFailed({"limit": ["use 1 to 1000 entries and a non-negative offset"]})
    scope = _reader_scope(graph, actor, "audit_search", criteria)

    def work(tx):
        rows = [r["e"] for r in tx.run(_SEARCH, **criteria, scope=scope, limit=int(limit), offset=int(offset))]
        _record(tx, actor, "search", [criteria["record"]] if criteria["record"] else [],
               details={"scope": "audit", "criteria": criteria, "shown": len(rows), "offset": int(offset)})
        return rows

    return [_out(e) for e in graph.write(work)]


def export_csv(graph: Graph, actor: Actor, out: IO[str], user: str | None = None, record: str | None = None,
               since=None, until=None, action: str | None = None) -> int:
    """Write every matching entry the actor may read (oldest first) as CSV to `out`, audited as an export."""
    criteria = _criteria(user, record, since, until, action)
    scope = _reader_scope(graph, actor, "audit_export", criteria)

    def work(tx):
        rows = [r["e"] for r in tx.run(_SEARCH, **criteria, scope=scope, limit=10_000_000, offset=0)]
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
