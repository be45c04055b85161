"""Run a saved query: read-only transaction, time-out, row limit, policy check of every result, audit, notify.

The query that runs is the guard's print of the query (`guard`): the access policy is composed into
every pattern, so hidden records never match and a result is what the query would return on a
database holding only what the user may read. Nothing after the run may depend on hidden records
either, so the runner no longer drops rows or shows locked placeholders (a row that vanished, or a
placeholder that appeared, when a hidden record matched was itself the leak). It checks instead, in
the SAME read transaction, that every node, relationship and path in the result is readable
(`policy.scopes`), and refuses the whole run if one is not: that can only be a defect of the guard,
and it fails closed.

A failure while running (a Cypher runtime error) answers a generic message with an error id; the
server's own message, which may quote values, goes only into the audit entry of the refusal.

Only then, in a write transaction, the run is audited ("query": name, version, parameters, the uids
returned, and the records the parameters name, e.g. the numbers of `call_history`, whose rows hold no
uids) and the owners of the returned records are told, as for views. A run whose result leaves as a
file (`export="csv"`) is audited as an "export" instead, with the same details. Nothing is returned
unless that entry was committed.
"""

from __future__ import annotations

import csv
import io
import json
import uuid
from dataclasses import dataclass, field, replace

import neo4j
from neo4j.graph import Node, Path, Relationship

from ..db import Graph
from ..errors import DomainError, Forbidden, ValidationFailed
from ..logic.common import csv_safe, record_type_of
from ..logic.oversight import audit, notifications
from ..nodes.vocabulary import ALL_RECORD_TYPES, SELECTOR_TYPES, caption, caption_projection
from ..policy.actor import Actor
from ..policy.rules import actor_params, readable_uids, require_active
from ..settings import Settings
from . import loader, store
from .params import validate_params

#: A query may run the deployment's `query_timeout` seconds unless its header asks for less (or, up to
#: MAX_TIMEOUT, more), and return its `query_max_rows` rows unless the header asks for fewer (or, up to
#: MAX_ROWS, more); both settings come with the graph.
MAX_TIMEOUT = 120.0
MAX_ROWS = 10_000
#: At most this many owner notifications per run.
NOTIFY_CAP = 200
#: The file formats a run may leave in; such a run is audited as an "export".
EXPORT_FORMATS = ("csv",)


class QueryTimedOut(DomainError):
    status = 504
    title = "Query timed out"


@dataclass
class Result:
    """What a run returns. Tables fill `columns`/`rows`; graphs fill `nodes`/`edges`."""

    name: str
    kind: str
    columns: list[str] = field(default_factory=list)
    rows: list[dict] = field(default_factory=list)
    nodes: list[dict] = field(default_factory=list)
    edges: list[dict] = field(default_factory=list)
    #: More rows matched than the row limit allowed.
    truncated: bool = False
    #: Kept for the API's shape: always 0 now that the policy is part of the query (nothing is withheld
    #: after the run, since withholding would itself depend on hidden records).
    withheld: int = 0
    version: int | None = None
    params: dict = field(default_factory=dict)

    def sorted(self, column: str, descending: bool = False) -> Result:
        """The table sorted on one of its own columns (None last); ValidationFailed for another name."""
        if column not in self.columns:
            raise ValidationFailed({"sort": [f"sort by one of {', '.join(self.columns)}"]})

        def key(row):
            v = row.get(column)
            if isinstance(v, dict):
                v = v.get("caption") or v.get("uid")
            if isinstance(v, list):
                v = len(v)
            return (v is None, (0, v) if isinstance(v, int | float) and not isinstance(v, bool) else (1, str(v)))

        rows = sorted(self.rows, key=key, reverse=descending)
        if descending:  # keep None last either way
            rows = [r for r in rows if r.get(column) is not None] + [r for r in rows if r.get(column) is None]
        return replace(self, rows=rows)

    def to_dict(self) -> dict:
        return {"name": self.name, "kind": self.kind, "version": self.version, "params": self.params,
                "columns": self.columns, "rows": self.rows, "nodes": self.nodes, "edges": self.edges,
                "truncated": self.truncated, "withheld": self.withheld}


def _csv_cell(v) -> str:
    if v is None:
        return ""
    if isinstance(v, dict):
        if v.get("locked"):
            return csv_safe(f"[locked {v.get('type') or 'record'}]")
        if "caption" in v or "uid" in v:
            return csv_safe(v.get("caption") or v.get("uid") or "")
        return csv_safe(json.dumps(v, sort_keys=True, default=str))
    if isinstance(v, list):
        return csv_safe("; ".join(_csv_cell(x).removeprefix("'") for x in v))
    return csv_safe(v)


