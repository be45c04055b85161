"""Case documents (draft -> submitted -> approved or returned), and their attachments.

CBP CCMS PIA §2.4: "case documents must be reviewed and approved by a supervisor prior to being available
for use in an investigation... Reports of Investigation created by case agents/officers are initially
created as drafts; the draft must be approved by a supervisor before it is considered final and
available for viewing by other CCMS users." So every type of document, not only the Report of
Investigation, starts as its author's draft: only the author edits it while it is a draft or returned,
the author submits it, a supervisor above the author approves or returns it (`approvals`, through
`APPLIERS`), and once submitted or approved it is read-only. Until approved, only the author and the
author's supervisors see it or count it (`policy.scopes.is_draft`). Documents filed before this rule
(status `filed`) stay available and editable by the case's writers.

Attachment bytes live in the file store under their sha256; the graph holds an (:Attachment) node
with the metadata and the hash, so a download can prove the bytes are the ones uploaded. What a file
is comes from its bytes (`attachments.check`); its text is extracted in the background (a job queued
in the upload's transaction: `jobs.extraction`).
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from pathlib import Path

from ...db import Graph
from ...errors import Conflict, Forbidden, NotFound, ValidationFailed
from ...nodes.vocabulary import DOCUMENT_TYPES
from ...policy import rules
from ...policy.actor import Actor
from ...validation import validate_record
from ..common import new_uid, node_dict, plain
from ..jobs import extraction as extraction_jobs
from ..oversight import audit, notifications
from . import attachments
from .attachments import CONTENT_TYPES
from .pending import file_request, lock

ROI = "ReportOfInvestigation"
#: Statuses in which the author may still edit a document.
EDITABLE = ("draft", "returned")
EDITABLE_ROI = EDITABLE
#: Status of documents filed before every type was approved: available, and edited by the case's writers.
FILED = "filed"
#: Statuses of a document's life, in order (`returned` goes back to `draft` when revised).
STATUSES = ("draft", "submitted", "returned", "approved", FILED)
#: Case statuses in which documents may be added.
CASE_ACCEPTS_DOCUMENTS = ("requested", "open", "referred")



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
    """File a document in a case, as the author's draft (every type: see the module's docstring)."""
    if type_name not in DOCUMENT_TYPES:
        raise ValidationFailed({"type": [f"unknown document type {type_name!r}; one of {', '.join(DOCUMENT_TYPES)}"]})
    if not str((data or {}).get("title") or "").strip():  # every type is identified by its title: say so by field
        raise ValidationFailed({"title": [f"give the {DOCUMENT_TYPES[type_name].name.lower()} a title"]})
    props = _props(type_name, validate_record(type_name, data))
    uid = new_uid()
    props.update(uid=uid, owner_uid=actor.uid, author_uid=actor.uid, created_by=actor.uid, updated_by=actor.uid,
                 office_code=actor.office_code, status="draft",
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


def _noun(doc: dict) -> str:
    return DOCUMENT_TYPES[doc["type"]].name if doc["type"] != ROI else "Report of Investigation"


def _require_author(actor: Actor, doc: dict, doing: str) -> None:
    """Only the author works on their document, and only while it is a draft or returned; a document filed
    before approvals (`FILED`) is the case writers' (`rules.require_record_write` has said yes)."""
    if doc.get("status") == FILED and doc["type"] != ROI:
        return
    if (doc.get("author_uid") or doc["owner_uid"]) != actor.uid:
        raise Forbidden(f"only the author may {doing} this {_noun(doc)}")
    if doc["status"] not in EDITABLE:
        raise Conflict(f"this {_noun(doc)} is {doc['status']} and read-only", status=doc["status"])


_require_roi_author = _require_author


def update_document(graph: Graph, actor: Actor, uid: str, changes: dict, expected_version: int | None = None) -> dict:
    """Change a document's fields. Editing a returned ROI revises it back to a draft; Conflict if stale."""

    def work(tx):
        doc = _document(tx, uid, actor)
        rules.require_record_write(tx, actor, uid)
        _require_author(actor, doc, "edit")
        if expected_version is not None and doc.get("version") != expected_version:
            raise Conflict(f"document {uid} was changed by someone else (version {doc.get('version')}, "
                           f"you had {expected_version})", current_version=doc.get("version"))
        clean = _props(doc["type"], validate_record(doc["type"], changes, partial=True))
        _require_known_office(tx, clean)
        status = "draft" if doc["status"] in EDITABLE else doc["status"]
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


def submit_document(graph: Graph, actor: Actor, uid: str, comment: str | None = None) -> dict:
    """The author submits a draft (or revised) document for approval; returns the pending ApprovalRequest
    (kind "roi" for a Report of Investigation, "document" for any other type)."""

    def work(tx):
        doc = _document(tx, uid, actor)
        rules.require_record_write(tx, actor, uid)
        if doc.get("status") == FILED:
            raise Conflict(f"this {_noun(doc)} was filed before approvals and is available already",
                           status=doc["status"])
        _require_author(actor, doc, "submit")
        tx.run("""MATCH (d:Document {uid: $uid})
                  SET d.status = 'submitted', d.submitted_at = datetime(), d.updated_at = datetime()""",
               uid=uid).consume()
        return file_request(tx, actor, "roi" if doc["type"] == ROI else "document", uid,
                            payload={"title": doc.get("title"), "type": doc["type"]}, comment=comment)

    return audit.write_or_refuse(graph, actor, "submit_document", [uid], work)


