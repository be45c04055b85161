"""Identity resolution: side-by-side comparison, merge as SUB_RECORD_OF, exact unmerge, supervisor approval."""

from __future__ import annotations

import pytest

from ccms_graph.errors import Conflict, Forbidden, NotFound, ValidationFailed
from ccms_graph.logic.entities import links, records
from ccms_graph.logic.identity import resolution
from ccms_graph.logic.oversight import notifications
from tests.factories import links_via_master, make_person

AUDIT = ["AuditEntry", "AuditHead"]


def snapshot(graph) -> tuple[list, list]:
    """Every node and relationship with labels/type and properties, the audit log excepted."""
    nodes = graph.query(
        "MATCH (n) WHERE none(l IN labels(n) WHERE l IN $skip) "
        "RETURN elementId(n) AS id, labels(n) AS labels, properties(n) AS props ORDER BY id", {"skip": AUDIT})
    rels = graph.query(
        "MATCH (a)-[r]->(b) WHERE none(l IN labels(a) + labels(b) WHERE l IN $skip) "
        "RETURN elementId(r) AS id, type(r) AS type, elementId(a) AS a, elementId(b) AS b, properties(r) AS props "
        "ORDER BY id", {"skip": AUDIT})
    return nodes, rels


def _pair(graph, org, owner_b=None):
    master = make_person(graph, org.agent_a, given_name="Ivan", family_name="Drago", dob="1961-11-30",
                         phones=["305-555-0111"])
    other = make_person(graph, owner_b or org.agent_a, given_name="Ivan", family_name="Drago", dob="1961-11-30",
                        emails=["ivan@example.com"], separate_reason="kept apart until compared")
    return master, other


def test_compare_shows_fields_side_by_side_with_differences(graph, org):
    master, other = _pair(graph, org)
    cmp = resolution.compare(graph, org.agent_a, master["uid"], other["uid"])
    by_field = {f["field"]: f for f in cmp["fields"]}
    assert by_field["family_name"] == {"field": "family_name", "label": "Family name", "a": "Drago", "b": "Drago",
                                       "same": True}
    assert set(cmp["differences"]) == {"phones", "emails"}
    assert cmp["decision"] == "match"


def test_merge_then_unmerge_leaves_the_graph_exactly_as_it_was(graph, org):
    master, other = _pair(graph, org)
    # A link of the other record, which must stay reachable from the master.
    vehicle = records.create_entity(graph, org.agent_a, "Vehicle", {"vin": "1HGCM82633A004352"})
    links.link(graph, org.agent_a, {"source_uid": vehicle["uid"], "target_uid": other["uid"], "type": "REGISTERED_TO",
                             "reason": "DMV record"})
    before = snapshot(graph)

    merged = resolution.merge(graph, org.agent_a, master["uid"], other["uid"], "same DOB, same face in photos")
    assert merged["status"] == "merged"
    assert snapshot(graph) != before
    rel = graph.query("MATCH (o {uid: $o})-[r:SUB_RECORD_OF]->(m) RETURN m.uid AS m, r.created_by AS by, "
                      "r.reason AS why, r.created_at IS NOT NULL AS when, o.master_uid AS mu", {"o": other["uid"]})
    assert rel == [{"m": master["uid"], "by": org.agent_a.uid, "why": "same DOB, same face in photos",
                    "when": True, "mu": master["uid"]}]
    reachable = links_via_master(graph, master["uid"])
    assert [(x["type"], x["via_uid"]) for x in reachable if x["type"] == "REGISTERED_TO"] == [
        ("REGISTERED_TO", other["uid"])]
    assert graph.query("MATCH (n:Person) RETURN count(n) AS n") == [{"n": 2}]  # nothing deleted

    resolution.unmerge(graph, org.agent_a, other["uid"], "photos were of a brother")
    assert snapshot(graph) == before
    actions = [r["a"] for r in graph.query("MATCH (e:AuditEntry) WHERE e.action IN ['merge', 'unmerge'] "
                                           "RETURN e.action AS a, e.actor_uid AS who ORDER BY e.seq")]
    assert actions == ["merge", "unmerge"]


