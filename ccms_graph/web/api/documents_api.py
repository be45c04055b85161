"""Case documents (one create route per document type), Reports of Investigation, and attachments."""

from __future__ import annotations

from urllib.parse import quote

from flask import Response
from flask_smorest.fields import Upload
from marshmallow import Schema

from ...logic.casework import documents
from ...logic.entities import access
from ...nodes.vocabulary import DOCUMENT_TYPES
from ...validation import record_schema
from . import schemas
from .common import Blueprint, actor, etag_of, graph, if_match_version, raw_body

blp = Blueprint("documents", __name__, "", description="Documents, Reports of Investigation and attachments")


class UploadInput(Schema):
    file = Upload(required=True, metadata={"description": "the file; its part's Content-Type is checked"})


def _create_view(type_name: str):
    rtype = DOCUMENT_TYPES[type_name]

    @blp.arguments(record_schema(type_name))
    @blp.response(201, schemas.RecordOut)
    def view(_, case_uid):
        return documents.create_document(graph(), actor(), case_uid, type_name, raw_body())

    view.__name__ = f"create_{type_name.lower()}"
    view.__doc__ = (f"File a {rtype.name} in a case you may change; it starts as your draft, seen by you and your "
                    "supervisors until a supervisor approves it.")
    blp.route(f"/cases/<case_uid>/documents/{rtype.slug}", methods=["POST"], endpoint=view.__name__)(view)


for _type_name in DOCUMENT_TYPES:
    _create_view(_type_name)


def _readable_document(document_uid: str) -> dict:
    """The document as the actor may see it (audited view), with its attachments; NotFound if not a document."""
    out = access.view_record(graph(), actor(), document_uid)
    out["attachments"] = documents.get_document(graph(), document_uid)["attachments"]
    return out


@blp.route("/documents/<document_uid>", methods=["GET"])
@blp.response(200, schemas.RecordOut)
def get_document(document_uid):
    """A document you may read, with its attachments' metadata (audited)."""
    out = _readable_document(document_uid)
    tag = etag_of(out)
    return out, 200, ({"ETag": tag} if tag else {})


@blp.route("/documents/<document_uid>", methods=["PATCH"])
@blp.arguments(schemas.RecordChanges)
@blp.response(200, schemas.RecordOut)
def update_document(data, document_uid):
    """Change a document's fields; a returned ROI becomes a draft again; 409 if your version is stale."""
    changes = {k: v for k, v in raw_body().items() if k != "version"}
    return documents.update_document(graph(), actor(), document_uid, changes,
                                     expected_version=data.get("version") or if_match_version())


@blp.route("/documents/<document_uid>/submit", methods=["POST"])
@blp.arguments(schemas.SubmitInput)
@blp.response(201, schemas.ApprovalOut)
def submit_roi(data, document_uid):
    """The author submits a draft document (of any type) for a supervisor's approval; until approved, only the
    author and the author's supervisors see it (CCMS PIA §2.4)."""
    return documents.submit_document(graph(), actor(), document_uid, data.get("comment"))


@blp.route("/documents/<document_uid>/attachments", methods=["POST"])
@blp.arguments(UploadInput, location="files")
@blp.response(201, schemas.AttachmentOut)
def upload_attachment(files, document_uid):
    """Attach a file, judged by its content, not its name: an executable under any name, or content that is not
    the declared type, is refused (422 naming `file`); an unaccepted type 422 naming `content_type`; size
    limit 413. Its text is extracted in the background (`extraction_status` on the document's attachments)."""
    f = files["file"]
    return documents.add_attachment(graph(), actor(), document_uid, f.filename or "", f.mimetype or "",
                                    f.read())


@blp.route("/documents/<document_uid>/attachments/<attachment_uid>", methods=["GET"])
@blp.response(200, {"type": "string", "format": "binary"}, content_type="*/*")
def download_attachment(document_uid, attachment_uid):
    """The attachment's bytes, if you may read its document (audited as a download; the owner is told)."""
    meta, data = documents.download_attachment(graph(), actor(), document_uid, attachment_uid)
    return Response(data, mimetype=meta["content_type"], headers={
        "Content-Disposition": f"attachment; filename*=UTF-8''{_quote(meta['filename'])}",
        "X-Content-SHA256": meta["sha256"]})


def _quote(name: str) -> str:
    return quote(name, safe="")