submit_roi = submit_document


def _apply_document(tx, actor: Actor, request: dict, decision: str) -> None:
    doc = _document(tx, request["target_uid"])
    if doc["status"] != "submitted":
        raise Conflict(f"this {_noun(doc)} is {doc['status']}, not submitted", status=doc["status"])
    tx.run("""MATCH (d:Document {uid: $uid})
              SET d.status = $decision, d.decided_by = $actor, d.decided_at = datetime(),
                  d.return_comment = CASE WHEN $decision = 'returned' THEN $comment ELSE d.return_comment END,
                  d.approved_by = CASE WHEN $decision = 'approved' THEN $actor ELSE null END,
                  d.approved_at = CASE WHEN $decision = 'approved' THEN datetime() ELSE null END""",
           uid=doc["uid"], decision=decision, actor=actor.uid, comment=request.get("decision_comment")).consume()


#: What a decided request of this kind carries out: `(tx, actor, request, decision)`, called by `approvals`.
APPLIERS = {"roi": _apply_document, "document": _apply_document}


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


#: One file of an upload: (name, declared content type, bytes).
Upload = tuple[str, str, bytes]

_ATTACH = """
MATCH (d:Linkable {{uid: $doc}})
MERGE (a:Attachment {{uid: $uid}})
ON CREATE SET a.filename = $name, a.content_type = $ctype, a.size = $size, a.sha256 = $sha,
              a.uploaded_by = $actor, a.uploaded_at = datetime(), a.extraction_status = $extraction
MERGE (d)-[:{rel}]->(a)
SET d.updated_at = datetime()
WITH a, d OPTIONAL MATCH (d)-[:PART_OF {{status: 'active'}}]->(c:Case)
SET c.last_activity_at = datetime()
RETURN DISTINCT properties(a) AS a
"""
#: How an Attachment hangs from what it belongs to (an allow-list: the type is formatted into `_ATTACH`).
ATTACHMENT_LINKS = ("HAS_ATTACHMENT", "HAS_PHOTO")

