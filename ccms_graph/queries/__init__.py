"""Saved Cypher queries for analysts, run read-only under the access policy, audited, owners notified.

Every query, catalogue file or analyst's draft, goes through `guard`: a strict recognizer of a read-only
subset of Cypher that prints the query with the access policy composed into every pattern, so hidden
records never match (see `guard` for what is refused).

Usage::

    from ccms_graph import queries

    queries.loader.check_catalogue(graph)             # at start-up: every cypher/queries file parses and compiles
    for info in queries.catalogue(actor, graph):      # what this user may run (files + approved/own saved)
        print(info.name, info.kind, [p.name for p in info.params])
    result = queries.run_query(graph, actor, "shared_phones", {"min_cases": 2})
    result.kind, result.columns, result.rows          # a table ...
    result.nodes, result.edges                        # ... or a graph for the link explorer
    result.truncated                                  # the row limit cut it short
    queries.to_csv(result.sorted("cases", descending=True))

    version = queries.save_query(graph, analyst, "my_query", text)   # runs for its author only ...
    queries.approve_query(graph, supervisor, "my_query", version)    # ... until their supervisor approves it

Errors are the domain errors: ValidationFailed (bad parameters, by name; refused query text; a run that
failed on the server, with an error id only, the detail in the audit log), Forbidden
(role not allowed, a write attempt), NotFound (no such query for this user), QueryTimedOut.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..db import Graph
from ..policy.actor import Actor
from ..policy.rules import require_active
from . import loader
from .loader import CatalogueError, ParamSpec, QueryDef, QueryFileError
from .runner import QueryTimedOut, Result, run_query, to_csv
from .store import approve_query, list_saved, save_query


@dataclass(frozen=True)
class QueryInfo:
    """One runnable query as a catalogue entry (what a list or a form needs)."""

    name: str
    description: str
    kind: str
    roles: tuple[str, ...]
    params: tuple[ParamSpec, ...]
    source: str = "catalogue"
    version: int | None = None
    approved: bool = True
    author_uid: str | None = None

    def to_dict(self) -> dict:
        return {"name": self.name, "description": self.description, "kind": self.kind, "roles": list(self.roles),
                "params": [p.to_dict() for p in self.params], "source": self.source, "version": self.version,
                "approved": self.approved, "author_uid": self.author_uid}


def _info(q: QueryDef, **extra) -> QueryInfo:
    return QueryInfo(q.name, q.description, q.kind, q.roles, q.params, q.source, **extra)


def catalogue(actor: Actor, graph: Graph | None = None) -> list[QueryInfo]:
    """The queries `actor`'s role may run: the catalogue files, and with `graph` also saved queries
    (the actor's own, approved or not, and everyone's approved ones). Expired training is refused."""
    require_active(actor)
    out = [_info(q) for q in loader.catalogue_queries().values() if actor.role in q.roles]
    if graph is not None:
        for q, meta in list_saved(graph, actor):
            approved = meta.get("approved_version") == meta["version"]
            if actor.role in q.roles or meta["author_uid"] == actor.uid:
                out.append(_info(q, version=meta["version"], approved=approved, author_uid=meta["author_uid"]))
    return sorted(out, key=lambda i: (i.source != "catalogue", i.name))


__all__ = ["CatalogueError", "QueryDef", "QueryFileError", "QueryInfo", "QueryTimedOut", "Result",
           "approve_query", "catalogue", "run_query", "save_query", "to_csv"]
