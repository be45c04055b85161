"""Read use cases under the access policy: view a record, search, expand neighbours — audited and notified.

Each function runs its policy-filtered read, its audit entry and the owners' notifications in ONE write
transaction, so nothing is returned unless the entry was committed. What the actor may not read never
leaves the database: the queries return content only where `scopes.record_readable` holds, and a locked
placeholder `{"uid", "type", "locked": True}` elsewhere (with `uid` None where the record's very
existence is protected, see `policy.scopes`). A refused read is audited ("deny") in its own transaction
and answers NotFound or Forbidden by the rule in `policy.scopes`; other users' drafts are left out.
"""

from __future__ import annotations

import re

from unidecode import unidecode

from ...db import Graph
from ...errors import ValidationFailed
from ...matching.blocking import lucene_escape
from ...nodes.vocabulary import ENTITY_TYPES, LINK_TYPES
from ...policy import scopes
from ...policy.actor import Actor
from ...policy.rules import actor_params
from ..common import node_dict, placeholder, plain, record_type_of
from ..oversight import audit, notifications
from ..oversight.checks import check_record, guard

#: Record types a search may be narrowed to (the ones the full-text indexes cover).
SEARCH_TYPES = (*ENTITY_TYPES, "Case")
#: How many index hits per index a search considers before the policy filter.
SEARCH_CAP = 1000
#: At most this many "matched but not displayed" notifications per search.
UNSHOWN_CAP = 200


def _shown(items, center: str) -> list[str]:
    """The uids of the readable records among `items` (placeholders excepted), once each: a view's
    audit entry names them beside its centre, so "who saw record X" finds the pages that showed it."""
    return list(dict.fromkeys(i["uid"] for i in items if not i.get("locked") and i.get("uid") not in (None, center)))


def _item(row: dict) -> dict:
    if row["ok"]:
        return node_dict(row["node"], row["labels"])
    return placeholder(row["uid"], row["labels"], row["hidden"])


# ---------------------------------------------------------------------------------------------
# View one record
# ---------------------------------------------------------------------------------------------

_RECORD_CASES = f"""
MATCH (n:Linkable {{uid: $uid}})-[:SUBJECT_IN|PART_OF {{status: 'active'}}]->(c:Case)
WHERE coalesce(c.deleted, false) = false
WITH c, {scopes.case_readable("c")} AS ok, coalesce(c.restricted, false) AS hidden
RETURN c.uid AS uid, ok, hidden, CASE WHEN ok THEN c.case_number END AS case_number,
       CASE WHEN ok THEN c.title END AS title
ORDER BY ok DESC, c.case_number
"""

_CASE_SUBJECTS = f"""
MATCH (s:SubjectRecord)-[:SUBJECT_IN {{status: 'active'}}]->(:Case {{uid: $uid}})
WHERE coalesce(s.deleted, false) = false
WITH s, {scopes.subject_readable("s")} AS ok, {scopes.hidden("s")} AS hidden
RETURN CASE WHEN ok THEN s END AS node, labels(s) AS labels, s.uid AS uid, ok, hidden
ORDER BY ok DESC, s.created_at
"""

_CASE_DOCUMENTS = f"""
MATCH (d:Document)-[:PART_OF {{status: 'active'}}]->(:Case {{uid: $uid}})
WHERE coalesce(d.deleted, false) = false
WITH d, {scopes.document_readable("d")} AS ok, {scopes.hidden("d")} AS hidden, {scopes.is_draft("d")} AS draft
WHERE ok OR NOT draft
RETURN CASE WHEN ok THEN d END AS node, labels(d) AS labels, d.uid AS uid, ok, hidden
ORDER BY ok DESC, d.created_at
"""


def record_cases(tx, actor: Actor, uid: str) -> list[dict]:
    """The cases a record is in, as the actor may see them: {uid, case_number, title} where the case is
    readable, a locked placeholder elsewhere. Every answer that carries a record's cases uses this."""
    return [{"uid": r["uid"], "case_number": r["case_number"], "title": r["title"]} if r["ok"]
            else placeholder(r["uid"], ["Case"], r["hidden"])
            for r in tx.run(_RECORD_CASES, uid=uid, **actor_params(actor))]


def view_record(graph: Graph, actor: Actor, uid: str, with_links: bool = False, link_limit: int = 500) -> dict:
    """A Subject Record, Document or Case as the actor may see it; audited, and the owner notified.

    Shape: {uid, type, caption, props, cases} or, for a case, like
    `cases.get_case` ({..., subjects, documents}); unreadable members are locked placeholders.
    `with_links` adds the record's links ({type, outgoing, link, other}, as `neighbours` gives them)
    in the same read, so a record page is one audited view.
    """
    guard(graph, actor, "view", [uid])

    def work(tx):
        row, error = check_record(tx, actor, uid, "view")
        if error is not None:
            return None, error
        out = node_dict(row["node"], row["labels"])
        if out["type"] == "Case":
            out["subjects"] = [_item(r.data()) for r in tx.run(_CASE_SUBJECTS, uid=uid, **actor_params(actor))]
            out["documents"] = [_item(r.data()) for r in tx.run(_CASE_DOCUMENTS, uid=uid, **actor_params(actor))]
        else:
            out["cases"] = record_cases(tx, actor, uid)
        if with_links:
            out["links"] = _links(tx, actor, uid, list(LINK_TYPES), link_limit)
        members = [*out.get("subjects", ()), *out.get("documents", ()), *out.get("cases", ()),
                   *(link["other"] for link in out.get("links", ()))]
        shown = _shown(members, uid)
        audit.record(tx, actor, "view", [uid, *shown], details={"type": out["type"], "shown": len(shown)})
        notifications.notify_owner(tx, actor, row["owner_uid"], "view", record_uid=uid, record_type=out["type"],
                                   record_caption=out["caption"], displayed=True)
        return out, None

    out, error = graph.write(work)
    if error is not None:
        raise error
    return out


