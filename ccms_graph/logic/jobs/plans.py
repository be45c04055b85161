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
read runs every statement); then a supervisor's approval queue and every query of the shared
catalogue (`cypher/queries`, through `queries.runner.execute`, as analysts run them), as a supervisor
that is no stored user either, of an office no one works in: those statements are every user's too,
and they find next to nothing to read, so a catalogue query costs its plan and little work at any
size of store. All of it on a `db.RolledBack` view: their audit
entries and anything else they write roll back, so the warm-up leaves no trace and tells no one.
Nothing read leaves this module. The worker runs it as the scheduled task `warm_plans`, every
`CCMS_WARM_PLANS_EVERY_SECONDS`, which also replans what moved statistics made stale before a user
meets it. On a cluster each member has its own cache and a run warms the member it reaches.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace

from ...db import Graph, RolledBack
from ...errors import DomainError
from ...policy.actor import Actor
from ...queries import loader, runner
from ..casework import approvals
from ..entities import access
from ..identity import telecom
from ..location import map as area_map
from ..location import timeline
from ..oversight import notifications

#: Who the warm-up reads as: an auditor (reads everything, notifies no one) that no user is. Its office is
#: text, as a user's is, so the audit entries its reads build (and roll back) have a user's entries' shape.
WARMER = Actor(uid="plan-warm-up", username="plan-warm-up", name="CCMS-Graph plan warm-up", role="auditor",
               office_code="plan-warm-up", training_expires="9999-12-31")

#: Who the warm-up runs a supervisor's reads and the saved queries as: a supervisor of an office no one works
#: in, over one subordinate no user is (so the approval queue asks for their items). The statements are every
#: supervisor's and analyst's (`rules.NONE`), and they find nothing of anyone's to read, so a catalogue query
#: costs its plan, not a scan of every record.
SUPERVISOR = replace(WARMER, role="supervisor", offices=("plan-warm-up",), subordinates=("plan-warm-up-subordinate",))

#: A saved query's run in the warm-up stops after this many seconds: its plan is made before it runs.
SAVED_QUERY_SECONDS = 5.0

#: A value of each saved-query parameter type, for a parameter with no default: Neo4j plans a statement
#: for the types of its parameters, not their values (a uid and a number no record holds).
_SAMPLE_VALUES = {"uid": "plan-warm-up", "phone": "+12025550100", "string": "plan-warm-up",
                  "strings": ["plan-warm-up"], "int": 1, "float": 1.0, "bool": False, "date": "2026-01-01"}

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
    "approval_queue": (lambda g, a, people, case: approvals.approval_queue(g, SUPERVISOR), ""),
}


def _saved_query_run(qdef: loader.QueryDef, anchors: dict) -> tuple[Actor, dict]:
    """Who runs a catalogue query in the warm-up, with what. A query that starts from the records its
    parameters name (a case, two people) runs as the auditor from the sample records, so it finds them and
    its result's checks and audit entry are planned as a user's are (for the lists of uids a user's hold:
    Neo4j plans an empty list apart); at this size it is cheap. Any other runs as `SUPERVISOR`: over the
    whole store, it costs its plan and next to no work."""
    params = _sample_params(qdef)
    needs = [p.name for p in qdef.params if p.required]
    if needs and all(anchors.get(n) for n in needs) and WARMER.role in qdef.roles:
        return WARMER, {**params, **{n: anchors[n] for n in needs}}
    return SUPERVISOR, params


def _sample_params(qdef: loader.QueryDef) -> dict:
    """A catalogue query's parameters as a user sends them: its defaults, and a value of the type of each
    parameter it needs and has no default for."""
    return {p.name: _SAMPLE_VALUES[p.type] if p.default is None else p.default
            for p in qdef.params if p.required or p.default is not None}


def warm(graph: Graph) -> dict:
    """Run every read of `READS` once, and every catalogue query (`saved_query:<name>`), rolled back:
    {warmed: [names], skipped: {name: why}, seconds}. A read the store has no records for is skipped (an
    empty store); one the policy refuses, or a query that ran past `SAVED_QUERY_SECONDS`, says why."""
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
    # What a user's read writes when it shows another's record (the warm-up's readers never do: the auditor
    # tells no one, the supervisor reads nothing): the owner's notification, to a user no one is.
    view.write(lambda tx: notifications.notify_all(tx, [("plan-warm-up-owner", "view", {"record_uid": "plan-warm-up"})]))
    anchors = {"case_uid": case_uid, "from_uid": people[0] if people else None, "to_uid": people[-1] if people else None}
    for name, qdef in loader.catalogue_queries().items():
        who, params = _saved_query_run(qdef, anchors)
        try:
            runner.execute(view, who, qdef, params, timeout=SAVED_QUERY_SECONDS, row_limit=1)
        except DomainError as exc:
            skipped[f"saved_query:{name}"] = exc.detail
            continue
        warmed.append(f"saved_query:{name}")
    return {"warmed": warmed, "skipped": skipped, "seconds": round(time.perf_counter() - started, 2)}
