"""The browser journeys of issue 6, in Chromium against the real app and the sandbox seed; screenshots per step."""

from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import expect

from ccms_graph.logic.casework import approvals
from ccms_graph.policy.actor import load_actor

from .conftest import shot, sign_in

pytestmark = pytest.mark.browser


def _no_csp_errors(new_page):
    assert not [e for e in new_page.console_errors if "Content Security Policy" in e or "Refused" in e], \
        new_page.console_errors


def test_sign_in_with_banner(new_page):
    page = new_page()
    page.goto("/signin")
    expect(page.get_by_role("heading", name="System use notification")).to_be_visible()
    expect(page.get_by_role("note")).to_contain_text("Usage may be monitored")
    page.get_by_label("Username").fill("agent_garcia")
    page.get_by_label("Password").fill("correct-horse-battery")
    shot(page, "01-signin-banner")
    page.get_by_role("button", name="Sign in").click()  # the acknowledgement is required: nothing happens
    expect(page).to_have_url(re.compile(r"/signin$"))
    page.get_by_label("I have read and acknowledge the system use notification").check()
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="My cases")).to_be_visible()
    expect(page.get_by_role("banner")).to_contain_text("Elena Garcia")
    for panel in ("Awaiting my action", "Notifications", "Recent deconfliction hits"):
        expect(page.get_by_role("heading", name=re.compile(panel))).to_be_visible()
    expect(page.locator("#my-cases + table tbody tr").first).to_be_visible()
    shot(page, "01-desktop")
    _no_csp_errors(new_page)


def test_search_and_open_a_case(new_page, seeded):
    page = new_page()
    sign_in(page, "agent_garcia")
    box = page.get_by_role("searchbox", name="Search records and cases")
    box.fill("Tidwater")  # misspelt on purpose: the search is fuzzy
    box.press("Enter")
    expect(page.get_by_role("heading", name=re.compile(r"results? for “Tidwater”"))).to_be_visible()
    # The case itself (its ROI, titled after it, is found too, in the documents' group).
    link = page.get_by_role("link", name=re.compile(r"^\S+-FY\d{2}-\d{5} Operation Tidewater$"))
    expect(link).to_be_visible()
    page.get_by_role("checkbox", name="Person", exact=True).check()
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("link", name=re.compile("Operation Tidewater"))).to_have_count(0)
    page.get_by_role("checkbox", name="Person", exact=True).uncheck()
    page.get_by_role("checkbox", name="Case", exact=True).check()
    page.get_by_role("button", name="Search").click()
    shot(page, "02-search-results")
    page.get_by_role("link", name=re.compile("Operation Tidewater")).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Operation Tidewater")
    for section in ("Summary", "Subjects", "Documents", "Report of Investigation", "Team and access",
                    "Disclosures", "Timeline"):
        expect(page.get_by_role("heading", name=re.compile(f"^{section}"), level=2)).to_be_visible()
    expect(page.locator("#subjects tbody tr").first).to_be_visible()
    shot(page, "02-case-page")
    _no_csp_errors(new_page)


def _a_person_owned_by(graph, username: str) -> dict:
    rows = graph.query("""
        MATCH (p:Person {owner_uid: $owner})-[:SUBJECT_IN]->(c:Case)
        WHERE p.dob =~ '\\d{4}-\\d{2}-\\d{2}' AND NOT coalesce(c.restricted, false) AND c.status = 'open'
        RETURN p.given_name AS given, p.family_name AS family, p.dob AS dob, p.uid AS uid
        ORDER BY p.source_ref LIMIT 1""", {"owner": f"user-{username}"})
    assert rows, f"the seed gives {username} no person in an open case"
    return rows[0]


