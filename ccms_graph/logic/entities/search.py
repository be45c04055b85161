"""Search over everything an investigator types, inside the access scope — audited, owners told.

One box finds, in Neo4j full-text indexes (`cypher/schema.cypher`):

* names and aliases (`person_names`, `business_names`) and the words of Subject Records (`record_search`:
  identifiers as typed, financial selectors' words);
* case numbers and titles (`case_search`);
* documents' narrative fields (`document_text`) and attachments' extracted text (`attachment_text`);
* addresses' words (`address_text`) and social media handles with their platforms (`handle_text`: `@Night_Owl77`
  finds `instagram:night_owl77`);

and, by exact key, the selectors the text IS once each selector's own normalizer has read it
(`matching.identifiers`): a phone typed `(305) 526-1332` is the Phone `+13055261332`, `ANA@Example.com`
the Email `ana@example.com`, `123-45-6789` the Identifier `ssn:123456789` (every identifier kind the
vocabulary declares is tried). A selector hit also finds the records that use it (an active link).

The policy decides inside the query (`scopes.record_readable`; an attachment is as readable as its
document): what the actor may not read is never returned, never counted in `total`, never in a facet
and never behind `more`. Facets (type, office, case status, year) are counted over the readable hits
of the words, before the facet filters narrow the list; a hit's case statuses are those of the cases
it lies in that the actor may read. Every index is asked for at most `SEARCH_CAP` hits before the
policy filter, so a very common word may miss readable hits beyond that cap; the answer never says so
in a way that depends on hidden hits.

Audited ("search") with its criteria in the transaction that reads; the owners of displayed records
are told (kind "query", displayed=True), and the owners of matched records not displayed (hidden,
or beyond the limit) are told it matched without being shown (ICM: "search criteria… whether the
information was displayed"). Auditors' searches tell nobody (`notifications.SILENT_ROLES`).

The TLS search (ICM): a searched phone number (or IMEI) that appears in the call or subscriber records
of another agent's case alerts both: the searcher learns whom to contact (and the case number only
when they may read the case), and the case's agent learns who searched it (kind "telecom_alert",
once a day per searcher, case and number).
"""

from __future__ import annotations

import html
import re
from datetime import date

from marshmallow import Schema, ValidationError, fields, validate, validates_schema
from unidecode import unidecode

from ...db import Graph
from ...errors import ValidationFailed
from ...matching import identifiers as ids
from ...matching.blocking import lucene_escape
from ...nodes.vocabulary import CASE_STATUSES, ENTITY_TYPES
from ...policy import rules, scopes
from ...policy.actor import Actor
from ...policy.rules import actor_params
from ..common import load_input, node_dict, record_type_of
from ..oversight import audit, notifications
from ..oversight.checks import guard

#: Record types the record search (`records`) may be narrowed to.
SEARCH_TYPES = (*ENTITY_TYPES, "Case")
#: What the search over everything groups its hits by, in the order the groups are shown.
KINDS = (*ENTITY_TYPES, "Case", "Document", "Attachment", "Selector")
#: How many index hits per index a search considers before the policy filter.
SEARCH_CAP = 1000
#: At most this many "matched but not displayed" notifications per search.
UNSHOWN_CAP = 200
#: Score given to an exact selector match (full-text scores of a good name match are about 5 to 15).
EXACT = 20.0
#: Identifier kinds the text is tried as (the vocabulary's identifier fields), beside phone and email.
IDENTIFIER_KINDS = tuple(sorted({f.identifier for t in ENTITY_TYPES.values() for f in t.identifier_fields
                                 if f.identifier and f.identifier not in ("phone", "email")}))
#: The text fields a snippet is cut from, per kind, in order of preference.
SNIPPET_FIELDS = {"Document": ("narrative", "description", "chain_of_custody", "authority", "title"),
                  "Attachment": ("text", "filename"), "Case": ("title", "predication", "case_number"),
                  "Selector": ("display", "line1", "city", "handle")}


