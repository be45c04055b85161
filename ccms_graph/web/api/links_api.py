"""Draw and retire typed links between records (checked against the link vocabulary and the write policy)."""

from __future__ import annotations

from ...logic.entities import links
from . import schemas
from .common import Blueprint, actor, graph, raw_body

blp = Blueprint("links", __name__, "/links", description="Links between records")


@blp.route("", methods=["POST"])
@blp.arguments(links.LinkInput)
@blp.response(201, schemas.LinkOut)
def create_link(_):
    """Link two records with a user link type and a reason (audited); 409 if the same link is active."""
    return links.link(graph(), actor(), raw_body())


@blp.route("/retire", methods=["POST"])
@blp.arguments(links.UnlinkInput)
@blp.response(200, schemas.LinkOut)
def retire_link(_):
    """Retire an active link with a reason; the link stays as history (audited as unlink)."""
    return links.unlink(graph(), actor(), raw_body())
