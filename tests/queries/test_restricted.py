"""Over every catalogue query, a restricted case and its subjects never leave for a user outside its team."""

from __future__ import annotations

import json

import pytest

from ccms_graph import queries
from ccms_graph.errors import Forbidden
from ccms_graph.queries import loader, runner

pytestmark = pytest.mark.usefixtures("seed_graph")

#: An analyst of another office, an agent of the same office not on the team, a supervisor of another chain.
OUTSIDERS = ["analyst_nyc", "agent_garcia", "sup_houston"]


def forbidden_uids(snap, actor) -> set[str]:
    """Restricted cases and their subjects (and those subjects' selectors' owners aside) the actor may not read."""
    restricted_cases = {u for u, n in snap.nodes.items() if "Case" in n["labels"] and n["props"].get("restricted")}
    return {u for u in restricted_cases | snap.restricted_subjects() if not snap.readable(actor, u)}


def param_sets(snap, actor, name) -> list[dict]:
    """Parameters that steer each query as close to restricted data as it can get."""
    restricted_cases = sorted(u for u, n in snap.nodes.items() if "Case" in n["labels"] and n["props"].get("restricted"))
    hidden_subjects = sorted(snap.restricted_subjects() - {u for u in snap.nodes if snap.readable(actor, u)})
    readable_people = sorted(u for u in snap.nodes if snap.has(u, "Person") and snap.readable(actor, u))
    hidden_phones = sorted({e["b"] for e in snap.active("USES_PHONE") if e["a"] in hidden_subjects})
    # Readable cases whose subjects share a phone with a restricted case's subjects.
    near: list[str] = []
    readable_cases = sorted(u for u in snap.nodes if snap.has(u, "Case") and snap.readable(actor, u))
    for e in snap.active("USES_PHONE"):
        if e["b"] in hidden_phones:
            near += [c for c in snap.cases_of(e["a"]) if snap.readable(actor, c)]
    cases = restricted_cases[:3] + sorted(set(near))[:2] + readable_cases[:1]
    e164 = {u: snap.p(u)["e164"] for u in hidden_phones}
    called = [(snap.p(e["a"])["e164"], snap.p(e["b"])["e164"]) for e in snap.active("CALLED")
              if e["a"] in e164 or e["b"] in e164]
    return {
        "shared_phones": [{}],
        "accounts_shared_across_cases": [{}],
        "shortest_path": [{"from_uid": readable_people[0], "to_uid": s} for s in hidden_subjects[:2]]
        + [{"from_uid": readable_people[0], "to_uid": p} for p in hidden_phones[:2]],
        "subjects_near_case": [{"case_uid": c, "hops": 3} for c in cases],
        "businesses_sharing_address_or_officer": [{}],
        "conveyances_multi_case": [{}],
        "call_history": [{"phone_a": a, "phone_b": b} for a, b in called[:2]],
        "possible_duplicate_persons": [{}],
        "cases_with_common_subjects": [{}],
        "recent_office_entities": [{"days": 3650}],
        "most_connected_in_case": [{"case_uid": c, "top": 100} for c in cases],
        "co_travellers": [{}],
        "pending_items": [{"days": 0}],
        "case_link_chart": [{"case_uid": c} for c in cases],
    }.get(name, [{}])


def test_every_catalogue_query_has_restricted_parameters_here():
    assert set(loader.catalogue_queries()) <= {
        "shared_phones", "shortest_path", "subjects_near_case", "businesses_sharing_address_or_officer",
        "conveyances_multi_case", "call_history", "possible_duplicate_persons", "cases_with_common_subjects",
        "recent_office_entities", "most_connected_in_case", "co_travellers", "pending_items", "case_link_chart",
        "accounts_shared_across_cases"}


