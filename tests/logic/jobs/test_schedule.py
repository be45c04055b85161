"""Scheduled tasks: one run per period across every worker, never two at once, and the tasks themselves."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

from ccms_graph.logic.casework import cases
from ccms_graph.logic.jobs import schedule, tasks, worker


def _counting_task(every: float, seconds: float = 0.1):
    runs: list[str] = []

    def run(graph, settings, previous):
        runs.append(threading.current_thread().name)
        time.sleep(seconds)  # long enough for every other worker to find it running
        return {"run": len(runs), "previous": previous}

    return worker.Task("count", every, run), runs


def _together(workers) -> None:
    start = threading.Barrier(len(workers))

    def turn(w):
        start.wait()
        w.run_due_tasks()

    threads = [threading.Thread(target=turn, args=(w,), name=w.name) for w in workers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def test_a_due_task_runs_once_across_workers(graph, short_lease):
    task, runs = _counting_task(every=3600)
    workers = [worker.Worker(g, tasks=[task], name=f"w{i}") for i, g in enumerate([graph, short_lease] * 2)]
    _together(workers)
    assert len(runs) == 1
    _together(workers)  # not due again for an hour
    assert len(runs) == 1
    state = schedule.get(graph, "count")
    assert state["runs"] == 1 and state["worker"] == runs[0] and state["lease_until"] is None
    assert datetime.fromisoformat(state["next_at"]) > datetime.now(UTC) + timedelta(minutes=59)
    for n in range(2, 8):  # due again (the hour has passed): the workers race for an existing schedule
        graph.query("MATCH (s:Schedule {name: 'count'}) SET s.next_at = datetime() - duration('PT1S')", write=True)
        _together(workers)
        assert len(runs) == n


def test_a_running_task_is_not_started_again_even_when_due(graph, short_lease):
    task, runs = _counting_task(every=0.01, seconds=1.0)  # due again at once, but still running
    first = threading.Thread(target=worker.Worker(graph, tasks=[task], name="first").run_due_tasks, name="first")
    first.start()
    time.sleep(0.4)
    assert worker.Worker(short_lease, tasks=[task], name="second").run_due_tasks() == []
    first.join()
    assert worker.Worker(short_lease, tasks=[task], name="second").run_due_tasks() == ["count"]
    assert runs == ["first", "MainThread"]
    assert schedule.get(graph, "count")["result"] == '{"previous": {"previous": null, "run": 1}, "run": 2}'


def test_a_failed_task_says_why_and_runs_again_when_next_due(graph):
    def broken(graph, settings, previous):
        raise RuntimeError("relay refused")

    w = worker.Worker(graph, tasks=[worker.Task("broken", 0.01, broken)])
    assert w.run_due_tasks() == ["broken"]
    assert schedule.get(graph, "broken")["error"] == "RuntimeError: relay refused"
    time.sleep(0.05)
    assert w.run_due_tasks() == ["broken"]


def test_the_retention_report_tells_administrators_once_per_change_and_removes_nothing(graph, org):
    case = cases.create_case(graph, org.agent_a, {"title": "Old matter"})
    graph.query("MATCH (c:Case {uid: $u}) SET c.status = 'closed', c.closed_at = datetime() - duration({years: 21})",
                {"u": case["uid"]}, write=True)
    w = worker.Worker(graph, tasks=[worker.Task("retention_report", 0.01, tasks.retention_report)])
    assert w.run_due_tasks() == ["retention_report"]
    told = graph.query("MATCH (n:Notification {kind: 'system'}) RETURN n.recipient_uid AS uid, n.message AS m")
    assert [t["uid"] for t in told] == [org.admin.uid] and "1 cases" in told[0]["m"]
    time.sleep(0.05)
    assert w.run_due_tasks() == ["retention_report"]  # the same list: nobody is told again
    assert len(graph.query("MATCH (n:Notification {kind: 'system'}) RETURN n")) == 1
    assert graph.query("MATCH (c:Case {uid: $u}) RETURN c.uid AS uid", {"u": case["uid"]})  # still there


def test_the_workers_tasks_are_notification_delivery_and_the_retention_report(graph):
    names = {t.name: t for t in worker.scheduled_tasks(graph.settings)}
    assert names["deliver_notifications"].every == graph.settings.notify_every_seconds
    assert names["retention_report"].run is tasks.retention_report
    assert tasks.deliver_notifications(graph, graph.settings, None) == {"sent": 0}  # no SMTP host in tests