# ---------------------------------------------------------------------------------------------
# The words and the selectors a text stands for
# ---------------------------------------------------------------------------------------------

def lucene_query(text: str, max_terms: int = 12) -> str:
    """Turn free text into a Lucene query: every word required, words of 4+ letters matched fuzzily.
    Every word is escaped, so Lucene syntax typed in the box is only ever literal text."""
    words = _words(text)[:max_terms]
    if not words:
        raise ValidationFailed({"text": ["give at least one letter or digit to search for"]})
    terms = [f"{lucene_escape(w)}~1" if len(w) >= 4 and not any(ch.isdigit() for ch in w) else lucene_escape(w)
             for w in words]
    return " AND ".join(terms)


def _words(text: str) -> list[str]:
    return re.findall(r"\w+", unidecode(text or "").lower())


def selector_keys(text: str) -> dict[str, list[str]]:
    """The selectors `text` may be, each in its normalized stored form: {"phones": [e164], "emails": [...],
    "identifiers": [key], "imeis": [digits]}. The whole text is tried, and each of its words alone
    (so "VIN 1HGCM82633A004352" finds the VIN); values too short to mean anything are not tried."""
    text = (text or "").strip()
    candidates = list(dict.fromkeys([text, *text.split()[:8]]))
    phones, emails, keys, imeis = [], [], [], []
    for c in candidates:
        if len(re.sub(r"\W", "", c)) < 4:
            continue
        if sum(ch.isdigit() for ch in c) >= 7 and (e164 := ids.normalize_identifier("phone", c)):
            phones.append(e164)
        if email := ids.normalize_identifier("email", c):
            emails.append(email)
        for kind in IDENTIFIER_KINDS:
            if key := ids.identifier_key(kind, c):
                keys.append(key)
        if imei := ids.normalize_identifier("imei", c):
            imeis.append(imei)
    return {"phones": sorted(set(phones)), "emails": sorted(set(emails)), "identifiers": sorted(set(keys)),
            "imeis": sorted(set(imeis))}


# ---------------------------------------------------------------------------------------------
# Snippets: escaped first, then the matched words marked
# ---------------------------------------------------------------------------------------------

def _near(token: str, word: str) -> bool:
    """Whether `token` matches query `word` as the index would: equal, or (4+ letters) one edit away."""
    if token == word:
        return True
    if len(word) < 4 or any(ch.isdigit() for ch in word) or abs(len(token) - len(word)) > 1:
        return False
    if len(token) == len(word):
        return sum(a != b for a, b in zip(token, word, strict=True)) <= 1
    short, long_ = sorted((token, word), key=len)
    return any(long_[:i] + long_[i + 1:] == short for i in range(len(long_)))


def snippet(text: str | None, words: list[str], width: int = 90) -> str | None:
    """A short HTML excerpt of `text` around the first matched word: the text is HTML-escaped and only
    then are the matched words wrapped in <mark>, so stored text is never trusted as markup. None
    when no word matches."""
    if not text or not words:
        return None
    text = " ".join(str(text).split())
    tokens = [(m.start(), m.end(), unidecode(m.group()).lower()) for m in re.finditer(r"\w+", text)]
    hits = [(s, e) for s, e, t in tokens if any(_near(t, w) for w in words)]
    if not hits:
        return None
    start = max(0, hits[0][0] - width)
    end = min(len(text), hits[0][1] + width)
    if start:
        start = text.find(" ", start) + 1 or start
    if end < len(text):
        end = text.rfind(" ", hits[0][1], end) if text.rfind(" ", hits[0][1], end) > 0 else end
    out, pos = [], start
    for s, e in hits:
        if s < start or e > end:
            continue
        out.append(html.escape(text[pos:s]))
        out.append(f"<mark>{html.escape(text[s:e])}</mark>")
        pos = e
    out.append(html.escape(text[pos:end]))
    return ("…" if start else "") + "".join(out) + ("…" if end < len(text) else "")


