"""The guard on its own: what it refuses (by construct, with a message naming it) and what it composes in."""

from __future__ import annotations

import re

import pytest

from ccms_graph.queries import loader
from ccms_graph.queries.guard import REL_TYPES, GuardError, guard

REFUSED = [
    # label-less, unknown and non-record labels and types
    ("MATCH (u) WHERE u.username = 'x' RETURN u", "has no label"),
    ("MATCH (c:Case)-[:SUBJECT_IN]-(u) RETURN u", "has no label"),
    ("MATCH (c:Case) OPTIONAL MATCH (c)-->() RETURN c", "has no label"),
    ("MATCH (u:User) RETURN u", "User is not queryable"),
    ("MATCH (s:Session) RETURN s", "Session is not queryable"),
    ("MATCH (t:ApiToken) RETURN t", "ApiToken is not queryable"),
    ("MATCH (e:AuditEntry) RETURN e", "AuditEntry is not queryable"),
    ("MATCH (n:Notification) RETURN n", "Notification is not queryable"),
    ("MATCH (r:ApprovalRequest) RETURN r", "ApprovalRequest is not queryable"),
    ("MATCH (c:Case)-[:OWNED_BY]->(x:Case) RETURN c", "OWNED_BY is not queryable"),
    ("MATCH (c:Case) WHERE c:User RETURN c", "User is not queryable"),
    ("MATCH (c:!Case) RETURN c", "negation"),
    ("MATCH (c:%) RETURN c", "wildcard"),
    ("MATCH (c:Case:Person) RETURN c", "no node carries all"),
    # writes and administration, wherever a clause may start
    ("MATCH (c:Case) SET c.x = 1 RETURN c", "SET is not allowed"),
    ("MATCH (c:Case) DETACH DELETE c RETURN 1 AS x", "DETACH is not allowed"),
    ("CREATE (c:Case) RETURN c", "CREATE is not allowed"),
    ("MERGE (c:Case {uid: 'x'}) RETURN c", "MERGE is not allowed"),
    ("LOAD CSV FROM 'file:///etc/passwd' AS row RETURN row", "LOAD CSV is not allowed"),
    ("USE system MATCH (c:Case) RETURN c", "USE is not allowed"),
    ("MATCH (c:Case) FOREACH (x IN [1] | SET c.y = x) RETURN c", "FOREACH is not allowed"),
    ("MATCH (c:Case) CALL db.labels() YIELD label RETURN c", "CALL db.labels is not allowed"),
    ("CALL db.index.fulltext.queryNodes('person_names', 'x') YIELD node RETURN node", "is not allowed"),
    ("MATCH (c:Case) CALL { WITH c RETURN c AS d } RETURN d", "CALL () {"),
    ("MATCH (c:Case) CALL (c) { RETURN c AS d } IN TRANSACTIONS RETURN d", "IN TRANSACTIONS is not allowed"),
    # functions and dynamic access
    ("MATCH (c:Case) RETURN apoc.text.join(['a'], '') AS x", "apoc.text.join() is not allowed"),
    ("MATCH (c:Case) RETURN elementId(c) AS x", "elementId() is not allowed"),
    ("MATCH (c:Case) RETURN id(c) AS x", "id() is not allowed"),
    ("MATCH (c:Case) RETURN properties(c) AS x", "properties() is not allowed"),
    ("MATCH (c:Case) RETURN keys(c) AS x", "keys() is not allowed"),
    ("MATCH (c:Case) RETURN c {.*} AS x", "is not allowed"),
    ("MATCH (c:Case) RETURN c['title'] AS x", "dynamic property access"),
    ("MATCH (c:Case) RETURN c[$key] AS x", "dynamic property access"),
    ("MATCH (c:$($label)) RETURN c", "dynamic labels"),
    ("MATCH (c:`Case`) RETURN c", "back-quoted"),
    # patterns the policy cannot be composed into
    ("MATCH (a:Person)-[*1..3]-(b:Person) RETURN a", "variable-length relationships are not allowed"),
    ("MATCH (a:Person)-[:ASSOCIATE_OF]-+(b:Person) RETURN a", "quantified relationships are not allowed"),
    ("MATCH p = shortestPath((a:Person)-[*]-(b:Person)) RETURN p", "not supported"),
    ("MATCH p = SHORTEST 1 (a:Person)-[:OWNS]-(m:Business)-[:OWNS]-(b:Person) RETURN p", "only the two end nodes"),
    ("MATCH (a:Person WHERE a.x = 1) RETURN a", "not inside the node"),
    # shapes
    ("MATCH (c:Case) RETURN *", "RETURN * is not allowed"),
    ("MATCH (c:Case) RETURN c.uid", "name each computed column"),
    ("MATCH (c:Case) RETURN c; MATCH (d:Case) RETURN d", "one statement"),
    ("MATCH (c:Case)", "ends with RETURN"),
    ("MATCH (c:Case) WHERE 1 < 2 < 3 RETURN c", "chained comparisons"),
    # names the policy binds inside its own predicates
    ("MATCH (s:Person)-[:SUBJECT_IN]->(s_mc:Case) RETURN s", "s_mc is reserved"),
    ("MATCH (s:Person) WITH s, [] AS s_rc RETURN s", "s_rc is reserved"),
    ("MATCH (g__1:Person) RETURN g__1", "single underscores"),
]


