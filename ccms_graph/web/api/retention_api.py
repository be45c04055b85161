"""What keeps a case past its retention period: the significant flag and the legal hold (ICM PIA §5.1)."""

from __future__ import annotations

from ...logic.casework import retention
from . import schemas
from .common import Blueprint, actor, graph, raw_body

blp = Blueprint("retention", __name__, "/cases", description="Retention: significant cases and legal holds")


@blp.route("/<case_uid>/significant", methods=["POST"])
@blp.arguments(retention.KeepReasonInput)
@blp.response(200, schemas.RetentionFlagOut)
def mark_significant(_, case_uid):
    """Mark a case significant, with a reason: it is then kept permanently (a supervisor above its owner;
    409 if it is already)."""
    return retention.mark_significant(graph(), actor(), case_uid, raw_body())


@blp.route("/<case_uid>/legal-hold", methods=["POST"])
@blp.arguments(retention.KeepReasonInput)
@blp.response(200, schemas.RetentionFlagOut)
def place_legal_hold(_, case_uid):
    """Put a case under a legal hold, with a reason: retention removes nothing of it until the hold is released."""
    return retention.place_legal_hold(graph(), actor(), case_uid, raw_body())


@blp.route("/<case_uid>/legal-hold/release", methods=["POST"])
@blp.arguments(retention.KeepReasonInput)
@blp.response(200, schemas.RetentionFlagOut)
def release_legal_hold(_, case_uid):
    """End a case's legal hold, with a reason (409 if it has none)."""
    return retention.release_legal_hold(graph(), actor(), case_uid, raw_body())
