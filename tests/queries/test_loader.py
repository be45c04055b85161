"""Query files: headers parsed and checked, malformed files named at start-up, writes refused before running."""

from __future__ import annotations

import pytest

from ccms_graph.errors import ValidationFailed
from ccms_graph.queries import loader
from ccms_graph.queries.params import validate_params

HEADER = """// name: tq
// description: A test query.
// result: table
// roles: analyst
// param: limit | int | 10 | min=1 max=50
// param: who | uid | required
// ---
"""


def text(body: str, header: str = HEADER) -> str:
    return header + body


GOOD = "MATCH (s:SubjectRecord {uid: $who}) WHERE {{subject_readable s}} RETURN s.uid AS uid LIMIT $limit"


def test_a_good_query_parses_with_its_header_and_expanded_policy():
    q = loader.parse("tq", text(GOOD))
    assert (q.name, q.kind, q.roles) == ("tq", "table", ("analyst",))
    assert [(p.name, p.type, p.required, p.default) for p in q.params] == [
        ("limit", "int", False, 10), ("who", "uid", True, None)]
    assert "{{" not in q.cypher and "$auditor" in q.cypher and "$offices" in q.cypher


WRITES = [
    "CREATE (n:Person {uid: 'x'}) WITH n MATCH (s:SubjectRecord) WHERE {{readable s}} RETURN s",
    "MATCH (s:SubjectRecord) WHERE {{readable s}} DELETE s RETURN 1 AS x",
    "MATCH (s:SubjectRecord) WHERE {{readable s}} DETACH DELETE s RETURN 1 AS x",
    "MATCH (s:SubjectRecord) WHERE {{readable s}} SET s.given_name = 'x' RETURN s",
    "MATCH (s:SubjectRecord) WHERE {{readable s}} REMOVE s.given_name RETURN s",
    "MERGE (p:Phone {e164: '+1'}) WITH p MATCH (s:SubjectRecord) WHERE {{readable s}} RETURN s",
    "MATCH (s:SubjectRecord) WHERE {{readable s}} FOREACH (x IN [1] | SET s.n = x) RETURN s",
    "LOAD CSV FROM 'file:///etc/passwd' AS row MATCH (s:SubjectRecord) WHERE {{readable s}} RETURN row",
    "MATCH (s:SubjectRecord) WHERE {{readable s}} CALL db.createLabel('X') RETURN s",
    "MATCH (s:SubjectRecord) WHERE {{readable s}} CALL apoc.create.setProperty(s, 'x', 1) YIELD node RETURN node",
    "MATCH (s:SubjectRecord) WHERE {{readable s}} CALL (s) { WITH s RETURN s AS t } IN TRANSACTIONS RETURN t",
    "MATCH (s:SubjectRecord) WHERE {{readable s}} CALL dbms.killQueries(['x']) RETURN s",
    "MATCH (s:SubjectRecord) WHERE {{readable s}} RETURN apoc.cypher.runFirstColumnSingle('MATCH (n) DETACH DELETE n', {}) AS x",
    "MATCH (s:SubjectRecord) WHERE {{readable s}} INSERT (:Person {uid: 'x'}) RETURN s",
    "USE system MATCH (s:SubjectRecord) WHERE {{readable s}} RETURN s",
    "match (s:SubjectRecord) where {{readable s}} set s.x = 1 return s",
]


@pytest.mark.parametrize("body", WRITES)
def test_writes_and_write_procedures_are_refused_when_loaded(body):
    with pytest.raises(loader.QueryFileError, match="not allowed") as exc:
        loader.parse("tq", text(body))
    assert "query 'tq'" in str(exc.value)


