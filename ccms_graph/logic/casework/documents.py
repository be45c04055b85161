"""Case documents: Reports of Investigation (draft -> submitted -> approved or returned), other reports, evidence and attachments.

A Report of Investigation belongs to its author until a supervisor approves it: only the author
edits it while it is a draft or returned, and once submitted or approved it is read-only.
Attachment bytes live in the file store under their sha256; the graph holds an (:Attachment) node
with the metadata and the hash, so a download can prove the bytes are the ones uploaded.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
import unicodedata
from pathlib import Path

from ...db import Graph
from ...errors import Conflict, Forbidden, NotFound, ValidationFailed
from ...nodes.vocabulary import DOCUMENT_TYPES
from ...policy import rules
from ...policy.actor import Actor
from ...validation import validate_record
from ..common import new_uid, node_dict, plain
from ..oversight import audit, notifications
from .pending import file_request, lock

ROI = "ReportOfInvestigation"
#: ROI statuses in which the author may still edit it.
EDITABLE_ROI = ("draft", "returned")
#: Status of every other document once filed.
FILED = "filed"
#: Case statuses in which documents may be added.
CASE_ACCEPTS_DOCUMENTS = ("requested", "open", "referred")

#: Content types an attachment may have: documents, images, audio, video, plain data.
CONTENT_TYPES = frozenset({
    "application/pdf", "text/plain", "text/csv", "application/json", "application/xml",
    "application/msword", "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.ms-excel", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/rtf", "message/rfc822", "application/zip",
    "image/jpeg", "image/png", "image/gif", "image/tiff", "image/heic",
    "audio/mpeg", "audio/wav", "audio/mp4", "video/mp4", "video/quicktime",
})


def _props(type_name: str, clean: dict) -> dict:
    names = (*DOCUMENT_TYPES[type_name].field_names, "location")  # the point made of latitude/longitude
    return {k: v for k, v in clean.items() if k in names}


def _require_known_office(tx, props: dict) -> None:
    """An arrest report's arresting office is an office of the organisation (statistics count by it)."""
    code = props.get("arresting_office")
    if code and tx.run("MATCH (o:Office {code: $code}) RETURN o LIMIT 1", code=code).single() is None:
        raise ValidationFailed({"arresting_office": [f"no office {code!r}; use an office code such as MIA"]})


# ---------------------------------------------------------------------------------------------
# Create and update
# ---------------------------------------------------------------------------------------------

_CREATE = """
MATCH (c:Case {{uid: $case_uid}})
CREATE (d:{labels}:Linkable)
SET d = $props, d.created_at = datetime(), d.updated_at = datetime()
CREATE (d)-[:PART_OF {{uid: randomUUID(), created_at: datetime(), created_by: $actor, source: 'manual',
                       status: 'active'}}]->(c)
SET c.last_activity_at = datetime()
RETURN d, labels(d) AS labels
"""


def create_document(graph: Graph, actor: Actor, case_uid: str, type_name: str, data: dict) -> dict:
    """File a document in a case. A Report of Investigation starts as the author's draft; others are filed."""
    if type_name not in DOCUMENT_TYPES:
        raise ValidationFailed({"type": [f"unknown document type {type_name!r}; one of {', '.join(DOCUMENT_TYPES)}"]})
    props = _props(type_name, validate_record(type_name, data))
    uid = new_uid()
    props.update(uid=uid, owner_uid=actor.uid, author_uid=actor.uid, created_by=actor.uid, updated_by=actor.uid,
                 office_code=actor.office_code, status="draft" if type_name == ROI else FILED,
                 source="manual", version=1, deleted=False)
    stmt = _CREATE.format(labels=":".join(DOCUMENT_TYPES[type_name].labels))

    def work(tx):
        rules.require_read(tx, actor, case_uid, ("Case",), "case")
        rules.require_case_write(tx, actor, case_uid)
        case = lock(tx, "Case", case_uid)
        if case["status"] not in CASE_ACCEPTS_DOCUMENTS:
            raise Conflict(f"case {case.get('case_number')} is {case['status']}; it takes no new documents")
        _require_known_office(tx, props)
        rec = tx.run(stmt, case_uid=case_uid, props={k: v for k, v in props.items() if v is not None},
                     actor=actor.uid).single()
        audit.record(tx, actor, "create", [uid, case_uid], details={"type": type_name})
        return node_dict(rec["d"], rec["labels"])

    return audit.write_or_refuse(graph, actor, "create_document", [case_uid], work)


