"""The Sessions page: a user sees where they are signed in and ends the sessions they do not recognise."""

from __future__ import annotations

import re

from tests.web.conftest import csrf_from, sign_in


def test_sessions_page_lists_mine_and_ends_one_or_all_the_others(app, graph, org):
    here, phone, tablet = app.test_client(), app.test_client(), app.test_client()
    for client in (here, phone, tablet):
        assert sign_in(client, "agent_a").status_code == 302
    sign_in(app.test_client(), "agent_b")
    page = here.get("/account/sessions")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "this session" in html
    ends = re.findall(r'action="(/account/sessions/[0-9a-f]+/end)"', html)
    assert len(ends) == 2  # the two others; agent_b's session is not listed

    r = here.post(ends[0], data={"csrf_token": csrf_from(html)})
    assert r.status_code == 302 and r.headers["Location"].endswith("/account/sessions")
    assert sorted(c.get("/").status_code for c in (phone, tablet)) == [200, 302]

    html = here.get("/account/sessions").get_data(as_text=True)
    r = here.post("/account/sessions/end-others", data={"csrf_token": csrf_from(html)})
    assert r.status_code == 302
    assert phone.get("/").status_code == 302 and tablet.get("/").status_code == 302
    assert here.get("/").status_code == 200
    assert graph.query("MATCH (s:Session {user_uid: $u}) WHERE s.ended_at IS NULL RETURN count(s) AS n",
                       {"u": org.agent_a.uid}) == [{"n": 1}]
    # Ending one of someone else's sessions is refused like a missing one, and changes nothing.
    theirs = graph.query("MATCH (s:Session {user_uid: $u}) RETURN s.uid AS uid", {"u": org.agent_b.uid})[0]["uid"]
    html = here.get("/account/sessions").get_data(as_text=True)
    r = here.post(f"/account/sessions/{theirs}/end", data={"csrf_token": csrf_from(html)}, follow_redirects=True)
    assert "Not done" in r.get_data(as_text=True)
    assert graph.query("MATCH (s:Session {uid: $u}) RETURN s.ended_at IS NULL AS live", {"u": theirs}) == [
        {"live": True}]
