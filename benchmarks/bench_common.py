"""What the query benchmarks share: running the `ccms-graph` command of this checkout, and timing a call."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def cli(*args: str) -> None:
    """Run `ccms-graph ARGS` from this checkout's virtualenv (the benchmark's own Neo4j by CCMS_* settings)."""
    subprocess.run([str(ROOT / ".venv" / "bin" / "ccms-graph"), *args], check=True, cwd=ROOT)


def timed(call: Callable[[], object], repeats: int) -> list[float]:
    """Milliseconds of `repeats` calls, after one warm-up call (query plans and page cache)."""
    call()
    out = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        call()
        out.append((time.perf_counter() - t0) * 1000)
    return out
