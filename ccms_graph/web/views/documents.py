"""Document pages: fields, status and approval history, mentions and references, attachments (upload several at
once, download, preview, thumbnails, extracted text), create and edit; and a person's photos."""

from __future__ import annotations

from urllib.parse import quote

from flask import Blueprint, Response, abort, jsonify, redirect, render_template, request, url_for
from flask_login import login_required

from ...errors import DomainError, Forbidden, ValidationFailed
from ...logic.casework import approvals, attachments, documents
from ...logic.entities import access, links
from ...logic.jobs import worker
from ...logic.oversight import audit
from ...nodes.vocabulary import DOCUMENT_TYPES
from .. import context
from .forms import HAD_FIELD, edit_form, field_errors, record_input
from .helpers import act, message_of

bp = Blueprint("documents", __name__)

#: Link types shown on a document page, and the one a user draws from it to another document.
DOCUMENT_LINKS = ("MENTIONS", "REFERENCES")
#: Headers every served file carries: never sniffed into something else, never a page of its own.
SAFE_FILE_HEADERS = {"X-Content-Type-Options": "nosniff", "Cache-Control": "private, no-store",
                     "Content-Security-Policy": "default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'; "
                                                "object-src 'self'; frame-ancestors 'self'; sandbox"}


def _rtype(type_name: str):
    rtype = DOCUMENT_TYPES.get(type_name)
    if rtype is None:
        abort(404, f"no document type {type_name}")
    return rtype


def _history(graph, actor, uid: str) -> list[dict]:
    """The audit entries about the document, for those who may read them (a supervisor, their people's; the
    auditor, all); nobody else sees the audit log, so for them the page shows the approval history alone."""
    if actor.role not in ("supervisor", "auditor"):
        return []
    try:
        return audit.search(graph, actor, record=uid, limit=50)
    except DomainError:
        return []


@bp.route("/documents/<uid>")
@login_required
def document_page(uid: str):
    graph, actor = context.graph(), context.actor()
    doc = access.view_record(graph, actor, uid, with_links=True)  # one audited view; the owner is told
    if doc["type"] not in DOCUMENT_TYPES:
        return redirect(url_for("records.record_page", uid=uid))
    files = documents.get_document(graph, uid)["attachments"]
    grouped: dict[str, list[dict]] = {}
    for link in doc.get("links", []):
        if link["type"] in DOCUMENT_LINKS:
            grouped.setdefault(link["type"], []).append(link)
    props = doc["props"]
    author = props.get("author_uid") or props.get("owner_uid")
    editable = (props.get("status") in documents.EDITABLE and author == actor.uid) or (
        props.get("status") == documents.FILED and actor.role in ("agent", "supervisor"))
    return render_template(
        "document.html", doc=doc, rtype=DOCUMENT_TYPES[doc["type"]], attachments=files, grouped=grouped,
        requests=approvals.requests_for(graph, uid), history=_history(graph, actor, uid), editable=editable,
        mine=author == actor.uid, inline_types=attachments.INLINE_TYPES, limit=graph.settings.max_upload_bytes,
        document_types=DOCUMENT_TYPES)


@bp.route("/cases/<case_uid>/documents/new/<type_name>", methods=["GET", "POST"])
@login_required
def create_document(case_uid: str, type_name: str):
    rtype = _rtype(type_name)
    values, errors = dict(request.form), {}
    if request.method == "POST":
        try:
            created = documents.create_document(context.graph(), context.actor(), case_uid, type_name,
                                                record_input(rtype, request.form))
        except ValidationFailed as exc:
            errors = field_errors(exc.errors)
        else:
            return redirect(url_for("documents.document_page", uid=created["uid"]))
    return render_template("document_form.html", rtype=rtype, values=values, errors=errors, case_uid=case_uid,
                           mode="create"), (422 if errors else 200)


@bp.route("/documents/<uid>/edit", methods=["GET", "POST"])
@login_required
def edit_document(uid: str):
    graph, actor = context.graph(), context.actor()
    if request.method == "POST":
        rtype = _rtype(request.form.get("type", ""))
        try:
            documents.update_document(graph, actor, uid, record_input(rtype, request.form, partial=True),
                                      expected_version=request.form.get("version", type=int))
        except DomainError as exc:  # the form again, as sent, with the refusal by field (or as a whole)
            errors = field_errors(exc.errors) if isinstance(exc, ValidationFailed) else {"_schema": message_of(exc)}
            return render_template("document_form.html", rtype=rtype, values=dict(request.form), errors=errors,
                                   uid=uid, mode="edit", had=request.form.getlist(HAD_FIELD),
                                   version=request.form.get("version", type=int)), exc.status
        return redirect(url_for("documents.document_page", uid=uid))
    doc = access.view_record(graph, actor, uid)
    rtype = _rtype(doc["type"])
    return render_template("document_form.html", rtype=rtype, errors={}, uid=uid, mode="edit", **edit_form(rtype, doc["props"]))


