"""Signed checkpoints of the audit chain's head, kept outside the database.

A checkpoint is one JSON line, {"chain", "seq", "hash", "at", "sig"}, appended to a file named in
settings (`CCMS_AUDIT_CHECKPOINT_FILE`, default `<home>/var/audit-checkpoints.jsonl`). `sig` is an
HMAC-SHA256 of the other fields under the instance's signing key, so a line cannot be forged or
edited by someone who can write the file but not read the key. `chain` is the random id the
AuditHead got when the log began: a wiped database starts a new chain, and the old chain's lines
no longer apply to it.

Why outside: a restore of an older backup rolls the database back, AuditHead included, and the log
then looks intact from inside. The file still holds a checkpoint of a later entry, so `audit verify`
names the rollback ("rolled_back"), and an entry at a checkpointed position whose hash differs
("rewritten"). The sequencer keeps at most one checkpoint per `audit_checkpoint_interval` seconds
per process (entries chained within the last interval before a backup was taken are the blind spot);
`audit verify` keeps one of the head it verified.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

from ...settings import Settings, signing_key

_FIELDS = ("chain", "seq", "hash", "at")
_lock = threading.Lock()
_last: dict[Path, float] = {}


def path(settings: Settings) -> Path:
    return settings.audit_checkpoint_file or settings.home / "var" / "audit-checkpoints.jsonl"


def _sign(settings: Settings, cp: dict) -> str:
    message = json.dumps([cp.get(k) for k in _FIELDS], separators=(",", ":")).encode()
    return hmac.new(signing_key(settings).encode(), message, hashlib.sha256).hexdigest()


def keep(settings: Settings, head: dict, force: bool = False) -> bool:
    """Append a signed checkpoint of `head` ({chain, seq, hash}); False when throttled or chain-less."""
    if not head.get("chain") or not head.get("seq"):
        return False
    file = path(settings)
    with _lock:
        now = time.monotonic()
        if not force and now - _last.get(file, -1e9) < settings.audit_checkpoint_interval:
            return False
        _last[file] = now
    cp = {"chain": head["chain"], "seq": int(head["seq"]), "hash": head["hash"],
          "at": datetime.now(UTC).isoformat(timespec="seconds")}
    line = json.dumps({**cp, "sig": _sign(settings, cp)}, separators=(",", ":")) + "\n"
    file.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd = os.open(file, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        os.write(fd, line.encode())  # one write of one short line: appends from two processes never interleave
    finally:
        os.close(fd)
    return True


def of_chain(settings: Settings, chain: str | None) -> tuple[list[dict], int]:
    """(the valid checkpoints of `chain`, oldest first; how many lines of it fail their signature)."""
    file = path(settings)
    if not chain or not file.exists():
        return [], 0
    good, forged = [], 0
    with file.open(encoding="utf-8", errors="replace") as lines:
        for text in lines:
            try:
                cp = json.loads(text)
            except ValueError:
                continue
            if not isinstance(cp, dict) or cp.get("chain") != chain:
                continue
            if isinstance(cp.get("sig"), str) and hmac.compare_digest(cp["sig"], _sign(settings, cp)) \
                    and isinstance(cp.get("seq"), int):
                good.append(cp)
            else:
                forged += 1
    return good, forged
