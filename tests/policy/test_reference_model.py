"""Property test: the Cypher read predicate and `can()` agree with a tiny pure-Python reference model.

Hypothesis draws random organisation charts (offices within offices, supervisor chains, roles), cases
(restricted or not, random teams), subject memberships, documents and grants; the world is loaded into
the real Neo4j with UNWIND batches, and for every user the set of readable uids from Cypher must equal
the set the reference model gives.

The derived data is held to the model too: calls between phones from the call records of random cases
(what `scopes.link_readable` / `link_props` show of each CALLED link), and sub-records pointing at a
master (which `master_uid` pointers `rules.redact_pointers` keeps).
"""

from __future__ import annotations

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from ccms_graph.db import clear_database
from ccms_graph.policy import rules, scopes
from ccms_graph.policy.actor import load_actor

ROLES = ("agent", "agent", "supervisor", "analyst", "attorney", "auditor", "admin")


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
    calls, masters = [], []
    if case_uids:
        for i in range(draw(st.integers(0, 5))):
            orig, term = draw(st.sampled_from([("p0", "p1"), ("p1", "p0"), ("p0", "p2"), ("p2", "p1")]))
            calls.append({"fp": f"call{i}", "orig": orig, "term": term, "day": draw(st.integers(1, 28)),
                          "duration": draw(st.integers(1, 600)),
                          "cases": sorted(set(draw(st.lists(st.sampled_from(case_uids), min_size=1, max_size=2))))})
    for s in subjects[1:]:
        if draw(st.booleans()):
            masters.append({"sub": s["uid"], "master": draw(st.sampled_from([x["uid"] for x in subjects
                                                                              if x["uid"] != s["uid"]]))})
    return {"offices": offices, "users": users, "cases": cases, "subjects": subjects, "documents": documents,
            "grants": grants, "calls": calls, "called": _called(calls), "masters": masters}


def _called(calls: list[dict]) -> list[dict]:
    """One CALLED link per (orig, term) pair, as the telecom import leaves it: the cases of its calls."""
    pairs: dict[tuple[str, str], set[str]] = {}
    for c in calls:
        pairs.setdefault((c["orig"], c["term"]), set()).update(c["cases"])
    return [{"orig": o, "term": t, "cases": sorted(cs)} for (o, t), cs in sorted(pairs.items())]


# ---------------------------------------------------------------------------------------------
# The reference model: the rules written as plainly as possible, with no shared code
# ---------------------------------------------------------------------------------------------

def _case_ok(w: dict, uid: str):
    """The model's "may `uid` read this case?", and the user's role."""
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
    # A grant to an office reaches that office and the offices within it: the user's office lies within
    # the grantee office (never the other way round: a grant to a port does not reach its field office).
    granted = {g["case"] for g in w["grants"] if g["status"] == "active"
               and (g["user"] == uid or (g["office"] is not None and within(user["office"], g["office"])))}

    def case_ok(c):  # an attorney reads as an agent of their office does
        if user["role"] == "auditor":
            return True
        if user["role"] == "admin":
            return False
        if sees(c["owner"]) or any(sees(t) for t in c["team"]):
            return True
        return not c["restricted"] and (c["office"] in offices or c["uid"] in granted)

    return case_ok, sees, offices, user["role"]


def model_readable(w: dict, uid: str) -> set[str]:
    case_ok, sees, offices, role = _case_ok(w, uid)
    cases = {c["uid"]: c for c in w["cases"]}

    if role == "auditor":
        return set(cases) | {s["uid"] for s in w["subjects"]} | {d["uid"] for d in w["documents"]}
    if role == "admin":
        return set()

    out = {c["uid"] for c in w["cases"] if case_ok(c)}
    for s in w["subjects"]:
        in_cases = [cases[c] for c in s["cases"]]
        if (sees(s["owner"]) or any(case_ok(c) for c in in_cases)
                or (s["office"] in offices and not any(c["restricted"] for c in in_cases))):
            out.add(s["uid"])
    for d in w["documents"]:
        c = cases[d["case"]]
        if d["status"] in ("draft", "submitted", "returned"):  # every type of document (CCMS PIA §2.4)
            ok = sees(d["author"])
        else:
            ok = sees(d["author"]) or case_ok(c) or (d["office"] in offices and not c["restricted"])
        if ok:
            out.add(d["uid"])
    return out


def model_writable(w: dict, uid: str) -> set[str]:
    """What `uid` may change: the auditor, the administrator and the attorney nothing; anyone else their
    own and their subordinates' cases (as owner or team), records and documents, a draft only its author's
    chain, and the records and filed documents of a case they may change."""
    _, sees, _, role = _case_ok(w, uid)
    if role in ("auditor", "admin", "attorney"):
        return set()
    cases = {c["uid"]: c for c in w["cases"]}

    def case_w(c):
        return sees(c["owner"]) or any(sees(t) for t in c["team"])

    out = {c["uid"] for c in w["cases"] if case_w(c)}
    out |= {s["uid"] for s in w["subjects"] if sees(s["owner"]) or any(case_w(cases[c]) for c in s["cases"])}
    for d in w["documents"]:
        draft = d["status"] in ("draft", "submitted", "returned")  # every type (CCMS PIA §2.4)
        if sees(d["author"]) or (not draft and case_w(cases[d["case"]])):
            out.add(d["uid"])
    return out


