"""`ccms-graph backup DIR` and `ccms-graph restore DIR`: the local database and the attachment store together.

A backup directory holds three files:

- `neo4j.dump`: Neo4j's own `neo4j-admin database dump` of the database (`neo4j_server.dump`);
- `files.tar`: the attachment store (`settings.file_store`), uncompressed: the blobs are mostly PDFs and
  images that are compressed already, and gzip would lengthen the downtime on a 2-core machine;
- `manifest.json`, written last (so a half-written backup is refused as "not a backup"): when, the
  Neo4j version, the counts of nodes, relationships and audit entries, the audit head's seq and hash,
  and the sha256 and size of each file.

Community Edition dumps only a stopped database, so a backup stops the local server, dumps it, tars the
store and starts the server again (`neo4j_server.offline`). The store is tarred while the server is down
as well: attachment bytes are written inside the transaction that records them, so with no transaction
running the store and the database agree. Clients get 503 for the downtime (README, "Backup and
restore", has the measured figures). A running `ccms-graph neo4j start` waits on the instance lock.

Deliberately left out: the audit log's signed checkpoints (`logic/oversight/checkpoints.py`, a file
outside the database). A restore of an older backup rolls the chain back, and the checkpoints of the
entries written since are what let `audit verify` name it ("rolled_back"); a backup that carried the
file would erase that evidence. The signing key (`var/secret_key`) is left out too: it is a secret,
not data, and the instance keeps its own.

An external Neo4j (`CCMS_NEO4J_URI`) is refused: the local jars cannot reach it, and a cluster or Aura
has its own backups (Enterprise online `neo4j-admin database backup`, Aura snapshots).
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import shutil
import tarfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from . import neo4j_server
from .db import Graph
from .errors import DomainError
from .logic.oversight import audit, checkpoints
from .settings import Settings

#: The manifest's `format`; a directory without it is not a backup.
FORMAT = "ccms-graph-backup/1"
MANIFEST = "manifest.json"
FILES_TAR = "files.tar"

_FIGURES = """
CALL dbms.components() YIELD name, versions, edition
WITH head(versions) AS version, edition
OPTIONAL MATCH (h:AuditHead {id: 'audit'})
RETURN version, edition, h.seq AS seq, h.hash AS hash, h.chain AS chain,
       COUNT { MATCH (n) } AS nodes, COUNT { MATCH ()-[r]->() } AS relationships,
       COUNT { MATCH (e:AuditEntry) } AS audit_entries, COUNT { MATCH (p:AuditPending) } AS audit_pending
"""


class BackupRefused(DomainError):
    """The backup or restore was refused before anything was touched: an external Neo4j, a directory
    that is not a backup (or, for a backup, not empty), or a backup whose files do not match its manifest."""

    status = 409
    title = "Backup refused"


def require_local(settings: Settings, command: str) -> None:
    if not settings.uses_local_server:
        raise BackupRefused(
            f"CCMS_NEO4J_URI is set ({settings.neo4j_uri}): `ccms-graph {command}` works only on the project's "
            f"local Neo4j server, whose files it stops and copies. Use the cluster's own backup tooling: "
            f"`neo4j-admin database backup`/`restore` (Enterprise online backup) or Aura snapshots; back up "
            f"the attachment store ({settings.file_store}) alongside it")


def figures(graph: Graph) -> dict:
    """What a backup records about the database: version, counts and the audit head."""
    row = graph.query(_FIGURES)[0]
    return {
        "neo4j": {"version": row["version"], "edition": row["edition"], "database": graph.database},
        "counts": {k: row[k] for k in ("nodes", "relationships", "audit_entries", "audit_pending")},
        "audit_head": {"seq": row["seq"], "hash": row["hash"], "chain": row["chain"]},
    }


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _store_files(settings: Settings) -> list[Path]:
    """The attachment store's files, never the audit checkpoints even if configured inside it."""
    store = settings.file_store
    if not store.is_dir():
        return []
    keep_out = checkpoints.path(settings).resolve()
    return sorted(p for p in store.rglob("*") if p.is_file() and not p.is_symlink() and p.resolve() != keep_out)


