"""Graph exploration: a record's neighbourhood, one link away, with what you may not read locked."""

from __future__ import annotations

from ...logic import access
from . import schemas
from .common import Blueprint, actor, graph

blp = Blueprint("graph", __name__, "/graph", description="Graph neighbourhood and expansion")


@blp.route("/neighbours/<record_uid>", methods=["GET"])
@blp.arguments(schemas.NeighboursQuery, location="query")
@blp.response(200, schemas.NeighboursOut)
def neighbours(query, record_uid):
    """The records one link away (expansion), audited; unreadable neighbours are locked placeholders."""
    return access.neighbours(graph(), actor(), record_uid, link_types=query["link_types"], limit=query["limit"])
