"""Running queries: audited with name, parameters and uids, owners notified, limits, time-out, writes refused."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import replace

import pytest

from ccms_graph import queries
from ccms_graph.errors import Forbidden, NotFound, ValidationFailed
from ccms_graph.queries import loader, runner

pytestmark = pytest.mark.usefixtures("seed_graph")


def last_entry(graph, actor):
    rows = graph.query("""MATCH (e:AuditEntry {actor_uid: $u}) RETURN properties(e) AS e
                          ORDER BY e.seq DESC LIMIT 1""", {"u": actor.uid})
    entry = rows[0]["e"]
    return {**entry, "details": json.loads(entry["details"])}


def notifications_from(graph, actor) -> list[dict]:
    return [r["n"] for r in graph.query("""MATCH (n:Notification {kind: 'query', actor_uid: $u})
                                           RETURN properties(n) AS n""", {"u": actor.uid})]


def test_a_run_is_audited_with_its_name_parameters_and_returned_uids(seed_graph, users):
    actor = users["analyst_nyc"]
    result = queries.run_query(seed_graph, actor, "shared_phones", {"min_cases": "3"})
    entry = last_entry(seed_graph, actor)
    assert entry["action"] == "query" and entry["outcome"] == "success"
    assert entry["details"]["query"] == "shared_phones"
    assert entry["details"]["params"] == {"min_cases": 3}
    returned = {r["phone_uid"] for r in result.rows} | {u for r in result.rows for u in r["subject_uids"] + r["case_uids"]}
    assert set(entry["targets"]) == returned and returned


def test_owners_are_told_but_not_when_an_auditor_runs_it(seed_graph, snap, users):
    actor = users["analyst_miami"]
    before = len(notifications_from(seed_graph, actor))
    result = queries.run_query(seed_graph, actor, "most_connected_in_case", {"case_uid": "case-004", "top": 3})
    owners = [snap.p(r["uid"]).get("owner_uid") for r in result.rows]
    expected = sum(1 for o in owners if o and o != actor.uid)
    after = notifications_from(seed_graph, actor)
    assert len(after) - before == expected > 0
    assert all(n["displayed"] for n in after)
    assert {n["recipient_uid"] for n in after} >= {o for o in owners if o}

    auditor = users["auditor"]
    queries.run_query(seed_graph, auditor, "most_connected_in_case", {"case_uid": "case-004", "top": 3})
    assert notifications_from(seed_graph, auditor) == []
    assert last_entry(seed_graph, auditor)["details"]["query"] == "most_connected_in_case"


def test_the_row_limit_cuts_a_result_short_and_says_so(seed_graph, users):
    actor = users["auditor"]
    full = queries.run_query(seed_graph, actor, "shared_phones", {})
    assert len(full.rows) > 5 and not full.truncated
    cut = queries.run_query(seed_graph, actor, "shared_phones", {}, row_limit=5)
    assert cut.truncated and cut.rows == full.rows[:5]
    assert last_entry(seed_graph, actor)["details"]["truncated"] is True


SLOW = """// name: slow
// description: Counts to a very large number.
// result: table
// roles: analyst
MATCH (c:Case) WHERE {{case_readable c}}
WITH count(c) AS k
UNWIND range(1, 2000000000) AS x
WITH k, x WHERE x = -k
RETURN x
"""


def test_a_query_running_past_its_time_out_is_stopped_and_the_refusal_audited(seed_graph, users):
    actor = users["analyst_miami"]
    qdef = loader.parse("slow", SLOW, source="test")
    with pytest.raises(runner.QueryTimedOut):
        runner.execute(seed_graph, actor, qdef, {}, timeout=0.5)
    entry = last_entry(seed_graph, actor)
    assert (entry["action"], entry["outcome"]) == ("deny", "denied")
    assert entry["details"]["query"] == "slow" and entry["details"]["reason"] == "QueryTimedOut"


SNEAKY = [
    "MATCH (s:Person) WITH s ORDER BY s.uid LIMIT 1 SET s.given_name = 'HACKED' RETURN s.uid AS uid",
    "CREATE (p:Person:SubjectRecord:Linkable {uid: 'hacked', given_name: 'HACKED'}) RETURN p.uid AS uid",
    "MATCH (s:Person) WITH s ORDER BY s.uid LIMIT 1 DETACH DELETE s RETURN 1 AS uid",
    "MERGE (p:Phone {e164: '+10000000000'}) ON CREATE SET p.given_name = 'HACKED' RETURN p.e164 AS uid",
    "CALL db.createLabel('Hacked') RETURN 1 AS uid",
]


@pytest.mark.parametrize("cypher", SNEAKY)
def test_a_write_that_slips_past_the_static_check_is_refused_by_the_server(seed_graph, users, cypher):
    """As if the loader's check had a hole: the read-only transaction still refuses, and nothing changes."""
    actor = users["analyst_miami"]
    good = loader.catalogue_queries()["shared_phones"]
    sneaky = replace(good, name="sneaky", cypher=cypher, params=())
    content = "MATCH (n) WHERE NOT n:AuditEntry AND NOT n:AuditHead RETURN count(n) AS n"
    counts = seed_graph.query(content)[0]["n"]
    with pytest.raises(Forbidden, match="read-only"):
        runner.execute(seed_graph, actor, sneaky, {})
    assert seed_graph.query("MATCH (n {given_name: 'HACKED'}) RETURN count(n) AS n")[0]["n"] == 0
    assert seed_graph.query(content)[0]["n"] == counts
    assert "Hacked" not in [r["label"] for r in seed_graph.query("CALL db.labels() YIELD label RETURN label")]
    assert last_entry(seed_graph, actor)["outcome"] == "denied"
    # ... and the planner check used at save time and start-up refuses it before it ever runs.
    with pytest.raises(loader.QueryFileError, match="read-only"):
        loader.explain(seed_graph, sneaky)


