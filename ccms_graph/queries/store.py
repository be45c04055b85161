"""Analysts' own queries: every saved version kept; each runs for its author only until approved into the catalogue.

A saved query is `(:SavedQuery {name, author_uid, latest_version, approved_version})` with one
`(:SavedQueryVersion {name, version, text, saved_by, saved_at})-[:VERSION_OF]->` node per save; a version
is never changed except to record its approval. The same parsing and write refusals as the catalogue
files apply (`loader.parse`), plus the planner's verdict (`loader.explain`), at save time and again at
approval. The author may run any of their versions; everyone else (with a role the header allows) runs
only the approved version, and only once a supervisor in the author's chain (someone the author reports
to, directly or through others; `Actor.subordinates`) approved it. Nobody approves their own query, and
no other supervisor or administrator approves one: the reviewer is the one answerable for the author.
"""

from __future__ import annotations

from dataclasses import replace

from ..db import Graph
from ..errors import Conflict, DomainError, Forbidden, NotFound, ValidationFailed
from ..logic.common import plain
from ..logic.oversight import audit, notifications
from ..policy.actor import Actor
from ..policy.rules import require_active, require_supervisor_of
from . import loader

#: Roles that may write queries of their own.
AUTHOR_ROLES = ("analyst", "agent", "supervisor")
#: The longest query text accepted.
MAX_TEXT = 20_000

_LOCK = """
MERGE (q:SavedQuery {name: $name})
  ON CREATE SET q.author_uid = $actor, q.created_at = datetime(), q.latest_version = 0
SET q.locked_at = datetime()
RETURN properties(q) AS q
"""

_ADD_VERSION = """
MATCH (q:SavedQuery {name: $name})
SET q.latest_version = $version, q.updated_at = datetime()
CREATE (v:SavedQueryVersion {name: $name, version: $version, text: $text, saved_by: $actor,
                             saved_at: datetime(), description: $description, kind: $kind})
CREATE (v)-[:VERSION_OF]->(q)
"""

_GET = """
MATCH (q:SavedQuery {name: $name})
OPTIONAL MATCH (v:SavedQueryVersion {name: $name})-[:VERSION_OF]->(q)
WITH q, v ORDER BY v.version
RETURN properties(q) AS q, collect(properties(v)) AS versions
"""

_APPROVE = """
MATCH (q:SavedQuery {name: $name})
MATCH (v:SavedQueryVersion {name: $name, version: $version})-[:VERSION_OF]->(q)
SET q.approved_version = $version, q.approved_by = $actor, q.approved_at = datetime(),
    v.approved_by = $actor, v.approved_at = datetime()
"""

_LIST = """
MATCH (q:SavedQuery)
WHERE q.author_uid = $me OR q.approved_version IS NOT NULL
MATCH (v:SavedQueryVersion {name: q.name})-[:VERSION_OF]->(q)
WHERE v.version = CASE WHEN q.author_uid = $me THEN q.latest_version ELSE q.approved_version END
RETURN properties(q) AS q, v.text AS text, v.version AS version
ORDER BY q.name
"""


def parse_saved(name: str, text: str, version: int | None = None) -> loader.QueryDef:
    """Parse saved text as a query; ValidationFailed (on `text`) with the loader's reason if it is refused."""
    if not isinstance(text, str) or not text.strip():
        raise ValidationFailed({"text": ["give the query's text: a header block and one Cypher statement"]})
    if len(text) > MAX_TEXT:
        raise ValidationFailed({"text": [f"at most {MAX_TEXT} characters"]})
    try:
        return loader.parse(name, text, source="saved", path=f"saved:{name}@{version or 'new'}")
    except loader.QueryFileError as exc:
        raise ValidationFailed({"text": [exc.message]}, detail=str(exc)) from None


def _check_planner(graph: Graph, qdef: loader.QueryDef) -> None:
    try:
        loader.explain(graph, qdef)
    except loader.QueryFileError as exc:
        raise ValidationFailed({"text": [exc.message]}, detail=str(exc)) from None


def save_query(graph: Graph, actor: Actor, name: str, text: str) -> int:
    """Save a new version of the actor's own query `name`; returns its version number (1, 2, ...).

    Refused (ValidationFailed on `text`) when the text is malformed or could write; Conflict when the
    name belongs to the catalogue or to another author's query.
    """
    try:
        require_active(actor)
        if actor.role not in AUTHOR_ROLES:
            raise Forbidden(f"the {actor.role} role does not write queries")
        if not isinstance(name, str) or not loader.NAME_RE.match(name):
            raise ValidationFailed({"name": ["2-63 lower_case letters, digits and _, starting with a letter"]})
        if name in loader.catalogue_queries():
            raise Conflict(f"{name} is a catalogue query; choose another name")
        qdef = parse_saved(name, text)
        _check_planner(graph, qdef)
    except DomainError as exc:
        raise audit.refuse(graph, actor, exc, "save_query", [], query=name) from None

    def work(tx):
        q = tx.run(_LOCK, name=name, actor=actor.uid).single()["q"]
        if q["author_uid"] != actor.uid:
            return None, Conflict(f"the query name {name} is taken by another author")
        version = int(q.get("latest_version") or 0) + 1
        tx.run(_ADD_VERSION, name=name, version=version, text=text, actor=actor.uid,
               description=qdef.description, kind=qdef.kind).consume()
        audit.record(tx, actor, "create", [], details={"op": "save_query", "query": name, "version": version})
        return version, None

    version, error = graph.write(work)
    if error is not None:
        raise audit.refuse(graph, actor, error, "save_query", [], query=name)
    return version


