"""The audit log: the verifier finds tampering and says where; appends never fork; auditors search and export."""

from __future__ import annotations

import csv
import io
import threading

import pytest

from ccms_graph.cli import main as cli
from ccms_graph.errors import Forbidden, ValidationFailed
from ccms_graph.logic.oversight import audit
from ccms_graph.policy.actor import SYSTEM


def _append(graph, n, who=SYSTEM, action="view"):
    for i in range(n):
        graph.write(lambda tx, i=i: audit.record(tx, who, action, [f"rec{i}"], details={"i": i}))


@pytest.fixture
def log(graph):
    _append(graph, 6)
    return graph


def _kinds(result):
    return [(p.seq, p.kind) for p in result.problems]


def test_an_untouched_log_verifies(log, capsys):
    result = audit.verify(log)
    assert result.ok and result.checked == 6 and result.last_seq == 6 == result.head_seq
    assert cli(["audit", "verify"]) == 0
    assert "intact" in capsys.readouterr().out


def test_an_edited_entry_is_found(log, capsys):
    log.query("MATCH (e:AuditEntry {seq: 3}) SET e.outcome = 'failure'", write=True)
    result = audit.verify(log)
    assert _kinds(result) == [(3, "altered")]
    assert cli(["audit", "verify"]) == 1
    assert "entry 3: altered" in capsys.readouterr().out


def test_an_edited_time_or_target_is_found(log):
    log.query("MATCH (e:AuditEntry {seq: 2}) SET e.at = e.at + duration({seconds: 1})", write=True)
    log.query("MATCH (e:AuditEntry {seq: 5}) SET e.targets = ['someone-else']", write=True)
    assert _kinds(audit.verify(log)) == [(2, "altered"), (5, "altered")]


def test_a_deleted_entry_is_found(log):
    log.query("MATCH (e:AuditEntry {seq: 4}) DELETE e", write=True)
    result = audit.verify(log)
    assert _kinds(result) == [(4, "missing")]
    assert "entry 4 is missing" in result.summary()


def test_reordered_entries_are_found(log):
    log.query("""MATCH (a:AuditEntry {seq: 2}), (b:AuditEntry {seq: 3})
                 SET a.seq = -1 SET b.seq = 2 SET a.seq = 3""", write=True)
    result = audit.verify(log)
    assert (2, "altered") in _kinds(result) and (3, "altered") in _kinds(result)
    # Entry 4 still points at the old entry 3, which now sits at position 2.
    assert (4, "reordered") in _kinds(result)
    assert "entry 4: reordered: it follows entry 2 in the chain" in result.summary()


def test_a_reordered_chain_with_rehashed_entries_is_found(log):
    """An attacker who recomputes the hashes of swapped entries still breaks the links between them."""
    rows = log.query("MATCH (e:AuditEntry) WHERE e.seq IN [2, 3] RETURN properties(e) AS e ORDER BY e.seq")
    a, b = (audit.as_hashed(r["e"]) for r in rows)
    a["seq"], b["seq"] = 3, 2
    for e in (a, b):
        e["hash"] = audit.entry_hash(e)
    log.query("MATCH (e:AuditEntry) WHERE e.seq IN [2, 3] SET e.seq = -e.seq", write=True)
    for e in (a, b):
        log.query("MATCH (x:AuditEntry {seq: $old}) SET x.seq = $seq, x.hash = $hash",
                  {"old": -(5 - e["seq"]), "seq": e["seq"], "hash": e["hash"]}, write=True)
    result = audit.verify(log)
    assert not result.ok and result.problems[0].seq == 2


def test_truncation_is_found(log, capsys):
    log.query("MATCH (e:AuditEntry) WHERE e.seq >= 5 DELETE e", write=True)
    result = audit.verify(log)
    assert _kinds(result) == [(5, "truncated")]
    assert "the head records 6 entries but the log ends at entry 4" in result.summary()
    assert cli(["audit", "verify"]) == 1
    assert "entry 5: truncated" in capsys.readouterr().out


