"""Electronic surveillance: the agent's ELSUR request (decided at headquarters through /approvals), its
Reports of Use, and the ROI's citation of it."""

from __future__ import annotations

from marshmallow import fields

from ...logic.casework import elsur
from . import schemas
from .common import Blueprint, actor, graph, raw_body

blp = Blueprint("elsur", __name__, "", description="Electronic surveillance (ELSUR) requests and Reports of Use")


class ReportOfUseOut(schemas.Out):
    uid = fields.String(required=True)
    date = fields.String(required=True)
    contact = fields.String(required=True)
    summary = fields.String(required=True)


class ElsurOut(schemas.Out):
    uid = fields.String(required=True)
    case_uid = fields.String(required=True)
    status = fields.String(required=True, metadata={"description": "requested, approved or returned"})
    kind = fields.String()
    target = fields.String()
    request_uid = fields.String(metadata={"description": "the approval request headquarters decides"})
    reports_of_use = fields.List(fields.Nested(ReportOfUseOut))


class CitationOut(schemas.Out):
    roi_uid = fields.String(required=True)
    elsur_uid = fields.String(required=True)


@blp.route("/cases/<case_uid>/elsurs", methods=["POST"])
@blp.arguments(elsur.ElsurInput)
@blp.response(201, ElsurOut)
def request_elsur(_, case_uid):
    """Ask to conduct electronic surveillance in an open or referred case you work on; a supervisor at
    headquarters decides it (ICM PIA 2016, §2.2)."""
    return elsur.request_elsur(graph(), actor(), case_uid, raw_body())


@blp.route("/elsurs/<elsur_uid>", methods=["GET"])
@blp.response(200, ElsurOut)
def get_elsur(elsur_uid):
    """An ELSUR of a case you may read, with its Reports of Use."""
    return elsur.get_elsur(graph(), actor(), elsur_uid)


@blp.route("/elsurs/<elsur_uid>/reports-of-use", methods=["POST"])
@blp.arguments(elsur.ReportOfUseInput)
@blp.response(201, ReportOfUseOut)
def add_report_of_use(_, elsur_uid):
    """Append a Report of Use (date, contact, summary) to an approved ELSUR of a case you work on."""
    return elsur.add_report_of_use(graph(), actor(), elsur_uid, raw_body())


@blp.route("/documents/<document_uid>/elsur-citations", methods=["POST"])
@blp.arguments(elsur.CiteInput)
@blp.response(200, CitationOut)
def cite_elsur(_, document_uid):
    """Let your draft Report of Investigation cite an ELSUR of its case: 422 unless headquarters approved it."""
    return elsur.cite(graph(), actor(), document_uid, raw_body())
