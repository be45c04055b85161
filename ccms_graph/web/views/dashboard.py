"""The statistics dashboard: the figures of `logic.oversight.statistics` as tiles, charts and tables.

A GET form filters by office, fiscal year and violation (it works without JavaScript); the drill-down
behind a figure is the same page with `metric` (and `month`) added. The charts are drawn in the browser
(static/js/statistics.js, Chart.js) from the very figures the page renders, carried in a data attribute,
so one page view is one audited statistics run. The CSV is the API's `figures.csv`.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, render_template, request, url_for
from flask_login import login_required

from ...errors import Forbidden, ValidationFailed
from ...logic.casework.cases import fiscal_year
from ...logic.oversight import statistics
from .. import context
from .forms import field_errors

bp = Blueprint("dashboard", __name__)

#: The figures, as the page names them (keys are `statistics.METRICS`).
LABELS = {"cases_opened": "Cases opened", "cases_closed": "Cases closed", "arrests": "Arrests",
          "charges": "Charges", "seizures": "Seizures", "seized_value_usd": "Seized value (USD)",
          "warrants": "Warrants issued", "warrants_served": "Warrants served", "indictments": "Indictments",
          "convictions": "Convictions", "sentences": "Sentences", "hours": "Hours",
          "deconfliction_hits": "Deconfliction hits"}
FILTERS = ("fy", "office", "violation")
#: Fiscal years the year filter offers, ending with the current one.
YEARS_OFFERED = 10


@bp.route("/statistics")
@login_required
def dashboard() -> tuple[str, int]:
    graph, actor = context.graph(), context.actor()
    args = {k: request.args.get(k, "").strip() or None for k in (*FILTERS, "metric", "month")}
    offices = statistics.offices_covered(graph, actor)  # refuses roles that read no figures (403)
    figures = drill = None
    errors: dict[str, str] = {}
    drill_errors: dict[str, str] = {}
    status = 200
    try:
        figures = statistics.statistics(graph, actor, args["fy"], args["office"], args["violation"])
    except ValidationFailed as exc:
        errors, status = field_errors(exc.errors), 422
    except Forbidden as exc:  # an office outside the user's subtree: the one filter that can be refused
        errors, status = {"office": exc.detail}, 403
    if figures is not None and args["metric"]:
        try:
            drill = statistics.cases(graph, actor, args["metric"], figures["fiscal_year"], args["office"],
                                     args["violation"], args["month"])
        except ValidationFailed as exc:
            drill_errors, status = field_errors(exc.errors), 422
    filters: dict[str, Any] = {k: args[k] for k in FILTERS if args[k]}
    if figures is not None:
        filters["fy"] = figures["fiscal_year"]
    current = fiscal_year(date.today())
    return render_template(
        "statistics.html", figures=figures, drill=drill, errors=errors, drill_errors=drill_errors, args=args,
        filters=filters, offices=offices, years=range(current, current - YEARS_OFFERED, -1), labels=LABELS,
        metrics=statistics.METRICS, drillable=tuple(statistics.DRILL_METRICS),
        csv_url=url_for("api_statistics.figures_csv", **filters),
        page_url=url_for("dashboard.dashboard", **filters)), status
