"""Server-rendered pages: the desktop, a case, a record, and the health check."""

from __future__ import annotations

from flask import Blueprint, jsonify, render_template
from flask_login import login_required

from ..logic import access, cases
from ..nodes.vocabulary import ENTITY_TYPES
from . import context

bp = Blueprint("pages", __name__)


@bp.route("/health")
def health():
    ok = context.graph().ping()
    return jsonify({"status": "ok" if ok else "degraded", "neo4j": ok}), (200 if ok else 503)


@bp.route("/")
@login_required
def desktop():
    actor = context.actor()
    return render_template("desktop.html", cases=cases.my_cases(context.graph(), actor))


@bp.route("/cases/<uid>")
@login_required
def case_page(uid: str):
    return render_template("case.html", case=access.view_record(context.graph(), context.actor(), uid))


@bp.route("/records/<uid>")
@login_required
def record_page(uid: str):
    record = access.view_record(context.graph(), context.actor(), uid)
    return render_template("record.html", record=record, rtype=ENTITY_TYPES.get(record["type"]))
