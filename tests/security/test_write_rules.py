"""Write rules a hostile insider tried to get around (issue 13, class 6), each closed where it is born:

1. a case team opens its case, so another office's user joins one only with a supervisor's approval;
2. a content role opens case content, so an administrator never gives one alone;
3. a merge (SUB_RECORD_OF) and a call record (CALLED) come only from their own paths, never by hand.
"""

from __future__ import annotations

import json

import pytest

from ccms_graph.errors import Conflict, Forbidden, NotFound, ValidationFailed
from ccms_graph.logic.casework import approvals, cases, grants
from ccms_graph.logic.casework.cases import create_case
from ccms_graph.logic.entities import access, links, records
from ccms_graph.logic.identity import resolution, telecom
from ccms_graph.logic.people import auth, users
from ccms_graph.policy.actor import SYSTEM
from ccms_graph.web import create_app
from tests.api.conftest import Api, token_for
from tests.factories import PASSWORD, actor, links_of, make_person

# ---------------------------------------------------------------------------------------------
# Fixtures
# ---------------------------------------------------------------------------------------------


@pytest.fixture
def app(graph):
    return create_app({"TESTING": True}, graph=graph)


@pytest.fixture
def api(graph, app):
    """`api(actor)` -> a client carrying that user's personal token."""
    return lambda who: Api(app.test_client(), token_for(graph, who))


@pytest.fixture
def secret_case(graph, org):
    """agent_a's restricted case with one subject, in the MIA office."""
    case = create_case(graph, org.agent_a, {"title": "Operation Nightjar", "restricted": True})
    make_person(graph, org.agent_a, case_uid=case["uid"], given_name="Ines", family_name="Varga")
    return case


@pytest.fixture
def hq(graph, org):
    """A headquarters office with a unit inside it, and a supervisor in each (made by the system)."""
    users.create_office(graph, SYSTEM, {"code": "HQ", "name": "Headquarters", "kind": "branch"})
    users.create_office(graph, SYSTEM, {"code": "HQ-IA", "name": "Internal Affairs", "kind": "unit",
                                        "parent_code": "HQ"})
    for username, office in (("sup_hq", "HQ"), ("sup_ia", "HQ-IA")):
        users.create_user(graph, SYSTEM, _account(username, "supervisor", office))
    return {"sup_hq": actor(graph, "sup_hq"), "sup_ia": actor(graph, "sup_ia")}


def _account(username: str, role: str, office: str = "MIA", supervisor: str | None = None) -> dict:
    return {"username": username, "name": username.replace("_", " ").title(), "role": role, "office_code": office,
            "supervisor": supervisor, "password": PASSWORD, "training_expires": "2099-12-31"}


def _can_read(graph, username: str, uid: str) -> bool:
    try:
        access.view_record(graph, actor(graph, username), uid)
    except (NotFound, Forbidden):
        return False
    return True


def _team(graph, case_uid: str) -> list[str]:
    return graph.query("MATCH (c:Case {uid: $u}) RETURN c.team_uids AS t", {"u": case_uid})[0]["t"]


# ---------------------------------------------------------------------------------------------
# 1. Another office's user joins a case team only with a supervisor's approval
# ---------------------------------------------------------------------------------------------


def test_another_offices_user_is_not_let_into_a_restricted_case_by_a_team_add(graph, org, secret_case):
    out = cases.change_team(graph, org.agent_a, secret_case["uid"], org.agent_nyc.uid, add=True)
    assert not _can_read(graph, "agent_nyc", secret_case["uid"])
    assert org.agent_nyc.uid not in out["team_uids"] and org.agent_nyc.uid not in _team(graph, secret_case["uid"])
    pending = out["pending"]
    assert pending["member_uid"] == org.agent_nyc.uid
    request = approvals.get_request(graph, pending["request_uid"])
    assert (request["kind"], request["status"], request["target_uid"]) == ("access_grant", "pending",
                                                                          pending["grant_uid"])
    assert request["payload"]["team"] is True and request["payload"]["grantee_uid"] == org.agent_nyc.uid
    # The owner's supervisor is asked, and sees it in the queue.
    queue = approvals.approval_queue(graph, org.sup_mia)
    assert [q["uid"] for q in queue if q["kind"] == "access_grant"] == [pending["request_uid"]]


