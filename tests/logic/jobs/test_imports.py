"""Import jobs survive their worker: a job resumed after a crash or a stop ends with a clean run's counts,
with no line loaded twice and none lost, and a worker whose lease was taken over commits nothing more."""

from __future__ import annotations

import json
import time
from collections import Counter

import pytest

from ccms_graph.db import clear_database
from ccms_graph.errors import NotFound, ValidationFailed
from ccms_graph.logic.entities import imports
from ccms_graph.logic.jobs import imports as import_jobs
from ccms_graph.logic.jobs import queue, worker
from tests.factories import a_readable_and_a_hidden_match, make_org

from .conftest import people_lines

BATCH = 40
COUNTED = ("lines", "created", "hits", "records_with_hits", "sub_records", "separate", "refused_count",
           "warnings_count", "refused", "warnings")


class Died(BaseException):
    """The worker's process ended here: nothing after this point runs (no release, no failure recorded)."""


def _outcome(graph, actor, job_uid: str) -> dict:
    """The job's counts and lists, and of each kept line that met records its number, ref and hit count (the
    uids differ from one run to the next)."""
    job = import_jobs.import_job(graph, actor, job_uid)
    return {**{k: job[k] for k in ("state", "hit_lines_total", *COUNTED)},
            "hit_lines": [(h["line"], h["ref"], len(h["hits"])) for h in job["hit_lines"]]}


def _refs(graph) -> Counter:
    return Counter(r["ref"] for r in graph.query(
        "MATCH (n:Person) WHERE n.source_ref IS NOT NULL RETURN n.source_ref AS ref"))


def _clean_run(graph, org, lines) -> dict:
    uid = import_jobs.enqueue_import(graph, org.agent_a, "Person", "people.jsonl", lines, batch=BATCH)
    worker.Worker(graph).drain()
    return _outcome(graph, org.agent_a, uid)


def _expected_refs(lines) -> Counter:
    """Every line with a ref loads once (the refused lines have none)."""
    return Counter(f"r{i}" for i, text in enumerate(lines) if '"ref"' in text)


@pytest.mark.parametrize("how", ["dies", "is stopped"])
def test_an_import_survives_its_worker_and_ends_as_a_clean_run_does(graph, short_lease, monkeypatch, how):
    lines = people_lines()
    clean = _clean_run(graph, make_org(graph), lines)
    assert clean["state"] == "done" and clean["refused"] and clean["warnings"] and clean["sub_records"]
    assert len(clean["hit_lines"]) == clean["hit_lines_total"] == clean["records_with_hits"]
    assert _refs(graph) == _expected_refs(lines)

    clear_database(graph)
    org = make_org(graph)
    uid = import_jobs.enqueue_import(graph, org.agent_a, "Person", "people.jsonl", lines, batch=BATCH)
    first = worker.Worker(short_lease, name="first")

    def two_batches_then_end(g, claim, check):
        batches = 0

        def counting_check():
            nonlocal batches
            batches += 1
            if batches == 2:
                if how == "dies":
                    raise Died()
                first.stop.set()  # SIGTERM: the worker stops after this batch and gives the job back
            check()

        return import_jobs.run(g, claim, counting_check)

    monkeypatch.setitem(worker.RUNNERS, import_jobs.KIND, two_batches_then_end)
    if how == "dies":
        with pytest.raises(Died):
            first.run_next_job()
        # nobody takes a job its worker still holds, until the lease runs out
        assert not worker.Worker(short_lease, name="early").run_next_job()
    else:
        assert first.run_next_job()
    monkeypatch.undo()

    job = queue.get(graph, uid)
    assert job["state"] == ("running" if how == "dies" else "queued")
    # The job says exactly which lines loaded: the two committed batches, through their last line.
    loaded = [n for n, text in enumerate(lines, start=1) if text.strip()][2 * BATCH - 1]
    assert job["last_line"] == loaded
    half = _outcome(graph, org.agent_a, uid)
    assert half["lines"] == 2 * BATCH
    assert half["refused"] == [r for r in clean["refused"] if r["line"] <= loaded]
    # a job still running shows the lines that met records in what committed, and only those
    assert half["hit_lines"] == [h for h in clean["hit_lines"] if h[0] <= loaded] != []
    assert sum(_refs(graph).values()) == half["created"] < clean["created"]

    if how == "dies":
        time.sleep(1.2)
    second = worker.Worker(short_lease, name="second")
    assert second.run_next_job()
    job = queue.get(graph, uid)
    assert (job["worker"], job["attempts"]) == ("second", 2)
    assert _outcome(graph, org.agent_a, uid) == clean
    assert _refs(graph) == _expected_refs(lines)  # no line loaded twice, none lost
    assert graph.query("MATCH (c:JobChunk {job_uid: $u}) RETURN count(c) AS n", {"u": uid})[0]["n"] == 0


def test_a_worker_whose_lease_was_taken_over_commits_nothing_more(graph, short_lease, org):
    lines = people_lines(120)
    uid = import_jobs.enqueue_import(graph, org.agent_a, "Person", "people.jsonl", lines, batch=BATCH)
    stalled = queue.claim(short_lease, "stalled", [import_jobs.KIND], lease=0.2)
    time.sleep(0.4)
    successor = queue.claim(short_lease, "successor", [import_jobs.KIND], lease=60)
    assert successor.attempt == 2
    with pytest.raises(queue.LeaseLost):  # its first batch's commit is refused, records and all
        import_jobs.run(graph, stalled, lambda: None)
    assert sum(_refs(graph).values()) == 0
    assert queue.get(graph, uid)["last_line"] == 0
    worker.Worker(graph).run_job(successor)
    assert import_jobs.import_job(graph, org.agent_a, uid)["state"] == "done"
    assert sum(_refs(graph).values()) == import_jobs.import_job(graph, org.agent_a, uid)["created"]