# ---------------------------------------------------------------------------------------------
# Search
# ---------------------------------------------------------------------------------------------



def lucene_query(text: str, max_terms: int = 12) -> str:
    """Turn free text into a Lucene query: every word required, words of 4+ letters matched fuzzily."""
    words = re.findall(r"\w+", unidecode(text or "").lower())[:max_terms]
    if not words:
        raise ValidationFailed({"text": ["give at least one letter or digit to search for"]})
    terms = [f"{lucene_escape(w)}~1" if len(w) >= 4 and not any(ch.isdigit() for ch in w) else lucene_escape(w)
             for w in words]
    return " AND ".join(terms)


_SEARCH = f"""
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
WITH n, score, {scopes.record_readable("n")} AS ok
ORDER BY ok DESC, score DESC, n.uid
WITH collect({{n: n, ok: ok, score: score}}) AS rows
WITH [r IN rows WHERE r.ok] AS readable, [r IN rows WHERE NOT r.ok] AS refused
RETURN [r IN readable[..$limit] | {{node: r.n, labels: labels(r.n), score: r.score}}] AS shown,
       [r IN (readable[$limit..] + refused)[..$unshown_cap] |
           {{uid: r.n.uid, labels: labels(r.n), owner_uid: r.n.owner_uid}}] AS unshown,
       size(readable) + size(refused) AS matched
"""


def search(graph: Graph, actor: Actor, text: str, types=None, office: str | None = None, status: str | None = None,
           limit: int = 50) -> list[dict]:
    """Full-text search over Subject Records and cases, filtered by the policy inside the query.

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
        rec = tx.run(_SEARCH, q=q, cap=SEARCH_CAP, types=types, office=office or None, status=status or None,
                     limit=int(limit), unshown_cap=UNSHOWN_CAP, **actor_params(actor)).single()
        shown = []
        for r in rec["shown"]:
            item = node_dict(r["node"], r["labels"])
            item["score"] = r["score"]
            shown.append(item)
        audit.record(tx, actor, "search", [s["uid"] for s in shown],
                     details={"criteria": criteria, "shown": len(shown), "matched": rec["matched"]})
        for item in shown:
            notifications.notify_owner(tx, actor, item["props"].get("owner_uid"), "query", record_uid=item["uid"],
                                       record_type=item["type"], record_caption=item["caption"],
                                       criteria=criteria, displayed=True)
        for r in rec["unshown"]:
            notifications.notify_owner(tx, actor, r["owner_uid"], "query", record_uid=r["uid"],
                                       record_type=record_type_of(r["labels"]), criteria=criteria,
                                       displayed=False)
        return shown

    return graph.write(work)


# ---------------------------------------------------------------------------------------------
# One-hop expansion
# ---------------------------------------------------------------------------------------------

_NEIGHBOURS = f"""
MATCH (n:Linkable {{uid: $uid}})-[r]-(m:Linkable)
WHERE type(r) IN $types AND coalesce(r.status, 'active') = 'active' AND coalesce(m.deleted, false) = false
WITH n, r, m, {scopes.record_readable("m")} AS ok, {scopes.hidden("m")} AS hidden, {scopes.is_draft("m")} AS draft
WHERE ok OR NOT draft
RETURN type(r) AS type, startNode(r) = n AS outgoing, ok, hidden, labels(m) AS labels, m.uid AS uid,
       CASE WHEN ok THEN properties(r) END AS link, CASE WHEN ok THEN m END AS node
ORDER BY ok DESC, type, m.uid
LIMIT $limit
"""


def _links(tx, actor: Actor, uid: str, link_types: list[str], limit: int) -> list[dict]:
    """The policy-filtered links of one record, as [{type, outgoing, link, other}]."""
    links = []
    for r in tx.run(_NEIGHBOURS, uid=uid, types=link_types, limit=int(limit), **actor_params(actor)):
        link = plain(r["link"]) if r["link"] else None
        links.append({"type": r["type"], "outgoing": r["outgoing"], "link": link, "other": _item(r.data())})
    return links


def neighbours(graph: Graph, actor: Actor, uid: str, link_types=None, limit: int = 200) -> dict:
    """The records one link away from `uid`, as {center, links: [{type, outgoing, link, other}]}.

    Unreadable neighbours come back as locked placeholders (the link's properties withheld too).
    """
    link_types = list(link_types) if link_types else list(LINK_TYPES)
    bad = sorted(set(link_types) - set(LINK_TYPES))
    if bad:
        raise ValidationFailed({"link_types": [f"unknown link type(s): {', '.join(bad)}"]})
    if not 1 <= int(limit) <= 1000:
        raise ValidationFailed({"limit": ["use 1 to 1000"]})
    guard(graph, actor, "neighbours", [uid])

    def work(tx):
        row, error = check_record(tx, actor, uid, "neighbours", any_kind=True)
        if error is not None:
            return None, error
        center = node_dict(row["node"], row["labels"])
        links = _links(tx, actor, uid, link_types, limit)
        locked = sum(1 for link in links if link["other"].get("locked"))
        shown = _shown([link["other"] for link in links], uid)
        audit.record(tx, actor, "view", [uid, *shown], details={"op": "neighbours", "shown": len(links) - locked,
                                                        "locked": locked, "link_types": sorted(link_types)})
        notifications.notify_owner(tx, actor, row["owner_uid"], "view", record_uid=uid, record_type=center["type"],
                                   record_caption=center["caption"], displayed=True, message="expanded its links")
        return {"center": center, "links": links}, None

    out, error = graph.write(work)
    if error is not None:
        raise error
    return out
