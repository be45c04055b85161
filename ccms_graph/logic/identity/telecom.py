"""Telecom linking: import call detail records and subscriber records against a case, and alert linked cases.

CSV formats (a header row; column names are case-insensitive, common aliases accepted):

* call detail records: `originating_number`, `terminating_number`, `start_time` (ISO 8601; no
  zone means UTC), `duration` (seconds, or H:MM:SS / M:SS), optional `cell_site`;
* subscriber records: `number` and any of `subscriber_name`, `address`, `city`, `state`,
  `postcode`, `dob`, `email`, `imsi`, `imei`, `source`;
* miscellaneous records (ICM TLS keeps them beside the other two): `record_type`, `time`, any of
  `number`, `imsi`, `imei`, `ip` (at least one), and free text in `details` (an IP session, a SIM swap...).

A CDR row may carry its cell site's `latitude` and `longitude` (`telecom_sites`: a CellSite node with a
WGS84 point, linked from the call). IMSI, IMEI and IP values are validated and become shared selector
nodes (`telecom_selectors`), held by the records that name them (NAMES_SELECTOR) and drawn from their
number (IDENTIFIED_AS, case-derived); one named in another case's telecom records alerts both agents as a
shared number does. Each file loaded is recorded as a TelecomImport (when, by whom, rows loaded and
refused), which the case's TLS tab lists (`telecom_analysis`).

Each number becomes one `(:Phone {e164})` node (shared with the records that use it). Each distinct
call is one `(:CallRecord {fingerprint})` (the originating and terminating numbers, start and
duration); `(:Phone)-[:CALLED]->(:Phone)` aggregates `count`, `first_at`, `last_at` and
`total_seconds` over the calls it has seen, so loading a call twice — the same file re-run, or
the same call in another case's return — never counts it twice. A call imported into a second
case only adds that case to the CallRecord's `case_uids`. Subscriber rows are kept as
`(:SubscriberRecord {fingerprint})` per case; neither kind is linked to a Phone by a relationship,
so a generic expansion from a Phone cannot reach case content.

`(:CallRecord)-[:KEPT_FOR]->(:Case)`, one per case the call was imported for, is how a case's calls
are found (the TLS tab, the case map and time bar): from the case, an index seek and an expansion,
where `$case IN c.case_uids` would read every call record. It mirrors `case_uids`, which stays what
the policy reads (`scopes.readable_case_uids`); retention's DETACH DELETE of a case removes it. It is
internal: not a link type of the vocabulary, so the explorer, paths and saved queries never traverse
it (and CallRecord is not Linkable). `keep_calls_for_cases` adds it to the records of a database
written before it existed (`ccms-graph init-db`).

Rows are numbered as lines of the file (the header is row 1). A malformed row, or a row equal to
an earlier row of the same file, is refused with its row number and reason; the valid rows load,
one transaction per batch. A row already loaded for this case is reported as a duplicate.

When a number in the file is also a number of another case (used by one of its subjects, in its
call records or in its subscriber records), both case agents are alerted (kind "telecom_alert"),
once per pair of cases and number, each alert naming the other agent; a restricted case's number
and title are never put in an alert.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from collections.abc import Iterable
from datetime import UTC, datetime

from ...db import Graph
from ...errors import ValidationFailed
from ...matching.identifiers import normalize_identifier
from ...policy import rules, scopes
from ...policy.actor import Actor
from ...policy.rules import actor_params
from ..common import column_key, new_uid, plain
from ..oversight import audit, checks, notifications
from . import telecom_selectors, telecom_sites

BATCH = 1000

CDR_COLUMNS = {
    "originating_number": ("originating_number", "originating", "orig", "from", "from_number", "calling_number",
                           "caller"),
    "terminating_number": ("terminating_number", "terminating", "term", "to", "to_number", "called_number",
                           "dialed_number"),
    "start_time": ("start_time", "start", "started_at", "date_time", "datetime", "call_start"),
    "duration": ("duration", "duration_seconds", "seconds", "duration_s"),
    "cell_site": ("cell_site", "cell", "cell_id", "tower", "cell_tower", "cell_site_id", "site_id"),
    "latitude": ("latitude", "lat", "cell_latitude", "cell_lat", "site_latitude"),
    "longitude": ("longitude", "lon", "lng", "long", "cell_longitude", "cell_lon", "site_longitude"),
}
SUBSCRIBER_COLUMNS = {
    "number": ("number", "phone", "phone_number", "msisdn", "telephone"),
    "subscriber_name": ("subscriber_name", "name", "subscriber"),
    "address": ("address", "address_line", "line1", "street"),
    "city": ("city",), "state": ("state",), "postcode": ("postcode", "zip", "zip_code", "postal_code"),
    "dob": ("dob", "date_of_birth"), "email": ("email", "e_mail"), "imei": ("imei", "handset_imei"),
    "imsi": ("imsi", "sim_imsi"), "source": ("source", "obtained_by", "legal_process"),
}
#: Miscellaneous records (ICM TLS keeps them beside call and subscriber records): a number and/or an IMSI,
#: IMEI or IP address, what kind of record it is, when, and free text (e.g. an IP session, a SIM swap).
MISC_COLUMNS = {
    "number": ("number", "phone", "phone_number", "msisdn", "identifier", "telephone"),
    "imsi": ("imsi",), "imei": ("imei",), "ip": ("ip", "ip_address", "ipaddress", "source_ip"),
    "record_type": ("record_type", "type", "kind", "event", "event_type"),
    "time": ("time", "at", "timestamp", "date_time", "datetime", "start_time", "occurred_at"),
    "details": ("details", "text", "notes", "free_text", "description", "comment"),
}
#: The longest record type and free text a miscellaneous row may carry.
MISC_TYPE_MAX, MISC_TEXT_MAX = 60, 2000


def _columns(header: list[str], spec: dict[str, tuple[str, ...]], required: tuple[str, ...]) -> dict[str, int]:
    index = {column_key(h): i for i, h in enumerate(header)}
    found = {}
    for field, aliases in spec.items():
        for alias in aliases:
            if alias in index:
                found[field] = index[alias]
                break
    missing = [f for f in required if f not in found]
    if missing:
        raise ValidationFailed({"header": [f"missing column(s): {', '.join(missing)}"]})
    return found


def parse_time(value: str) -> datetime:
    """An ISO 8601 date-time; a value without a zone is taken as UTC."""
    text = value.strip().replace(" ", "T", 1) if "T" not in value else value.strip()
    dt = datetime.fromisoformat(text)
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)


def parse_duration(value: str) -> int:
    """Seconds from "125", "2:05" or "0:02:05"; ValueError otherwise."""
    text = value.strip()
    if re.fullmatch(r"\d+", text):
        return int(text)
    m = re.fullmatch(r"(?:(\d+):)?([0-5]?\d):([0-5]\d)", text)
    if not m:
        raise ValueError(text)
    return int(m.group(1) or 0) * 3600 + int(m.group(2)) * 60 + int(m.group(3))


def _fingerprint(*parts: object) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


def _rows(stream: Iterable[str], spec: dict, required: tuple[str, ...]):
    reader = csv.reader(stream)
    try:
        header = next(reader)
    except StopIteration:
        raise ValidationFailed({"file": ["the file is empty"]}) from None
    cols = _columns(header, spec, required)
    for cells in reader:
        if not any(c.strip() for c in cells):
            continue
        row = {f: (cells[i].strip() if i < len(cells) else "") for f, i in cols.items()}
        yield reader.line_num, row, len(cells) > len(header)  # a short row only lacks optional cells


def parse_cdr(stream: Iterable[str]) -> tuple[list[dict], list[dict]]:
    """(valid call rows, refused [{row, reason}]) of a CDR CSV; duplicates within the file are refused."""
    valid: list[dict] = []
    refused: list[dict] = []
    seen: dict[str, int] = {}
    for line, row, ragged in _rows(stream, CDR_COLUMNS, ("originating_number", "terminating_number", "start_time",
                                                         "duration")):
        problems = []
        if ragged:
            problems.append("more cells than the header has columns")
        orig = normalize_identifier("phone", row["originating_number"])
        term = normalize_identifier("phone", row["terminating_number"])
        if orig is None:
            problems.append(f"originating number {row['originating_number']!r} is not a phone number")
        if term is None:
            problems.append(f"terminating number {row['terminating_number']!r} is not a phone number")
        start = seconds = None
        try:
            start = parse_time(row["start_time"])
        except ValueError:
            problems.append(f"start time {row['start_time']!r} is not an ISO 8601 date-time")
        try:
            seconds = parse_duration(row["duration"])
        except ValueError:
            problems.append(f"duration {row['duration']!r} is not a number of seconds")
        site = telecom_sites.cell_site(row.get("cell_site"), row.get("latitude"), row.get("longitude"))
        problems += site["problems"]
        if problems or start is None or seconds is None:  # a missing start or duration is a problem above
            refused.append({"row": line, "reason": "; ".join(problems)})
            continue
        fp = _fingerprint("call", orig, term, start.isoformat(), seconds)
        if fp in seen:
            refused.append({"row": line, "reason": f"duplicate of row {seen[fp]}"})
            continue
        seen[fp] = line
        valid.append({"row": line, "fp": fp, "orig": orig, "term": term, "start": start.isoformat(),
                      "duration": seconds, "cell_site": site["site_id"], "lat": site["latitude"],
                      "lon": site["longitude"],
                      "orig_display": row["originating_number"], "term_display": row["terminating_number"]})
    return valid, refused


def parse_subscribers(stream: Iterable[str], case_uid: str) -> tuple[list[dict], list[dict]]:
    """(valid subscriber rows, refused [{row, reason}]) of a subscriber CSV."""
    valid: list[dict] = []
    refused: list[dict] = []
    seen: dict[str, int] = {}
    for line, row, ragged in _rows(stream, SUBSCRIBER_COLUMNS, ("number",)):
        number = normalize_identifier("phone", row["number"])
        problems = ["more cells than the header has columns"] if ragged else []
        if number is None:
            problems.append(f"number {row['number']!r} is not a phone number")
        selectors, bad = telecom_selectors.from_row(row)
        problems += bad
        if problems:
            refused.append({"row": line, "reason": "; ".join(problems)})
            continue
        props = {k: v for k, v in row.items() if v and k != "number"}
        props.update({s["label"].lower(): s["display"] for s in selectors})  # imsi, imei stored normalised
        fp = _fingerprint("subscriber", case_uid, number, sorted(props.items()))
        if fp in seen:
            refused.append({"row": line, "reason": f"duplicate of row {seen[fp]}"})
            continue
        seen[fp] = line
        valid.append({"row": line, "fp": fp, "e164": number, "display": row["number"], "props": props,
                      "selectors": selectors})
    return valid, refused


def parse_misc(stream: Iterable[str], case_uid: str) -> tuple[list[dict], list[dict]]:
    """(valid miscellaneous rows, refused [{row, reason}]) of a miscellaneous-records CSV: each row names a
    number or an IMSI, IMEI or IP address (any of them, at least one), a record type and a time."""
    valid: list[dict] = []
    refused: list[dict] = []
    seen: dict[str, int] = {}
    for line, row, ragged in _rows(stream, MISC_COLUMNS, ("record_type", "time")):
        problems = ["more cells than the header has columns"] if ragged else []
        number = None
        if row.get("number"):
            number = normalize_identifier("phone", row["number"])
            if number is None:
                problems.append(f"number: {row['number']!r} is not a phone number")
        selectors, bad = telecom_selectors.from_row(row)
        problems += bad
        if not (row.get("number") or any(row.get(f) for f in telecom_selectors.FIELDS)):
            problems.append("give a number, imsi, imei or ip")
        kind = re.sub(r"\s+", "_", row["record_type"].strip().lower())
        if not kind:
            problems.append("record_type: is empty")
        elif len(kind) > MISC_TYPE_MAX:
            problems.append(f"record_type: longer than {MISC_TYPE_MAX} characters")
        at = None
        try:
            at = parse_time(row["time"])
        except ValueError:
            problems.append(f"time: {row['time']!r} is not an ISO 8601 date-time")
        details = row.get("details") or ""
        if len(details) > MISC_TEXT_MAX:
            problems.append(f"details: longer than {MISC_TEXT_MAX} characters")
        if problems or at is None:
            refused.append({"row": line, "reason": "; ".join(problems)})
            continue
        keys = sorted(s["key"] for s in selectors)
        fp = _fingerprint("misc", case_uid, number, keys, kind, at.isoformat(), details)
        if fp in seen:
            refused.append({"row": line, "reason": f"duplicate of row {seen[fp]}"})
            continue
        seen[fp] = line
        valid.append({"row": line, "fp": fp, "e164": number, "display": row.get("number") or None,
                      "record_type": kind, "at": at.isoformat(), "details": details or None, "selectors": selectors})
    return valid, refused


# ---------------------------------------------------------------------------------------------
# Writing
# ---------------------------------------------------------------------------------------------

_CALLS = """
UNWIND $rows AS row
MERGE (c:CallRecord {fingerprint: row.fp})
ON CREATE SET c.orig = row.orig, c.term = row.term, c.start_at = datetime(row.start), c.duration = row.duration,
              c.cell_site = row.cell_site, c.case_uids = [$case], c.created_at = datetime(), c.created_by = $actor,
              c.source_row = row.row, c._new = true