def to_csv(result: Result) -> str:
    """A table result as CSV text (header row first); a graph result as its node list."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    if result.kind == "graph":
        writer.writerow(["uid", "type", "caption", "locked"])
        for n in result.nodes:
            writer.writerow([csv_safe(n.get("uid")), csv_safe(n.get("type")), csv_safe(n.get("caption")),
                             csv_safe(bool(n.get("locked")))])
        return out.getvalue()
    writer.writerow([csv_safe(c) for c in result.columns])
    for row in result.rows:
        writer.writerow([_csv_cell(row.get(c)) for c in result.columns])
    return out.getvalue()


# ---------------------------------------------------------------------------------------------
# The policy check over whatever the query returned
# ---------------------------------------------------------------------------------------------

#: What each node a result holds is (the policy's verdict comes from `rules.readable_uids`, which asks one
#: statement per kind of record: the whole `scopes.record_readable` here took Neo4j 2.5-3.5 s to plan, and
#: again each time the store's statistics moved, on top of the query being run).
_CHECK_NODES = """
UNWIND $ids AS id
MATCH (n) WHERE elementId(n) = id
RETURN id, n.uid AS uid, n:Linkable AND coalesce(n.deleted, false) = false AS linkable
"""

#: The readable records' labels, owners and captions. Strings of the result that are uids of records the
#: user may read name audit targets and owners to tell; strings naming anything else change nothing.
_CAPTIONS = f"""
UNWIND $uids AS u
MATCH (n:Linkable {{uid: u}})
RETURN u AS uid, labels(n) AS labels, coalesce(n.owner_uid, n.author_uid) AS owner_uid,
       {caption_projection("n")} AS props
"""


class PolicyBreach(Exception):
    """A result held a node the user may not read: the guard let something through. Never shown."""


def _walk(value, nodes: dict, strings: set) -> None:
    """Collect every node (by element id) and every string found anywhere in one returned value."""
    if isinstance(value, Node):
        nodes[value.element_id] = value
    elif isinstance(value, Relationship):
        for n in (value.start_node, value.end_node):
            if n is not None:
                nodes[n.element_id] = n
    elif isinstance(value, Path):
        for n in value.nodes:
            nodes[n.element_id] = n
    elif isinstance(value, str):
        strings.add(value)
    elif isinstance(value, dict):
        for v in value.values():
            _walk(v, nodes, strings)
    elif isinstance(value, list | tuple):
        for v in value:
            _walk(v, nodes, strings)


def _scalar(v):
    """One value of a result row as JSON: temporals as ISO text, anything else unknown as its text."""
    if hasattr(v, "iso_format"):
        return v.iso_format()
    if isinstance(v, float | int | str | bool) or v is None:
        return v
    return str(v)


_KNOWN_TYPES = ("Case", *ALL_RECORD_TYPES, *SELECTOR_TYPES)


def type_of(labels) -> str:
    """A node's record type from its labels, whatever order they come in."""
    labels = set(labels or ())
    known = next((t for t in _KNOWN_TYPES if t in labels), None)
    return known or record_type_of(sorted(labels - {"Linkable"}))


def _node_out(info: dict) -> dict:
    """A readable node as the result shows it (from the check's own read: related nodes come without
    properties when only a relationship was returned)."""
    props = info.get("props") or {}
    type_name = type_of(info["labels"])
    return {"uid": props.get("uid"), "type": type_name, "caption": caption(type_name, props), "locked": False}


class _Checked:
    """The policy's verdict on every node a result holds, and the readable records its strings name."""

    def __init__(self, tx, actor: Actor, records: list[neo4j.Record]):
        nodes: dict[str, Node] = {}
        strings: set[str] = set()
        for rec in records:
            for v in rec.values():
                _walk(v, nodes, strings)
        found = {r["id"]: (r["uid"], r["linkable"]) for r in tx.run(_CHECK_NODES, ids=list(nodes))}
        readable = readable_uids(tx, actor, [uid for uid, linkable in found.values() if linkable] + sorted(strings))
        #: uid -> labels, owner_uid, props of every readable record the result holds or names.
        self.by_uid = {r["uid"]: dict(r.items()) for r in tx.run(_CAPTIONS, uids=sorted(readable))}
        bad = [eid for eid in nodes if not (found.get(eid, (None, False))[1] and found[eid][0] in readable)]
        if bad:
            raise PolicyBreach(f"{len(bad)} unreadable node(s) in the result, e.g. labels "
                               f"{sorted(nodes[bad[0]].labels)}")
        self.by_id = {eid: self.by_uid[found[eid][0]] for eid in nodes}


