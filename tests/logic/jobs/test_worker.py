"""`ccms-graph worker`: runs queued imports, stops gracefully on SIGTERM, and the next worker resumes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter

from ccms_graph.cli import main
from ccms_graph.logic.jobs import imports as import_jobs
from ccms_graph.logic.jobs import queue, schedule, worker

from .conftest import people_lines


def _refs(graph) -> Counter:
    return Counter(r["ref"] for r in graph.query(
        "MATCH (n:Person) WHERE n.source_ref IS NOT NULL RETURN n.source_ref AS ref"))


def test_worker_once_runs_the_waiting_imports_and_the_due_tasks(graph, org):
    uid = import_jobs.enqueue_import(graph, org.agent_a, "Person", "people.jsonl", people_lines(60))
    assert main(["worker", "--once"]) == 0
    assert import_jobs.import_job(graph, org.agent_a, uid)["state"] == "done"
    assert schedule.get(graph, "deliver_notifications")["result"] == '{"sent": 0}'
    assert schedule.get(graph, "retention_report")["runs"] == 1


def test_the_worker_stops_gracefully_on_sigterm_and_the_next_one_resumes(graph, org, tmp_path):
    lines = people_lines(600)
    uid = import_jobs.enqueue_import(graph, org.agent_a, "Person", "people.jsonl", lines, batch=10)
    settings = graph.settings
    env = {**os.environ, "CCMS_HOME": str(tmp_path), "CCMS_NEO4J_URI": settings.bolt_uri,
           "CCMS_NEO4J_USER": settings.neo4j_user, "CCMS_NEO4J_PASSWORD": settings.neo4j_password,
           "CCMS_WORKER_POLL_SECONDS": "0.2"}
    proc = subprocess.Popen([sys.executable, "-m", "ccms_graph", "worker"], env=env, stderr=subprocess.PIPE,
                            text=True)
    try:
        deadline = time.monotonic() + 120
        while (queue.get(graph, uid)["last_line"] or 0) < 50 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert queue.get(graph, uid)["state"] == "running"
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, err
    assert "SIGTERM: stopping after the current batch" in err
    stopped = queue.get(graph, uid)
    assert stopped["state"] == "queued" and 50 <= stopped["last_line"] < len(lines)
    assert sum(_refs(graph).values()) == stopped["created"]
    worker.Worker(graph).drain()
    done = import_jobs.import_job(graph, org.agent_a, uid)
    assert done["state"] == "done" and done["attempts"] == 2
    assert done["lines"] == len([t for t in lines if t.strip()])
    assert _refs(graph) == Counter(f"r{i}" for i, text in enumerate(lines) if '"ref"' in text)