@pytest.mark.parametrize("body,reason", REFUSED)
def test_the_guard_refuses_by_construct(body, reason):
    with pytest.raises(GuardError, match=re.escape(reason)):
        guard(body)


def test_an_approval_request_is_a_catalogue_only_kind():
    body = "MATCH (r:ApprovalRequest {status: 'pending'}) RETURN r.uid AS uid"
    with pytest.raises(GuardError, match="ApprovalRequest is not queryable"):
        guard(body)
    assert "r.requested_by IN $subordinates" in guard(body, allow_requests=True).cypher


def test_every_new_node_gets_its_kinds_predicate_and_the_authors_condition_is_evaluated_after_it():
    q = guard("MATCH (x:Person) WHERE date(x.given_name) IS NOT NULL RETURN x").cypher
    when = q.index("CASE WHEN (coalesce(x.deleted, false) = false AND CASE WHEN x:SubjectRecord THEN")
    assert when < q.index("date(x.given_name)") and q.rstrip().endswith("RETURN x")
    assert "x_mc:Case" in q and "x:Case THEN" not in q  # a Person can only be a Subject Record


def _where_and_check(q: str) -> tuple[str, str]:
    """The first MATCH's own WHERE (what the planner may seek with) and the policy check after it."""
    where = q[q.index("WHERE ") + 6:]
    check = where[where.index("{ WITH * WHERE ") + 15:]
    return where[:where.index("\nCALL (")], check


def test_equalities_that_cannot_fail_stay_outside_the_guard_for_the_planner():
    q = guard("MATCH (c:Case {uid: $u}) MATCH (d:Document {owner_uid: c.owner_uid}) RETURN d", {"u": "uid"}).cypher
    assert "(c:Case {uid: $u})" in q
    assert "\n  WHERE d.owner_uid = c.owner_uid\nCALL (c, d) { WITH * WHERE (coalesce(d.deleted" in q


def test_the_policy_is_checked_in_a_subquery_after_each_pattern_so_the_planner_plans_it_once():
    q = guard("MATCH (c:Case {uid: $u}) MATCH (s:Person)-[:SUBJECT_IN]->(c) WHERE s.family_name = 'X' "
              "AND toInteger(s.ssn) > 1 OPTIONAL MATCH (s)--(o:Phone) OPTIONAL MATCH (s)-[:OWNS]->(c) "
              "RETURN s, o", {"u": "uid"}).cypher
    lines = q.splitlines()
    assert lines[0] == "MATCH (c:Case {uid: $u})" and lines[1].startswith("CALL (c) { WITH * WHERE (coalesce(c.")
    assert lines[2] == "MATCH (s:Person)-[:SUBJECT_IN]->(c)" and lines[3] == "  WHERE (s.family_name = 'X')"
    # the analyst's condition that could fail stays behind the policy, in the same CASE as before
    assert lines[4].startswith("CALL (c, s) { WITH * WHERE CASE WHEN (coalesce(s.deleted")
    assert lines[4].endswith("THEN (toInteger(s.ssn) > 1) ELSE false END RETURN 0 AS g__2 }")
    # an OPTIONAL MATCH: the same inside an OPTIONAL CALL returning what the pattern binds
    assert lines[5] == "OPTIONAL CALL (c, s) {" and lines[6].startswith("MATCH (s)-[g__3:")
    assert lines[7].startswith("CALL (c, g__3, o, s) { WITH * WHERE ")
    assert lines[8:10] == ["RETURN g__3, o", "}"]
    # binding nothing new, it still gives a row per match (and nothing to check)
    assert lines[10:] == ["OPTIONAL CALL (c, g__3, o, s) {", "MATCH (s)-[:OWNS]->(c)", "RETURN 0 AS g__5", "}",
                          "RETURN s, o"]
    # not inside EXISTS, nor for a SHORTEST path: there the policy stays in the pattern's WHERE
    for inner in ("MATCH (c)<-[:SUBJECT_IN]-(p:Person)", "MATCH (c)<-[:SUBJECT_IN]-(p:Person) RETURN p"):
        q = guard(f"MATCH (c:Case) WHERE EXISTS {{ {inner} }} RETURN c").cypher
        inside = q[q.index("EXISTS { "):]
        assert "CALL (" not in inside and "(p:Person)" in inside and "WHERE (coalesce(p.deleted" in inside
    q = guard("MATCH SHORTEST 1 (a:Person {uid: $a}) ((x:Person)-[r]-(y:Person)){1,3} (b:Person {uid: $b}) "
              "RETURN b", {"a": "uid", "b": "uid"}).cypher
    assert "CALL (" not in q