WITH c, row, coalesce(c._new, false) AS new, $case IN c.case_uids AS had
SET c.case_uids = CASE WHEN had THEN c.case_uids ELSE c.case_uids + $case END
REMOVE c._new
WITH c, row, new, had
CALL (c) {
  MATCH (k:Case {uid: $case})
  MERGE (c)-[:KEPT_FOR]->(k)
}
RETURN row.fp AS fp, new, had
"""

# Existing databases (`ccms-graph init-db`): a KEPT_FOR for each case in a call record's `case_uids` that
# lacks one. Idempotent (MERGE); a record linked to as many cases as it lists is not written again; 10,000
# call records per transaction; a uid naming no case is skipped.
_KEEP_FOR_CASES = """
MATCH (c:CallRecord) WHERE size(c.case_uids) > COUNT { (c)-[:KEPT_FOR]->(:Case) }
CALL (c) {
  UNWIND c.case_uids AS u
  MATCH (k:Case {uid: u})
  MERGE (c)-[:KEPT_FOR]->(k)
} IN TRANSACTIONS OF 10000 ROWS
"""

# A call's cell site (`telecom_sites`): one node per site id; its first coordinates stay.
_CELLS = """
UNWIND $rows AS row
MATCH (c:CallRecord {fingerprint: row.fp})
MERGE (s:CellSite {site_id: row.cell_site})
ON CREATE SET s.created_at = datetime()
SET s.location = coalesce(s.location, CASE WHEN row.lat IS NOT NULL
                                           THEN point({latitude: row.lat, longitude: row.lon}) END)