def test_a_role_the_header_does_not_name_is_refused(seed_graph, users):
    with pytest.raises(Forbidden, match="may not run pending_items"):
        queries.run_query(seed_graph, users["analyst_miami"], "pending_items", {})
    with pytest.raises(NotFound):
        queries.run_query(seed_graph, users["analyst_miami"], "no_such_query", {})


def test_bad_parameters_are_refused_by_name_and_audited(seed_graph, users):
    actor = users["analyst_miami"]
    with pytest.raises(ValidationFailed) as exc:
        queries.run_query(seed_graph, actor, "shortest_path", {"from_uid": "x y", "max_hops": 99})
    assert set(exc.value.errors) == {"from_uid", "to_uid", "max_hops"}
    assert last_entry(seed_graph, actor)["details"]["reason"] == "ValidationFailed"


def test_tables_sort_and_export_as_csv(seed_graph, users):
    result = queries.run_query(seed_graph, users["auditor"], "co_travellers", {})
    by_name = result.sorted("other")
    assert [r["other"] for r in by_name.rows] == sorted(r["other"] for r in result.rows)
    desc = result.sorted("person", descending=True)
    assert [r["person"] for r in desc.rows] == sorted((r["person"] for r in result.rows), reverse=True)
    with pytest.raises(ValidationFailed):
        result.sorted("n.given_name")
    rows = list(csv.reader(io.StringIO(queries.to_csv(by_name))))
    assert rows[0] == result.columns
    assert [r[result.columns.index("other")] for r in rows[1:]] == [r["other"] for r in by_name.rows]


def test_graph_results_are_nodes_and_edges_for_the_link_explorer(seed_graph, users):
    result = queries.run_query(seed_graph, users["analyst_miami"], "case_link_chart", {"case_uid": "case-004"})
    assert result.kind == "graph" and result.rows == [] and result.columns == []
    ids = {n["id"] for n in result.nodes}
    assert all(set(n) >= {"uid", "type", "caption", "locked"} for n in result.nodes)
    assert all(e["source"] in ids and e["target"] in ids and e["type"] for e in result.edges)
    assert {"Case", "Person"} <= {n["type"] for n in result.nodes}
    csv_rows = list(csv.reader(io.StringIO(queries.to_csv(result))))
    assert csv_rows[0] == ["uid", "type", "caption", "locked"] and len(csv_rows) == len(result.nodes) + 1


