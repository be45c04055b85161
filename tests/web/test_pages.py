"""Server-rendered pages through the real app: each page renders, forms refuse bad input by field, no inline styles."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.factories import make_person
from tests.web.conftest import csrf_from, sign_in

TEMPLATES = Path(__file__).resolve().parents[2] / "ccms_graph" / "web" / "templates"


def test_templates_carry_no_inline_styles_or_scripts():
    for path in TEMPLATES.glob("*.html"):
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"\sstyle=|<style|<script>(?!\s*$)|\son[a-z]+=", text), path.name


def test_each_page_renders_for_a_signed_in_agent(client, org):
    person = make_person(client.application.extensions["ccms_graph"], org.agent_a, given_name="Maria",
                         family_name="Lopez")
    sign_in(client, "agent_a")
    for url in ("/", "/search?q=Lopez", f"/records/{person['uid']}", "/records/new", "/records/new/Person",
                f"/records/{person['uid']}/edit", f"/explore?start={person['uid']}", "/inbox", "/queries"):
        page = client.get(url)
        assert page.status_code == 200, (url, page.status_code)
    assert "Maria Lopez" in client.get("/search?q=Lopes").get_data(as_text=True)  # fuzzy


@pytest.mark.parametrize("field, value, says", [
    ("height_cm", "tall", "Not a valid integer"),
    # a date of birth the form cannot read was stored as typed, flagged, with nothing said
    ("dob", "1975-02-30", "not a date of birth this system can read"),
])
def test_create_form_shows_each_error_next_to_its_field_and_writes_nothing(client, org, field, value, says):
    sign_in(client, "agent_a")
    token = csrf_from(client.get("/records/new/Person").get_data(as_text=True))
    page = client.post("/records/new/Person", data={"csrf_token": token, "given_name": "Ana", field: value})
    html = page.get_data(as_text=True)
    assert page.status_code == 422
    assert re.search(rf'id="f-{field}"[^>]*aria-invalid="true".*?class="field-error"[^>]*>[^<]*{says}', html, re.S)
    graph = client.application.extensions["ccms_graph"]
    assert graph.query("MATCH (n:Person) RETURN count(n) AS n") == [{"n": 0}]


def test_a_record_page_flags_an_imported_date_of_birth_after_today_and_a_partial_one(client, org):
    import json
    from datetime import date, timedelta

    from ccms_graph.logic.entities import imports

    graph = client.application.extensions["ccms_graph"]
    later = (date.today() + timedelta(days=40)).isoformat()
    imports.import_jsonl(graph, org.agent_a, "Person", [json.dumps({"ref": "L1", "given_name": "Rui", "dob": later}),
                                                        json.dumps({"ref": "L2", "given_name": "Eva", "dob": "1985"})])
    uids = {r["ref"]: r["uid"] for r in graph.query("MATCH (n:Person) RETURN n.source_ref AS ref, n.uid AS uid")}
    sign_in(client, "agent_a")
    assert '<span class="flag">after today</span>' in client.get(f"/records/{uids['L1']}").get_data(as_text=True)
    assert '<span class="flag">not a full date</span>' in client.get(f"/records/{uids['L2']}").get_data(as_text=True)


def test_audit_log_is_refused_to_agents_and_open_to_auditors(client, org):
    sign_in(client, "agent_a")
    assert client.get("/audit?go=1&user=agent_a").status_code == 403
    client.post("/signout", data={"csrf_token": csrf_from(client.get("/").get_data(as_text=True))})
    sign_in(client, "auditor")
    page = client.get("/audit?go=1&user=agent_a&action=sign_in")
    assert page.status_code == 200 and "agent_a" in page.get_data(as_text=True)


def test_neighbours_json_locks_what_the_agent_may_not_read(client, org):
    graph = client.application.extensions["ccms_graph"]
    mine = make_person(graph, org.agent_nyc, given_name="Ivan", family_name="Petrov")
    sign_in(client, "agent_a")
    answer = client.get(f"/ui/graph/neighbours/{mine['uid']}")
    assert answer.status_code in (403, 404)


def test_entity_page_is_one_audited_view_and_one_notification(client, graph, org):
    from ccms_graph.logic.entities import records
    from tests.web.conftest import sign_in

    person = records.create_entity(graph, org.agent_a, "Person", {"given_name": "Ivy", "family_name": "Shaw",
                                                                  "phones": ["+13055550188"]})
    sign_in(client, "agent_b")
    page = client.get(f"/records/{person['uid']}")
    assert page.status_code == 200 and "+13055550188" in page.get_data(as_text=True)
    views = graph.query("MATCH (e:AuditEntry {action: 'view'}) WHERE $u IN e.targets RETURN count(e) AS n",
                        {"u": person["uid"]})
    notes = graph.query("MATCH (n:Notification {kind: 'view', record_uid: $u}) RETURN count(n) AS n",
                        {"u": person["uid"]})
    assert views == [{"n": 1}] and notes == [{"n": 1}]


def test_the_approval_queue_approves_a_record_only_as_the_supervisor_saw_it(client, graph, org):
    from ccms_graph.logic.entities import records

    person = make_person(graph, org.agent_a, given_name="Viktor", family_name="Orlov")
    sign_in(client, "sup_mia")
    queue = client.get("/approvals").get_data(as_text=True)
    row = queue[queue.index(f'id="item-{person["uid"]}"'):]
    row = row[:row.index("</tr>")]
    assert 'name="version" value="1"' in row
    form = {"csrf_token": csrf_from(queue), "decision": "approved", "version": "1"}
    # The owner renames the record after the queue was loaded: the approval of version 1 is refused.
    records.update_entity(graph, org.agent_a, person["uid"], {"family_name": "Orlova"})
    done = client.post(f"/approvals/{person['uid']}", data=form, follow_redirects=True)
    assert done.status_code == 200 and "has changed since you reviewed it" in done.get_data(as_text=True)
    status = "MATCH (n:Person {uid: $u}) RETURN n.approval_status AS s"
    assert graph.query(status, {"u": person["uid"]}) == [{"s": "pending"}]
    again = client.get("/approvals").get_data(as_text=True)
    assert 'name="version" value="2"' in again
    client.post(f"/approvals/{person['uid']}", data={**form, "version": "2", "csrf_token": csrf_from(again)})
    assert graph.query(status, {"u": person["uid"]}) == [{"s": "approved"}]


def test_the_create_form_keeps_a_town_typed_without_a_street_and_refuses_a_state_alone(client, org):
    """A town alone was dropped without a word (the form sent an address only with a street line)."""
    graph = client.application.extensions["ccms_graph"]
    sign_in(client, "agent_a")
    token = csrf_from(client.get("/records/new/Person").get_data(as_text=True))
    page = client.post("/records/new/Person", data={"csrf_token": token, "given_name": "Ana", "address_state": "FL"})
    assert page.status_code == 422 and "a city or a postcode" in page.get_data(as_text=True)
    assert graph.query("MATCH (n:Person) RETURN count(n) AS n") == [{"n": 0}]
    page = client.post("/records/new/Person", data={"csrf_token": token, "given_name": "Ana",
                                                    "address_city": "Hialeah", "address_state": "FL"})
    assert page.status_code == 200
    (made,) = graph.query("MATCH (n:Person)-[:RESIDES_AT]->(a:Address) RETURN n.uid AS uid, a.city AS city, "
                          "a.state AS state")
    assert (made["city"], made["state"]) == ("Hialeah", "FL")
    assert "Hialeah, FL" in client.get(f"/records/{made['uid']}").get_data(as_text=True)
