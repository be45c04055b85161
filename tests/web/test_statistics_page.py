"""The statistics dashboard (issue 17 item 3), through the Flask test client over the sandbox seed in the real
Neo4j: a supervisor sees the figures the API gives them (and only their offices), the admin is refused and not
offered the page, the page carries no inline script or style (the CSP), bad filters name their field, and the
drill-down lists readable cases as links while counting the withheld ones."""

from __future__ import annotations

import html
import json
import re
from datetime import date

import pytest

from ccms_graph.db import clear_database
from ccms_graph.logic.casework.cases import fiscal_year
from ccms_graph.web import create_app
from seed.sandbox import load
from tests.logic.oversight.test_statistics import _restricted_case_and_an_agent_it_is_hidden_from

from .conftest import sign_in

PASSWORD = "sandbox-password-for-tests"
FY = fiscal_year(date.today())


@pytest.fixture(scope="module")
def seeded(session_graph):
    clear_database(session_graph)
    load(session_graph, PASSWORD, wipe=False)
    yield session_graph
    clear_database(session_graph)


@pytest.fixture
def app(seeded):
    return create_app({"TESTING": True}, graph=seeded)


def signed_in(client, username: str):
    assert sign_in(client, username, PASSWORD).status_code == 302
    return client


def page_figures(text: str) -> dict:
    m = re.search(r"data-figures='([^']*)'", text)
    assert m, "the page carries no figures for its charts"
    return json.loads(html.unescape(m.group(1)))


def test_a_supervisor_sees_the_figures_the_api_gives_them_and_only_their_offices(client):
    signed_in(client, "sup_miami")
    page = client.get(f"/statistics?fy={FY - 1}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    api = client.get(f"/api/v1/statistics?fy={FY - 1}").get_json()
    shown = page_figures(text)
    for key in ("fiscal_year", "offices", "totals", "by_office", "by_month", "trend"):
        assert shown[key] == api[key], key
    assert shown["totals"]["cases_opened"] > 0  # the seed gives Miami cases that year: the tiles are not empty
    assert f">{shown['totals']['cases_opened']:,}<" in text
    # The office filter offers the Miami subtree and nothing else.
    offered = set(re.findall(r'<option value="([A-Z-]+)"', text))
    assert offered == set(api["offices"]) and "MIA" in offered and "NYC" not in offered
    for canvas in ("chart-month", "chart-office", "chart-category", "chart-trend"):
        assert f'id="{canvas}"' in text
    assert text.count("Download PNG") == 4
    assert f'href="/api/v1/statistics/figures.csv?fy={FY - 1}"' in text
    csv = client.get(f"/api/v1/statistics/figures.csv?fy={FY - 1}")
    assert csv.get_data(as_text=True).splitlines()[0].startswith("fiscal_year,breakdown,key,cases_opened")
    assert 'href="/statistics">Statistics</a>' in text  # in the navigation


def test_filtering_by_office_narrows_the_figures_and_the_downloads(client):
    signed_in(client, "sup_miami")
    text = client.get(f"/statistics?fy={FY - 1}&office=MIA-PEV").get_data(as_text=True)
    shown = page_figures(text)
    assert shown["offices"] == ["MIA-PEV"] and set(shown["by_office"]) <= {"MIA-PEV"}
    assert '<option value="MIA-PEV" selected>' in text
    assert f"figures.csv?fy={FY - 1}&amp;office=MIA-PEV" in text


def test_the_admin_is_refused_and_not_offered_the_page(client):
    signed_in(client, "admin")
    refused = client.get("/statistics")
    assert refused.status_code == 403
    assert "case figures" in refused.get_data(as_text=True)
    assert 'href="/statistics"' not in client.get("/").get_data(as_text=True)
    assert client.get("/api/v1/statistics").status_code == 403


def test_the_page_carries_no_inline_script_or_style(client):
    signed_in(client, "sup_miami")
    page = client.get(f"/statistics?fy={FY - 1}&metric=arrests")
    text = page.get_data(as_text=True)
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    scripts = re.findall(r"<script\b[^>]*>", text)
    assert scripts and all(re.search(r'\ssrc="/static/[^"]+"', s) for s in scripts), scripts
    assert "vendor/chart.umd.min.js" in text and "js/statistics.js" in text
    assert not re.search(r"<script\b[^>]*>(?!</script>)", text)  # no script body
    assert "<style" not in text and not re.search(r"\sstyle=", text)
    assert not re.search(r"\son[a-z]+=", text)  # no inline event handlers


@pytest.mark.parametrize("query,field,status", [
    ("fy=next+year", "fiscal year", 422),
    ("fy=1066", "fiscal year", 422),
    ("office=ZZZ", "office", 422),
    ("office=NYC", "office", 403),
])
def test_bad_filters_name_their_field(client, query, field, status):
    signed_in(client, "sup_miami")
    page = client.get(f"/statistics?{query}")
    assert page.status_code == status
    text = page.get_data(as_text=True)
    assert re.search(rf'<p class="field-error" id="s-[a-z]+-err">{field}: [^<]+', text)
    assert 'aria-invalid="true"' in text
    assert "The figures were not computed" in text
    assert "data-figures" not in text


@pytest.mark.parametrize("query,field", [
    ("metric=everything", "Metric"),
    ("metric=arrests&month=2026-13", "Month"),
    ("metric=arrests&month=2020-01", "Month"),
])
def test_a_bad_drill_down_names_its_field_and_keeps_the_figures(client, query, field):
    signed_in(client, "sup_miami")
    page = client.get(f"/statistics?fy={FY - 1}&{query}")
    assert page.status_code == 422
    text = page.get_data(as_text=True)
    assert re.search(rf'<p class="error" role="alert">{field}: [^<]+', text)
    assert "were not listed" in text and "data-figures" in text


def test_the_drill_down_links_readable_cases_and_counts_the_withheld(client, seeded):
    hidden, username = _restricted_case_and_an_agent_it_is_hidden_from(seeded)
    year = fiscal_year(date.fromisoformat(hidden["opened"][:10]))
    signed_in(client, username)
    text = client.get(f"/statistics?fy={year}&metric=cases_opened").get_data(as_text=True)
    assert 'id="drill"' in text
    drill = client.get(f"/api/v1/statistics/cases?fy={year}&metric=cases_opened").get_json()
    assert drill["cases"] and drill["withheld"] >= 1
    for case in drill["cases"]:
        assert f'href="/cases/{case["uid"]}">{case["case_number"]}</a>' in text
    assert f"{drill['withheld']} case{'s' if drill['withheld'] != 1 else ''} withheld" in text
    for secret in (hidden["uid"], hidden["number"], hidden["title"]):
        assert secret not in text
    # A month's figure links to the same list for that month.
    figures = page_figures(text)
    month = next(m for m, row in figures["by_month"].items() if row["cases_opened"])
    assert f"metric=cases_opened&amp;month={month}#drill" in text


def test_the_sandbox_gives_the_dashboard_a_trend_of_several_fiscal_years(client):
    signed_in(client, "auditor")
    trend = page_figures(client.get(f"/statistics?fy={FY}").get_data(as_text=True))["trend"]
    for metric in ("cases_opened", "arrests", "charges", "seizures", "seized_value_usd"):
        assert sum(1 for row in trend if row[metric]) >= 3, (metric, trend)