def test_create_a_person_and_see_the_deconfliction_hit(new_page, seeded):
    existing = _a_person_owned_by(seeded, "agent_chen")
    page = new_page()
    sign_in(page, "agent_garcia")
    page.get_by_role("link", name="New record").click()
    page.get_by_role("link", name=re.compile("^Person")).click()
    expect(page.get_by_role("heading", name="New Person")).to_be_visible()
    page.get_by_label("Height (cm)").fill("tall")
    page.get_by_label("Given name").fill(existing["given"])
    page.get_by_label("Family name").fill(existing["family"])
    page.get_by_label(re.compile("^Date of birth")).fill(existing["dob"])
    candidates = page.locator("#cand-list")
    first = candidates.locator("li", has_text=f"{existing['given']} {existing['family']}").first
    expect(first).to_be_visible()
    expect(first.locator(".score")).to_contain_text("%")
    expect(first.locator(".reasons li").first).to_be_visible()
    expect(first).to_contain_text("David Chen")
    shot(page, "03-person-form-candidates")
    page.get_by_role("button", name="Create Person").click()
    expect(page.locator(".field.has-error", has=page.get_by_label("Height (cm)"))).to_contain_text("integer")
    shot(page, "03-person-form-field-error")
    page.get_by_label("Height (cm)").fill("180")
    page.get_by_role("button", name="Create Person").click()
    # A record the agent may read matches: a sub-record of it, or a separate record with a reason (PIA §2.4).
    settle = page.locator("#settle")
    expect(settle).to_contain_text("already has a Subject Record")
    expect(settle.get_by_role("link", name=f"{existing['given']} {existing['family']}").first).to_be_visible()
    shot(page, "03-person-form-settle")
    settle.get_by_label("A separate record, because:").check()
    settle.get_by_label("Why this is a separate record").fill("a different man: another father's name, per Chen")
    page.get_by_role("button", name="Create Person").click()
    expect(page.get_by_role("heading", name=re.compile("Person created"))).to_be_visible()
    hits = page.locator("ul.hits > li", has_text=f"{existing['given']} {existing['family']}")
    expect(hits.first).to_be_visible()
    expect(hits.first.locator(".contact")).to_contain_text("David Chen")
    expect(hits.first.locator(".contact")).to_contain_text("@ccms.example.gov")
    shot(page, "03-person-created-hits")
    _no_csp_errors(new_page)


def test_import_a_file_and_see_whom_to_call_for_each_line_that_met_a_record(new_page, seeded):
    existing = _a_person_owned_by(seeded, "agent_chen")
    line = {"ref": "JOURNEY-1", "given_name": existing["given"], "family_name": existing["family"],
            "dob": existing["dob"]}
    page = new_page()
    sign_in(page, "agent_garcia")
    page.goto("/imports")
    page.get_by_label("JSONL or CSV file", exact=True).set_input_files({"name": "journey.jsonl", "mimeType": "application/x-ndjson",
                                                     "buffer": (json.dumps(line) + "\n").encode()})
    page.get_by_label("Record type").select_option("Person")
    page.get_by_role("button", name="Start the import").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Import of journey.jsonl")
    expect(page.locator("#im-status")).to_contain_text("Done: 1 record created from 1 line.", timeout=60_000)
    expect(page.locator("#im-hits")).to_contain_text("on 1 record;")
    met = page.locator("#im-met > li", has_text="Line 1")
    expect(met).to_contain_text("(JOURNEY-1)")
    # the hit on Chen's record (the list polled in, or drawn by the page when the job was done first)
    chen = met.locator(".cand, .hit").filter(has=page.get_by_role("link", name=f"{existing['given']} "
                                                                         f"{existing['family']}"))
    chens = chen.filter(has=page.locator(".contact", has_text="David Chen")).first
    expect(chens).to_be_visible()
    expect(chens.locator(".score")).to_contain_text("%")
    shot(page, "03-import-job-hits")
    _no_csp_errors(new_page)


def test_expand_the_graph_and_find_a_shortest_path(new_page, seeded):
    row = seeded.query("""
        MATCH (ph:Phone)<-[:USES_PHONE]-(p:Person)-[:SUBJECT_IN]->(c:Case {uid: 'case-001'})
        RETURN c.uid AS case_uid, p.uid AS person, ph.uid AS phone ORDER BY p.source_ref LIMIT 1""")[0]
    page = new_page(1500, 950)
    sign_in(page, "agent_garcia")
    page.goto(f"/explore?start={row['case_uid']}")
    status = page.locator("#ex-status")
    expect(status).to_contain_text("on screen", timeout=20_000)  # a loaded 2-core machine lays out slowly
    nodes = page.locator("#ex-nodes")
    nodes.select_option(row["person"])
    expect(page.locator(f'#ex-nodes option[value="{row["phone"]}"]')).to_have_count(0)
    page.get_by_role("button", name="Expand", exact=True).click()
    # The first expansion after the server starts compiles the neighbourhood query's plan (about 8 s here).
    expect(page.locator(f'#ex-nodes option[value="{row["phone"]}"]')).to_have_count(1, timeout=30_000)
    nodes.select_option(row["phone"])
    page.get_by_role("button", name="Set as end").click()
    nodes.select_option(row["case_uid"])
    page.get_by_role("button", name="Set as start").click()
    page.get_by_role("button", name="Find shortest path").click()
    # The first path search also compiles its query's plan: on a loaded 2-core machine 15 s was not enough.
    expect(page.locator("#ex-path-result")).to_contain_text("Path of 2 links", timeout=30_000)
    expect(page.locator("#ex-details")).to_be_visible()
    shot(page, "04-explorer-shortest-path")
    _no_csp_errors(new_page)


