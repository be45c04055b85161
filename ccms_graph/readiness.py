"""What `/ready` asks before a load balancer sends this app traffic: Neo4j answers and the schema is in.

`/health` is liveness only (the process answers, no database), so an orchestrator does not restart a
healthy app because Neo4j is down, which would not help. Readiness is the other question: can this
instance serve a request now? It can when Neo4j answers within the driver's bounded waits and every
constraint and index `cypher/schema.cypher` creates exists and is ONLINE (a query on a missing or
still-populating index is slow or refused). Jobs need no separate process to be served: each app process runs a worker
thread of its own beside `ccms-graph worker`.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field

import neo4j

from .db import Graph, cypher, statements

log = logging.getLogger(__name__)

_CREATE = re.compile(r"^CREATE\s+(?:(?:FULLTEXT|RANGE|TEXT|POINT|VECTOR|LOOKUP)\s+)?(CONSTRAINT|INDEX)\s+(\w+)",
                     re.IGNORECASE)


def expected_schema() -> tuple[frozenset[str], frozenset[str]]:
    """The names of the constraints and the indexes `cypher/schema.cypher` creates."""
    constraints: set[str] = set()
    indexes: set[str] = set()
    for stmt in statements(cypher("schema")):
        m = _CREATE.match(stmt)
        if m:
            (constraints if m.group(1).upper() == "CONSTRAINT" else indexes).add(m.group(2))
    return frozenset(constraints), frozenset(indexes)


@dataclass(frozen=True)
class Readiness:
    neo4j: bool
    # Schema objects the schema file creates that the database lacks or has not finished building.
    missing: tuple[str, ...] = field(default=())

    @property
    def ready(self) -> bool:
        return self.neo4j and not self.missing

    def as_dict(self) -> dict:
        # Counts, not names: /ready answers anyone, and the names help no one but an operator (who
        # finds them in the log and in `ccms-graph init-db`).
        return {"status": "ready" if self.ready else "not ready", "neo4j": self.neo4j,
                "schema": self.neo4j and not self.missing, "schema_missing": len(self.missing)}


def check(graph: Graph) -> Readiness:
    """Ask Neo4j, within the driver's bounded waits, whether this instance can serve requests."""
    constraints, indexes = expected_schema()
    try:
        have_constraints = {r["name"] for r in graph.query("SHOW CONSTRAINTS YIELD name RETURN name")}
        online = {r["name"] for r in graph.query("SHOW INDEXES YIELD name, state RETURN name, state")
                  if r["state"] == "ONLINE"}
    except (neo4j.exceptions.DriverError, neo4j.exceptions.Neo4jError, OSError) as exc:
        log.warning("not ready: Neo4j at %s does not answer: %s", graph.settings.bolt_uri, exc)
        return Readiness(neo4j=False)
    missing = sorted((constraints - have_constraints) | (indexes - online))
    if missing:
        log.warning("not ready: schema objects missing or not online (run `ccms-graph init-db`): %s",
                    ", ".join(missing))
    return Readiness(neo4j=True, missing=tuple(missing))