def test_the_team_add_is_carried_out_by_the_supervisors_approval_and_only_once(graph, org, secret_case):
    pending = cases.change_team(graph, org.agent_a, secret_case["uid"], org.agent_nyc.uid, add=True)["pending"]
    with pytest.raises(Conflict) as again:  # asking twice files nothing new
        cases.change_team(graph, org.agent_a, secret_case["uid"], org.agent_nyc.uid, add=True)
    assert again.value.extra["request_uid"] == pending["request_uid"]
    for wrong in (org.agent_a, org.sup_nyc, org.admin, org.auditor):  # requester, member's chain, non-approvers
        with pytest.raises((Forbidden, NotFound)):
            approvals.approve(graph, wrong, pending["request_uid"])
    assert not _can_read(graph, "agent_nyc", secret_case["uid"])

    approvals.approve(graph, org.sup_mia, pending["request_uid"], "joint operation with NYC")
    assert org.agent_nyc.uid in _team(graph, secret_case["uid"])
    assert _can_read(graph, "agent_nyc", secret_case["uid"])
    with pytest.raises(Conflict):
        approvals.approve(graph, org.sup_mia, pending["request_uid"])
    assert [g["status"] for g in grants.grants_for_case(graph, secret_case["uid"])] == ["active"]

    # Taken off the team, the member loses the case and the grant ends with it: no silent way back.
    cases.change_team(graph, org.agent_a, secret_case["uid"], org.agent_nyc.uid, add=False)
    assert not _can_read(graph, "agent_nyc", secret_case["uid"])
    assert [g["status"] for g in grants.grants_for_case(graph, secret_case["uid"])] == ["revoked"]
    again = cases.change_team(graph, org.agent_a, secret_case["uid"], org.agent_nyc.uid, add=True)
    assert "pending" in again and org.agent_nyc.uid not in again["team_uids"]


def test_a_returned_team_add_leaves_the_team_and_a_revoked_one_empties_it(graph, org, secret_case):
    first = cases.change_team(graph, org.agent_a, secret_case["uid"], org.agent_nyc.uid, add=True)["pending"]
    approvals.return_item(graph, org.sup_mia, first["request_uid"], "use a grant to the NYC office instead")
    assert org.agent_nyc.uid not in _team(graph, secret_case["uid"])
    with pytest.raises(Conflict):
        approvals.approve(graph, org.sup_mia, first["request_uid"])

    second = cases.change_team(graph, org.agent_a, secret_case["uid"], org.agent_nyc.uid, add=True)["pending"]
    approvals.approve(graph, org.chief, second["request_uid"])  # anyone above the requester may decide
    assert _can_read(graph, "agent_nyc", secret_case["uid"])
    grants.revoke_grant(graph, org.agent_a, second["grant_uid"], "operation over")
    assert org.agent_nyc.uid not in _team(graph, secret_case["uid"])
    assert not _can_read(graph, "agent_nyc", secret_case["uid"])


def test_an_open_case_of_another_office_is_not_opened_by_a_team_add_either(graph, org):
    case = create_case(graph, org.agent_a, {"title": "Operation Open Water"})
    assert not _can_read(graph, "agent_nyc", case["uid"])
    assert "pending" in cases.change_team(graph, org.agent_a, case["uid"], org.agent_nyc.uid, add=True)
    assert not _can_read(graph, "agent_nyc", case["uid"])


def test_same_office_team_adds_stay_immediate(graph, org, secret_case):
    for who in (org.agent_b, org.analyst_mia):
        out = cases.change_team(graph, org.agent_a, secret_case["uid"], who.uid, add=True)
        assert "pending" not in out and who.uid in out["team_uids"]
        assert _can_read(graph, who.username, secret_case["uid"])
    assert graph.query("MATCH (g:AccessGrant) RETURN count(g) AS n") == [{"n": 0}]


def test_an_approval_does_not_put_a_user_who_may_no_longer_join_on_the_team(graph, org, secret_case):
    pending = cases.change_team(graph, org.agent_a, secret_case["uid"], org.agent_nyc.uid, add=True)["pending"]
    graph.query("MATCH (u:User {uid: $u}) SET u.active = false", {"u": org.agent_nyc.uid}, write=True)
    with pytest.raises(Conflict, match="can no longer join"):
        approvals.approve(graph, org.sup_mia, pending["request_uid"])
    assert approvals.get_request(graph, pending["request_uid"])["status"] == "pending"
    assert org.agent_nyc.uid not in _team(graph, secret_case["uid"])


