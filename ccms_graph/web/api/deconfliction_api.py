"""Deconfliction: query before create, hits to review, and compare, merge and unmerge of Subject Records."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from ...logic.identity import deconfliction, resolution
from ...matching import deconflict
from ...nodes.vocabulary import ENTITY_TYPES
from . import schemas
from .common import Blueprint, actor, graph, raw_body

blp = Blueprint("deconfliction", __name__, "", description="Deconfliction, compare, merge and unmerge")


class Loose(schemas.Out):
    """An object whose keys the matching module decides (scores, explanations, field-by-field comparisons)."""


class CandidatesQuery(Schema):
    limit = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))


class HitsQuery(Schema):
    record_uid = fields.String(load_default=None, validate=validate.Length(min=1, max=64))
    status = fields.String(load_default="open", validate=validate.OneOf(deconflict.STATUSES))


class HitReviewInput(Schema):
    decision = fields.String(required=True, validate=validate.OneOf(deconfliction.REVIEW_DECISIONS))
    reason = fields.String(required=True, validate=validate.Length(min=3, max=2000))


class CompareQuery(Schema):
    a_uid = fields.String(required=True, validate=validate.Length(min=1, max=64))
    b_uid = fields.String(required=True, validate=validate.Length(min=1, max=64))


class MergeInput(Schema):
    master_uid = fields.String(required=True, validate=validate.Length(min=1, max=64))
    other_uid = fields.String(required=True, validate=validate.Length(min=1, max=64))
    reason = fields.String(required=True, validate=validate.Length(min=3, max=2000))


class UnmergeInput(Schema):
    other_uid = fields.String(required=True, validate=validate.Length(min=1, max=64))
    reason = fields.String(required=True, validate=validate.Length(min=3, max=2000))


def _candidates_view(type_name: str):
    @blp.arguments(CandidatesQuery, location="query")
    @blp.arguments(schemas.RecordChanges)
    @blp.response(200, Loose(many=True))
    def view(query, _):
        return deconfliction.search_candidates(graph(), actor(), type_name, raw_body(), limit=query["limit"])

    slug = ENTITY_TYPES[type_name].slug
    view.__name__ = f"candidates_{slug.replace('-', '_')}"
    view.__doc__ = f"Query before create: ranked {type_name} candidates for partial details (audited as a search)."
    blp.route(f"/deconfliction/{slug}/candidates", methods=["POST"], endpoint=view.__name__)(view)


for _type_name in ENTITY_TYPES:
    _candidates_view(_type_name)


@blp.route("/deconfliction/hits", methods=["GET"])
@blp.arguments(HitsQuery, location="query")
@blp.response(200, Loose(many=True))
def list_hits(query):
    """Hits on records you own or supervise, for review; the other side redacted as the policy says (an audited view)."""
    return deconfliction.list_hits(graph(), actor(), record_uid=query["record_uid"], status=query["status"])


@blp.route("/deconfliction/hits/<hit_uid>/review", methods=["POST"])
@blp.arguments(HitReviewInput)
@blp.response(200, Loose)
def review_hit(data, hit_uid):
    """Judge a hit: confirmed_same or dismissed, with why (kept as history); a refusal is audited.

    Answers the hit as the list of hits shows it to you: nothing of a side you may not read."""
    return deconfliction.review_hit(graph(), actor(), hit_uid, data["decision"], data["reason"])


@blp.route("/records/compare", methods=["GET"])
@blp.arguments(CompareQuery, location="query")
@blp.response(200, Loose)
def compare(query):
    """Two records you may read, side by side, field by field, with the model's explanation."""
    return resolution.compare(graph(), actor(), query["a_uid"], query["b_uid"])


@blp.route("/records/merge", methods=["POST"])
@blp.arguments(MergeInput)
@blp.response(200, Loose)
def merge(data):
    """Make `other_uid` a sub-record of `master_uid` (or ask its owner's supervisor); audited, refusals too.

    A record you may not read answers 404 or 403 as the record page would, before any other rule.
    """
    return resolution.merge(graph(), actor(), data["master_uid"], data["other_uid"], data["reason"])


@blp.route("/records/unmerge", methods=["POST"])
@blp.arguments(UnmergeInput)
@blp.response(200, Loose)
def unmerge(data):
    """Undo a merge, restoring the graph exactly; audited, refusals too.

    A record you may not read answers exactly as one that does not exist, merged or not.
    """
    return resolution.unmerge(graph(), actor(), data["other_uid"], data["reason"])
