"""`ccms-graph backup` and `restore` against a second local Neo4j of their own (the session's server is shared by
the whole suite and must keep running), with its own file store and audit checkpoint file."""

from __future__ import annotations

import io
import json
import os
import shutil
import tarfile
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace

import pytest
from argon2 import PasswordHasher

import ccms_graph.db as dbmod
from ccms_graph import backups, neo4j_server
from ccms_graph.cli import main
from ccms_graph.db import Graph, install_schema
from ccms_graph.logic.casework import documents
from ccms_graph.logic.entities import records
from ccms_graph.logic.oversight import audit, checkpoints
from ccms_graph.logic.people import users
from ccms_graph.settings import load_settings
from tests.factories import make_org, make_person, stored_record
from tests.logic.casework import doc_files
from tests.logic.casework.helpers import open_case

#: The second server's Bolt port (the session's is CCMS_TEST_NEO4J_BOLT_PORT).
PORT = int(os.environ.get("CCMS_TEST_BACKUP_BOLT_PORT", "17781"))
REPORT = b"%PDF-1.4 seizure report\x00\xff" * 40
PHOTO = doc_files.words_png("PHOTO OF THE CONTAINER")  # a real PNG: uploads are judged by their bytes


def _store(settings) -> dict[str, bytes]:
    """Every file of the attachment store but the audit checkpoints, by path, with its bytes."""
    keep_out = checkpoints.path(settings)
    return {str(p.relative_to(settings.file_store)): p.read_bytes()
            for p in sorted(settings.file_store.rglob("*")) if p.is_file() and p != keep_out}


def _state(graph) -> dict:
    row = graph.query("""MATCH (n) WITH count(n) AS nodes
                         MATCH ()-[r]->() WITH nodes, count(r) AS rels
                         MATCH (h:AuditHead {id: 'audit'})
                         RETURN nodes, rels, h.seq AS seq, h.hash AS hash,
                                COUNT { (e:AuditEntry) } AS entries""")[0]
    return row


