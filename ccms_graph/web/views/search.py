"""The search page: one box over records, cases, documents, attachments and selectors; facets as filters."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_login import login_required

from ...errors import ValidationFailed
from ...logic.entities import search as search_logic
from ...logic.people import users
from ...nodes.vocabulary import CASE_STATUSES
from .. import context

bp = Blueprint("search", __name__)

#: The page's filters, as the query string names them (`type` may repeat).
FILTERS = ("office", "case_status", "date_from", "date_to")


@bp.route("/search")
@login_required
def search_page():
    q = request.args.get("q", "").strip()
    params = {k: request.args.get(k, "").strip() for k in FILTERS}
    params["office"] = params["office"].upper()
    params = {k: v for k, v in params.items() if v}
    types = [t for t in request.args.getlist("type") if t]
    results, errors = None, {}
    if q:
        try:
            results = search_logic.search(context.graph(), context.actor(),
                                          {"text": q, "types": types or None, "limit": 100, **params})
        except ValidationFailed as exc:
            errors = {field: "; ".join(map(str, msgs)) if isinstance(msgs, list) else str(msgs)
                      for field, msgs in exc.errors.items()}
    return render_template("search.html", q=q, types=types, params=params, results=results, errors=errors,
                           kinds=search_logic.KINDS, case_statuses=CASE_STATUSES,
                           offices=users.list_offices(context.graph()))