MERGE (c)-[:VIA_CELL]->(s)
"""

_CALLED = """
UNWIND $pairs AS x
MERGE (a:Phone {e164: x.orig}) ON CREATE SET a:Linkable, a.uid = randomUUID(), a.display = x.orig_display
MERGE (b:Phone {e164: x.term}) ON CREATE SET b:Linkable, b.uid = randomUUID(), b.display = x.term_display
MERGE (a)-[r:CALLED]->(b)
ON CREATE SET r.uid = randomUUID(), r.created_at = datetime(), r.created_by = $actor, r.source = 'cdr',
              r.status = 'active', r.count = 0, r.total_seconds = 0, r.case_uids = []
SET r.count = r.count + x.count, r.total_seconds = r.total_seconds + x.seconds,
    r.first_at = CASE WHEN r.first_at IS NULL OR datetime(x.first) < r.first_at THEN datetime(x.first)
                      ELSE r.first_at END,
    r.last_at = CASE WHEN r.last_at IS NULL OR datetime(x.last) > r.last_at THEN datetime(x.last) ELSE r.last_at END,
    r.case_uids = CASE WHEN $case IN coalesce(r.case_uids, []) THEN r.case_uids
                       ELSE coalesce(r.case_uids, []) + $case END,
    r.updated_at = datetime()
