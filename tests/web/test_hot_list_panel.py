"""The hot list panel of the case page: a writer of the case adds and removes plates through its forms, a bad
entry comes back named by field with nothing written, a reader sees the list but no forms (and a post of theirs
is refused), and a restricted case stays the usual not-found with no hot list content."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest

from ccms_graph.logic.casework import cases
from ccms_graph.logic.location import hotlists
from tests.web.conftest import csrf_from, sign_in

ADD_FORM = "Add a plate to the hot list"


def _case(graph, org, **extra):
    return cases.create_case(graph, org.agent_a, {"title": "Operation Tailgate", **extra}, status="open")


def _entries(graph) -> list[dict]:
    return graph.query("MATCH (h:HotListEntry) RETURN h.plate_key AS key, h.removed_at IS NOT NULL AS removed, "
                       "h.removed_reason AS removed_reason, h.removed_by AS removed_by ORDER BY key")


def _live_rows(html: str) -> str:
    """The body of the live entries table of the hot list panel ('' when the page has none)."""
    m = re.search(r'aria-label="Live hot list entries".*?<tbody>(.*?)</tbody>', html, re.S)
    return m.group(1) if m else ""


def _entry(graph, org, case, plate="TAIL01", **extra):
    data = {"plate": plate, "state": "FL", "reason": "seen at the warehouse",
            "expires_at": (datetime.now(UTC) + timedelta(days=30)).isoformat(), **extra}
    return hotlists.add_entry(graph, org.agent_a, case["uid"], data)


def test_the_owner_adds_a_plate_through_the_form_and_sees_it_listed(client, graph, org):
    case = _case(graph, org)
    sign_in(client, "agent_a")
    page = client.get(f"/cases/{case['uid']}").get_data(as_text=True)
    assert ADD_FORM in page and 'id="hotlist"' in page and "No live hot list entries." in page
    expires = date.today() + timedelta(days=60)
    done = client.post(f"/cases/{case['uid']}/hot-list",
                       data={"csrf_token": csrf_from(page), "plate": "abc-123", "state": "fl",
                             "reason": "white van at the warehouse", "expires_at": expires.isoformat()})
    assert done.status_code == 302 and done.headers["Location"].endswith(f"/cases/{case['uid']}#hotlist")
    html = client.get(done.headers["Location"]).get_data(as_text=True)
    assert "FL ABC123 put on the hot list." in html
    rows = _live_rows(html)
    for shown in ("ABC123", "FL", "white van at the warehouse", expires.isoformat(), "Agent A"):
        assert shown in rows, shown
    assert _entries(graph) == [{"key": "FL:ABC123", "removed": False, "removed_reason": None, "removed_by": None}]


@pytest.mark.parametrize(("change", "field", "message"), [
    ({"expires_at": (date.today() - timedelta(days=1)).isoformat()}, "expires at", "the expiry must be in the future"),
    ({"expires_at": (date.today() + timedelta(days=400)).isoformat()}, "expires at", "at most 365 days ahead"),
    ({"expires_at": "next tuesday"}, "expires at", "Not a valid datetime."),
    ({"reason": ""}, "reason", "Missing data for required field."),
    ({"plate": "!!!"}, "plate", "is not a licence plate"),
])
def test_a_bad_entry_comes_back_naming_its_field_and_writes_nothing(client, graph, org, change, field, message):
    case = _case(graph, org)
    sign_in(client, "agent_a")
    token = csrf_from(client.get(f"/cases/{case['uid']}").get_data(as_text=True))
    data = {"csrf_token": token, "plate": "BAD1", "state": "FL", "reason": "a lead",
            "expires_at": (date.today() + timedelta(days=10)).isoformat(), **change}
    answer = client.post(f"/cases/{case['uid']}/hot-list", data=data, follow_redirects=True)
    html = answer.get_data(as_text=True)
    assert answer.status_code == 200
    assert f"Not done: {field}: " in html and message in html
    assert "put on the hot list" not in html and "BAD1" not in _live_rows(html)
    assert _entries(graph) == []


def test_removing_an_entry_takes_it_out_of_the_live_list_and_keeps_why(client, graph, org):
    case = _case(graph, org)
    kept, gone = _entry(graph, org, case, "KEEP01"), _entry(graph, org, case, "GONE01")
    sign_in(client, "agent_a")
    page = client.get(f"/cases/{case['uid']}").get_data(as_text=True)
    assert "GONE01" in _live_rows(page) and "KEEP01" in _live_rows(page)
    assert f"/cases/{case['uid']}/hot-list/{gone['uid']}/remove" in page
    done = client.post(f"/cases/{case['uid']}/hot-list/{gone['uid']}/remove",
                       data={"csrf_token": csrf_from(page), "reason": "van sold"}, follow_redirects=True)
    html = done.get_data(as_text=True)
    assert "FL GONE01 taken off the hot list." in html
    assert "GONE01" not in _live_rows(html) and "KEEP01" in _live_rows(html)
    assert _entries(graph) == [
        {"key": "FL:GONE01", "removed": True, "removed_reason": "van sold", "removed_by": org.agent_a.uid},
        {"key": "FL:KEEP01", "removed": False, "removed_reason": None, "removed_by": None}]
    assert kept["uid"] in html
    # The list's history stays readable: the removed entry, who took it off and why, folded away.
    removed = html.split('class="hotlist-removed"')[1].split("</details>")[0]
    assert "GONE01" in removed and "van sold" in removed and "Agent A" in removed and "KEEP01" not in removed


def test_an_expired_entry_is_folded_away_from_the_live_list(client, graph, org):
    case = _case(graph, org)
    old = _entry(graph, org, case, "OLD01")
    graph.query("MATCH (h:HotListEntry {uid: $u}) SET h.expires_at = datetime() - duration({days: 2})",
                {"u": old["uid"]}, write=True)
    sign_in(client, "agent_a")
    html = client.get(f"/cases/{case['uid']}").get_data(as_text=True)
    assert "OLD01" not in _live_rows(html)
    lapsed = html.split('class="hotlist-lapsed"')[1].split("</details>")[0]
    assert "OLD01" in lapsed and "seen at the warehouse" in lapsed


def test_a_reader_who_may_not_write_sees_the_list_but_no_forms_and_is_refused(client, graph, org):
    case = _case(graph, org)
    entry = _entry(graph, org, case)
    sign_in(client, "agent_b")  # same office, not on the team: reads the case, may not change it
    page = client.get(f"/cases/{case['uid']}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "TAIL01" in _live_rows(html)
    assert ADD_FORM not in html and "/hot-list" not in html
    token = csrf_from(html)
    add = client.post(f"/cases/{case['uid']}/hot-list", follow_redirects=True,
                      data={"csrf_token": token, "plate": "MINE01", "state": "FL", "reason": "mine now",
                            "expires_at": (date.today() + timedelta(days=5)).isoformat()})
    remove = client.post(f"/cases/{case['uid']}/hot-list/{entry['uid']}/remove", follow_redirects=True,
                         data={"csrf_token": token, "reason": "mine now"})
    for answer in (add, remove):
        assert answer.status_code == 200 and "Not done" in answer.get_data(as_text=True)
    assert _entries(graph) == [{"key": "FL:TAIL01", "removed": False, "removed_reason": None, "removed_by": None}]


def test_a_post_without_the_csrf_token_writes_nothing(client, graph, org):
    case = _case(graph, org)
    sign_in(client, "agent_a")
    answer = client.post(f"/cases/{case['uid']}/hot-list",
                         data={"plate": "NOCSRF", "state": "FL", "reason": "forged",
                               "expires_at": (date.today() + timedelta(days=5)).isoformat()})
    assert answer.status_code == 400
    assert _entries(graph) == []


def test_a_restricted_case_is_the_usual_not_found_with_no_hot_list(client, graph, org):
    case = _case(graph, org, restricted=True)
    _entry(graph, org, case, "SECRET1", reason="informant's car")
    sign_in(client, "agent_nyc")
    page = client.get(f"/cases/{case['uid']}")
    html = page.get_data(as_text=True)
    unknown = client.get("/cases/no-such-case")
    assert page.status_code == unknown.status_code == 404
    for hidden in ("SECRET1", "informant", "Hot list", "hotlist", "Operation Tailgate"):
        assert hidden not in html, hidden
    token = csrf_from(client.get("/").get_data(as_text=True))
    answer = client.post(f"/cases/{case['uid']}/hot-list", follow_redirects=True,
                         data={"csrf_token": token, "plate": "PROBE1", "state": "FL", "reason": "probing",
                               "expires_at": (date.today() + timedelta(days=5)).isoformat()})
    assert answer.status_code < 500 and "SECRET1" not in answer.get_data(as_text=True)
    assert [e["key"] for e in _entries(graph)] == ["FL:SECRET1"]
