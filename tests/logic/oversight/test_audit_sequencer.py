"""Issue 16: no global audit lock, tamper evidence kept. An action's entry is written in its transaction
without a lock; the sequencer chains it; `audit verify` is exact while others write; a restore that rolls
the log back is named through the signed checkpoints kept outside the database."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import replace

import pytest

from ccms_graph.db import Graph
from ccms_graph.logic.oversight import audit, checkpoints
from ccms_graph.policy.actor import Actor

ALICE = Actor(uid="u-alice", username="alice", name="Alice", role="agent", office_code="MIA")
BOB = Actor(uid="u-bob", username="bob", name="Bob", role="agent", office_code="NYC")


@pytest.fixture
def kept(graph, tmp_path):
    """The test database through a Graph whose checkpoints go to a file of this test, one per integration."""
    settings = replace(graph.settings, audit_checkpoint_file=tmp_path / "checkpoints.jsonl",
                       audit_checkpoint_interval=0.0)
    g = Graph(settings)
    yield g
    g.driver.close()


def _view(g: Graph, actor: Actor, target: str) -> None:
    g.write(lambda tx: audit.record(tx, actor, "view", [target]))


def _pending(g: Graph) -> int:
    return g.query("RETURN COUNT { (e:AuditPending) } AS n")[0]["n"]


def test_an_action_does_not_wait_for_another_users_open_transaction(kept):
    """Alice's transaction has written its entry and is still open; Bob's audited action commits meanwhile
    (under the old design it queued on the AuditHead's lock until Alice's transaction ended)."""
    _view(kept, ALICE, "warm-up")  # the head exists
    with kept.driver.session(database=kept.database) as session:
        open_tx = session.begin_transaction()
        audit.record(open_tx, ALICE, "view", ["r-alice"])
        done = threading.Event()
        bob = threading.Thread(target=lambda: (_view(kept, BOB, "r-bob"), done.set()), daemon=True)
        bob.start()
        finished = done.wait(20)
        open_tx.commit()
    bob.join(30)
    assert finished, "Bob's action waited for Alice's open transaction"
    audit.integrate(kept)
    result = audit.verify(kept)
    assert result.ok, result.summary()
    assert result.checked == 3 and result.pending == 0
    rows = kept.query("MATCH (e:AuditEntry) RETURN e.seq AS seq, e.targets AS t ORDER BY e.seq")
    assert [r["seq"] for r in rows] == [1, 2, 3]
    assert [r["t"] for r in rows][1:] == [["r-bob"], ["r-alice"]]  # chained in the order they committed


def test_verify_never_alarms_while_writers_run_and_counts_the_pending(kept):
    stop = threading.Event()
    errors: list[BaseException] = []

    def writer(actor: Actor) -> None:
        try:
            i = 0
            while not stop.is_set():
                _view(kept, actor, f"r-{actor.username}-{i}")
                i += 1
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(a,), daemon=True) for a in (ALICE, BOB, ALICE)]
    for t in threads:
        t.start()
    results = []
    deadline = time.monotonic() + 6
    while time.monotonic() < deadline or len(results) < 4:
        results.append(audit.verify(kept))
    stop.set()
    for t in threads:
        t.join(30)
    assert not errors
    assert all(r.ok for r in results), [r.summary() for r in results if not r.ok]
    assert results[-1].checked > results[0].checked  # the writers were writing all along

    def unchained() -> None:  # entries whose writer never integrates (a process that crashed after its commit)
        with kept.driver.session(database=kept.database) as session:
            for i in range(5):
                session.execute_write(lambda tx, n=i: audit.record(tx, BOB, "search", [f"q-{n}"]))

    crashed = threading.Thread(target=unchained)
    crashed.start()
    crashed.join(30)
    waiting = audit.verify(kept)
    assert waiting.ok and waiting.pending == 5, waiting.summary()
    assert "5 newer entries pending integration" in waiting.summary()
    assert audit.integrate(kept) == 5
    final = audit.verify(kept)
    assert final.ok and final.pending == 0 and final.checked == waiting.checked + 5, final.summary()


def test_verify_still_finds_an_edit_behind_the_writers(kept):
    for i in range(6):
        _view(kept, ALICE, f"r-{i}")
    kept.query("MATCH (e:AuditEntry {seq: 3}) SET e.targets = ['someone-else']", write=True)
    result = audit.verify(kept)
    assert [(p.seq, p.kind) for p in result.problems] == [(3, "altered")]


def _restore_to(g: Graph, seq: int) -> None:
    """What restoring a backup taken when the log ended at `seq` does to the database: later entries are
    gone and the head is back where it was."""
    g.query("MATCH (e:AuditEntry) WHERE e.seq > $s DETACH DELETE e", {"s": seq}, write=True)
    g.query("MATCH (h:AuditHead), (e:AuditEntry {seq: $s}) SET h.seq = $s, h.hash = e.hash", {"s": seq}, write=True)


def test_a_restore_that_rolls_the_log_back_is_named(kept, tmp_path):
    for i in range(8):
        _view(kept, ALICE, f"r-{i}")
    assert audit.verify(kept).ok
    _restore_to(kept, 5)
    blind = Graph(replace(kept.settings, audit_checkpoint_file=tmp_path / "none.jsonl"))
    try:
        assert audit.verify(blind).ok  # from inside the database alone the rollback cannot be seen
    finally:
        blind.driver.close()
    result = audit.verify(kept)
    assert [(p.seq, p.kind) for p in result.problems] == [(6, "rolled_back")], result.summary()
    assert "entries 6 to 8 are gone" in result.summary()


def test_a_rewritten_tail_with_valid_hashes_is_named(kept):
    """An insider who rehashes the chain from entry 4 on fools the hashes, not the checkpoints."""
    for i in range(6):
        _view(kept, ALICE, f"r-{i}")
    rows = kept.query("MATCH (e:AuditEntry) RETURN properties(e) AS e ORDER BY e.seq")
    prev = None
    for row in rows:
        e = audit.as_hashed(row["e"])
        if e["seq"] >= 4:
            e["targets"] = ["nothing-to-see"]
            e["prev_hash"] = prev
            e["hash"] = audit.entry_hash(e)
            kept.query("MATCH (x:AuditEntry {seq: $s}) SET x.targets = $t, x.prev_hash = $p, x.hash = $h",
                       {"s": e["seq"], "t": e["targets"], "p": e["prev_hash"], "h": e["hash"]}, write=True)
        prev = e["hash"]
    kept.query("MATCH (h:AuditHead) SET h.hash = $h", {"h": prev}, write=True)
    kinds = {p.kind for p in audit.verify(kept).problems}
    assert kinds == {"rewritten"}


def test_a_forged_checkpoint_line_is_named_and_a_new_database_starts_a_new_chain(kept, graph):
    _view(kept, ALICE, "r-1")
    head = kept.query("MATCH (h:AuditHead) RETURN h.chain AS chain, h.hash AS hash")[0]
    with checkpoints.path(kept.settings).open("a") as out:
        out.write(json.dumps({"chain": head["chain"], "seq": 99, "hash": head["hash"], "at": "x", "sig": "0" * 64})
                  + "\n")
    result = audit.verify(kept)
    assert [p.kind for p in result.problems] == ["checkpoint"]
    graph.query("MATCH (n) DETACH DELETE n", write=True)  # a wiped database: the old chain's lines do not apply
    _view(kept, BOB, "r-2")
    assert audit.verify(kept).ok


def test_a_deleted_head_is_named_but_a_log_that_begins_during_verify_is_not(kept):
    assert audit.verify(kept).ok  # an empty log: no head, nothing chained
    for i in range(3):
        _view(kept, ALICE, f"r-{i}")
    kept.query("MATCH (h:AuditHead) DELETE h", write=True)
    assert [p.kind for p in audit.verify(kept).problems] == ["head"]


def test_a_deferred_block_leaves_its_entries_pending_then_chains_them_all_at_its_end(kept):
    with audit.sequencer.deferred(kept):
        for target in ("r-1", "r-2", "r-3"):
            _view(kept, ALICE, target)
        assert _pending(kept) == 3  # written, not yet chained
    assert _pending(kept) == 0
    result = audit.verify(kept)
    assert result.ok and result.checked == 3
    _view(kept, BOB, "r-4")  # after the block, inline chaining is back
    assert _pending(kept) == 0
