"""Saved queries: pick one from the catalogue, fill in its parameters, see the result as a table and a graph."""

from __future__ import annotations

from flask import Blueprint, Response, render_template, request
from flask_login import login_required

from ... import queries
from ...errors import DomainError
from .. import context
from .helpers import message_of

bp = Blueprint("queries", __name__)


@bp.route("/queries")
@bp.route("/queries/<name>", methods=["GET", "POST"])
@login_required
def queries_page(name: str | None = None):
    graph, actor = context.graph(), context.actor()
    catalogue = queries.catalogue(actor, graph)
    chosen = next((q for q in catalogue if q.name == name), None) if name else None
    result, error = None, None
    values = {p.name: request.values.get(p.name, "").strip() for p in (chosen.params if chosen else ())}
    if chosen is not None and name and request.method == "POST":
        try:
            result = queries.run_query(graph, actor, name, {k: v for k, v in values.items() if v},
                                       export="csv" if request.form.get("format") == "csv" else None)
        except DomainError as exc:
            error = message_of(exc)
        else:
            if request.form.get("format") == "csv":
                return Response(queries.to_csv(result), mimetype="text/csv",
                                headers={"Content-Disposition": f"attachment; filename={name}.csv"})
    return render_template("queries.html", catalogue=catalogue, chosen=chosen, result=result, error=error,
                           values=values)
