"""Saved queries: pick one from the catalogue, fill in its parameters, see the result as a table and a graph."""

from __future__ import annotations

from flask import Blueprint, Response, render_template, request
from flask_login import login_required

from ...errors import DomainError
from .. import context
from .helpers import message_of

bp = Blueprint("queries", __name__)


def _queries():
    """The saved-queries package, or None while it is not installed."""
    try:
        from ... import queries
    except ImportError:
        return None
    return queries


def _as_dict(entry) -> dict:
    return entry if isinstance(entry, dict) else {k: getattr(entry, k) for k in dir(entry)
                                                  if not k.startswith("_") and not callable(getattr(entry, k))}


def _params(spec: dict) -> dict:
    names = [p if isinstance(p, str) else _as_dict(p).get("name") for p in spec.get("params") or ()]
    return {n: request.values.get(n, "").strip() for n in names if n and request.values.get(n, "").strip()}


@bp.route("/queries")
@bp.route("/queries/<name>", methods=["GET", "POST"])
@login_required
def queries_page(name: str | None = None):
    queries = _queries()
    if queries is None:
        return render_template("queries.html", catalogue=None, chosen=None, result=None, error=None, values={})
    actor = context.actor()
    catalogue = [_as_dict(q) for q in queries.catalogue(actor)]
    chosen = next((q for q in catalogue if q.get("name") == name), None) if name else None
    result, error, values = None, None, {}
    if chosen is not None and request.method == "POST":
        values = _params(chosen)
        try:
            result = queries.run_query(context.graph(), actor, name, values)
        except DomainError as exc:
            error = message_of(exc)
        else:
            if request.form.get("format") == "csv":
                return Response(queries.to_csv(result), mimetype="text/csv",
                                headers={"Content-Disposition": f"attachment; filename={name}.csv"})
    return render_template("queries.html", catalogue=catalogue, chosen=chosen, result=result, error=error,
                           values=values or dict(request.values))
