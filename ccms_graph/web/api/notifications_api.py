"""Your in-app notifications: the inbox, the unread count, and marking them read."""

from __future__ import annotations

from ...logic.oversight import notifications
from . import schemas
from .common import Blueprint, actor, graph

blp = Blueprint("notifications", __name__, "/notifications", description="Notifications")


@blp.route("", methods=["GET"])
@blp.arguments(schemas.InboxQuery, location="query")
@blp.response(200, schemas.NotificationOut(many=True))
def inbox(query):
    """Your notifications, newest first."""
    return notifications.inbox(graph(), actor(), unread_only=query["unread_only"], limit=query["limit"])


@blp.route("/unread-count", methods=["GET"])
@blp.response(200, schemas.CountOut)
def unread_count():
    """How many of your notifications are unread."""
    return {"count": notifications.unread_count(graph(), actor())}


@blp.route("/read", methods=["POST"])
@blp.arguments(schemas.MarkReadInput)
@blp.response(200, schemas.CountOut)
def mark_read(data):
    """Mark some of your notifications read (others' are ignored); answers how many changed."""
    return {"count": notifications.mark_read(graph(), actor(), data["uids"])}
