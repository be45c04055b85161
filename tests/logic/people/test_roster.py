"""A deployment's org chart from a roster (`ccms-graph users provision`): all of it in one transaction, or
nothing, with a refusal that names the entry and its field."""

from __future__ import annotations

import json

import pytest

from ccms_graph.cli import main
from ccms_graph.errors import Conflict, Forbidden, ValidationFailed
from ccms_graph.logic.people import auth, roster
from ccms_graph.policy.actor import SYSTEM, load_actor
from tests.factories import ORG_ROSTER, PASSWORD


def _roster() -> dict:
    """The tests' org chart, listed backwards: children before their parent office, staff before their supervisor."""
    return {"offices": list(reversed(ORG_ROSTER["offices"])), "users": list(reversed(ORG_ROSTER["users"]))}


def _counts(graph) -> tuple[int, int, int]:
    row = graph.query("MATCH (n) WITH count(CASE WHEN n:Office THEN 1 END) AS o, count(CASE WHEN n:User THEN 1 END) "
                      "AS u RETURN o, u, COUNT { MATCH (e:AuditEntry {action: 'admin'}) } AS a")[0]
    return row["o"], row["u"], row["a"]


def test_a_roster_creates_offices_accounts_and_their_chain_in_any_order(graph):
    made = roster.provision(graph, SYSTEM, _roster())
    assert made["offices"] == ["NYC", "MIA-PEV", "MIA"]
    assert [u["username"] for u in made["users"]][:2] == ["admin", "auditor"]
    assert _counts(graph) == (3, 10, 13)  # each office and account audited, as one at a time would be
    rows = graph.query("MATCH (u:User)-[:REPORTS_TO]->(s:User) RETURN u.username AS u, s.username AS s ORDER BY u")
    assert {r["u"]: r["s"] for r in rows} == {"sup_mia": "chief", "agent_a": "sup_mia", "agent_b": "sup_mia",
                                                "agent_port": "sup_mia", "analyst_mia": "sup_mia",
                                                "agent_nyc": "sup_nyc"}
    assert graph.query("MATCH (:Office {code: 'MIA-PEV'})-[:WITHIN]->(p:Office) RETURN p.code AS p") == [{"p": "MIA"}]
    assert graph.query("MATCH (u:User {username: 'agent_port'})-[:MEMBER_OF]->(o) RETURN o.code AS o") == [
        {"o": "MIA-PEV"}]
    who = auth.authenticate(graph, "agent_a", PASSWORD, "127.0.0.1")  # active at once, password hashed
    assert (who.username, who.role, who.office_code) == ("agent_a", "agent", "MIA")
    assert not graph.query("MATCH (u:User) WHERE u.password IS NOT NULL RETURN u")
    uids = {u["username"]: u["uid"] for u in made["users"]}
    chief, port = graph.read(load_actor, "chief"), graph.read(load_actor, "agent_port")
    assert {uids["sup_mia"], uids["agent_a"], uids["agent_port"]} <= set(chief.subordinates)
    assert set(port.offices) == {"MIA-PEV"} and "MIA-PEV" in chief.offices


@pytest.mark.parametrize("change, field, problem", [
    (lambda r: r["users"][3].update(password="short"), "users[3].password", "12"),
    (lambda r: r["users"][0].update(role="sheriff"), "users[0].role", "one of"),
    (lambda r: r["offices"][1].update(parent_code="LAX"), "offices[1].parent_code", "no office LAX"),
    (lambda r: r["users"][2].update(office_code="LAX"), "users[2].office_code", "no office LAX"),
    (lambda r: r["users"][2].update(supervisor="nobody"), "users[2].supervisor", "no user nobody"),
    (lambda r: r["users"][2].update(supervisor="auditor"), "users[2].supervisor", "an auditor supervises no one"),
    (lambda r: r["users"][4].update(username="agent_a"), "users[7].username", "agent_a is also users[4]"),
    (lambda r: r["offices"].append(dict(r["offices"][0])), "offices[3].code", "also offices[0]"),
    # chief (users[9]) would report to sup_mia (users[8]), who reports to chief; agent_a (users[7]) only
    # reports into that circle
    (lambda r: r["users"][9].update(supervisor="sup_mia"), "users[8].supervisor",
     "sup_mia would report to themselves through chief"),
    (lambda r: r["users"][9].update(supervisor="chief"), "users[9].supervisor", "themselves"),
])
def test_a_bad_entry_refuses_the_whole_roster_naming_it(graph, change, field, problem):
    bad = json.loads(json.dumps(_roster()))
    change(bad)
    with pytest.raises(ValidationFailed) as err:
        roster.provision(graph, SYSTEM, bad)
    assert list(err.value.errors) == [field]
    assert problem in " ".join(err.value.errors[field])
    assert _counts(graph) == (0, 0, 0)


def test_a_taken_code_or_username_refuses_the_roster_and_only_the_system_provisions(graph, org):
    before = _counts(graph)
    with pytest.raises(Conflict, match=r"offices\[0\]: office MIA already exists"):
        roster.provision(graph, SYSTEM, {"offices": [{"code": "MIA", "name": "Again", "kind": "field_office"}]})
    new_office = {"code": "LAX", "name": "Los Angeles", "kind": "field_office"}
    with pytest.raises(Conflict, match=r"users\[0\]: username agent_a is taken"):
        roster.provision(graph, SYSTEM, {"offices": [new_office], "users": [{**ORG_ROSTER["users"][2]}]})
    assert _counts(graph) == before  # LAX, valid on its own, was not written either
    with pytest.raises(Forbidden, match="only the system"):
        roster.provision(graph, org.admin, {"offices": [new_office]})
    assert graph.query("MATCH (e:AuditEntry {action: 'deny', actor_username: 'admin'}) RETURN e.details AS d")[0][
        "d"] == json.dumps({"answer": 403, "detail": "only the system provisions a roster; an administrator creates "
                                                      "accounts one at a time", "op": "provision", "reason": "Forbidden"},
                           sort_keys=True)
    # A roster may name a supervisor the database already holds.
    made = roster.provision(graph, SYSTEM, {"offices": [new_office], "users": [
        {**ORG_ROSTER["users"][2], "username": "agent_lax", "office_code": "LAX", "supervisor": "sup_mia"}]})
    assert graph.query("MATCH (:User {uid: $u})-[:REPORTS_TO]->(s) RETURN s.username AS s",
                       {"u": made["users"][0]["uid"]}) == [{"s": "sup_mia"}]


@pytest.fixture
def cli_env(monkeypatch, test_settings):
    monkeypatch.setenv("CCMS_NEO4J_URI", test_settings.neo4j_uri or test_settings.local_bolt_uri)


def test_the_command_provisions_a_roster_file_and_names_a_bad_one(graph, tmp_path, capsys, cli_env):
    bad = tmp_path / "bad.json"
    bad.write_text('{"offices": [')
    assert main(["users", "provision", str(bad)]) == 2
    assert "not valid JSON" in capsys.readouterr().err
    assert main(["users", "provision", str(tmp_path / "missing.json")]) == 2
    assert "cannot read" in capsys.readouterr().err
    bad.write_text(json.dumps({"users": [{"username": "x"}]}))
    assert main(["users", "provision", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "users[0].password" in err and "users[0].role" in err and "Traceback" not in err
    good = tmp_path / "roster.json"
    good.write_text(json.dumps(_roster()))
    assert main(["users", "provision", str(good)]) == 0
    out = json.loads(capsys.readouterr().out)
    assert len(out["users"]) == 10 and "password_hash" not in json.dumps(out)
    assert _counts(graph) == (3, 10, 13)
