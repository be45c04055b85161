"""LPR: import sightings (kept only when tied to a case), read them in an area and period, and case hot lists."""

from __future__ import annotations

from flask_smorest.fields import Upload
from marshmallow import Schema, fields, validate

from ...logic.location import hotlists, lpr
from .common import Blueprint, actor, graph, raw_body, uploaded_text
from .schemas import Out, RowProblem

blp = Blueprint("lpr", __name__, "/lpr", description="Licence-plate-reader sightings and hot lists")


class LprUpload(Schema):
    file = Upload(required=True, metadata={"description": "a CSV (UTF-8, or UTF-16 or Windows-1252): plate, "
                                                          "state, seen_at, latitude, longitude[, camera, source]"})


class LprImportQuery(Schema):
    case_uid = fields.String(load_default=None, validate=validate.Length(min=1, max=64),
                             metadata={"description": "the case the file is imported for (uid or number; you must "
                                                      "be able to change it); omitted: a feed"})


class LprImportOut(Out):
    import_uid = fields.String(required=True)
    case_number = fields.String(allow_none=True)
    rows = fields.Integer(required=True)
    kept = fields.Integer(required=True, metadata={"description": "rows kept for a case you may read"})
    dropped = fields.Integer(required=True, metadata={
        "description": "rows not kept for any case you may read (reads tied to no case are never stored)"})
    duplicates = fields.List(fields.Nested(RowProblem))
    refused = fields.List(fields.Nested(RowProblem))


class AreaQuery(Schema):
    south = fields.Float(required=True, metadata={"description": "south edge, WGS84 latitude"})
    west = fields.Float(required=True, metadata={"description": "west edge, WGS84 longitude"})
    north = fields.Float(required=True, metadata={"description": "north edge, WGS84 latitude"})
    east = fields.Float(required=True, metadata={"description": "east edge (less than west: across the antimeridian)"})
    since = fields.String(load_default=None, validate=validate.Length(max=40),
                          metadata={"description": "seen at or after (ISO 8601)"})
    until = fields.String(load_default=None, validate=validate.Length(max=40),
                          metadata={"description": "seen before (ISO 8601)"})
    limit = fields.Integer(load_default=1000, validate=validate.Range(1, lpr.MAX_ROWS))


class SightingOut(Out):
    uid = fields.String(required=True)
    plate = fields.String()
    plate_state = fields.String()
    seen_at = fields.String()
    location = fields.Dict(keys=fields.String(), values=fields.Float())
    camera = fields.String(allow_none=True)
    source = fields.String(allow_none=True)
    case_uid = fields.String()


class HotListEntryOut(Out):
    uid = fields.String(required=True)
    case_uid = fields.String()
    plate = fields.String()
    plate_state = fields.String()
    reason = fields.String()
    expires_at = fields.String()
    expired = fields.Boolean()
    created_by = fields.String()
    created_at = fields.String()
    removed = fields.Boolean(metadata={"description": "taken off the list (such entries come only with include_removed)"})
    removed_at = fields.String(allow_none=True)
    removed_by = fields.String(allow_none=True)
    removed_reason = fields.String(allow_none=True)


class HotListQuery(Schema):
    include_removed = fields.Boolean(load_default=False,
                                     metadata={"description": "also the entries taken off the list, with who, when and why"})


@blp.route("/imports", methods=["POST"])
@blp.arguments(LprImportQuery, location="query")
@blp.arguments(LprUpload, location="files")
@blp.response(200, LprImportOut)
def import_sightings(query, files):
    """Load LPR sightings from a CSV; bad rows are refused by row number, the rest load; a read tied to no case
    (no case vehicle with that plate and state, no live hot list entry) is dropped and counted, never stored."""
    return lpr.import_sightings(graph(), actor(), uploaded_text(files["file"], "CSV file").splitlines(),
                                case_key=query["case_uid"])


@blp.route("/sightings", methods=["GET"])
@blp.arguments(AreaQuery, location="query")
@blp.response(200, SightingOut(many=True))
def sightings(query):
    """The sightings you may read inside a bounding box, seen in [since, until), oldest first."""
    box = {k: query[k] for k in ("south", "west", "north", "east")}
    return lpr.sightings_within(graph(), actor(), box, query["since"], query["until"], query["limit"])


@blp.route("/cases/<case_uid>/hot-list", methods=["GET"])
@blp.arguments(HotListQuery, location="query")
@blp.response(200, HotListEntryOut(many=True))
def hot_list(query, case_uid):
    """A case's hot list (entries not removed, or all with include_removed; an expired one says so), for a
    reader of the case."""
    return hotlists.entries(graph(), actor(), case_uid, include_removed=query["include_removed"])


@blp.route("/cases/<case_uid>/hot-list", methods=["POST"])
@blp.arguments(hotlists.HotListInput)
@blp.response(201, HotListEntryOut)
def add_to_hot_list(_, case_uid):
    """Put a plate on a case's hot list (you must be able to change the case), with a reason and an expiry."""
    return hotlists.add_entry(graph(), actor(), case_uid, raw_body())


class RemoveInput(hotlists.RemoveInput):
    entry_uid = fields.String(required=True, validate=validate.Length(min=1, max=64),
                              metadata={"description": "the hot list entry to remove"})


@blp.route("/cases/<case_uid>/hot-list/remove", methods=["POST"])
@blp.arguments(RemoveInput)
@blp.response(200, HotListEntryOut)
def remove_from_hot_list(data, case_uid):
    """Take a plate off a case's hot list (you must be able to change the case); the entry is kept, marked removed."""
    return hotlists.remove_entry(graph(), actor(), case_uid, data["entry_uid"], {"reason": data.get("reason")})