def _document(tx, uid: str, actor: Actor | None = None) -> dict:
    """The document, locked; with `actor`, only if they may read it (NotFound or Forbidden, see `require_readable`)."""
    if actor is not None:
        rules.require_read(tx, actor, uid, ("Document",), "document")
    doc = lock(tx, "Document", uid)
    if doc is None or doc.get("deleted"):
        raise NotFound(f"no document {uid}")
    doc["type"] = next(label for label in doc["_labels"] if label in DOCUMENT_TYPES)
    return doc


def _require_roi_author(actor: Actor, doc: dict, doing: str) -> None:
    """Only the author works on their Report of Investigation, and only while it is a draft or returned."""
    if doc["owner_uid"] != actor.uid:
        raise Forbidden(f"only the author may {doing} this Report of Investigation")
    if doc["status"] not in EDITABLE_ROI:
        raise Conflict(f"this Report of Investigation is {doc['status']} and read-only", status=doc["status"])


def update_document(graph: Graph, actor: Actor, uid: str, changes: dict, expected_version: int | None = None) -> dict:
    """Change a document's fields. Editing a returned ROI revises it back to a draft; Conflict if stale."""

    def work(tx):
        doc = _document(tx, uid, actor)
        rules.require_record_write(tx, actor, uid)
        if doc["type"] == ROI:
            _require_roi_author(actor, doc, "edit")
        if expected_version is not None and doc.get("version") != expected_version:
            raise Conflict(f"document {uid} was changed by someone else (version {doc.get('version')}, "
                           f"you had {expected_version})", current_version=doc.get("version"))
        clean = _props(doc["type"], validate_record(doc["type"], changes, partial=True))
        _require_known_office(tx, clean)
        status = "draft" if doc["type"] == ROI else doc["status"]
        rec = tx.run("""MATCH (d:Document {uid: $uid})
                        SET d += $props, d.version = d.version + 1, d.status = $status,
                            d.revised_at = CASE WHEN $revised THEN datetime() ELSE d.revised_at END,
                            d.updated_at = datetime(), d.updated_by = $actor
                        WITH d OPTIONAL MATCH (d)-[:PART_OF {status: 'active'}]->(c:Case)
                        SET c.last_activity_at = datetime()
                        RETURN d, labels(d) AS labels""",
                     uid=uid, props=clean, status=status, revised=doc["status"] == "returned",
                     actor=actor.uid).single()
        audit.record(tx, actor, "update", [uid], details={"fields": sorted(clean), "type": doc["type"]})
        return node_dict(rec["d"], rec["labels"])

    return audit.write_or_refuse(graph, actor, "update_document", [uid], work)


def submit_roi(graph: Graph, actor: Actor, uid: str, comment: str | None = None) -> dict:
    """The author submits a draft (or revised) ROI for approval; returns the pending ApprovalRequest."""

    def work(tx):
        doc = _document(tx, uid, actor)
        rules.require_record_write(tx, actor, uid)
        if doc["type"] != ROI:
            raise Conflict("only a Report of Investigation is submitted for approval")
        _require_roi_author(actor, doc, "submit")
        tx.run("""MATCH (d:Document {uid: $uid})
                  SET d.status = 'submitted', d.submitted_at = datetime(), d.updated_at = datetime()""",
               uid=uid).consume()
        return file_request(tx, actor, "roi", uid, payload={"title": doc.get("title")}, comment=comment)

    return audit.write_or_refuse(graph, actor, "submit_roi", [uid], work)