"""

_SUBSCRIBERS = """
UNWIND $rows AS row
MERGE (p:Phone {e164: row.e164}) ON CREATE SET p:Linkable, p.uid = randomUUID(), p.display = row.display
MERGE (s:SubscriberRecord {fingerprint: row.fp})
ON CREATE SET s += row.props, s.e164 = row.e164, s.case_uid = $case, s.created_at = datetime(),
              s.created_by = $actor, s.source_row = row.row, s._new = true
SET s:TelecomRecord, s.case_uids = [$case]
MERGE (s)-[:NAMES_SELECTOR]->(p)
WITH s, row, coalesce(s._new, false) AS new
REMOVE s._new
RETURN row.fp AS fp, new
"""

# A miscellaneous record (one per distinct row of a case), holding its number if it names one.
_MISC = """
UNWIND $rows AS row
MERGE (m:MiscRecord {fingerprint: row.fp})
ON CREATE SET m.e164 = row.e164, m.record_type = row.record_type, m.at = datetime(row.at), m.details = row.details,
              m.selector_keys = [x IN row.selectors | x.key], m.case_uid = $case, m.created_at = datetime(),
              m.created_by = $actor, m.source_row = row.row, m._new = true
SET m:TelecomRecord, m.case_uids = [$case]
WITH m, row, coalesce(m._new, false) AS new
REMOVE m._new
WITH m, row, new
CALL (m, row) {
  WITH m, row WHERE row.e164 IS NOT NULL
  MERGE (p:Phone {e164: row.e164}) ON CREATE SET p:Linkable, p.uid = randomUUID(), p.display = row.display
  MERGE (m)-[:NAMES_SELECTOR]->(p)
}
RETURN row.fp AS fp, new
"""


def _selector_statement(record: str, label: str) -> str:
    """Merge the telecom selectors of one label named by `record` nodes `fp` (labels from the allow-lists),
    the record's hold on each, and its number's IDENTIFIED_AS link (case-derived: `case_uids` only, no
    provenance)."""
    assert record in ("SubscriberRecord", "MiscRecord") and label in telecom_selectors.KINDS, (record, label)
    return f"""