@bp.route("/documents/<uid>/submit", methods=["POST"])
@login_required
def submit_document(uid: str):
    return act(lambda: documents.submit_document(context.graph(), context.actor(), uid,
                                                 request.form.get("comment", "").strip() or None),
               "Submitted to your supervisor for approval.", url_for("documents.document_page", uid=uid))


@bp.route("/documents/<uid>/link", methods=["POST"])
@login_required
def link_document(uid: str):
    data = {"source_uid": uid, "target_uid": request.form.get("target_uid", "").strip(),
            "type": request.form.get("type", "REFERENCES"), "reason": request.form.get("reason", "").strip()}
    return act(lambda: links.link(context.graph(), context.actor(), data), "Link drawn.",
               url_for("documents.document_page", uid=uid) + "#links")


def _uploads() -> list[documents.Upload]:
    return [(f.filename or "", f.mimetype or "", f.read()) for f in request.files.getlist("files") if f]


def _wants_json() -> bool:
    return request.accept_mimetypes.best == "application/json"


def _upload_answer(call, done: str, back: str):
    """Run an upload; JSON for the page's script (the files, or the refusal by field), else flash and redirect."""
    if not _wants_json():
        return act(call, done, back)
    try:
        stored = call()
    except ValidationFailed as exc:
        return jsonify({"errors": field_errors(exc.errors), "detail": message_of(exc)}), 422
    except DomainError as exc:
        return jsonify({"detail": exc.detail}), exc.status
    return jsonify({"files": stored, "message": done}), 201


@bp.route("/documents/<uid>/attachments", methods=["POST"])
@login_required
def upload(uid: str):
    graph = context.graph()
    worker.embedded(graph)  # the web process's worker extracts the text, unless a worker process does
    return _upload_answer(lambda: documents.add_attachments(graph, context.actor(), uid, _uploads()),
                          "Files attached; their text is being extracted.",
                          url_for("documents.document_page", uid=uid) + "#attachments")


def _served(meta: dict, data: bytes, inline: bool) -> Response:
    ctype = meta["content_type"] if inline else "application/octet-stream"
    disposition = "inline" if inline else "attachment"
    return Response(data, mimetype=ctype, headers={
        **SAFE_FILE_HEADERS, "X-Content-SHA256": meta["sha256"],
        "Content-Disposition": f"{disposition}; filename*=UTF-8''{quote(meta['filename'], safe='')}"})


@bp.route("/documents/<uid>/attachments/<att>")
@login_required
def download(uid: str, att: str):
    """The file as it was uploaded (audited as a download; the owner is told)."""
    meta, data = documents.download_attachment(context.graph(), context.actor(), uid, att)
    return _served(meta, data, inline=False)


@bp.route("/documents/<uid>/attachments/<att>/view")
@login_required
def preview(uid: str, att: str):
    """A PDF or an image shown in the browser (audited as a download for preview); any other type downloads."""
    meta, data = documents.download_attachment(context.graph(), context.actor(), uid, att, purpose="preview")
    return _served(meta, data, inline=meta["content_type"] in attachments.INLINE_TYPES)


@bp.route("/documents/<uid>/attachments/<att>/thumbnail")
@login_required
def thumbnail(uid: str, att: str):
    """A small PNG of an image attachment or photo (audited as a download for a thumbnail); 404 for a non-image."""
    meta, data = documents.download_attachment(context.graph(), context.actor(), uid, att, purpose="thumbnail")
    small = attachments.thumbnail(data) if meta["content_type"].startswith("image/") else None
    if small is None:
        abort(404, "no thumbnail for this file")
    return Response(small, mimetype="image/png", headers={**SAFE_FILE_HEADERS, "X-Content-SHA256": meta["sha256"]})


@bp.route("/records/<uid>/photos", methods=["POST"])
@login_required
def upload_photos(uid: str):
    return _upload_answer(lambda: documents.add_photos(context.graph(), context.actor(), uid, _uploads()),
                          "Photo added.", url_for("records.record_page", uid=uid) + "#photos")


@bp.route("/records/<uid>/photos/<att>")
@login_required
def photo(uid: str, att: str):
    """A person's photo, inline (audited as a download; the owner is told)."""
    meta, data = documents.download_attachment(context.graph(), context.actor(), uid, att, purpose="preview")
    if meta["content_type"] not in attachments.PHOTO_TYPES:
        raise Forbidden("not a photo")
    return _served(meta, data, inline=True)