@pytest.fixture(scope="module")
def backed_up(tmp_path_factory):
    """A second local server with an org chart, two people, a case and a document with an attachment, backed
    up with `ccms-graph backup`; stopped at the end of the module even if a test fails."""
    base = tmp_path_factory.mktemp("backup")
    lib = neo4j_server.fetch(load_settings())
    home = base / "neo4j"
    home.mkdir()
    (home / "lib").symlink_to(lib)  # the jars are shared; the instance (data, conf) is this test's own
    store = base / "files"
    settings = replace(
        load_settings(), neo4j_uri=None, neo4j_bolt_port=PORT, neo4j_home=home, neo4j_heap="512m",
        neo4j_pagecache="128m", file_store=store, secret_key="backup-test-signing-key-" + "k" * 20,
        # Inside the store on purpose: were it backed up with the attachments, a restore would put the old
        # checkpoints back and the rollback would go unseen.
        audit_checkpoint_file=store / "audit-checkpoints.jsonl", audit_checkpoint_interval=0.0)
    users.use_hasher(PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    if neo4j_server.bolt_answers(settings):
        pytest.fail(f"another Neo4j answers on port {PORT}; set CCMS_TEST_BACKUP_BOLT_PORT to a free one")
    graph = None
    try:
        neo4j_server.start(settings)
        graph = Graph(settings)
        install_schema(graph)
        org = make_org(graph)
        kept = make_person(graph, org.agent_a, given_name="Maria", family_name="Lopez", dob="1980-02-03")
        doomed = make_person(graph, org.agent_a, given_name="Ivan", family_name="Petrov")
        case = open_case(graph, org.agent_a, org.sup_mia, "Container fraud")
        doc = documents.create_document(graph, org.agent_a, case["uid"], "SeizureReport", {"title": "Seizure"})
        att = documents.add_attachment(graph, org.agent_a, doc["uid"], "seizure.pdf", "application/pdf", REPORT)
        assert audit.verify(graph).ok
        before = SimpleNamespace(state=_state(graph), store=_store(settings), kept=stored_record(graph, kept["uid"]),
                                 doomed=stored_record(graph, doomed["uid"]))
        out = base / "backup-1"
        mp = pytest.MonkeyPatch()
        mp.setattr(dbmod, "_graph", graph)  # the CLI's get_graph() is this server's
        try:
            assert main(["backup", str(out)]) == 0
        finally:
            mp.undo()
        yield SimpleNamespace(settings=settings, graph=graph, org=org, dir=out, before=before, doc=doc, att=att,
                              kept=kept, doomed=doomed, case=case)
    finally:
        if graph is not None:
            graph.close()
        neo4j_server.stop(settings)


def test_a_backup_holds_the_dump_the_store_and_a_manifest_but_not_the_audit_checkpoints(backed_up):
    b = backed_up
    manifest = json.loads((b.dir / "manifest.json").read_text())
    assert sorted(p.name for p in b.dir.iterdir()) == ["files.tar", "manifest.json", "neo4j.dump"]
    assert sorted(manifest["files"]) == ["files.tar", "neo4j.dump"]
    assert manifest["neo4j"]["version"].startswith("5.26")
    assert manifest["counts"]["nodes"] == b.before.state["nodes"]
    assert manifest["counts"]["relationships"] == b.before.state["rels"]
    assert manifest["counts"]["audit_entries"] == b.before.state["entries"]
    assert (manifest["audit_head"]["seq"], manifest["audit_head"]["hash"]) == (b.before.state["seq"],
                                                                               b.before.state["hash"])
    with tarfile.open(b.dir / "files.tar") as tar:
        names = tar.getnames()
    assert names == [str(documents.blob_path(Path(), b.att["sha256"]))]
    assert checkpoints.path(b.settings).exists()  # it exists, and was left out
    assert manifest["timings_seconds"]["downtime"] > 0
    assert neo4j_server.status(b.settings)["bolt"]  # running again


def test_restore_brings_back_the_database_and_the_files_and_verify_names_the_rollback(backed_up, capsys):
    b = backed_up
    g, s, org = b.graph, b.settings, b.org
    b.graph.reopen()
    # After the backup: change, delete and add records and files, all audited, and check the log is intact.
    records.update_entity(g, org.agent_a, b.kept["uid"], {"given_name": "Mariana"})
    records.delete_entity(g, org.agent_a, b.doomed["uid"], reason="entered twice")
    late = make_person(g, org.agent_a, given_name="Late", family_name="Comer")
    documents.add_attachment(g, org.agent_a, b.doc["uid"], "photo.png", "image/png", PHOTO)
    (s.file_store / documents.blob_path(Path(), b.att["sha256"])).unlink()  # and lose a file
    after = audit.verify(g)
    assert after.ok and after.last_seq > b.before.state["seq"]
    assert _state(g) != b.before.state and _store(s) != b.before.store

    dbmod_graph = dbmod._graph
    dbmod._graph = g
    try:
        assert main(["restore", str(b.dir), "--yes"]) == 0
    finally:
        dbmod._graph = dbmod_graph
    report = json.loads(capsys.readouterr().out)
    assert report["matches_manifest"] is True and report["server_running"] is True, report

    assert neo4j_server.status(s)["bolt"]  # it was running, so it runs again
    g.reopen()  # the old driver remembers transactions the restore undid
    assert _state(g) == b.before.state
    assert _store(s) == b.before.store
    assert stored_record(g, b.kept["uid"]) == b.before.kept
    assert stored_record(g, b.doomed["uid"]) == b.before.doomed
    assert g.query("MATCH (n {uid: $u}) RETURN n", {"u": late["uid"]}) == []

    result = audit.verify(g)
    assert [p.kind for p in result.problems] == ["rolled_back"]
    (problem,) = result.problems
    assert problem.seq == b.before.state["seq"] + 1
    assert f"entries {b.before.state['seq'] + 1} to {after.last_seq} are gone" in problem.detail
    assert result.checked == b.before.state["seq"]  # the restored chain itself is whole

    # The attachment is served again, its bytes proven by their recorded sha256.
    meta, data = documents.download_attachment(g, org.agent_a, b.doc["uid"], b.att["uid"])
    assert data == REPORT


def _tampered(src: Path, dest: Path, how: str) -> Path:
    shutil.copytree(src, dest)
    if how == "attachment":  # one attachment's bytes changed inside the tar, sizes kept
        with tarfile.open(src / "files.tar") as tar:
            (member,) = tar.getmembers()
            data = bytearray(tar.extractfile(member).read())
        data[0] ^= 0xFF
        member.size = len(data)
        with tarfile.open(dest / "files.tar", "w") as tar:
            tar.addfile(member, io.BytesIO(bytes(data)))
    elif how == "dump":
        with open(dest / "neo4j.dump", "r+b") as fh:
            fh.seek(200)
            byte = fh.read(1)
            fh.seek(200)
            fh.write(bytes([byte[0] ^ 0xFF]))
    elif how == "missing":
        (dest / "files.tar").unlink()
    elif how == "no manifest":
        (dest / "manifest.json").unlink()
    elif how == "foreign manifest":
        (dest / "manifest.json").write_text(json.dumps({"files": {}}))
    return dest


@pytest.mark.parametrize(("how", "says"), [
    ("attachment", "files.tar does not match its sha256"),
    ("dump", "neo4j.dump does not match its sha256"),
    ("missing", "files.tar is missing"),
    ("no manifest", "is not a ccms-graph backup: it has no manifest.json"),
    ("foreign manifest", "is not a ccms-graph backup"),
])
def test_restore_refuses_a_damaged_or_foreign_backup_without_touching_anything(backed_up, tmp_path, capsys, how,
                                                                              says):
    b = backed_up
    b.graph.reopen()
    # Something only the current database has: a restore that went ahead would remove it.
    fresh = make_person(b.graph, b.org.agent_b, given_name="Written", family_name=f"After {how}")
    state, store = _state(b.graph), _store(b.settings)
    pid = neo4j_server.status(b.settings)["pid"]
    bad = _tampered(b.dir, tmp_path / "bad", how)

    with pytest.raises(backups.BackupRefused, match=says):
        backups.restore(b.settings, bad)
    saved = dbmod._graph
    dbmod._graph = b.graph
    try:
        assert main(["restore", str(bad), "--yes"]) == 2
    finally:
        dbmod._graph = saved
    assert says in capsys.readouterr().err

    assert neo4j_server.status(b.settings)["pid"] == pid  # never stopped
    assert _state(b.graph) == state and _store(b.settings) == store
    assert stored_record(b.graph, fresh["uid"])["props"]["given_name"] == "Written"


def test_restore_asks_first_and_a_no_leaves_everything(backed_up, monkeypatch, capsys):
    b = backed_up
    b.graph.reopen()
    fresh = make_person(b.graph, b.org.agent_b, given_name="Kept", family_name="Anyway")
    state = _state(b.graph)
    pid = neo4j_server.status(b.settings)["pid"]
    monkeypatch.setattr(dbmod, "_graph", b.graph)
    monkeypatch.setattr("sys.stdin", io.StringIO("yes\n"))  # only the word "restore" goes on
    assert main(["restore", str(b.dir)]) == 1
    err = capsys.readouterr().err
    assert "REPLACES the database" in err and "not restored" in err
    monkeypatch.setattr("sys.stdin", io.StringIO(""))  # no terminal, no answer: no restore
    assert main(["restore", str(b.dir)]) == 1
    assert neo4j_server.status(b.settings)["pid"] == pid
    assert _state(b.graph) == state
    assert stored_record(b.graph, fresh["uid"])["props"]["family_name"] == "Anyway"


def test_backup_refuses_a_directory_that_is_not_empty(backed_up, tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    pid = neo4j_server.status(backed_up.settings)["pid"]
    with pytest.raises(backups.BackupRefused, match="not an empty directory"):
        backups.backup(backed_up.graph, tmp_path)
    assert neo4j_server.status(backed_up.settings)["pid"] == pid
    assert [p.name for p in tmp_path.iterdir()] == ["notes.txt"]


def test_backup_and_restore_refuse_an_external_neo4j(tmp_path, monkeypatch, capsys):
    # Nothing listens on this port: a command that went ahead would fail on something else entirely.
    settings = replace(load_settings(), neo4j_uri="neo4j://cluster.example:7687", neo4j_bolt_port=17789,
                       neo4j_home=tmp_path / "neo4j", file_store=tmp_path / "files")
    graph = Graph(settings)
    try:
        monkeypatch.setattr(dbmod, "_graph", graph)
        for argv in (["backup", str(tmp_path / "out")], ["restore", str(tmp_path / "out"), "--yes"]):
            assert main(argv) == 2
            err = capsys.readouterr().err
            assert "CCMS_NEO4J_URI is set (neo4j://cluster.example:7687)" in err
            assert "Enterprise online backup" in err and "Aura snapshots" in err
        with pytest.raises(backups.BackupRefused, match="cluster's own backup tooling"):
            backups.backup(graph, tmp_path / "out")
        with pytest.raises(backups.BackupRefused, match="cluster's own backup tooling"):
            backups.restore(settings, tmp_path / "out")
    finally:
        graph.close()
    assert not (tmp_path / "out").exists() and not (tmp_path / "neo4j").exists()