UNWIND $rows AS row
MATCH (t:{record} {{fingerprint: row.fp}})
UNWIND [x IN row.selectors WHERE x.label = '{label}'] AS x
MERGE (s:{label} {{key: x.key}}) ON CREATE SET s:Linkable, s.uid = randomUUID(), s.display = x.display,
                                             s.created_at = datetime()
MERGE (t)-[:NAMES_SELECTOR]->(s)
WITH t, s, row WHERE row.e164 IS NOT NULL
MATCH (p:Phone {{e164: row.e164}})
MERGE (p)-[r:IDENTIFIED_AS]->(s)
ON CREATE SET r.uid = randomUUID(), r.status = 'active', r.source = 'telecom', r.case_uids = []
SET r.case_uids = CASE WHEN $case IN r.case_uids THEN r.case_uids ELSE r.case_uids + $case END
"""


_SELECTOR_STATEMENTS = {(kind, label): _selector_statement(record, label) for kind, record in
                        (("subscribers", "SubscriberRecord"), ("misc", "MiscRecord")) for label in telecom_selectors.KINDS}


def _case(tx, actor: Actor, case_key: str) -> dict:
    """The case a uid or case number names, if the actor may load material into it (`rules.require_case`:
    a missing and a hidden case answer in the same words)."""
    facts = rules.require_case(tx, actor, case_key, write=True)
    return {"uid": facts["uid"], "number": facts["case_number"]}


def _aggregate(rows: list[dict]) -> list[dict]:
    pairs: dict[tuple[str, str], dict] = {}
    for r in rows:
        p = pairs.setdefault((r["orig"], r["term"]), {
            "orig": r["orig"], "term": r["term"], "orig_display": r["orig_display"], "term_display": r["term_display"],
            "count": 0, "seconds": 0, "first": r["start"], "last": r["start"]})
        p["count"] += 1
        p["seconds"] += r["duration"]
        p["first"] = min(p["first"], r["start"])
        p["last"] = max(p["last"], r["start"])
    return list(pairs.values())


def _load_batches(graph: Graph, actor: Actor, case: dict, valid: list[dict], kind: str, batch: int) -> tuple[int, list]:
    loaded, duplicates = 0, []

    def work(tx, rows):
        if kind == "cdr":
            result = {r["fp"]: r for r in tx.run(_CALLS, rows=rows, case=case["uid"], actor=actor.uid)}
            fresh = [r for r in rows if result[r["fp"]]["new"]]
            if fresh:
                tx.run(_CALLED, pairs=_aggregate(fresh), case=case["uid"], actor=actor.uid).consume()
            cells = [r for r in rows if r["cell_site"]]
            if cells:
                tx.run(_CELLS, rows=cells).consume()
            dup = [r for r in rows if not result[r["fp"]]["new"] and result[r["fp"]]["had"]]
            added = len(rows) - len(dup)
        else:
            statement = _SUBSCRIBERS if kind == "subscribers" else _MISC
            result = {r["fp"]: r for r in tx.run(statement, rows=rows, case=case["uid"], actor=actor.uid)}
            named = [r for r in rows if r["selectors"]]
            for label in sorted({x["label"] for r in named for x in r["selectors"]}):
                tx.run(_SELECTOR_STATEMENTS[kind, label], rows=named, case=case["uid"]).consume()
            dup = [r for r in rows if not result[r["fp"]]["new"]]
            added = len(rows) - len(dup)
        audit.record(tx, actor, "import", [case["uid"]],
                     details={"kind": f"telecom_{kind}", "rows": len(rows), "loaded": added, "duplicates": len(dup),
                              "first_row": rows[0]["row"], "last_row": rows[-1]["row"]})
        return added, dup

    for i in range(0, len(valid), batch):
        added, dup = graph.write(work, valid[i:i + batch])
        loaded += added
        duplicates += [{"row": r["row"], "reason": "already loaded for this case"} for r in dup]
    return loaded, duplicates


def keep_calls_for_cases(graph: Graph) -> int:
    """Give every call record a KEPT_FOR to each case of its `case_uids` it lacks one to (the records of a
    database written before the relationship existed); returns how many were added. Idempotent.

    Run by `ccms-graph init-db`, outside a managed transaction: `CALL { } IN TRANSACTIONS` commits in
    batches of its own, so half a run that fails is kept, and running it again finishes it."""
    with graph.driver.session(database=graph.database) as session:
        return session.run(_KEEP_FOR_CASES).consume().counters.relationships_created


# ---------------------------------------------------------------------------------------------
# Alerts between cases
# ---------------------------------------------------------------------------------------------

_OTHER_CASES = """
UNWIND $numbers AS e
CALL (e) {
  MATCH (:Phone {e164: e})<-[:USES_PHONE {status: 'active'}]-(:SubjectRecord)-[:SUBJECT_IN {status: 'active'}]->(c:Case)
  RETURN c.uid AS case_uid
  UNION
  MATCH (r:CallRecord {orig: e}) UNWIND r.case_uids AS case_uid RETURN case_uid
  UNION
  MATCH (r:CallRecord {term: e}) UNWIND r.case_uids AS case_uid RETURN case_uid
  UNION
  MATCH (r:SubscriberRecord {e164: e}) RETURN r.case_uid AS case_uid
  UNION
  MATCH (:Phone {e164: e})<-[:NAMES_SELECTOR]-(r:MiscRecord) UNWIND r.case_uids AS case_uid RETURN case_uid
}
WITH e, case_uid WHERE case_uid <> $case
MATCH (c:Case {uid: case_uid})
RETURN e, c.uid AS uid, c.case_number AS number, c.owner_uid AS owner_uid, coalesce(c.restricted, false) AS restricted
ORDER BY e, uid
"""

# One TelecomLink per case pair and shared selector: a phone (`e164`) or a financial account
# (`selector`, its key; see `financial`). It makes the alert once-only, and retention removes it with its cases.
_LINK = """
MERGE (t:TelecomLink {key: $key})
ON CREATE SET t.e164 = $e, t.selector = $selector, t.case_uids = $cases, t.created_at = datetime(),
              t.created_by = $actor, t._new = true
