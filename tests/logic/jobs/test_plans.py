"""The worker's plan warm-up: the product's heavy reads, run rolled back, plan what a user's reads then reuse."""

from __future__ import annotations

import re

from ccms_graph.db import RolledBack
from ccms_graph.logic.casework import approvals
from ccms_graph.logic.casework.cases import create_case
from ccms_graph.logic.entities import access, links, records
from ccms_graph.logic.identity import telecom
from ccms_graph.logic.jobs import plans, schedule, tasks, worker
from ccms_graph.logic.location import map as area_map
from ccms_graph.queries import loader, runner

_EVERYTHING = """
CALL () { MATCH (n) RETURN count(n) AS nodes }
CALL () { MATCH ()-[r]->() RETURN count(r) AS relationships }
CALL () { MATCH (n) RETURN collect(DISTINCT [labels(n), n.uid, n.updated_at, n.version]) AS states }
RETURN nodes, relationships, size(states) AS distinct_states
"""


def _store(graph, org) -> tuple[str, str]:
    case = create_case(graph, org.agent_a, {"title": "Operation Warm"})
    a = records.create_entity(graph, org.agent_a, "Person", {"given_name": "Ana", "family_name": "Warm"},
                              case_uid=case["uid"])
    b = records.create_entity(graph, org.agent_a, "Person", {"given_name": "Rui", "family_name": "Cold"},
                              case_uid=case["uid"])
    links.link(graph, org.agent_a, {"source_uid": a["uid"], "target_uid": b["uid"], "type": "ASSOCIATE_OF",
                                    "reason": "seen together"})
    return a["uid"], b["uid"]


def _plans_cleared(graph) -> int:
    """Empty Neo4j's plan caches (as a restart does); how many plans they held."""
    with graph.driver.session(database=graph.database) as s:
        message = s.run("CALL db.clearQueryCaches()").single()[0]
    found = re.search(r"cleared of (\d+) quer", message)
    return int(found.group(1)) if found else 0


def _held_after(graph, *steps, tries: int) -> int:
    """Plans the caches hold after `steps` run on emptied caches: the fewest of a few tries, since another
    test's app may leave a thread that runs a statement between the clears (which only ever adds)."""
    counts = []
    for _ in range(tries):
        _plans_cleared(graph)
        for step in steps:
            step()
        counts.append(_plans_cleared(graph))
    return min(counts)


def _saved_query(view, actor, name: str, **params):
    return lambda: runner.execute(view, actor, loader.catalogue_queries()[name], params)


def test_after_the_warm_up_a_users_record_case_path_and_map_reads_plan_next_to_nothing_anew(graph, org):
    a, b = _store(graph, org)
    view = RolledBack(graph)  # the user's reads as the pages run them, less the audit sequencer after a commit
    case = _case_of(graph, a)
    reads = {"record_page": lambda: access.view_record(view, org.agent_a, a, with_links=True),
             "case_page": lambda: access.view_record(view, org.agent_a, _case_of(graph, a), with_links=True),
             "shortest_path": lambda: access.shortest_path(view, org.agent_a, a, b),
             "map": lambda: area_map.features(view, org.agent_a, bbox="-180,-90,180,90"),
             "case_map": lambda: area_map.features(view, org.agent_a, case_uid=_case_of(graph, a)),
             "calls_between": lambda: telecom.calls_between(view, org.agent_a, "+13055550123", "+13055550124"),
             "approval_queue": lambda: approvals.approval_queue(view, org.sup_mia),
             # Saved queries as an analyst of the office runs them: records shown, their owner told.
             "subjects_near_case": _saved_query(view, org.analyst_mia, "subjects_near_case", case_uid=case),
             "shortest_path_query": _saved_query(view, org.analyst_mia, "shortest_path", from_uid=a, to_uid=b),
             "possible_duplicate_persons": _saved_query(view, org.analyst_mia, "possible_duplicate_persons"),
             "pending_items": _saved_query(view, org.sup_mia, "pending_items")}
    assert runner.execute(view, org.analyst_mia, loader.catalogue_queries()["subjects_near_case"],
                          {"case_uid": case}).nodes  # the analyst's query shows records (a read that tells)

    def every_read():
        for read in reads.values():
            read()

    cold = _held_after(graph, every_read, tries=1)  # noise only adds: one try says enough
    warm_up = _held_after(graph, lambda: plans.warm(graph), tries=1)
    warmed = _held_after(graph, lambda: plans.warm(graph), every_read, tries=1) - warm_up  # planned anew
    # A few at most: an audit entry whose details have another shape is planned apart (Neo4j keys a map
    # parameter's plan on its shape), in about a millisecond. Cold, the reads plan two statements each or more
    # (26 on this store), the saved queries and the approval queue one or more each of their own.
    assert cold >= 2 * len(reads) and warmed <= 4, (cold, warmed)
    assert len(access.shortest_path(view, org.agent_a, a, b)["nodes"]) == 2  # the path statement really ran


def _case_of(graph, uid: str) -> str:
    return graph.query("MATCH (:Person {uid: $u})-[:SUBJECT_IN]->(c:Case) RETURN c.uid AS uid", {"u": uid})[0]["uid"]


def test_the_warm_up_runs_every_read_and_leaves_no_trace(graph, org):
    _store(graph, org)
    before = graph.query(_EVERYTHING)
    done = plans.warm(graph)
    saved = [f"saved_query:{name}" for name in loader.catalogue_queries()]
    assert done["warmed"] == [*plans.READS, *saved] and done["skipped"] == {}
    assert graph.query(_EVERYTHING) == before  # no audit entry, notification or anything else written


def test_on_an_empty_store_the_warm_up_skips_what_needs_records_and_fails_nothing(graph):
    done = plans.warm(graph)
    assert done["warmed"] == ["search", "map", "time_bar", "calls_between", "approval_queue",
                              *(f"saved_query:{name}" for name in loader.catalogue_queries())]
    assert set(done["skipped"]) == {"record_page", "case_page", "neighbours", "shortest_path", "case_map",
                                    "case_time_bar"}


def test_a_rolled_back_view_commits_nothing_and_refuses_an_auto_committed_write(graph):
    view = RolledBack(graph)
    assert view.write(lambda tx: tx.run("CREATE (n:Scratch {x: 1}) RETURN n.x AS x").single()["x"]) == 1
    assert graph.query("MATCH (n:Scratch) RETURN count(n) AS n") == [{"n": 0}]
    try:
        view.query("CREATE (:Scratch)", write=True)
    except RuntimeError:
        pass
    else:
        raise AssertionError("an auto-committed write went through a rolled-back view")
    assert graph.query("MATCH (n:Scratch) RETURN count(n) AS n") == [{"n": 0}]


def test_the_worker_runs_the_warm_up_as_a_scheduled_task_and_keeps_its_result(graph, org):
    _store(graph, org)
    task = {t.name: t for t in worker.scheduled_tasks(graph.settings)}["warm_plans"]
    assert task.run is tasks.warm_plans and task.every == graph.settings.warm_plans_every_seconds
    w = worker.Worker(graph, tasks=[worker.Task("warm_plans", 3600, tasks.warm_plans)])
    assert w.run_due_tasks() == ["warm_plans"]
    kept = schedule.get(graph, "warm_plans")
    assert '"shortest_path"' in kept["result"] and kept["error"] is None