# ---------------------------------------------------------------------------------------------
# Criteria
# ---------------------------------------------------------------------------------------------

_DAY = validate.Regexp(r"^\d{4}-\d{2}-\d{2}$", error="use a date as YYYY-MM-DD")


class SearchParams(Schema):
    """What a search over everything may be asked; the web page and the API validate with this one schema."""
    text = fields.String(required=True, validate=validate.Length(min=1, max=500))
    types = fields.List(fields.String(validate=validate.OneOf(KINDS)), load_default=None,
                        validate=validate.Length(max=len(KINDS)))
    office = fields.String(load_default=None, validate=validate.Length(min=1, max=20))
    case_status = fields.String(load_default=None, validate=validate.OneOf(CASE_STATUSES))
    date_from = fields.String(load_default=None, validate=_DAY)
    date_to = fields.String(load_default=None, validate=_DAY)
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))

    @validates_schema
    def _dates(self, data, **_kwargs):
        days = {}
        for name in ("date_from", "date_to"):
            if data.get(name):
                try:
                    days[name] = date.fromisoformat(data[name])
                except ValueError:
                    raise ValidationError("no such date", name) from None
        if len(days) == 2 and days["date_from"] > days["date_to"]:
            raise ValidationError("comes after date_to", "date_from")


_PARAMS = SearchParams()


# ---------------------------------------------------------------------------------------------
# The search over everything
# ---------------------------------------------------------------------------------------------

def _fulltext(index: str) -> str:
    return (f"CALL db.index.fulltext.queryNodes('{index}', $q, {{limit: $cap}}) YIELD node, score "
            f"RETURN node, score, null AS via")


_INDEXES = ("person_names", "business_names", "record_search", "case_search", "document_text", "attachment_text",
            "address_text", "handle_text")

_MATCHES = f"""
CALL () {{
  {" UNION ALL ".join(_fulltext(i) for i in _INDEXES)}
  UNION ALL
  UNWIND $phones AS v MATCH (node:Phone {{e164: v}}) RETURN node, $exact AS score, 'phone ' + v AS via
  UNION ALL
  UNWIND $emails AS v MATCH (node:Email {{address: v}}) RETURN node, $exact AS score, 'email ' + v AS via
  UNION ALL
  UNWIND $keys AS v MATCH (node:Identifier {{key: v}})
  RETURN node, $exact AS score, node.kind + ' ' + node.value AS via
}}
CALL (node, score, via) {{
  WITH node, score, via WHERE NOT {scopes.is_record("node")} AND NOT node:Attachment
  MATCH (node)<-[r]-(m) WHERE type(r) IN $selector_links AND coalesce(r.status, 'active') = 'active'
    AND (m:SubjectRecord OR m:Document)
  RETURN m AS n, score AS s,
         coalesce(via, CASE WHEN node:SocialHandle THEN 'handle ' + node.key ELSE 'address ' + node.display END) AS v
  UNION ALL
  RETURN node AS n, score AS s, via AS v
}}
WITH n, max(s) AS score, [x IN collect(DISTINCT v) WHERE x IS NOT NULL] AS via
WITH n, score, via,
     CASE WHEN n:Attachment THEN head(COLLECT {{ MATCH (d:Document)-[:HAS_ATTACHMENT]->(n) RETURN d }}) ELSE n END AS o
WHERE o IS NOT NULL AND coalesce(o.deleted, false) = false AND coalesce(n.deleted, false) = false
WITH n, o, score, via, {scopes.record_readable("o")} AS ok
WITH n, o, score, via, ok,
     CASE WHEN n:Attachment THEN 'Attachment' WHEN n:Document THEN 'Document' WHEN n:Case THEN 'Case'
          WHEN n:SubjectRecord THEN head([l IN labels(n) WHERE l IN $entity_types]) ELSE 'Selector' END AS kind
WITH collect(CASE WHEN ok THEN {{
         uid: n.uid, kind: kind, score: score, via: via, office: o.office_code, owner: coalesce(o.author_uid, o.owner_uid),
         day: left(toString(coalesce(n.uploaded_at, n.created_at)), 10),
         statuses: CASE WHEN n:Case THEN [n.status]
                        WHEN {scopes.is_record("o")} THEN COLLECT {{
                          MATCH (o)-[:SUBJECT_IN|PART_OF {{status: 'active'}}]->(c:Case)
                          WHERE {scopes.case_readable("c")} RETURN DISTINCT c.status }}
                        ELSE [] END}} END) AS readable,
     collect(CASE WHEN NOT ok AND {scopes.is_record("o")} THEN {{
         uid: o.uid, labels: labels(o), owner: coalesce(o.author_uid, o.owner_uid)}} END) AS refused
RETURN readable, refused[..$unshown_cap] AS refused
"""