def test_a_run_whose_rows_hold_only_plain_values_names_the_records_its_parameters_point_at(seed_graph, snap,
                                                                                            users):
    actor = users["analyst_miami"]
    a, b = next((e["a"], e["b"]) for e in snap.active("CALLED")
                if snap.readable(actor, e["a"]) and snap.readable(actor, e["b"]))
    params = {"phone_a": snap.p(a)["e164"], "phone_b": snap.p(b)["e164"]}
    result = queries.run_query(seed_graph, actor, "call_history", params)
    assert result.rows and not any(isinstance(v, dict) for r in result.rows for v in r.values())
    entry = last_entry(seed_graph, actor)
    assert entry["action"] == "query" and entry["details"]["query"] == "call_history"
    assert set(entry["targets"]) == {a, b}


EVERY_KIND = """
MATCH (n) WHERE (n:SubjectRecord OR n:Case OR n:Phone OR n:Email OR n:Address OR n:Document)
  AND coalesce(n.deleted, false) = false
WITH [l IN labels(n) WHERE NOT l IN ['SubjectRecord', 'Linkable', 'Selector', 'Document']][0] AS kind, n
ORDER BY n.uid
WITH kind, collect(n)[0] AS n
RETURN kind, n AS node, n.uid AS uid
"""


def test_every_kind_of_record_a_query_returns_is_captioned_as_its_own_fields_caption_it(seed_graph, users):
    """The policy check reads only the fields captions are made of; none may be missing from that read."""
    from ccms_graph.nodes.vocabulary import caption

    good = loader.catalogue_queries()["shared_phones"]
    result = runner.execute(seed_graph, users["auditor"], replace(good, name="kinds", cypher=EVERY_KIND, params=()),
                            {})
    whole = {r["uid"]: r for r in seed_graph.query(
        "MATCH (n:Linkable) WHERE n.uid IN $uids RETURN n.uid AS uid, labels(n) AS labels, properties(n) AS props",
        {"uids": [row["uid"] for row in result.rows]})}
    kinds = {row["node"]["type"] for row in result.rows}
    assert {"Person", "Business", "Vehicle", "Vessel", "Aircraft", "Thing", "Case", "Phone"} <= kinds
    for row in result.rows:
        expected = caption(runner.type_of(whole[row["uid"]]["labels"]), whole[row["uid"]]["props"])
        assert row["node"]["caption"] == expected and expected, row


def test_a_result_holding_a_node_the_user_may_not_read_is_refused_and_a_hidden_uid_it_names_is_no_target(
        seed_graph, users):
    """The check behind the guard (`runner._Checked`) re-reads every node a result holds and every uid it
    names, kind by kind: a node the user may not read refuses the whole result; a string naming a hidden
    record is left a plain string (no audit target, no owner told); readable ones carry their captions."""
    actor = users["analyst_nyc"]
    own = "MATCH (c:Case {office_code: $office}) WHERE coalesce(c.restricted, false) = false RETURN c LIMIT 1"
    hidden = """MATCH (c:Case {restricted: true}) WHERE c.office_code <> $office
                AND NOT $me IN coalesce(c.team_uids, []) RETURN c LIMIT 1"""
    args = {"office": actor.office_code, "me": actor.uid}

    def check(statement, extra=""):
        def work(tx):
            records = list(tx.run(statement.replace("RETURN c", "RETURN c" + extra), args))
            assert records
            return runner._Checked(tx, actor, records)
        return work

    with pytest.raises(runner.PolicyBreach):
        seed_graph.read(check(hidden))
    secret = seed_graph.query(hidden.replace("RETURN c", "RETURN c.uid AS uid"), args)[0]["uid"]
    checked = seed_graph.read(check(own, f", '{secret}' AS named"))
    (info,) = checked.by_id.values()
    assert info["props"]["uid"] in checked.by_uid and "Case" in info["labels"]
    assert secret not in checked.by_uid
