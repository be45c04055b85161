"""The printable case file (the PIAs' hard-copy case file): one case as a PDF, audited as an export.

Who may print it: a reader allowed to read the whole case. `rules.require_case` finds the case (by uid
or case number) and refuses as everywhere else: a hidden (restricted) case answers NotFound in the same
words as a missing one, a readable-by-existence case Forbidden, and the refusal is audited. A case page
never holds an unreadable member (a subject or document of a readable case is readable, and another
user's draft is left out altogether), but if one did the file is refused rather than printed with holes:
a printout passed around is read as the whole case, so it must be the whole case or nothing.

What it holds, read through the case page's own access-controlled functions (no Cypher of its own):
`access.view_record` (the case, its subjects, its documents, pointers redacted), the subjects' links as
`access` shows them (`_links`: a link to a record the reader may not read is counted, never named),
`approvals.requests_for` (the lifecycle), `documents.get_document` (attachments and their sha256),
`disclosures.disclosures_for_case`. Reports of Investigation are printed only once approved, whoever
reads: a draft its author or their supervisor may read is still a draft, and never leaves on paper.

One transaction: those functions are handed a `Graph` whose reads and writes run in this export's
transaction (`_InTransaction`), so the content read, the case page's own "view" entry, the "export"
entry (with the PDF's sha256 and an export id printed on every page, so a found printout names who
printed it) and the owners' notifications commit together, or not at all.
"""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime

from ...db import Graph
from ...errors import Forbidden, NotFound
from ...nodes.vocabulary import DOCUMENT_TYPES, ENTITY_TYPES, LINK_TYPES
from ...policy import rules
from ...policy.actor import Actor, load_actor
from ...policy.scopes import DRAFT_STATUSES
from ..common import new_uid
from ..entities import access
from ..oversight import audit, notifications
from . import approvals, case_file_pdf, disclosures, documents

ROI = documents.ROI
#: Document types printed with the evidence (the rest are reports).
EVIDENCE_TYPES = ("Evidence",)
#: Links read per subject (as the record page reads them).
LINK_LIMIT = 500


class _InTransaction(Graph):
    """A `Graph` whose `write`, `read` and `query` run in one open transaction, so the logic functions
    written against a Graph read (and audit) inside the export's transaction. It has no driver of its own
    (the base `__init__`, which opens one, is deliberately not called)."""

    def __init__(self, tx, settings):  # no super().__init__: see the class docstring
        self.tx = tx
        self.settings = settings

    def write(self, work, *args, **kwargs):
        return work(self.tx, *args, **kwargs)

    read = write

    def query(self, cypher: str, params: dict | None = None, write: bool = False) -> list[dict]:
        return [r.data() for r in self.tx.run(cypher, params or {})]


def _printable(doc: dict) -> bool:
    """A document the case file prints: any filed document, and a Report of Investigation once approved."""
    if doc.get("locked"):
        return False
    status = doc["props"].get("status")
    if doc["type"] == ROI:
        return status == "approved"
    return (status or "filed") not in DRAFT_STATUSES


def _names(tx, uids) -> dict[str, str]:
    """Users' names (not case content), by uid; an unknown uid stands for itself."""
    out = {}
    for uid in {u for u in uids if u}:
        try:
            out[uid] = load_actor(tx, uid).name
        except NotFound:
            out[uid] = uid
    return out


def _fields(type_name: str, props: dict, skip: tuple[str, ...] = ()) -> list[tuple[str, object]]:
    """A record's declared fields as (label, value), in the vocabulary's order."""
    rtype = ENTITY_TYPES.get(type_name) or DOCUMENT_TYPES[type_name]
    return [(f.label, props.get(f.name)) for f in rtype.fields if f.name not in skip]


def _link_label(link: dict) -> str:
    lt = LINK_TYPES.get(link["type"])
    text = lt.description if lt is not None and lt.description else link["type"].replace("_", " ").lower()
    return text if link["outgoing"] or (lt is not None and not lt.directed) else f"({text}) of"


def _subject(tx, actor: Actor, case_uid: str, s: dict) -> dict:
    links = [link for link in access._links(tx, actor, s["uid"], list(LINK_TYPES), LINK_LIMIT)
             if link["other"].get("uid") != case_uid]
    shown = [link for link in links if not link["other"].get("locked")]
    return {"uid": s["uid"], "type": s["type"], "caption": s["caption"], "owner_uid": s["props"].get("owner_uid"),
            "fields": _fields(s["type"], s["props"]),
            "links": [{"type": link["type"], "label": _link_label(link), "other_uid": link["other"]["uid"],
                       "other": link["other"]["caption"], "other_type": link["other"]["type"],
                       "other_owner": link["other"]["props"].get("owner_uid")} for link in shown],
            "withheld_links": len(links) - len(shown)}


def _document(inner: _InTransaction, d: dict, names: dict) -> dict:
    props = d["props"]
    return {"uid": d["uid"], "type": d["type"], "type_label": re.sub(r"(?<!^)(?=[A-Z])", " ", d["type"]).capitalize(),
            "caption": d["caption"], "owner_uid": props.get("author_uid") or props.get("owner_uid"),
            "fields": _fields(d["type"], props, skip=("title", "narrative")), "narrative": props.get("narrative"),
            "status": props.get("status"), "created_at": props.get("created_at"),
            "approved_at": props.get("approved_at"), "approved_by": names.get(props.get("approved_by") or ""),
            "attachments": documents.get_document(inner, d["uid"])["attachments"]}


