"""The audit log, for auditors: search it and export it as CSV (both audited themselves)."""

from __future__ import annotations

import io

from flask import Response

from ...logic.oversight import audit
from . import schemas
from .common import Blueprint, actor, graph

blp = Blueprint("audit", __name__, "/audit", description="Audit log (auditors only)")


@blp.route("", methods=["GET"])
@blp.arguments(schemas.AuditQuery, location="query")
@blp.response(200, schemas.AuditEntryOut(many=True))
def search(query):
    """Audit entries matching every given criterion, newest first, `limit` at a time from `offset`."""
    return audit.search(graph(), actor(), **query)


@blp.route("/export.csv", methods=["GET"])
@blp.arguments(schemas.AuditExportQuery, location="query")
@blp.response(200, {"type": "string"}, content_type="text/csv")
def export(query):
    """Every matching entry as CSV, oldest first, with the hashes to re-verify the chain."""
    buf = io.StringIO()
    audit.export_csv(graph(), actor(), buf, **query)
    return Response(buf.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": 'attachment; filename="audit.csv"'})
