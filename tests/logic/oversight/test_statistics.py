"""Statistics (issue 17): totals over the sandbox seed equal sums computed here from the raw nodes; a user's
figures cover their organisational subtree; restricted cases count as numbers and never leave content;
the drill-down lists only readable cases and says how many it withheld; every run is audited."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from datetime import date

import pytest

from ccms_graph.db import clear_database
from ccms_graph.errors import Forbidden, ValidationFailed
from ccms_graph.logic.casework.cases import fiscal_year
from ccms_graph.logic.oversight import statistics
from ccms_graph.policy.actor import load_actor
from seed.sandbox import load

TODAY = date.today()
FY = fiscal_year(TODAY)


@pytest.fixture(scope="module")
def seeded(session_graph):
    clear_database(session_graph)
    load(session_graph, "sandbox-password-for-tests", wipe=False)
    yield session_graph
    clear_database(session_graph)


def actor(graph, username):
    return graph.read(load_actor, username)


def _fy(value: str) -> int:
    return fiscal_year(date.fromisoformat(value[:10]))


def expected(graph, offices: set[str] | None) -> dict[int, Counter]:
    """The figures per fiscal year, computed in Python from the raw nodes (not the module's query)."""
    out: dict[int, Counter] = defaultdict(Counter)
    for c in graph.query("MATCH (c:Case) RETURN c.office_code AS office, toString(c.opened_at) AS opened, "
                         "toString(c.closed_at) AS closed"):
        if offices is not None and c["office"] not in offices:
            continue
        if c["opened"]:
            out[_fy(c["opened"])]["cases_opened"] += 1
        if c["closed"]:
            out[_fy(c["closed"])]["cases_closed"] += 1
    for d in graph.query("""MATCH (d:Document)-[:PART_OF]->(c:Case)
                            WHERE d:ArrestReport OR d:SeizureReport
                            RETURN labels(d) AS labels, d.status AS status, d.incident_date AS day,
                                   toString(d.created_at) AS created, d.charges AS charges, c.office_code AS office,
                                   d.value_usd AS own_value, [(d)-[:MENTIONS]->(t:Thing) | t.value] AS values"""):
        if (offices is not None and d["office"] not in offices) or d["status"] in ("draft", "submitted", "returned"):
            continue
        year = _fy(d["day"] or d["created"])
        if "ArrestReport" in d["labels"]:
            out[year]["arrests"] += 1
            out[year]["charges"] += len(d["charges"] or [])
        else:
            out[year]["seizures"] += 1
            out[year]["seized_value_usd"] += (d["own_value"] if d["own_value"] is not None
                                              else sum(v or 0 for v in d["values"]))
    prosecution = {"indictment": "indictments", "information": "indictments", "plea": "convictions",
                   "conviction": "convictions", "sentence": "sentences"}
    for d in graph.query("""MATCH (d:Document)-[:PART_OF]->(c:Case) WHERE d:Warrant OR d:CourtRecord
                            RETURN labels(d) AS labels, d.status AS status, d.issued_date AS issued,
                                   d.served_date AS served, d.filed_date AS filed, d.proceeding AS proceeding,
                                   toString(d.created_at) AS created, c.office_code AS office"""):
        if (offices is not None and d["office"] not in offices) or d["status"] in ("draft", "submitted", "returned"):
            continue
        if "Warrant" in d["labels"]:
            out[_fy(d["issued"] or d["created"])]["warrants"] += 1
            if d["served"]:
                out[_fy(d["served"])]["warrants_served"] += 1
        elif d["proceeding"] in prosecution:
            out[_fy(d["filed"] or d["created"])][prosecution[d["proceeding"]]] += 1
    for h in graph.query("MATCH (h:WorkHours)-[:LOGGED_ON]->(c:Case) RETURN h.date AS day, h.hours AS hours, "
                         "c.office_code AS office"):
        if offices is None or h["office"] in offices:
            out[_fy(h["day"])]["hours"] += h["hours"]
    return out


def _figures(row: dict) -> Counter:
    return Counter({k: v for k, v in row.items() if k in statistics.METRICS and v})


def test_a_supervisors_totals_equal_the_sums_over_their_offices_in_the_seed(seeded):
    sup = actor(seeded, "sup_miami")
    figures = statistics.statistics(seeded, sup, FY)
    want = expected(seeded, set(sup.offices))
    assert set(figures["offices"]) == set(sup.offices) == {"MIA", "MIA-PEV", "MIA-MIA", "MIA-MAR"}
    assert _figures(figures["totals"]) == want[FY]
    for row in figures["trend"]:  # the five fiscal years of the trend, each against its own sum
        assert _figures(row) == want[row["fiscal_year"]], row["fiscal_year"]
    assert sum(want[y]["cases_opened"] for y in want) > 0, "the seed opened no case in the trend's years"
    for metric in ("warrants", "warrants_served", "indictments", "convictions", "sentences", "hours"):
        years = [row["fiscal_year"] for row in figures["trend"] if row[metric]]
        assert len(years) >= 2, f"the seed's {metric} show no trend over the fiscal years: {years}"
    # The breakdowns add up to the totals.
    for section in ("by_office", "by_month"):
        summed: Counter = Counter()
        for row in figures[section].values():
            summed.update(_figures(row))
        assert summed == _figures(figures["totals"]), section


def test_the_auditor_sees_every_office_and_an_agent_only_their_own_subtree(seeded):
    everything = statistics.statistics(seeded, actor(seeded, "auditor"), FY)
    assert everything["offices"] == "all"
    assert _figures(everything["totals"]) == expected(seeded, None)[FY]
    port = statistics.statistics(seeded, actor(seeded, "agent_port"), FY)
    assert port["offices"] == ["MIA-PEV"]
    assert _figures(port["totals"]) == expected(seeded, {"MIA-PEV"})[FY]


def test_an_office_outside_the_subtree_is_refused_and_the_refusal_audited(seeded):
    with pytest.raises(Forbidden):
        statistics.statistics(seeded, actor(seeded, "agent_port"), FY, office="NYC")
    denied = seeded.query("MATCH (e:AuditEntry {action: 'deny', actor_username: 'agent_port'}) "
                          "RETURN e.details AS details")
    assert any(json.loads(d["details"])["op"] == "statistics" for d in denied), denied


def test_roles_that_read_no_case_content_get_no_figures(seeded):
    with pytest.raises(Forbidden):
        statistics.statistics(seeded, actor(seeded, "admin"), FY)


@pytest.mark.parametrize("field,kwargs", [("fy", {"fy": "next year"}), ("fy", {"fy": 1066}),
                                          ("office", {"office": "ZZZ"})])
def test_bad_criteria_name_their_field(seeded, field, kwargs):
    with pytest.raises(ValidationFailed) as err:
        statistics.statistics(seeded, actor(seeded, "auditor"), **{"fy": FY, **kwargs})
    assert field in err.value.errors


def _restricted_case_and_an_agent_it_is_hidden_from(graph) -> tuple[dict, str]:
    """A restricted case of an agent's office whose team does not include that agent (an agent supervises no one)."""
    rows = graph.query("""MATCH (u:User {role: 'agent'})
                          MATCH (c:Case {restricted: true}) WHERE c.office_code = u.office_code
                            AND NOT u.uid IN c.team_uids AND c.owner_uid <> u.uid AND c.opened_at IS NOT NULL
                          RETURN u.username AS username, c.uid AS uid, c.case_number AS number, c.title AS title,
                                 toString(c.opened_at) AS opened ORDER BY c.uid, u.username LIMIT 1""")
    assert rows, "the seed has no restricted case hidden from an agent of its office"
    return rows[0], rows[0]["username"]


def test_a_restricted_case_counts_but_the_drill_down_never_lists_it(seeded):
    hidden, username = _restricted_case_and_an_agent_it_is_hidden_from(seeded)
    chen = actor(seeded, username)
    year = _fy(hidden["opened"])
    figures = statistics.statistics(seeded, chen, year)
    assert figures["totals"]["cases_opened"] == expected(seeded, set(chen.offices))[year]["cases_opened"]
    drill = statistics.cases(seeded, chen, "cases_opened", year)
    listed = {c["uid"] for c in drill["cases"]}
    assert hidden["uid"] not in listed
    assert drill["withheld"] >= 1
    assert len(listed) + drill["withheld"] == figures["totals"]["cases_opened"]
    # No trace of the restricted case's content anywhere in either answer.
    for answer in (figures, drill):
        text = json.dumps(answer)
        assert hidden["uid"] not in text and hidden["number"] not in text and hidden["title"] not in text


def test_the_drill_down_lists_exactly_the_readable_cases_and_is_audited(seeded):
    sup = actor(seeded, "sup_miami")
    drill = statistics.cases(seeded, sup, "cases_opened", FY - 1)
    readable = {r["uid"] for r in seeded.query(
        """MATCH (c:Case) WHERE c.office_code IN $offices AND c.opened_at >= datetime($start)
             AND c.opened_at < datetime($end)
           RETURN c.uid AS uid""",
        {"offices": list(sup.offices), "start": f"{FY - 2}-10-01", "end": f"{FY - 1}-10-01"})}
    # The supervisor reads every case of the office (restricted ones through the team's supervisor chain).
    assert {c["uid"] for c in drill["cases"]} == readable and drill["withheld"] == 0
    entry = seeded.query("""MATCH (e:AuditEntry {action: 'statistics', actor_username: 'sup_miami'})
                            WHERE size(e.targets) > 0 RETURN e.targets AS targets ORDER BY e.at DESC LIMIT 1""")
    assert entry and set(entry[0]["targets"]) == readable


def test_a_violation_filter_counts_only_cases_recording_it(seeded):
    auditor = actor(seeded, "auditor")
    violation = seeded.query("MATCH (c:Case) UNWIND c.violations AS v RETURN v ORDER BY v LIMIT 1")[0]["v"]
    figures = statistics.statistics(seeded, auditor, FY - 1, violation=violation)
    want = seeded.query("""MATCH (c:Case) WHERE $v IN c.violations AND c.opened_at >= datetime($start)
                             AND c.opened_at < datetime($end) RETURN count(c) AS n""",
                        {"v": violation, "start": f"{FY - 2}-10-01", "end": f"{FY - 1}-10-01"})[0]["n"]
    assert figures["totals"]["cases_opened"] == want
    assert figures["totals"]["deconfliction_hits"] == 0  # hits belong to no case: a violation filter leaves them out


def test_csv_holds_one_row_per_breakdown_and_the_totals(seeded):
    figures = statistics.statistics(seeded, actor(seeded, "sup_miami"), FY)
    lines = statistics.to_csv(figures).strip().splitlines()
    assert lines[0].startswith("fiscal_year,breakdown,key,cases_opened")
    assert lines[-1].startswith(f"{FY},total,,{figures['totals']['cases_opened']},")
    assert len(lines) == 2 + len(figures["by_office"]) + len(figures["by_month"]) + len(figures["by_violation"])


def test_the_violation_breakdown_equals_the_sums_per_violation_in_the_seed(seeded):
    """Each violation's row counts the fiscal year's events of the cases recording it (a case with two
    violations counts in both), computed here from the raw nodes."""
    want: dict[str, Counter] = defaultdict(Counter)
    seizure_cases = set()
    for c in seeded.query("MATCH (c:Case) RETURN c.uid AS uid, c.violations AS vs, toString(c.opened_at) AS opened"):
        if c["opened"] and _fy(c["opened"]) == FY - 1:
            for v in c["vs"] or []:
                want[v]["cases_opened"] += 1
    for d in seeded.query("""MATCH (d:Document)-[:PART_OF]->(c:Case) WHERE d:ArrestReport OR d:SeizureReport
                             RETURN labels(d) AS labels, d.status AS status, d.incident_date AS day,
                                    toString(d.created_at) AS created, c.violations AS vs, c.uid AS case,
                                    d.value_usd AS own_value, [(d)-[:MENTIONS]->(t:Thing) | t.value] AS values"""):
        if d["status"] in ("draft", "submitted", "returned") or _fy(d["day"] or d["created"]) != FY - 1:
            continue
        for v in d["vs"] or []:
            if "ArrestReport" in d["labels"]:
                want[v]["arrests"] += 1
            else:
                want[v]["seizures"] += 1
                want[v]["seized_value_usd"] += (d["own_value"] if d["own_value"] is not None
                                                else sum(x or 0 for x in d["values"]))
        if "SeizureReport" in d["labels"]:
            seizure_cases.add(d["case"])
    auditor = actor(seeded, "auditor")
    figures = statistics.statistics(seeded, auditor, FY - 1)
    metrics = ("cases_opened", "arrests", "seizures", "seized_value_usd")
    got = {v: Counter({m: row[m] for m in metrics if row[m]}) for v, row in figures["by_violation"].items()}
    assert {v: c for v, c in got.items() if c} == {v: c for v, c in want.items() if c}
    assert sum(c["seizures"] for c in want.values()) > 0, "the seed holds no seizure in that year"
    drill = statistics.cases(seeded, auditor, "seizures", FY - 1)
    assert {c["uid"] for c in drill["cases"]} == seizure_cases and drill["withheld"] == 0
