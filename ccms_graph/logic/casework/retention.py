"""Records retention: list what has outlived its schedule, and remove exactly that, with audit entries of its own.

Schedule. ICM PIA (DHS/ICE/PIA-045) §5.1: records are kept "for 20 years from the end of the fiscal
year in which the case was closed"; "cases deemed significant ... will be retained permanently"; TLS
records (call and subscriber records) follow "the same retention schedule". The fiscal year is the US
federal one (1 October to 30 September), judged on the UTC date of `closed_at`: a case closed on
2006-09-30 (FY2006) may go from 2026-10-01, one closed on 2006-10-01 (FY2007) only from 2027-10-01.
CCMS PIA §5.1 adds 75 years for records of arrests (a case holding an arrest report, counted the same
way), 15 years for audit files and 10 years after separation for user accounts.

What stops a case going: a supervisor above its owner marks it significant, with a reason
(`mark_significant`: permanent, and never undone here); or a legal hold (`place_legal_hold`, released
by `release_legal_hold`), each audited. The dry run lists such cases under `kept`, with the reason.

Removing a case removes its documents, their attachments, the Subject Records that belong to no other
case, the case file's own workflow records (disclosures, access grants, approval requests) and its
telecom records: its subscriber records, the call records no other case imported (a call another case
also holds only loses this case), the aggregated `CALLED` links recounted from the calls that remain,
the telecom alerts' links between it and other cases, its miscellaneous records and import history, its
hold on IDENTIFIED_AS links, and phone numbers and IMSI/IMEI/IP selectors nothing else refers to; and
the traces that would outlive them: the notifications about anything removed, and the deconfliction hits
(with their judgements) on a removed Subject Record.

A run removes cases in batches (`BATCH` cases per transaction, each re-checked for a hold placed
meanwhile), and each batch writes a "retention" audit entry naming what it removed, in its own
transaction. Removing old audit entries would break the hash chain at its start, so the last step
records an anchor on the AuditHead: `pruned_through_seq` (the last removed sequence number) and
`pruned_hash` (its hash). The verifier starts there: the first remaining entry's `prev_hash` must equal
`pruned_hash`.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

from marshmallow import Schema, fields, validate

from ...db import Graph
from ...errors import Conflict, Forbidden
from ...policy import rules
from ...policy.actor import Actor
from ..common import load_input, new_uid
from ..location import lpr
from ..oversight import audit
from .documents import blob_path
from .pending import lock
from .workflows import as_of

CASE_YEARS = 20
ARREST_CASE_YEARS = 75
AUDIT_YEARS = 15
USER_YEARS = 10
#: The US federal fiscal year starts on 1 October: a case closed in October belongs to the next year's FY.
FISCAL_YEAR_START_MONTH = 10
#: Cases removed per transaction (with everything that goes with them).
BATCH = 50

_CASES = """
MATCH (c:Case) WHERE c.status IN ['closed', 'combined'] AND c.closed_at IS NOT NULL
  AND ($only IS NULL OR c.uid IN $only)
WITH c, EXISTS { (:ArrestReport)-[:PART_OF]->(c) } AS arrest, date(c.closed_at) AS closed
WITH c, arrest, closed, CASE WHEN closed.month >= $fy_start THEN closed.year + 1 ELSE closed.year END AS fy
WITH c, arrest, closed, fy, CASE WHEN arrest THEN $arrest_years ELSE $case_years END AS years
WITH c, arrest, closed, fy, years, date({year: fy + years, month: $fy_start, day: 1}) AS eligible_from
WHERE eligible_from <= date(datetime($now))
RETURN c.uid AS uid, c.case_number AS case_number, toString(c.closed_at) AS closed_at, arrest, years,
       fy AS fiscal_year, toString(eligible_from) AS eligible_from,
       coalesce(c.significant, false) AS significant, c.significant_reason AS significant_reason,
       coalesce(c.legal_hold, false) AS legal_hold, c.legal_hold_reason AS legal_hold_reason
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

