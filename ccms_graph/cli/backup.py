"""`ccms-graph backup DIR` and `ccms-graph restore DIR [--yes]`: the local database and attachment store."""

from __future__ import annotations

import sys
from pathlib import Path

from .. import backups
from ..db import get_graph
from .output import emit


def _backup(args) -> int:
    manifest = backups.backup(get_graph(), Path(args.dir))
    emit(manifest)
    print(f"backed up to {args.dir}; the server was down for {manifest['timings_seconds']['downtime']} s",
          file=sys.stderr)
    return 0


def _confirmed(src: Path, manifest: dict, settings) -> bool:
    counts = manifest.get("counts") or {}
    print(f"Restore the backup of {manifest.get('created_at')} ({counts.get('nodes', '?')} nodes, "
          f"audit entry {(manifest.get('audit_head') or {}).get('seq', '?')}) from {src}?\n"
          f"This REPLACES the database on {settings.local_bolt_uri} and the file store {settings.file_store}; "
          f"everything written since the backup is lost. The server is stopped meanwhile.", file=sys.stderr)
    print("Type 'restore' to go on: ", end="", file=sys.stderr, flush=True)
    try:
        answer = input()
    except EOFError:
        return False
    return answer.strip() == "restore"


def _restore(args) -> int:
    settings = get_graph().settings  # no connection is opened: the restore stops the server
    src = Path(args.dir)
    backups.require_local(settings, "restore")
    manifest = backups.check(src)  # refuse a damaged or foreign directory before asking anything
    if not args.yes and not _confirmed(src, manifest, settings):
        print("not restored", file=sys.stderr)
        return 1
    report = backups.restore(settings, src)
    emit(report)
    if report.get("matches_manifest") is False:
        print("warning: the restored counts or audit head differ from the manifest's (see above)", file=sys.stderr)
    print("restored. Restart the app servers and workers (their drivers remember transactions the restore "
          "undid); `ccms-graph audit verify` reports the entries written after the backup as rolled back",
          file=sys.stderr)
    return 0


def register(sub) -> None:
    p = sub.add_parser("backup", help="stop the local Neo4j, dump it and tar the attachment store into DIR "
                                      "(with a manifest), then start it again")
    p.add_argument("dir", metavar="DIR", help="a new or empty directory")
    p.set_defaults(func=_backup)
    p = sub.add_parser("restore", help="replace the local database and the attachment store with the backup "
                                       "in DIR (checked against its manifest first)")
    p.add_argument("dir", metavar="DIR", help="a directory `ccms-graph backup` wrote")
    p.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    p.set_defaults(func=_restore)
