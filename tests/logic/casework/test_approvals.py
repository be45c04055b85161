"""Approvals against the real server: concurrent double approval, the queue, and Subject Record approval."""

from __future__ import annotations

import threading

import pytest

from ccms_graph.errors import Conflict, DomainError, Forbidden, NotFound, ValidationFailed
from ccms_graph.logic.casework import approvals, workflows
from ccms_graph.logic.casework.documents import create_document, submit_roi
from ccms_graph.logic.entities import records
from tests.factories import make_person, race, wait_until_blocked
from tests.logic.casework.helpers import audit_actions, case_props, new_case, open_case, set_dates, with_roi


@pytest.mark.parametrize("round_", range(3))
def test_two_supervisors_approving_at_once_exactly_one_succeeds(graph, org, round_):
    case = new_case(graph, org.agent_a)
    req = workflows.request_case_action(graph, org.agent_a, case["uid"], "open", with_roi(graph, org.agent_a, case["uid"]))
    results = race([lambda: approvals.approve(graph, org.sup_mia, req["uid"]),
                     lambda: approvals.approve(graph, org.chief, req["uid"])])
    wins = [r for r in results if isinstance(r, dict)]
    losses = [r for r in results if isinstance(r, Exception)]
    assert len(wins) == 1 and len(losses) == 1, results
    assert isinstance(losses[0], Conflict)
    stored = approvals.get_request(graph, req["uid"])
    assert stored["status"] == "approved" and stored["decided_by"] == wins[0]["decided_by"]
    assert audit_actions(graph, req["uid"]).count("approve") == 1
    assert case_props(graph, case["uid"])["status"] == "open"


@pytest.mark.parametrize("item", ["case_open", "subject_record"])
def test_a_decision_in_flight_holds_the_item_and_the_second_decider_gets_conflict(graph, org, item):
    """Deterministic: the first decision is made but not committed while the second one runs."""
    if item == "case_open":
        case = new_case(graph, org.agent_a)
        req = workflows.request_case_action(graph, org.agent_a, case["uid"], "open", with_roi(graph, org.agent_a, case["uid"]))
    else:
        req = make_person(graph, org.agent_a)
    results: list = []
    with graph.driver.session(database=graph.database) as session:
        tx = session.begin_transaction()
        first = approvals.decide_in(tx, org.sup_mia, req["uid"], "approved")
        second = threading.Thread(target=lambda: results.append(_attempt(graph, org.chief, req["uid"])))
        second.start()
        blocked = wait_until_blocked(graph)
        tx.commit()
        second.join(timeout=120)
    assert blocked, "the second decision never waited for the first one's lock"
    assert first["status"] == "approved"
    assert len(results) == 1 and isinstance(results[0], Conflict), results
    decided_by = graph.query("MATCH (n {uid: $u}) WHERE n:ApprovalRequest OR n:SubjectRecord "
                             "RETURN n.decided_by AS d", {"u": req["uid"]})[0]["d"]
    assert decided_by == org.sup_mia.uid
    assert audit_actions(graph, req["uid"]).count("approve") == 1


def _attempt(graph, who, uid):
    try:
        return approvals.approve(graph, who, uid)
    except DomainError as exc:
        return exc


def test_approve_and_return_at_once_exactly_one_decision_stands(graph, org):
    person = make_person(graph, org.agent_a)
    results = race([lambda: approvals.approve(graph, org.sup_mia, person["uid"]),
                     lambda: approvals.return_item(graph, org.chief, person["uid"], "check the DOB")])
    wins = [r for r in results if isinstance(r, dict)]
    assert len(wins) == 1 and sum(isinstance(r, Conflict) for r in results) == 1, results
    status = graph.query("MATCH (n:SubjectRecord {uid: $u}) RETURN n.approval_status AS s",
                         {"u": person["uid"]})[0]["s"]
    assert status == wins[0]["status"]
    actions = audit_actions(graph, person["uid"])
    assert actions.count("approve") + actions.count("return") == 1


# ---------------------------------------------------------------------------------------------
# Subject Records
# ---------------------------------------------------------------------------------------------