WITH t, coalesce(t._new, false) AS new
REMOVE t._new
RETURN new
"""

_CASE_INFO = """
MATCH (c:Case {uid: $uid})
OPTIONAL MATCH (u:User {uid: c.owner_uid})
RETURN c.uid AS uid, c.case_number AS number, coalesce(c.restricted, false) AS restricted, c.owner_uid AS owner_uid,
       u {.uid, .name, .office_code, .phone, .email} AS agent
"""


def _alert_side(me: dict, other: dict, number: str) -> dict:
    """The fields of the alert to `me`'s agent about `other`: the other agent, and nothing of a restricted case."""
    fields = {"number": number, "case_uid": me["uid"], "case_number": me["number"],
              "other_agent": other["agent"], "other_agent_name": (other["agent"] or {}).get("name")}
    if not other["restricted"]:
        fields["other_case_number"] = other["number"]
    who = (other["agent"] or {}).get("name") or "another agent"
    fields["message"] = (f"{number} in your case {me['number']} also appears in a case of {who}"
                         f"{'' if other['restricted'] else ' (' + other['number'] + ')'}; contact them to deconflict")
    return fields


def alert_case_pair(tx, actor: Actor, case_uid: str, other_uid: str, kind: str, shown: str, *,
                    e164: str | None = None, selector: str | None = None) -> int:
    """Alert the agents of both cases (notification `kind`) that a selector ties them, once per case pair
    and selector (its `e164`, or a financial `selector` key); `shown` is how the alert names it.
    Returns how many alerts were sent."""
    cases = sorted((case_uid, other_uid))
    if not tx.run(_LINK, key=f"{cases[0]}|{cases[1]}|{e164 or selector}", e=e164, selector=selector, cases=cases,
                  actor=actor.uid).single()["new"]:
        return 0
    me, other = (tx.run(_CASE_INFO, uid=u).single().data() for u in (case_uid, other_uid))
    sent = 0
    for a, b in ((me, other), (other, me)):
        if a["owner_uid"]:
            notifications.notify(tx, a["owner_uid"], kind, **_alert_side(a, b, shown))
            sent += 1
    return sent


