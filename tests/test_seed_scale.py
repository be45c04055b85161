"""`ccms-graph seed --scale N` (issue 16): the sandbox grown by N persons, N/10 cases, links, documents and
calls, through the product's create statement, so what it stores is what the product finds."""

from __future__ import annotations

import subprocess
import sys

import pytest

from ccms_graph.logic.entities import access
from ccms_graph.policy.actor import load_actor
from seed import scale
from seed.sandbox import load

PERSONS = 120


@pytest.fixture(scope="module")
def grown(session_graph):
    from ccms_graph.db import clear_database

    clear_database(session_graph)
    load(session_graph, "sandbox-password-for-tests", wipe=False)
    before = session_graph.query("MATCH (c:Case) RETURN count(c) AS cases")[0]["cases"]
    counts = scale.grow(session_graph, PERSONS)
    yield session_graph, counts, before
    clear_database(session_graph)


def test_it_adds_the_persons_and_a_tenth_as_many_cases(grown):
    graph, counts, before = grown
    assert counts["persons"] == PERSONS and counts["cases"] == PERSONS // scale.PERSONS_PER_CASE
    rows = graph.query("""MATCH (p:Person {source: 'seed-scale'})
                          OPTIONAL MATCH (p)-[:SUBJECT_IN]->(c:Case {source: 'seed-scale'})
                          RETURN count(DISTINCT p) AS persons, count(c) AS memberships, count(DISTINCT c) AS cases""")
    assert rows == [{"persons": PERSONS, "memberships": PERSONS, "cases": PERSONS // scale.PERSONS_PER_CASE}]
    assert graph.query("MATCH (c:Case) RETURN count(c) AS n")[0]["n"] == before + counts["cases"]


def test_case_numbers_stay_unique_and_continue_the_sandbox_sequences(grown):
    graph, _counts, _before = grown
    dupes = graph.query("MATCH (c:Case) WITH c.case_number AS n, count(*) AS k WHERE k > 1 RETURN n")
    assert dupes == []
    # The next case opened through the product must not collide either: the sequences moved on.
    top = graph.query("""MATCH (c:Case) WITH split(c.case_number, '-') AS p
                         WITH p[0] + ':20' + substring(p[1], 2) AS key, max(toInteger(p[2])) AS top
                         MATCH (s:Sequence {name: 'case:' + key}) RETURN key, top, s.value AS value""")
    assert top and all(r["value"] >= r["top"] for r in top), top


def test_every_case_has_an_approved_roi_and_its_persons_are_chained(grown):
    graph, counts, _before = grown
    rows = graph.query("""MATCH (c:Case {source: 'seed-scale'})
                          RETURN count {(:ReportOfInvestigation {status: 'approved'})-[:PART_OF]->(c)} AS rois,
                                 count {(:Person)-[:ASSOCIATE_OF]->(:Person)-[:SUBJECT_IN]->(c)} AS links""")
    assert len(rows) == counts["cases"]
    assert all(r["rois"] == 1 and r["links"] == scale.PERSONS_PER_CASE - 1 for r in rows), rows


def test_its_persons_are_found_by_the_products_search_within_the_owners_scope(grown):
    graph, _counts, _before = grown
    person = graph.query("""MATCH (p:Person {source: 'seed-scale'})-[:SUBJECT_IN]->(c:Case {restricted: false})
                            MATCH (u:User {uid: p.owner_uid})
                            RETURN p.uid AS uid, p.given_name + ' ' + p.family_name AS name, u.username AS owner
                            ORDER BY p.uid LIMIT 1""")[0]
    owner = graph.read(load_actor, person["owner"])
    found = access.search(graph, owner, person["name"])
    uids = {hit["uid"] for hit in found}
    assert person["uid"] in uids


def test_the_cli_refuses_a_scale_that_is_not_a_number_of_persons():
    out = subprocess.run([sys.executable, "-m", "ccms_graph", "seed", "--scale", "lots"],
                         capture_output=True, text=True)
    assert out.returncode == 2
    assert "--scale" in out.stderr and "a number of persons" in out.stderr
    assert "Traceback" not in out.stderr