def _status(graph, uid):
    return graph.query("MATCH (n:SubjectRecord {uid: $u}) RETURN n.approval_status AS s", {"u": uid})[0]["s"]


def test_subject_record_pending_then_approved(graph, org):
    person = make_person(graph, org.agent_a)
    assert _status(graph, person["uid"]) == "pending"
    out = approvals.approve(graph, org.sup_mia, person["uid"])
    assert out["status"] == "approved" and out["approved_by"] == org.sup_mia.uid
    assert _status(graph, person["uid"]) == "approved"
    with pytest.raises(Conflict):
        approvals.approve(graph, org.chief, person["uid"])


def test_a_record_edited_after_the_supervisor_reviewed_it_is_not_approved_unseen(graph, org):
    # The owner may edit a record while it waits; the supervisor decides on the version they reviewed.
    person = make_person(graph, org.agent_a, given_name="Viktor", family_name="Orlov")
    (item,) = [q for q in approvals.approval_queue(graph, org.sup_mia) if q["target_uid"] == person["uid"]]
    assert item["target_version"] == 1
    records.update_entity(graph, org.agent_a, person["uid"], {"family_name": "Orlova"})
    with pytest.raises(Conflict, match="has changed since you reviewed it"):
        approvals.approve(graph, org.sup_mia, person["uid"], version=item["target_version"])
    with pytest.raises(Conflict, match="has changed since you reviewed it"):
        approvals.return_item(graph, org.sup_mia, person["uid"], "spell it as on the passport", version=1)
    assert _status(graph, person["uid"]) == "pending"
    assert audit_actions(graph, person["uid"]).count("approve") == 0
    with pytest.raises(ValidationFailed) as bad:
        approvals.approve(graph, org.sup_mia, person["uid"], version="the latest")
    assert "version" in bad.value.errors
    out = approvals.approve(graph, org.sup_mia, person["uid"], version=2)
    assert out["status"] == "approved" and out["family_name"] == "Orlova"


def test_subject_record_returned_edited_and_resubmitted(graph, org):
    person = make_person(graph, org.agent_a)
    with pytest.raises(ValidationFailed):
        approvals.return_item(graph, org.sup_mia, person["uid"], "")
    approvals.return_item(graph, org.sup_mia, person["uid"], "spell the family name as on the passport")
    assert _status(graph, person["uid"]) == "returned"
    with pytest.raises(Conflict):
        approvals.approve(graph, org.sup_mia, person["uid"])  # returned is not pending
    with pytest.raises(Forbidden):
        approvals.resubmit_record(graph, org.agent_b, person["uid"])
    approvals.resubmit_record(graph, org.agent_a, person["uid"])
    assert _status(graph, person["uid"]) == "pending"
    with pytest.raises(Conflict):
        approvals.resubmit_record(graph, org.agent_a, person["uid"])  # already pending
    approvals.approve(graph, org.sup_mia, person["uid"])
    assert _status(graph, person["uid"]) == "approved"
    decisions = [a for a in audit_actions(graph, person["uid"]) if a in ("request", "approve", "return")]
    assert decisions == ["return", "request", "approve"]


@pytest.mark.parametrize("who", ["agent_a", "agent_b", "sup_nyc", "auditor", "admin"])
def test_subject_record_approver_must_be_above_the_owner(graph, org, who):
    person = make_person(graph, org.agent_a)
    with pytest.raises(Forbidden):
        approvals.approve(graph, getattr(org, who), person["uid"])
    assert _status(graph, person["uid"]) == "pending"


def test_supervisor_cannot_approve_their_own_subject_record(graph, org):
    person = make_person(graph, org.sup_mia)
    with pytest.raises(Forbidden, match="self-approval"):
        approvals.approve(graph, org.sup_mia, person["uid"])
    approvals.approve(graph, org.chief, person["uid"])
    assert _status(graph, person["uid"]) == "approved"


def test_deciding_an_unknown_item(graph, org):
    with pytest.raises(NotFound):
        approvals.approve(graph, org.sup_mia, "no-such-item")
    with pytest.raises(ValidationFailed):
        approvals.decide(graph, org.sup_mia, "no-such-item", "maybe")