def alert_linked_cases(tx, actor: Actor, case_uid: str, numbers: list[str]) -> int:
    """Alert both agents for every other case sharing one of `numbers` (once per case pair and number)."""
    if not numbers:
        return 0
    return sum(alert_case_pair(tx, actor, case_uid, r["uid"], "telecom_alert", r["e"], e164=r["e"])
               for r in tx.run(_OTHER_CASES, numbers=sorted(set(numbers)), case=case_uid).data())


# Other live cases whose telecom records name one of the IMSI, IMEI or IP selectors `keys`.
_SELECTOR_CASES = f"""
UNWIND $keys AS k
MATCH (s:{'|'.join(telecom_selectors.KINDS)} {{key: k}})<-[:NAMES_SELECTOR]-(t:TelecomRecord)
UNWIND t.case_uids AS case_uid
WITH DISTINCT k, s.display AS shown, case_uid WHERE case_uid <> $case
MATCH (c:Case {{uid: case_uid}}) WHERE coalesce(c.deleted, false) = false
RETURN k, shown, c.uid AS uid ORDER BY k, uid
"""


def alert_shared_selectors(tx, actor: Actor, case_uid: str, keys: list[str]) -> int:
    """Alert both agents for every other case whose telecom records name one of the IMSI, IMEI or IP
    selectors `keys` (kind "telecom_alert"), once per case pair and selector."""
    if not keys:
        return 0
    return sum(alert_case_pair(tx, actor, case_uid, r["uid"], "telecom_alert", r["shown"], selector=r["k"])
               for r in tx.run(_SELECTOR_CASES, keys=sorted(set(keys)), case=case_uid).data())


# One TelecomImport per file loaded into a case (the TLS tab lists them): when, by whom, how many rows.
_RECORD_IMPORT = """
MERGE (t:TelecomImport {uid: $uid})
ON CREATE SET t += $props, t.imported_at = datetime()
"""

_PARSERS = {"cdr": lambda stream, _case_uid: parse_cdr(stream), "subscribers": parse_subscribers, "misc": parse_misc}


