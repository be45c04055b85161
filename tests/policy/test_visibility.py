"""Each visibility rule from the point of view of each role, through the Cypher predicate and `can()`."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from ccms_graph.errors import Forbidden, NotFound, TrainingExpired
from ccms_graph.logic.entities import access, records
from ccms_graph.policy import rules
from tests.factories import stored_record
from tests.policy import helpers as h


@pytest.fixture
def world(graph, org):
    """Two MIA cases (one restricted), a port case, an NYC case, subjects and reports across them."""
    w = SimpleNamespace(org=org)
    w.case_open = h.case(graph, org.agent_a, "Open MIA case")
    w.case_restricted = h.case(graph, org.agent_b, "Restricted MIA case", restricted=True)
    w.case_port = h.case(graph, org.agent_port, "Port case")
    w.case_nyc = h.case(graph, org.agent_nyc, "NYC case")
    w.s_open = h.person(graph, org.agent_a, w.case_open, given_name="Open")
    w.s_restricted = h.person(graph, org.agent_b, w.case_restricted, given_name="Hidden")
    w.s_shared = h.person(graph, org.agent_b, w.case_restricted, given_name="Shared")
    h.add_subject(graph, w.s_shared, w.case_open)
    w.s_loose = h.person(graph, org.agent_a, given_name="Loose")
    w.s_port = h.person(graph, org.agent_port, w.case_port, given_name="Port")
    w.s_nyc = h.person(graph, org.agent_nyc, w.case_nyc, given_name="Nyc")
    w.roi_draft = h.document(graph, org.agent_a, w.case_open, status="draft")
    w.roi_returned = h.document(graph, org.agent_a, w.case_open, status="returned")
    w.roi_approved = h.document(graph, org.agent_a, w.case_open, status="approved")
    w.arrest = h.document(graph, org.agent_b, w.case_restricted, label="ArrestReport", status=None)
    return w


MIA_OPEN = {"case_open", "case_port", "s_open", "s_shared", "s_loose", "s_port", "roi_approved"}
RESTRICTED = {"case_restricted", "s_restricted", "arrest"}
DRAFTS = {"roi_draft", "roi_returned"}
NYC = {"case_nyc", "s_nyc"}
PORT = {"case_port", "s_port"}
EVERYTHING = MIA_OPEN | RESTRICTED | DRAFTS | NYC

#: What each role may read in `world`, and why.
EXPECTED = {
    "agent_a": MIA_OPEN | DRAFTS,                 # own office (and its port), own drafts; not b's restricted case
    "agent_b": MIA_OPEN | RESTRICTED,             # own restricted case; not a's drafts
    "agent_port": PORT,                           # a port sees its own records, not the field office's
    "analyst_mia": MIA_OPEN,                      # office records only
    "sup_mia": MIA_OPEN | RESTRICTED | DRAFTS,    # supervises a and b: cannot be restricted out
    "chief": MIA_OPEN | RESTRICTED | DRAFTS,      # the chain above the supervisor too
    "sup_nyc": NYC,                               # another chain, another office
    "agent_nyc": NYC,
    "auditor": EVERYTHING,                        # reads everything
    "admin": set(),                               # the role alone gives no case content
}


def _names(w, uids):
    by_uid = {v: k for k, v in vars(w).items() if isinstance(v, str)}
    return {by_uid[u] for u in uids if u in by_uid}


@pytest.mark.parametrize("role", sorted(EXPECTED))
def test_each_role_reads_exactly_its_scope(graph, world, role):
    who = getattr(world.org, role)
    assert _names(world, h.readable_uids(graph, who)) == EXPECTED[role]
    # The Python twin agrees record by record.
    allowed = set()
    for name in EVERYTHING:
        facts = graph.read(rules.load_facts, getattr(world, name))
        if rules.can(who, "read", facts):
            allowed.add(name)
    assert allowed == EXPECTED[role]


@pytest.mark.parametrize("role", sorted(EXPECTED))
def test_a_list_of_uids_of_every_kind_is_narrowed_to_exactly_the_scope(graph, world, role):
    """`rules.readable_uids` (the pointers of every answer, an import's masters) asks one statement per
    kind of record; together they answer as the whole predicate does, selectors included."""
    graph.query("""MATCH (o:SubjectRecord {uid: $open}), (r:SubjectRecord {uid: $hidden})
                   CREATE (o)-[:USES_PHONE {status: 'active'}]->(:Phone:Linkable {uid: 'ph-open', e164: '+13055550101'}),
                          (r)-[:USES_PHONE {status: 'active'}]->(:Phone:Linkable {uid: 'ph-hidden', e164: '+13055550102'})""",
                {"open": world.s_open, "hidden": world.s_restricted}, write=True)
    names = {**{getattr(world, n): n for n in EVERYTHING}, "ph-open": "phone_open", "ph-hidden": "phone_hidden"}
    expected = (EXPECTED[role] | ({"phone_open"} if "s_open" in EXPECTED[role] else set())
                | ({"phone_hidden"} if "s_restricted" in EXPECTED[role] else set()))
    got = graph.read(rules.readable_uids, getattr(world.org, role), [*names, "no-such-uid"])
    assert {names[u] for u in got} == expected


def test_restricted_case_answers_not_found_and_is_audited(graph, world):
    with pytest.raises(NotFound):
        access.view_record(graph, world.org.agent_a, world.case_restricted)
    with pytest.raises(NotFound):
        access.view_record(graph, world.org.agent_a, world.s_restricted)
    with pytest.raises(NotFound):  # someone else's draft
        access.view_record(graph, world.org.agent_b, world.roi_draft)
    denials = graph.query("""MATCH (e:AuditEntry {action: 'deny'}) RETURN e.targets AS t, e.actor_uid AS who
                             ORDER BY e.seq""")
    assert [d["t"] for d in denials] == [[world.case_restricted], [world.s_restricted], [world.roi_draft]]


def test_other_office_unrestricted_answers_forbidden(graph, world):
    with pytest.raises(Forbidden) as info:
        access.view_record(graph, world.org.agent_nyc, world.s_open)
    assert not isinstance(info.value, NotFound) and info.value.status == 403
    assert info.value.detail == f"you may not read record {world.s_open}"
    with pytest.raises(Forbidden) as info:
        access.view_record(graph, world.org.admin, world.case_open)
    assert info.value.detail == f"you may not read case {world.case_open}"
    assert graph.query("MATCH (e:AuditEntry {action: 'deny'}) RETURN count(e) AS n")[0]["n"] == 2


def test_supervisor_sees_restricted_case_with_its_subjects(graph, world):
    got = access.view_record(graph, world.org.sup_mia, world.case_restricted)
    assert {s["uid"] for s in got["subjects"]} == {world.s_restricted, world.s_shared}
    assert [d["uid"] for d in got["documents"]] == [world.arrest]


def test_case_view_leaves_out_others_drafts(graph, world):
    mine = access.view_record(graph, world.org.agent_a, world.case_open)
    theirs = access.view_record(graph, world.org.agent_b, world.case_open)
    assert {d["uid"] for d in mine["documents"]} == {world.roi_draft, world.roi_returned, world.roi_approved}
    assert [d["uid"] for d in theirs["documents"]] == [world.roi_approved]


def test_subject_view_locks_cases_the_reader_cannot_open(graph, world):
    got = access.view_record(graph, world.org.agent_a, world.s_shared)
    assert got["props"]["approval_status"] == "pending"
    open_case = [c for c in got["cases"] if not c.get("locked")]
    locked = [c for c in got["cases"] if c.get("locked")]
    assert [c["uid"] for c in open_case] == [world.case_open]
    assert locked == [{"uid": None, "type": "Case", "locked": True}]  # a restricted case: not even its uid


def test_neighbours_lock_unreadable_ends(graph, world):
    got = access.neighbours(graph, world.org.agent_a, world.s_shared, link_types=["SUBJECT_IN"])
    others = sorted((link["other"].get("locked", False), link["other"]["uid"] or "") for link in got["links"])
    assert others == [(False, world.case_open), (True, "")]
    locked = [link for link in got["links"] if link["other"].get("locked")][0]
    assert locked["link"] is None


def _last_view(graph, actor):
    return graph.query("MATCH (e:AuditEntry {action: 'view', actor_uid: $u}) RETURN e.targets AS t "
                       "ORDER BY e.seq DESC LIMIT 1", {"u": actor.uid})[0]["t"]


def test_a_view_entry_names_the_records_it_showed_and_not_the_locked_ones(graph, world):
    access.view_record(graph, world.org.agent_a, world.s_shared, with_links=True)
    assert _last_view(graph, world.org.agent_a) == [world.s_shared, world.case_open]  # not the restricted case
    access.view_record(graph, world.org.sup_mia, world.case_restricted)
    assert set(_last_view(graph, world.org.sup_mia)) == {world.case_restricted, world.s_restricted,
                                                         world.s_shared, world.arrest}
    access.neighbours(graph, world.org.agent_a, world.s_shared, link_types=["SUBJECT_IN"])
    assert _last_view(graph, world.org.agent_a) == [world.s_shared, world.case_open]


def test_grants_open_an_unrestricted_case_but_not_a_restricted_one(graph, world):
    h.grant(graph, world.case_nyc, grantee=world.org.agent_a)
    h.grant(graph, world.case_restricted, office="NYC")
    h.grant(graph, world.case_nyc, office="MIA", status="revoked")
    a = h.reload(graph, world.org.agent_a)
    assert _names(world, h.readable_uids(graph, a)) == MIA_OPEN | DRAFTS | NYC
    assert access.view_record(graph, a, world.case_nyc)["uid"] == world.case_nyc
    nyc = h.reload(graph, world.org.agent_nyc)
    assert _names(world, h.readable_uids(graph, nyc)) == NYC
    analyst = h.reload(graph, world.org.analyst_mia)  # the revoked office grant gives nothing
    assert _names(world, h.readable_uids(graph, analyst)) == MIA_OPEN


def test_team_member_from_another_office_reads_restricted_case(graph, org):
    c = h.case(graph, org.agent_a, "Joint restricted", restricted=True, team=[org.agent_nyc])
    s = h.person(graph, org.agent_a, c)
    assert {c, s} <= h.readable_uids(graph, org.agent_nyc)
    assert {c, s} <= h.readable_uids(graph, org.sup_nyc)  # the member's supervisor, too
    assert not {c, s} & h.readable_uids(graph, org.agent_b)


def test_expired_training_refuses_every_read_and_write(graph, world):
    graph.query("MATCH (u:User {username: 'agent_a'}) SET u.training_expires = '2020-01-01'", write=True)
    a = h.reload(graph, world.org.agent_a)
    for call in (lambda: access.view_record(graph, a, world.s_open),
                 lambda: access.search(graph, a, "Open"),
                 lambda: access.neighbours(graph, a, world.s_open),
                 lambda: records.update_entity(graph, a, world.s_open, {"given_name": "Changed"})):
        with pytest.raises(TrainingExpired) as info:
            call()
        assert "training" in info.value.detail and "2020-01-01" in info.value.detail
    assert h.readable_uids(graph, a) == set()
    assert stored_record(graph, world.s_open)["props"]["given_name"] == "Open"
    reasons = graph.query("""MATCH (e:AuditEntry {action: 'deny'}) WHERE e.actor_uid = $a
                             RETURN e.details AS d""", {"a": a.uid})
    # One "deny" per refused call: the view, the search, the expansion and the update (all four).
    assert len(reasons) == 4 and all("TrainingExpired" in r["d"] for r in reasons)


def test_writes_follow_the_rules(graph, world):
    o = world.org
    assert rules.can(o.agent_a, "write", graph.read(rules.load_facts, world.case_open))
    assert not rules.can(o.analyst_mia, "write", graph.read(rules.load_facts, world.case_open))
    assert rules.can(o.sup_mia, "write", graph.read(rules.load_facts, world.s_restricted))
    assert not rules.can(o.auditor, "write", graph.read(rules.load_facts, world.s_open))
    with pytest.raises(Forbidden):  # readable (same office) but not hers: existence known
        records.update_entity(graph, o.agent_b, world.s_open, {"given_name": "X"})
    with pytest.raises(NotFound):  # restricted: she may not learn it exists
        records.update_entity(graph, o.agent_a, world.s_restricted, {"given_name": "X"})
    with pytest.raises(Forbidden):
        records.update_entity(graph, o.auditor, world.s_open, {"given_name": "X"})
    updated = records.update_entity(graph, o.sup_mia, world.s_restricted, {"given_name": "Renamed"})
    assert updated["props"]["given_name"] == "Renamed"


def test_only_auditors_audit_and_only_admins_administer(org):
    assert rules.can(org.auditor, "audit") and not rules.can(org.sup_mia, "audit")
    assert rules.can(org.admin, "admin") and not rules.can(org.auditor, "admin")
