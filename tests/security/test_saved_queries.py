"""Analysts' saved queries, tried by a hostile insider: none of them may learn anything about records
they may not read, through values, errors, counts, selectors or the mere presence of a row.

The insider is `analyst_mia` (Miami). The secret is a person in a restricted New York case she is not
on: "Zebulon Quartermain", with an SSN, an A-Number, a phone and an e-mail. Each test is one class of
attack; each failed on the code before the guard (`ccms_graph.queries.guard`).
"""

from __future__ import annotations

import json

import pytest

from ccms_graph import queries
from ccms_graph.errors import Forbidden, NotFound, ValidationFailed
from ccms_graph.queries import store
from tests.factories import make_person
from tests.logic.casework.helpers import open_case

SSN, A_NUMBER, PHONE, EMAIL = "078-05-1120", "A087654321", "+12125550199", "zq@cartel.example"
SECRETS = ("Zebulon", "Quartermain", SSN, "078051120", A_NUMBER, "087654321", "2125550199", EMAIL)


def header(name: str, kind: str = "table", params: str = "") -> str:
    return (f"// name: {name}\n// description: An insider's query.\n// result: {kind}\n"
            f"// roles: agent, analyst, supervisor, auditor\n" + params)


@pytest.fixture
def world(graph, org):
    secret_case = open_case(graph, org.agent_nyc, org.sup_nyc, title="Cartel wire", restricted=True)
    hidden = make_person(graph, org.agent_nyc, case_uid=secret_case["uid"], given_name="Zebulon",
                         family_name="Quartermain", ssn=SSN, a_number=A_NUMBER, phones=[PHONE], emails=[EMAIL])
    mia_case = open_case(graph, org.agent_a, org.sup_mia, title="Port smuggling")
    mine = make_person(graph, org.agent_a, case_uid=mia_case["uid"], given_name="Yolanda",
                       family_name="Reyes", ssn="219-09-9999", phones=["+13055550142"])
    return {"org": org, "secret_case": secret_case["uid"], "hidden": hidden["uid"], "mia_case": mia_case["uid"],
            "mine": mine["uid"]}


def approved(graph, world, name: str, text: str) -> None:
    """The insider's query, saved and approved by her own supervisor, so it runs as a table."""
    org = world["org"]
    queries.save_query(graph, org.analyst_mia, name, text)
    queries.approve_query(graph, org.sup_mia, name, 1)


def leaked(value) -> list[str]:
    text = json.dumps(value, default=str)
    return [s for s in SECRETS if s in text]


def last_denial(graph, actor) -> dict:
    row = graph.query("""MATCH (e:AuditEntry {actor_uid: $u, action: 'deny'}) RETURN properties(e) AS e
                         ORDER BY e.seq DESC LIMIT 1""", {"u": actor.uid})[0]["e"]
    return {**row, "details": json.loads(row["details"])}


# ---------------------------------------------------------------------------------------------
# Error channel
# ---------------------------------------------------------------------------------------------

def test_a_runtime_error_on_a_hidden_record_never_happens_and_one_on_readable_data_says_nothing(graph, world):
    org = world["org"]
    # The insider's filter runs only on rows the policy let through: the hidden person is never evaluated.
    approved(graph, world, "birthdays", header("birthdays") + """
MATCH (c:Case) WHERE {{case_readable c}}
MATCH (x:Person) WHERE x.family_name = 'Quartermain'
RETURN date(x.given_name + '-01-01') AS d, c.uid AS uid
""")
    result = queries.run_query(graph, org.analyst_mia, "birthdays", {})
    assert result.rows == [] and not leaked(result.to_dict())

    # An error on data she may read answers an error id only; the server's message is in the audit log.
    approved(graph, world, "mine", header("mine") + """
MATCH (c:Case) WHERE {{case_readable c}}
MATCH (x:Person) WHERE x.family_name = 'Reyes'
RETURN date(x.given_name) AS d, c.uid AS uid
""")
    with pytest.raises(ValidationFailed) as exc:
        queries.run_query(graph, org.analyst_mia, "mine", {})
    message = json.dumps([exc.value.detail, exc.value.errors])
    assert "Yolanda" not in message and "error " in message
    entry = last_denial(graph, org.analyst_mia)
    error_id = entry["details"]["error_id"]
    assert error_id in message and "Yolanda" in entry["details"]["server_message"]


