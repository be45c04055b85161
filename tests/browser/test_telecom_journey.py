"""The TLS tab journey of issue 19, in Chromium against the real app and the sandbox seed: an agent opens a case
into which call detail records were loaded, goes to its Telecom (TLS) tab, sees the imported file, the
call-frequency table and top contacts, and the calls-per-day chart drawn; screenshots kept (20-*)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from ccms_graph.logic.identity import telecom
from ccms_graph.policy.actor import load_actor

from .conftest import SHOTS, shot, sign_in

pytestmark = pytest.mark.browser

CDR = """originating_number,terminating_number,start_time,duration,cell_site,latitude,longitude
305-555-0101,212-555-0199,2026-01-05T10:00:00Z,60,MIA-041,25.7617,-80.1918
305-555-0101,212-555-0199,2026-01-05T18:00:00Z,30,MIA-041,,
212-555-0199,305-555-0101,2026-01-06T09:00:00Z,120,MIA-052,25.79,-80.13
305-555-0101,212-555-0177,2026-01-06T10:00:00Z,45,,,
305-555-0101,212-555-0177,2026-01-07T11:00:00Z,15,,,
786-555-0123,305-555-0101,2026-01-07T12:00:00Z,10,,,
786-555-0123,305-555-0101,2026-01-08T12:00:00Z,10,,95,-80.1
"""


def test_agent_opens_the_tls_tab_and_sees_the_frequency_table_and_the_chart(new_page, seeded):
    row = seeded.query("""MATCH (c:Case {owner_uid: 'user-agent_garcia', status: 'open'})
                          WHERE NOT coalesce(c.restricted, false)
                          RETURN c.uid AS uid, c.case_number AS number ORDER BY c.case_number LIMIT 1""")
    assert row, "the seed gives agent_garcia no open case"
    uid, number = row[0]["uid"], row[0]["number"]
    garcia = seeded.read(load_actor, "agent_garcia")
    loaded = telecom.import_cdr(seeded, garcia, uid, CDR, filename="tls-journey-cdr.csv")
    assert loaded["refused"] and loaded["loaded"] + len(loaded["duplicates"]) == 6

    page = new_page()
    page.set_default_timeout(60_000)  # a loaded machine: the case page reads a lot
    page.set_default_navigation_timeout(90_000)
    sign_in(page, "agent_garcia")
    page.goto(f"/cases/{uid}")
    page.get_by_role("link", name="Telecom (TLS)").click()
    expect(page.get_by_role("heading", name=f"{number} · Telecom (TLS)", level=1)).to_be_visible()

    files = page.locator("#tls-files table")
    expect(files).to_contain_text("tls-journey-cdr.csv")
    expect(files).to_contain_text(garcia.name)

    table = page.locator("#tls-frequency-table")
    first = table.locator("tbody tr").first
    expect(first.locator("td").nth(0)).to_have_text("+13055550101")
    expect(first.locator("td").nth(1)).to_have_text("+12125550199")
    expect(first.locator("td").nth(2)).to_have_text(re.compile(r"^\d+$"))
    expect(page.locator("#tls-contacts table").first).to_contain_text("+12125550199")
    expect(page.locator("#tls-cells")).to_contain_text("MIA-041")

    # The chart is drawn: Chart.js holds the per-day figures and the canvas has painted pixels.
    page.locator("#tls-days").scroll_into_view_if_needed()
    drawn = page.evaluate("""() => {
        const chart = Chart.getChart('chart-calls-per-day');
        if (!chart) return null;
        const c = document.getElementById('chart-calls-per-day');
        const px = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let painted = 0;
        for (let i = 3; i < px.length; i += 4) if (px[i] > 0) painted++;
        return { labels: chart.data.labels, calls: chart.data.datasets[0].data, painted };
    }""")
    assert drawn is not None, "no chart on the canvas"
    assert drawn["labels"][:3] == ["2026-01-05", "2026-01-06", "2026-01-07"] and sum(drawn["calls"]) >= 6
    assert drawn["painted"] > 1000, drawn["painted"]
    shot(page, "20-telecom-tls-tab")
    page.locator("#tls-days").screenshot(path=str(SHOTS / "20-telecom-calls-per-day.png"))
    assert not [e for e in new_page.console_errors if "Content Security Policy" in e], new_page.console_errors
