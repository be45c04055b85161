"""The worker loop: claim a job and run it, run the scheduled tasks that are due, wait, again.

`Worker` is one loop, `Pool` runs several in threads with one stop flag: `ccms-graph worker` runs a
pool with the scheduled tasks, and the web app runs one loop of its own without them (`embedded`:
started by the import pages, once per process and Graph, so a lone dev server or the tests need no
worker process). Any number of both may run against one database: jobs and schedules are claimed
in Neo4j, never handed out by a process.

While a job runs its lease is renewed by a thread of its own, every third of the lease. Stopping
(SIGTERM, SIGINT, the end of the process) lets the running job finish its current batch, which
commits with its progress, and gives the job back to the queue, to be resumed by the next worker.
A job that loses its lease (its worker stalled longer than the lease, and another claimed it)
stops at its next batch, whose commit the fence refuses. A job interrupted by the database going
away is given back too, or simply left to its lease, never failed.
"""

from __future__ import annotations

import atexit
import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import neo4j.exceptions

from ...db import Graph
from ...errors import DomainError, Unavailable, ValidationFailed
from ...settings import Settings
from . import extraction, imports, queue, schedule, tasks

log = logging.getLogger(__name__)

#: Every job kind and what runs it: `(graph, claim, check) -> the job's final fields`. `check()` is
#: called between units of work and raises to stop there.
RUNNERS: dict[str, Callable[[Graph, queue.Claim, Callable[[], None]], dict]] = {imports.KIND: imports.run,
                                                                                 extraction.KIND: extraction.run}

#: Failures that say the database went away, not that the job is wrong: the job is resumed later.
_INTERRUPTIONS = (neo4j.exceptions.ServiceUnavailable, neo4j.exceptions.SessionExpired,
                  neo4j.exceptions.TransientError, Unavailable)


class Stopped(Exception):
    """The worker is stopping: the job goes back to the queue after its last committed batch."""


@dataclass(frozen=True)
class Task:
    """A scheduled task: `run(graph, settings, previous result) -> result`, every `every` seconds."""

    name: str
    every: float
    run: Callable[[Graph, Settings, dict | None], dict]


def scheduled_tasks(settings: Settings) -> tuple[Task, ...]:
    """The tasks `ccms-graph worker` runs, at the intervals the settings give."""
    return (Task("deliver_notifications", settings.notify_every_seconds, tasks.deliver_notifications),
            Task("retention_report", settings.retention_report_every_seconds, tasks.retention_report),
            Task("warm_plans", settings.warm_plans_every_seconds, tasks.warm_plans))


def message_of(exc: DomainError) -> str:
    """A sentence for the job's owner: the field problems of a validation failure, else the detail."""
    if isinstance(exc, ValidationFailed):
        return "; ".join(f"{k}: {v}" for k, v in exc.errors.items()) or exc.detail
    return exc.detail


def worker_name(label: str) -> str:
    """A worker's name in the jobs it claims: host, process, label and a random part (unique per loop)."""
    return f"{socket.gethostname()}:{os.getpid()}:{label}:{uuid.uuid4().hex[:6]}"


