"""Server-rendered pages: the health check, the desktop, and the registration of every page blueprint."""

from __future__ import annotations

from flask import Blueprint, jsonify, render_template
from flask_login import login_required

from ..logic import approvals, cases, deconfliction, notifications
from . import context

bp = Blueprint("pages", __name__)


def register_pages(app) -> None:
    """Register the page blueprints under web/views (idempotent: safe to call after `pages.bp` is registered)."""
    if app.extensions.get("ccms_pages"):
        return
    app.extensions["ccms_pages"] = True
    from .views import BLUEPRINTS, ui

    for blueprint in BLUEPRINTS:
        app.register_blueprint(blueprint)
    ui.init_app(app)


@bp.record_once
def _with_views(state) -> None:
    """Registering `pages.bp` brings the other page blueprints with it (create_app registers only this one)."""
    register_pages(state.app)


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