def model_calls(w: dict, uid: str) -> dict[tuple[str, str], dict]:
    """What `uid` sees of each CALLED link: the calls of the cases they may read, aggregated over those
    alone; the link's author only when every case it came from is readable; no link when nothing is."""
    case_ok, _, _, role = _case_ok(w, uid)
    if role == "admin":
        return {}
    cases = {c["uid"]: c for c in w["cases"]}
    out = {}
    for link in w["called"]:
        seen = [(c, [k for k in c["cases"] if case_ok(cases[k])]) for c in w["calls"]
                if (c["orig"], c["term"]) == (link["orig"], link["term"])]
        seen = [(c, ks) for c, ks in seen if ks]
        if not seen:
            continue
        out[(link["orig"], link["term"])] = {
            "count": len(seen), "total": sum(c["duration"] for c, _ in seen),
            "first": min(c["day"] for c, _ in seen), "last": max(c["day"] for c, _ in seen),
            "cases": sorted({k for _, ks in seen for k in ks}),
            "by": "loader" if all(case_ok(cases[k]) for k in link["cases"]) else None}
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
    ("calls", """UNWIND $rows AS r CREATE (:CallRecord {fingerprint: r.fp, orig: r.orig, term: r.term,
                 start_at: datetime({year: 2026, month: 1, day: r.day}), duration: r.duration, case_uids: r.cases})"""),
    ("called", """UNWIND $rows AS r
                  MERGE (a:Phone:Linkable {e164: r.orig}) ON CREATE SET a.uid = r.orig
                  MERGE (b:Phone:Linkable {e164: r.term}) ON CREATE SET b.uid = r.term
                  CREATE (a)-[:CALLED {status: 'active', source: 'cdr', created_by: 'loader', case_uids: r.cases,
                                       count: 999, total_seconds: 999}]->(b)"""),
    ("masters", """UNWIND $rows AS r MATCH (s:SubjectRecord {uid: r.sub}) SET s.master_uid = r.master"""),
]

_READABLE = f"""MATCH (n:Linkable) WHERE (n:Case OR n:SubjectRecord OR n:Document)
AND {scopes.record_readable('n')} RETURN n.uid AS uid"""

_CALLS = f"""MATCH (a:Phone)-[r:CALLED]->(b:Phone)
WHERE {scopes.record_readable('a')} AND {scopes.record_readable('b')} AND {scopes.link_readable('r')}
WITH a, b, {scopes.link_props('r')} AS l
RETURN a.e164 AS orig, b.e164 AS term, l.count AS count, l.total_seconds AS total, l.first_at.day AS first,
       l.last_at.day AS last, l.case_uids AS cases, l.created_by AS by"""

_SUBJECT_PROPS = "MATCH (s:SubjectRecord) RETURN s.uid AS uid, properties(s) AS props"


def _grants_across_levels() -> dict:
    """A world random draws seldom reach: grants to a port (O1, within O0) and to its field office (O0),
    on another office's cases (O2); calls of both cases between the same numbers; a sub-record pointing
    at a subject of the port's case."""
    calls = [{"fp": "call0", "orig": "p0", "term": "p1", "day": 3, "duration": 60, "cases": ["c0"]},
             {"fp": "call1", "orig": "p0", "term": "p1", "day": 9, "duration": 30, "cases": ["c1"]},
             {"fp": "call2", "orig": "p1", "term": "p0", "day": 5, "duration": 10, "cases": ["c0", "c1"]}]
    return {
        "offices": [{"code": "O0", "parent": None}, {"code": "O1", "parent": "O0"}, {"code": "O2", "parent": None}],
        "users": [{"uid": "u0", "office": "O0", "role": "agent", "sup": None},
                  {"uid": "u1", "office": "O1", "role": "analyst", "sup": "u0"},
                  {"uid": "u2", "office": "O2", "role": "agent", "sup": None}],
        "cases": [{"uid": "c0", "owner": "u2", "office": "O2", "team": ["u2"], "restricted": False},
                  {"uid": "c1", "owner": "u2", "office": "O2", "team": [], "restricted": False}],
        "subjects": [{"uid": "s0", "owner": "u2", "office": "O2", "cases": ["c0"]},
                     {"uid": "s1", "owner": "u2", "office": "O2", "cases": ["c1"]}],
        "documents": [],
        "grants": [{"case": "c0", "user": None, "office": "O1", "status": "active"},
                   {"case": "c1", "user": None, "office": "O0", "status": "active"}],
        "calls": calls, "called": _called(calls), "masters": [{"sub": "s1", "master": "s0"}],
    }


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@example(w=_grants_across_levels())
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
        assert {u for u in everything if rules.can(actor, "write", facts[u])} == model_writable(w, user["uid"]), \
            (user, w)
        got_calls = {(r["orig"], r["term"]): {**r.data(), "cases": sorted(r["cases"])}
                     for r in graph.read(lambda tx, a=actor: list(tx.run(_CALLS, rules.actor_params(a))))}
        assert {k: {f: v for f, v in c.items() if f not in ("orig", "term")} for k, c in got_calls.items()} \
            == model_calls(w, user["uid"]), (user, w)
        props = {r["uid"]: dict(r["props"]) for r in graph.query(_SUBJECT_PROPS)}
        graph.read(lambda tx, a=actor, p=props: rules.redact_pointers(tx, a, p.values()))
        assert {u: p.get("master_uid") for u, p in props.items() if p.get("master_uid")} == \
            {m["sub"]: m["master"] for m in w["masters"] if m["master"] in expected}, (user, w)