# TLS records (ICM PIA §5.1): a case's subscriber records; its call records, which go when no other case
# holds them and otherwise only lose the case; and the telecom alerts' links naming it. The call records
# are found by `case_uids`, what the policy reads, not by their KEPT_FOR (`telecom`): a scan, but a record
# of a database `init-db` has not backfilled yet is still found, and does not outlive its schedule.
_TELECOM = """
CALL () {
  MATCH (s:SubscriberRecord) WHERE s.case_uid IN $cases
  RETURN 'subscriber_records' AS kind, s.fingerprint AS id
  UNION
  MATCH (r:CallRecord) WHERE any(u IN r.case_uids WHERE u IN $cases)
  RETURN CASE WHEN all(u IN r.case_uids WHERE u IN $cases) THEN 'call_records' ELSE 'call_records_shared' END
         AS kind, r.fingerprint AS id
  UNION
  MATCH (t:TelecomLink) WHERE any(u IN t.case_uids WHERE u IN $cases)
  RETURN 'telecom_links' AS kind, t.key AS id
}
RETURN kind, collect(id) AS ids
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

#: The keys of a candidate list that name what goes with the cases, in the order a run removes them.
CASE_PARTS = ("documents", "attachments", "subject_records", "disclosures", "access_grants", "approval_requests",
              "subscriber_records", "call_records", "call_records_shared", "telecom_links")


def _why(case: dict) -> str:
    period = f"{case['years']} years" + (" (it holds an arrest report)" if case["arrest"] else "")
    return (f"closed {case['closed_at'][:10]}, in fiscal year {case['fiscal_year']} (ended "
            f"{case['fiscal_year']}-09-30); its retention period of {period} ended on "
            f"{case['eligible_from']}")


def _eligible_cases(tx, now: str, only: list[str] | None = None) -> tuple[list[dict], list[dict]]:
    """(cases past their period that go, each with `why`; those a significant flag or legal hold keeps)."""
    going, kept = [], []
    for r in tx.run(_CASES, now=now, only=only, fy_start=FISCAL_YEAR_START_MONTH, case_years=CASE_YEARS,
                    arrest_years=ARREST_CASE_YEARS):
        case = r.data()
        hold = [f"legal hold: {case['legal_hold_reason']}"] if case.pop("legal_hold") else []
        hold += [f"significant: {case['significant_reason']}"] if case.pop("significant") else []
        case.pop("legal_hold_reason"), case.pop("significant_reason")
        case["why"] = _why(case)
        if hold:
            kept.append({**case, "kept_because": hold})
        else:
            going.append(case)
    return going, kept


def _case_parts(tx, case_uids: list[str]) -> dict:
    """Everything that goes with these cases (see the module docstring)."""
    documents = [r["uid"] for r in tx.run(_DOCUMENTS, cases=case_uids)]
    case_file = {r["kind"]: sorted(r["uids"]) for r in tx.run(_CASE_FILE, cases=case_uids)}
    grants = case_file.get("access_grants", [])
    telecom = {r["kind"]: sorted(r["ids"]) for r in tx.run(_TELECOM, cases=case_uids)}
    return {
        "documents": documents,
        "attachments": [r.data() for r in tx.run(_ATTACHMENTS, documents=documents)],
        "subject_records": [r["uid"] for r in tx.run(_SUBJECTS, cases=case_uids)],
        "disclosures": case_file.get("disclosures", []),
        "access_grants": grants,
        "approval_requests": [r["uid"] for r in tx.run(_REQUESTS, targets=case_uids + documents + grants,
                                                        cases=case_uids)],
        **{k: telecom.get(k, []) for k in ("subscriber_records", "call_records", "call_records_shared",
                                           "telecom_links")},
    }


def _audit_prefix(tx, now: str) -> dict:
    a = tx.run(_AUDIT, now=now, years=AUDIT_YEARS).single()
    # Only a prefix of the chain is removed: entries up to the first one still within its 15 years.
    through = a["last_old"]
    if through is not None and a["first_young"] is not None:
        through = min(through, a["first_young"] - 1)
    if through is not None and through <= a["pruned"]:
        through = None
    return {"count": (through - a["pruned"]) if through else 0,
            "first_seq": a["pruned"] + 1 if through else None, "through_seq": through}


def _candidates(tx, now: str, lpr_days: int) -> dict:
    cases, kept = _eligible_cases(tx, now)
    return {
        "as_of": now,
        "cases": cases,
        **_case_parts(tx, [c["uid"] for c in cases]),
        "audit_entries": _audit_prefix(tx, now),
        # LPR sightings have their own period, whatever their case (logic/location/lpr.py).
        "lpr_sightings": {"count": lpr.old_count(tx, now, lpr_days), "days": lpr_days},
        "users": [r.data() for r in tx.run(_USERS, now=now, years=USER_YEARS)],
        "kept": kept,
    }


def retention_candidates(graph: Graph, today: date | datetime | None = None) -> dict:
    """Everything eligible for removal as of `today` (default now), each case with why; what
    `apply_retention` would remove. `kept` lists the cases past their period that a hold keeps."""
    return graph.read(_candidates, as_of(today), graph.settings.lpr_retention_days)


#: Keys of a candidate list that are not things to remove.
_NOT_REMOVED = ("as_of", "kept", "batches")


def counts(found: dict) -> dict:
    """How many items of each kind a candidate list holds (what goes; `kept` is not counted)."""
    return {k: (v["count"] if k in ("audit_entries", "lpr_sightings") else len(v)) for k, v in found.items()
            if k not in _NOT_REMOVED}


#: What a run removes, label by label (an allow-list: the label is never taken from input).
_REMOVED = (("Case", "cases", "uid"), ("Document", "documents", "uid"), ("Attachment", "attachments", "uid"),
            ("SubjectRecord", "subject_records", "uid"), ("Disclosure", "disclosures", "uid"),
            ("AccessGrant", "access_grants", "uid"), ("ApprovalRequest", "approval_requests", "uid"),
            ("SubscriberRecord", "subscriber_records", "fingerprint"),
            ("CallRecord", "call_records", "fingerprint"), ("TelecomLink", "telecom_links", "key"))


def _uids(found: dict, key: str) -> list[str]:
    return [x["uid"] if isinstance(x, dict) else x for x in found[key]]


# The numbers a batch's call and subscriber records used, read before they go.
_NUMBERS = """
CALL () {
  MATCH (r:CallRecord) WHERE r.fingerprint IN $calls RETURN r.orig AS orig, r.term AS term
  UNION
  MATCH (r:CallRecord) WHERE r.fingerprint IN $shared RETURN r.orig AS orig, r.term AS term
  UNION
  MATCH (s:SubscriberRecord) WHERE s.fingerprint IN $subscribers RETURN s.e164 AS orig, null AS term
}
RETURN orig, term
"""

# A shared call record loses the removed cases; its KEPT_FOR to them went with their DETACH DELETE.
_DETACH_CALLS = """
MATCH (r:CallRecord) WHERE r.fingerprint IN $shared
SET r.case_uids = [u IN r.case_uids WHERE NOT u IN $cases]
"""

# A CDR link between two numbers counts the calls that remain; with none left, it goes.
_RECOUNT = """
UNWIND $pairs AS pair
MATCH (a:Phone {e164: pair[0]})-[l:CALLED {source: 'cdr'}]->(b:Phone {e164: pair[1]})
OPTIONAL MATCH (r:CallRecord {orig: pair[0], term: pair[1]})
WITH l, count(r) AS n, sum(r.duration) AS seconds, min(r.start_at) AS first, max(r.start_at) AS last,
     collect(r.case_uids) AS lists
