"""Import jobs: a JSONL upload queued as a Job, loaded by `entities.imports.import_jsonl` in any worker.

The upload's lines wait in the job's chunks. Each batch's transaction also records the job's
progress (`_checkpoint`: last line committed, counts, and that batch's refused lines, warnings and
lines that met stored records in a JobProblems node), fenced by the worker's claim. So the job states
exactly which lines loaded (every line up to `last_line`), any process can show it, and a worker that
claims the job after its predecessor died starts after that line with those counts.

The lines that met records are the CLI's hits file (`import_jsonl`'s `on_hits` entries, built and
redacted there: a record the importer may not read is only whom to call). The first lines, up to
`imports.KEPT_HITS` hits, are kept; the job counts them all (`hit_lines_total`), so a capped list says so.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from ...db import Graph
from ...errors import NotFound, ValidationFailed
from ...nodes.vocabulary import ENTITY_TYPES
from ...policy.actor import Actor, load_actor
from ..entities import imports
from . import queue

KIND = "import"
#: Records per transaction for uploads: small enough that the progress bar moves on a file of a few thousand lines.
BATCH = 250
#: The scalar counts of `import_jsonl`, each kept on the Job under the same name.
COUNTS = ("lines", "created", "hits", "records_with_hits", "sub_records", "separate")

_BEFORE = """
MATCH (j:Job {uid: $uid})
RETURN coalesce(j.last_line, 0) AS last_line, coalesce(j.hit_lines_total, 0) AS hit_lines_total,
       coalesce(j.hit_lines_kept, 0) AS hit_lines_kept, coalesce(j.hits_kept, 0) AS hits_kept
"""

_PROGRESS = """
MATCH (j:Job {uid: $uid})
SET j += $counts, j.last_line = $last_line, j.progress_at = datetime()
"""

_PROBLEMS = """
CREATE (:JobProblems {job_uid: $uid, first_line: $first_line, last_line: $last_line, refused: $refused,
                      warnings: $warnings, hit_lines: $hit_lines})
"""

_SO_FAR = """
MATCH (j:Job {uid: $uid})
OPTIONAL MATCH (p:JobProblems {job_uid: j.uid})
WITH j, p ORDER BY p.last_line
RETURN properties(j) AS job, collect(p.refused) AS refused, collect(p.warnings) AS warnings,
       collect(p.hit_lines) AS hit_lines
"""


def enqueue_import(graph: Graph, actor: Actor, type_name: str, file_name: str, lines: list[str],
                   case_key: str | None = None, batch: int = BATCH) -> str:
    """Queue the import of `lines` (one JSON object each) as records of `type_name`; the job's uid.

    Who may import, and into which case, is decided when the job runs, as `import_jsonl` does for
    the CLI; a refusal then fails the job with its reason.
    """
    if type_name not in ENTITY_TYPES:
        raise ValidationFailed({"type": [f"unknown entity type {type_name!r}; one of {', '.join(ENTITY_TYPES)}"]})
    fields = {"type_name": type_name, "file": file_name, "case_key": case_key or None, "batch": batch,
              "total": sum(1 for line in lines if line.strip()), "last_line": 0,
              "client_address": actor.client_address, "purpose": actor.purpose, **dict.fromkeys(COUNTS, 0),
              "refused_count": 0, "warnings_count": 0}
    return queue.enqueue(graph, KIND, actor.uid, fields, lines)


def _committed(graph: Graph, uid: str) -> tuple[dict, dict[str, list]]:
    """The job's properties, and the refused lines, warnings and lines that met records its committed batches kept."""
    found = graph.read(lambda tx: tx.run(_SO_FAR, uid=uid).single())
    return found["job"], {key: [item for text in found[key] if text for item in json.loads(text)]
                          for key in ("refused", "warnings", "hit_lines")}


def _so_far(graph: Graph, uid: str) -> dict:
    """The counts the job's committed batches recorded."""
    job, kept = _committed(graph, uid)
    return {**{k: job.get(k) or 0 for k in COUNTS}, "refused": kept["refused"], "warnings": kept["warnings"]}


