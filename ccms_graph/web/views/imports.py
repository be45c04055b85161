"""The import page: upload a JSONL file of one record type as a job (`logic.jobs.imports`), and follow its progress.

The job and its lines are kept in Neo4j, so any server process shows its progress and any worker
runs it: `ccms-graph worker`, or this process's own worker thread, which these pages start
(`logic.jobs.worker.embedded`) and a new upload wakes.
"""

from __future__ import annotations

from flask import Blueprint, jsonify, redirect, render_template, request, url_for
from flask_login import login_required

from ...errors import ValidationFailed
from ...logic.casework import cases
from ...logic.common import text_of
from ...logic.entities.lines import column_map_of
from ...logic.entities.tabular import json_lines
from ...logic.jobs import imports as import_jobs
from ...logic.jobs import worker
from ...nodes.vocabulary import ENTITY_TYPES
from .. import context
from .helpers import message_of

bp = Blueprint("imports", __name__)


@bp.before_request
def _worker_running() -> None:
    """Make sure this process runs jobs, unless the settings leave them to `ccms-graph worker`."""
    worker.embedded(context.graph())


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
            error = "Choose a JSONL or CSV file to import."
        elif type_name not in ENTITY_TYPES:
            error = "Choose the type of the records in the file."
        else:
            try:
                pairs = [x.strip() for x in request.form.get("map", "").splitlines() if x.strip()]
                columns = column_map_of(type_name, pairs)
                lines = list(json_lines(text_of(upload.read())[0].splitlines(keepends=True), upload.filename,
                                        columns))
            except ValidationFailed as exc:
                error = message_of(exc)
            else:
                job_id = import_jobs.enqueue_import(graph, actor, type_name, upload.filename, lines, case_key)
                if pool := worker.embedded(graph):
                    pool.wake()
                return redirect(url_for("imports.import_job", job_id=job_id))
    return render_template("imports.html", types=list(ENTITY_TYPES), cases=cases.my_cases(graph, actor),
                           jobs=import_jobs.my_imports(graph, actor), error=error,
                           chosen_type=request.form.get("type", ""),
                           chosen_case=request.form.get("case", ""),
                           chosen_map=request.form.get("map", "")), (422 if error else 200)


@bp.route("/imports/<job_id>")
@login_required
def import_job(job_id: str):
    return render_template("import_job.html", job=import_jobs.import_job(context.graph(), context.actor(), job_id))


@bp.route("/ui/imports/<job_id>")
@login_required
def import_progress(job_id: str):
    """The job's progress as JSON, polled by the job page."""
    return jsonify(import_jobs.import_job(context.graph(), context.actor(), job_id))