def test_a_batch_whose_transaction_fails_is_not_counted_and_loads_on_resume(graph, org):
    """The checkpoint commits with the batch: when the batch's transaction fails, its progress does too."""
    lines = people_lines(100)
    committed: list[tuple[int, dict]] = []
    attempted: list[int] = []

    def checkpoint(tx, counts, last_line, met):
        attempted.append(last_line)
        if len(attempted) == 2:
            raise RuntimeError("the process died in the middle of the second batch")

    def progress(counts):
        committed.append((attempted[-1], {**counts, "refused": list(counts["refused"])}))

    with pytest.raises(RuntimeError):
        imports.import_jsonl(graph, org.agent_a, "Person", lines, batch=BATCH, checkpoint=checkpoint,
                             progress=progress)
    [(through, so_far)] = committed
    assert through == [n for n, text in enumerate(lines, start=1) if text.strip()][BATCH - 1]
    assert sum(_refs(graph).values()) == so_far["created"] == BATCH - len(so_far["refused"])
    rest = imports.import_jsonl(graph, org.agent_a, "Person", lines, batch=BATCH, after_line=through, so_far=so_far)
    assert rest["lines"] == len([t for t in lines if t.strip()])
    assert _refs(graph) == _expected_refs(lines)
    assert rest["refused"][:len(so_far["refused"])] == so_far["refused"]
    assert rest == imports.import_jsonl(graph, org.agent_b, "Person", [], batch=BATCH, so_far=rest)


def test_a_refused_import_fails_the_job_with_its_reason(graph, org):
    uid = import_jobs.enqueue_import(graph, org.auditor, "Person", "people.jsonl", people_lines(5))
    worker.Worker(graph).drain()
    job = import_jobs.import_job(graph, org.auditor, uid)
    assert job["state"] == "failed" and job["error"]
    assert graph.query("MATCH (c:JobChunk) RETURN count(c) AS n")[0]["n"] == 0


def test_a_failed_job_lists_the_lines_that_met_records_in_the_batches_that_committed(graph, org, monkeypatch):
    uid = import_jobs.enqueue_import(graph, org.agent_a, "Person", "people.jsonl", people_lines(), batch=BATCH)

    def one_batch_then_refused(g, claim, check):
        def refuse():
            raise ValidationFailed({"file": ["refused after the first batch"]})
        return import_jobs.run(g, claim, refuse)

    monkeypatch.setitem(worker.RUNNERS, import_jobs.KIND, one_batch_then_refused)
    worker.Worker(graph).drain()

    job = import_jobs.import_job(graph, org.agent_a, uid)
    assert job["state"] == "failed" and 0 < job["last_line"] < len(people_lines())
    assert job["hit_lines"] and all(h["line"] <= job["last_line"] and h["hits"] for h in job["hit_lines"])
    assert len(job["hit_lines"]) == job["hit_lines_total"] == job["records_with_hits"]


def test_a_job_keeps_the_first_lines_that_met_records_and_counts_them_all(graph, org, monkeypatch):
    monkeypatch.setattr(imports, "KEPT_HITS", 3)
    uid = import_jobs.enqueue_import(graph, org.agent_a, "Person", "people.jsonl", people_lines(), batch=BATCH)
    worker.Worker(graph).drain()

    job = import_jobs.import_job(graph, org.agent_a, uid)
    assert job["state"] == "done" and job["hit_lines_total"] == job["records_with_hits"] > 3
    assert [h["line"] for h in job["hit_lines"]] == [7, 14, 21]  # the first three, each a copy of an earlier line
    assert all(h["hits"][0]["uid"] for h in job["hit_lines"])


def test_a_job_shows_a_record_hidden_since_the_import_only_as_whom_to_call(graph, org):
    mine, _, lines = a_readable_and_a_hidden_match(graph, org)
    uid = import_jobs.enqueue_import(graph, org.agent_a, "Person", "people.jsonl", [json.dumps(x) for x in lines])
    worker.Worker(graph).drain()
    (first,) = [m for m in import_jobs.import_job(graph, org.agent_a, uid)["hit_lines"] if m["ref"] == "L1"]
    assert (first["hits"][0]["uid"], first["sub_record_of"]) == (mine["uid"], mine["uid"])

    graph.query("MATCH (n:Person {uid: $u}) SET n.deleted = true", {"u": mine["uid"]}, write=True)  # gone since

    job = import_jobs.import_job(graph, org.agent_a, uid)
    (first,) = [m for m in job["hit_lines"] if m["ref"] == "L1"]
    (hit,) = first["hits"]
    assert (hit["restricted"], hit["uid"], hit["caption"], hit["explanation"]) == (True, None, None, None)
    assert hit["owner"]["name"] == org.agent_b.name and hit["hit_uid"]  # still whom to call
    assert first["sub_record_of"] is None and first["uid"]
    assert mine["uid"] not in repr(job) and "MIA-9" not in repr(job) and "Ferreira" not in repr(job)


def test_nobody_else_sees_an_import_job(graph, org):
    uid = import_jobs.enqueue_import(graph, org.agent_a, "Person", "people.jsonl", people_lines(5))
    with pytest.raises(NotFound) as refused:  # as for a job that is not there, in the same words
        import_jobs.import_job(graph, org.agent_b, uid)
    with pytest.raises(NotFound) as missing:
        import_jobs.import_job(graph, org.agent_b, "no-such-job")
    assert str(refused.value) == str(missing.value)
    assert import_jobs.my_imports(graph, org.agent_b) == []
    assert [j["id"] for j in import_jobs.my_imports(graph, org.agent_a)] == [uid]
