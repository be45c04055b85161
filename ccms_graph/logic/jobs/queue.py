"""The job queue: `(:Job)` nodes claimed under a lease, their input lines in `(:JobChunk)` nodes.

A job is `queued` until a worker claims it; the claim makes it `running`, names the worker, counts
the attempt and sets `lease_until` (Neo4j's clock, so workers on hosts whose clocks disagree still
agree on who holds a lease). The worker renews the lease while it runs (`renew`), and the job ends
`done` or `failed` (`finish`, `fail`), or goes back to `queued` when its worker stops gracefully
(`release`). A job whose lease ran out (its worker died, or lost the database for longer than the
lease) may be claimed again by anyone, up to `max_attempts` claims; after that it fails.

Claiming, like every write that needs "this job is still mine", takes the Job node's write lock
first and reads it in a second statement (the pattern of Neo4j's docs for avoiding lost updates,
and of the audit sequencer): a statement that reads, then writes, may act on what it read before
another transaction committed, so two claimers could both take one job. Under the lock the second
claimer reads the first one's claim and takes nothing. `(worker, attempt)` is the claim's fencing
token: `fence(tx, claim)` refuses (`LeaseLost`) once another claim has replaced it, so a worker that
stalled past its lease cannot commit a batch its successor is also loading.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from ...db import Graph

#: Every state of a job, in order.
STATES = ("queued", "running", "done", "failed")
#: Input lines per JobChunk node.
CHUNK_LINES = 1000
#: Finished jobs kept per owner (oldest deleted first, when the owner enqueues another).
KEEP = 50
#: Properties the queue sets; a job's own fields may not use them.
RESERVED = frozenset({"uid", "kind", "owner_uid", "state", "worker", "attempts", "lease_until", "created_at",
                      "started_at", "claimed_at", "finished_at", "error", "result", "touched_at"})


class LeaseLost(Exception):
    """The job is no longer this claim's: its lease ran out and another worker claimed it, or it ended."""


@dataclass(frozen=True)
class Claim:
    """A worker's hold on one job: the fencing token `(worker, attempt)` and the job as claimed."""

    uid: str
    kind: str
    worker: str
    attempt: int
    job: dict


# Every datetime as ISO text, so a job reads the same from any process.
_JOB = """j {.*, lease_until: toString(j.lease_until), created_at: toString(j.created_at),
   started_at: toString(j.started_at), claimed_at: toString(j.claimed_at), finished_at: toString(j.finished_at),
   touched_at: null, lease_expired: j.lease_until < datetime()} AS job"""

_ENQUEUE = """
CREATE (j:Job)
SET j = $fields, j.uid = $uid, j.kind = $kind, j.owner_uid = $owner, j.state = 'queued', j.attempts = 0,
    j.created_at = datetime()
WITH j
UNWIND $chunks AS c
CREATE (:JobChunk {job_uid: j.uid, seq: c.seq, first_line: c.first_line, lines: c.lines})
"""

_PRUNE = """
MATCH (j:Job {owner_uid: $owner}) WHERE j.state IN ['done', 'failed']
WITH j ORDER BY j.finished_at DESC, j.uid SKIP $keep
OPTIONAL MATCH (p:JobProblems {job_uid: j.uid})
DETACH DELETE p, j
"""

# Candidates: the oldest queued job, or one whose lease ran out. Read without a lock; `_TAKE` decides.
_CANDIDATE = """
MATCH (j:Job) WHERE j.state IN ['queued', 'running'] AND j.kind IN $kinds
  AND (j.state = 'queued' OR j.lease_until < datetime())
RETURN j.uid AS uid ORDER BY j.created_at, j.uid LIMIT 1
"""

# The job's write lock, taken before anything about it is read (see the module docstring).
_LOCK = "MATCH (j:Job {uid: $uid}) SET j.touched_at = datetime()"

_TAKE = f"""
MATCH (j:Job {{uid: $uid}})
WHERE j.state = 'queued' OR (j.state = 'running' AND j.lease_until < datetime())
SET j.state = 'running', j.worker = $worker, j.attempts = coalesce(j.attempts, 0) + 1,
    j.lease_until = datetime() + duration({{milliseconds: $lease_ms}}), j.claimed_at = datetime(),
    j.started_at = coalesce(j.started_at, datetime())
RETURN {_JOB}
"""