def _cell(value, checked: _Checked, seen: set):
    """One table cell as plain JSON; the uids of readable records it holds are added to `seen`."""
    if isinstance(value, Node):
        out = _node_out(checked.by_id[value.element_id])
        seen.add(out["uid"])
        return out
    if isinstance(value, Relationship):
        ends = [_cell(n, checked, seen) for n in (value.start_node, value.end_node)]
        return {"type": value.type, "source": ends[0]["uid"], "target": ends[1]["uid"]}
    if isinstance(value, Path):
        return {"nodes": [_cell(n, checked, seen) for n in value.nodes],
                "edges": [_cell(r, checked, seen) for r in value.relationships]}
    if isinstance(value, dict):
        return {str(k): _cell(v, checked, seen) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_cell(v, checked, seen) for v in value]
    if isinstance(value, str):
        if value in checked.by_uid:
            seen.add(value)
        return value
    return _scalar(value)


def _table(records, checked: _Checked) -> tuple[list[dict], list[str]]:
    rows: list[dict] = []
    shown: set[str] = set()
    for rec in records:
        rows.append({k: _cell(v, checked, shown) for k, v in rec.items()})
    return rows, sorted(u for u in shown if u)


def _graph(records, checked: _Checked) -> tuple[list[dict], list[dict], list[str]]:
    rels: dict[str, Relationship] = {}
    node_objs: dict[str, Node] = {}

    def collect(v):
        if isinstance(v, Node):
            node_objs[v.element_id] = v
        elif isinstance(v, Relationship):
            rels[v.element_id] = v
            for n in (v.start_node, v.end_node):
                node_objs[n.element_id] = n
        elif isinstance(v, Path):
            for n in v.nodes:
                node_objs[n.element_id] = n
            for r in v.relationships:
                rels[r.element_id] = r
        elif isinstance(v, list | tuple):
            for x in v:
                collect(x)
        elif isinstance(v, dict):
            for x in v.values():
                collect(x)

    for rec in records:
        for v in rec.values():
            collect(v)
    nodes = {eid: {"id": checked.by_id[eid]["uid"], **_node_out(checked.by_id[eid])} for eid in sorted(node_objs)}
    edges = []
    for _eid, r in sorted(rels.items()):
        if r.start_node is None or r.end_node is None:  # the driver always returns a result's ends
            continue
        a, b = nodes[r.start_node.element_id], nodes[r.end_node.element_id]
        edge = {"source": a["id"], "target": b["id"], "type": r.type, "uid": r.get("uid")}
        if r.type == "CALLED":
            edge["props"] = {k: _scalar(r.get(k)) for k in ("count", "first_at", "last_at", "total_seconds")}
        edges.append(edge)
    shown = sorted(n["uid"] for n in nodes.values() if n["uid"])
    return list(nodes.values()), edges, shown


# ---------------------------------------------------------------------------------------------
# Running
# ---------------------------------------------------------------------------------------------

#: The records a query's parameters name: uid parameters directly, phone parameters by their number.
_PARAM_RECORDS = """
UNWIND $uids AS u
MATCH (n:Linkable {uid: u})
RETURN n.uid AS uid
UNION
UNWIND $phones AS e
MATCH (n:Phone {e164: e})
RETURN n.uid AS uid
"""


def _param_records(tx, qdef: loader.QueryDef, params: dict) -> list[str]:
    """The uids of the records the run's parameters name, for the audit entry only (never returned)."""
    def values(ptype: str) -> list[str]:
        return [str(params[p.name]) for p in qdef.params if p.type == ptype and params.get(p.name)]

    uids, phones = values("uid"), values("phone")
    if not uids and not phones:
        return []
    return sorted(r["uid"] for r in tx.run(_PARAM_RECORDS, uids=uids, phones=phones))


def _refused(graph: Graph, actor: Actor, error: DomainError, name: str, params=None, export: str | None = None) -> DomainError:
    extra = {"format": export} if export else {}
    return audit.refuse(graph, actor, error, "query", [], query=name, params=params, **extra)


def _failed(graph: Graph, actor: Actor, name: str, params, export: str | None, **detail) -> DomainError:
    """A run that failed on the server (or broke the policy check): a generic answer with an error id, and
    the full detail, which may quote values of records, in the audit entry only."""
    error_id = uuid.uuid4().hex[:12]
    error = ValidationFailed({"query": [f"{name} failed while running (error {error_id}); nothing is shown "
                                        "about why here: an auditor can find the details under this id"]},
                             detail=f"{name} failed while running (error {error_id})")
    extra = {"format": export} if export else {}
    return audit.refuse(graph, actor, error, "query", [], query=name, params=params, error_id=error_id,
                        **detail, **extra)


