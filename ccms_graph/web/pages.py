"""Server-rendered pages: liveness and readiness checks and the desktop (the other pages live in `web/views/`)."""

from __future__ import annotations

from flask import Blueprint, jsonify, render_template
from flask_login import login_required

from .. import readiness
from ..logic.casework import approvals, cases, workflows
from ..logic.identity import deconfliction
from ..logic.oversight import notifications
from . import context
from .errors import RETRY_AFTER_SECONDS

bp = Blueprint("pages", __name__)


@bp.route("/health")
def health():
    """Liveness: the process answers. It never asks Neo4j, so a database outage restarts no app server."""
    return jsonify({"status": "ok"})


@bp.route("/ready")
def ready():
    """Readiness: Neo4j answers and the schema is installed (see `readiness`); else 503 with Retry-After."""
    state = readiness.check(context.graph())
    resp = jsonify(state.as_dict())
    if not state.ready:
        resp.status_code = 503
        resp.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return resp


@bp.route("/")
@login_required
def desktop():
    graph, actor = context.graph(), context.actor()
    return render_template(
        "desktop.html",
        cases=cases.my_cases(graph, actor),
        queue=approvals.approval_queue(graph, actor),
        inbox=notifications.inbox(graph, actor, limit=8),
        hits=deconfliction.list_hits(graph, actor)[:10],
        # Quarterly reviews due and closure candidates among the user's own cases and their subordinates'.
        review_due=workflows.review_due_cases(graph, actor) if actor.role in ("agent", "supervisor") else [],
        inactive=workflows.inactive_cases(graph, actor) if actor.role in ("agent", "supervisor") else [],
    )
