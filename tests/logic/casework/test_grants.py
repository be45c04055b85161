"""Cross-office access grants: the owner asks, a supervisor approves, the grant shows in load_actor, revocation ends it."""

from __future__ import annotations

import pytest

from ccms_graph.errors import Conflict, Forbidden, NotFound, ValidationFailed
from ccms_graph.logic.casework import approvals, grants
from tests.factories import actor
from tests.logic.casework.helpers import audit_actions, inbox_kinds, open_case


@pytest.fixture
def case(graph, org):
    return open_case(graph, org.agent_a, org.sup_mia)


def test_user_grant_gives_read_access_once_approved_and_revocation_removes_it(graph, org, case):
    grant = grants.request_grant(graph, org.agent_a, case["uid"],
                                 {"grantee_uid": org.agent_nyc.uid, "reason": "joint operation with NYC"})
    assert grant["status"] == "pending"
    assert case["uid"] not in actor(graph, "agent_nyc").granted_cases  # pending gives nothing
    approvals.approve(graph, org.sup_mia, grant["request_uid"])
    assert grants.grants_for_case(graph, case["uid"])[0]["status"] == "active"
    assert case["uid"] in actor(graph, "agent_nyc").granted_cases
    assert case["uid"] not in actor(graph, "sup_nyc").granted_cases  # a user grant is for that user only
    assert "access_decided" in inbox_kinds(graph, org.agent_nyc.uid)

    revoked = grants.revoke_grant(graph, org.agent_a, grant["uid"], "operation finished")
    assert revoked["status"] == "revoked" and revoked["revoked_by"] == org.agent_a.uid and revoked["revoked_at"]
    assert case["uid"] not in actor(graph, "agent_nyc").granted_cases
    assert audit_actions(graph, grant["uid"]) == ["request", "approve", "revoke"]


def test_office_grant_reaches_everyone_in_that_office(graph, org, case):
    grant = grants.request_grant(graph, org.agent_a, case["uid"], {"grantee_office": "NYC", "reason": "task force"})
    approvals.approve(graph, org.chief, grant["request_uid"])
    for username in ("agent_nyc", "sup_nyc"):
        assert case["uid"] in actor(graph, username).granted_cases
    grants.revoke_grant(graph, org.sup_mia, grant["uid"], "task force disbanded")  # the owner's supervisor
    assert case["uid"] not in actor(graph, "agent_nyc").granted_cases


def test_returned_grant_gives_nothing(graph, org, case):
    grant = grants.request_grant(graph, org.agent_a, case["uid"], {"grantee_office": "NYC", "reason": "task force"})
    approvals.return_item(graph, org.sup_mia, grant["request_uid"], "not without a signed MOU")
    assert grants.grants_for_case(graph, case["uid"])[0]["status"] == "returned"
    assert case["uid"] not in actor(graph, "agent_nyc").granted_cases
    with pytest.raises(Conflict):
        grants.revoke_grant(graph, org.agent_a, grant["uid"], "nothing to revoke")


def test_only_the_owner_requests_a_grant(graph, org, case):
    for who in (org.agent_b, org.sup_mia, org.agent_nyc):
        with pytest.raises(Forbidden):
            grants.request_grant(graph, who, case["uid"], {"grantee_office": "NYC", "reason": "because"})
    with pytest.raises(NotFound):
        grants.request_grant(graph, org.agent_a, "no-such-case", {"grantee_office": "NYC", "reason": "because"})


@pytest.mark.parametrize("data,field", [
    ({"reason": "who?"}, "grantee_uid"),
    ({"grantee_uid": "x", "grantee_office": "NYC", "reason": "both"}, "grantee_uid"),
    ({"grantee_office": "LAX", "reason": "no such office"}, "grantee_office"),
    ({"grantee_uid": "nobody", "reason": "no such user"}, "grantee_uid"),
    ({"grantee_office": "NYC"}, "reason"),
])
def test_grant_input_is_validated(graph, org, case, data, field):
    with pytest.raises(ValidationFailed) as exc:
        grants.request_grant(graph, org.agent_a, case["uid"], data)
    assert field in exc.value.errors


def test_grant_approval_rules(graph, org, case):
    grant = grants.request_grant(graph, org.agent_a, case["uid"], {"grantee_office": "NYC", "reason": "task force"})
    for who in (org.agent_a, org.agent_b, org.sup_nyc, org.auditor, org.admin):
        with pytest.raises(Forbidden):
            approvals.approve(graph, who, grant["request_uid"])
    with pytest.raises(Conflict):  # one pending or active grant per grantee
        grants.request_grant(graph, org.agent_a, case["uid"], {"grantee_office": "NYC", "reason": "again"})


def test_only_the_owner_or_their_supervisors_revoke(graph, org, case):
    grant = grants.request_grant(graph, org.agent_a, case["uid"], {"grantee_uid": org.agent_nyc.uid,
                                                                   "reason": "joint op"})
    with pytest.raises(Conflict):  # still pending
        grants.revoke_grant(graph, org.agent_a, grant["uid"], "changed my mind")
    approvals.approve(graph, org.sup_mia, grant["request_uid"])
    for who in (org.agent_nyc, org.agent_b, org.sup_nyc, org.auditor, org.admin):
        with pytest.raises(Forbidden):
            grants.revoke_grant(graph, who, grant["uid"], "not mine to revoke")
    grants.revoke_grant(graph, org.agent_a, grant["uid"], "done")
    with pytest.raises(Conflict):
        grants.revoke_grant(graph, org.agent_a, grant["uid"], "done twice")