def _chart(subjects: list[dict]) -> dict:
    """The link chart's nodes (subjects first) and edges, each once."""
    nodes = {s["uid"]: {"id": s["uid"], "caption": s["caption"], "type": s["type"], "subject": True}
             for s in subjects}
    edges = set()
    for s in subjects:
        for link in s["links"]:
            nodes.setdefault(link["other_uid"], {"id": link["other_uid"], "caption": link["other"],
                                                 "type": link["other_type"], "subject": False})
            edges.add((*sorted((s["uid"], link["other_uid"])), link["type"]))
    return {"nodes": list(nodes.values()), "edges": sorted(edges),
            "withheld": sum(s["withheld_links"] for s in subjects)}


def gather(tx, settings, actor: Actor, key: str) -> dict:
    """Everything the case file prints, read as `actor` may read it, in transaction `tx`. NotFound or
    Forbidden (see the module's doc) when the actor may not read the whole case."""
    facts = rules.require_case(tx, actor, key)
    inner = _InTransaction(tx, settings)
    case = access.view_record(inner, actor, facts["uid"])
    locked = [m for m in [*case["subjects"], *case["documents"]] if m.get("locked")]
    if locked:
        raise Forbidden(f"you may not read the whole of case {facts.get('case_number') or key} "
                        f"({len(locked)} of its records are closed to you), so you may not print its file")
    props = case["props"]
    history = approvals.requests_for(inner, case["uid"])
    printed = [d for d in case["documents"] if _printable(d)]
    names = _names(tx, [props.get("owner_uid"), *(props.get("team_uids") or []),
                        *(r.get(k) for r in history for k in ("requested_by", "decided_by")),
                        *(d["props"].get("approved_by") for d in printed)])
    subjects = [_subject(tx, actor, case["uid"], s) for s in case["subjects"]]
    captions = {s["uid"]: s["caption"] for s in subjects}
    docs = [_document(inner, d, names) for d in printed]
    return {
        "case": {"uid": case["uid"], **{k: props.get(k) for k in (
            "case_number", "title", "status", "office_code", "violations", "predication", "created_at",
            "opened_at", "referred_at", "closed_at", "close_reason", "last_reviewed_at")},
                 "restricted": bool(props.get("restricted")), "owner_uid": props.get("owner_uid"),
                 "owner": names.get(props.get("owner_uid") or ""),
                 "team": [names[u] for u in props.get("team_uids") or []]},
        "approvals": [{**{k: r.get(k) for k in ("kind", "status", "requested_at", "comment", "decided_at",
                                                 "decision_comment")},
                       "requested_by": names.get(r.get("requested_by") or "", ""),
                       "decided_by": names.get(r.get("decided_by") or "", "")} for r in history],
        "subjects": subjects,
        "reports": [d for d in docs if d["type"] not in EVIDENCE_TYPES],
        "evidence": [d for d in docs if d["type"] in EVIDENCE_TYPES],
        "disclosures": [{**d, "disclosed_by": d.get("disclosed_by_name") or d.get("disclosed_by"),
                         "subjects": [captions.get(u, u) for u in d.get("subject_uids") or []]}
                        for d in disclosures.disclosures_for_case(inner, case["uid"])],
        "chart": _chart(subjects),
        "scope_note": ("This file holds the whole case as its reader may read it: the summary, approvals, "
                       "subjects and their links, approved Reports of Investigation, incident reports, evidence "
                       "with the SHA-256 of each attachment, and disclosures. Links to records the reader may "
                       "not read are counted, never named."),
    }


def _owners(content: dict) -> dict[str, int]:
    """How many of each owner's records the file holds."""
    counts: dict[str, int] = {}
    owned = [content["case"]["owner_uid"], *(s["owner_uid"] for s in content["subjects"]),
             *(link["other_owner"] for s in content["subjects"] for link in s["links"]),
             *(d["owner_uid"] for d in [*content["reports"], *content["evidence"]])]
    for uid in owned:
        if uid:
            counts[uid] = counts.get(uid, 0) + 1
    return counts


def case_file(graph: Graph, actor: Actor, key: str) -> tuple[bytes, dict]:
    """The case file of the case `key` (uid or case number) as (PDF bytes, {case_uid, case_number,
    filename, sha256, export_id}); audited as an "export" and every owner of a printed record told, in the
    transaction that read it. A refusal is audited as a denial (`audit.write_or_refuse`)."""
    export_id = new_uid()

    def work(tx):
        content = gather(tx, graph.settings, actor, key)
        content.update(printed_by=f"{actor.name} ({actor.username})", export_id=export_id,
                       printed_at=datetime.now(UTC).isoformat(timespec="seconds"))
        pdf = case_file_pdf.render(content)
        case = content["case"]
        sha = hashlib.sha256(pdf).hexdigest()
        shown = [*(s["uid"] for s in content["subjects"]),
                 *(link["other_uid"] for s in content["subjects"] for link in s["links"]),
                 *(d["uid"] for d in [*content["reports"], *content["evidence"]])]
        audit.record(tx, actor, "export", list(dict.fromkeys([case["uid"], *shown])), details={
            "what": "case_file", "format": "pdf", "export_id": export_id, "sha256": sha, "bytes": len(pdf),
            "subjects": len(content["subjects"]), "reports": len(content["reports"]),
            "evidence": len(content["evidence"]), "disclosures": len(content["disclosures"]),
            "withheld_links": content["chart"]["withheld"]})
        for owner, n in _owners(content).items():
            notifications.notify_owner(
                tx, actor, owner, "view", record_uid=case["uid"], record_type="Case",
                record_caption=case["case_number"], displayed=True,
                message=f"{actor.name} printed the case file of {case['case_number']} (PDF, export {export_id}), "
                        f"holding {n} of your records")
        return pdf, {"case_uid": case["uid"], "case_number": case["case_number"], "sha256": sha,
                     "export_id": export_id, "filename": f"case-file-{case['case_number']}.pdf"}

    return audit.write_or_refuse(graph, actor, "case_file", [key], work)