def test_the_api_answers_a_cross_office_team_add_with_202_and_the_request(graph, org, secret_case, api):
    r = api(org.agent_a).post(f"cases/{secret_case['uid']}/team/{org.agent_nyc.uid}")
    assert r.status_code == 202, r.get_json()
    body = r.get_json()
    assert org.agent_nyc.uid not in body["team_uids"] and body["pending"]["member_uid"] == org.agent_nyc.uid
    assert api(org.agent_nyc).get(f"cases/{secret_case['uid']}").status_code == 404
    assert api(org.agent_a).post(f"cases/{secret_case['uid']}/team/{org.agent_nyc.uid}").status_code == 409
    decide = f"approvals/{body['pending']['request_uid']}/decision"
    assert api(org.sup_mia).post(decide, json={"decision": "approved"}).status_code == 200
    assert api(org.sup_mia).post(decide, json={"decision": "approved"}).status_code == 409
    assert api(org.agent_nyc).get(f"cases/{secret_case['uid']}").status_code == 200
    same = api(org.agent_a).post(f"cases/{secret_case['uid']}/team/{org.agent_b.uid}")
    assert same.status_code == 200 and org.agent_b.uid in same.get_json()["team_uids"]


# ---------------------------------------------------------------------------------------------
# 2. A content role is given only with a supervisor's approval
# ---------------------------------------------------------------------------------------------


def _signs_in(graph, username: str) -> bool:
    try:
        auth.authenticate(graph, username, PASSWORD)
    except Forbidden:
        return False
    return True


def test_an_administrator_cannot_make_itself_an_auditor_account(graph, org, hq):
    made = users.create_user(graph, org.admin, _account("admin_eyes", "auditor", "NYC"))
    assert made["status"] == "pending_approval"
    assert not _signs_in(graph, "admin_eyes")
    assert graph.query("MATCH (u:User {username: 'admin_eyes'}) RETURN u") == []
    with pytest.raises(NotFound):
        actor(graph, "admin_eyes")
    rows = graph.query("MATCH (e:AuditEntry {action: 'sign_in_failed'}) RETURN e.details AS d")
    assert json.loads(rows[-1]["d"])["reason"] == "role_pending"


def test_an_auditor_account_is_approved_at_headquarters_only(graph, org, hq):
    req = users.create_user(graph, org.admin, _account("new_auditor", "auditor", "NYC"))["request_uid"]
    second_admin = users.create_user(graph, org.admin, _account("admin_two", "admin", "NYC"))
    assert second_admin["status"] == "active"  # the administrator role opens no content: no approval
    for wrong in (org.admin, actor(graph, "admin_two"), org.sup_mia, org.chief, org.sup_nyc, org.auditor,
                  org.agent_a):
        with pytest.raises(Forbidden):
            approvals.approve(graph, wrong, req)
    assert not _signs_in(graph, "new_auditor")
    # Who is asked: every supervisor at headquarters, and the queue shows it to them (and to no one else).
    assert [q["uid"] for q in approvals.approval_queue(graph, hq["sup_ia"])] == [req]
    assert approvals.approval_queue(graph, org.sup_nyc) == []
    told = graph.query("MATCH (n:Notification {kind: 'approval_needed', item_uid: $r}) RETURN n.recipient_uid AS u "
                       "ORDER BY u", {"r": req})
    assert [r["u"] for r in told] == sorted([hq["sup_hq"].uid, hq["sup_ia"].uid])

    approvals.approve(graph, hq["sup_ia"], req, "internal affairs hire")
    assert _signs_in(graph, "new_auditor")
    assert actor(graph, "new_auditor").role == "auditor"
    with pytest.raises(Conflict):
        approvals.approve(graph, hq["sup_hq"], req)


def test_an_agent_account_is_approved_by_its_supervisors_chain(graph, org):
    req = users.create_user(graph, org.admin, _account("new_agent", "agent", "MIA", "sup_mia"))["request_uid"]
    with pytest.raises(Forbidden):
        approvals.approve(graph, org.sup_nyc, req)
    assert [q["uid"] for q in approvals.approval_queue(graph, org.chief)] == [req]
    assert approvals.approval_queue(graph, org.sup_nyc) == []
    approvals.approve(graph, org.sup_mia, req)
    agent = actor(graph, "new_agent")
    assert agent.role == "agent" and agent.uid in actor(graph, "sup_mia").subordinates
    assert _signs_in(graph, "new_agent")