# ---------------------------------------------------------------------------------------------
# The queue
# ---------------------------------------------------------------------------------------------


def test_queue_lists_subordinates_pending_items_of_every_kind_oldest_first(graph, org):
    case = open_case(graph, org.agent_a, org.sup_mia)
    roi = create_document(graph, org.agent_a, case["uid"], "ReportOfInvestigation", {"title": "Opening ROI"})
    roi_req = submit_roi(graph, org.agent_a, roi["uid"])
    refer = workflows.request_case_action(graph, org.agent_a, case["uid"], "refer")
    person = make_person(graph, org.agent_port)
    other = new_case(graph, org.agent_b)
    open_req = workflows.request_case_action(graph, org.agent_b, other["uid"], "open", with_roi(graph, org.agent_b, other["uid"]))
    make_person(graph, org.agent_nyc)  # another office's chain
    # decided items leave the queue
    decided = make_person(graph, org.agent_b)
    approvals.approve(graph, org.sup_mia, decided["uid"])
    # fix the order with explicit times, oldest first: person, open_req, roi_req, refer
    set_dates(graph, "SubjectRecord", person["uid"], created_at="2026-01-01T09:00:00Z")
    set_dates(graph, "ApprovalRequest", open_req["uid"], requested_at="2026-01-02T09:00:00Z")
    set_dates(graph, "ApprovalRequest", roi_req["uid"], requested_at="2026-01-03T09:00:00Z")
    set_dates(graph, "ApprovalRequest", refer["uid"], requested_at="2026-01-04T09:00:00Z")

    queue = approvals.approval_queue(graph, org.sup_mia)
    assert [(q["kind"], q["uid"]) for q in queue] == [
        ("subject_record", person["uid"]), ("case_open", open_req["uid"]), ("roi", roi_req["uid"]),
        ("case_refer", refer["uid"])]
    assert [q["uid"] for q in approvals.approval_queue(graph, org.chief)] == [q["uid"] for q in queue]
    assert approvals.approval_queue(graph, org.sup_nyc)[0]["requested_by"] == org.agent_nyc.uid
    assert len(approvals.approval_queue(graph, org.sup_nyc)) == 1
    for nobody in (org.agent_a, org.auditor, org.admin):
        assert approvals.approval_queue(graph, nobody) == []


def test_queue_does_not_show_a_supervisors_own_items_to_them(graph, org):
    case = new_case(graph, org.sup_mia)
    req = workflows.request_case_action(graph, org.sup_mia, case["uid"], "open", with_roi(graph, org.sup_mia, case["uid"]))
    assert req["uid"] not in [q["uid"] for q in approvals.approval_queue(graph, org.sup_mia)]
    assert req["uid"] in [q["uid"] for q in approvals.approval_queue(graph, org.chief)]


def test_the_queue_captions_a_pending_record_by_its_caption_fields_and_is_audited_as_a_view(graph, org):
    from ccms_graph.logic.entities import records

    car = records.create_entity(graph, org.agent_b, "Vehicle", {"vin": "1HGCM82633A004352"})
    case = new_case(graph, org.agent_b)
    req = workflows.request_case_action(graph, org.agent_b, case["uid"], "open", with_roi(graph, org.agent_b, case["uid"]))
    queue = {q["uid"]: q for q in approvals.approval_queue(graph, org.sup_mia)}
    assert set(queue) == {car["uid"], req["uid"]}
    caption = queue[car["uid"]]["target_caption"]
    assert caption == car["caption"] and "1hgcm82633a004352" not in caption.lower()
    entry = graph.query("""MATCH (e:AuditEntry {actor_uid: $u}) RETURN e.action AS action, e.targets AS targets,
                           e.details AS details ORDER BY e.seq DESC LIMIT 1""", {"u": org.sup_mia.uid})[0]
    assert entry["action"] == "view" and '"op": "approval_queue"' in entry["details"]
    assert {car["uid"], req["uid"]} <= set(entry["targets"])
