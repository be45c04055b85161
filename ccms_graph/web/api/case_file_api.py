"""The printable case file: GET /api/v1/cases/{uid}/file.pdf."""

from __future__ import annotations

from flask import Response

from ...logic.casework import case_file
from .common import Blueprint, actor, graph

blp = Blueprint("case_file", __name__, "/cases", description="The printable case file (PDF)")


@blp.route("/<case_uid>/file.pdf", methods=["GET"])
@blp.response(200, {"type": "string", "format": "binary"}, content_type="application/pdf")
def case_file_pdf(case_uid):
    """The whole case as a PDF for a reader allowed to read it: summary, lifecycle and approvals, subjects and
    their links, approved Reports of Investigation and incident reports, evidence with each attachment's
    sha256, disclosures and a link chart. Never a draft. Audited as an export; the owners are told."""
    pdf, meta = case_file.case_file(graph(), actor(), case_uid)
    return Response(pdf, mimetype="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="{meta["filename"]}"',
        "Cache-Control": "no-store", "X-Content-SHA256": meta["sha256"], "X-Export-Id": meta["export_id"]})