def _checkpoint(claim: queue.Claim) -> imports.Checkpoint:
    def checkpoint(tx, counts: dict, last_line: int, met: list[dict]) -> None:
        queue.fence(tx, claim)  # raises, rolling the batch back, if another worker holds the job now
        before = tx.run(_BEFORE, uid=claim.uid).single()
        refused = [r for r in counts["refused"] if r["line"] > before["last_line"]]
        warnings = [w for w in counts["warnings"] if w["line"] > before["last_line"]]
        # Once a line did not fit, none after it is kept: the list is always the job's first lines.
        full = before["hit_lines_kept"] < before["hit_lines_total"]
        kept = [] if full else imports.first_lines(met, imports.KEPT_HITS - before["hits_kept"])
        if refused or warnings or kept:
            tx.run(_PROBLEMS, uid=claim.uid, first_line=before["last_line"] + 1, last_line=last_line,
                   refused=json.dumps(refused), warnings=json.dumps(warnings),
                   hit_lines=json.dumps(kept)).consume()
        tx.run(_PROGRESS, uid=claim.uid, last_line=last_line,
               counts={**{k: counts[k] for k in COUNTS}, "refused_count": len(counts["refused"]),
                       "warnings_count": len(counts["warnings"]),
                       "hit_lines_total": before["hit_lines_total"] + len(met),
                       "hit_lines_kept": before["hit_lines_kept"] + len(kept),
                       "hits_kept": before["hits_kept"] + sum(len(line["hits"]) for line in kept)}).consume()

    return checkpoint


def run(graph: Graph, claim: queue.Claim, check: Callable[[], None]) -> dict:
    """Load the job's lines after its last committed line; the final counts for `queue.finish`.

    `check` is called after each committed batch and raises to stop there (a graceful stop, or a
    lease lost). The owner is loaded afresh: grants and role as they are now, not at upload.
    """
    job = claim.job
    actor = graph.read(load_actor, job["owner_uid"]).with_request(job.get("client_address"), job.get("purpose"))
    counts = imports.import_jsonl(
        graph, actor, job["type_name"], imports.Reread(lambda: queue.lines(graph, claim.uid)), case_key=job.get("case_key"),
        batch=int(job.get("batch") or BATCH), progress=lambda _: check(), after_line=int(job.get("last_line") or 0),
        so_far=_so_far(graph, claim.uid), checkpoint=_checkpoint(claim))
    return {**{k: counts[k] for k in COUNTS}, "refused_count": len(counts["refused"]),
            "warnings_count": len(counts["warnings"])}


def _view(job: dict, refused: list | None = None, warnings: list | None = None, hit_lines: list | None = None) -> dict:
    """What the import pages show of a job. A queued job reads as `running` with `queued` true, so a client
    polling while `state == "running"` keeps polling until the job ends. `hit_lines` are the kept lines that
    met records, of `hit_lines_total` (fewer when capped at `imports.KEPT_HITS` hits)."""
    return {"id": job["uid"], "type": job.get("type_name"), "file": job.get("file"), "case": job.get("case_key") or "",
            "state": "running" if job["state"] == "queued" else job["state"], "queued": job["state"] == "queued",
            "total": job.get("total") or 0, **{k: job.get(k) or 0 for k in COUNTS},
            "last_line": job.get("last_line") or 0, "refused_count": job.get("refused_count") or 0,
            "warnings_count": job.get("warnings_count") or 0, "refused": refused or [], "warnings": warnings or [],
            "hit_lines": hit_lines or [], "hit_lines_total": job.get("hit_lines_total") or 0,
            "attempts": job.get("attempts") or 0, "error": job.get("error"), "created_at": job.get("created_at"),
            "started_at": job.get("started_at"), "finished_at": job.get("finished_at")}


def import_job(graph: Graph, actor: Actor, uid: str) -> dict:
    """The actor's own import job with its refused lines, warnings and the lines that met records (whom to
    call); NotFound for anyone else's (an upload is private to whoever sent it, not case content), in the
    same words as for a missing one."""
    job = queue.get(graph, uid)
    if job is None or job.get("kind") != KIND or job.get("owner_uid") != actor.uid:
        raise NotFound("no such import")
    _, kept = _committed(graph, uid)
    met = graph.read(imports.still_readable, actor, kept["hit_lines"]) if kept["hit_lines"] else []
    return _view(job, kept["refused"], kept["warnings"], met)


def my_imports(graph: Graph, actor: Actor) -> list[dict]:
    """The actor's import jobs, newest first, without their refused lines or hit lines (counts only)."""
    return [_view(job) for job in queue.jobs_of(graph, actor.uid, KIND)]