TOTAL_WHERE = ("x.created_at >= since AND x.office_code IN $offices AND x.family_name STARTS WITH $p "
               "AND x.status IN ['open', 'closed'] AND x.dob IS NOT NULL AND 'A' < x.given_name")
GUARDED_WHERE = ["x.created_at >= datetime() - duration({days: 1})", "x.family_name =~ $p", "x.given_name IN $p",
                 "x.status IN [x.given_name]", "toInteger(x.ssn) > 1", "(x.given_name = 'A' OR x.dob IS NULL)",
                 "NOT x.dob IS NULL", "x.case_uid = $p"]


def test_conjuncts_that_cannot_fail_stand_before_the_guard_so_the_planner_can_seek_an_index():
    q = guard(f"WITH date() AS since MATCH (x:Person) WHERE {TOTAL_WHERE} RETURN x", {"p": "string"}).cypher
    outside, check = _where_and_check(q)
    assert not check.startswith("CASE WHEN")  # no condition of the analyst's is left behind the policy
    for part in ("(x.created_at >= since)", "(x.office_code IN $offices)", "(x.family_name STARTS WITH $p)",
                 "(x.status IN ['open', 'closed'])", "(x.dob IS NOT NULL)", "('A' < x.given_name)"):
        assert part in outside, part
    assert "THEN" not in outside  # nothing of the analyst's is evaluated inside the policy's own branches


@pytest.mark.parametrize("cond", GUARDED_WHERE)
def test_conjuncts_that_could_fail_or_read_a_pointer_stay_behind_the_guard(cond):
    q = guard(f"MATCH (x:Person) WHERE x.family_name = 'A' AND {cond} RETURN x", {"p": "string"}).cypher
    outside, check = _where_and_check(q)
    assert outside == "(x.family_name = 'A')" and check.startswith("CASE WHEN")  # only the equality stands outside
    assert q.count("x.family_name = 'A'") == 1


SELECTOR_RULE = "CASE WHEN (p:Phone OR p:Email OR p:Address"  #: the selector's own predicate


@pytest.mark.parametrize("body,implied", [
    ("MATCH (p:Phone)<-[:USES_PHONE {status: 'active'}]-(s:Person) RETURN p", True),
    ("MATCH (s:SubjectRecord)-[:USES_PHONE|USES_EMAIL {status: 'active'}]->(p:Phone|Email) RETURN p", True),
    ("MATCH (d:Document)-[:MENTIONS {status: 'active'}]->(p:Phone) RETURN p", True),
    ("MATCH (p:Phone)<-[:USES_PHONE]-(s:Person) RETURN p", False),  # a removed link does not make it readable
    ("MATCH (p:Phone)-[:USES_PHONE {status: 'active'}]->(s:Person) RETURN p", False),  # the wrong way round
    ("MATCH (p:Phone)<-[:USES_PHONE|SUBJECT_IN {status: 'active'}]-(s:Person) RETURN p", False),
    ("MATCH (p:Phone)<-[:USES_PHONE {status: 'active'}]-(s:Linkable) RETURN p", False),
    ("MATCH (s:Person) MATCH (p:Phone)<-[:USES_PHONE {status: 'active'}]-(s) RETURN p", False),
    ("MATCH SHORTEST 1 (p:Phone)<-[:USES_PHONE {status: 'active'}]-(s:Person) RETURN p", False),
])
def test_a_selector_next_to_a_record_using_it_through_an_active_link_needs_no_predicate_of_its_own(body, implied):
    q = guard(body).cypher
    assert "coalesce(p.deleted, false) = false" in q  # a deleted selector never matches either way
    assert (SELECTOR_RULE not in q) == implied


SUBJECT_RULE = "s_mc:Case"  #: the Subject Record's own predicate (its membership branch)