class Worker:
    """One loop claiming jobs of `kinds` and running `tasks`, until `stop` is set."""

    def __init__(self, graph: Graph, *, tasks: Sequence[Task] = (), kinds: Sequence[str] | None = None,
                 name: str | None = None, stop: threading.Event | None = None, wake: threading.Event | None = None,
                 settings: Settings | None = None):
        self.graph = graph
        self.settings = settings or graph.settings
        self.tasks = tuple(tasks)
        self.kinds = list(kinds or RUNNERS)
        self.name = name or worker_name("worker")
        self.stop = stop or threading.Event()
        self.wake = wake or threading.Event()

    # -- scheduled tasks --------------------------------------------------------------------------

    def run_due_tasks(self) -> list[str]:
        """Run every task whose time has come and that no other worker is running; their names."""
        ran = []
        for task in self.tasks:
            if self.stop.is_set():
                break
            claimed = schedule.due(self.graph, task.name, task.every, self.name)
            if claimed is None:
                continue
            run, previous = claimed
            try:
                result = task.run(self.graph, self.settings, previous)
            except Exception as exc:  # a failed task is retried at its next time, and says why meanwhile
                log.exception("scheduled task %s failed", task.name)
                schedule.done(self.graph, task.name, run, error=f"{type(exc).__name__}: {exc}")
            else:
                schedule.done(self.graph, task.name, run, result=result)
            ran.append(task.name)
        return ran

    # -- jobs -------------------------------------------------------------------------------------

    def run_next_job(self) -> bool:
        """Claim the oldest claimable job and run it; False if there was none."""
        claim = queue.claim(self.graph, self.name, self.kinds, self.settings.job_lease_seconds,
                            self.settings.job_max_attempts)
        if claim is None:
            return False
        self.run_job(claim)
        return True

    def run_job(self, claim: queue.Claim) -> None:
        """Run a claimed job to its end (done or failed), or give it back (stopped, interrupted)."""
        ended, lost = threading.Event(), threading.Event()
        renewer = threading.Thread(target=self._renew, args=(claim, ended, lost), daemon=True,
                                   name=f"lease-{claim.uid[:8]}")
        renewer.start()

        def check() -> None:
            if lost.is_set():
                raise queue.LeaseLost(f"job {claim.uid} was taken over")
            if self.stop.is_set():
                raise Stopped()

        try:
            result = RUNNERS[claim.kind](self.graph, claim, check)
        except queue.LeaseLost:
            log.warning("job %s was taken over by another worker; %s stops it", claim.uid, self.name)
        except (Stopped, *_INTERRUPTIONS) as exc:
            if not isinstance(exc, Stopped):
                log.warning("job %s interrupted (%s); it will be resumed", claim.uid, type(exc).__name__)
            self._quietly(queue.release, claim)
        except DomainError as exc:
            self._quietly(queue.fail, claim, message_of(exc))
        except Exception as exc:  # a crashed job must say so rather than be claimed again and again
            log.exception("job %s failed", claim.uid)
            self._quietly(queue.fail, claim, f"the job stopped: {type(exc).__name__}")
        else:
            self._quietly(queue.finish, claim, **result)
        finally:
            ended.set()
            renewer.join()

    def _quietly(self, end: Callable[..., None], claim: queue.Claim, *args, **kwargs) -> None:
        """End the job's claim; if that fails (lease lost, database away) its lease runs out instead."""
        try:
            end(self.graph, claim, *args, **kwargs)
        except queue.LeaseLost:
            log.warning("job %s: no longer held by %s", claim.uid, self.name)
        except Exception:
            log.warning("job %s: could not record its end; it is resumed when its lease runs out", claim.uid,
                        exc_info=True)

    def _renew(self, claim: queue.Claim, ended: threading.Event, lost: threading.Event) -> None:
        lease = self.settings.job_lease_seconds
        while not ended.wait(lease / 3):
            try:
                if not queue.renew(self.graph, claim, lease):
                    lost.set()
                    return
            except Exception:  # the database is away: the job's own writes will fail too
                log.warning("could not renew the lease of job %s", claim.uid, exc_info=True)

    # -- the loop ---------------------------------------------------------------------------------

    def step(self) -> bool:
        """One turn: the due tasks, then one job; True if anything ran."""
        ran = bool(self.run_due_tasks())
        if not self.stop.is_set():
            ran = self.run_next_job() or ran
        return ran

    def drain(self) -> None:
        """Turn until nothing is due and no job is waiting (the CLI's `--once`, and tests)."""
        while not self.stop.is_set() and self.step():
            pass

    def run(self) -> None:
        """Turn until stopped, waiting `worker_poll_seconds` (or until woken) whenever there was nothing to do."""
        log.info("worker %s started", self.name)
        while not self.stop.is_set():
            try:
                busy = self.step()
            except Exception:  # the database is away, most likely: wait and try again
                if getattr(self.graph.driver, "_closed", False):  # the process closed its Graph: nothing to do
                    break
                log.warning("worker %s: a turn failed", self.name, exc_info=True)
                busy = False
            if not busy:
                self.wake.wait(self.settings.worker_poll_seconds)
                self.wake.clear()
        log.info("worker %s stopped", self.name)


class Pool:
    """`threads` Worker loops in threads of this process, sharing one stop flag and one wake-up call."""

    def __init__(self, graph: Graph, threads: int = 1, *, tasks: Sequence[Task] = (), label: str = "worker"):
        self.graph = graph
        self.stop_event, self.wake_event = threading.Event(), threading.Event()
        self.workers = [Worker(graph, tasks=tasks, name=worker_name(f"{label}-{i}"), stop=self.stop_event,
                               wake=self.wake_event) for i in range(max(1, threads))]
        self.threads: list[threading.Thread] = []

    def start(self) -> Pool:
        self.threads = [threading.Thread(target=w.run, name=w.name, daemon=True) for w in self.workers]
        for t in self.threads:
            t.start()
        return self

    def wake(self) -> None:
        """Look for work now, rather than at the next poll."""
        self.wake_event.set()

    def alive(self) -> bool:
        return any(t.is_alive() for t in self.threads)

    def stop(self, timeout: float | None = None) -> None:
        """Stop every loop after its current batch or task, and wait up to `timeout` seconds for them."""
        self.stop_event.set()
        self.wake_event.set()
        for t in self.threads:
            t.join(timeout)


# -- the web app's own worker -----------------------------------------------------------------------

_embedded: dict[int, Pool] = {}
_embedded_lock = threading.Lock()


def embedded(graph: Graph) -> Pool | None:
    """This process's worker thread for `graph`, started if it is not running; None if the settings say no.

    Keyed by process as well, so a forked server process starts its own (threads do not survive a fork).
    """
    if not graph.settings.web_embedded_worker:
        return None
    with _embedded_lock:
        key = os.getpid()
        pool = _embedded.get(key)
        if pool is not None and pool.graph is graph and pool.alive():
            return pool
        if pool is not None:  # another Graph's (tests build several): it stops after its current batch
            pool.stop_event.set()
        if not _embedded:
            atexit.register(stop_embedded)  # registered again after stop_embedded emptied it: harmless
        pool = _embedded[key] = Pool(graph, 1, label="web").start()
        return pool


def stop_embedded(timeout: float = 10.0) -> None:
    """Stop the web app's worker threads; a running job gives its lease back after its current batch."""
    with _embedded_lock:
        pools = list(_embedded.values())
        _embedded.clear()
    for pool in pools:
        pool.stop(timeout)