SET l.count = n, l.total_seconds = seconds, l.first_at = first, l.last_at = last, l.updated_at = datetime(),
    l.case_uids = reduce(acc = [], xs IN lists | acc + [x IN xs WHERE NOT x IN acc])
WITH l, n WHERE n = 0
DELETE l
"""

_ORPHAN_PHONES = """
UNWIND $numbers AS e
MATCH (p:Phone {e164: e})
WHERE NOT EXISTS { (p)--() }
  AND NOT EXISTS { MATCH (r:CallRecord) WHERE r.orig = e OR r.term = e }
  AND NOT EXISTS { MATCH (s:SubscriberRecord {e164: e}) }
WITH p, p.uid AS uid
DELETE p
RETURN collect(uid) AS uids
"""


# The rest of a case's TLS material (ICM PIA §5.1: TLS records follow the case's schedule): its
# miscellaneous records and import history, the cases dropped from the IDENTIFIED_AS links between numbers
# and IMSI/IMEI/IP selectors (a link no case holds any more goes), and those selectors once nothing
# refers to them.
_TELECOM_MISC = """
CALL () {
  MATCH (m:MiscRecord) WHERE m.case_uid IN $cases
  OPTIONAL MATCH (m)-[:NAMES_SELECTOR]->(s)
  WITH m, collect(DISTINCT s.uid) AS held
  DETACH DELETE m
  RETURN 'misc_records' AS kind, count(*) AS n, held
  UNION ALL
  MATCH (t:TelecomImport) WHERE t.case_uid IN $cases
  DETACH DELETE t
  RETURN 'telecom_imports' AS kind, count(*) AS n, [] AS held
  UNION ALL
  MATCH (:Phone)-[r:IDENTIFIED_AS]->(s) WHERE any(u IN r.case_uids WHERE u IN $cases)
  SET r.case_uids = [u IN r.case_uids WHERE NOT u IN $cases]
  WITH r, s, size(r.case_uids) = 0 AS unheld
  FOREACH (_ IN CASE WHEN unheld THEN [1] ELSE [] END | DELETE r)
  RETURN 'identified_as' AS kind, count(*) AS n, collect(s.uid) AS held
}
WITH kind, sum(n) AS n, collect(held) AS held
RETURN kind, n, reduce(acc = [], h IN held | acc + h) AS held
"""

_ORPHAN_SELECTORS = """
UNWIND $uids AS uid
MATCH (s:Linkable {uid: uid}) WHERE NOT EXISTS { (s)--() }
DELETE s
RETURN collect(uid) AS uids
"""


def _remove_telecom_misc(tx, case_uids: list[str]) -> dict:
    """A batch's miscellaneous records, import history and IDENTIFIED_AS holds, and the selectors left unused."""
    counts, held = {}, []
    for row in tx.run(_TELECOM_MISC, cases=case_uids):
        counts[row["kind"]] = row["n"]
        held += row["held"]
    counts["telecom_selectors"] = tx.run(_ORPHAN_SELECTORS, uids=sorted(set(held))).single()["uids"] if held else []
    return counts


