"""The office directory every signed-in user may list (codes and names, for pickers and filters)."""

from __future__ import annotations

from ...logic.people import users
from . import schemas
from .common import Blueprint, graph

blp = Blueprint("offices", __name__, "/offices", description="Offices")


@blp.route("", methods=["GET"])
@blp.response(200, schemas.OfficeOut(many=True))
def list_offices():
    """Every office with its kind and parent office (offices are not case content)."""
    return users.list_offices(graph())