_SHOWN = f"""
UNWIND $uids AS u
CALL (u) {{
  MATCH (n:Linkable {{uid: u}}) RETURN n, null AS d
  UNION
  MATCH (d:Document)-[:HAS_ATTACHMENT]->(n:Attachment {{uid: u}}) RETURN n, d
}}
WITH n, d, coalesce(d, n) AS o
RETURN n.uid AS uid, n AS node, labels(n) AS labels, d.uid AS document_uid, d.title AS document_title,
       head(COLLECT {{ MATCH (o)-[:SUBJECT_IN|PART_OF {{status: 'active'}}]->(c:Case) WHERE {scopes.case_readable("c")}
                      RETURN c {{.uid, .case_number}} ORDER BY c.case_number }}) AS case
"""


def _facet(rows: list[dict], values) -> list[dict]:
    counts: dict[str, int] = {}
    for r in rows:
        for v in values(r):
            if v:
                counts[v] = counts.get(v, 0) + 1
    return [{"value": k, "count": n} for k, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]


def facets(rows: list[dict]) -> dict:
    """Counts per type, office, case status and year over `rows` (readable hits only)."""
    return {"type": sorted(_facet(rows, lambda r: [r["kind"]]), key=lambda f: KINDS.index(f["value"])),
            "office": _facet(rows, lambda r: [r["office"]]),
            "case_status": _facet(rows, lambda r: set(r["statuses"] or ())),
            "year": sorted(_facet(rows, lambda r: [(r["day"] or "")[:4]]), key=lambda f: f["value"], reverse=True)}


def _passes(row: dict, c: dict) -> bool:
    day = row["day"] or ""
    return ((not c["types"] or row["kind"] in c["types"])
            and (not c["office"] or row["office"] == c["office"])
            and (not c["case_status"] or c["case_status"] in (row["statuses"] or ()))
            and (not c["date_from"] or (bool(day) and day >= c["date_from"]))
            and (not c["date_to"] or (bool(day) and day <= c["date_to"])))


def _hit(rec: dict, row: dict, words: list[str]) -> dict:
    """One displayed hit: what the result list shows, never a document's whole text."""
    item = node_dict(rec["node"], rec["labels"])
    props = item["props"]
    kind = row["kind"]
    if kind == "Attachment":
        item["type"], item["caption"] = "Attachment", props.get("filename") or "attachment"
    out = {"uid": item["uid"], "kind": kind, "type": item["type"], "caption": item["caption"],
           "score": round(float(row["score"]), 3), "matched": row["via"], "office_code": row["office"],
           "status": props.get("status") or props.get("approval_status"), "date": row["day"],
           "case": rec["case"], "snippet": None}
    if kind == "Attachment":
        out["document"] = {"uid": rec["document_uid"], "title": rec["document_title"]}
    out["snippet"] = next((s for s in (snippet(props.get(name), words) for name in SNIPPET_FIELDS.get(kind, ()))
                           if s), None)
    if out["snippet"] is None and row["via"]:
        out["snippet"] = html.escape("matched " + ", ".join(row["via"]))
    return out


