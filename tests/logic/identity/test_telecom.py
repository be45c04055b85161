"""Telecom linking: CDR and subscriber import, CALLED aggregates, refused rows, idempotent re-runs, alerts."""

from __future__ import annotations

from ccms_graph.cli import main
from ccms_graph.logic.casework.cases import create_case
from ccms_graph.logic.identity import telecom
from ccms_graph.logic.oversight import notifications
from tests.factories import make_person

CDR = """originating_number,terminating_number,start_time,duration,cell_site
305-555-0101,(212) 555-0199,2026-01-05T10:00:00Z,60,MIA-041
+1 305 555 0101,212.555.0199,2026-01-06 11:30:00,1:30,
305-555-0101,212-555-0199,2026-01-05T10:00:00Z,60,MIA-041
not-a-number,212-555-0199,2026-01-07T09:00:00Z,10,
305-555-0101,212-555-0177,yesterday,10,
305-555-0101,212-555-0177,2026-01-08T09:00:00Z,ten,
212-555-0199,305-555-0101,2026-01-09T08:00:00Z,5
"""


def _case(graph, who, title, restricted=False):
    case = create_case(graph, who, {"title": title, "restricted": restricted})
    return case["uid"], case["props"]["case_number"]


def test_cdr_import_aggregates_calls_refuses_bad_rows_and_reruns_add_nothing(graph, org):
    uid, number = _case(graph, org.agent_a, "Operation Wire")
    out = telecom.import_cdr(graph, org.agent_a, number, CDR)
    assert out["loaded"] == 3
    assert out["refused"] == [
        {"row": 4, "reason": "duplicate of row 2"},
        {"row": 5, "reason": "originating number 'not-a-number' is not a phone number"},
        {"row": 6, "reason": "start time 'yesterday' is not an ISO 8601 date-time"},
        {"row": 7, "reason": "duration 'ten' is not a number of seconds"},
    ]
    calls = telecom.calls_between(graph, org.agent_a, "305-555-0101", "212-555-0199")
    assert calls["count"] == 2 and calls["total_seconds"] == 150
    assert calls["first_at"].startswith("2026-01-05T10:00") and calls["last_at"].startswith("2026-01-06T11:30")
    assert telecom.calls_between(graph, org.agent_a, "212-555-0199", "305-555-0101")["count"] == 1
    assert graph.query("MATCH (p:Phone) RETURN count(p) AS n") == [{"n": 2}]

    again = telecom.import_cdr(graph, org.agent_a, uid, CDR)
    assert again["loaded"] == 0
    assert [d["row"] for d in again["duplicates"]] == [2, 3, 8]
    assert telecom.calls_between(graph, org.agent_a, "305-555-0101", "212-555-0199")["count"] == 2
    assert graph.query("MATCH (c:CallRecord) RETURN count(c) AS n") == [{"n": 3}]


def _kept_for(graph) -> list[tuple[str, str]]:
    """(call record's originating number and day, case uid) per KEPT_FOR, sorted."""
    rows = graph.query("MATCH (c:CallRecord)-[:KEPT_FOR]->(k:Case) "
                       "RETURN c.orig + ' ' + toString(date(c.start_at)) AS call, k.uid AS case")
    return sorted((r["call"], r["case"]) for r in rows)


def test_an_import_keeps_each_call_for_its_case_and_a_second_case_adds_its_own(graph, org):
    one, one_number = _case(graph, org.agent_a, "Operation One")
    two, two_number = _case(graph, org.agent_nyc, "Operation Two", restricted=True)
    call = "orig,term,start,duration\n305-555-0101,212-555-0199,2026-01-05T10:00:00Z,60\n"
    telecom.import_cdr(graph, org.agent_a, one_number, call)
    telecom.import_cdr(graph, org.agent_a, one_number, call)  # a re-run adds nothing
    assert _kept_for(graph) == [("+13055550101 2026-01-05", one)]

    telecom.import_cdr(graph, org.agent_nyc, two_number, call + "305-555-0101,212-555-0177,2026-01-06T10:00:00Z,5\n")
    assert graph.query("MATCH (c:CallRecord) RETURN count(c) AS n") == [{"n": 2}]
    assert _kept_for(graph) == sorted([("+13055550101 2026-01-05", one),
                                       ("+13055550101 2026-01-05", two),
                                       ("+13055550101 2026-01-06", two)])
    assert graph.query("MATCH (c:Case) RETURN count(c) AS n") == [{"n": 2}]  # no case made by the MERGE


