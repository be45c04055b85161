"""A query result that leaves as a CSV file is audited as an export, through the API as through the logic."""

from __future__ import annotations

import json

import pytest

from ccms_graph.web import create_app
from tests.api.conftest import Api, token_for
from tests.factories import make_person
from tests.logic.casework.helpers import open_case


@pytest.fixture
def api(graph, org):
    app = create_app({"TESTING": True}, graph=graph)
    return Api(app.test_client(), token_for(graph, org.agent_a))


def entries(graph, actor, action):
    rows = graph.query("""MATCH (e:AuditEntry {actor_uid: $u, action: $a}) RETURN properties(e) AS e
                          ORDER BY e.seq""", {"u": actor.uid, "a": action})
    return [{**r["e"], "details": json.loads(r["e"]["details"])} for r in rows]


def test_a_csv_run_is_audited_as_an_export_with_its_query_parameters_and_rows(api, graph, org):
    case = open_case(graph, org.agent_a, org.sup_mia, title="Port smuggling")
    person = make_person(graph, org.agent_a, case_uid=case["uid"], family_name="Quill")
    r = api.get("queries/recent_office_entities/run.csv", query_string={"days": "30"})
    assert r.status_code == 200 and person["uid"] in r.get_data(as_text=True)
    exports = entries(graph, org.agent_a, "export")
    assert len(exports) == 1
    details = exports[0]["details"]
    assert details["query"] == "recent_office_entities" and details["params"]["days"] == 30
    assert details["format"] == "csv" and details["returned"] >= 1
    assert person["uid"] in exports[0]["targets"]
    assert entries(graph, org.agent_a, "query") == []

    assert api.post("queries/recent_office_entities/run", json={"params": {"days": 30}}).status_code == 200
    assert len(entries(graph, org.agent_a, "query")) == 1 and len(entries(graph, org.agent_a, "export")) == 1


def test_the_query_page_download_is_audited_as_an_export(graph, org):
    from tests.web.conftest import csrf_from, sign_in

    case = open_case(graph, org.agent_a, org.sup_mia, title="Port smuggling")
    make_person(graph, org.agent_a, case_uid=case["uid"], family_name="Quill")
    client = create_app({"TESTING": True}, graph=graph).test_client()
    sign_in(client, "agent_a")
    page = client.get("/queries/recent_office_entities").get_data(as_text=True)
    r = client.post("/queries/recent_office_entities",
                    data={"csrf_token": csrf_from(page), "days": "30", "format": "csv"})
    assert r.status_code == 200 and r.mimetype == "text/csv"
    assert len(entries(graph, org.agent_a, "export")) == 1 and entries(graph, org.agent_a, "query") == []


def test_the_command_line_csv_run_is_audited_as_an_export(graph, org, monkeypatch, test_settings, capsys):
    from ccms_graph.cli import main

    monkeypatch.setenv("CCMS_NEO4J_URI", test_settings.neo4j_uri or test_settings.local_bolt_uri)
    assert main(["queries", "run", "recent_office_entities", "--param", "days=30", "--as", "agent_a", "--csv"]) == 0
    assert capsys.readouterr().out.splitlines()[0]  # the CSV header
    assert len(entries(graph, org.agent_a, "export")) == 1 and entries(graph, org.agent_a, "query") == []