def get_saved(graph: Graph, name: str) -> dict:
    """A saved query and all its versions (oldest first); NotFound if there is none."""
    rows = graph.query(_GET, {"name": name})
    if not rows or rows[0]["q"] is None:
        raise NotFound(f"no saved query {name}")
    return {**plain(rows[0]["q"]), "versions": [plain(v) for v in rows[0]["versions"]]}


def approve_query(graph: Graph, approver: Actor, name: str, version: int) -> dict:
    """Approve version `version` of a saved query into the shared catalogue: only a supervisor above the
    author (the author's supervisor chain), never the author. Refusals are audited."""
    try:
        require_active(approver)
        if not approver.subordinates:  # answered before any lookup: no one reports to them
            raise Forbidden("only a supervisor in the author's chain (someone the author reports to) "
                            "approves their queries into the catalogue")
        saved = get_saved(graph, name)
        if saved["author_uid"] == approver.uid:
            raise Forbidden("a query's author cannot approve it; ask a supervisor you report to")
        require_supervisor_of(approver, saved["author_uid"],
                              "only a supervisor in the author's chain (someone the author reports to) "
                              "approves their queries into the catalogue")
        chosen = next((v for v in saved["versions"] if v["version"] == version), None)
        if chosen is None:
            raise NotFound(f"{name} has no version {version}")
        qdef = parse_saved(name, chosen["text"], version)  # refuse anything today's rules refuse
        _check_planner(graph, qdef)
    except DomainError as exc:
        raise audit.refuse(graph, approver, exc, "approve_query", [], query=name, version=version) from None

    def work(tx):
        tx.run(_LOCK, name=name, actor=approver.uid).consume()
        tx.run(_APPROVE, name=name, version=int(version), actor=approver.uid).consume()
        audit.record(tx, approver, "approve", [], details={"op": "approve_query", "query": name,
                                                           "version": int(version)})
        notifications.notify(tx, saved["author_uid"], "approval_decided", actor_uid=approver.uid,
                             actor_name=approver.name, item_kind="query", message=(
                                 f"{approver.name} approved version {version} of your query {name} "
                                 "into the shared catalogue"))

    graph.write(work)
    return get_saved(graph, name)


def resolve(graph: Graph, actor: Actor, name: str, version: int | None = None) -> tuple[loader.QueryDef, int | None]:
    """The query `actor` runs under `name`: the catalogue file, else the saved version they may run."""
    catalogue = loader.catalogue_queries()
    if name in catalogue:
        if version is not None:
            raise ValidationFailed({"version": ["catalogue queries have no saved versions"]})
        return catalogue[name], None
    try:
        saved = get_saved(graph, name)
    except NotFound:
        raise NotFound(f"no query {name}") from None
    if saved["author_uid"] == actor.uid:
        wanted = version or saved["latest_version"]
    elif saved.get("approved_version") is not None and version in (None, saved["approved_version"]):
        wanted = saved["approved_version"]
    else:
        raise NotFound(f"no query {name}")  # unapproved queries exist for their authors only
    chosen = next((v for v in saved["versions"] if v["version"] == wanted), None)
    if chosen is None:
        raise NotFound(f"{name} has no version {version}")
    qdef = parse_saved(name, chosen["text"], wanted)
    if wanted != saved.get("approved_version"):
        # Until someone in the author's chain has read it, a draft returns only nodes, links and paths,
        # each checked against the policy after the run (defence in depth behind the guard).
        qdef = replace(qdef, kind="graph", extra={**qdef.extra, "draft": True})
    return qdef, wanted


def list_saved(graph: Graph, actor: Actor) -> list[tuple[loader.QueryDef, dict]]:
    """The saved queries the actor may run: their own (latest version) and every approved one."""
    out = []
    for row in graph.query(_LIST, {"me": actor.uid}):
        try:
            qdef = parse_saved(row["q"]["name"], row["text"], row["version"])
        except ValidationFailed:
            continue  # a version today's rules refuse is not offered (running it would be refused too)
        out.append((qdef, {**plain(row["q"]), "version": row["version"]}))
    return out
