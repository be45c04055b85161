"""Read use cases under the access policy: view a record, search, expand neighbours, shortest path — audited.

Each function runs its policy-filtered read, its audit entry and the owners' notifications in ONE write
transaction, so nothing is returned unless the entry was committed. What the actor may not read never
leaves the database: the queries return content only where `scopes.record_readable` holds, and a locked
placeholder `{"uid", "type", "locked": True}` elsewhere (with `uid` None where the record's very
existence is protected, see `policy.scopes`). A refused read is audited ("deny") in its own transaction
and answers NotFound or Forbidden by the rule in `policy.scopes`; other users' drafts are left out.

Derived data follows its sources (`policy.scopes`, "Derived data"): a link shows only where the policy
shows it (`link_shown`, `link_readable`: a phone's call data only for the cases the actor may read, a
phone's links to hidden records not at all), with the properties it allows (`link_props`), and every
record's or link's pointer to a record the actor may not read (a hidden master's `master_uid`) is
withheld (`rules.redact_pointers`).
"""

from __future__ import annotations

import re

from ...db import Graph
from ...errors import DomainError, Forbidden, ValidationFailed
from ...nodes.vocabulary import LINK_TYPES
from ...policy import rules, scopes
from ...policy.actor import Actor
from ...policy.rules import actor_params, require_active
from ..common import node_dict, placeholder, plain
from ..oversight import audit, notifications
from ..oversight.checks import check_record, guard
from . import search as search_module


def _shown(items, center: str) -> list[str]:
    """The uids of the readable records among `items` (placeholders excepted), once each: a view's
    audit entry names them beside its centre, so "who saw record X" finds the pages that showed it."""
    return list(dict.fromkeys(i["uid"] for i in items if not i.get("locked") and i.get("uid") not in (None, center)))


def _item(row: dict) -> dict:
    if row["ok"]:
        return node_dict(row["node"], row["labels"])
    return placeholder(row["uid"], row["labels"], row["hidden"])


def _redact(tx, actor: Actor, items, links=()) -> None:
    """Withhold the pointers (master_uid, case_uid, ...) in records' and links' properties that name a
    record the actor may not read (`rules.redact_pointers`); every answer of this module passes here."""
    rules.redact_pointers(tx, actor, [*(i.get("props") for i in items if not i.get("locked")), *links])


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
        _redact(tx, actor, [out, *out.get("subjects", ()), *out.get("documents", ())])
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
# Search: in `search` (the search over everything, and the record search pickers use)
# ---------------------------------------------------------------------------------------------

SEARCH_TYPES = search_module.SEARCH_TYPES
lucene_query = search_module.lucene_query


def search(graph: Graph, actor: Actor, text: str, types=None, office: str | None = None, status: str | None = None,
           limit: int = 50) -> list[dict]:
    """The record search (`search.records`): Subject Records and cases by their words, as a flat list."""
    return search_module.records(graph, actor, text, types=types, office=office, status=status, limit=limit)


# ---------------------------------------------------------------------------------------------
# One-hop expansion
# ---------------------------------------------------------------------------------------------

# The policy's link rule is checked in a subquery after the pattern (`scopes.checked`): planning this query
# after a server start took 2-3 times as long with the rule in the MATCH's WHERE. Whether the neighbour is
# readable and whether its existence is hidden are worked out once, for the rule and the answer alike.
_NEIGHBOURS = f"""
MATCH (n:Linkable {{uid: $uid}})-[r]-(m:Linkable)
WHERE type(r) IN $types AND coalesce(r.status, 'active') = 'active' AND coalesce(m.deleted, false) = false
CALL (m) {{ RETURN {scopes.record_readable("m")} AS ok, {scopes.hidden("m")} AS hidden }}
{scopes.checked(["n", "r", "m", "ok", "hidden"], scopes.link_shown("n", "r", "m", "ok", "hidden"), "shown")}
RETURN type(r) AS type, startNode(r) = n AS outgoing, ok, hidden, labels(m) AS labels, m.uid AS uid,
       CASE WHEN ok THEN {scopes.link_props("r")} END AS link, CASE WHEN ok THEN m END AS node
ORDER BY ok DESC, type, m.uid
LIMIT $limit
"""


def _links(tx, actor: Actor, uid: str, link_types: list[str], limit: int) -> list[dict]:
    """The policy-filtered links of one record, as [{type, outgoing, link, other}]: only the links the
    policy shows (`scopes.link_shown`), with the properties it shows (`scopes.link_props`, pointers redacted)."""
    links = []
    for r in tx.run(_NEIGHBOURS, uid=uid, types=link_types, limit=int(limit), **actor_params(actor)):
        link = rules.shown(plain(r["link"])) if r["link"] else None
        links.append({"type": r["type"], "outgoing": r["outgoing"], "link": link, "other": _item(r.data())})
    _redact(tx, actor, [link["other"] for link in links], [link["link"] for link in links])
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
        _redact(tx, actor, [center])
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


