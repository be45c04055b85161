"""Server-rendered pages: the health check and the desktop (the other pages live in `web/views/`)."""

from __future__ import annotations

from flask import Blueprint, jsonify, render_template
from flask_login import login_required

from ..logic.casework import approvals, cases
from ..logic.identity import deconfliction
from ..logic.oversight import notifications
from . import context

bp = Blueprint("pages", __name__)


@bp.route("/health")
def health():
    ok = context.graph().ping()
    return jsonify({"status": "ok" if ok else "degraded", "neo4j": ok}), (200 if ok else 503)


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
    )
