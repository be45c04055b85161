"""Pages wired to the case-access, comments, office-list, edit-clearing and import logic, through the real app."""

from __future__ import annotations

import io
import json
import re
import time

from ccms_graph.logic.casework import approvals, cases
from ccms_graph.logic.entities import access, comments, imports, records
from tests.factories import a_readable_and_a_hidden_match, make_person, stored_case, stored_record
from tests.web.conftest import csrf_from, sign_in


def _token(client, url: str = "/") -> str:
    return csrf_from(client.get(url).get_data(as_text=True))


def _case(graph, org):
    return cases.create_case(graph, org.agent_a, {"title": "Operation Kestrel"}, status="open")


def test_owner_restricts_a_case_from_its_page_and_the_office_loses_it(client, graph, org):
    case = _case(graph, org)
    sign_in(client, "agent_a")
    page = client.get(f"/cases/{case['uid']}").get_data(as_text=True)
    assert "Restrict the case" in page and 'for="rs-reason"' in page
    token = csrf_from(page)
    refused = client.post(f"/cases/{case['uid']}/restricted", data={"csrf_token": token, "restricted": "yes",
                                                                    "reason": ""}, follow_redirects=True)
    assert "Not done: reason" in refused.get_data(as_text=True)
    assert not stored_case(graph, case["uid"])["props"].get("restricted")
    done = client.post(f"/cases/{case['uid']}/restricted", data={"csrf_token": token, "restricted": "yes",
                                                                 "reason": "informant safety"}, follow_redirects=True)
    html = done.get_data(as_text=True)
    assert "Asked your supervisor to restrict the case." in html and "Restriction requested" in html
    assert not stored_case(graph, case["uid"])["props"].get("restricted")  # until the supervisor approves
    (req,) = graph.query("MATCH (r:ApprovalRequest {kind: 'case_restrict'}) RETURN r.uid AS uid")
    approvals.approve(graph, org.sup_mia, req["uid"])
    assert stored_case(graph, case["uid"])["props"]["restricted"] is True
    client.post("/signout", data={"csrf_token": _token(client)})
    sign_in(client, "agent_b")
    assert client.get(f"/cases/{case['uid']}").status_code == 404


def test_a_non_member_sees_no_switch_and_cannot_post_one(client, graph, org):
    case = _case(graph, org)
    sign_in(client, "agent_b")
    page = client.get(f"/cases/{case['uid']}").get_data(as_text=True)
    assert "Restrict the case" not in page and "Add to team" not in page
    answer = client.post(f"/cases/{case['uid']}/restricted", data={"csrf_token": csrf_from(page),
                                                                   "restricted": "yes", "reason": "mine now"},
                         follow_redirects=True)
    assert "Not done" in answer.get_data(as_text=True)
    assert not stored_case(graph, case["uid"])["props"].get("restricted")


def test_owner_adds_a_colleague_by_username_and_removes_them(client, graph, org):
    case = _case(graph, org)
    sign_in(client, "agent_a")
    token = _token(client, f"/cases/{case['uid']}")
    page = client.post(f"/cases/{case['uid']}/team", data={"csrf_token": token, "op": "add",
                                                           "username": "Agent_B"}, follow_redirects=True)
    html = page.get_data(as_text=True)
    assert "Added to the team." in html
    assert re.search(r'<ul class="items team".*Agent B <span class="muted">agent_b', html, re.S)
    assert org.agent_b.uid in stored_case(graph, case["uid"])["props"]["team_uids"]
    unknown = client.post(f"/cases/{case['uid']}/team", data={"csrf_token": token, "op": "add",
                                                              "username": "nobody_here"}, follow_redirects=True)
    assert "Not done: member uid: no user nobody_here" in unknown.get_data(as_text=True)
    auditor = client.post(f"/cases/{case['uid']}/team", data={"csrf_token": token, "op": "add",
                                                              "username": "auditor"}, follow_redirects=True)
    assert "cannot join a case team" in auditor.get_data(as_text=True)
    gone = client.post(f"/cases/{case['uid']}/team", data={"csrf_token": token, "op": "remove",
                                                           "member_uid": org.agent_b.uid}, follow_redirects=True)
    assert "Removed from the team." in gone.get_data(as_text=True)
    assert org.agent_b.uid not in (stored_case(graph, case["uid"])["props"].get("team_uids") or [])


def test_adding_another_offices_user_says_a_supervisor_was_asked_and_adds_no_one_yet(client, graph, org):
    case = _case(graph, org)
    sign_in(client, "agent_a")
    token = _token(client, f"/cases/{case['uid']}")
    page = client.post(f"/cases/{case['uid']}/team", data={"csrf_token": token, "op": "add",
                                                           "username": "agent_nyc"}, follow_redirects=True)
    html = page.get_data(as_text=True)
    assert "your supervisor has been asked to approve" in html
    assert "Added to the team." not in html
    assert org.agent_nyc.uid not in (stored_case(graph, case["uid"])["props"].get("team_uids") or [])


