"""Where and when: the map's features and the time bar's counts, for a case, a selection or an area."""

from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from ...errors import ValidationFailed
from ...logic.location import map as geo
from ...logic.location import timeline
from .common import Blueprint, actor, graph
from .schemas import Out

blp = Blueprint("map", __name__, "/map", description="Map and time bar")


class WhereQuery(Schema):
    case = fields.String(load_default=None, validate=validate.Length(min=1, max=64),
                         metadata={"description": "a case uid: its located things"})
    uids = fields.String(load_default=None, validate=validate.Length(min=1, max=40_000),
                         metadata={"description": f"record uids, comma-separated (at most {geo.MAX_UIDS}): "
                                                  "the explorer's selection"})
    bbox = fields.String(load_default=None, validate=validate.Length(min=7, max=200),
                         metadata={"description": "west,south,east,north in WGS84 degrees (west < east, "
                                                  "south < north); alone: everything readable in the area"})
    since = fields.String(load_default=None, validate=validate.Length(min=1, max=40),
                          metadata={"description": "from (inclusive): YYYY-MM-DD or an ISO 8601 date-time"})
    until = fields.String(load_default=None, validate=validate.Length(min=1, max=40),
                          metadata={"description": "until (exclusive; a bare date means to the end of that day)"})

    @validates_schema
    def _where(self, data, **kwargs):
        """The logic's own checks, so a refusal names its field here as it does from the CLI."""
        try:
            box = geo.check_bbox(data.get("bbox"))
            geo.period(data.get("since"), data.get("until"))
            geo.check_scope(data.get("case"), _uids(data.get("uids")), box)
        except ValidationFailed as exc:
            raise ValidationError(exc.errors) from None


class WhenQuery(WhereQuery):
    bucket = fields.String(load_default="auto", validate=validate.OneOf(timeline.BUCKETS))


def _uids(text: str | None) -> list[str] | None:
    return [u.strip() for u in text.split(",") if u.strip()] if text else None


class Feature(Out):
    kind = fields.String(required=True, metadata={"description": ", ".join(geo.KINDS)})
    uid = fields.String()
    lat = fields.Float(required=True)
    lon = fields.Float(required=True)
    n = fields.Integer(metadata={"description": "events at this point (a cell site's calls)"})
    first_at = fields.String(allow_none=True)
    last_at = fields.String(allow_none=True)
    label = fields.String(allow_none=True)
    detail = fields.String(allow_none=True)


class Cluster(Out):
    lat = fields.Float(required=True)
    lon = fields.Float(required=True)
    count = fields.Integer(required=True)
    by_kind = fields.Dict(keys=fields.String(), values=fields.Integer())


class MapOut(Out):
    total = fields.Integer(required=True, metadata={"description": "points you may read (hidden ones are not counted)"})
    by_kind = fields.Dict(keys=fields.String(), values=fields.Integer())
    clustered = fields.Boolean(metadata={"description": f"more than {geo.MAX_FEATURES} points: clusters only"})
    features = fields.List(fields.Nested(Feature))
    clusters = fields.List(fields.Nested(Cluster))
    bbox = fields.List(fields.Float(), allow_none=True)
    scope = fields.Dict()


class Bucket(Out):
    start = fields.String(required=True)
    end = fields.String(required=True)
    counts = fields.Dict(keys=fields.String(), values=fields.Integer())


class TimelineOut(Out):
    bucket = fields.String(required=True)
    kinds = fields.List(fields.String())
    totals = fields.Dict(keys=fields.String(), values=fields.Integer())
    first = fields.String(allow_none=True)
    last = fields.String(allow_none=True)
    buckets = fields.List(fields.Nested(Bucket))
    scope = fields.Dict()


@blp.route("/features", methods=["GET"])
@blp.arguments(WhereQuery, location="query")
@blp.response(200, MapOut)
def map_features(query):
    """Located addresses, sightings, arrests, seizures and cell sites you may read (audited as a view)."""
    return geo.features(graph(), actor(), query["case"], _uids(query["uids"]), query["bbox"], query["since"],
                        query["until"])


@blp.route("/timeline", methods=["GET"])
@blp.arguments(WhenQuery, location="query")
@blp.response(200, TimelineOut)
def map_timeline(query):
    """Calls, sightings, arrests, seizures, documents and new links per day, week or month (audited as a view)."""
    return timeline.timeline(graph(), actor(), query["case"], _uids(query["uids"]), query["bbox"], query["since"],
                             query["until"], query["bucket"])