_GIVE_UP = """
MATCH (j:Job {uid: $uid})
WHERE j.state = 'running' AND j.lease_until < datetime() AND j.attempts >= $max
SET j.state = 'failed', j.finished_at = datetime(), j.lease_until = null, j.worker = null,
    j.error = 'the job stopped ' + toString(j.attempts) + ' times without finishing; it is not tried again'
RETURN j.uid AS uid
"""

_MINE = """
MATCH (j:Job {uid: $uid})
WHERE j.state = 'running' AND j.worker = $worker AND j.attempts = $attempt
RETURN j.uid AS uid
"""

_RENEW = """
MATCH (j:Job {uid: $uid})
SET j.lease_until = datetime() + duration({milliseconds: $lease_ms})
"""

_END = """
MATCH (j:Job {uid: $uid})
SET j += $fields, j.state = $state, j.lease_until = null, j.finished_at = CASE WHEN $state IN ['done', 'failed']
    THEN datetime() END,
    j.worker = CASE WHEN $state = 'queued' THEN null ELSE j.worker END
"""

_DROP_CHUNKS = "MATCH (c:JobChunk {job_uid: $uid}) DELETE c"

_CHUNK = """
MATCH (c:JobChunk {job_uid: $uid}) WHERE c.seq = $seq
RETURN c.first_line AS first_line, c.lines AS lines
"""

_GET = f"MATCH (j:Job {{uid: $uid}}) RETURN {_JOB}"

_OF_OWNER = f"""
MATCH (j:Job {{owner_uid: $owner}}) WHERE $kind IS NULL OR j.kind = $kind
RETURN {_JOB} ORDER BY j.created_at DESC, j.uid LIMIT $limit
"""


def _value(v: Any) -> Any:
    """A property value: primitives and lists of them as they are, anything else as JSON text."""
    if v is None or isinstance(v, str | int | float | bool):
        return v
    if isinstance(v, list | tuple) and all(isinstance(x, str | int | float | bool) for x in v):
        return list(v)
    return json.dumps(v, sort_keys=True, default=str)


def chunked(lines: Sequence[str], size: int = CHUNK_LINES) -> list[dict]:
    """The JobChunk rows of an input: `seq`, `first_line` (counting from 1) and `lines`, verbatim."""
    return [{"seq": i, "first_line": start + 1, "lines": list(lines[start:start + size])}
            for i, start in enumerate(range(0, len(lines), size))]


def enqueue(graph: Graph, kind: str, owner_uid: str | None, fields: dict | None = None,
            lines: Sequence[str] = (), keep: int = KEEP) -> str:
    """Queue a job of `kind` with its own `fields` (JSON text where not primitive) and input `lines`; its uid.

    The job and all its lines are written in one transaction, so a job exists exactly when its input
    does. The owner's finished jobs beyond the newest `keep` are deleted in the same transaction.
    """
    uid = uuid.uuid4().hex
    graph.write(lambda tx: enqueue_in(tx, kind, owner_uid, fields, lines, keep, uid=uid))
    return uid


def enqueue_in(tx, kind: str, owner_uid: str | None, fields: dict | None = None, lines: Sequence[str] = (),
               keep: int = KEEP, uid: str | None = None) -> str:
    """`enqueue` inside the caller's transaction, so a job exists exactly when what it works on does
    (an attachment and its text extraction: `casework.documents`); its uid."""
    clash = sorted(RESERVED & set(fields or {}))
    if clash:
        raise ValueError(f"job fields set by the queue: {clash}")
    uid = uid or uuid.uuid4().hex
    tx.run(_ENQUEUE, uid=uid, kind=kind, owner=owner_uid,
           fields={k: _value(v) for k, v in (fields or {}).items() if v is not None},
           chunks=chunked(lines) or [{"seq": 0, "first_line": 1, "lines": []}]).consume()
    if owner_uid:
        tx.run(_PRUNE, owner=owner_uid, keep=keep).consume()
    return uid