def search(graph: Graph, actor: Actor, params: dict) -> dict:
    """Search everything the actor may read for `params` (`SearchParams`: text, types, office, case_status,
    date_from, date_to, limit). Answers {criteria, total, more, groups: [{kind, count, hits}], facets,
    contacts}: `total` and `more` count readable hits after the filters, `facets` readable hits before
    them; `contacts` are the TLS search's whom-to-call entries. Audited; owners told (module docstring)."""
    criteria = load_input(_PARAMS, params)
    criteria["text"] = criteria["text"].strip()
    q = lucene_query(criteria["text"])
    keys = selector_keys(criteria["text"])
    guard(graph, actor, "search", criteria=criteria)
    words = _words(criteria["text"])

    def work(tx):
        rec = tx.run(_MATCHES, q=q, cap=SEARCH_CAP, phones=keys["phones"], emails=keys["emails"],
                     keys=keys["identifiers"], exact=EXACT, selector_links=list(scopes.SELECTOR_LINKS),
                     entity_types=list(ENTITY_TYPES), unshown_cap=UNSHOWN_CAP, **actor_params(actor)).single()
        readable = sorted(rec["readable"], key=lambda r: (-r["score"], r["uid"]))
        chosen = [r for r in readable if _passes(r, criteria)]
        shown_rows = chosen[:criteria["limit"]]
        by_uid = {r["uid"]: r for r in tx.run(_SHOWN, uids=[r["uid"] for r in shown_rows], **actor_params(actor))}
        hits = [_hit(by_uid[r["uid"]], r, words) for r in shown_rows if r["uid"] in by_uid]
        contacts = tls_alerts(tx, actor, keys["phones"], keys["imeis"], criteria)
        audit.record(tx, actor, "search", [h["uid"] for h in hits],
                     details={"criteria": criteria, "shown": len(hits), "matched": len(chosen),
                              "telecom_contacts": len(contacts)})
        _tell_owners(tx, actor, criteria, hits, shown_rows, chosen[criteria["limit"]:], rec["refused"])
        groups = [{"kind": k, "count": sum(1 for r in chosen if r["kind"] == k),
                   "hits": [h for h in hits if h["kind"] == k]} for k in KINDS]
        return {"criteria": criteria, "total": len(chosen), "more": len(chosen) > len(hits),
                "groups": [g for g in groups if g["count"]], "facets": facets(readable), "contacts": contacts}

    return graph.write(work)


def _tell_owners(tx, actor: Actor, criteria: dict, hits: list[dict], shown_rows: list[dict], unshown: list[dict],
                 refused: list[dict]) -> None:
    owners = {r["uid"]: r["owner"] for r in shown_rows}
    notifications.notify_owners(tx, actor, "query", [
        *((owners.get(h["uid"]), {"record_uid": h["uid"], "record_type": h["type"], "record_caption": h["caption"],
                                  "criteria": criteria, "displayed": True}) for h in hits),
        *((r["owner"], {"record_uid": r["uid"], "record_type": r["kind"], "criteria": criteria, "displayed": False})
          for r in unshown[:UNSHOWN_CAP]),
        *((r["owner"], {"record_uid": r["uid"], "record_type": record_type_of(r["labels"]), "criteria": criteria,
                        "displayed": False}) for r in refused)])


# ---------------------------------------------------------------------------------------------
# The TLS search: a searched number in another agent's call records alerts both agents
# ---------------------------------------------------------------------------------------------

