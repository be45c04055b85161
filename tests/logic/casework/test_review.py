"""Review lists: cases with no activity for six months, and cases due their quarterly review."""

from __future__ import annotations

from datetime import date

import pytest

from ccms_graph.errors import Conflict, Forbidden
from ccms_graph.logic.casework import workflows
from tests.logic.casework.helpers import audit_actions, new_case, open_case, set_dates

TODAY = date(2026, 7, 1)


def _uids(rows):
    return [r["uid"] for r in rows]


def test_inactive_cases_are_closure_candidates(graph, org):
    stale = open_case(graph, org.agent_a, org.sup_mia, "Stale")
    staler = open_case(graph, org.agent_b, org.sup_mia, "Staler")
    fresh = open_case(graph, org.agent_a, org.sup_mia, "Fresh")
    requested = new_case(graph, org.agent_a, "Never opened")
    nyc = open_case(graph, org.agent_nyc, org.sup_nyc, "NYC stale")
    set_dates(graph, "Case", stale["uid"], last_activity_at="2025-12-31T23:00:00Z")
    set_dates(graph, "Case", staler["uid"], last_activity_at="2025-06-01T00:00:00Z")
    set_dates(graph, "Case", fresh["uid"], last_activity_at="2026-01-02T00:00:00Z")
    set_dates(graph, "Case", requested["uid"], last_activity_at="2024-01-01T00:00:00Z")
    set_dates(graph, "Case", nyc["uid"], last_activity_at="2024-01-01T00:00:00Z")

    assert _uids(workflows.inactive_cases(graph, org.sup_mia, TODAY)) == [staler["uid"], stale["uid"]]
    assert _uids(workflows.inactive_cases(graph, org.agent_a, TODAY)) == [stale["uid"]]
    assert _uids(workflows.inactive_cases(graph, None, TODAY)) == [nyc["uid"], staler["uid"], stale["uid"]]


def test_quarterly_review_due_and_recorded(graph, org):
    due = open_case(graph, org.agent_a, org.sup_mia, "Due")
    reviewed = open_case(graph, org.agent_a, org.sup_mia, "Reviewed lately")
    young = open_case(graph, org.agent_a, org.sup_mia, "Young")
    set_dates(graph, "Case", due["uid"], opened_at="2026-03-31T00:00:00Z")
    set_dates(graph, "Case", reviewed["uid"], opened_at="2025-01-01T00:00:00Z", last_reviewed_at="2026-04-02T00:00:00Z")
    set_dates(graph, "Case", young["uid"], opened_at="2026-04-15T00:00:00Z")
    assert _uids(workflows.review_due_cases(graph, org.sup_mia, TODAY)) == [due["uid"]]

    assert due["uid"] in _uids(workflows.review_due_cases(graph, org.sup_mia))  # as of now
    out = workflows.record_review(graph, org.sup_mia, due["uid"], "discussed next steps")
    assert out["last_reviewed_by"] == org.sup_mia.uid and out["last_reviewed_at"]
    assert due["uid"] not in _uids(workflows.review_due_cases(graph, org.sup_mia))  # reviewed just now
    assert audit_actions(graph, due["uid"])[-1] == "update"


def test_record_review_refusals(graph, org):
    case = open_case(graph, org.agent_a, org.sup_mia)
    with pytest.raises(Forbidden):
        workflows.record_review(graph, org.analyst_mia, case["uid"])
    with pytest.raises(Conflict):
        workflows.record_review(graph, org.agent_a, new_case(graph, org.agent_a, "Requested")["uid"])