def test_supervisor_approves_a_report_of_investigation(new_page, seeded):
    case = seeded.query("""MATCH (c:Case {owner_uid: 'user-agent_garcia', status: 'open'})
                           RETURN c.uid AS uid ORDER BY c.case_number LIMIT 1""")
    assert case, "the seed gives agent_garcia no open case"
    title = "ROI #2 - surveillance of the warehouse"
    agent = new_page()
    sign_in(agent, "agent_garcia")
    agent.goto(f"/cases/{case[0]['uid']}")
    agent.get_by_text("Start a new Report of Investigation").click()
    agent.locator("#roi-title").fill(title)
    agent.locator("#roi-narrative").fill("Subjects met at the warehouse on three occasions.")
    agent.locator("details.newroi").get_by_role("button", name="Save draft").click()
    roi = agent.get_by_role("article", name=title)
    expect(roi.locator(".status")).to_have_text("Draft")
    roi.get_by_role("button", name="Submit for approval").click()
    expect(agent.get_by_role("status").first).to_contain_text("submitted for approval")
    expect(agent.get_by_role("article", name=title).locator(".status")).to_have_text("Submitted")

    sup = new_page()
    sign_in(sup, "sup_miami")
    sup.get_by_role("link", name="Approvals").click()
    row = sup.locator("tr", has_text=title)
    expect(row).to_have_count(1)
    shot(sup, "05-approval-queue")
    row.get_by_role("button", name="Approve").click()
    expect(row.locator(".outcome")).to_have_text("Approved.")
    expect(row).to_have_class(re.compile("done-approved"))
    shot(sup, "05-approval-approved-in-place")
    agent.reload()
    expect(agent.get_by_role("article", name=title).locator(".status")).to_have_text("Approved")
    _no_csp_errors(new_page)


def test_analyst_runs_a_saved_query(new_page, seeded):
    page = new_page()
    sign_in(page, "analyst_miami")
    page.get_by_role("link", name="Saved queries").click()
    page.get_by_role("link", name="Shared phones").click()
    expect(page.get_by_role("heading", name="Shared phones", level=2)).to_be_visible()
    page.get_by_label(re.compile("^Min cases")).fill("2")
    page.get_by_role("button", name="Run query").click()
    expect(page.get_by_role("heading", name=re.compile(r"^Result: [1-9]\d* rows?"))).to_be_visible()
    expect(page.locator("table.grid thead th").first).to_be_visible()
    shot(page, "06-saved-query-table")

    page.get_by_role("link", name="Case link chart").click()
    page.get_by_label(re.compile("^Case uid")).fill("case-001")
    page.get_by_role("button", name="Run query").click()
    expect(page.get_by_role("heading", name=re.compile(r"^Result: .*, (1 node|[1-9][\d,]* nodes)$"))).to_be_visible()
    expect(page.get_by_role("img", name="The result as a graph").locator("canvas").first).to_be_attached()
    assert page.evaluate("window.ccmsResultGraph.nodes().length") > 1
    shot(page, "06-saved-query-graph")
    _no_csp_errors(new_page)


def test_auditor_finds_a_users_views_in_the_audit_log(new_page, seeded):
    agent = new_page()
    sign_in(agent, "agent_chen")
    agent.goto("/cases/case-004")
    expect(agent.get_by_role("heading", level=1)).to_be_visible()

    auditor = new_page()
    sign_in(auditor, "auditor")
    auditor.get_by_role("link", name="Audit log").click()
    auditor.get_by_label("User (username or id)").fill("agent_chen")
    auditor.get_by_label("Action").select_option("view")
    auditor.get_by_role("button", name="Search the log").click()
    rows = auditor.locator("table.audit tbody tr")
    expect(rows.first).to_contain_text("agent_chen")
    expect(rows.first).to_contain_text("view")
    expect(auditor.locator("table.audit")).to_contain_text("case-004")
    shot(auditor, "07-audit-log-views")
    with auditor.expect_download() as dl:
        auditor.get_by_role("link", name="Export CSV").click()
    expect(auditor.locator("#audit-export-status")).to_contain_text("Export ready")
    assert "agent_chen" in open(dl.value.path(), encoding="utf-8").read()
    _no_csp_errors(new_page)