def test_entity_page_lists_comments_and_takes_a_correction(client, graph, org):
    person = make_person(graph, org.agent_a, given_name="Rosa", family_name="Vidal")
    comments.add_comment(graph, org.agent_a, person["uid"], {"text": "Seen at the marina.", "kind": "note"})
    sign_in(client, "agent_b")
    page = client.get(f"/records/{person['uid']}").get_data(as_text=True)
    assert "Seen at the marina." in page and "Agent A" in page
    answer = client.post(f"/records/{person['uid']}/comments", data={
        "csrf_token": csrf_from(page), "kind": "correction", "text": "Later found to be a victim, not a target."},
        follow_redirects=True)
    html = answer.get_data(as_text=True)
    assert "Correction added." in html
    assert re.search(r'class="correction-note".*Later found to be a victim', html, re.S)
    stored = comments.comments_for(graph, org.agent_a, person["uid"], audit_view=False)
    assert [(c["kind"], c["author_uid"]) for c in stored] == [("note", org.agent_a.uid),
                                                               ("correction", org.agent_b.uid)]
    too_short = client.post(f"/records/{person['uid']}/comments", data={
        "csrf_token": csrf_from(html), "kind": "note", "text": "x"}, follow_redirects=True)
    assert "Not done: text" in too_short.get_data(as_text=True)
    # the page and the two posts wrote one view entry per page load, no more
    views = graph.query("MATCH (e:AuditEntry {action: 'view'}) WHERE $u IN e.targets RETURN count(e) AS n",
                        {"u": person["uid"]})
    assert views == [{"n": 3}]