def _remove_telecom_rest(tx, found: dict, case_uids: list[str], numbers: list[dict]) -> list[str]:
    """After the batch's telecom nodes went: shared calls lose the cases, links are recounted, unused numbers go."""
    if found["call_records_shared"]:
        tx.run(_DETACH_CALLS, shared=found["call_records_shared"], cases=case_uids).consume()
    pairs = sorted({(n["orig"], n["term"]) for n in numbers if n["term"]})
    if pairs:
        tx.run(_RECOUNT, pairs=[list(p) for p in pairs]).consume()
    phones = sorted({x for n in numbers for x in (n["orig"], n["term"]) if x})
    return tx.run(_ORPHAN_PHONES, numbers=phones).single()["uids"] if phones else []


# What refers to the removed things by uid and would outlive them: the inbox's notifications about them
# (each kind names its subject in one of these properties, all indexed) and the deconfliction hits on a
# removed record, with their judgements. A notification or a hit would otherwise keep a removed case's
# number, a subject's name or the fact of a match past the schedule.
_NOTIFICATION_KEYS = ("record_uid", "case_uid", "item_uid", "target_uid", "hit_uid")
_TRACES = f"""
UNWIND $gone AS id
CALL (id) {{
  {" UNION ".join(f"MATCH (n:Notification {{{k}: id}}) RETURN n" for k in _NOTIFICATION_KEYS)}
  UNION
  MATCH (:SubjectRecord {{uid: id}})<-[:HIT_ON]-(n:DeconflictionHit) RETURN n
  UNION
  MATCH (:SubjectRecord {{uid: id}})<-[:HIT_ON]-(h:DeconflictionHit) MATCH (n:Judgement {{hit_uid: h.uid}}) RETURN n
}}
WITH DISTINCT n
WITH collect(n) AS traces, count(CASE WHEN n:Notification THEN 1 END) AS notifications,
     count(CASE WHEN n:DeconflictionHit THEN 1 END) AS hits
FOREACH (x IN traces | DETACH DELETE x)
RETURN notifications, hits
"""