def test_concurrent_appends_never_fork_the_chain(log):
    errors = []

    def worker(k):
        try:
            _append(log, 10, action="search")
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    result = audit.verify(log)
    assert result.ok, result.summary()
    assert result.checked == 86
    seqs = [r["s"] for r in log.query("MATCH (e:AuditEntry) RETURN e.seq AS s ORDER BY s")]
    assert seqs == list(range(1, 87))


def test_auditors_search_by_user_action_record_and_time(graph, org):
    graph.write(lambda tx: audit.record(tx, org.agent_a, "view", ["r1"]))
    graph.write(lambda tx: audit.record(tx, org.agent_b, "view", ["r2"]))
    graph.write(lambda tx: audit.record(tx, org.agent_a, "export", ["r2"]))
    by_a = audit.search(graph, org.auditor, user="agent_a")
    assert [(e["action"], e["targets"]) for e in by_a] == [("export", ["r2"]), ("view", ["r1"])]
    assert [e["actor_username"] for e in audit.search(graph, org.auditor, record="r2", action="view")] == ["agent_b"]
    assert audit.search(graph, org.auditor, since="2000-01-01", until="2000-12-31") == []
    assert len(audit.search(graph, org.auditor, user=org.agent_b.uid, since="2000-01-01")) == 1
    mine = audit.search(graph, org.auditor, user="auditor", action="search")
    assert len(mine) == 4 and mine[-1]["details"]["criteria"]["user"] == "agent_a"
    assert mine[-1]["details"]["shown"] == 2
    with pytest.raises(ValidationFailed):
        audit.search(graph, org.auditor, action="peek")


def test_non_auditors_are_refused_and_the_refusal_is_audited(graph, org):
    for who in (org.agent_b, org.analyst_mia, org.admin):
        with pytest.raises(Forbidden):
            audit.search(graph, who, user="agent_a")
    denials = graph.query("MATCH (e:AuditEntry {action: 'deny'}) RETURN e.actor_username AS u ORDER BY e.seq")
    assert [d["u"] for d in denials] == ["agent_b", "analyst_mia", "admin"]


def test_a_supervisor_reads_the_entries_of_the_people_who_report_to_them_and_no_one_else(graph, org):
    from io import StringIO

    for who in (org.agent_a, org.agent_port, org.agent_nyc, org.chief, org.sup_mia):
        graph.write(lambda tx, w=who: audit.record(tx, w, "view", [f"r-{w.username}"]))
    seen = {e["actor_username"] for e in audit.search(graph, org.sup_mia, action="view")}
    assert seen == {"agent_a", "agent_port"}  # not their own, not their supervisor's, not another office's
    # The chief reads the whole chain below them, sup_mia's entries included.
    assert {e["actor_username"] for e in audit.search(graph, org.chief, action="view")} == {
        "agent_a", "agent_port", "sup_mia"}
    # Naming someone outside the chain finds nothing; it does not widen the scope.
    assert audit.search(graph, org.sup_mia, user="agent_nyc") == []
    out = StringIO()
    assert audit.export_csv(graph, org.sup_mia, out, action="view") == 2
    assert "agent_nyc" not in out.getvalue() and "agent_a" in out.getvalue()
    # The supervisor's reading is itself audited.
    searched = graph.query("MATCH (e:AuditEntry {action: 'search', actor_username: 'sup_mia'}) RETURN count(e) AS n")
    assert searched[0]["n"] == 2


def test_export_writes_every_matching_entry_as_csv(graph, org):
    graph.write(lambda tx: audit.record(tx, org.agent_a, "view", ["r1"], details={"why": "test"}))
    out = io.StringIO()
    n = audit.export_csv(graph, org.auditor, out, user="agent_a")
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert n == 1 and rows[0]["action"] == "view" and rows[0]["targets"] == '["r1"]'
    assert rows[0]["hash"] and rows[0]["prev_hash"]
    last = audit.search(graph, org.auditor, action="export", limit=1)[0]
    assert last["details"]["rows"] == 1 and last["actor_username"] == "auditor"
