"""Records retention: list what has outlived its schedule, and remove exactly that, with an audit entry of its own.

Schedule (CCMS PIA §5): a closed case 20 years after closure, or 75 years when it holds an arrest
report; audit entries after 15 years; user accounts 10 years after separation. Removing a case
removes its documents, their attachments, the Subject Records that belong to no other case, and
the case file's own workflow records (disclosures, access grants, approval requests). Nothing else.

Removing old audit entries would break the hash chain at its start, so the run records an anchor on
the AuditHead: `pruned_through_seq` (the last removed sequence number) and `pruned_hash` (its hash).
The verifier starts there: the first remaining entry's `prev_hash` must equal `pruned_hash`.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

from ...db import Graph
from ...errors import Forbidden
from ...policy.actor import Actor
from ..oversight import audit
from .documents import blob_path
from .workflows import as_of

CASE_YEARS = 20
ARREST_CASE_YEARS = 75
AUDIT_YEARS = 15
USER_YEARS = 10

_CASES = """
MATCH (c:Case) WHERE c.status IN ['closed', 'combined'] AND c.closed_at IS NOT NULL
WITH c, EXISTS { (:ArrestReport)-[:PART_OF]->(c) } AS arrest
WITH c, arrest, CASE WHEN arrest THEN $arrest_years ELSE $case_years END AS years
WHERE c.closed_at < datetime($now) - duration({years: years})
RETURN c.uid AS uid, c.case_number AS case_number, toString(c.closed_at) AS closed_at, arrest, years
ORDER BY c.closed_at, c.uid
"""

# A document or Subject Record goes only when every case it was ever filed in goes too.
_DOCUMENTS = """
MATCH (d:Document)-[:PART_OF]->(c:Case) WHERE c.uid IN $cases
WITH DISTINCT d
WHERE NOT EXISTS { MATCH (d)-[:PART_OF]->(o:Case) WHERE NOT o.uid IN $cases }
RETURN d.uid AS uid ORDER BY uid
"""

_ATTACHMENTS = """
MATCH (d:Document)-[:HAS_ATTACHMENT]->(a:Attachment) WHERE d.uid IN $documents
WITH DISTINCT a
WHERE NOT EXISTS { MATCH (a)<-[:HAS_ATTACHMENT]-(o:Document) WHERE NOT o.uid IN $documents }
RETURN a.uid AS uid, a.sha256 AS sha256 ORDER BY uid
"""

# ...and a Subject Record that is the master of a record which stays, stays with it.
_SUBJECTS = """
MATCH (s:SubjectRecord)-[:SUBJECT_IN]->(c:Case) WHERE c.uid IN $cases
WITH DISTINCT s
WHERE NOT EXISTS { MATCH (s)-[:SUBJECT_IN]->(o:Case) WHERE NOT o.uid IN $cases }
WITH collect(s) AS gone
UNWIND gone AS s
WITH s, [x IN gone | x.uid] AS gone_uids
WHERE NOT EXISTS { MATCH (x)-[:SUB_RECORD_OF]->(s) WHERE NOT x.uid IN gone_uids }
RETURN s.uid AS uid ORDER BY uid
"""

_CASE_FILE = """
CALL () {
  MATCH (d:Disclosure) WHERE d.case_uid IN $cases RETURN 'disclosures' AS kind, d.uid AS uid
  UNION
  MATCH (g:AccessGrant) WHERE g.case_uid IN $cases RETURN 'access_grants' AS kind, g.uid AS uid
}
RETURN kind, collect(uid) AS uids
"""

_REQUESTS = """
MATCH (r:ApprovalRequest) WHERE r.target_uid IN $targets OR r.related_uid IN $cases
RETURN r.uid AS uid ORDER BY uid
"""

_AUDIT = """
OPTIONAL MATCH (h:AuditHead {id: 'audit'})
WITH coalesce(h.pruned_through_seq, 0) AS pruned
OPTIONAL MATCH (old:AuditEntry) WHERE old.seq > pruned AND old.at < datetime($now) - duration({years: $years})
WITH pruned, max(old.seq) AS last_old
OPTIONAL MATCH (young:AuditEntry) WHERE young.seq > pruned AND young.at >= datetime($now) - duration({years: $years})
RETURN pruned, last_old, min(young.seq) AS first_young
"""

_USERS = """
MATCH (u:User) WHERE u.separated_at IS NOT NULL AND u.separated_at < datetime($now) - duration({years: $years})
RETURN u.uid AS uid, u.username AS username, toString(u.separated_at) AS separated_at ORDER BY uid
"""


def _candidates(tx, now: str) -> dict:
    cases = [r.data() for r in tx.run(_CASES, now=now, case_years=CASE_YEARS, arrest_years=ARREST_CASE_YEARS)]
    case_uids = [c["uid"] for c in cases]
    documents = [r["uid"] for r in tx.run(_DOCUMENTS, cases=case_uids)]
    attachments = [r.data() for r in tx.run(_ATTACHMENTS, documents=documents)]
    subjects = [r["uid"] for r in tx.run(_SUBJECTS, cases=case_uids)]
    case_file = {r["kind"]: sorted(r["uids"]) for r in tx.run(_CASE_FILE, cases=case_uids)}
    grants = case_file.get("access_grants", [])
    requests = [r["uid"] for r in tx.run(_REQUESTS, targets=case_uids + documents + grants, cases=case_uids)]
    a = tx.run(_AUDIT, now=now, years=AUDIT_YEARS).single()
    # Only a prefix of the chain is removed: entries up to the first one still within its 15 years.
    through = a["last_old"]
    if through is not None and a["first_young"] is not None:
        through = min(through, a["first_young"] - 1)
    if through is not None and through <= a["pruned"]:
        through = None
    users = [r.data() for r in tx.run(_USERS, now=now, years=USER_YEARS)]
    return {
        "as_of": now,
        "cases": cases,
        "documents": documents,
        "attachments": attachments,
        "subject_records": subjects,
        "disclosures": case_file.get("disclosures", []),
        "access_grants": grants,
        "approval_requests": requests,
        "audit_entries": {"count": (through - a["pruned"]) if through else 0,
                          "first_seq": a["pruned"] + 1 if through else None, "through_seq": through},
        "users": users,
    }


def retention_candidates(graph: Graph, today: date | datetime | None = None) -> dict:
    """Everything eligible for removal as of `today` (default now); what `apply_retention` would remove."""
    return graph.read(_candidates, as_of(today))


def counts(found: dict) -> dict:
    """How many items of each kind a candidate list holds."""
    return {k: (v["count"] if k == "audit_entries" else len(v)) for k, v in found.items() if k != "as_of"}


#: What a run removes, label by label (an allow-list: the label is never taken from input).
_REMOVED = (("Case", "cases"), ("Document", "documents"), ("Attachment", "attachments"),
            ("SubjectRecord", "subject_records"), ("Disclosure", "disclosures"), ("AccessGrant", "access_grants"),
            ("ApprovalRequest", "approval_requests"), ("User", "users"))


def _uids(found: dict, key: str) -> list[str]:
    return [x["uid"] if isinstance(x, dict) else x for x in found[key]]


_DELETE_AUDIT = """
MATCH (h:AuditHead {id: 'audit'})
MATCH (last:AuditEntry {seq: $through})
SET h.pruned_through_seq = $through, h.pruned_hash = last.hash, h.pruned_at = datetime()
WITH h
MATCH (e:AuditEntry) WHERE e.seq <= $through
DETACH DELETE e
"""


def apply_retention(graph: Graph, actor: Actor, today: date | datetime | None = None, store: Path | None = None) -> dict:
    """Remove exactly what is eligible as of `today`, with a "retention" audit entry; returns what went.

    Only the system (the CLI job) or an administrator runs retention. Attachment bytes are deleted
    from the file store after the transaction commits, unless another attachment shares them.
    """
    if actor.role not in ("system", "admin"):
        raise Forbidden("only the system or an administrator runs retention")
    now = as_of(today)
    store = store or graph.settings.file_store

    def work(tx):
        found = _candidates(tx, now)
        uids: list[str] = []
        for label, key in _REMOVED:
            batch = _uids(found, key)
            if batch:
                tx.run(f"UNWIND $uids AS uid MATCH (n:{label} {{uid: uid}}) DETACH DELETE n", uids=batch).consume()
            uids += batch
        through = found["audit_entries"]["through_seq"]
        if through:
            tx.run(_DELETE_AUDIT, through=through).consume()
        audit.record(tx, actor, "retention", uids, details={
            "as_of": now, "counts": counts(found), "audit_through_seq": through,
            "cases": [c["case_number"] for c in found["cases"]]})
        return found

    found = graph.write(work)
    shas = sorted({a["sha256"] for a in found["attachments"] if a.get("sha256")})
    if shas:
        still = {r["sha"] for r in graph.query(
            "MATCH (a:Attachment) WHERE a.sha256 IN $shas RETURN DISTINCT a.sha256 AS sha", {"shas": shas})}
        for sha in shas:
            if sha not in still:
                blob_path(store, sha).unlink(missing_ok=True)
    return found