_TLS_CASES = f"""
CALL () {{
  UNWIND $numbers AS e MATCH (r:CallRecord {{orig: e}}) UNWIND r.case_uids AS case_uid RETURN e, case_uid
  UNION
  UNWIND $numbers AS e MATCH (r:CallRecord {{term: e}}) UNWIND r.case_uids AS case_uid RETURN e, case_uid
  UNION
  UNWIND $numbers AS e MATCH (r:SubscriberRecord {{e164: e}}) RETURN e, r.case_uid AS case_uid
  UNION
  UNWIND $imeis AS e MATCH (r:SubscriberRecord) WHERE r.imei IS NOT NULL AND r.imei = e RETURN e, r.case_uid AS case_uid
}}
MATCH (c:Case {{uid: case_uid}})
WHERE coalesce(c.deleted, false) = false AND c.owner_uid IS NOT NULL AND c.owner_uid <> $me
  AND NOT $me IN coalesce(c.team_uids, [])
OPTIONAL MATCH (u:User {{uid: c.owner_uid}})
WITH e, c, u, {scopes.case_readable("c")} AS ok
RETURN e AS number, c.uid AS case_uid, c.owner_uid AS owner_uid, ok,
       CASE WHEN ok THEN c.case_number END AS case_number, c.case_number AS own_number,
       u {{.name, .office_code, .phone, .email}} AS agent
ORDER BY number, case_uid
"""

_TOLD_TODAY = """
MATCH (n:Notification {recipient_uid: $to})
WHERE n.kind = 'telecom_alert' AND n.searched_by = $by AND n.case_uid = $case AND n.number = $number
  AND n.created_at > datetime() - duration('P1D')
RETURN count(n) > 0 AS told
"""


def _told(tx, to: str, by: str, case_uid: str, number: str) -> bool:
    return tx.run(_TOLD_TODAY, to=to, by=by, case=case_uid, number=number).single()["told"]


def tls_alerts(tx, actor: Actor, numbers: list[str], imeis: list[str], criteria: dict) -> list[dict]:
    """Alert the searcher and each other agent whose case's call or subscriber records hold a searched
    number or IMEI; answers the searcher's contacts [{number, case_uid, case_number, agent}] with the
    case's uid and number only where the searcher may read the case. An auditor's search alerts nobody
    and answers no contacts (`notifications.SILENT_ROLES`)."""
    if not (numbers or imeis) or actor.role in notifications.SILENT_ROLES:
        return []
    contacts = []
    for r in tx.run(_TLS_CASES, numbers=numbers, imeis=imeis, **actor_params(actor)):
        agent = dict(r["agent"] or {})
        contacts.append({"number": r["number"], "case_uid": r["case_uid"] if r["ok"] else None,
                         "case_number": r["case_number"], "agent": agent})
        who = agent.get("name") or "another agent"
        if not _told(tx, actor.uid, actor.uid, r["case_uid"], r["number"]):
            where = f"case {r['case_number']}" if r["ok"] else f"a case of {who}"
            notifications.notify(tx, actor.uid, "telecom_alert", number=r["number"], case_uid=r["case_uid"],
                                 searched_by=actor.uid, other_agent=agent, other_agent_name=agent.get("name"),
                                 other_case_number=r["case_number"],
                                 message=f"{r['number']}, which you searched, appears in the telecom records of "
                                         f"{where}; contact {who} to deconflict")
        if not _told(tx, r["owner_uid"], actor.uid, r["case_uid"], r["number"]):
            notifications.notify(tx, r["owner_uid"], "telecom_alert", number=r["number"], case_uid=r["case_uid"],
                                 case_number=r["own_number"], searched_by=actor.uid, actor_uid=actor.uid,
                                 actor_name=actor.name, actor_office=actor.office_code, criteria=criteria,
                                 other_agent={"name": actor.name, "office_code": actor.office_code},
                                 other_agent_name=actor.name,
                                 message=f"{actor.name} ({actor.office_code}) searched {r['number']}, which appears "
                                         f"in the telecom records of your case {r['own_number']}; contact them "
                                         f"to deconflict")
    return contacts


