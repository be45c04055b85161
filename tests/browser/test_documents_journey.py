"""Issue 18's document journeys in Chromium against the real app and the sandbox seed; screenshots per step.

An arrest report with two attachments (a PDF and a scanned image) is created in the browser, its text is
extracted in the background (the web process's own worker), and the report is found by a word that appears
only inside the scanned image; a photo attached to a person becomes that person's picture in the explorer.
"""

from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import expect

from tests.logic.casework import doc_files

from .conftest import shot, sign_in

pytestmark = pytest.mark.browser

#: The word only the scanned image holds (OCR must read it), and the PDF's own words.
SCANNED_WORD = "QUETZALCOATL"
PDF_WORDS = "Ledger of the Marlin shipment"


def _open_case_of(graph, username: str) -> str:
    rows = graph.query("""MATCH (c:Case {owner_uid: $owner, status: 'open'}) WHERE NOT coalesce(c.restricted, false)
                          RETURN c.uid AS uid ORDER BY c.case_number LIMIT 1""", {"owner": f"user-{username}"})
    assert rows, f"the seed gives {username} no open case"
    return rows[0]["uid"]


def _no_csp_errors(new_page):
    assert not [e for e in new_page.console_errors if "Content Security Policy" in e or "Refused" in e], \
        new_page.console_errors


def _wait_for_extraction(page, files: int, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while page.locator(".extraction-pending").count() and time.monotonic() < deadline:
        page.wait_for_timeout(1500)
        page.reload()
    expect(page.locator(".extraction .status")).to_have_count(files)


def test_an_arrest_report_with_a_pdf_and_a_scan_is_found_by_a_word_inside_the_scan(new_page, seeded):
    case_uid = _open_case_of(seeded, "agent_garcia")
    page = new_page()
    sign_in(page, "agent_garcia")
    page.goto(f"/cases/{case_uid}")
    page.get_by_role("link", name="Arrest report", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("New Arrest report")
    page.get_by_role("button", name="Save draft").click()  # no title: refused, naming the field
    expect(page.locator("#f-title-err")).to_be_visible()
    page.get_by_label("Title").fill("Arrest of the Marlin courier")
    page.get_by_label("Charges (statutes)").fill("21 USC 952")
    page.get_by_label("Arresting office (code)").fill("MIA")
    shot(page, "18-01-arrest-report-form")
    page.get_by_role("button", name="Save draft").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Arrest of the Marlin courier")
    expect(page.locator("#draft-note")).to_contain_text("Not yet approved")

    page.locator("#upload-files").set_input_files([
        {"name": "marlin-ledger.pdf", "mimeType": "application/pdf", "buffer": doc_files.text_pdf(PDF_WORDS)},
        {"name": "manifest-scan.png", "mimeType": "image/png", "buffer": doc_files.words_png(f"CARGO {SCANNED_WORD} 7")},
    ])
    page.get_by_role("button", name="Upload", exact=True).click()
    expect(page.locator("#attachment-list tr.attachment")).to_have_count(2, timeout=30_000)
    expect(page.get_by_alt_text("Thumbnail of manifest-scan.png")).to_be_visible()
    _wait_for_extraction(page, 2)
    expect(page.locator("#attachment-list")).to_contain_text("marlin-ledger.pdf")
    shot(page, "18-02-arrest-report-with-attachments")

    page.locator("#upload-files").set_input_files([
        {"name": "invoice.pdf", "mimeType": "application/pdf", "buffer": doc_files.ELF}])
    page.get_by_role("button", name="Upload", exact=True).click()
    expect(page.locator("#upload-status")).to_contain_text("invoice.pdf")
    expect(page.locator("#upload-status")).to_contain_text("executable")
    expect(page.locator("#attachment-list tr.attachment")).to_have_count(2)
    shot(page, "18-03-renamed-executable-refused")

    page.goto(f"/search?q={SCANNED_WORD}")
    expect(page.locator(".search-hit").filter(has_text="manifest-scan.png")).to_contain_text(
        "attached to Arrest of the Marlin courier")
    shot(page, "18-04-found-by-a-word-in-the-scan")
    _no_csp_errors(new_page)


def test_a_photo_of_a_person_is_their_picture_in_the_explorer(new_page, seeded):
    row = seeded.query("""MATCH (p:Person {owner_uid: 'user-agent_garcia'})-[:SUBJECT_IN]->(c:Case {status: 'open'})
                          WHERE NOT coalesce(c.restricted, false)
                          RETURN p.uid AS uid, c.uid AS case_uid ORDER BY p.source_ref LIMIT 1""")[0]
    page = new_page(1500, 950)
    sign_in(page, "agent_garcia")
    page.goto(f"/records/{row['uid']}")
    page.locator("#photo-files").set_input_files([
        {"name": "face.jpg", "mimeType": "image/jpeg", "buffer": doc_files.photo_jpeg()}])
    page.get_by_role("button", name="Upload photos").click()
    photo = page.locator("#photos img.photo")
    expect(photo).to_have_count(1, timeout=20_000)
    expect(photo).to_have_attribute("src", re.compile(rf"/records/{row['uid']}/photos/"))
    shot(page, "18-05-person-photo")

    page.goto(f"/explore?start={row['case_uid']}")
    expect(page.locator("#ex-status")).to_contain_text("on screen", timeout=20_000)
    url = page.evaluate("(uid) => window.ccmsExplorer.cy.getElementById(uid).data('photo_url')", row["uid"])
    assert url and url.startswith(f"/records/{row['uid']}/photos/")
    image = page.evaluate("(uid) => window.ccmsExplorer.cy.getElementById(uid).style('background-image')", row["uid"])
    assert "/photos/" in str(image)
    page.evaluate("(uid) => { const n = window.ccmsExplorer.cy.getElementById(uid); window.ccmsExplorer.cy.center(n); "
                  "window.ccmsExplorer.cy.zoom({level: 2.5, position: n.position()}); }", row["uid"])
    page.wait_for_timeout(800)
    shot(page, "18-06-explorer-person-photo")
    _no_csp_errors(new_page)
