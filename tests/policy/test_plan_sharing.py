"""Every actor's policy-composed queries share one plan in Neo4j's plan cache.

Neo4j keys its cache on the query text and the parameters' types, and by default on the size bucket of
each list and string too; an empty list is another type than a list of strings. Without the two
measures (`rules.NONE` standing in for an empty list, `internal.cypher.use_parameter_size=false` in the
server's configuration) an agent, a supervisor and the system each planned the catalogue's queries anew,
2-4 s apiece at 1M, and the start-up EXPLAIN warmed only the system's plan.
"""

from __future__ import annotations

import re

from ccms_graph.policy import scopes
from ccms_graph.policy.actor import SYSTEM
from ccms_graph.policy.rules import NONE, actor_params

QUERY = f"MATCH (c:Case) WHERE {scopes.case_readable('c')} RETURN count(c) AS n"


def _cached_after(graph, param_sets: list[dict]) -> int:
    """How many entries the plan caches hold after running QUERY with each parameter set on a cleared cache."""
    with graph.driver.session(database=graph.database) as s:
        s.run("CALL db.clearQueryCaches()").consume()
        for params in param_sets:
            s.run(QUERY, params).consume()
        message = s.run("CALL db.clearQueryCaches()").single()[0]
    found = re.search(r"cleared of (\d+) quer", message)
    return int(found.group(1)) if found else 0  # "Query cache already empty."


def _one_plan(graph, param_sets: list[dict], tries: int = 5) -> bool:
    # Another thread of the test process (a worker or sequencer another test's app left running) may run
    # a query between the clears, which only ever adds entries: the fewest seen over a few tries is the
    # count without that noise. A plan per shape shows on every try.
    def fewest(sets: list[dict]) -> int:
        return min(_cached_after(graph, sets) for _ in range(tries))

    return fewest(param_sets) == fewest(param_sets[:1])


def test_actors_with_and_without_subordinates_offices_and_grants_share_one_plan(graph, org):
    actors = (SYSTEM, org.agent_a, org.sup_mia, org.auditor, org.analyst_mia)
    params = [actor_params(a) for a in actors]
    # The shapes differ: no offices (the system), one office, a subtree; no subordinates, several.
    assert len({len(p["offices"]) for p in params}) > 1 and any(p["subordinates"] == [NONE] for p in params)
    assert any(len(p["subordinates"]) > 1 for p in params)
    assert _one_plan(graph, params)
    # What the stand-in saves: an empty list is planned apart from a list of strings (so this test could fail).
    raw = [{**p, "subordinates": [x for x in p["subordinates"] if x != NONE]} for p in params]
    assert not _one_plan(graph, raw)
