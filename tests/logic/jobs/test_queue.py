"""The job queue: one claim per job however many claim at once, leases that run out, fencing, input chunks."""

from __future__ import annotations

import threading
import time

import pytest

from ccms_graph.logic.jobs import queue

KIND = "test"


def _claim_together(graph, n: int) -> list[queue.Claim]:
    """`n` threads claim at the same moment; the claims they got."""
    start = threading.Barrier(n)
    got: list[queue.Claim] = []
    errors: list[BaseException] = []

    def claimer(i: int) -> None:
        try:
            start.wait()
            while (c := queue.claim(graph, f"w{i}", [KIND], lease=60)) is not None:
                got.append(c)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=claimer, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    return got


def test_concurrent_claimers_never_both_get_one_job(graph):
    for _ in range(15):  # one job, six claimers racing for it, again and again
        uid = queue.enqueue(graph, KIND, "owner")
        got = _claim_together(graph, 6)
        assert [c.uid for c in got] == [uid]
        assert queue.get(graph, uid)["worker"] == got[0].worker
    uids = {queue.enqueue(graph, KIND, "owner") for _ in range(24)}  # many jobs, shared out
    got = _claim_together(graph, 6)
    assert sorted(c.uid for c in got) == sorted(uids)
    assert all(c.attempt == 1 for c in got)


def test_the_oldest_job_is_claimed_first_and_only_of_the_kinds_asked(graph):
    first = queue.enqueue(graph, KIND, "owner")
    other = queue.enqueue(graph, "other", "owner")
    second = queue.enqueue(graph, KIND, "owner")
    assert queue.claim(graph, "w", [KIND], 60).uid == first
    assert queue.claim(graph, "w", [KIND], 60).uid == second
    assert queue.claim(graph, "w", [KIND], 60) is None
    assert queue.get(graph, other)["state"] == "queued"


def test_a_job_whose_lease_ran_out_is_claimed_again_and_its_first_claim_is_fenced_off(graph):
    uid = queue.enqueue(graph, KIND, "owner")
    first = queue.claim(graph, "dead", [KIND], lease=0.3)
    assert queue.claim(graph, "alive", [KIND], lease=60) is None  # leased: nobody else takes it
    time.sleep(0.5)
    second = queue.claim(graph, "alive", [KIND], lease=60)
    assert (second.uid, second.attempt, second.worker) == (uid, 2, "alive")
    assert queue.renew(graph, first, 60) is False
    with pytest.raises(queue.LeaseLost):
        graph.write(queue.fence, first)
    with pytest.raises(queue.LeaseLost):
        queue.finish(graph, first)
    assert queue.renew(graph, second, 60) is True
    queue.finish(graph, second, note="ok")
    job = queue.get(graph, uid)
    assert (job["state"], job["worker"], job["attempts"], job["note"]) == ("done", "alive", 2, "ok")
    assert job["lease_until"] is None and job["finished_at"]


def test_a_renewed_lease_keeps_the_job(graph):
    queue.enqueue(graph, KIND, "owner")
    mine = queue.claim(graph, "w1", [KIND], lease=0.6)
    for _ in range(4):
        time.sleep(0.3)
        assert queue.renew(graph, mine, 0.6)
        assert queue.claim(graph, "w2", [KIND], lease=60) is None


def test_a_job_that_keeps_losing_its_worker_fails_after_max_attempts(graph):
    uid = queue.enqueue(graph, KIND, "owner")
    for attempt in (1, 2):
        assert queue.claim(graph, "w", [KIND], lease=0.1, max_attempts=2).attempt == attempt
        time.sleep(0.3)
    assert queue.claim(graph, "w", [KIND], lease=0.1, max_attempts=2) is None
    job = queue.get(graph, uid)
    assert job["state"] == "failed" and "2 times" in job["error"]


def test_release_queues_the_job_again_for_another_worker(graph):
    uid = queue.enqueue(graph, KIND, "owner")
    queue.release(graph, queue.claim(graph, "w1", [KIND], 60))
    assert queue.get(graph, uid)["state"] == "queued"
    again = queue.claim(graph, "w2", [KIND], 60)
    assert (again.uid, again.attempt) == (uid, 2)


def test_input_lines_come_back_verbatim_in_order_and_go_with_the_job(graph):
    lines = [f'{{"n": {i}}}' if i % 10 else "" for i in range(2 * queue.CHUNK_LINES + 17)]
    uid = queue.enqueue(graph, KIND, "owner", {"total": len(lines)}, lines)
    assert graph.query("MATCH (c:JobChunk {job_uid: $u}) RETURN count(c) AS n", {"u": uid})[0]["n"] == 3
    assert list(queue.lines(graph, uid)) == lines
    queue.finish(graph, queue.claim(graph, "w", [KIND], 60))
    assert graph.query("MATCH (c:JobChunk {job_uid: $u}) RETURN count(c) AS n", {"u": uid})[0]["n"] == 0
    assert list(queue.lines(graph, uid)) == []


def test_an_owner_keeps_only_the_newest_finished_jobs(graph):
    done = []
    for _ in range(3):
        done.append(queue.enqueue(graph, KIND, "owner", keep=2))
        queue.finish(graph, queue.claim(graph, "w", [KIND], 60))
    queue.enqueue(graph, KIND, "owner", keep=2)
    assert queue.get(graph, done[0]) is None
    assert [j["uid"] for j in queue.jobs_of(graph, "owner")][1:] == done[:0:-1]


def test_a_job_may_not_set_the_queues_own_fields(graph):
    with pytest.raises(ValueError, match="state"):
        queue.enqueue(graph, KIND, "owner", {"state": "done"})