def _apply_roi(tx, actor: Actor, request: dict, decision: str) -> None:
    doc = _document(tx, request["target_uid"])
    if doc["status"] != "submitted":
        raise Conflict(f"this Report of Investigation is {doc['status']}, not submitted", status=doc["status"])
    tx.run("""MATCH (d:Document {uid: $uid})
              SET d.status = $decision, d.decided_by = $actor, d.decided_at = datetime(),
                  d.return_comment = CASE WHEN $decision = 'returned' THEN $comment ELSE d.return_comment END,
                  d.approved_by = CASE WHEN $decision = 'approved' THEN $actor ELSE null END,
                  d.approved_at = CASE WHEN $decision = 'approved' THEN datetime() ELSE null END""",
           uid=doc["uid"], decision=decision, actor=actor.uid, comment=request.get("decision_comment")).consume()


#: What a decided request of this kind carries out: `(tx, actor, request, decision)`, called by `approvals`.
APPLIERS = {"roi": _apply_roi}


def get_document(graph: Graph, uid: str) -> dict:
    """A document with its case and attachments; NotFound if absent. Access checks are the caller's."""
    rows = graph.query(
        """MATCH (d:Document {uid: $uid})
        OPTIONAL MATCH (d)-[:PART_OF {status: 'active'}]->(c:Case)
        OPTIONAL MATCH (d)-[:HAS_ATTACHMENT]->(a:Attachment)
        RETURN d, labels(d) AS labels, c.uid AS case_uid, collect(properties(a)) AS attachments""", {"uid": uid})
    if not rows or rows[0]["d"].get("deleted"):
        raise NotFound(f"no document {uid}")
    out = node_dict(rows[0]["d"], rows[0]["labels"])
    out["case_uid"] = rows[0]["case_uid"]
    out["attachments"] = sorted((plain(a) for a in rows[0]["attachments"]), key=lambda a: a["uploaded_at"])
    return out


# ---------------------------------------------------------------------------------------------
# Attachments
# ---------------------------------------------------------------------------------------------


def blob_path(store: Path, sha256: str) -> Path:
    """Where the bytes with this sha256 live in the file store."""
    if not re.fullmatch(r"[0-9a-f]{64}", sha256):
        raise ValueError("not a sha256 hex digest")
    return store / sha256[:2] / sha256


def _write_blob(store: Path, sha256: str, data: bytes) -> None:
    """Store bytes under their hash, atomically; writing the same bytes twice is harmless."""
    path = blob_path(store, sha256)
    if path.exists():
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".upload-")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def clean_filename(name: str) -> str:
    """A display-safe file name: no folders, no control characters, at most 200 characters."""
    name = unicodedata.normalize("NFC", str(name or "")).replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip().lstrip(".")
    return name[:200]


def _check_upload(filename: str, content_type: str, data: bytes, limit: int) -> tuple[str, str]:
    errors: dict = {}
    name = clean_filename(filename)
    if not name:
        errors["filename"] = ["give the file a name"]
    ctype = (content_type or "").split(";", 1)[0].strip().lower()
    if ctype not in CONTENT_TYPES:
        errors["content_type"] = [f"{ctype or 'no content type'} is not an accepted file type"]
    if not isinstance(data, bytes | bytearray) or not data:
        errors["file"] = ["the file is empty"]
    elif len(data) > limit:
        errors["file"] = [f"the file is {len(data)} bytes; the limit is {limit}"]
    if errors:
        raise ValidationFailed(errors)
    return name, ctype