@pytest.mark.parametrize("who", OUTSIDERS)
@pytest.mark.parametrize("name", sorted(loader.catalogue_queries()))
def test_restricted_subjects_never_leave(seed_graph, snap, users, name, who):
    actor = users[who]
    secret = forbidden_uids(snap, actor)
    assert secret  # each outsider is outside at least one restricted case
    qdef = loader.catalogue_queries()[name]
    for params in param_sets(snap, actor, name):
        if actor.role not in qdef.roles:
            with pytest.raises(Forbidden):
                queries.run_query(seed_graph, actor, name, params)
            continue
        result = queries.run_query(seed_graph, actor, name, params)
        # Everything the result carries except the parameters the user typed in.
        text = json.dumps([result.columns, result.rows, result.nodes, result.edges], default=str)
        leaked = sorted(u for u in secret if u in text)
        assert not leaked, f"{name}{params} as {who} returned {leaked}"
        csv_text = queries.to_csv(result)
        assert not [u for u in secret if u in csv_text]


def test_the_same_queries_do_show_restricted_subjects_to_the_team(seed_graph, snap, users):
    """The leak test could fail: run by a team member, restricted subjects do come back."""
    actor = users["agent_patel"]  # on the team of restricted NYC-CYB cases case-002 and case-008
    secret_to_outsider = forbidden_uids(snap, users["analyst_nyc"])
    result = queries.run_query(seed_graph, actor, "case_link_chart", {"case_uid": "case-008"})
    assert {n["uid"] for n in result.nodes} & secret_to_outsider
    phones = queries.run_query(seed_graph, users["auditor"], "shared_phones", {})
    assert any(set(r["subject_uids"]) & secret_to_outsider for r in phones.rows)


LEAKY_TABLE = """// name: leaky_table
// description: Returns every subject, ignoring the policy it pretends to apply.
// result: table
// roles: analyst, agent
MATCH (s:SubjectRecord)-[:SUBJECT_IN {status: 'active'}]->(c:Case)
WHERE {{subject_readable s}} OR true
RETURN s.uid AS uid, c.uid AS case_uid, s.family_name AS name
"""

LEAKY_GRAPH = """// name: leaky_graph
// description: Returns restricted cases and their subjects as a graph, ignoring the policy.
// result: graph
// roles: analyst, agent
MATCH (s:SubjectRecord)-[r:SUBJECT_IN {status: 'active'}]->(c:Case {restricted: true})
WHERE {{case_readable c}} OR true
RETURN s, r, c
"""


@pytest.mark.parametrize("who", ["analyst_nyc", "agent_garcia"])
def test_a_query_that_defeats_its_own_placeholder_still_returns_only_readable_records(seed_graph, snap, users, who):
    """`{{subject_readable s}} OR true` no longer matters: the guard composes the policy into the pattern
    itself, so restricted records never match; nothing is withheld or locked after the run, since
    that would itself tell that a hidden record matched."""
    actor = users[who]
    secret = forbidden_uids(snap, actor)
    table = runner.execute(seed_graph, actor, loader.parse("leaky_table", LEAKY_TABLE, source="test"), {})
    assert table.rows and table.withheld == 0
    assert not [u for u in secret if u in json.dumps(table.to_dict())]
    assert all(snap.readable(actor, r["uid"]) and snap.readable(actor, r["case_uid"]) for r in table.rows)
    expected = {(e["a"], e["b"]) for e in snap.active("SUBJECT_IN")
                if snap.readable(actor, e["a"]) and snap.readable(actor, e["b"])}
    assert {(r["uid"], r["case_uid"]) for r in table.rows} == expected

    graph_result = runner.execute(seed_graph, actor, loader.parse("leaky_graph", LEAKY_GRAPH, source="test"), {})
    assert not [u for u in secret if u in json.dumps(graph_result.to_dict())]
    assert graph_result.withheld == 0 and not any(n["locked"] for n in graph_result.nodes)
    assert all(snap.readable(actor, n["uid"]) for n in graph_result.nodes)
