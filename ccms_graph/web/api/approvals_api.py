"""The supervisor's approval queue and decisions; access-grant revocation."""

from __future__ import annotations

from ...logic.casework import approvals, grants
from . import schemas
from .common import Blueprint, actor, graph

blp = Blueprint("approvals", __name__, "", description="Approvals and access grants")


@blp.route("/approvals", methods=["GET"])
@blp.response(200, schemas.ApprovalOut(many=True))
def approval_queue():
    """Your subordinates' pending items of every kind, oldest first (empty unless you supervise someone)."""
    return approvals.approval_queue(graph(), actor())


@blp.route("/approvals/<item_uid>/decision", methods=["POST"])
@blp.arguments(approvals.DecisionInput)
@blp.response(200, schemas.ApprovalOut)
def decide(data, item_uid):
    """Approve or return a pending item (a supervisor above the requester; never your own); 409 if decided."""
    return approvals.decide(graph(), actor(), item_uid, data["decision"], data.get("comment"), data.get("version"))


@blp.route("/grants/<grant_uid>/revoke", methods=["POST"])
@blp.arguments(schemas.RevokeInput)
@blp.response(200, schemas.GrantOut)
def revoke_grant(data, grant_uid):
    """End an active access grant (the case owner or a supervisor above the owner)."""
    return grants.revoke_grant(graph(), actor(), grant_uid, data["reason"])