#: Content types whose text is extracted in the background (the others hold none we read).
EXTRACTED = frozenset({"application/pdf", "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                       "image/jpeg", "image/png", "image/gif", "image/tiff", "image/webp"}) | attachments.TEXT_TYPES


def _checked(files: list[Upload], limit: int, allowed: frozenset[str] = CONTENT_TYPES) -> list[tuple[str, str, bytes]]:
    """Every file judged before anything is written; one ValidationFailed naming each refused file."""
    if not files:
        raise ValidationFailed({"file": ["choose at least one file"]})
    out: list[tuple[str, str, bytes]] = []
    errors: dict[str, list[str]] = {}
    for i, (filename, ctype, data) in enumerate(files):
        try:
            name, kind = attachments.check(filename, ctype, data, limit, allowed)
        except ValidationFailed as exc:
            for key, msgs in exc.errors.items():
                errors.setdefault(key if len(files) == 1 else f"{key}[{i}]", []).extend(msgs)
        else:
            out.append((name, kind, bytes(data)))
    if errors:
        raise ValidationFailed(errors)
    return out


def _attach(tx, actor: Actor, owner_uid: str, checked: list[tuple[str, str, bytes]], store: Path, rel: str) -> list[dict]:
    if rel not in ATTACHMENT_LINKS:
        raise ValueError(f"not an attachment link: {rel!r}")
    out = []
    for name, ctype, data in checked:
        sha, uid = hashlib.sha256(data).hexdigest(), new_uid()
        _write_blob(store, sha, data)  # idempotent, so a retried transaction may run it again
        extract = rel == "HAS_ATTACHMENT" and ctype in EXTRACTED
        rec = tx.run(_ATTACH.format(rel=rel), doc=owner_uid, uid=uid, name=name, ctype=ctype, size=len(data),
                     sha=sha, actor=actor.uid, extraction="pending" if extract else None).single()
        if extract:
            extraction_jobs.enqueue_in(tx, uid, actor.uid)
        audit.record(tx, actor, "upload", [uid, owner_uid],
                     details={"filename": name, "content_type": ctype, "size": len(data), "sha256": sha,
                              **({"as": "photo"} if rel == "HAS_PHOTO" else {})})
        out.append(plain(rec["a"]))
    return out


def add_attachments(graph: Graph, actor: Actor, document_uid: str, files: list[Upload],
                    store: Path | None = None) -> list[dict]:
    """Attach files to a document, all or none: bytes into the file store by sha256, metadata into
    (:Attachment) nodes, and a text extraction job for each, in one transaction. Every file is judged by its
    bytes first (`attachments.check`); one refused file refuses the upload, naming it, and writes nothing."""
    checked = _checked(files, graph.settings.max_upload_bytes)
    store = store or graph.settings.file_store

    def work(tx):
        doc = _document(tx, document_uid, actor)
        rules.require_record_write(tx, actor, document_uid)
        _require_author(actor, doc, "attach files to")
        return _attach(tx, actor, document_uid, checked, store, "HAS_ATTACHMENT")

    return audit.write_or_refuse(graph, actor, "upload", [document_uid], work)


def add_attachment(graph: Graph, actor: Actor, document_uid: str, filename: str, content_type: str, data: bytes,
                   store: Path | None = None) -> dict:
    """Attach one file to a document (see `add_attachments`)."""
    return add_attachments(graph, actor, document_uid, [(filename, content_type, data)], store)[0]


def add_photos(graph: Graph, actor: Actor, person_uid: str, files: list[Upload], store: Path | None = None) -> list[dict]:
    """Photographs of a person (CCMS PIA §2.1: "may include the photograph of the individual"), for a writer of
    the record: JPEG, PNG, GIF or WebP, judged by their bytes; all or none, audited as uploads."""
    checked = _checked(files, graph.settings.max_upload_bytes, attachments.PHOTO_TYPES)
    store = store or graph.settings.file_store

    def work(tx):
        rules.require_read(tx, actor, person_uid, ("SubjectRecord",), "record")
        rules.require_record_write(tx, actor, person_uid)
        if tx.run("MATCH (p:Person {uid: $uid}) RETURN p.uid AS uid", uid=person_uid).single() is None:
            raise ValidationFailed({"record": ["only a person carries photos"]})
        return _attach(tx, actor, person_uid, checked, store, "HAS_PHOTO")

    return audit.write_or_refuse(graph, actor, "upload", [person_uid], work)


def photos_of(graph: Graph, person_uids: list[str]) -> dict[str, list[dict]]:
    """The photos' metadata of each person, newest first. Access checks are the caller's (the person's page,
    the explorer, which only ask for persons the actor may read)."""
    rows = graph.query("""UNWIND $uids AS u MATCH (p:Person {uid: u})-[:HAS_PHOTO]->(a:Attachment)
                          WITH u, a ORDER BY a.uploaded_at DESC
                          RETURN u AS uid, collect(properties(a)) AS photos""", {"uids": list(person_uids)})
    return {r["uid"]: [plain(a) for a in r["photos"]] for r in rows}


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
MATCH (d:Linkable {uid: $doc})-[:HAS_ATTACHMENT|HAS_PHOTO]->(a:Attachment {uid: $uid})
RETURN properties(a) AS a, labels(d) AS labels, coalesce(d.author_uid, d.owner_uid) AS owner_uid,
       coalesce(d.title, trim(coalesce(d.given_name, '') + ' ' + coalesce(d.family_name, ''))) AS title
"""

#: Why bytes were read: each is audited as a download and the owner told.
PURPOSES = ("download", "preview", "thumbnail")


def download_attachment(graph: Graph, actor: Actor, document_uid: str, attachment_uid: str,
                        store: Path | None = None, purpose: str = "download") -> tuple[dict, bytes]:
    """One attachment of a document (or photo of a person) the actor may read: (metadata, bytes), audited as
    "download" with its `purpose` (download, preview, thumbnail).

    The read check, the attachment lookup, the audit entry and the owner's notification share one
    transaction; a refusal (NotFound where the document's existence is protected or the attachment is
    not on it, else Forbidden) is audited as a denial. Conflict if the stored bytes no longer match.
    """
    store = store or graph.settings.file_store
    if purpose not in PURPOSES:
        raise ValueError(f"unknown purpose {purpose!r}")

    def work(tx):
        rules.require_read(tx, actor, document_uid, ("Document", "SubjectRecord"), "document")
        rec = tx.run(_ATTACHMENT_OF, doc=document_uid, uid=attachment_uid).single()
        if rec is None:
            raise NotFound(f"no attachment {attachment_uid} on document {document_uid}")
        meta = plain(rec["a"])
        audit.record(tx, actor, "download", [attachment_uid, document_uid],
                     details={"sha256": meta["sha256"], "filename": meta.get("filename"), "purpose": purpose})
        type_name = next((label for label in rec["labels"] if label in DOCUMENT_TYPES), None) or \
            next((label for label in rec["labels"] if label in ("Person",)), "Document")
        notifications.notify_owner(tx, actor, rec["owner_uid"], "view", record_uid=document_uid,
                                   record_type=type_name, record_caption=rec["title"], displayed=True,
                                   message=f"{actor.name} downloaded an attachment of your "
                                           f"{'record' if type_name == 'Person' else 'document'}")
        return meta

    meta = audit.write_or_refuse(graph, actor, "download", [document_uid, attachment_uid], work)
    return meta, _blob(store, attachment_uid, meta["sha256"])
