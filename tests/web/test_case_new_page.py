"""The "open a case" page: check for open cases on the subject and violation first, then request the case with
that check; the case page shows the supervisor what the check found."""

from __future__ import annotations

from tests.factories import make_person, stored_case
from tests.logic.casework.helpers import open_case
from tests.web.conftest import csrf_from, sign_in

SMUGGLING = "18 USC 545 (smuggling)"


def _form(token, **extra):
    return {"csrf_token": token, "subject_type": "Person", "title": "Operation Egret", "violations": "18 U.S.C. 545",
            "given_name": "Jonathon", "family_name": "Smithers", "dob": "1980-05-17", **extra}


def _subject_case(graph, owner, sup, title, restricted=False):
    case = open_case(graph, owner, sup, title, violations=[SMUGGLING], restricted=restricted)
    make_person(graph, owner, case_uid=case["uid"], given_name="Jonathan", family_name="Smithers", dob="1980-05-17")
    return case


def test_the_form_checks_then_requests_the_case_with_the_check(client, graph, org):
    heron = _subject_case(graph, org.agent_b, org.sup_mia, "Operation Heron")
    lantern = _subject_case(graph, org.agent_nyc, org.sup_nyc, "Operation Lantern", restricted=True)
    sign_in(client, "agent_a")
    assert 'href="/cases/new"' in client.get("/").get_data(as_text=True)
    page = client.get("/cases/new").get_data(as_text=True)
    assert 'value="check"' in page and 'value="open"' not in page  # no request before a check

    checked = client.post("/cases/new", data=_form(csrf_from(page)))

    html = checked.get_data(as_text=True)
    assert checked.status_code == 200
    assert heron["props"]["case_number"] in html and "Agent B" in html and "agent_b@example.gov" in html
    assert "A case you may not read" in html and "agent_nyc@example.gov" in html
    assert lantern["props"]["case_number"] not in html and "Lantern" not in html
    assert 'value="open"' in html and 'name="deconfliction_check"' in html

    token = csrf_from(html)
    check_uid = html.split('name="deconfliction_check" value="', 1)[1].split('"', 1)[0]
    opened = client.post("/cases/new", data=_form(token, do="open", deconfliction_check=check_uid))
    assert opened.status_code == 302
    case = stored_case(graph, opened.headers["Location"].rsplit("/", 1)[-1])
    assert (case["props"]["title"], case["props"]["deconfliction_check"]) == ("Operation Egret", check_uid)

    client.post("/signout", data={"csrf_token": token})
    sign_in(client, "sup_mia")
    summary = client.get(f"/cases/{case['uid']}").get_data(as_text=True)
    assert "Deconfliction check" in summary and "2 open cases with the same violation" in summary
    assert heron["props"]["case_number"] in summary and "Lantern" not in summary


def test_the_form_names_bad_fields_and_will_not_request_without_a_check(client, graph, org):
    sign_in(client, "agent_a")
    token = csrf_from(client.get("/cases/new").get_data(as_text=True))

    bad = client.post("/cases/new", data=_form(token, violations=""))
    assert bad.status_code == 422 and 'id="f-violations-err"' in bad.get_data(as_text=True)
    bad = client.post("/cases/new", data=_form(token, dob="1980-05-17" * 30))  # a subject's field, beside it
    assert bad.status_code == 422 and 'id="f-dob-err"' in bad.get_data(as_text=True)

    unchecked = client.post("/cases/new", data=_form(token, do="open"))
    assert unchecked.status_code == 422 and "check for open cases on the subject" in unchecked.get_data(as_text=True)
    assert graph.query("MATCH (c:Case) RETURN count(c) AS n")[0]["n"] == 0


def test_a_business_subject_and_a_case_without_a_check_say_so(client, graph, org):
    sign_in(client, "agent_a")
    page = client.get("/cases/new?subject_type=Business").get_data(as_text=True)
    assert 'name="ein"' in page and 'name="given_name"' not in page
    assert client.get("/cases/new?subject_type=Vehicle").status_code == 404
    case = open_case(graph, org.agent_a, org.sup_mia, "Operation Plain")
    assert "none recorded before the case was requested" in client.get(f"/cases/{case['uid']}").get_data(as_text=True)