def test_merge_needs_a_reason_and_refuses_chains(graph, org):
    master, other = _pair(graph, org)
    with pytest.raises(ValidationFailed):
        resolution.merge(graph, org.agent_a, master["uid"], other["uid"], " ")
    resolution.merge(graph, org.agent_a, master["uid"], other["uid"], "same person")
    third = make_person(graph, org.agent_a, given_name="Ivan", family_name="Drago", separate_reason="to try a chain")
    with pytest.raises(Conflict):
        resolution.merge(graph, org.agent_a, other["uid"], third["uid"], "into a sub-record")


def test_merging_another_owners_record_waits_for_their_supervisor(graph, org):
    master, other = _pair(graph, org, owner_b=org.agent_b)
    asked = resolution.merge(graph, org.agent_a, master["uid"], other["uid"], "same passport photo")
    assert asked["status"] == "pending_approval"
    assert asked["approvers"] == [org.sup_mia.uid]
    assert graph.query("MATCH ()-[r:SUB_RECORD_OF]->() RETURN count(r) AS n") == [{"n": 0}]
    req = graph.query("MATCH (r:ApprovalRequest {uid: $u}) RETURN r.kind AS kind, r.status AS status, "
                      "r.target_uid AS target, r.requested_by AS by", {"u": asked["request_uid"]})
    assert req == [{"kind": "merge", "status": "pending", "target": other["uid"], "by": org.agent_a.uid}]
    with pytest.raises(Forbidden):
        resolution.approve_merge(graph, org.agent_a, asked["request_uid"])
    with pytest.raises(Forbidden):
        resolution.approve_merge(graph, org.sup_nyc, asked["request_uid"])
    done = resolution.approve_merge(graph, org.sup_mia, asked["request_uid"], "agreed with agent B")
    assert done["status"] == "approved"
    rel = graph.query("MATCH (o {uid: $o})-[r:SUB_RECORD_OF]->(m) RETURN r.created_by AS by, r.approved_by AS ok",
                      {"o": other["uid"]})
    assert rel == [{"by": org.agent_a.uid, "ok": org.sup_mia.uid}]
    with pytest.raises(Conflict):
        resolution.approve_merge(graph, org.sup_mia, asked["request_uid"])


def test_dismissing_a_pair_records_who_and_why(graph, org):
    master, other = _pair(graph, org)
    out = resolution.dismiss(graph, org.agent_a, master["uid"], other["uid"], "different fathers")
    row = graph.query("MATCH (h:DeconflictionHit {uid: $u}) RETURN h.status AS s, h.reviewed_by AS by, "
                      "h.review_reason AS why", {"u": out["hit_uid"]})
    assert row == [{"s": "dismissed", "by": org.agent_a.uid, "why": "different fathers"}]


def test_merge_request_reaches_the_record_owners_supervisor_queue_and_is_decided_there(graph, org):
    from ccms_graph.logic.casework import approvals

    master = make_person(graph, org.agent_a, given_name="Ivan", family_name="Petrov", dob="1970-01-01")
    other = make_person(graph, org.sup_mia, given_name="Ivan", family_name="Petrov", dob="1970-01-01", separate_reason="kept apart until compared")
    asked = resolution.merge(graph, org.agent_a, master["uid"], other["uid"], "same man, same passport")
    assert asked["status"] == "pending_approval"
    # sup_mia owns the other record, so the decision is sup_mia's supervisor's (chief), not sup_mia's.
    assert asked["request_uid"] in [i["uid"] for i in approvals.approval_queue(graph, org.chief)]
    assert asked["request_uid"] not in [i["uid"] for i in approvals.approval_queue(graph, org.sup_mia)]
    with pytest.raises(Forbidden):
        approvals.decide(graph, org.sup_mia, asked["request_uid"], "approved")
    approvals.decide(graph, org.chief, asked["request_uid"], "approved", "checked the passport")
    assert graph.query("MATCH (o {uid: $o})-[r:SUB_RECORD_OF {status: 'active'}]->(m {uid: $m}) "
                       "RETURN r.approved_by AS ok", {"o": other["uid"], "m": master["uid"]}) == [
        {"ok": org.chief.uid}]


