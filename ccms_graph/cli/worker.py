"""`ccms-graph worker`: run background jobs (imports) and scheduled tasks (notification email, the retention report).

Any number may run, on any host that reaches Neo4j, beside the web app's own worker thread: jobs and
schedules are claimed in the database (`logic/jobs`). SIGTERM or SIGINT stops it gracefully: a running
import commits its current batch and goes back to the queue, for the next worker to resume.
"""

from __future__ import annotations

import signal
import sys

from ..db import get_graph
from ..logic.jobs import worker
from ..settings import load_settings
from .arguments import at_least


def _worker(args) -> int:
    settings = load_settings()
    graph = get_graph(settings)
    tasks = worker.scheduled_tasks(settings)
    if args.once:
        worker.Worker(graph, tasks=tasks, name=worker.worker_name("once")).drain()
        return 0
    pool = worker.Pool(graph, args.threads or settings.worker_threads, tasks=tasks)

    def stop(signum, frame) -> None:
        print(f"{signal.Signals(signum).name}: stopping after the current batch", file=sys.stderr, flush=True)
        pool.stop_event.set()
        pool.wake()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    pool.start()
    print(f"worker: {len(pool.workers)} thread(s) on {settings.bolt_uri}; tasks: "
          + ", ".join(f"{t.name} every {t.every:g} s" for t in tasks), file=sys.stderr, flush=True)
    while pool.alive():
        for t in pool.threads:
            t.join(0.5)  # short waits, so the signal handler runs promptly
    print("worker: stopped", file=sys.stderr, flush=True)
    return 0


def register(sub) -> None:
    p = sub.add_parser("worker", help="run background jobs and scheduled tasks until stopped (SIGTERM/SIGINT)")
    p.add_argument("--threads", type=at_least(1), help="jobs run at once (default: CCMS_WORKER_THREADS, 1)")
    p.add_argument("--once", action="store_true", help="run what is due and every waiting job, then exit")
    p.set_defaults(func=_worker)
