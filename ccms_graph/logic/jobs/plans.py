"""Warm Neo4j's plan cache with the product's own reads, so the first user after a restart does not wait.

Neo4j plans a statement the first time it sees its text (and parameter types), and again when the
store's statistics have moved far enough. The policy-composed reads are big statements: on the sandbox
seed, after the plan cache is emptied (as a server restart empties it), the first record page takes
2.0 s, the first shortest path 4.2 s and the first map 3.1 s, where each takes 0.03-0.13 s after the
warm-up (`benchmarks/cold_plans.py`). Every user's statements share one plan (`policy.rules.NONE`), so
one run of each read plans them for everyone.

`warm` runs those reads (a record page, a case page, search, neighbours, shortest path, the map and
time bar of an area and of a case, the calls between two numbers) through the very functions the
pages and the API call, as an auditor that is no stored user (an auditor reads everything, so each
read runs every statement), on a `db.RolledBack` view: their audit
entries and anything else they write roll back, so the warm-up leaves no trace and tells no one.
Nothing read leaves this module. The worker runs it as the scheduled task `warm_plans`, every
`CCMS_WARM_PLANS_EVERY_SECONDS`, which also replans what moved statistics made stale before a user
meets it. On a cluster each member has its own cache and a run warms the member it reaches.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from ...db import Graph, RolledBack
from ...errors import DomainError
from ...policy.actor import Actor
from ..entities import access
from ..identity import telecom
from ..location import map as area_map
from ..location import timeline

#: Who the warm-up reads as: an auditor (reads everything, notifies no one) that no user is. Its office is
#: text, as a user's is, so the audit entries its reads build (and roll back) have a user's entries' shape.
WARMER = Actor(uid="plan-warm-up", username="plan-warm-up", name="CCMS-Graph plan warm-up", role="auditor",
               office_code="plan-warm-up", training_expires="9999-12-31")

#: A box of open sea (a hundred metres square off West Africa) for the map and the time bar: the statements
#: are the ones any box runs, with next to nothing in it to read, however large the store.
_OPEN_SEA = "0,0,0.001,0.001"

_SAMPLES = """
CALL () { OPTIONAL MATCH (p:Person) WHERE coalesce(p.deleted, false) = false
          WITH p LIMIT 2 RETURN collect(p.uid) AS people }
CALL () { OPTIONAL MATCH (c:Case) WITH c LIMIT 1 RETURN c.uid AS case_uid }
RETURN people, case_uid
"""

#: The reads warmed, by name: `(graph, actor, people, case_uid)`; each needs the records it names.
READS: dict[str, tuple[Callable[[Graph, Actor, list[str], str], object], str]] = {
    "record_page": (lambda g, a, people, case: access.view_record(g, a, people[0], with_links=True), "people"),
    "case_page": (lambda g, a, people, case: access.view_record(g, a, case, with_links=True), "case"),
    "search": (lambda g, a, people, case: access.search(g, a, "plan warm-up"), ""),
    "neighbours": (lambda g, a, people, case: access.neighbours(g, a, people[0]), "people"),
    "shortest_path": (lambda g, a, people, case: access.shortest_path(g, a, people[0], people[-1]), "two people"),
    "map": (lambda g, a, people, case: area_map.features(g, a, bbox=_OPEN_SEA), ""),
    "time_bar": (lambda g, a, people, case: timeline.timeline(g, a, bbox=_OPEN_SEA), ""),
    "case_map": (lambda g, a, people, case: area_map.features(g, a, case_uid=case), "case"),
    "case_time_bar": (lambda g, a, people, case: timeline.timeline(g, a, case_uid=case), "case"),
    # Two numbers no one holds (555-01xx is reserved for fiction): the statement is every pair's.
    "calls_between": (lambda g, a, people, case: telecom.calls_between(g, a, "+12025550100", "+12025550101"), ""),
}


def warm(graph: Graph) -> dict:
    """Run every read of `READS` once, rolled back: {warmed: [names], skipped: {name: why}, seconds}.
    A read the store has no records for is skipped (an empty store); one the policy refuses says why."""
    started = time.perf_counter()
    row = graph.query(_SAMPLES)[0]
    people, case_uid = row["people"], row["case_uid"]
    have = {"": True, "people": bool(people), "two people": len(people) == 2, "case": case_uid is not None}
    view = RolledBack(graph)
    warmed, skipped = [], {}
    for name, (read, needs) in READS.items():
        if not have[needs]:
            skipped[name] = f"no {needs} stored"
            continue
        try:
            read(view, WARMER, people, case_uid or "")
        except DomainError as exc:
            skipped[name] = exc.detail
            continue
        warmed.append(name)
    return {"warmed": warmed, "skipped": skipped, "seconds": round(time.perf_counter() - started, 2)}