def _views(graph, uid):
    return graph.query("MATCH (e:AuditEntry) WHERE e.action = 'view' AND $uid IN e.targets "
                       "RETURN e.actor_uid AS who, e.targets AS targets, e.details AS details ORDER BY e.seq",
                       {"uid": uid})


def test_a_comparison_is_an_audited_view_of_both_records_and_tells_their_owners(graph, org):
    master, other = _pair(graph, org, owner_b=org.agent_b)
    resolution.compare(graph, org.agent_a, master["uid"], other["uid"])
    (entry,) = _views(graph, other["uid"])
    assert entry["who"] == org.agent_a.uid and entry["targets"] == [master["uid"], other["uid"]]
    assert '"op": "compare"' in entry["details"]
    seen = [n for n in notifications.inbox(graph, org.agent_b) if n["kind"] == "view"]
    assert [n["record_uid"] for n in seen] == [other["uid"]]

    resolution.compare(graph, org.auditor, master["uid"], other["uid"])  # auditors read silently
    assert len(_views(graph, other["uid"])) == 2
    assert len([n for n in notifications.inbox(graph, org.agent_b) if n["kind"] == "view"]) == 1


def test_a_refused_comparison_is_audited_and_shows_nothing(graph, org):
    master, _ = _pair(graph, org)
    theirs = make_person(graph, org.agent_nyc, given_name="Ivan", family_name="Drago", dob="1961-11-30")
    with pytest.raises((Forbidden, NotFound)):
        resolution.compare(graph, org.agent_a, master["uid"], theirs["uid"])
    denied = graph.query("MATCH (e:AuditEntry {action: 'deny'}) WHERE $uid IN e.targets RETURN e.actor_uid AS who",
                         {"uid": theirs["uid"]})
    assert denied == [{"who": org.agent_a.uid}]
    assert _views(graph, master["uid"]) == []


def test_a_comparison_scores_the_pair_as_deconfliction_does(graph, org):
    master, other = _pair(graph, org)
    pair = resolution.compare(graph, org.agent_a, master["uid"], other["uid"])
    rows = {e["field"]: e for e in pair["explanation"]}
    assert rows["prior"]["b"] == 2  # the stored population, as in a deconfliction hit
    assert pair["score"] == pytest.approx(other["hits"][0]["score"])


def test_a_sub_record_of_another_type_or_of_no_record_is_refused_naming_the_field_and_an_import_refuses_the_line_alone(
        graph, org):
    """Before, an imported Person line naming a Vehicle as its master was linked under it, and a line naming no
    record failed its whole batch (the import stopped there); a create named `other_uid`, a field it has not."""
    import json

    from ccms_graph.logic.entities import imports

    vehicle = records.create_entity(graph, org.agent_a, "Vehicle", {"vin": "1HGCM82633A004352"})["uid"]
    person = make_person(graph, org.agent_a, given_name="Ann", family_name="Keel")["uid"]
    with pytest.raises(ValidationFailed) as err:
        make_person(graph, org.agent_a, given_name="Bo", family_name="Rand", sub_record_of=vehicle)
    assert err.value.errors == {"sub_record_of": ["a Person cannot be a sub-record of a Vehicle"]}
    lines = [json.dumps({"ref": "a", "given_name": "Cy", "family_name": "Vale", "sub_record_of": vehicle}),
             json.dumps({"ref": "b", "given_name": "Di", "family_name": "Moor", "sub_record_of": "--"}),
             json.dumps({"ref": "c", "given_name": "Ed", "family_name": "Holt"}),
             json.dumps({"ref": "d", "given_name": "Ann", "family_name": "Keel", "sub_record_of": person})]
    out = imports.import_jsonl(graph, org.agent_a, "Person", lines)
    assert out["refused"] == [{"line": 1, "reason": "sub_record_of: a Person cannot be a sub-record of a Vehicle"},
                              {"line": 2, "reason": "sub_record_of: no record --"}]
    assert (out["created"], out["sub_records"]) == (2, 1)
    links = graph.query("MATCH (a)-[:SUB_RECORD_OF]->(b) RETURN a.source_ref AS ref, b.uid AS master")
    assert links == [{"ref": "d", "master": person}]
    assert graph.query("MATCH (p:Person) RETURN count(p) AS n") == [{"n": 3}]
