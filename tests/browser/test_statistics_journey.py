"""The statistics dashboard journey of issue 17, in Chromium against the real app and the sandbox seed: a
supervisor opens the dashboard, filters it by fiscal year and office, downloads a chart as PNG and the
figures as CSV (the files' contents checked), opens the cases behind a figure and downloads that case's printable
file (its PDF text checked); screenshots per step."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from ccms_graph.logic.casework.cases import fiscal_year
from ccms_graph.logic.oversight import statistics

from .conftest import shot, sign_in

pytestmark = pytest.mark.browser

FY = fiscal_year(date.today())


def test_supervisor_filters_the_dashboard_and_downloads_a_chart_and_its_table(new_page, seeded):
    page = new_page()
    sign_in(page, "sup_miami")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Statistics").click()
    expect(page.get_by_role("heading", name="Statistics", level=1)).to_be_visible()
    expect(page.get_by_role("heading", name=re.compile(rf"^FY{FY} totals"))).to_be_visible()

    # Filter: last fiscal year, then one port of the supervisor's office.
    page.get_by_label("Fiscal year", exact=True).select_option(str(FY - 1))
    page.get_by_role("button", name="Apply filters").click()
    expect(page).to_have_url(re.compile(rf"fy={FY - 1}"))
    expect(page.get_by_role("heading", name=re.compile(rf"^FY{FY - 1} totals"))).to_be_visible()
    # The charts are drawn, from the figures of the page, and not empty.
    page.wait_for_function("() => window.Chart && ['month', 'office', 'category', 'trend']"
                           ".every((k) => Chart.getChart(`chart-${k}`))", timeout=30_000)
    drawn = page.evaluate("""['month', 'office', 'category', 'trend'].map((k) => {
        const c = Chart.getChart(`chart-${k}`);
        return c ? c.data.datasets.reduce((n, d) => n + d.data.filter((v) => v > 0).length, 0) : -1; })""")
    assert all(n > 0 for n in drawn), (drawn, new_page.console_errors)
    shot(page, "10-statistics-dashboard")

    png = _download(page, lambda: page.locator("button[data-png=month]").click())
    assert png.name == f"statistics-FY{FY - 1}-month.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    page.get_by_role("combobox", name=re.compile("^Office")).select_option("MIA")
    page.get_by_role("button", name="Apply filters").click()
    expect(page).to_have_url(re.compile(r"office=MIA\b"))
    expect(page.get_by_role("combobox", name=re.compile("^Office"))).to_have_value("MIA")
    shot(page, "10-statistics-filtered")

    csv = _download(page, lambda: page.get_by_role("link", name="Download CSV").first.click())
    assert csv.name == f"statistics-FY{FY - 1}.csv"
    lines = csv.read_text().splitlines()
    assert lines[0] == ",".join(("fiscal_year", "breakdown", "key", *statistics.METRICS))
    assert lines[-1].startswith(f"{FY - 1},total,,")

    # The cases behind a figure: the tile opens the list, with links to readable cases and the withheld count.
    page.get_by_role("link", name=re.compile(r"^Cases opened: [\d,]+, list the cases")).first.click()
    drill = page.locator("#drill")
    expect(drill.get_by_role("heading", name=re.compile("Cases behind “Cases opened”"))).to_be_visible()
    expect(drill.locator("tbody tr").first).to_be_visible()
    expect(drill.locator(".withheld")).to_contain_text("withheld")
    shot(page, "10-statistics-drill-down")
    drill.locator("tbody a").first.click()
    expect(page.get_by_role("heading", name="Summary", level=2)).to_be_visible()

    # The printable case file of that case: a real PDF whose text carries the case's number.
    case_number = page.locator("h1").first.inner_text().split(" · ")[0].strip()
    assert re.fullmatch(r"[A-Z-]+-FY\d{2}-\d{5}", case_number), case_number
    pdf = _download(page, lambda: page.get_by_role("link", name="Print case file (PDF)").click())
    assert pdf.suffix == ".pdf" and pdf.read_bytes()[:5] == b"%PDF-"
    text = " ".join(p.extract_text() or "" for p in PdfReader(pdf).pages)
    assert case_number in text, (case_number, text[:300])
    shot(page, "10-statistics-case-file-downloaded")
    assert not [e for e in new_page.console_errors if "Content Security Policy" in e or "Refused" in e], \
        new_page.console_errors


def _download(page, click) -> Path:
    with page.expect_download() as info:
        click()
    download = info.value
    path = Path(download.path())
    return path.rename(path.with_name(download.suggested_filename))