# ---------------------------------------------------------------------------------------------
# The record search: Subject Records and cases by their words (pickers, and the first search page)
# ---------------------------------------------------------------------------------------------

#: Its three indexes hold Subject Records and cases only (cypher/schema.cypher), so no selector's rule.
_RECORDS = f"""
CALL () {{
  CALL db.index.fulltext.queryNodes('record_search', $q, {{limit: $cap}}) YIELD node, score RETURN node, score
  UNION ALL
  CALL db.index.fulltext.queryNodes('person_names', $q, {{limit: $cap}}) YIELD node, score RETURN node, score
  UNION ALL
  CALL db.index.fulltext.queryNodes('case_search', $q, {{limit: $cap}}) YIELD node, score RETURN node, score
}}
WITH node AS n, max(score) AS score
WHERE coalesce(n.deleted, false) = false
  AND ($types IS NULL OR any(l IN labels(n) WHERE l IN $types))
  AND ($office IS NULL OR n.office_code = $office)
  AND ($status IS NULL OR coalesce(n.status, n.approval_status) = $status)
WITH n, score, {scopes.content_readable("n")} AS ok
ORDER BY ok DESC, score DESC, n.uid
WITH collect({{n: n, ok: ok, score: score}}) AS rows
WITH [r IN rows WHERE r.ok] AS readable, [r IN rows WHERE NOT r.ok] AS refused
RETURN [r IN readable[..$limit] | {{node: r.n, labels: labels(r.n), score: r.score}}] AS shown,
       [r IN (readable[$limit..] + refused)[..$unshown_cap] |
           {{uid: r.n.uid, labels: labels(r.n), owner_uid: r.n.owner_uid}}] AS unshown,
       size(readable) + size(refused) AS matched
"""


def records(graph: Graph, actor: Actor, text: str, types=None, office: str | None = None, status: str | None = None,
            limit: int = 50) -> list[dict]:
    """Full-text search over Subject Records and cases by their words, filtered by the policy inside the
    query: a flat list of records ({uid, type, caption, props, score}) for pickers and lookups.

    Audited with its criteria and how many results were shown; every other owner of a matched record
    is notified with the criteria and whether the record was displayed.
    """
    types = list(types) if types else None
    bad = sorted(set(types or ()) - set(SEARCH_TYPES))
    errors = {}
    if bad:
        errors["types"] = [f"cannot search {', '.join(bad)}; use {', '.join(SEARCH_TYPES)}"]
    if not 1 <= int(limit) <= 200:
        errors["limit"] = ["use 1 to 200"]
    if errors:
        raise ValidationFailed(errors)
    criteria = {"text": text, "types": types, "office": office or None, "status": status or None,
                "limit": int(limit)}
    q = lucene_query(text)
    guard(graph, actor, "search", criteria=criteria)

    def work(tx):
        rec = tx.run(_RECORDS, q=q, cap=SEARCH_CAP, types=types, office=office or None, status=status or None,
                     limit=int(limit), unshown_cap=UNSHOWN_CAP, **actor_params(actor)).single()
        shown = []
        for r in rec["shown"]:
            item = node_dict(r["node"], r["labels"])
            item["score"] = r["score"]
            shown.append(item)
        rules.redact_pointers(tx, actor, [i["props"] for i in shown])
        audit.record(tx, actor, "search", [s["uid"] for s in shown],
                     details={"criteria": criteria, "shown": len(shown), "matched": rec["matched"]})
        notifications.notify_owners(tx, actor, "query", [
            *((item["props"].get("owner_uid"), {"record_uid": item["uid"], "record_type": item["type"],
                                                "record_caption": item["caption"], "criteria": criteria,
                                                "displayed": True}) for item in shown),
            *((r["owner_uid"], {"record_uid": r["uid"], "record_type": record_type_of(r["labels"]),
                                "criteria": criteria, "displayed": False}) for r in rec["unshown"])])
        return shown

    return graph.write(work)