def test_a_returned_account_never_signs_in_and_frees_its_username(graph, org):
    req = users.create_user(graph, org.admin, _account("maybe", "analyst", "MIA", "sup_mia"))["request_uid"]
    with pytest.raises(Conflict):
        users.create_user(graph, org.admin, _account("maybe", "analyst", "MIA", "sup_mia"))
    approvals.return_item(graph, org.sup_mia, req, "not on my team")
    assert not _signs_in(graph, "maybe")
    with pytest.raises(Conflict):
        approvals.approve(graph, org.sup_mia, req)
    again = users.create_user(graph, org.admin, _account("maybe", "analyst", "MIA", "sup_mia"))
    assert again["status"] == "pending_approval"
    assert graph.query("MATCH (p:PendingUser) WHERE p.password_hash IS NOT NULL RETURN p.status AS s") == [
        {"s": "pending"}]


def test_raising_a_users_role_waits_and_the_user_keeps_the_old_one(graph, org, hq):
    out = users.change_role(graph, org.admin, "agent_b", {"role": "auditor", "reason": "moving to internal affairs"})
    assert out["status"] == "pending_approval" and out["role"] == "agent"
    assert actor(graph, "agent_b").role == "agent"
    with pytest.raises(Conflict):  # one pending change at a time
        users.change_role(graph, org.admin, "agent_b", {"role": "supervisor", "reason": "promotion"})
    with pytest.raises(Forbidden):
        approvals.approve(graph, org.sup_mia, out["request_uid"])  # an auditor is approved at headquarters
    approvals.approve(graph, hq["sup_hq"], out["request_uid"])
    assert actor(graph, "agent_b").role == "auditor"
    with pytest.raises(Conflict):
        approvals.approve(graph, hq["sup_hq"], out["request_uid"])


def test_nobody_approves_their_own_role(graph, org, hq):
    out = users.change_role(graph, org.admin, "sup_ia", {"role": "auditor", "reason": "self-promotion attempt"})
    with pytest.raises(Forbidden, match="own role"):
        approvals.approve(graph, hq["sup_ia"], out["request_uid"])
    assert approvals.approval_queue(graph, hq["sup_ia"]) == []
    approvals.approve(graph, hq["sup_hq"], out["request_uid"])
    assert actor(graph, "sup_ia").role == "auditor"


def test_the_administrator_role_and_the_system_apply_at_once(graph, org):
    out = users.change_role(graph, org.admin, "agent_b", {"role": "admin", "reason": "moved to IT"})
    assert out["status"] == "active" and actor(graph, "agent_b").role == "admin"
    made = users.create_user(graph, SYSTEM, _account("seeded", "auditor", "NYC"))  # the seed's and tests' path
    assert made["status"] == "active" and actor(graph, "seeded").role == "auditor"
    with pytest.raises(Forbidden):
        users.change_role(graph, org.sup_mia, "agent_a", {"role": "supervisor", "reason": "not theirs to give"})


def test_with_no_one_at_headquarters_an_auditor_cannot_be_asked_for(graph, org):
    with pytest.raises(Conflict, match="headquarters"):
        users.create_user(graph, org.admin, _account("lonely", "auditor", "NYC"))
    assert graph.query("MATCH (p:PendingUser) RETURN count(p) AS n") == [{"n": 0}]


def test_the_admin_api_answers_202_for_a_content_role(graph, org, hq, api):
    admin = api(org.admin)
    r = admin.post("admin/users", json=_account("via_api", "auditor", "NYC"))
    assert r.status_code == 202, r.get_json()
    assert r.get_json()["status"] == "pending_approval" and "password" not in json.dumps(r.get_json())
    assert admin.post("admin/users", json=_account("admin_api", "admin", "NYC")).status_code == 201
    r = admin.post("admin/users/agent_b/role", json={"role": "supervisor", "reason": "promotion"})
    assert r.status_code == 202 and r.get_json()["role"] == "agent"
    assert admin.post("admin/users/agent_b/role", json={"role": "admin", "reason": "x"}).status_code == 422
    assert api(org.sup_mia).post("admin/users/agent_b/role",
                                 json={"role": "supervisor", "reason": "promotion"}).status_code == 403
    assert admin.post("admin/users/nobody_here/role", json={"role": "admin", "reason": "typo"}).status_code == 404