# ---------------------------------------------------------------------------------------------
# Label-less patterns and non-record nodes: users, sessions, password hashes
# ---------------------------------------------------------------------------------------------

NON_RECORDS = [
    "MATCH (c:Case) WHERE {{case_readable c}}\nMATCH (u) WHERE u.username = 'sup_nyc'\n"
    "RETURN u.password_hash AS h, c.uid AS uid",
    "MATCH (c:Case) WHERE {{case_readable c}}\nMATCH (s) WHERE s.sid IS NOT NULL\nRETURN s.sid AS h, c.uid AS uid",
    "MATCH (c:Case) WHERE {{case_readable c}}\nMATCH (c)-[*1..3]-(u) WHERE u.password_hash IS NOT NULL\n"
    "RETURN u.password_hash AS h, c.uid AS uid",
    "MATCH (c:Case) WHERE {{case_readable c}}\nMATCH (c)--(u)\nRETURN u.password_hash AS h, c.uid AS uid",
    "MATCH (c:Case) WHERE {{case_readable c}}\nOPTIONAL MATCH (c)-[r]->(u)\n"
    "RETURN u.password_hash AS h, properties(u) AS p, c.uid AS uid",
]


@pytest.mark.parametrize("body", NON_RECORDS)
def test_users_sessions_and_other_non_records_cannot_be_reached(graph, world, body):
    org = world["org"]
    # A signed-in session for the supervisor whose hash the insider wants.
    graph.query("""CREATE (:Session {sid: 'secret-session-id', uid: 's1', user_uid: $u, created_at: datetime()})""",
                {"u": org.sup_nyc.uid}, write=True)
    hashes = {r["h"] for r in graph.query("MATCH (u:User) RETURN u.password_hash AS h")}
    with pytest.raises(ValidationFailed) as exc:
        queries.save_query(graph, org.analyst_mia, "peek", header("peek") + body)
    problem = exc.value.errors["text"][0]
    assert "label" in problem or "not allowed" in problem
    assert not any(h in problem for h in hashes) and "secret-session-id" not in problem
    with pytest.raises(NotFound):
        store.get_saved(graph, "peek")


def test_a_version_saved_before_the_guard_is_checked_again_when_it_runs(graph, world):
    """Text that got into the store under older rules is parsed again at every run, and refused."""
    org = world["org"]
    text = header("old_peek") + NON_RECORDS[0]
    graph.query("""CREATE (q:SavedQuery {name: 'old_peek', author_uid: $a, latest_version: 1, approved_version: 1})
                   CREATE (v:SavedQueryVersion {name: 'old_peek', version: 1, text: $t, saved_by: $a})
                   CREATE (v)-[:VERSION_OF]->(q)""", {"a": org.analyst_mia.uid, "t": text}, write=True)
    hashes = {r["h"] for r in graph.query("MATCH (u:User) RETURN u.password_hash AS h")}
    with pytest.raises(ValidationFailed) as exc:
        queries.run_query(graph, org.agent_a, "old_peek", {})
    assert not any(h in json.dumps(exc.value.errors) for h in hashes)


# ---------------------------------------------------------------------------------------------
# Selectors of hidden persons, and the properties of links between selectors
# ---------------------------------------------------------------------------------------------

SELECTOR_QUERIES = {
    "identifiers": ("MATCH (i:Identifier) WHERE {{readable i}} RETURN i.key AS k, i.value AS v", "219-09-9999"),
    "phones": ("MATCH (p:Phone) WHERE {{readable p}} RETURN p.e164 AS k, p.display AS v", "+13055550142"),
    "emails": ("MATCH (e:Email) WHERE {{readable e}} RETURN e.address AS k, e.address AS v", None),
    # The selector's own predicate is implied by the record's here (`guard.implied_selectors`).
    "phones_of_records": ("MATCH (p:Phone)<-[:USES_PHONE {status: 'active'}]-(s:Person)\n"
                          "RETURN p.e164 AS k, s.family_name AS v", "+13055550142"),
    "selectors_of_records": ("MATCH (s:SubjectRecord)-[:USES_EMAIL|USES_PHONE {status: 'active'}]->(x:Email|Phone)\n"
                             "RETURN coalesce(x.address, x.e164) AS k, s.uid AS v", "+13055550142"),
    # The subject's own predicate is implied by the case's here (`guard.implied_subjects`), the phone's by
    # the subject's.
    "subjects_of_cases": ("MATCH (s:Person)-[:SUBJECT_IN {status: 'active'}]->(c:Case)\n"
                          "RETURN s.ssn AS k, s.family_name AS v", "219-09-9999"),
    "phones_of_case_subjects": ("MATCH (c:Case)<-[:SUBJECT_IN {status: 'active'}]-(s:Person)"
                                "-[:USES_PHONE {status: 'active'}]->(p:Phone)\n"
                                "RETURN p.e164 AS k, s.family_name AS v", "+13055550142"),
    "any_linkable": ("MATCH (n:Linkable) WHERE {{readable n}}\n"
                     "RETURN n.uid AS k, coalesce(n.key, n.e164, n.address, n.value, n.family_name) AS v",
                     "+13055550142"),
}


