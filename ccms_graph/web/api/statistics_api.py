"""Statistics per office, fiscal year, month and violation (numbers only), and the drill-down behind a figure."""

from __future__ import annotations

from flask import Response
from marshmallow import Schema, fields, validate

from ...logic.oversight import statistics
from .common import Blueprint, actor, graph
from .schemas import Out

blp = Blueprint("statistics", __name__, "/statistics", description="Statistics")


class StatisticsQuery(Schema):
    fy = fields.Integer(load_default=None, validate=validate.Range(min=1990, max=2100),
                        metadata={"description": "US federal fiscal year (FY2026: 1 Oct 2025 - 30 Sep 2026); "
                                                 "default: the current one"})
    office = fields.String(load_default=None, validate=validate.Length(min=1, max=40),
                           metadata={"description": "an office code; its ports and units are included"})
    violation = fields.String(load_default=None, validate=validate.Length(min=1, max=200))


class DrillQuery(StatisticsQuery):
    metric = fields.String(required=True, validate=validate.OneOf(tuple(statistics.DRILL_METRICS)))
    month = fields.String(load_default=None, validate=validate.Regexp(r"^\d{4}-\d{2}$", error="a month as YYYY-MM"))


class Figures(Out):
    cases_opened = fields.Integer()
    cases_closed = fields.Integer()
    arrests = fields.Integer()
    charges = fields.Integer()
    seizures = fields.Integer()
    seized_value_usd = fields.Float()
    warrants = fields.Integer()
    warrants_served = fields.Integer()
    indictments = fields.Integer()
    convictions = fields.Integer()
    sentences = fields.Integer()
    hours = fields.Float()
    deconfliction_hits = fields.Integer()


class StatisticsOut(Out):
    fiscal_year = fields.Integer(required=True)
    offices = fields.Raw(metadata={"description": "the office codes covered, or \"all\""})
    totals = fields.Nested(Figures)
    by_office = fields.Dict(keys=fields.String(), values=fields.Nested(Figures))
    by_month = fields.Dict(keys=fields.String(), values=fields.Nested(Figures))
    by_violation = fields.Dict(keys=fields.String(), values=fields.Nested(Figures))
    trend = fields.List(fields.Nested(Figures))


class DrillCase(Out):
    uid = fields.String()
    case_number = fields.String()
    title = fields.String()
    status = fields.String()
    office_code = fields.String()


class DrillOut(Out):
    metric = fields.String(required=True)
    cases = fields.List(fields.Nested(DrillCase))
    more = fields.Integer(metadata={"description": "readable cases beyond the listed ones"})
    withheld = fields.Integer(metadata={"description": "cases in the figure you may not read (never named)"})


@blp.route("", methods=["GET"])
@blp.arguments(StatisticsQuery, location="query")
@blp.response(200, StatisticsOut)
def figures(query):
    """Counts and sums within your organisational subtree (audited). Restricted cases count as numbers only."""
    return statistics.statistics(graph(), actor(), query["fy"], query["office"], query["violation"])


@blp.route("/figures.csv", methods=["GET"])
@blp.arguments(StatisticsQuery, location="query")
@blp.response(200, {"type": "string"}, content_type="text/csv")
def figures_csv(query):
    """The same figures as CSV: one row per office, month and violation, then the totals (audited)."""
    result = statistics.statistics(graph(), actor(), query["fy"], query["office"], query["violation"])
    return Response(statistics.to_csv(result), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="statistics-FY{result["fiscal_year"]}.csv"'})


@blp.route("/cases", methods=["GET"])
@blp.arguments(DrillQuery, location="query")
@blp.response(200, DrillOut)
def drill_down(query):
    """The cases behind one figure that you may read, and how many others it holds (audited; owners are told)."""
    return statistics.cases(graph(), actor(), query["metric"], query["fy"], query["office"], query["violation"],
                            query["month"])
