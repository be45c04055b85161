"""Analysts' own queries: author-only until a supervisor in the author's chain approves, every version kept,
writes refused."""

from __future__ import annotations

import pytest

from ccms_graph import queries
from ccms_graph.errors import Conflict, Forbidden, NotFound, ValidationFailed
from ccms_graph.queries import store
from tests.policy import helpers as h


def query_text(name: str, body: str = "RETURN c AS case, c.uid AS uid, 'v1' AS version") -> str:
    return f"""// name: {name}
// description: Cases I may read.
// result: table
// roles: analyst, agent
MATCH (c:Case) WHERE {{{{case_readable c}}}}
{body}
ORDER BY uid
"""


@pytest.fixture
def world(graph, org):
    h.case(graph, org.agent_a, "Open MIA case")
    h.case(graph, org.agent_nyc, "NYC case")
    return org


def runs_for(graph, actor, name):
    return [r["version"] for r in queries.run_query(graph, actor, name, {}).rows]


def draft_nodes(graph, actor, name):
    """An unapproved draft returns a graph (nodes, links, paths) and never plain values."""
    result = queries.run_query(graph, actor, name, {})
    assert result.kind == "graph" and result.rows == []
    return {n["uid"] for n in result.nodes}


def test_a_new_query_runs_for_its_author_only_until_approved(graph, world):
    org = world
    assert queries.save_query(graph, org.analyst_mia, "my_cases", query_text("my_cases")) == 1
    mia_case = graph.query("MATCH (c:Case {office_code: 'MIA'}) RETURN c.uid AS uid")[0]["uid"]
    assert draft_nodes(graph, org.analyst_mia, "my_cases") == {mia_case}
    with pytest.raises(NotFound):
        queries.run_query(graph, org.agent_a, "my_cases", {})
    mine = {i.name: i for i in queries.catalogue(org.analyst_mia, graph)}
    assert mine["my_cases"].approved is False and mine["my_cases"].source == "saved"
    assert "my_cases" not in {i.name for i in queries.catalogue(org.agent_a, graph)}

    queries.approve_query(graph, org.sup_mia, "my_cases", 1)
    assert runs_for(graph, org.agent_a, "my_cases") == ["v1"]
    assert runs_for(graph, org.analyst_mia, "my_cases") == ["v1"]  # approved: a table for its author too
    assert {i.name: i.approved for i in queries.catalogue(org.agent_a, graph)}["my_cases"] is True


def test_every_version_is_kept_and_others_run_the_approved_one(graph, world):
    org = world
    queries.save_query(graph, org.analyst_mia, "my_cases", query_text("my_cases"))
    queries.approve_query(graph, org.chief, "my_cases", 1)  # above the author's supervisor: in the chain
    v2 = queries.save_query(graph, org.analyst_mia, "my_cases",
                            query_text("my_cases", "RETURN c AS case, c.uid AS uid, 'v2' AS version"))
    assert v2 == 2
    saved = store.get_saved(graph, "my_cases")
    assert [v["version"] for v in saved["versions"]] == [1, 2]
    assert "'v1'" in saved["versions"][0]["text"] and "'v2'" in saved["versions"][1]["text"]
    assert saved["versions"][0]["approved_by"] == org.chief.uid and "approved_by" not in saved["versions"][1]
    assert draft_nodes(graph, org.analyst_mia, "my_cases")  # the author runs the latest, still a draft
    assert set(runs_for(graph, org.agent_a, "my_cases")) == {"v1"}  # everyone else the approved one
    with pytest.raises(NotFound):
        queries.run_query(graph, org.agent_a, "my_cases", {}, version=2)
    queries.approve_query(graph, org.sup_mia, "my_cases", 2)
    assert set(runs_for(graph, org.agent_a, "my_cases")) == {"v2"}


def test_saved_queries_are_still_policy_filtered(graph, world):
    org = world
    queries.save_query(graph, org.analyst_mia, "my_cases", query_text("my_cases"))
    queries.approve_query(graph, org.sup_mia, "my_cases", 1)
    mia = {r["uid"] for r in queries.run_query(graph, org.agent_a, "my_cases", {}).rows}
    nyc = {r["uid"] for r in queries.run_query(graph, org.agent_nyc, "my_cases", {}).rows}
    assert mia and nyc and not mia & nyc


@pytest.mark.parametrize("who", ["analyst_mia", "agent_a", "admin", "sup_nyc", "auditor"])
def test_only_a_supervisor_in_the_authors_chain_approves(graph, world, who):
    org = world
    queries.save_query(graph, org.analyst_mia, "my_cases", query_text("my_cases"))
    with pytest.raises(Forbidden):
        queries.approve_query(graph, getattr(org, who), "my_cases", 1)
    with pytest.raises(NotFound):
        queries.approve_query(graph, org.sup_mia, "my_cases", 7)
    queries.save_query(graph, org.sup_mia, "sup_query", query_text("sup_query"))
    with pytest.raises(Forbidden, match="author cannot approve"):
        queries.approve_query(graph, org.sup_mia, "sup_query", 1)