def _tar_store(settings: Settings, out: Path) -> dict:
    files = _store_files(settings)
    with tarfile.open(out, "w") as tar:
        for path in files:
            tar.add(path, arcname=str(path.relative_to(settings.file_store)), recursive=False)
    return {"files": len(files), "bytes": sum(p.stat().st_size for p in files)}


def backup(graph: Graph, dest: Path, clock: Callable[[], float] = time.monotonic) -> dict:
    """Back up the local database and the attachment store into the new or empty directory `dest`;
    returns the manifest. The server is stopped for the dump and the tar and started again if it ran."""
    settings = graph.settings
    require_local(settings, "backup")
    dest = dest.absolute()
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise BackupRefused(f"{dest} is not an empty directory; a backup goes into a new or empty one")
    t0 = clock()
    running = neo4j_server.status(settings)["bolt"]
    # Read just before the stop: a write landing in the second between is in the dump but not in these
    # figures, and `restore` then says the restored database does not match them. A stopped server is
    # dumped as it is, with no figures (reading them would mean starting it).
    found: dict = {"neo4j": {"version": None, "edition": None, "database": settings.neo4j_database},
                   "counts": None, "audit_head": None}
    if running:
        audit.integrate(graph)  # chain pending entries, so the head the manifest records is the log's end
        found = figures(graph)
    dest.mkdir(parents=True, exist_ok=True)
    timings: dict[str, float] = {}
    t_stop = clock()
    try:
        with neo4j_server.offline(settings) as was_running:
            t = clock()
            timings["stop"] = t - t_stop
            dump = neo4j_server.dump(settings, dest)
            timings["dump"] = clock() - t
            t = clock()
            store = _tar_store(settings, dest / FILES_TAR)
            timings["files"] = clock() - t
            t_start = clock()
    except BaseException:
        for name in (dump_name(settings), FILES_TAR):
            (dest / name).unlink(missing_ok=True)
        raise
    t = clock()
    timings["start"] = t - t_start if was_running else 0.0
    timings["downtime"] = t - t_stop if was_running else 0.0
    timings["total"] = t - t0
    manifest = {
        "format": FORMAT,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        **found,
        "file_store": {"path": str(settings.file_store), **store},
        "timings_seconds": {k: round(v, 2) for k, v in timings.items()},
        "files": {p.name: {"sha256": _sha256(p), "bytes": p.stat().st_size} for p in (dump, dest / FILES_TAR)},
    }
    tmp = dest / f".{MANIFEST}.partial"
    tmp.write_text(json.dumps(manifest, indent=2) + "\n")
    tmp.rename(dest / MANIFEST)
    return manifest


def dump_name(settings: Settings) -> str:
    return f"{settings.neo4j_database}.dump"


def check(src: Path) -> dict:
    """The manifest of the backup in `src`, once every file it lists matches its size and sha256;
    BackupRefused for a directory that is not a backup, or one damaged or altered since."""
    path = src / MANIFEST
    try:
        manifest = json.loads(path.read_text())
    except FileNotFoundError:
        raise BackupRefused(f"{src} is not a ccms-graph backup: it has no {MANIFEST}") from None
    except (OSError, ValueError) as exc:
        raise BackupRefused(f"{src} is not a ccms-graph backup: {MANIFEST} is unreadable ({exc})") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT or not isinstance(manifest.get("files"), dict):
        raise BackupRefused(f"{src} is not a ccms-graph backup: {MANIFEST} is not a {FORMAT} manifest")
    if FILES_TAR not in manifest["files"] or not any(n.endswith(".dump") for n in manifest["files"]):
        raise BackupRefused(f"{src} is not a complete backup: its manifest lists no dump or no {FILES_TAR}")
    bad = []
    for name, want in sorted(manifest["files"].items()):
        file = src / name
        if Path(name).name != name or not isinstance(want, dict):
            raise BackupRefused(f"{src} is not a ccms-graph backup: the manifest names {name!r}")
        if not file.is_file():
            bad.append(f"{name} is missing")
        elif file.stat().st_size != want.get("bytes") or _sha256(file) != want.get("sha256"):
            bad.append(f"{name} does not match its sha256 in the manifest")
    if bad:
        raise BackupRefused(f"the backup in {src} is damaged or was altered ({'; '.join(bad)}); nothing was restored")
    return manifest


