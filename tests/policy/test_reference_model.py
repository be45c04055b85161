"""Property test: the Cypher read predicate and `can()` agree with a tiny pure-Python reference model.

Hypothesis draws random organisation charts (offices within offices, supervisor chains, roles), cases
(restricted or not, random teams), subject memberships, documents and grants; the world is loaded into
the real Neo4j with UNWIND batches, and for every user the set of readable uids from Cypher must equal
the set the reference model gives.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ccms_graph.db import clear_database
from ccms_graph.policy import rules, scopes
from ccms_graph.policy.actor import load_actor

ROLES = ("agent", "agent", "supervisor", "analyst", "auditor", "admin")


@st.composite
def worlds(draw):
    n_off = draw(st.integers(1, 4))
    offices = [{"code": f"O{i}", "parent": draw(st.one_of(st.none(), st.sampled_from([f"O{j}" for j in range(i)])))
                if i else None} for i in range(n_off)]
    codes = [o["code"] for o in offices]
    n_users = draw(st.integers(1, 6))
    users = []
    for i in range(n_users):
        users.append({"uid": f"u{i}", "office": draw(st.sampled_from(codes)), "role": draw(st.sampled_from(ROLES)),
                      "sup": draw(st.one_of(st.none(), st.sampled_from([f"u{j}" for j in range(i)])))
                      if i else None})
    uids = [u["uid"] for u in users]
    office_of = {u["uid"]: u["office"] for u in users}
    cases = []
    for i in range(draw(st.integers(0, 4))):
        owner = draw(st.sampled_from(uids))
        team = sorted(set(draw(st.lists(st.sampled_from(uids), max_size=3))) | ({owner} if draw(st.booleans()) else set()))
        cases.append({"uid": f"c{i}", "owner": owner, "office": office_of[owner], "team": team,
                      "restricted": draw(st.booleans())})
    case_uids = [c["uid"] for c in cases]
    subjects = []
    for i in range(draw(st.integers(0, 5))):
        owner = draw(st.sampled_from(uids))
        member = sorted(set(draw(st.lists(st.sampled_from(case_uids), max_size=3)))) if case_uids else []
        subjects.append({"uid": f"s{i}", "owner": owner, "office": office_of[owner], "cases": member})
    documents = []
    if case_uids:
        for i in range(draw(st.integers(0, 3))):
            author = draw(st.sampled_from(uids))
            documents.append({"uid": f"d{i}", "author": author, "office": office_of[author],
                              "case": draw(st.sampled_from(case_uids)),
                              "label": draw(st.sampled_from(["ReportOfInvestigation", "ArrestReport"])),
                              "status": draw(st.sampled_from(["draft", "returned", "submitted", "approved"]))})
    grants = []
    if case_uids:
        for _ in range(draw(st.integers(0, 3))):
            to_user = draw(st.booleans())
            grants.append({"case": draw(st.sampled_from(case_uids)),
                           "user": draw(st.sampled_from(uids)) if to_user else None,
                           "office": None if to_user else draw(st.sampled_from(codes)),
                           "status": draw(st.sampled_from(["active", "active", "revoked", "requested"]))})
    return {"offices": offices, "users": users, "cases": cases, "subjects": subjects, "documents": documents,
            "grants": grants}


# ---------------------------------------------------------------------------------------------
# The reference model: the rules written as plainly as possible, with no shared code
# ---------------------------------------------------------------------------------------------

def model_readable(w: dict, uid: str) -> set[str]:
    user = {u["uid"]: u for u in w["users"]}[uid]
    parent = {o["code"]: o["parent"] for o in w["offices"]}

    def within(code, ancestor):
        while code is not None:
            if code == ancestor:
                return True
            code = parent[code]
        return False

    sup_of = {u["uid"]: u["sup"] for u in w["users"]}

    def sees(x):  # x is the user, or reports to the user through any chain
        while x is not None:
            if x == uid:
                return True
            x = sup_of[x]
        return False

    offices = {o["code"] for o in w["offices"] if within(o["code"], user["office"])}
    granted = {g["case"] for g in w["grants"] if g["status"] == "active"
               and (g["user"] == uid or g["office"] in offices)}
    cases = {c["uid"]: c for c in w["cases"]}

    if user["role"] == "auditor":
        return set(cases) | {s["uid"] for s in w["subjects"]} | {d["uid"] for d in w["documents"]}
    if user["role"] == "admin":
        return set()

    def case_ok(c):
        if sees(c["owner"]) or any(sees(t) for t in c["team"]):
            return True
        return not c["restricted"] and (c["office"] in offices or c["uid"] in granted)

    out = {c["uid"] for c in w["cases"] if case_ok(c)}
    for s in w["subjects"]:
        in_cases = [cases[c] for c in s["cases"]]
        if (sees(s["owner"]) or any(case_ok(c) for c in in_cases)
                or (s["office"] in offices and not any(c["restricted"] for c in in_cases))):
            out.add(s["uid"])
    for d in w["documents"]:
        c = cases[d["case"]]
        if d["label"] == "ReportOfInvestigation" and d["status"] in ("draft", "submitted", "returned"):
            ok = sees(d["author"])
        else:
            ok = sees(d["author"]) or case_ok(c) or (d["office"] in offices and not c["restricted"])
        if ok:
            out.add(d["uid"])
    return out


# ---------------------------------------------------------------------------------------------
# Loading a world into Neo4j, set-based
# ---------------------------------------------------------------------------------------------

_LOAD = [
    ("offices", "UNWIND $rows AS r CREATE (:Office {code: r.code, name: r.code, kind: 'field_office'})"),
    ("offices", """UNWIND $rows AS r WITH r WHERE r.parent IS NOT NULL
                   MATCH (o:Office {code: r.code}), (p:Office {code: r.parent}) CREATE (o)-[:WITHIN]->(p)"""),
    ("users", """UNWIND $rows AS r CREATE (u:User {uid: r.uid, username: r.uid, name: r.uid, role: r.role,
                 office_code: r.office, training_expires: '2099-12-31', active: true})"""),
    ("users", """UNWIND $rows AS r WITH r WHERE r.sup IS NOT NULL
                 MATCH (u:User {uid: r.uid}), (s:User {uid: r.sup}) CREATE (u)-[:REPORTS_TO]->(s)"""),
    ("cases", """UNWIND $rows AS r CREATE (:Case:Linkable {uid: r.uid, case_number: r.uid, title: r.uid,
                 owner_uid: r.owner, office_code: r.office, team_uids: r.team, restricted: r.restricted})"""),
    ("subjects", """UNWIND $rows AS r CREATE (s:Person:SubjectRecord:Linkable {uid: r.uid, owner_uid: r.owner,
                    office_code: r.office, approval_status: 'pending'})
                    WITH s, r UNWIND r.cases AS cu MATCH (c:Case {uid: cu})
                    CREATE (s)-[:SUBJECT_IN {status: 'active'}]->(c)"""),
    ("documents", """UNWIND $rows AS r MATCH (c:Case {uid: r.case})
                     CREATE (d:Document:Linkable {uid: r.uid, author_uid: r.author, owner_uid: r.author,
                             office_code: r.office, status: r.status, case_uid: r.case})
                     CREATE (d)-[:PART_OF {status: 'active'}]->(c)
                     FOREACH (_ IN CASE WHEN r.label = 'ReportOfInvestigation' THEN [1] ELSE [] END |
                              SET d:ReportOfInvestigation)
                     FOREACH (_ IN CASE WHEN r.label = 'ArrestReport' THEN [1] ELSE [] END | SET d:ArrestReport)"""),
    ("grants", """UNWIND $rows AS r CREATE (:AccessGrant {case_uid: r.case, grantee_uid: r.user,
                  grantee_office: r.office, status: r.status})"""),
]

_READABLE = f"""MATCH (n:Linkable) WHERE (n:Case OR n:SubjectRecord OR n:Document)
AND {scopes.record_readable('n')} RETURN n.uid AS uid"""


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(w=worlds())
def test_predicate_matches_reference_model(session_graph, w):
    graph = session_graph
    clear_database(graph)

    def load(tx):
        for key, stmt in _LOAD:
            tx.run(stmt, rows=w[key]).consume()

    graph.write(load)
    everything = [x["uid"] for k in ("cases", "subjects", "documents") for x in w[k]]
    facts = {uid: graph.read(rules.load_facts, uid) for uid in everything}
    for user in w["users"]:
        actor = graph.read(load_actor, user["uid"])
        expected = model_readable(w, user["uid"])
        got = {r["uid"] for r in graph.query(_READABLE, rules.actor_params(actor))}
        assert got == expected, (user, w)
        assert {u for u in everything if rules.can(actor, "read", facts[u])} == expected, (user, w)