@pytest.mark.parametrize("body", [
    "SET c.title = 'x' RETURN c.uid AS uid, 1 AS version",
    "DETACH DELETE c RETURN 1 AS uid, 1 AS version",
    "MERGE (p:Phone {e164: '+1'}) RETURN c.uid AS uid, 1 AS version",
    "CREATE (x:Person {uid: 'x'}) RETURN c.uid AS uid, 1 AS version",
    "CALL db.createProperty('x') RETURN c.uid AS uid, 1 AS version",
])
def test_saving_a_query_that_writes_is_refused_and_nothing_is_kept(graph, world, body):
    org = world
    with pytest.raises(ValidationFailed) as exc:
        queries.save_query(graph, org.analyst_mia, "bad", query_text("bad", body))
    assert list(exc.value.errors) == ["text"] and "not allowed" in exc.value.errors["text"][0]
    with pytest.raises(NotFound):
        store.get_saved(graph, "bad")


def test_saving_text_that_does_not_compile_is_refused_with_the_servers_reason(graph, world):
    with pytest.raises(ValidationFailed, match="expected an expression at ','"):  # the guard's own reading
        queries.save_query(graph, world.analyst_mia, "broken", query_text("broken", "RETURN c.uid AS uid,,"))
    with pytest.raises(ValidationFailed, match="does not compile"):  # the server's: no variable nowhere
        queries.save_query(graph, world.analyst_mia, "broken", query_text("broken", "RETURN nowhere.uid AS uid"))


def test_names_belong_to_the_catalogue_or_to_one_author(graph, world):
    org = world
    with pytest.raises(Conflict):
        queries.save_query(graph, org.analyst_mia, "shared_phones", query_text("shared_phones"))
    queries.save_query(graph, org.analyst_mia, "my_cases", query_text("my_cases"))
    with pytest.raises(Conflict):
        queries.save_query(graph, org.agent_a, "my_cases", query_text("my_cases"))
    with pytest.raises(Forbidden):
        queries.save_query(graph, org.auditor, "audit_cases", query_text("audit_cases"))
    assert [v["version"] for v in store.get_saved(graph, "my_cases")["versions"]] == [1]


def test_sub_records_count_as_their_master_and_resolved_pairs_are_not_duplicates(graph, world):
    """SUB_RECORD_OF is respected: a resolved pair links its cases and is no longer a possible duplicate."""
    org = world
    c1 = h.case(graph, org.agent_a, "First")
    c2 = h.case(graph, org.agent_b, "Second")
    master = h.person(graph, org.agent_a, c1, given_name="Maria", family_name="Lopez", dob="1980-02-03")
    sub = h.person(graph, org.agent_b, c2, given_name="Mary", family_name="Lopez", dob="1980-02-03", separate_reason="kept apart until compared")

    def pairs(name):
        rows = queries.run_query(graph, org.sup_mia, name, {}).rows
        return {tuple(sorted((r.get("case_uid") or r["person_uid"], r.get("other_case_uid") or r["other_uid"])))
                for r in rows}

    assert pairs("possible_duplicate_persons") == {tuple(sorted((master, sub)))}
    assert pairs("cases_with_common_subjects") == set()
    graph.query("""MATCH (s {uid: $sub}), (m {uid: $master})
                   CREATE (s)-[:SUB_RECORD_OF {uid: 'r1', status: 'active'}]->(m)""",
                {"sub": sub, "master": master}, write=True)
    assert pairs("possible_duplicate_persons") == set()
    assert pairs("cases_with_common_subjects") == {tuple(sorted((c1, c2)))}
    graph.query("MATCH ()-[r:SUB_RECORD_OF]->() SET r.status = 'inactive'", write=True)
    assert pairs("cases_with_common_subjects") == set()


def test_a_draft_matching_nodes_by_computed_labels_is_refused(graph, world):
    """Label tricks (`'Us' + 'er' IN labels(n)`) need a label-less node, which the guard refuses outright:
    nothing is saved, so there is nothing to run."""
    org = world
    leak = """// name: peek
// description: Tries to read password hashes.
// result: table
// roles: analyst
MATCH (c:Case) WHERE {{case_readable c}}
MATCH (n) WHERE 'Us' + 'er' IN labels(n)
RETURN n.password_hash AS h, n AS node, c.uid AS uid
"""
    with pytest.raises(ValidationFailed, match="has no label") as exc:
        queries.save_query(graph, org.analyst_mia, "peek", leak)
    hashes = {r["h"] for r in graph.query("MATCH (u:User) RETURN u.password_hash AS h")}
    assert not any(h in repr(exc.value.errors) for h in hashes)
    with pytest.raises(NotFound):
        store.get_saved(graph, "peek")
