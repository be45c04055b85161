"""Full-text search over Subject Records and cases, filtered by the access policy inside the query."""

from __future__ import annotations

from ...logic.entities import access
from . import schemas
from .common import Blueprint, actor, graph

blp = Blueprint("search", __name__, "/search", description="Search")


@blp.route("", methods=["GET"])
@blp.arguments(schemas.SearchQuery, location="query")
@blp.response(200, schemas.RecordOut(many=True))
def search(query):
    """Records and cases matching every word of `text` that you may read (audited; owners are told)."""
    return access.search(graph(), actor(), query["text"], types=query["types"], office=query["office"],
                         status=query["status"], limit=query["limit"])