def test_auditor_sees_comments_but_no_comment_form(client, graph, org):
    person = make_person(graph, org.agent_a, given_name="Rosa", family_name="Vidal")
    sign_in(client, "auditor")
    comments.add_comment(graph, org.agent_a, person["uid"], {"text": "Seen at the marina.", "kind": "note"})
    page = client.get(f"/records/{person['uid']}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Seen at the marina." in html and "Add comment" not in html


def test_search_office_filter_is_a_list_of_the_offices(client, graph, org):
    make_person(graph, org.agent_a, given_name="Maria", family_name="Lopez")
    sign_in(client, "agent_a")
    html = client.get("/search?q=Lopez&office=MIA").get_data(as_text=True)
    select = re.search(r'<select id="office" name="office">(.*?)</select>', html, re.S)
    assert select, "the office filter is not a select"
    codes = re.findall(r'<option value="([^"]*)"', select.group(1))
    assert codes == ["", "MIA", "MIA-PEV", "NYC"]
    assert re.search(r'<option value="MIA" selected>', select.group(1))
    assert "Maria Lopez" in html
    assert "Maria Lopez" not in client.get("/search?q=Lopez&office=NYC").get_data(as_text=True)


def test_edit_form_clears_a_field_emptied_by_the_user(client, graph, org):
    person = records.create_entity(graph, org.agent_a, "Person", {
        "given_name": "Ana", "family_name": "Ruiz", "eye_colour": "brown", "aliases": ["Annie"],
        "identifiers": [{"type": "custom", "value": "X-1"}]})
    sign_in(client, "agent_a")
    form = client.get(f"/records/{person['uid']}/edit").get_data(as_text=True)
    assert 'name="_had" value="eye_colour"' in form and 'name="_had" value="height_cm"' not in form
    assert "custom: X-1" in form  # identifiers shown as the form reads them, not as stored JSON
    data = {"csrf_token": csrf_from(form), "type": "Person", "version": re.search(
        r'name="version" value="(\d+)"', form).group(1), "given_name": "Ana", "family_name": "Ruiz",
        "eye_colour": "", "aliases": "", "identifiers": "custom: X-1", "height_cm": "",
        "_had": ["given_name", "family_name", "eye_colour", "aliases", "identifiers"]}
    saved = client.post(f"/records/{person['uid']}/edit", data=data)
    assert saved.status_code == 302, saved.get_data(as_text=True)[:2000]
    props = stored_record(graph, person["uid"])["props"]
    assert props.get("eye_colour") is None and props.get("aliases") in (None, [])
    assert props["given_name"] == "Ana" and json.loads(props["identifiers"]) == [{"type": "custom", "value": "X-1"}]
    entry = graph.query("MATCH (e:AuditEntry {action: 'update'}) WHERE $u IN e.targets RETURN e.details AS d",
                        {"u": person["uid"]})
    assert "height_cm" not in entry[-1]["d"]  # a field that was empty and stays empty is not a change


def _wait_for(client, url: str, seconds: float = 60) -> dict:
    deadline = time.monotonic() + seconds
    while True:
        job = client.get(url).get_json()
        if job["state"] != "running" or time.monotonic() > deadline:
            return job
        time.sleep(0.2)


def _upload(client, lines: list[str], case_uid: str = "", form: str | None = None) -> str:
    """Upload `lines` as people.jsonl through the import page's form; the job page's URL."""
    form = form or client.get("/imports").get_data(as_text=True)
    answer = client.post("/imports", data={"csrf_token": csrf_from(form), "type": "Person", "case": case_uid,
                                           "file": (io.BytesIO("\n".join(lines).encode()), "people.jsonl")},
                         content_type="multipart/form-data")
    assert answer.status_code == 302
    return answer.headers["Location"]


def test_import_page_runs_a_jsonl_file_and_reports_progress(client, graph, org):
    case = _case(graph, org)
    sign_in(client, "agent_a")
    form = client.get("/imports").get_data(as_text=True)
    assert case["props"]["case_number"] in form
    lines = [json.dumps({"given_name": f"Imported{i}", "family_name": "Person", "ref": f"r{i}"}) for i in range(300)]
    lines += ["not json", json.dumps({"eye_colour": "blue"}), json.dumps({"given_name": "Bad", "ssn": "123"})]
    job_url = _upload(client, lines, case["uid"], form)
    page = client.get(job_url).get_data(as_text=True)
    assert "Import of people.jsonl" in page and 'id="im-progress"' in page
    job_id = job_url.rstrip("/").rsplit("/", 1)[-1]
    job = _wait_for(client, f"/ui/imports/{job_id}")
    assert job["state"] == "done", job
    assert (job["total"], job["lines"], job["created"]) == (303, 303, 301)
    assert sorted(r["line"] for r in job["refused"]) == [301, 302]
    assert [w["line"] for w in job["warnings"]] == [303]
    members = access.view_record(graph, org.agent_a, case["uid"])["subjects"]
    assert len(members) == 301
    done = client.get(job_url).get_data(as_text=True)
    assert "Done: 301 records created from 303 lines." in done and "Line 301" in done
    assert "Line 303</span> loaded with ssn kept as unverified" in done
    assert "(ssn: &#39;123&#39; is not a valid SSN)" in done  # what was wrong with it
    # another user cannot follow someone else's job
    client.post("/signout", data={"csrf_token": _token(client)})
    sign_in(client, "agent_b")
    assert client.get(f"/ui/imports/{job_id}").status_code == 404


def test_import_job_lists_each_line_that_met_a_record_and_whom_to_call_never_a_hidden_record(client, graph, org):
    mine, hidden, lines = a_readable_and_a_hidden_match(graph, org)
    sign_in(client, "agent_a")
    job_url = _upload(client, [json.dumps(line) for line in lines])
    job_id = job_url.rstrip("/").rsplit("/", 1)[-1]
    assert _wait_for(client, f"/ui/imports/{job_id}")["state"] == "done"

    answer = client.get(f"/ui/imports/{job_id}")
    job, text = answer.get_json(), answer.get_data(as_text=True)
    created = {r["ref"]: r["uid"] for r in graph.query(
        "MATCH (n:Person) WHERE n.source_ref IN ['L1', 'L3'] RETURN n.source_ref AS ref, n.uid AS uid")}
    met = {m["ref"]: m for m in job["hit_lines"]}
    assert sorted(met) == ["L1", "L3"] and job["hit_lines_total"] == 2  # the line that met nothing is not listed
    assert (met["L1"]["line"], met["L1"]["uid"], met["L3"]["line"], met["L3"]["uid"]) == (1, created["L1"], 3,
                                                                                        created["L3"])
    (seen,) = met["L1"]["hits"]
    assert (seen["uid"], seen["source_ref"], seen["caption"], seen["decision"]) == (mine["uid"], "MIA-9",
                                                                                    "Lucia Ferreira", "match")
    assert seen["owner"]["name"] == org.agent_b.name and seen["owner"]["email"] and seen["hit_uid"]
    assert met["L1"]["sub_record_of"] == mine["uid"]  # settled under the master it matched
    (locked,) = met["L3"]["hits"]
    assert locked["restricted"] is True and locked["owner"]["name"] == org.agent_nyc.name
    assert locked["uid"] is None and locked["caption"] is None and locked["score"] is None
    assert "sub_record_of" not in met["L3"]
    assert hidden["uid"] not in text and "NYC-SECRET-5" not in text and "Orlov" not in text

    page = client.get(job_url).get_data(as_text=True)
    assert f'href="/records/{created["L1"]}"' in page and f'href="/records/{mine["uid"]}"' in page
    assert "Line 3</span> (L3)" in page and "Restricted match" in page and org.agent_nyc.name in page
    assert hidden["uid"] not in page and "NYC-SECRET-5" not in page
    # nobody else gets the job, its hits or its page
    client.post("/signout", data={"csrf_token": _token(client)})
    sign_in(client, "agent_b")
    assert client.get(f"/ui/imports/{job_id}").status_code == 404
    assert client.get(job_url).status_code == 404


def test_import_job_page_shows_a_line_whose_record_is_gone_since_without_naming_it(client, graph, org):
    _, _, lines = a_readable_and_a_hidden_match(graph, org)
    sign_in(client, "agent_a")
    job_url = _upload(client, [json.dumps(line) for line in lines])
    assert _wait_for(client, f"/ui/imports/{job_url.rstrip('/').rsplit('/', 1)[-1]}")["state"] == "done"
    gone = graph.query("MATCH (n:Person {source_ref: 'L1'}) SET n.deleted = true RETURN n.uid AS uid", write=True)
    page = client.get(job_url)
    assert page.status_code == 200
    assert gone[0]["uid"] not in page.get_data(as_text=True) and "you may no longer read" in page.get_data(as_text=True)


def test_import_job_page_says_when_it_lists_only_the_first_lines_that_met_records(client, graph, org, monkeypatch):
    monkeypatch.setattr(imports, "KEPT_HITS", 1)
    _, _, lines = a_readable_and_a_hidden_match(graph, org)
    sign_in(client, "agent_a")
    job_url = _upload(client, [json.dumps(line) for line in lines])
    job = _wait_for(client, f"/ui/imports/{job_url.rstrip('/').rsplit('/', 1)[-1]}")
    assert (job["state"], [m["ref"] for m in job["hit_lines"]], job["hit_lines_total"]) == ("done", ["L1"], 2)
    assert "The first 1 of 2 lines that met records; the counts above are exact" in client.get(job_url).get_data(
        as_text=True)


def test_import_page_refuses_a_missing_type_by_saying_so(client, org):
    sign_in(client, "agent_a")
    answer = client.post("/imports", data={"csrf_token": _token(client, "/imports"), "type": "",
                                           "file": (io.BytesIO(b'{"name": "x"}'), "x.jsonl")},
                         content_type="multipart/form-data")
    assert answer.status_code == 422 and "Choose the type" in answer.get_data(as_text=True)


def test_team_names_come_from_users_not_uids(client, graph, org):
    case = _case(graph, org)
    cases.change_team(graph, org.agent_a, case["uid"], org.agent_b.uid, add=True)
    sign_in(client, "agent_b")
    html = client.get(f"/cases/{case['uid']}").get_data(as_text=True)
    team = re.search(r'<ul class="items team".*?</ul>', html, re.S).group(0)
    assert "Agent A" in team and "Agent B" in team
    assert org.agent_a.uid not in re.sub(r'value="[^"]*"', "", team)  # names and usernames shown, not uids
    assert len(re.findall(r'aria-label="Remove ', team)) == 1  # the owner stays: only agent_b can be removed


def test_import_page_reads_a_column_map_and_refuses_a_bad_one_keeping_what_was_typed(client, graph, org):
    sign_in(client, "agent_a")
    form = client.get("/imports").get_data(as_text=True)
    assert 'name="map"' in form
    csv_text = b"unique_id,cluster,first_name,surname,postcode_fake\nH-1,c9,Dana,Reyes,33101\n"

    def post(mapping: str):
        return client.post("/imports", data={"csrf_token": csrf_from(form), "type": "Person", "case": "",
                                             "map": mapping, "file": (io.BytesIO(csv_text), "people.csv")},
                           content_type="multipart/form-data")

    bad = post("postcode_fake=zipp\ncluster=")
    page = bad.get_data(as_text=True)
    assert bad.status_code == 422 and "is no Person field or column an import reads" in page
    assert "postcode_fake=zipp\ncluster=</textarea>" in page  # what was typed stays in the form
    answer = post("postcode_fake=postcode\n\ncluster=\n")
    assert answer.status_code == 302
    job = _wait_for(client, "/ui/imports/" + answer.headers["Location"].rstrip("/").rsplit("/", 1)[-1])
    assert (job["state"], job["created"], job["warnings"]) == ("done", 1, [])
    assert graph.query("MATCH (p:Person {source_ref: 'H-1'})-[:RESIDES_AT]->(a) RETURN a.postcode AS z") == [
        {"z": "33101"}]
