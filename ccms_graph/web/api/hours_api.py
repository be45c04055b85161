"""Work hours on a case: log your own, and list a case's entries with totals per user."""

from __future__ import annotations

from marshmallow import fields

from ...logic.casework import hours
from .common import Blueprint, actor, graph, raw_body
from .schemas import Out

blp = Blueprint("hours", __name__, "/cases", description="Work hours")


class HoursOut(Out):
    uid = fields.String(required=True)
    case_uid = fields.String()
    user_uid = fields.String()
    date = fields.String()
    hours = fields.Float()
    activity = fields.String(allow_none=True)


class CaseHoursOut(Out):
    case_uid = fields.String(required=True)
    entries = fields.List(fields.Nested(HoursOut))
    total_hours = fields.Float()
    by_user = fields.List(fields.Dict(keys=fields.String(), values=fields.Raw(allow_none=True)))


@blp.route("/<case_uid>/hours", methods=["POST"])
@blp.arguments(hours.HoursInput)
@blp.response(201, HoursOut)
def log_hours(_, case_uid):
    """Log your own hours on a case you work on: date, hours in quarter hours (negative corrects), activity."""
    return hours.log_hours(graph(), actor(), case_uid, raw_body())


@blp.route("/<case_uid>/hours", methods=["GET"])
@blp.response(200, CaseHoursOut)
def case_hours(case_uid):
    """The case's hour entries, newest first, with totals per user (anyone who may read the case)."""
    return hours.hours_of_case(graph(), actor(), case_uid)
