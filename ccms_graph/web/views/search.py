"""The search page: one box over the six entity types and cases, with type, office and status filters."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_login import login_required

from ...errors import ValidationFailed
from ...logic.entities import access
from ...logic.people import users
from ...nodes.vocabulary import APPROVAL_STATUSES, CASE_STATUSES
from .. import context

bp = Blueprint("search", __name__)


@bp.route("/search")
@login_required
def search_page():
    q = request.args.get("q", "").strip()
    types = [t for t in request.args.getlist("type") if t]
    office = request.args.get("office", "").strip().upper() or None
    status = request.args.get("status", "").strip() or None
    results, error = None, None
    if q:
        try:
            results = access.search(context.graph(), context.actor(), q, types=types or None, office=office,
                                    status=status, limit=100)
        except ValidationFailed as exc:
            error = "; ".join(m for msgs in exc.errors.values() for m in msgs)
    return render_template("search.html", q=q, types=types, office=office or "", status=status or "",
                           results=results, error=error, search_types=access.SEARCH_TYPES,
                           statuses=sorted(set(CASE_STATUSES) | set(APPROVAL_STATUSES)),
                           offices=users.list_offices(context.graph()))
