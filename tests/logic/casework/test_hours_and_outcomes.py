"""Structured outcomes and work hours (issue 17 item 1): validated on the way in, summed by the statistics."""

from __future__ import annotations

from datetime import date

import pytest

from ccms_graph.errors import Forbidden, NotFound, ValidationFailed
from ccms_graph.logic.casework import approvals, cases, documents, hours
from ccms_graph.logic.casework.cases import fiscal_year
from ccms_graph.logic.oversight import statistics
from tests.factories import DaysFromToday, on_the_day

TODAY = date.today()
FY = fiscal_year(TODAY)


@pytest.fixture
def case(graph, org):
    return cases.create_case(graph, org.agent_a, {"title": "Operation Ledger"}, status="open")


def test_hours_are_logged_listed_audited_and_summed_for_the_office(graph, org, case):
    hours.log_hours(graph, org.agent_a, case["uid"], {"date": TODAY.isoformat(), "hours": 2.5, "activity": "surveillance"})
    hours.log_hours(graph, org.agent_a, case["uid"], {"date": TODAY.isoformat(), "hours": -0.5})  # a correction
    listed = hours.hours_of_case(graph, org.sup_mia, case["uid"])
    assert listed["total_hours"] == 2.0 and [u["hours"] for u in listed["by_user"]] == [2.0]
    assert graph.query("MATCH (e:AuditEntry {action: 'create'}) WHERE $c IN e.targets AND e.details CONTAINS 'WorkHours' "
                       "RETURN count(e) AS n", {"c": case["uid"]})[0]["n"] == 2
    figures = statistics.statistics(graph, org.sup_mia, FY)
    assert figures["totals"]["hours"] == 2.0 and figures["by_office"]["MIA"]["hours"] == 2.0
    assert statistics.statistics(graph, org.agent_nyc, FY)["totals"]["hours"] == 0.0
    drill = statistics.cases(graph, org.sup_mia, "hours", FY)
    assert [c["uid"] for c in drill["cases"]] == [case["uid"]]


@pytest.mark.parametrize(("data", "field"), [
    ({"date": TODAY.isoformat(), "hours": 0.3}, "hours"),
    ({"date": TODAY.isoformat(), "hours": 0}, "hours"),
    ({"date": TODAY.isoformat(), "hours": 25}, "hours"),
    ({"date": DaysFromToday(1), "hours": 1}, "date"),
    ({"date": "yesterday", "hours": 1}, "date"),
    ({"hours": 1}, "date"),
])
def test_bad_hours_are_refused_naming_the_field(graph, org, case, data, field):
    with pytest.raises(ValidationFailed) as err:
        hours.log_hours(graph, org.agent_a, case["uid"], on_the_day(data))
    assert field in err.value.errors
    assert graph.query("MATCH (h:WorkHours) RETURN count(h) AS n")[0]["n"] == 0


def test_a_day_holds_at_most_24_hours_across_cases_and_a_correction_never_goes_below_zero(graph, org, case):
    other = cases.create_case(graph, org.agent_a, {"title": "Operation Abacus"}, status="open")
    day = TODAY.isoformat()
    hours.log_hours(graph, org.agent_a, case["uid"], {"date": day, "hours": 20})
    with pytest.raises(ValidationFailed) as err:
        hours.log_hours(graph, org.agent_a, other["uid"], {"date": day, "hours": 4.25})
    assert "24" in err.value.errors["hours"][0]
    with pytest.raises(ValidationFailed):
        hours.log_hours(graph, org.agent_a, other["uid"], {"date": day, "hours": -1})
    assert hours.hours_of_case(graph, org.agent_a, other["uid"])["total_hours"] == 0


def test_no_one_logs_hours_on_a_case_they_may_not_work_on(graph, org, case):
    for who in (org.agent_nyc, org.auditor):
        with pytest.raises((Forbidden, NotFound)):
            hours.log_hours(graph, who, case["uid"], {"date": TODAY.isoformat(), "hours": 1})
    with pytest.raises((Forbidden, NotFound)):
        hours.hours_of_case(graph, org.agent_nyc, case["uid"])
    assert graph.query("MATCH (h:WorkHours) RETURN count(h) AS n")[0]["n"] == 0


def test_a_seizures_own_value_and_category_and_an_arrests_charges_are_counted(graph, org, case):
    seizure = documents.create_document(graph, org.agent_a, case["uid"], "SeizureReport", {
        "title": "Seizure at the port", "incident_date": TODAY.isoformat(), "category": "narcotics",
        "quantity": 12.5, "unit": "kg", "value_usd": 250000})
    arrest = documents.create_document(graph, org.agent_a, case["uid"], "ArrestReport", {
        "title": "Arrest", "incident_date": TODAY.isoformat(), "charges": ["21 USC 841", "21 USC 846"],
        "arresting_office": "MIA-PEV", "on_warrant": True})
    assert statistics.statistics(graph, org.sup_mia, FY)["totals"]["arrests"] == 0  # drafts are not counted
    for doc in (seizure, arrest):  # counted once a supervisor approves them (CCMS PIA §2.4)
        approvals.approve(graph, org.sup_mia, documents.submit_document(graph, org.agent_a, doc["uid"])["uid"])
    figures = statistics.statistics(graph, org.sup_mia, FY)
    assert figures["totals"]["seizures"] == 1 and figures["totals"]["seized_value_usd"] == 250000.0
    assert figures["seized_by_category"] == {"narcotics": {"items": 1, "value_usd": 250000.0}}
    assert figures["totals"]["arrests"] == 1 and figures["totals"]["charges"] == 2