@pytest.mark.parametrize("body,reason", [
    ("MATCH (u:User) MATCH (s:SubjectRecord) WHERE {{readable s}} RETURN u.password_hash AS h", "User is not queryable"),
    ("MATCH (e:AuditEntry) MATCH (s:SubjectRecord) WHERE {{readable s}} RETURN e", "AuditEntry is not queryable"),
    ("MATCH (s:SubjectRecord)-[:REPORTS_TO]->(x) WHERE {{readable s}} RETURN s", "REPORTS_TO is not queryable"),
    ("MATCH (s:SubjectRecord)-[:SUBJECT_IN]->(x) RETURN s", "has no label"),
    ("MATCH (s:SubjectRecord) RETURN properties(s) AS p", "properties\\(\\) is not allowed"),
    ("MATCH (s:SubjectRecord) WHERE {{readable s}} AND s.uid = $other RETURN s", "undeclared parameter"),
    ("MATCH (s:SubjectRecord) WHERE {{visible s}} RETURN s", "unknown placeholder"),
    ("MATCH (s:SubjectRecord) WHERE {{readable s.x}} RETURN s", "not a Cypher variable"),
    ("MATCH (s:SubjectRecord) WHERE {{readable s}} RETURN s; MATCH (n) RETURN n", "one statement"),
    ("MATCH (s:`User`) WHERE {{readable s}} RETURN s", "back-quoted"),
])
def test_queries_reaching_outside_the_vocabulary_or_the_policy_are_refused(body, reason):
    with pytest.raises(loader.QueryFileError, match=reason):
        loader.parse("tq", text(body))


def test_a_query_without_placeholders_gets_the_policy_composed_in():
    """The policy no longer depends on the author remembering a placeholder: the guard adds it."""
    q = loader.parse("tq", text("MATCH (s:SubjectRecord {uid: $who}) RETURN s.uid AS uid LIMIT $limit"))
    assert "{{" not in q.cypher and "$auditor" in q.cypher and "$offices" in q.cypher and "s_mc:Case" in q.cypher


def test_a_property_or_variable_named_like_a_keyword_is_not_a_write():
    q = loader.parse("tq", text("MATCH (s:SubjectRecord) WHERE {{readable s}} AND s.set = 'CREATE' "
                               "WITH s AS offset RETURN offset.uid AS uid"))
    assert q.name == "tq"


@pytest.mark.parametrize("header,reason", [
    (HEADER.replace("// result: table\n", ""), "no result:"),
    (HEADER.replace("result: table", "result: chart"), "table or graph"),
    (HEADER.replace("roles: analyst", "roles: analyst, janitor"), "unknown janitor"),
    (HEADER.replace("name: tq", "name: other"), "differs"),
    (HEADER.replace("int | 10", "integer | 10"), "unknown type"),
    (HEADER.replace("min=1 max=50", "min=1 maximum=50"), "does not apply"),
    (HEADER.replace("int | 10", "int | 100"), "default"),
    (HEADER.replace("// param: who | uid | required\n", "// param: me | uid | required\n"), "reserved"),
    (HEADER.replace("// ---\n", "// colour: blue\n"), "header line"),
])
def test_malformed_headers_are_refused_by_name(header, reason):
    with pytest.raises(loader.QueryFileError, match=reason) as exc:
        loader.parse("tq", text(GOOD, header))
    assert exc.value.name == "tq"


def test_a_malformed_file_is_reported_by_name_at_start_up(tmp_path):
    (tmp_path / "tq.cypher").write_text(text(GOOD))
    (tmp_path / "broken.cypher").write_text(text(GOOD).replace("name: tq", "name: broken").replace(
        "RETURN s.uid", "SET s.x = 1 RETURN s.uid"))
    (tmp_path / "headless.cypher").write_text(GOOD)
    with pytest.raises(loader.CatalogueError) as exc:
        loader.load_directory(tmp_path)
    assert sorted(e.name for e in exc.value.errors) == ["broken", "headless"]
    assert "'broken'" in str(exc.value) and "'headless'" in str(exc.value)


def test_the_shipped_catalogue_loads():
    queries = loader.reload()
    assert len(queries) >= 12
    assert all(q.description and q.roles for q in queries.values())


def test_parameters_are_validated_with_errors_naming_each_parameter():
    q = loader.parse("tq", text(GOOD))
    assert validate_params(q, {"who": "abc-1", "limit": "5"}) == {"who": "abc-1", "limit": 5}
    assert validate_params(q, {"who": "abc-1"})["limit"] == 10
    with pytest.raises(ValidationFailed) as exc:
        validate_params(q, {"limit": 500, "colour": "red"})
    assert set(exc.value.errors) == {"who", "limit", "colour"}
    assert "takes no parameter 'colour'" in exc.value.errors["colour"][0]
    with pytest.raises(ValidationFailed) as exc:
        validate_params(q, {"who": "'; MATCH (n) DETACH DELETE n //"})
    assert list(exc.value.errors) == ["who"]