def _remove_traces(tx, gone: list[str]) -> dict:
    """Delete the notifications and deconfliction hits that name what this batch removes (before it goes)."""
    row = tx.run(_TRACES, gone=gone).single()
    return {"notifications": row["notifications"], "deconfliction_hits": row["hits"]}


def _remove_batch(tx, actor: Actor, now: str, case_uids: list[str], run: str, number: int) -> dict:
    """Remove a batch of cases (re-checked: a hold placed since the listing keeps its case) with what goes
    with them, and write the batch's audit entry naming it all."""
    cases, _ = _eligible_cases(tx, now, case_uids)
    uids = [c["uid"] for c in cases]
    found = {"cases": cases, **_case_parts(tx, uids)}
    if not cases:
        return {**found, "phones": []}
    numbers = [r.data() for r in tx.run(_NUMBERS, calls=found["call_records"], shared=found["call_records_shared"],
                                        subscribers=found["subscriber_records"])]
    gone = [u for key in ("cases", "documents", "attachments", "subject_records", "disclosures", "access_grants",
                          "approval_requests") for u in _uids(found, key)]
    traces = _remove_traces(tx, gone)
    for label, key, prop in _REMOVED:
        batch = _uids(found, key)
        if batch:
            tx.run(f"UNWIND $ids AS id MATCH (n:{label} {{{prop}: id}}) DETACH DELETE n", ids=batch).consume()
    tls = _remove_telecom_misc(tx, uids)
    phones = _remove_telecom_rest(tx, found, uids, numbers)
    targets = gone + phones
    audit.record(tx, actor, "retention", targets, details={
        "run": run, "batch": number, "as_of": now, "counts": counts(found),
        "cases": [{"case_number": c["case_number"], "why": c["why"]} for c in cases],
        **{k: found[k] for k in ("subscriber_records", "call_records", "call_records_shared", "telecom_links")},
        "phones": phones, "traces": traces, "telecom": tls})
    return {**found, "phones": phones}


_DELETE_AUDIT = """
MATCH (h:AuditHead {id: 'audit'})
MATCH (last:AuditEntry {seq: $through})
SET h.pruned_through_seq = $through, h.pruned_hash = last.hash, h.pruned_at = datetime()
WITH h
MATCH (e:AuditEntry) WHERE e.seq <= $through
DETACH DELETE e
"""


def _remove_rest(tx, actor: Actor, now: str, run: str, batches: int, through: int | None, totals: dict) -> dict:
    """The run's last step: separated users' accounts and the old prefix of the audit log listed when the run
    began (never the run's own entries), and the run's entry."""
    users = [r.data() for r in tx.run(_USERS, now=now, years=USER_YEARS)]
    if users:
        tx.run("UNWIND $uids AS uid MATCH (n:User {uid: uid}) DETACH DELETE n", uids=[u["uid"] for u in users]).consume()
    prefix = _audit_prefix(tx, now)
    if prefix["through_seq"] and through:
        prefix["through_seq"] = min(prefix["through_seq"], through)
        prefix["count"] = prefix["through_seq"] - prefix["first_seq"] + 1
        tx.run(_DELETE_AUDIT, through=prefix["through_seq"]).consume()
    else:
        prefix = {"count": 0, "first_seq": None, "through_seq": None}
    done = {**totals, "users": users, "audit_entries": prefix}
    audit.record(tx, actor, "retention", [u["uid"] for u in users], details={
        "run": run, "as_of": now, "case_batches": batches, "counts": counts(done),
        "users": [u["username"] for u in users], "audit_through_seq": prefix["through_seq"]})
    return done


def _drop_blobs(graph: Graph, store: Path, attachments: list[dict]) -> None:
    """Delete the bytes of removed attachments that no remaining attachment shares (after the commit)."""
    shas = sorted({a["sha256"] for a in attachments if a.get("sha256")})
    if not shas:
        return
    still = {r["sha"] for r in graph.query(
        "MATCH (a:Attachment) WHERE a.sha256 IN $shas RETURN DISTINCT a.sha256 AS sha", {"shas": shas})}
    for sha in shas:
        if sha not in still:
            blob_path(store, sha).unlink(missing_ok=True)


