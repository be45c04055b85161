"""The import page: upload a JSONL file of one record type, run `logic.entities.imports.import_jsonl` in the background, poll its progress."""

from __future__ import annotations

import logging
import threading
import uuid
from datetime import UTC, datetime

from flask import Blueprint, abort, current_app, jsonify, redirect, render_template, request, url_for
from flask_login import login_required

from ...db import Graph
from ...errors import DomainError
from ...logic.casework import cases
from ...logic.entities import imports
from ...nodes.vocabulary import ENTITY_TYPES
from .. import context
from .helpers import message_of

bp = Blueprint("imports", __name__)
log = logging.getLogger(__name__)

#: Records per transaction: small enough that the progress bar moves on a file of a few thousand lines.
BATCH = 250
#: Finished jobs kept per process (oldest dropped first); running ones are never dropped.
KEEP = 50


def _jobs() -> dict[str, dict]:
    """This process's import jobs by id. They live in memory: a restart forgets them (the records stay)."""
    return current_app.extensions.setdefault("ccms_import_jobs", {})


def _job_view(job: dict) -> dict:
    counts = job["counts"]
    return {"id": job["id"], "type": job["type"], "file": job["file"], "case": job["case"], "state": job["state"],
            "total": job["total"], "lines": counts.get("lines", 0), "created": counts.get("created", 0),
            "refused": counts.get("refused", []), "warnings": counts.get("warnings", []),
            "hits": counts.get("hits", 0), "records_with_hits": counts.get("records_with_hits", 0),
            "error": job["error"], "started_at": job["started_at"], "finished_at": job["finished_at"]}


def _own_job(job_id: str) -> dict:
    """The job if the signed-in user started it (a job is a private upload, not case content)."""
    job = _jobs().get(job_id)
    if job is None or job["owner_uid"] != context.actor().uid:
        abort(404)
    return job


def _run(graph: Graph, actor, job: dict, lines: list[str]) -> None:
    def progress(counts: dict) -> None:
        job["counts"] = {**counts, "refused": list(counts["refused"]), "warnings": list(counts["warnings"])}

    try:
        job["counts"] = imports.import_jsonl(graph, actor, job["type"], lines, case_key=job["case"] or None,
                                             batch=BATCH, progress=progress)
        job["state"] = "done"
    except DomainError as exc:
        job["state"], job["error"] = "failed", message_of(exc)
    except Exception as exc:  # a crashed job must say so on the page rather than spin forever
        job["state"], job["error"] = "failed", f"the import stopped: {type(exc).__name__}"
        log.exception("import job %s failed", job["id"])
    finally:
        job["finished_at"] = datetime.now(UTC).isoformat()


@bp.route("/imports", methods=["GET", "POST"])
@login_required
def import_page():
    graph, actor = context.graph(), context.actor()
    error = None
    if request.method == "POST":
        upload = request.files.get("file")
        type_name = request.form.get("type", "")
        case_key = request.form.get("case", "").strip()
        if upload is None or not upload.filename:
            error = "Choose a JSONL file to import."
        elif type_name not in ENTITY_TYPES:
            error = "Choose the type of the records in the file."
        else:
            try:
                lines = upload.read().decode("utf-8-sig").splitlines()
            except UnicodeDecodeError:
                error = "The file is not UTF-8 text."
            else:
                job = {"id": uuid.uuid4().hex, "owner_uid": actor.uid, "type": type_name, "file": upload.filename,
                       "case": case_key, "state": "running", "error": None, "counts": {},
                       "total": sum(1 for line in lines if line.strip()),
                       "started_at": datetime.now(UTC).isoformat(), "finished_at": None}
                jobs = _jobs()
                for old in [j for j in jobs.values() if j["state"] != "running"][:-KEEP]:
                    jobs.pop(old["id"], None)
                jobs[job["id"]] = job
                threading.Thread(target=_run, args=(graph, actor, job, lines), name=f"import-{job['id'][:8]}",
                                 daemon=True).start()
                return redirect(url_for("imports.import_job", job_id=job["id"]))
    mine = [_job_view(j) for j in _jobs().values() if j["owner_uid"] == actor.uid][::-1]
    return render_template("imports.html", types=list(ENTITY_TYPES), cases=cases.my_cases(graph, actor),
                           jobs=mine, error=error, chosen_type=request.form.get("type", ""),
                           chosen_case=request.form.get("case", "")), (422 if error else 200)


@bp.route("/imports/<job_id>")
@login_required
def import_job(job_id: str):
    return render_template("import_job.html", job=_job_view(_own_job(job_id)))


@bp.route("/ui/imports/<job_id>")
@login_required
def import_progress(job_id: str):
    """The job's progress as JSON, polled by the job page."""
    return jsonify(_job_view(_own_job(job_id)))
