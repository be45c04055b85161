"""GET /api/v1/statistics, its CSV and its drill-down: numbers within the caller's subtree, named errors."""

from __future__ import annotations

from datetime import date

from ccms_graph.logic.casework import cases
from ccms_graph.logic.casework.cases import fiscal_year

FY = fiscal_year(date.today())


def test_a_supervisor_gets_the_office_figures_and_the_cases_behind_them(graph, org, as_user):
    opened = cases.create_case(graph, org.agent_a, {"title": "Operation Tally"}, status="open")
    api = as_user(org.sup_mia)
    resp = api.get(f"statistics?fy={FY}")
    assert resp.status_code == 200, resp.get_json()
    body = resp.get_json()
    assert body["fiscal_year"] == FY and set(body["offices"]) == {"MIA", "MIA-PEV"}
    assert body["totals"]["cases_opened"] == 1 and body["by_office"]["MIA"]["cases_opened"] == 1
    drill = api.get(f"statistics/cases?fy={FY}&metric=cases_opened").get_json()
    assert [c["uid"] for c in drill["cases"]] == [opened["uid"]] and drill["withheld"] == 0
    csv_resp = api.get(f"statistics/figures.csv?fy={FY}&office=MIA")
    assert csv_resp.status_code == 200 and csv_resp.mimetype == "text/csv"
    assert csv_resp.get_data(as_text=True).splitlines()[-1].startswith(f"{FY},total,,1,")


def test_another_offices_agent_counts_the_case_in_its_own_office_only(graph, org, as_user):
    cases.create_case(graph, org.agent_a, {"title": "Operation Tally"}, status="open")
    nyc = as_user(org.agent_nyc)
    assert nyc.get(f"statistics?fy={FY}").get_json()["totals"]["cases_opened"] == 0
    refused = nyc.get(f"statistics?fy={FY}&office=MIA")
    assert refused.status_code == 403
    assert "Operation Tally" not in refused.get_data(as_text=True)


def test_bad_criteria_are_refused_naming_the_field(org, as_user):
    api = as_user(org.sup_mia)
    for path, field in [("statistics?fy=soon", "fy"), ("statistics?fy=3000", "fy"),
                        ("statistics/cases?metric=everything", "metric"),
                        (f"statistics/cases?metric=arrests&fy={FY}&month=2001-02", "month"),
                        ("statistics/cases?metric=arrests&month=May", "month")]:
        resp = api.get(path)
        assert resp.status_code == 422, (path, resp.status_code)
        assert field in resp.get_json()["errors"], (path, resp.get_json())