def apply_retention(graph: Graph, actor: Actor, today: date | datetime | None = None, store: Path | None = None,
                    batch: int = BATCH) -> dict:
    """Remove exactly what is eligible as of `today`, `batch` cases per transaction, each batch with its own
    "retention" audit entry, then users and old audit entries with the run's last entry; returns what went.

    Only the system (the CLI job) or an administrator runs retention. Attachment bytes are deleted
    from the file store after each batch commits, unless another attachment shares them.
    """
    if actor.role not in ("system", "admin"):
        raise Forbidden("only the system or an administrator runs retention")
    now = as_of(today)
    store = store or graph.settings.file_store
    listed, _ = graph.read(_eligible_cases, now)
    through = graph.read(_audit_prefix, now)["through_seq"]
    run, batches = new_uid(), 0
    totals: dict = {"cases": [], "phones": [], **{k: [] for k in CASE_PARTS}}
    uids = [c["uid"] for c in listed]
    step = max(1, batch)
    for i in range(0, len(uids), step):
        found = graph.write(_remove_batch, actor, now, uids[i:i + step], run, batches + 1)
        batches += bool(found["cases"])
        _drop_blobs(graph, store, found["attachments"])
        for key in totals:
            totals[key] = totals[key] + found[key]
    days = graph.settings.lpr_retention_days
    sightings = lpr.remove_expired(graph, actor, now, days, run)  # in batches, each with its audit entry
    done = graph.write(_remove_rest, actor, now, run, batches, through, totals)
    return {"as_of": now, **done, "lpr_sightings": {"count": sightings, "days": days}, "batches": batches}


# ---------------------------------------------------------------------------------------------
# What keeps a case: the significant flag and the legal hold
# ---------------------------------------------------------------------------------------------

class KeepReasonInput(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=3, max=2000),
                           metadata={"description": "why (audited; shown by the retention dry run)"})


def _require_case_supervisor(tx, actor: Actor, case_key: str) -> dict:
    """The case's facts, if the actor is a supervisor above its owner (or the system); a hidden case
    answers as a missing one (`rules.require_case`)."""
    facts = rules.require_case(tx, actor, case_key)
    if actor.role != "system":
        rules.require_supervisor_of(actor, facts.get("owner_uid"),
                                    "only a supervisor above the case's owner may decide how long it is kept")
    return facts


def _set_flag(graph: Graph, actor: Actor, case_key: str, data: dict, op: str, flag: str, on: bool) -> dict:
    clean = load_input(KeepReasonInput(), data)

    def work(tx):
        facts = _require_case_supervisor(tx, actor, case_key)
        now = bool(lock(tx, "Case", facts["uid"]).get(flag))  # read under the case's lock: two at once, one after the other
        if now == on:
            raise Conflict(f"case {facts['case_number']} is {'already' if on else 'not'} "
                           f"{'significant' if flag == 'significant' else 'under a legal hold'}")
        tx.run(f"MATCH (c:Case {{uid: $uid}}) SET c.{flag} = $on, c.{flag}_reason = $reason, "
               f"c.{flag}_by = $actor, c.{flag}_at = datetime()",
               uid=facts["uid"], on=on, reason=clean["reason"], actor=actor.uid).consume()
        audit.record(tx, actor, "update", [facts["uid"]], details={"op": op, "reason": clean["reason"]})
        return {"uid": facts["uid"], "case_number": facts["case_number"], flag: on, "reason": clean["reason"]}

    return audit.write_or_refuse(graph, actor, op, [case_key], work)


def mark_significant(graph: Graph, actor: Actor, case_key: str, data: dict) -> dict:
    """Mark a case significant (ICM PIA §5.1: kept permanently), with a reason; a supervisor above its
    owner only, audited. There is no unmarking here: permanent means permanent."""
    return _set_flag(graph, actor, case_key, data, "mark_significant", "significant", True)


def place_legal_hold(graph: Graph, actor: Actor, case_key: str, data: dict) -> dict:
    """Put a case under a legal hold, with a reason: retention removes nothing of it until released."""
    return _set_flag(graph, actor, case_key, data, "place_legal_hold", "legal_hold", True)


def release_legal_hold(graph: Graph, actor: Actor, case_key: str, data: dict) -> dict:
    """End a case's legal hold, with a reason; the case then follows its schedule again."""
    return _set_flag(graph, actor, case_key, data, "release_legal_hold", "legal_hold", False)