@pytest.mark.parametrize("name", sorted(SELECTOR_QUERIES))
def test_selectors_of_a_hidden_person_never_come_back(graph, world, name):
    org = world["org"]
    body, own = SELECTOR_QUERIES[name]
    approved(graph, world, name, header(name) + body)
    result = queries.run_query(graph, org.analyst_mia, name, {})
    assert not leaked(result.to_dict()), name
    assert own is None or own in json.dumps(result.to_dict())  # her own record's selectors do come back
    # The auditor reads everything, so the same query does find them: the test could fail.
    assert leaked(queries.run_query(graph, org.auditor, name, {}).to_dict())


def test_calls_computed_from_a_hidden_cases_records_do_not_show_between_readable_numbers(graph, world):
    org = world["org"]
    make_person(graph, org.agent_a, case_uid=world["mia_case"], given_name="Walt", phones=["+13055550177"])
    # Call data loaded from the restricted case's returns, between two numbers Miami may read ...
    graph.query("""MATCH (a:Phone {e164: '+13055550142'}), (b:Phone {e164: '+13055550177'})
                   CREATE (a)-[:CALLED {uid: 'call-1', status: 'active', count: 41, total_seconds: 9999,
                                        case_uids: [$secret], first_at: datetime(), last_at: datetime()}]->(b)
                   CREATE (b)-[:CALLED {uid: 'call-2', status: 'active', count: 3, total_seconds: 60,
                                        case_uids: [$mine], first_at: datetime(), last_at: datetime()}]->(a)""",
                {"secret": world["secret_case"], "mine": world["mia_case"]}, write=True)
    approved(graph, world, "calls", header("calls") + """
MATCH (a:Phone)-[c:CALLED]->(b:Phone) WHERE {{readable a}} AND {{readable b}}
RETURN a.e164 AS caller, b.e164 AS called, c.count AS calls, c.total_seconds AS seconds
""")
    rows = queries.run_query(graph, org.analyst_mia, "calls", {}).rows
    assert rows == [{"caller": "+13055550177", "called": "+13055550142", "calls": 3, "seconds": 60}]
    assert len(queries.run_query(graph, org.auditor, "calls", {}).rows) == 2  # the auditor reads both


# ---------------------------------------------------------------------------------------------
# The boolean channel: a result that depends on whether a hidden record matched
# ---------------------------------------------------------------------------------------------

def test_a_guess_about_a_hidden_record_gets_the_same_answer_right_or_wrong(graph, world):
    org = world["org"]
    guess = header("guess", "graph", "// param: guess | string | required\n") + """
MATCH (c:Case) WHERE {{case_readable c}}
WITH count(c) AS n
MATCH (x:Person) WHERE x.family_name = $guess
RETURN x
"""
    queries.save_query(graph, org.analyst_mia, "guess", guess)  # a draft: runs for her as a graph
    right = queries.run_query(graph, org.analyst_mia, "guess", {"guess": "Quartermain"})
    wrong = queries.run_query(graph, org.analyst_mia, "guess", {"guess": "Quartermaine"})
    assert (right.nodes, right.edges, right.withheld) == (wrong.nodes, wrong.edges, wrong.withheld) == ([], [], 0)

    approved(graph, world, "counting", header("counting", params="// param: guess | string | required\n") + """
MATCH (c:Case) WHERE {{case_readable c}}
WITH count(c) AS cases
OPTIONAL MATCH (x:Person {family_name: $guess})
RETURN count(x) AS hits, cases
""")
    answers = [queries.run_query(graph, org.analyst_mia, "counting", {"guess": g}).rows
               for g in ("Quartermain", "Quartermaine")]
    assert answers[0] == answers[1] and answers[0][0]["hits"] == 0
    assert queries.run_query(graph, org.analyst_mia, "counting", {"guess": "Reyes"}).rows[0]["hits"] == 1


