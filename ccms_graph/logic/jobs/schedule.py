"""Scheduled tasks: one `(:Schedule {name})` node per task, whose next run is claimed, never run twice at once.

`due` creates the node on first use (due at once), takes its write lock, then reads it in a second
statement (as the job queue does, for the same reason: a claim decided on a read made before the lock
could be made twice). A worker that finds it due and unleased moves `next_at` one interval on and takes
a lease; every other worker then finds it not due, or leased, until the run ends (`done`) or its lease
runs out (its worker died). Times are Neo4j's clock, shared by every worker whatever its host.
"""

from __future__ import annotations

import json
import uuid

from ...db import Graph

#: Seconds a task's run holds its schedule: a worker that dies mid-run delays the next run at most this long.
LEASE = 600.0

_ENSURE = """
MERGE (s:Schedule {name: $name})
  ON CREATE SET s.next_at = datetime(), s.created_at = datetime()
SET s.touched_at = datetime()
"""

_TAKE = """
MATCH (s:Schedule {name: $name})
WHERE s.next_at <= datetime() AND (s.lease_until IS NULL OR s.lease_until < datetime())
SET s.next_at = datetime() + duration({milliseconds: $every_ms}), s.lease_until = datetime() + duration({milliseconds: $lease_ms}),
    s.worker = $worker, s.run = $run, s.started_at = datetime(), s.runs = coalesce(s.runs, 0) + 1
RETURN s.run AS run, s.result AS previous
"""

_DONE = """
MATCH (s:Schedule {name: $name}) WHERE s.run = $run
SET s.lease_until = null, s.finished_at = datetime(), s.result = $result, s.error = $error
"""

_GET = """
MATCH (s:Schedule {name: $name})
RETURN s {.name, .worker, .run, .runs, .result, .error, next_at: toString(s.next_at),
          lease_until: toString(s.lease_until), started_at: toString(s.started_at),
          finished_at: toString(s.finished_at)} AS schedule
"""


def due(graph: Graph, name: str, every: float, worker: str, lease: float = LEASE) -> tuple[str, dict | None] | None:
    """Claim task `name`'s run if it is due: (run token, the previous run's result); None if not due or running."""
    run = uuid.uuid4().hex

    def work(tx):
        tx.run(_ENSURE, name=name).consume()  # creates, or locks, the schedule
        return tx.run(_TAKE, name=name, every_ms=int(every * 1000), lease_ms=int(lease * 1000), worker=worker,
                      run=run).single()

    found = graph.write(work)
    if found is None:
        return None
    return found["run"], (json.loads(found["previous"]) if found["previous"] else None)


def done(graph: Graph, name: str, run: str, result: dict | None = None, error: str | None = None) -> None:
    """End run `run` of task `name` with its result (kept for the next run) or error."""
    graph.write(lambda tx: tx.run(_DONE, name=name, run=run, error=error,
                                  result=json.dumps(result, sort_keys=True, default=str) if result is not None
                                  else None).consume())


def get(graph: Graph, name: str) -> dict | None:
    """The schedule of task `name` (its last result as JSON text), or None before its first run."""
    found = graph.read(lambda tx: tx.run(_GET, name=name).single())
    return found["schedule"] if found else None