def claim(graph: Graph, worker: str, kinds: Sequence[str], lease: float, max_attempts: int = 5) -> Claim | None:
    """Claim the oldest claimable job of one of `kinds` for `worker` for `lease` seconds; None if there is none.

    A job whose lease ran out after `max_attempts` claims is failed instead of claimed again: a file
    that kills its worker every time must not kill every worker in turn.
    """
    kinds = list(kinds)
    for _ in range(5):  # another claimer may take the candidate first; then look again
        def work(tx):
            found = tx.run(_CANDIDATE, kinds=kinds).single()
            if found is None:
                return None, False
            tx.run(_LOCK, uid=found["uid"]).consume()
            if tx.run(_GIVE_UP, uid=found["uid"], max=max_attempts).single() is not None:
                tx.run(_DROP_CHUNKS, uid=found["uid"]).consume()
                return None, True
            taken = tx.run(_TAKE, uid=found["uid"], worker=worker, lease_ms=int(lease * 1000)).single()
            return (taken["job"] if taken else None), True

        job, contended = graph.write(work)
        if job is not None:
            return Claim(uid=job["uid"], kind=job["kind"], worker=worker, attempt=job["attempts"], job=job)
        if not contended:
            return None
    return None


def fence(tx, claim: Claim) -> None:
    """Lock the job and make sure `claim` still holds it; LeaseLost (the transaction rolls back) if not."""
    tx.run(_LOCK, uid=claim.uid).consume()
    if tx.run(_MINE, uid=claim.uid, worker=claim.worker, attempt=claim.attempt).single() is None:
        raise LeaseLost(f"job {claim.uid} is no longer held by {claim.worker} (attempt {claim.attempt})")


def renew(graph: Graph, claim: Claim, lease: float) -> bool:
    """Extend the claim's lease by `lease` seconds from now; False if the job is no longer the claim's."""
    def work(tx):
        fence(tx, claim)
        tx.run(_RENEW, uid=claim.uid, lease_ms=int(lease * 1000)).consume()

    try:
        graph.write(work)
    except LeaseLost:
        return False
    return True


def _end(graph: Graph, claim: Claim, state: str, fields: dict) -> None:
    def work(tx):
        fence(tx, claim)
        tx.run(_END, uid=claim.uid, state=state, fields={k: _value(v) for k, v in fields.items()}).consume()
        if state in ("done", "failed"):
            tx.run(_DROP_CHUNKS, uid=claim.uid).consume()

    graph.write(work)


def finish(graph: Graph, claim: Claim, **fields: Any) -> None:
    """The job is done: set its final `fields`, drop its input lines, end the lease (LeaseLost if not held)."""
    _end(graph, claim, "done", fields)


def fail(graph: Graph, claim: Claim, error: str, **fields: Any) -> None:
    """The job failed with `error` (a sentence for its owner); its input lines are dropped."""
    _end(graph, claim, "failed", {**fields, "error": error})


def release(graph: Graph, claim: Claim) -> None:
    """Give the job back, unfinished, for the next worker to resume (a graceful stop)."""
    _end(graph, claim, "queued", {})


def lines(graph: Graph, uid: str) -> Iterator[str]:
    """A job's input lines in order, read one chunk (one read transaction) at a time."""
    seq = 0
    while True:
        found = graph.read(lambda tx, s: tx.run(_CHUNK, uid=uid, seq=s).single(), seq)
        if found is None:
            return
        yield from found["lines"]
        seq += 1


def get(graph: Graph, uid: str) -> dict | None:
    """The job (every datetime as ISO text, plus `lease_expired`), or None."""
    found = graph.read(lambda tx: tx.run(_GET, uid=uid).single())
    return found["job"] if found else None


def jobs_of(graph: Graph, owner_uid: str, kind: str | None = None, limit: int = KEEP) -> list[dict]:
    """An owner's jobs (of `kind`, if given), newest first."""
    return graph.read(lambda tx: [r["job"] for r in tx.run(_OF_OWNER, owner=owner_uid, kind=kind, limit=limit)])


_DEPTH = "MATCH (j:Job) WHERE j.state IN ['queued', 'running'] RETURN j.state AS state, count(*) AS n"


def depth(graph: Graph) -> dict[str, int]:
    """How many jobs are queued and running (metrics); a state with none is absent."""
    return {r["state"]: r["n"] for r in graph.query(_DEPTH)}
