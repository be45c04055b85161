"""A case's telecom returns: the TLS summary (frequency table, top contacts, calls per day...) and the import
of miscellaneous records (calls and subscribers load through `cases_api`)."""

from __future__ import annotations

from marshmallow import fields

from ...logic.identity import telecom, telecom_analysis
from . import schemas
from .cases_api import CsvUpload
from .common import Blueprint, actor, graph, uploaded_text
from .schemas import Out

blp = Blueprint("telecom", __name__, "/cases", description="Telecom (TLS): a case's call, subscriber and "
                                                            "miscellaneous records")


class Pair(Out):
    orig = fields.String()
    term = fields.String()
    calls = fields.Integer()
    seconds = fields.Integer()
    first_at = fields.String()
    last_at = fields.String()


class Day(Out):
    day = fields.String()
    calls = fields.Integer()
    seconds = fields.Integer()


class TelecomSummaryOut(Out):
    case_uid = fields.String(required=True)
    case_number = fields.String()
    imports = fields.List(fields.Dict(), metadata={"description": "files loaded: kind, filename, imported_at, "
                                                                   "imported_by_name, rows, loaded, refused, duplicates"})
    totals = fields.Dict(metadata={"description": "calls, numbers, pairs, seconds, first_at, last_at, subscribers, "
                                                  "misc, cell_sites"})
    pairs = fields.List(fields.Nested(Pair), metadata={"description": "the call-frequency table, busiest first"})
    pairs_more = fields.Integer(metadata={"description": "pairs beyond those listed"})
    top_contacts = fields.List(fields.Dict(), metadata={"description": "per target number, its top contacts"})
    per_day = fields.List(fields.Nested(Day))
    subscribers = fields.List(fields.Dict())
    misc_by_type = fields.Dict(keys=fields.String(), values=fields.Integer())
    misc = fields.List(fields.Dict())
    identifiers = fields.List(fields.Dict(), metadata={"description": "IMSI, IMEI and IP selectors the records name"})
    cell_sites = fields.List(fields.Dict(), metadata={"description": "site_id, location {latitude, longitude}, calls"})


@blp.route("/<case_uid>/telecom/summary", methods=["GET"])
@blp.response(200, TelecomSummaryOut)
def summary(case_uid):
    """The TLS figures of a case you may read, counted from its own telecom returns alone (audited; the owner
    is told). A case you may not read answers as a missing one."""
    return telecom_analysis.summary(graph(), actor(), case_uid)


@blp.route("/<case_uid>/telecom/misc", methods=["POST"])
@blp.arguments(CsvUpload, location="files")
@blp.response(200, schemas.TelecomImportOut)
def import_misc(files, case_uid):
    """Load miscellaneous records (record_type, time, any of number, imsi, imei, ip, and details) into a case you
    may change; bad rows are refused by row number naming the column, the rest load; agents of cases sharing a
    number, IMSI, IMEI or IP address are alerted."""
    return telecom.import_misc(graph(), actor(), case_uid, uploaded_text(files["file"], "CSV file"),
                               filename=files["file"].filename)
