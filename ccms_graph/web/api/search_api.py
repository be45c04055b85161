"""Search over everything you may read: records, cases, documents, attachments and selectors, grouped, with facets."""

from __future__ import annotations

from marshmallow import fields

from ...logic.entities import search as search_logic
from .common import Blueprint, actor, graph
from .schemas import Out

blp = Blueprint("search", __name__, "/search", description="Search")


class Facet(Out):
    value = fields.String(required=True)
    count = fields.Integer(required=True)


class Hit(Out):
    uid = fields.String(required=True)
    kind = fields.String(required=True, metadata={"description": "the group: an entity type, Case, Document, "
                                                                 "Attachment or Selector"})
    type = fields.String(required=True)
    caption = fields.String(allow_none=True)
    score = fields.Float()
    snippet = fields.String(allow_none=True, metadata={"description": "HTML: the text escaped, matched words "
                                                                      "in <mark>"})
    matched = fields.List(fields.String(), metadata={"description": "the selectors that matched, normalized"})
    office_code = fields.String(allow_none=True)
    status = fields.String(allow_none=True)
    date = fields.String(allow_none=True)
    case = fields.Dict(allow_none=True)
    document = fields.Dict(allow_none=True)


class Group(Out):
    kind = fields.String(required=True)
    count = fields.Integer(required=True, metadata={"description": "readable hits of this kind after the filters"})
    hits = fields.List(fields.Nested(Hit))


class Facets(Out):
    type = fields.List(fields.Nested(Facet))
    office = fields.List(fields.Nested(Facet))
    case_status = fields.List(fields.Nested(Facet))
    year = fields.List(fields.Nested(Facet))


class Contact(Out):
    number = fields.String(required=True)
    case_uid = fields.String(allow_none=True)
    case_number = fields.String(allow_none=True)
    agent = fields.Dict()


class SearchOut(Out):
    criteria = fields.Dict()
    total = fields.Integer(required=True, metadata={"description": "readable hits after the filters"})
    more = fields.Boolean(required=True)
    groups = fields.List(fields.Nested(Group))
    facets = fields.Nested(Facets)
    contacts = fields.List(fields.Nested(Contact), metadata={
        "description": "TLS search: other agents whose case's telecom records hold a searched number"})


@blp.route("", methods=["GET"])
@blp.arguments(search_logic.SearchParams, location="query")
@blp.response(200, SearchOut)
def search(query):
    """Everything matching every word of `text` that you may read, grouped by kind, with facets over the
    readable hits (audited; owners told; a searched number in another case's call records alerts both agents)."""
    return search_logic.search(graph(), actor(), query)