def _limits(settings: Settings, qdef: loader.QueryDef, timeout: float | None,
            row_limit: int | None) -> tuple[float, int]:
    t = min(float(timeout or qdef.timeout or settings.query_timeout), MAX_TIMEOUT)
    n = min(int(row_limit or qdef.max_rows or settings.query_max_rows), MAX_ROWS)
    if t <= 0 or n <= 0:
        raise ValidationFailed({"limits": ["time-out and row limit must be positive"]})
    return t, n


def _jsonable(params: dict) -> dict:
    return {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in params.items()}


def execute(graph: Graph, actor: Actor, qdef: loader.QueryDef, raw_params: dict | None, *, version: int | None = None,
            timeout: float | None = None, row_limit: int | None = None, export: str | None = None) -> Result:
    """Run an already-resolved query for `actor` (see `run_query`, which resolves it by name)."""
    if export is not None and export not in EXPORT_FORMATS:
        raise ValueError(f"unknown export format {export!r}")
    try:
        require_active(actor)
        if actor.role not in qdef.roles:
            raise Forbidden(f"the {actor.role} role may not run {qdef.name} (roles: {', '.join(qdef.roles)})")
        params = validate_params(qdef, raw_params)
        seconds, limit = _limits(graph.settings, qdef, timeout, row_limit)
    except DomainError as exc:
        raise _refused(graph, actor, exc, qdef.name, raw_params, export) from None
    shown_params = _jsonable(params)

    @neo4j.unit_of_work(timeout=seconds)
    def read(tx):
        result = tx.run(qdef.cypher, {**params, **actor_params(actor)})
        records = result.fetch(limit + 1)
        truncated = len(records) > limit
        records = records[:limit]
        result.consume()
        checked = _Checked(tx, actor, records)
        named = _param_records(tx, qdef, params)
        keys = list(records[0].keys()) if records else list(result.keys())
        if qdef.kind == "table":
            rows, shown = _table(records, checked)
            return Result(qdef.name, "table", columns=keys, rows=rows, truncated=truncated, version=version,
                          params=shown_params), shown, checked, named
        nodes, edges, shown = _graph(records, checked)
        return Result(qdef.name, "graph", nodes=nodes, edges=edges, truncated=truncated, version=version,
                      params=shown_params), shown, checked, named

    try:
        with graph.driver.session(database=graph.database, default_access_mode=neo4j.READ_ACCESS) as session:
            result, shown, checked, named = session.execute_read(read)
    except neo4j.exceptions.Neo4jError as exc:
        code = exc.code or ""
        if "TransactionTimedOut" in code or "Terminated" in code:
            raise _refused(graph, actor, QueryTimedOut(f"{qdef.name} ran longer than {seconds:g} s and was "
                                                       "stopped; narrow its parameters"),
                           qdef.name, shown_params, export) from None
        if "AccessMode" in code or "ForbiddenDueToTransactionType" in code or "Forbidden" in code:
            raise _refused(graph, actor, Forbidden(f"{qdef.name} tried to write; saved queries are read-only and "
                                                   "the database refused it"),
                           qdef.name, shown_params, export) from None
        raise _failed(graph, actor, qdef.name, shown_params, export, server_code=code,
                      server_message=exc.message or str(exc)) from None
    except PolicyBreach as exc:
        raise _failed(graph, actor, qdef.name, shown_params, export, policy_breach=str(exc)) from None

    def record(tx):
        details = {
            "query": qdef.name, "source": qdef.source, "version": version, "params": shown_params,
            "kind": result.kind, "returned": len(result.rows) if result.kind == "table" else len(result.nodes),
            "withheld": result.withheld, "truncated": result.truncated}
        if export:
            details["format"] = export
        targets = list(dict.fromkeys(shown + named))
        audit.record(tx, actor, "export" if export else "query", targets, details=details)
        criteria = {"query": qdef.name, "params": shown_params}
        notifications.notify_owners(tx, actor, "query", [
            (info.get("owner_uid"), {"record_uid": uid, "record_type": type_of(info.get("labels")),
                                     "record_caption": caption(type_of(info.get("labels")), info["props"])
                                     if info.get("props") else None, "criteria": criteria, "displayed": True})
            for uid, info in ((u, checked.by_uid.get(u) or {}) for u in shown)], limit=NOTIFY_CAP)

    graph.write(record)
    return result


def run_query(graph: Graph, actor: Actor, name: str, params: dict | None = None, *, version: int | None = None,
              timeout: float | None = None, row_limit: int | None = None, export: str | None = None) -> Result:
    """Run the catalogue query (or the saved query the actor may run) called `name` with `params`;
    `export="csv"` when the result leaves as a CSV file, which audits the run as an export."""
    try:
        qdef, ver = store.resolve(graph, actor, name, version)
    except DomainError as exc:
        raise _refused(graph, actor, exc, name, params, export) from None
    return execute(graph, actor, qdef, params, version=ver, timeout=timeout, row_limit=row_limit, export=export)