def _unpack_store(src: Path, into: Path) -> None:
    """Extract `files.tar` into `into`, refusing links, devices and paths outside it (tarfile's data filter)."""
    with tarfile.open(src / FILES_TAR, "r") as tar:
        tar.extractall(into, filter="data")


def _swap_store(settings: Settings, staged: Path, store: Path) -> None:
    """Put the unpacked store in place of the current one: renames, so it is never half one, half the other.
    Audit checkpoints kept inside the store (an odd place, but a setting allows it) move across unchanged."""
    kept = checkpoints.path(settings).resolve()
    if kept.is_file() and kept.is_relative_to(store.resolve()):
        target = staged / kept.relative_to(store.resolve())
        target.parent.mkdir(parents=True, exist_ok=True)
        target.unlink(missing_ok=True)
        os.link(kept, target)  # a hard link: appends made until the swap land in the same file
    old = store.with_name(f".{store.name}.replaced-{secrets.token_hex(4)}")
    if store.exists():
        store.rename(old)
    staged.rename(store)
    shutil.rmtree(old, ignore_errors=True)


def restore(settings: Settings, src: Path, clock: Callable[[], float] = time.monotonic) -> dict:
    """Replace the local database and the attachment store with the backup in `src`.

    Nothing is touched unless every file matches the manifest. The server is stopped for the load and
    started again if it ran; the restored figures are then read and set beside the manifest's. The audit
    checkpoint file is left alone, so `audit verify` reports entries the restore rolled back.
    """
    require_local(settings, "restore")
    src = src.absolute()
    manifest = check(src)
    dump = next(n for n in manifest["files"] if n.endswith(".dump"))
    store = settings.file_store.absolute()
    store.parent.mkdir(parents=True, exist_ok=True)
    staged = store.with_name(f".{store.name}.restore-{secrets.token_hex(4)}")
    timings: dict[str, float] = {}
    t0 = clock()
    try:
        staged.mkdir()
        _unpack_store(src, staged)  # before the stop: a bad tar leaves everything as it was
        timings["unpack"] = clock() - t0
        loading = src
        if dump != dump_name(settings):  # a dump of a database by another name: load it under ours
            loading = staged.with_name(staged.name + "-dump")
            loading.mkdir()
            os.symlink(src / dump, loading / dump_name(settings))
        t_stop = clock()
        with neo4j_server.offline(settings) as was_running:
            t = clock()
            timings["stop"] = t - t_stop
            neo4j_server.load(settings, loading)
            timings["load"] = clock() - t
            _swap_store(settings, staged, store)
            t_start = clock()
    finally:
        shutil.rmtree(staged, ignore_errors=True)
        shutil.rmtree(staged.with_name(staged.name + "-dump"), ignore_errors=True)
    t = clock()
    timings["start"] = t - t_start if was_running else 0.0
    timings["downtime"] = t - t_stop if was_running else 0.0
    timings["total"] = t - t0
    report: dict = {"restored_from": str(src), "backup_created_at": manifest.get("created_at"),
                    "server_running": was_running, "timings_seconds": {k: round(v, 2) for k, v in timings.items()}}
    if was_running:
        # A new driver: one used before the restore holds bookmarks of transactions the restore undid.
        fresh = Graph(settings)
        try:
            now = figures(fresh)
        finally:
            fresh.close()
        report["counts"] = now["counts"]
        report["audit_head"] = now["audit_head"]
        if manifest.get("counts") is not None:
            report["matches_manifest"] = (now["counts"] == manifest["counts"]
                                          and now["audit_head"] == manifest["audit_head"])
    return report
