"""Graph exploration: a record's neighbourhood one link away, and the shortest path between two records."""

from __future__ import annotations

from ...logic.entities import access
from . import schemas
from .common import Blueprint, actor, graph

blp = Blueprint("graph", __name__, "/graph", description="Graph neighbourhood, expansion and shortest path")


@blp.route("/neighbours/<record_uid>", methods=["GET"])
@blp.arguments(schemas.NeighboursQuery, location="query")
@blp.response(200, schemas.NeighboursOut)
def neighbours(query, record_uid):
    """The records one link away (expansion), audited; unreadable neighbours are locked placeholders."""
    return access.neighbours(graph(), actor(), record_uid, link_types=query["link_types"], limit=query["limit"])


@blp.route("/path", methods=["GET"])
@blp.arguments(schemas.PathQuery, location="query")
@blp.response(200, schemas.QueryResultOut)
def shortest_path(query):
    """The shortest chain of active links between two records you may read, stepping only on readable records
    and over links whose data you may see (audited as the query `shortest_path`, owners told). No path: an empty graph."""
    return access.shortest_path(graph(), actor(), query["from_uid"], query["to_uid"], query["max_hops"])