@pytest.mark.parametrize(("type_name", "data", "field"), [
    ("ArrestReport", {"title": "Arrest", "arresting_office": "ZZZ"}, "arresting_office"),
    ("ArrestReport", {"title": "Arrest", "on_warrant": "perhaps"}, "on_warrant"),
    ("SeizureReport", {"title": "Seizure", "value_usd": -5}, "value_usd"),
    ("SeizureReport", {"title": "Seizure", "unit": "bushels"}, "unit"),
    ("SeizureReport", {"title": "Seizure", "category": "gold"}, "category"),
])
def test_bad_outcome_fields_are_refused_naming_the_field(graph, org, case, type_name, data, field):
    with pytest.raises(ValidationFailed) as err:
        documents.create_document(graph, org.agent_a, case["uid"], type_name, data)
    assert field in err.value.errors
    assert graph.query("MATCH (d:Document) RETURN count(d) AS n")[0]["n"] == 0


def _approved(graph, org, case, type_name: str, data: dict) -> dict:
    """A document filed, submitted and approved: only then does it count (CCMS PIA §2.4)."""
    doc = documents.create_document(graph, org.agent_a, case["uid"], type_name, data)
    request = documents.submit_document(graph, org.agent_a, doc["uid"])
    approvals.approve(graph, org.sup_mia, request["uid"])
    return doc


def test_warrants_issued_and_served_and_the_prosecutions_outcomes_are_counted_in_their_own_fiscal_year(graph, org, case):
    last_fy_day = date(FY - 1, 3, 1).isoformat()  # in the previous fiscal year
    _approved(graph, org, case, "Warrant", {
        "title": "Search warrant, 12 Harbor Rd", "warrant_type": "search", "issuing_court": "S.D. Fla.",
        "issued_date": last_fy_day, "served_date": TODAY.isoformat()})
    _approved(graph, org, case, "Warrant", {
        "title": "Arrest warrant", "warrant_type": "arrest", "issued_date": TODAY.isoformat()})
    for proceeding, day in (("indictment", TODAY), ("plea", TODAY), ("sentence", TODAY), ("conviction", date(FY - 1, 3, 1)),
                            ("complaint", TODAY)):
        _approved(graph, org, case, "CourtRecord", {
            "title": f"{proceeding} in 25-cr-100", "court": "S.D. Fla.", "docket_number": "25-cr-100",
            "proceeding": proceeding, "filed_date": day.isoformat(), "sentence_months": 60 if proceeding == "sentence" else None})
    documents.create_document(graph, org.agent_a, case["uid"], "Warrant", {  # a draft: not an outcome yet
        "title": "Draft warrant", "warrant_type": "search", "issued_date": TODAY.isoformat()})
    now = statistics.statistics(graph, org.sup_mia, FY)["totals"]
    assert (now["warrants"], now["warrants_served"]) == (1, 1)
    assert (now["indictments"], now["convictions"], now["sentences"]) == (1, 1, 1)  # a plea convicts; a complaint is none
    before = statistics.statistics(graph, org.sup_mia, FY - 1)["totals"]
    assert (before["warrants"], before["warrants_served"], before["convictions"]) == (1, 0, 1)
    assert statistics.statistics(graph, org.agent_nyc, FY)["totals"]["warrants"] == 0  # another office's subtree
    drill = statistics.cases(graph, org.sup_mia, "warrants_served", FY)
    assert [c["uid"] for c in drill["cases"]] == [case["uid"]]


@pytest.mark.parametrize(("type_name", "data", "field"), [
    ("Warrant", {"title": "W", "warrant_type": "roving"}, "warrant_type"),
    ("Warrant", {"title": "W", "issued_date": "2026-05-02", "served_date": "2026-05-01"}, "served_date"),
    ("CourtRecord", {"title": "C", "proceeding": "verdict"}, "proceeding"),
    ("CourtRecord", {"title": "C", "sentence_months": -3}, "sentence_months"),
])
def test_bad_warrant_and_court_fields_are_refused_naming_the_field(graph, org, case, type_name, data, field):
    with pytest.raises(ValidationFailed) as err:
        documents.create_document(graph, org.agent_a, case["uid"], type_name, data)
    assert field in err.value.errors
    assert graph.query("MATCH (d:Document) RETURN count(d) AS n")[0]["n"] == 0