def test_an_optional_match_checked_after_its_pattern_gives_a_row_of_nulls_for_what_is_hidden(graph, world):
    # The guard checks an OPTIONAL MATCH's policy inside an OPTIONAL CALL after its pattern: a row whose
    # only match is hidden must stay, with nulls, as a row with no match at all does.
    org = world["org"]
    approved(graph, world, "phones", header("phones", params="// param: number | phone | required\n") + """
MATCH (p:Person) WHERE p.family_name IN ['Reyes', 'Quartermain']
OPTIONAL MATCH (p)-[:USES_PHONE {status: 'active'}]->(ph:Phone)
OPTIONAL MATCH (n:Phone {e164: $number})
RETURN p.family_name AS who, collect(ph.e164) AS phones, count(n) AS number_seen
""")
    rows = {n: queries.run_query(graph, org.analyst_mia, "phones", {"number": n}).rows
            for n in (PHONE, "+13055550142", "+13055550143")}
    assert rows[PHONE] == rows["+13055550143"] == [{"who": "Reyes", "phones": ["+13055550142"], "number_seen": 0}]
    assert rows["+13055550142"] == [{"who": "Reyes", "phones": ["+13055550142"], "number_seen": 1}]


def test_conditions_standing_before_the_guard_answer_a_right_and_a_wrong_guess_alike(graph, world):
    # A prefix, a range and IS NOT NULL cannot fail, so they stand before the policy's CASE (the planner
    # seeks indexes with them) and meet hidden rows; date() could fail, so it still waits behind it.
    org = world["org"]
    approved(graph, world, "prefix", header("prefix", params="// param: guess | string | required\n") + """
MATCH (c:Case) WHERE {{case_readable c}}
WITH count(c) AS cases
OPTIONAL MATCH (x:Person)
  WHERE x.family_name STARTS WITH $guess AND x.ssn IS NOT NULL AND x.ssn >= '0' AND date(x.given_name) IS NULL
RETURN count(x) AS hits, cases
""")
    answers = [queries.run_query(graph, org.analyst_mia, "prefix", {"guess": g}).rows for g in ("Quarter", "Quartz")]
    assert answers[0] == answers[1] and answers[0][0]["hits"] == 0
    with pytest.raises(ValidationFailed) as exc:  # on her own subject the failing condition does run
        queries.run_query(graph, org.analyst_mia, "prefix", {"guess": "Rey"})
    assert "Yolanda" not in json.dumps([exc.value.detail, exc.value.errors])


def test_naming_a_hidden_uid_answers_as_naming_a_uid_that_does_not_exist(graph, world):
    org = world["org"]
    approved(graph, world, "echo", header("echo", params="// param: who | uid | required\n") + """
MATCH (c:Case) WHERE {{case_readable c}}
RETURN $who AS uid, count(c) AS cases
""")
    hidden = queries.run_query(graph, org.analyst_mia, "echo", {"who": world["hidden"]})
    missing = queries.run_query(graph, org.analyst_mia, "echo", {"who": "no-such-record"})
    assert len(hidden.rows) == len(missing.rows) == 1 and hidden.withheld == missing.withheld == 0


# ---------------------------------------------------------------------------------------------
# Approval into the shared catalogue: only the author's supervisor chain
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("who", ["sup_nyc", "admin"])
def test_only_the_authors_supervisor_chain_approves_a_query(graph, world, who):
    org = world["org"]
    queries.save_query(graph, org.analyst_mia, "my_cases", header("my_cases") + """
MATCH (c:Case) WHERE {{case_readable c}}
RETURN c.uid AS uid
""")
    outsider = getattr(org, who)
    with pytest.raises(Forbidden):
        queries.approve_query(graph, outsider, "my_cases", 1)
    entry = last_denial(graph, outsider)
    assert entry["details"]["op"] == "approve_query" and entry["details"]["query"] == "my_cases"
    assert store.get_saved(graph, "my_cases").get("approved_version") is None
    with pytest.raises(NotFound):  # still a draft: nobody else runs it
        queries.run_query(graph, org.agent_a, "my_cases", {})
    queries.approve_query(graph, org.chief, "my_cases", 1)  # the supervisor above her supervisor may
    assert store.get_saved(graph, "my_cases")["approved_version"] == 1