def _approve_restriction(graph, case_uid: str) -> None:
    """The owner's supervisor approves the pending restriction request (the approvals page has its own journey)."""
    (req,) = graph.query("MATCH (r:ApprovalRequest {kind: 'case_restrict', status: 'pending', target_uid: $c}) "
                         "RETURN r.uid AS uid", {"c": case_uid})
    approvals.approve(graph, graph.read(load_actor, "sup_miami"), req["uid"])


def test_owner_restricts_a_case_and_a_colleague_adds_a_correction(new_page, seeded):
    row = seeded.query("""
        MATCH (p:Person)-[:SUBJECT_IN]->(c:Case {owner_uid: 'user-agent_garcia', status: 'open'})
        WHERE NOT coalesce(c.restricted, false)
        RETURN c.uid AS case_uid, c.case_number AS number, p.uid AS person ORDER BY c.case_number, p.source_ref LIMIT 1""")
    assert row, "the seed gives agent_garcia no unrestricted open case with a subject"
    case_uid, person = row[0]["case_uid"], row[0]["person"]
    page = new_page()
    sign_in(page, "agent_garcia")
    page.goto(f"/cases/{case_uid}#access")
    access = page.locator("#access")
    expect(access.locator("#restricted-state")).to_have_text("Not restricted")
    access.get_by_label("Reason to restrict the case").fill("informant safety")
    access.get_by_role("button", name="Restrict the case").click()
    expect(page.get_by_role("status").first).to_contain_text("Asked your supervisor to restrict the case.")
    expect(access.locator("#restriction-pending")).to_contain_text("Restriction requested")
    expect(access.locator("#restricted-state")).to_have_text("Not restricted")  # until the supervisor approves
    _approve_restriction(seeded, case_uid)
    page.reload()
    expect(access.locator("#restricted-state")).to_have_text("Restricted case")
    expect(access.get_by_role("button", name="Lift the restriction")).to_be_visible()
    shot(page, "08-case-restricted")
    access.get_by_label("Reason to lift the restriction").fill("informant relocated")
    access.get_by_role("button", name="Lift the restriction").click()
    expect(access.locator("#restriction-pending")).to_contain_text("Lifting the restriction requested")
    _approve_restriction(seeded, case_uid)
    page.reload()
    expect(access.locator("#restricted-state")).to_have_text("Not restricted")

    page.goto(f"/records/{person}")
    comments = page.locator("#comments")
    comments.get_by_role("radio", name="Correction").check()
    comments.get_by_label(re.compile("^Comment")).fill("Later found to be a victim, not a target.")
    comments.get_by_role("button", name="Add comment").click()
    expect(page.get_by_role("status").first).to_contain_text("Correction added.")
    expect(page.locator(".correction-note")).to_contain_text("Later found to be a victim")
    expect(comments.locator("li.comment-correction")).to_contain_text("Elena Garcia")
    shot(page, "08-entity-correction")
    _no_csp_errors(new_page)


def test_explorer_canvas_works_from_the_keyboard(new_page, seeded):
    page = new_page(1500, 950)
    sign_in(page, "agent_garcia")
    page.goto("/explore?start=case-001")
    expect(page.locator("#ex-status")).to_contain_text("on screen")
    page.locator("#cy").focus()  # focusing the canvas selects a node, so the keys have something to act on
    expect(page.locator("#ex-selected")).not_to_have_text("Nothing selected.")
    before = page.locator("#ex-selected").text_content()
    page.keyboard.press("ArrowRight")
    expect(page.locator("#ex-selected")).not_to_have_text(before)
    count = page.evaluate("window.ccmsExplorer.cy.nodes().length")
    page.keyboard.press("Enter")
    page.keyboard.press("e")
    expect(page.locator("#ex-status")).to_contain_text("new node")
    page.keyboard.press("Escape")
    expect(page.locator("#ex-selected")).to_have_text("Nothing selected.")
    expect(page.locator("#ex-nodes")).to_have_value("")
    assert page.evaluate("window.ccmsExplorer.cy.nodes().length") >= count
    # every control of the tools panel has an accessible name
    unnamed = page.evaluate("""() => [...document.querySelectorAll('#explorer button, #explorer select, #explorer input:not([type=hidden])')]
        .filter((el) => !(el.labels && el.labels.length) && !el.getAttribute('aria-label') && !el.textContent.trim())
        .map((el) => el.id || el.outerHTML.slice(0, 60))""")
    assert unnamed == []
    shot(page, "09-explorer-keyboard")
    _no_csp_errors(new_page)