# ---------------------------------------------------------------------------------------------
# 3. Merges and call records come only from their own paths
# ---------------------------------------------------------------------------------------------


def test_a_merge_cannot_be_drawn_by_hand_past_its_approval(graph, org, api):
    mine = make_person(graph, org.agent_a, given_name="Ivan", family_name="Drago")
    theirs = make_person(graph, org.agent_b, given_name="Ivan", family_name="Drago", separate_reason="kept apart until compared")
    data = {"source_uid": mine["uid"], "target_uid": theirs["uid"], "type": "SUB_RECORD_OF",
            "reason": "looks like the same man"}
    with pytest.raises(ValidationFailed) as err:
        links.link(graph, org.agent_a, data)
    assert "identity resolution" in err.value.errors["type"][0]
    r = api(org.agent_a).post("links", json=data)
    assert r.status_code == 422 and "identity resolution" in r.get_json()["errors"]["type"][0]
    assert graph.query("MATCH ()-[r:SUB_RECORD_OF]->() RETURN count(r) AS n") == [{"n": 0}]
    # The merge path still works (across owners, through approval), and what it draws cannot be retired
    # by hand either: unmerging undoes it.
    asked = resolution.merge(graph, org.agent_a, theirs["uid"], mine["uid"], "same passport photo")
    assert asked["status"] == "pending_approval"
    approvals.approve(graph, org.sup_mia, asked["request_uid"])
    retire = {"source_uid": mine["uid"], "target_uid": theirs["uid"], "type": "SUB_RECORD_OF", "reason": "undo it"}
    with pytest.raises(ValidationFailed) as err:
        links.unlink(graph, org.agent_a, retire)
    assert set(err.value.errors) == {"type"}
    assert api(org.agent_a).post("links/retire", json=retire).status_code == 422
    assert graph.query("MATCH ()-[r:SUB_RECORD_OF {status: 'active'}]->() RETURN count(r) AS n") == [{"n": 1}]


def test_a_call_record_cannot_be_made_up_or_erased_by_hand(graph, org, api):
    case = create_case(graph, org.agent_a, {"title": "Operation Wire"})
    make_person(graph, org.agent_a, case_uid=case["uid"], phones=["305-555-0101", "212-555-0199"])
    phone = {r["e164"]: r["uid"] for r in graph.query("MATCH (p:Phone) RETURN p.e164 AS e164, p.uid AS uid")}
    a, b = phone["+13055550101"], phone["+12125550199"]
    made_up = {"source_uid": a, "target_uid": b, "type": "CALLED", "reason": "trust me",
               "properties": {"count": 40, "total_seconds": 9000}}
    with pytest.raises(ValidationFailed) as err:
        links.link(graph, org.agent_a, made_up)
    assert "telecom import" in err.value.errors["type"][0]
    r = api(org.agent_a).post("links", json=made_up)
    assert r.status_code == 422 and set(r.get_json()["errors"]) == {"type"}
    assert telecom.calls_between(graph, org.agent_a, "305-555-0101", "212-555-0199") is None

    telecom.import_cdr(graph, org.agent_a, case["uid"], "originating_number,terminating_number,start_time,duration\n"
                                                        "305-555-0101,212-555-0199,2026-01-05T10:00:00Z,60\n")
    erase = {"source_uid": a, "target_uid": b, "type": "CALLED", "reason": "inconvenient"}
    assert api(org.agent_a).post("links/retire", json=erase).status_code == 422
    assert telecom.calls_between(graph, org.agent_a, "305-555-0101", "212-555-0199")["count"] == 1


def test_hand_drawn_links_still_work(graph, org, api):
    a = records.create_entity(graph, org.agent_a, "Person", {"given_name": "Ann", "family_name": "Lee"})
    b = records.create_entity(graph, org.agent_a, "Person", {"given_name": "Bo", "family_name": "Lee"})
    r = api(org.agent_a).post("links", json={"source_uid": a["uid"], "target_uid": b["uid"], "type": "FAMILY_OF",
                                             "reason": "siblings", "properties": {"relation": "sibling"}})
    assert r.status_code == 201, r.get_json()
    assert [x["type"] for x in links_of(graph, a["uid"])] == ["FAMILY_OF"]