# ---------------------------------------------------------------------------------------------
# Shortest path
# ---------------------------------------------------------------------------------------------

#: The longest path a search may ask for, and what it asks for unless told.
MAX_HOPS = 8
DEFAULT_HOPS = 6
_UID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")

_PATH = f"""
MATCH (a:Linkable {{uid: $from_uid}}), (b:Linkable {{uid: $to_uid}})
WHERE a <> b AND coalesce(a.deleted, false) = false AND coalesce(b.deleted, false) = false
MATCH p = SHORTEST 1 (a) ((x)-[r]-(y:Linkable)
                          WHERE r.status = 'active' AND coalesce(y.deleted, false) = false
                            AND {scopes.record_readable("y")} AND {scopes.link_readable("r")}){{1,{MAX_HOPS}}} (b)
WHERE length(p) <= $max_hops
RETURN [n IN nodes(p) | {{node: n, labels: labels(n)}}] AS nodes,
       [link IN relationships(p) | {{type: type(link), source: startNode(link).uid, target: endNode(link).uid,
                                     props: {scopes.link_props("link")}}}] AS edges
"""

_NAMED = "UNWIND $uids AS u MATCH (n:Linkable {uid: u}) RETURN n.uid AS uid"


def shortest_path(graph: Graph, actor: Actor, from_uid: str, to_uid: str, max_hops: int = DEFAULT_HOPS) -> dict:
    """The shortest chain of active links between two records the actor may read, stepping only on
    readable records and over links the policy lets them see (`scopes.link_readable`: never over the call
    data of a case they may not read); a CALLED step carries the calls they may see (`scopes.link_props`).

    Answers a graph result ({name, kind, nodes: [{id, uid, type, caption, locked}], edges: [{source,
    target, type, uid, props}]}); no path, or an end the actor may not read, answers an empty graph.
    Audited and told as the saved query `shortest_path` always was ("query", its parameters, the
    records shown and the records the parameters name), so the log reads the same whichever way it ran.
    """
    errors = {k: ["is not a record uid"] for k, v in (("from", from_uid), ("to", to_uid))
              if not isinstance(v, str) or not _UID.match(v)}
    if not isinstance(max_hops, int) or not 1 <= max_hops <= MAX_HOPS:
        errors["max_hops"] = [f"use 1 to {MAX_HOPS}"]
    params = {"from_uid": from_uid, "to_uid": to_uid, "max_hops": max_hops}
    try:
        if errors:
            raise ValidationFailed(errors)
        require_active(actor)
        if actor.role not in rules.READERS:
            raise Forbidden(f"the {actor.role} role may not run shortest_path")
    except DomainError as exc:
        raise audit.refuse(graph, actor, exc, "query", [], query="shortest_path", params=params) from None

    def work(tx):
        # Both ends readable first (`rules.readable_uids`): the whole record rule written out for each
        # end made the statement take Neo4j about twice as long to plan.
        readable = rules.readable_uids(tx, actor, [from_uid, to_uid]) >= {from_uid, to_uid}
        rec = (tx.run(_PATH, from_uid=from_uid, to_uid=to_uid, max_hops=max_hops, **actor_params(actor)).single()
               if readable else None)
        nodes = [node_dict(n["node"], n["labels"]) for n in rec["nodes"]] if rec else []
        edges = []
        for e in rec["edges"] if rec else []:
            edge = {"source": e["source"], "target": e["target"], "type": e["type"]}
            props = rules.shown(plain(e["props"])) or {}
            edge["uid"] = props.get("uid")
            if e["type"] in scopes.CASE_DERIVED:
                edge["props"] = {k: props.get(k) for k in ("count", "first_at", "last_at", "total_seconds")}
            edges.append(edge)
        shown = [n["uid"] for n in nodes]
        named = [r["uid"] for r in tx.run(_NAMED, uids=sorted({from_uid, to_uid}))]
        criteria = {"query": "shortest_path", "params": params}
        audit.record(tx, actor, "query", list(dict.fromkeys(shown + named)),
                     details={"query": "shortest_path", "source": "access", "version": None, "params": params,
                              "kind": "graph", "returned": len(nodes), "withheld": 0, "truncated": False})
        notifications.notify_owners(tx, actor, "query", [
            (n["props"].get("owner_uid") or n["props"].get("author_uid"),
             {"record_uid": n["uid"], "record_type": n["type"], "record_caption": n["caption"], "criteria": criteria,
              "displayed": True}) for n in nodes])
        return {"name": "shortest_path", "kind": "graph", "version": None, "params": params, "columns": [],
                "rows": [], "nodes": [{"id": n["uid"], "uid": n["uid"], "type": n["type"], "caption": n["caption"],
                                       "locked": False} for n in nodes],
                "edges": edges, "truncated": False, "withheld": 0}

    return graph.write(work)