@pytest.mark.parametrize("body,implied", [
    ("MATCH (s:Person)-[:SUBJECT_IN {status: 'active'}]->(c:Case) RETURN s", True),
    ("MATCH (c:Case)<-[:SUBJECT_IN {status: 'active'}]-(s:SubjectRecord) RETURN s", True),
    ("MATCH (p:Phone)<-[:USES_PHONE {status: 'active'}]-(s:SubjectRecord)-[:SUBJECT_IN {status: 'active'}]->(c:Case) "
     "RETURN p", True),
    ("MATCH (s:Person)-[:SUBJECT_IN]->(c:Case) RETURN s", False),  # a removed membership reads nothing
    ("MATCH (s:Person)<-[:SUBJECT_IN {status: 'active'}]-(c:Case) RETURN s", False),  # the wrong way round
    ("MATCH (s:Person)-[:SUBJECT_IN|PART_OF {status: 'active'}]->(c:Case) RETURN s", False),
    ("MATCH (s:Person)-[:SUBJECT_IN|USES_PHONE {status: 'active'}]->(c:Case) RETURN s", False),
    ("MATCH (s:Person)-[:SUBJECT_IN {status: 'active'}]->(c:Linkable) RETURN s", False),  # maybe not a case
    ("MATCH (s:Linkable)-[:SUBJECT_IN {status: 'active'}]->(c:Case) RETURN s", False),  # maybe a document
    ("MATCH (c:Case) MATCH (s:Person)-[:SUBJECT_IN {status: 'active'}]->(c) RETURN s", False),  # bound earlier
    ("MATCH SHORTEST 1 (s:Person)-[:SUBJECT_IN {status: 'active'}]->(c:Case) RETURN s", False),
])
def test_a_subject_next_to_a_case_it_is_an_active_subject_in_needs_only_its_liveness_test(body, implied):
    q = guard(body).cypher
    assert "coalesce(s.deleted, false) = false" in q and "c.owner_uid" in q  # the case keeps its whole rule
    assert (SUBJECT_RULE not in q) == implied


def test_anonymous_nodes_are_named_and_guarded_and_untyped_links_mean_the_link_vocabulary():
    q = guard("MATCH (a:Person)--(:Case) RETURN a").cypher
    node = re.search(r"\((g__\d+):Case\)", q)
    assert node and f"{node.group(1)}.owner_uid" in q
    types = re.search(r"\[g__\d+:([A-Z_|]+)\]", q)
    assert types and tuple(types.group(1).split("|")) == REL_TYPES
    assert "OWNED_BY" not in q and "REPORTS_TO" not in q


def test_selectors_are_read_through_the_records_that_use_them():
    q = guard("MATCH (p:Phone) RETURN p.e164 AS e164").cypher
    assert ("MATCH (p)<-[p_su:USES_PHONE|USES_EMAIL|USES_HANDLE|HOLDS_ACCOUNT|USES_WALLET|USES_PAYMENT_HANDLE|RESIDES_AT|LOCATED_AT|"
            "MENTIONS|HAS_IDENTIFIER]-(p_so)") in q
    assert "p_so:SubjectRecord AND" in q and "p_so:Document AND" in q


def test_calls_are_read_only_when_every_case_they_come_from_is_readable():
    q = guard("MATCH (a:Phone)-[c:CALLED]->(b:Phone) RETURN c.count AS n").cypher
    assert "all(c_cu IN coalesce(c.case_uids, []) WHERE EXISTS { MATCH (c_ck:Case {uid: c_cu})" in q


def test_properties_naming_other_records_read_as_null_where_those_are_hidden():
    q = guard("MATCH (d:Document) RETURN d.case_uid AS case, d.title AS title").cypher
    assert re.search(r"CASE WHEN EXISTS \{ MATCH \((g__\d+):Linkable \{uid: d\.case_uid\}\) WHERE .* THEN "
                     r"d\.case_uid END AS `case`", q)
    q = guard("MATCH (d:Document {case_uid: $c}) RETURN d", {"c": "uid"}).cypher
    assert "{case_uid: $c}" not in q and "END = $c" in q


def test_quantified_groups_carry_the_policy_into_the_search():
    q = guard("MATCH (a:Person {uid: $x}) MATCH p = SHORTEST 1 (a) ((n:Linkable)-[r]-(m:Linkable)){1,4} (b:Case) "
              "RETURN p", {"x": "uid"}).cypher
    group = q[q.index("((n:Linkable)"):q.index("){1,4}")]
    assert "n_mc:Case" in group and "m_mc:Case" in group and "r_cu IN" in group


def test_placeholders_still_parse_and_strings_and_keywords_are_printed_safely():
    q = guard("MATCH (s:Person) WHERE {{subject_readable s}} AND s.set = 'CREATE' OR s.note = 'a\\'b\\\\' "
              "WITH s AS offset RETURN offset.uid AS case")
    assert "`offset`.uid AS `case`" in q.cypher and "'a\\'b\\\\'" in q.cypher
    assert q.params == frozenset()


def test_a_query_nested_too_deeply_is_refused_not_crashed():
    with pytest.raises(GuardError, match="nests too deeply"):
        guard("MATCH (c:Case) RETURN " + "(" * 3000 + "1" + ")" * 3000 + " AS x")


def test_every_catalogue_file_goes_through_the_guard():
    for qdef in loader.catalogue_queries().values():
        assert "{{" not in qdef.cypher and "$auditor" in qdef.cypher, qdef.name