def _import(graph: Graph, actor: Actor, case_key: str, stream: Iterable[str], kind: str, batch: int,
            filename: str | None = None) -> dict:
    checks.writer_guard(graph, actor, f"telecom_{kind}", [case_key])  # only writers load case content
    case = audit.read_or_refuse(graph, actor, f"telecom_{kind}", [case_key], _case, actor, case_key)
    valid, refused = _PARSERS[kind](stream, case["uid"])
    if kind == "cdr":
        numbers = sorted({n for r in valid for n in (r["orig"], r["term"])})
    else:
        numbers = sorted({r["e164"] for r in valid if r["e164"]})
    keys = sorted({x["key"] for r in valid for x in r.get("selectors", ())})
    loaded, duplicates = _load_batches(graph, actor, case, valid, kind, batch)
    refused = sorted(refused, key=lambda r: r["row"])
    import_uid = new_uid()

    def alerts(tx):
        n = alert_linked_cases(tx, actor, case["uid"], numbers) + alert_shared_selectors(tx, actor, case["uid"], keys)
        if n:
            audit.record(tx, actor, "notify", [case["uid"]], details={"kind": "telecom_alert", "alerts": n})
        tx.run(_RECORD_IMPORT, uid=import_uid, props={
            "case_uid": case["uid"], "kind": kind, "filename": (filename or "")[:200] or None,
            "imported_by": actor.uid, "imported_by_name": actor.name, "rows": len(valid) + len(refused),
            "loaded": loaded, "duplicates": len(duplicates), "refused": len(refused)}).consume()
        return n

    sent = graph.write(alerts)
    return {"case_number": case["number"], "rows": len(valid) + len(refused), "loaded": loaded,
            "duplicates": duplicates, "refused": refused, "alerts": sent, "import_uid": import_uid}


def _lines(stream: Iterable[str] | str) -> Iterable[str]:
    return io.StringIO(stream) if isinstance(stream, str) else stream


def import_cdr(graph: Graph, actor: Actor, case_key: str, stream: Iterable[str] | str, batch: int = BATCH,
               filename: str | None = None) -> dict:
    """Load a call-detail CSV into a case (uid or case number); {rows, loaded, duplicates, refused, alerts}."""
    return _import(graph, actor, case_key, _lines(stream), "cdr", batch, filename)


def import_subscribers(graph: Graph, actor: Actor, case_key: str, stream: Iterable[str] | str, batch: int = BATCH,
                       filename: str | None = None) -> dict:
    """Load a subscriber CSV into a case; same answer as `import_cdr`."""
    return _import(graph, actor, case_key, _lines(stream), "subscribers", batch, filename)


def import_misc(graph: Graph, actor: Actor, case_key: str, stream: Iterable[str] | str, batch: int = BATCH,
                filename: str | None = None) -> dict:
    """Load a miscellaneous-records CSV (number/imsi/imei/ip, record_type, time, details) into a case; same
    answer as `import_cdr`."""
    return _import(graph, actor, case_key, _lines(stream), "misc", batch, filename)


#: Both ends are phones, so the selector rule is their whole record rule (the other kinds' branches, written
#: out, only gave Neo4j more to plan), checked after the pattern rather than in its WHERE, as `scopes.checked`.
_CALLS_BETWEEN = f"""
OPTIONAL MATCH (a:Phone {{e164: $a}})
OPTIONAL MATCH (b:Phone {{e164: $b}})
OPTIONAL CALL (a, b) {{
  MATCH (a)-[r:CALLED {{status: 'active'}}]->(b)
  WITH * WHERE {scopes.selector_readable("a")} AND {scopes.selector_readable("b")} AND {scopes.link_readable("r")}
  RETURN r
}}
RETURN [u IN [a.uid, b.uid] WHERE u IS NOT NULL] AS phones,
       CASE WHEN r IS NULL THEN null ELSE {scopes.link_props("r")} END AS link
"""


def calls_between(graph: Graph, actor: Actor, a: str, b: str) -> dict | None:
    """The calls from number `a` to number `b` (any format) that the actor may see, or None.

    Only the calls of cases the actor may read count, aggregated over those alone (`scopes.link_props`):
    {count, total_seconds, first_at, last_at, case_uids, ...}, with the link's provenance only where
    every case it came from is readable. Audited as a view of both numbers, whatever it finds.
    """
    checks.guard(graph, actor, "calls")
    ea, eb = normalize_identifier("phone", a), normalize_identifier("phone", b)
    bad = {k: [f"{v!r} is not a phone number"] for k, v, e in (("a", a, ea), ("b", b, eb)) if e is None}
    if bad:
        raise ValidationFailed(bad)

    def work(tx):
        rec = tx.run(_CALLS_BETWEEN, a=ea, b=eb, **actor_params(actor)).single()
        link = rules.shown(plain(rec["link"])) if rec["link"] is not None else None
        rules.redact_pointers(tx, actor, [link])
        audit.record(tx, actor, "view", rec["phones"], details={"op": "calls", "from": ea, "to": eb,
                                                                "shown": link is not None})
        return link

    return graph.write(work)
