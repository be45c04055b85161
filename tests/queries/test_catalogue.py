"""Each catalogue query on the sandbox seed, against expectations computed independently from a snapshot."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from ccms_graph import queries
from ccms_graph.policy.rules import actor_params
from ccms_graph.queries import loader
from tests.logic.location import plans

pytestmark = pytest.mark.usefixtures("seed_graph")


def run(graph, actor, name, **params):
    return queries.run_query(graph, actor, name, params)


def name_of(snap, uid):
    p = snap.p(uid)
    return f"{p.get('given_name') or ''} {p.get('family_name') or ''}".strip()


def test_the_catalogue_has_at_least_twelve_queries_each_runnable_by_some_role(users):
    names = {q.name for q in queries.catalogue(users["analyst_miami"])}
    assert len(loader.catalogue_queries()) >= 12
    assert len(names) >= 12
    assert "pending_items" not in names  # a supervisor's query
    assert "pending_items" in {q.name for q in queries.catalogue(users["sup_miami"])}


def test_every_catalogue_file_compiles_read_only_on_the_server(seed_graph):
    assert set(loader.check_catalogue(seed_graph)) == set(loader.catalogue_queries())


# ---------------------------------------------------------------------------------------------
# Expectations
# ---------------------------------------------------------------------------------------------

def _shared_across_cases(snap, actor, link_types, key):
    """{(selector's `key`, readable cases, readable subjects)} of selectors held by readable subjects of
    two or more readable cases, through active links of `link_types`."""
    cases, subjects = {}, {}
    for u in (e for t in link_types for e in snap.active(t)):
        s, sel = u["a"], u["b"]
        if not snap.has(s, "SubjectRecord") or not snap.readable(actor, s):
            continue
        cs = {c for c in snap.cases_of(s) if snap.has(c, "Case") and snap.readable(actor, c)}
        if cs:
            cases.setdefault(sel, set()).update(cs)
            subjects.setdefault(sel, set()).add(s)
    return {(snap.p(x)[key], frozenset(cs), frozenset(subjects[x])) for x, cs in cases.items() if len(cs) >= 2}


@pytest.mark.parametrize(("name", "links", "key", "column"), [
    ("shared_phones", ("USES_PHONE",), "e164", "phone"),
    ("accounts_shared_across_cases", ("HOLDS_ACCOUNT", "USES_WALLET", "USES_PAYMENT_HANDLE"), "key", "account"),
])
@pytest.mark.parametrize("who", ["analyst_miami", "analyst_nyc", "auditor"])
def test_selectors_shared_across_cases(seed_graph, snap, users, who, name, links, key, column):
    actor = users[who]
    expected = _shared_across_cases(snap, actor, links, key)
    result = run(seed_graph, actor, name)
    got = {(r[column], frozenset(r["case_uids"]), frozenset(r["subject_uids"])) for r in result.rows}
    assert got == expected
    assert expected or (who == "analyst_nyc" and name == "accounts_shared_across_cases")
    assert [r["cases"] for r in result.rows] == sorted((r["cases"] for r in result.rows), reverse=True)


def _pair_at_distance(snap, actor, at_least):
    adj = snap.adjacency(actor)
    people = sorted(u for u in snap.nodes if snap.has(u, "Person") and u in adj)
    for start in people:
        dist = snap.distances(adj, start, 8)
        far = sorted((d, u) for u, d in dist.items() if d >= at_least and snap.has(u, "SubjectRecord"))
        if far:
            return start, far[0][1], far[0][0]
    raise AssertionError("no pair of subjects that far apart")


@pytest.mark.parametrize("who", ["analyst_miami", "auditor"])
def test_shortest_path(seed_graph, snap, users, who):
    actor = users[who]
    a, b, distance = _pair_at_distance(snap, actor, 3)
    result = run(seed_graph, actor, "shortest_path", from_uid=a, to_uid=b)
    assert len(result.edges) == distance
    uids = {n["uid"] for n in result.nodes}
    assert {a, b} <= uids and len(result.nodes) == distance + 1
    assert not any(n["locked"] for n in result.nodes)
    assert all(snap.readable(actor, u) for u in uids)
    pairs = {frozenset((e["a"], e["b"])) for e in snap.edges if e["props"].get("status") == "active"}
    assert all(frozenset((e["source"], e["target"])) in pairs for e in result.edges)
    # Too few hops allowed: no path at all.
    assert run(seed_graph, actor, "shortest_path", from_uid=a, to_uid=b, max_hops=distance - 1).nodes == []


@pytest.mark.parametrize("who,case", [("analyst_miami", "case-004"), ("agent_chen", "case-013"),
                                      ("analyst_nyc", "case-011")])
def test_subjects_near_case(seed_graph, snap, users, who, case):
    actor = users[who]
    dist = snap.distances(snap.adjacency(actor), case, 2)
    expected = {u for u, d in dist.items() if 1 <= d <= 2 and snap.has(u, "SubjectRecord")}
    result = run(seed_graph, actor, "subjects_near_case", case_uid=case, hops=2)
    got = {n["uid"] for n in result.nodes if n["type"] in ("Person", "Business", "Vehicle", "Vessel",
                                                            "Aircraft", "Thing") and n["uid"] != case}
    # Subjects that are only intermediate nodes are within reach too, so they are expected as well.
    assert got == expected and expected
    assert case in {n["uid"] for n in result.nodes}


def test_businesses_sharing_address_or_officer(seed_graph, snap, users):
    actor = users["auditor"]
    ok = {u for u in snap.nodes if snap.has(u, "Business") and snap.readable(actor, u)}
    expected = set()
    at, officers = {}, {}
    for e in snap.active("LOCATED_AT"):
        if e["a"] in ok:
            at.setdefault(e["b"], set()).add(e["a"])
    for e in snap.active("OFFICER_OF"):
        if e["b"] in ok and snap.readable(actor, e["a"]):
            officers.setdefault(e["a"], set()).add(e["b"])
    for shared, groups in (("address", at), ("officer", officers)):
        for via, bs in groups.items():
            for b1 in bs:
                for b2 in bs:
                    if b1 < b2:
                        expected.add((b1, b2, shared, via))
    result = run(seed_graph, actor, "businesses_sharing_address_or_officer")
    got = {(r["business_uid"], r["other_uid"], r["shared"], r["via_uid"]) for r in result.rows}
    assert got == expected and expected
    only_address = run(seed_graph, actor, "businesses_sharing_address_or_officer", via="address")
    assert {r["shared"] for r in only_address.rows} == {"address"}


def test_conveyances_multi_case(seed_graph, snap, users):
    actor = users["auditor"]
    holders: dict[str, set] = {}
    for e in snap.active("REGISTERED_TO", "OWNS", "OPERATES"):
        conveyance, holder = (e["a"], e["b"]) if e["type"] == "REGISTERED_TO" else (e["b"], e["a"])
        if any(snap.has(conveyance, k) for k in ("Vehicle", "Vessel", "Aircraft")) and snap.has(holder, "SubjectRecord"):
            holders.setdefault(conveyance, set()).add(holder)
    expected = {}
    for v, hs in holders.items():
        cases = set().union(*(snap.cases_of(h) for h in hs))
        if len(cases) >= 2:
            expected[v] = cases
    result = run(seed_graph, actor, "conveyances_multi_case")
    assert {r["conveyance_uid"]: set(r["case_uids"]) for r in result.rows} == expected and expected
    vessels = run(seed_graph, actor, "conveyances_multi_case", kinds=["Vessel"])
    assert {r["conveyance_uid"] for r in vessels.rows} == {v for v in expected if snap.has(v, "Vessel")}


def test_call_history(seed_graph, snap, users):
    actor = users["analyst_houston"]
    called = snap.active("CALLED")
    # Numbers count only when a record the user may read uses them (the guard's rule for selectors).
    seen = [e for e in called if snap.readable(actor, e["a"]) and snap.readable(actor, e["b"])]
    both = {frozenset((e["a"], e["b"])) for e in seen if any(f["a"] == e["b"] and f["b"] == e["a"] for f in called)}
    pair = sorted(sorted(p) for p in both)[0] if both else sorted([seen[0]["a"], seen[0]["b"]])
    a, b = (snap.p(u)["e164"] for u in pair)
    expected = {(snap.p(e["a"])["e164"], snap.p(e["b"])["e164"]): (e["props"]["count"], e["props"]["total_seconds"])
                for e in called if {e["a"], e["b"]} == set(pair)}
    result = run(seed_graph, actor, "call_history", phone_a=a, phone_b=b)
    assert {(r["caller"], r["called"]): r["calls"] for r in result.rows} == {k: n for k, (n, _) in expected.items()}
    # Minutes are rounded to one decimal: within half a tenth, plus float slack (12.25 may round either way).
    assert all(abs(r["minutes"] - expected[(r["caller"], r["called"])][1] / 60) <= 0.05 + 1e-9 for r in result.rows)
    assert all(r["first_call"] <= r["last_call"] for r in result.rows)
    # A number no record the user may read uses is as if it were not there: no calls at all.
    unseen = next(e for e in called if not snap.readable(actor, e["a"]))
    hidden = run(seed_graph, actor, "call_history", phone_a=snap.p(unseen["a"])["e164"],
                 phone_b=snap.p(unseen["b"])["e164"])
    assert hidden.rows == [] and snap.readable(users["auditor"], unseen["a"])


def _similar(snap, a, b):
    pa, pb = snap.p(a), snap.p(b)
    ag, af = (pa.get("given_name") or "").lower(), (pa.get("family_name") or "").lower()
    bg, bf = (pb.get("given_name") or "").lower(), (pb.get("family_name") or "").lower()
    return (af and af == bf and ag and bg and ag[0] == bg[0]) or (ag and af and ag == bf and af == bg)


@pytest.mark.parametrize("who", ["auditor", "analyst_nyc"])
def test_possible_duplicate_persons(seed_graph, snap, users, who):
    actor = users[who]
    people = [u for u in snap.nodes if snap.has(u, "Person") and snap.readable(actor, u)
              and len(str(snap.p(u).get("dob") or "")) == 10]
    expected = {(a, b) for a in people for b in people
                if a < b and snap.p(a)["dob"] == snap.p(b)["dob"] and _similar(snap, a, b)}
    result = run(seed_graph, actor, "possible_duplicate_persons")
    assert {(r["person_uid"], r["other_uid"]) for r in result.rows} == expected
    if who == "auditor":  # the seed's planted near-duplicates (swapped names, same DOB) are among them
        refs = {snap.p(u).get("source_ref") for pair in expected for u in pair}
        assert any(str(r).startswith("SEED-DUP") for r in refs)


@pytest.mark.parametrize("who", ["auditor", "analyst_nyc"])
def test_cases_with_common_subjects(seed_graph, snap, users, who):
    actor = users[who]
    by_subject = {}
    for e in snap.active("SUBJECT_IN"):
        if snap.readable(actor, e["a"]) and snap.readable(actor, e["b"]):
            by_subject.setdefault(e["a"], set()).add(e["b"])
    expected: dict = {}
    for s, cases in by_subject.items():
        for c1 in cases:
            for c2 in cases:
                if c1 < c2:
                    expected.setdefault((c1, c2), set()).add(s)
    result = run(seed_graph, actor, "cases_with_common_subjects")
    assert {(r["case_uid"], r["other_case_uid"]): set(r["subject_uids"]) for r in result.rows} == expected
    assert expected


@pytest.mark.parametrize("who", ["analyst_miami", "agent_port", "agent_chen"])
def test_recent_office_entities(seed_graph, snap, users, who):
    actor = users[who]
    since = datetime.now(UTC) - timedelta(days=1)
    expected = {u for u in snap.nodes if snap.has(u, "SubjectRecord") and snap.p(u).get("office_code") in actor.offices
                and snap.readable(actor, u) and snap.p(u)["created_at"] >= since}
    result = run(seed_graph, actor, "recent_office_entities", days=1)
    assert {r["uid"] for r in result.rows} == expected and expected
    vessels = run(seed_graph, actor, "recent_office_entities", days=1, type="Vessel")
    assert {r["uid"] for r in vessels.rows} == {u for u in expected if snap.has(u, "Vessel")}


@pytest.mark.parametrize("who", ["analyst_miami", "auditor"])
def test_recent_office_entities_seeks_an_index_instead_of_reading_every_record(seed_graph, users, who):
    # The analyst's window and office stand before the policy's CASE (`guard.total`), so the planner
    # seeks an index; behind the CASE it read every Subject Record (11-23 s at a million).
    qdef = loader.catalogue_queries()["recent_office_entities"]
    params = {**actor_params(users[who]), "days": 7, "type": None}
    with seed_graph.driver.session(database=seed_graph.database) as session:
        plan = session.run("EXPLAIN " + qdef.cypher, params).consume().plan
    assert not plans.label_scans(plan, "SubjectRecord")
    assert any(op.startswith("NodeIndexSeek") and ":SubjectRecord(" in details for op, details in plans.operators(plan))


@pytest.mark.parametrize("who,case", [("analyst_miami", "case-004"), ("auditor", "case-011")])
def test_most_connected_in_case(seed_graph, snap, users, who, case):
    actor = users[who]
    members = [e["a"] for e in snap.active("SUBJECT_IN") if e["b"] == case and snap.readable(actor, e["a"])]
    scored = []
    for s in members:
        rels = [e for e in snap.edges if e["props"].get("status") == "active" and s in (e["a"], e["b"])]
        others = [e["b"] if e["a"] == s else e["a"] for e in rels]
        kept = [(e, o) for e, o in zip(rels, others, strict=True) if o != case and snap.readable(actor, o)]
        scored.append((-len(kept), -len({o for _, o in kept}), s))
    expected = [(s, -links) for links, _, s in sorted(scored)[:5]]
    result = run(seed_graph, actor, "most_connected_in_case", case_uid=case, top=5)
    assert [(r["uid"], r["links"]) for r in result.rows] == expected and expected
    assert all(r["subject"]["uid"] == r["uid"] and not r["subject"]["locked"] for r in result.rows)


@pytest.mark.parametrize("who", ["auditor", "analyst_houston"])
def test_co_travellers(seed_graph, snap, users, who):
    actor = users[who]
    on: dict = {}
    for e in snap.active("TRAVELLED_ON"):
        if snap.has(e["a"], "Person") and snap.readable(actor, e["a"]) and snap.readable(actor, e["b"]):
            on.setdefault(e["b"], set()).add(e["a"])
    expected = {(p1, p2, v) for v, ps in on.items() for p1 in ps for p2 in ps if p1 < p2}
    result = run(seed_graph, actor, "co_travellers")
    assert {(r["person_uid"], r["other_uid"], r["conveyance_uid"]) for r in result.rows} == expected and expected
    assert {r["person"] for r in result.rows} == {name_of(snap, p1) for p1, _, _ in expected}


@pytest.mark.parametrize("days", [0, 30])
def test_pending_items(seed_graph, snap, users, days):
    actor = users["sup_miami"]
    cutoff = datetime.now(UTC) - timedelta(days=days)
    expected = set()
    for u, n in snap.nodes.items():
        p = n["props"]
        if p.get("owner_uid") not in actor.subordinates or not snap.readable(actor, u):
            continue
        if "Case" in n["labels"] and p.get("approval_status") == "pending" and p["created_at"] <= cutoff:
            expected.add((u, "case_open"))
        if "SubjectRecord" in n["labels"] and p.get("approval_status") == "pending" and \
                (p.get("submitted_at") or p["created_at"]) <= cutoff:
            expected.add((u, "subject_record"))
    expected |= {(r["uid"], r["kind"]) for r in snap.requests if r["status"] == "pending"
                 and r["requested_by"] in actor.subordinates and r["requested_at"] <= cutoff}
    result = run(seed_graph, actor, "pending_items", days=days)
    assert {(r["item_uid"], r["kind"]) for r in result.rows} == expected and expected
    assert [r["since"] for r in result.rows] == sorted(r["since"] for r in result.rows)
    if days == 30:  # the seed's pending records are new, its requested cases are not
        assert {k for _, k in expected} == {"case_open"}


@pytest.mark.parametrize("who,case", [("analyst_miami", "case-004"), ("agent_patel", "case-008")])
def test_case_link_chart(seed_graph, snap, users, who, case):
    actor = users[who]
    members = {e["a"] for e in snap.active("SUBJECT_IN", "PART_OF") if e["b"] == case
               and snap.readable(actor, e["a"])}
    selectors = ("Phone", "Email", "Address", "SocialHandle")
    links = {(e["a"], e["b"], e["type"]) for e in snap.edges
             if e["props"].get("status") == "active" and e["type"] not in ("SUBJECT_IN", "PART_OF")
             and e["a"] in members and snap.readable(actor, e["b"])
             and (e["b"] in members or any(snap.has(e["b"], s) for s in selectors))}
    expected_nodes = {case} | members | {b for _, b, _ in links}
    result = run(seed_graph, actor, "case_link_chart", case_uid=case)
    assert {n["uid"] for n in result.nodes} == expected_nodes
    memberships = {(e["a"], e["b"], e["type"]) for e in snap.active("SUBJECT_IN", "PART_OF")
                   if e["b"] == case and e["a"] in members}
    assert {(e["source"], e["target"], e["type"]) for e in result.edges} == links | memberships
    no_selectors = run(seed_graph, actor, "case_link_chart", case_uid=case, selectors=False)
    assert {n["uid"] for n in no_selectors.nodes} == {case} | members | {b for _, b, _ in links if b in members}