def test_init_db_keeps_call_records_written_before_kept_for_for_their_cases(graph, org, capsys):
    one, _ = _case(graph, org.agent_a, "Operation One")
    two, two_number = _case(graph, org.agent_b, "Operation Two")
    # Written as an import wrote them before KEPT_FOR: held by both cases, by one, and by a case since gone.
    graph.query("""UNWIND $rows AS row
                   CREATE (:CallRecord {fingerprint: row.fp, orig: '+13055550101', term: '+12125550199',
                                        start_at: datetime(row.at), duration: 60, case_uids: row.cases})""",
                {"rows": [{"fp": "old-1", "at": "2025-01-01T10:00:00Z", "cases": [one, two]},
                          {"fp": "old-2", "at": "2025-01-02T10:00:00Z", "cases": [two, "gone-case"]}]}, write=True)
    # ...and one imported since, into the second case, already kept for it.
    telecom.import_cdr(graph, org.agent_b, two_number,
                       "orig,term,start,duration\n305-555-0101,212-555-0177,2026-01-06T10:00:00Z,5\n")
    assert len(_kept_for(graph)) == 1

    assert main(["init-db"]) == 0
    assert "3 KEPT_FOR added" in capsys.readouterr().out
    assert _kept_for(graph) == sorted([("+13055550101 2025-01-01", one),
                                       ("+13055550101 2025-01-01", two),
                                       ("+13055550101 2025-01-02", two),
                                       ("+13055550101 2026-01-06", two)])
    assert graph.query("MATCH (c:Case) RETURN count(c) AS n") == [{"n": 2}]  # "gone-case" is not made
    assert telecom.keep_calls_for_cases(graph) == 0  # idempotent


def test_a_number_shared_by_two_cases_alerts_both_agents_naming_the_other(graph, org):
    nyc_uid, nyc_number = _case(graph, org.agent_nyc, "Operation Hudson", restricted=True)
    make_person(graph, org.agent_nyc, case_uid=nyc_uid, given_name="Target", family_name="Hudson",
                phones=["212-555-0199"])
    mia_uid, mia_number = _case(graph, org.agent_a, "Operation Wire")

    out = telecom.import_cdr(graph, org.agent_a, mia_number, CDR)
    assert out["alerts"] == 2

    (to_mia,) = [n for n in notifications.inbox(graph, org.agent_a) if n["kind"] == "telecom_alert"]
    assert to_mia["number"] == "+12125550199"
    assert to_mia["other_agent_name"] == "Agent Nyc"
    assert "agent_nyc@example.gov" in to_mia["other_agent"]
    # The other case is restricted: neither its number nor its title reaches the Miami agent.
    assert nyc_number not in repr(to_mia) and "Hudson" not in repr(to_mia)

    (to_nyc,) = [n for n in notifications.inbox(graph, org.agent_nyc) if n["kind"] == "telecom_alert"]
    assert to_nyc["other_agent_name"] == "Agent A"
    assert to_nyc["other_case_number"] == mia_number

    telecom.import_cdr(graph, org.agent_a, mia_number, CDR)
    assert len([n for n in notifications.inbox(graph, org.agent_a) if n["kind"] == "telecom_alert"]) == 1


def test_subscriber_records_link_cases_too(graph, org):
    _, a_number = _case(graph, org.agent_a, "Operation One")
    _, b_number = _case(graph, org.agent_b, "Operation Two")
    subs = "number,subscriber_name,address,city\n305-555-0142,Jane Roe,1 Bay Rd,Miami\nbad,X,,\n"
    first = telecom.import_subscribers(graph, org.agent_a, a_number, subs)
    assert first["loaded"] == 1 and first["refused"] == [{"row": 3, "reason": "number 'bad' is not a phone number"}]
    assert first["alerts"] == 0
    second = telecom.import_subscribers(graph, org.agent_b, b_number, "phone,name\n(305) 555-0142,J. Roe\n")
    assert second["alerts"] == 2
    (alert,) = [n for n in notifications.inbox(graph, org.agent_a) if n["kind"] == "telecom_alert"]
    assert alert["other_agent_name"] == "Agent B" and alert["other_case_number"] == b_number