def add_attachment(graph: Graph, actor: Actor, document_uid: str, filename: str, content_type: str, data: bytes,
                   store: Path | None = None) -> dict:
    """Attach a file to a document: bytes into the file store by sha256, metadata into an (:Attachment)."""
    name, ctype = _check_upload(filename, content_type, data, graph.settings.max_upload_bytes)
    store = store or graph.settings.file_store
    sha = hashlib.sha256(data).hexdigest()
    uid = new_uid()

    def work(tx):
        doc = _document(tx, document_uid, actor)
        rules.require_record_write(tx, actor, document_uid)
        if doc["type"] == ROI:
            _require_roi_author(actor, doc, "attach files to")
        _write_blob(store, sha, bytes(data))  # idempotent, so a retried transaction may run it again
        rec = tx.run("""MATCH (d:Document {uid: $doc})
                        MERGE (a:Attachment {uid: $uid})
                        ON CREATE SET a.filename = $name, a.content_type = $ctype, a.size = $size, a.sha256 = $sha,
                                      a.uploaded_by = $actor, a.uploaded_at = datetime()
                        MERGE (d)-[:HAS_ATTACHMENT]->(a)
                        SET d.updated_at = datetime()
                        WITH a, d OPTIONAL MATCH (d)-[:PART_OF {status: 'active'}]->(c:Case)
                        SET c.last_activity_at = datetime()
                        RETURN properties(a) AS a""",
                     doc=document_uid, uid=uid, name=name, ctype=ctype, size=len(data), sha=sha,
                     actor=actor.uid).single()
        audit.record(tx, actor, "upload", [uid, document_uid],
                     details={"filename": name, "content_type": ctype, "size": len(data), "sha256": sha})
        return plain(rec["a"])

    return audit.write_or_refuse(graph, actor, "upload", [document_uid], work)


def _blob(store: Path, attachment_uid: str, sha256: str) -> bytes:
    """The stored bytes, proven by their hash: NotFound if missing, Conflict if they changed."""
    path = blob_path(store, sha256)
    if not path.exists():
        raise NotFound(f"the bytes of attachment {attachment_uid} are missing from the file store")
    data = path.read_bytes()
    if hashlib.sha256(data).hexdigest() != sha256:
        raise Conflict(f"attachment {attachment_uid} no longer matches its recorded sha256")
    return data


_ATTACHMENT_OF = """
MATCH (d:Document {uid: $doc})-[:HAS_ATTACHMENT]->(a:Attachment {uid: $uid})
RETURN properties(a) AS a, labels(d) AS labels, coalesce(d.author_uid, d.owner_uid) AS owner_uid,
       d.title AS title
"""


def download_attachment(graph: Graph, actor: Actor, document_uid: str, attachment_uid: str,
                        store: Path | None = None) -> tuple[dict, bytes]:
    """One attachment of a document the actor may read: (metadata, bytes), audited as "download".

    The read check, the attachment lookup, the audit entry and the owner's notification share one
    transaction; a refusal (NotFound where the document's existence is protected or the attachment is
    not on it, else Forbidden) is audited as a denial. Conflict if the stored bytes no longer match.
    """
    store = store or graph.settings.file_store

    def work(tx):
        rules.require_read(tx, actor, document_uid, ("Document",), "document")
        rec = tx.run(_ATTACHMENT_OF, doc=document_uid, uid=attachment_uid).single()
        if rec is None:
            raise NotFound(f"no attachment {attachment_uid} on document {document_uid}")
        meta = plain(rec["a"])
        audit.record(tx, actor, "download", [attachment_uid, document_uid],
                     details={"sha256": meta["sha256"], "filename": meta.get("filename")})
        type_name = next((label for label in rec["labels"] if label in DOCUMENT_TYPES), "Document")
        notifications.notify_owner(tx, actor, rec["owner_uid"], "view", record_uid=document_uid,
                                   record_type=type_name, record_caption=rec["title"], displayed=True,
                                   message=f"{actor.name} downloaded an attachment of your document")
        return meta

    meta = audit.write_or_refuse(graph, actor, "download", [document_uid, attachment_uid], work)
    return meta, _blob(store, attachment_uid, meta["sha256"])
