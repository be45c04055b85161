"""The where-and-when journeys of issue 19, in Chromium against the real app and the sandbox seed: a case's map
with a time filter (the points drawn change with the period, typed or dragged across the time bar), and the
time bar brushing the link explorer (a period hides the links made outside it); screenshots per step."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from ccms_graph.logic.casework import documents
from ccms_graph.logic.entities import records
from tests.factories import actor
from tests.logic.location.test_map_timeline import sighting

from .conftest import shot, sign_in

pytestmark = pytest.mark.browser

CASE = "case-001"
#: Waits for answers from the database (the machine running the suite may be busy).
T = 30_000
SEEN = ("2026-01-12T09:00:00Z", "2026-02-03T17:20:00Z", "2026-03-15T12:00:00Z", "2026-05-20T08:30:00Z",
        "2026-05-21T22:10:00Z")


@pytest.fixture(scope="module")
def located(seeded):
    """case-001 gets a vehicle read five times by LPR cameras around Miami (January to May 2026) and a
    located arrest in March, added through the product's create paths."""
    garcia = actor(seeded, "agent_garcia")
    car = records.create_entity(seeded, garcia, "Vehicle", {"plate": "MAP123", "plate_state": "FL", "make": "Toyota"},
                                case_uid=CASE)
    for n, seen in enumerate(SEEN):
        sighting(seeded, car["uid"], n, 25.76 + n * 0.01, -80.19 - n * 0.01, seen, CASE)
    documents.create_document(seeded, garcia, CASE, "ArrestReport", {
        "title": "Arrest at the marina", "incident_date": "2026-03-16", "latitude": 25.78, "longitude": -80.18})
    return car


def brush(page, bar: str, first_day: str, last_day: str) -> None:
    """Drag across the time bar `bar` from the bucket holding `first_day` to the one holding `last_day`."""
    starts = page.locator(f"{bar} .tb-col").evaluate_all("(gs) => gs.map((g) => g.dataset.start)")
    assert starts, "the time bar has no buckets"
    i0 = max(i for i, s in enumerate(starts) if s <= first_day)
    i1 = max(i for i, s in enumerate(starts) if s <= last_day)
    chart = page.locator(f"{bar} .tb-chart")
    chart.scroll_into_view_if_needed()
    box = chart.bounding_box()
    assert box
    x = lambda i: box["x"] + (i + 0.5) * box["width"] / len(starts)  # noqa: E731
    page.mouse.move(x(i0), box["y"] + box["height"] / 2)
    page.mouse.down()
    page.mouse.move(x(i1), box["y"] + box["height"] / 2, steps=5)
    page.mouse.up()


def drawn(page) -> int:
    return int(page.locator("#geo-summary").get_attribute("data-drawn") or -1)


def answered(page, **period) -> dict:
    """What the map API answers the signed-in page for case-001 over `period`."""
    query = "&".join(f"{k}={v}" for k, v in period.items() if v)
    return page.request.get(f"/api/v1/map/features?case={CASE}&{query}").json()


def period_of(page) -> dict:
    found = dict(re.findall(r"(since|until)=([\d-]+)", page.url))
    return {"since": found.get("since"), "until": found.get("until")}


def test_the_case_map_with_a_time_filter(new_page, located):
    page = new_page(1500, 950)
    sign_in(page, "agent_garcia")
    page.goto(f"/cases/{CASE}")
    page.get_by_role("link", name="Map and time bar").click()
    expect(page.get_by_role("heading", name="Case map")).to_be_visible(timeout=T)
    expect(page.locator("#geo-summary")).to_contain_text("sightings", timeout=T)
    everything = drawn(page)
    whole = answered(page)
    assert everything == whole["total"] and whole["by_kind"]["sighting"] >= 5 and whole["by_kind"]["arrest"] >= 1
    expect(page.locator(".geo-map path.leaflet-interactive, .geo-map svg path").first).to_be_attached(timeout=T)  # basemap
    expect(page.locator(".tb-chart .tb-bar").first).to_be_attached(timeout=T)
    shot(page, "11-map-case-all-time")

    # A typed period: March 2026 holds one sighting and the arrest.
    page.get_by_label("From").fill("2026-03-01")
    page.get_by_label("Until").fill("2026-03-31")
    page.get_by_role("button", name="Apply", exact=True).click()
    expect(page.locator("#geo-summary")).to_contain_text("2026-03-01 to 2026-03-31", timeout=T)
    march = answered(page, since="2026-03-01", until="2026-03-31")
    assert drawn(page) == march["total"] < everything  # May's and January's sightings are gone
    assert march["by_kind"]["sighting"] >= 1 and march["by_kind"]["arrest"] >= 1
    expect(page).to_have_url(re.compile(r"since=2026-03-01&until=2026-03-31"), timeout=T)
    shot(page, "11-map-case-march")

    # Dragged across the time bar from January to early February: January's and February's sightings remain.
    page.get_by_role("button", name="All time").click()
    expect(page.locator("#geo-summary")).to_contain_text("all time", timeout=T)
    assert drawn(page) == everything
    brush(page, "#geo", "2026-01-12", "2026-02-03")
    expect(page.locator("#geo-summary")).to_contain_text("2026-0", timeout=T)
    expect(page.locator("#geo-summary")).not_to_contain_text("all time", timeout=T)
    brushed = answered(page, **period_of(page))
    assert drawn(page) == brushed["total"] < everything and brushed["by_kind"]["sighting"] >= 2
    shot(page, "11-map-case-brushed")

    # The period travels to the explorer, which hides what was linked outside it.
    page.get_by_role("link", name="Explore links in this period").click()
    expect(page.locator("#ex-status")).to_contain_text("on screen", timeout=T)
    expect(page.locator("#ex-time-result")).to_contain_text("outside the period hidden", timeout=T)
    assert not [e for e in new_page.console_errors if "Content Security Policy" in e or "Refused" in e], \
        new_page.console_errors


def test_the_time_bar_brushes_the_explorer(new_page, located):
    page = new_page(1500, 1000)
    sign_in(page, "agent_garcia")
    page.goto(f"/explore?start={CASE}")
    expect(page.locator("#ex-status")).to_contain_text("on screen", timeout=T)
    bar = page.locator("#ex-time")
    expect(bar.locator(".tb-bar").first).to_be_attached(timeout=T)
    expect(bar.locator(".tb-total[data-kind=sighting]")).to_have_text(re.compile(r"^\([1-9]\d*\)$"), timeout=T)
    visible = page.evaluate("window.ccmsExplorer.cy.elements(':visible').length")

    brush(page, "#ex-time", "2026-01-12", "2026-02-03")  # the vehicle's first sightings; no link was made then
    expect(page.locator("#ex-time-result")).to_contain_text("outside the period hidden", timeout=T)
    assert int(bar.get_attribute("data-hidden-links") or 0) > 0
    # The graph restyles after the text is written: wait for it rather than read it at once.
    page.wait_for_function("n => window.ccmsExplorer.cy.elements(':visible').length < n", arg=visible, timeout=T)
    assert re.search(r"since=20\d\d-\d\d-\d\d", page.url)
    assert "since=" in (page.locator("#ex-map").get_attribute("href") or "")
    shot(page, "11-explorer-time-brushed")

    page.get_by_role("button", name="All time").click()
    expect(page.locator("#ex-time-result")).to_have_text("", timeout=T)
    page.wait_for_function("n => window.ccmsExplorer.cy.elements(':visible').length === n", arg=visible, timeout=T)
    assert not [e for e in new_page.console_errors if "Content Security Policy" in e or "Refused" in e], \
        new_page.console_errors
