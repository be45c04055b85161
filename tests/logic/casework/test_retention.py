"""Retention against the real server: the dry run lists exactly what is eligible, the real run removes only that."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta

import pytest

from ccms_graph.cli import main
from ccms_graph.errors import Forbidden
from ccms_graph.logic.casework import approvals, disclosures, documents, grants, retention, workflows
from ccms_graph.logic.entities import access, links
from ccms_graph.policy.actor import SYSTEM
from tests.factories import make_person
from tests.logic.casework.helpers import new_case, open_case, set_dates, with_roi

SHARED = b"%PDF-1.4 the same bytes in two cases\n"
UNIQUE = b"%PDF-1.4 only in the old case\n"


def ago(years: int, days: int = 0) -> str:
    now = datetime.now(UTC)
    return (now.replace(year=now.year - years) - timedelta(days=days)).isoformat()


def _closed(graph, org, title, years_ago, days=0):
    case = open_case(graph, org.agent_a, org.sup_mia, title)
    req = workflows.request_case_action(graph, org.agent_a, case["uid"], "close", with_roi(graph, org.agent_a, case["uid"], reason="prosecution_declined"))
    approvals.approve(graph, org.sup_mia, req["uid"])
    set_dates(graph, "Case", case["uid"], closed_at=ago(years_ago, days))
    return case


@pytest.fixture
def world(graph, org, tmp_path):
    live = open_case(graph, org.agent_a, org.sup_mia, "Live case")
    old = open_case(graph, org.agent_a, org.sup_mia, "Old case")
    only_old = make_person(graph, org.agent_a, case_uid=old["uid"], given_name="Only", family_name="Old")
    shared = make_person(graph, org.agent_a, case_uid=old["uid"], given_name="Shared", family_name="Subject")
    links.link(graph, org.agent_a, {"source_uid": shared["uid"], "target_uid": live["uid"], "type": "SUBJECT_IN",
                                    "reason": "also in the live case"})
    doc = documents.create_document(graph, org.agent_a, old["uid"], "SeizureReport", {"title": "Old seizure"})
    att_shared = documents.add_attachment(graph, org.agent_a, doc["uid"], "a.pdf", "application/pdf", SHARED,
                                          store=tmp_path)
    att_unique = documents.add_attachment(graph, org.agent_a, doc["uid"], "b.pdf", "application/pdf", UNIQUE,
                                          store=tmp_path)
    live_doc = documents.create_document(graph, org.agent_a, live["uid"], "Evidence", {"title": "Live evidence"})
    documents.add_attachment(graph, org.agent_a, live_doc["uid"], "c.pdf", "application/pdf", SHARED, store=tmp_path)
    disclosure = disclosures.record_disclosure(graph, org.agent_a, old["uid"], {
        "disclosed_on": "2026-01-05", "nature": "identifiers", "description": "names and DOB",
        "purpose": "joint investigation", "recipient_agency": "DEA", "recipient_address": "1 Main St, Miami FL",
        "subject_uids": [only_old["uid"]]})
    grant = grants.request_grant(graph, org.agent_a, old["uid"], {"grantee_office": "NYC", "reason": "task force"})
    approvals.approve(graph, org.sup_mia, grant["request_uid"])
    req = workflows.request_case_action(graph, org.agent_a, old["uid"], "close", with_roi(graph, org.agent_a, old["uid"], reason="no_new_information"))
    approvals.approve(graph, org.sup_mia, req["uid"])
    # 21 years ago: 20 years past the end of its fiscal year whatever today's date (ICM PIA §5.1)
    set_dates(graph, "Case", old["uid"], closed_at=ago(21))

    arrest = _closed(graph, org, "Arrest case", 21)
    documents_in_arrest = graph.query("MATCH (c:Case {uid: $c}) RETURN c.status AS s", {"c": arrest["uid"]})
    assert documents_in_arrest[0]["s"] == "closed"
    # an arrest report filed before closing keeps the case for 75 years
    graph.query("""MATCH (c:Case {uid: $c})
                   CREATE (:ArrestReport:Document:Linkable {uid: 'arrest-doc', title: 'Arrest', status: 'filed',
                           owner_uid: $o})-[:PART_OF {status: 'active', uid: 'arrest-part'}]->(c)""",
                {"c": arrest["uid"], "o": org.agent_a.uid}, write=True)
    young = _closed(graph, org, "Closed 19 years ago", 19)
    ancient_arrest = _closed(graph, org, "Arrest case past 75 years", 76)
    graph.query("""MATCH (c:Case {uid: $c})
                   CREATE (:ArrestReport:Document:Linkable {uid: 'arrest-doc-2', title: 'Arrest', status: 'filed',
                           owner_uid: $o})-[:PART_OF {status: 'active', uid: 'arrest-part-2'}]->(c)""",
                {"c": ancient_arrest["uid"], "o": org.agent_a.uid}, write=True)
    requested = new_case(graph, org.agent_a, "Never opened")

    set_dates(graph, "User", org.agent_port.uid, separated_at=ago(10, 1))
    set_dates(graph, "User", org.agent_b.uid, separated_at=ago(9))
    # audit entries 1-5 and 7 are older than 15 years; 6 is not, so only 1-5 (the prefix) may go
    graph.query("MATCH (e:AuditEntry) WHERE e.seq <= 5 OR e.seq = 7 SET e.at = datetime($t)",
                {"t": ago(15, 2)}, write=True)
    return {"live": live, "old": old, "only_old": only_old, "shared": shared, "doc": doc,
            "att_shared": att_shared, "att_unique": att_unique, "disclosure": disclosure, "grant": grant,
            "arrest": arrest, "young": young, "ancient_arrest": ancient_arrest, "requested": requested,
            "store": tmp_path}


def _expected(graph, org, w):
    old_requests = {r["uid"] for r in approvals.requests_for(graph, w["old"]["uid"])}
    old_requests |= {r["uid"] for r in approvals.requests_for(graph, w["grant"]["uid"])}
    anc = {r["uid"] for r in approvals.requests_for(graph, w["ancient_arrest"]["uid"])}
    return {
        "cases": sorted([w["old"]["uid"], w["ancient_arrest"]["uid"]]),
        # with the Reports of Investigation that documented opening and closing them
        "documents": sorted([w["doc"]["uid"], "arrest-doc-2", *(r["d"] for r in graph.query(
            "MATCH (d:ReportOfInvestigation)-[:PART_OF]->(c:Case) WHERE c.uid IN $c RETURN d.uid AS d",
            {"c": [w["old"]["uid"], w["ancient_arrest"]["uid"]]}))]),
        "attachments": sorted([w["att_shared"]["uid"], w["att_unique"]["uid"]]),
        "subject_records": [w["only_old"]["uid"]],
        "disclosures": [w["disclosure"]["uid"]],
        "access_grants": [w["grant"]["uid"]],
        "approval_requests": sorted(old_requests | anc),
        "users": [org.agent_port.uid],
    }


def _summary(found):
    return {
        "cases": sorted(c["uid"] for c in found["cases"]),
        "documents": sorted(found["documents"]),
        "attachments": sorted(a["uid"] for a in found["attachments"]),
        "subject_records": sorted(found["subject_records"]),
        "disclosures": sorted(found["disclosures"]),
        "access_grants": sorted(found["access_grants"]),
        "approval_requests": sorted(found["approval_requests"]),
        "users": sorted(u["uid"] for u in found["users"]),
    }


def _snapshot(graph):
    rows = graph.query("""MATCH (n) WHERE NOT n:AuditHead
                          RETURN elementId(n) AS id, labels(n) AS labels, properties(n) AS p""")
    return {r["id"]: (sorted(r["labels"]), json.dumps(r["p"], sort_keys=True, default=str)) for r in rows}


def test_dry_run_lists_exactly_what_is_eligible_and_changes_nothing(graph, org, world):
    before = _snapshot(graph)
    found = retention.retention_candidates(graph)
    assert _summary(found) == _expected(graph, org, world)
    assert found["audit_entries"] == {"count": 5, "first_seq": 1, "through_seq": 5}
    assert {c["uid"]: c["arrest"] for c in found["cases"]} == {world["old"]["uid"]: False,
                                                              world["ancient_arrest"]["uid"]: True}
    assert _snapshot(graph) == before


def test_real_run_removes_exactly_the_eligible_items(graph, org, world):
    expected = _expected(graph, org, world)
    entry5 = graph.query("MATCH (e:AuditEntry {seq: 5}) RETURN e.hash AS h")[0]["h"]
    before = _snapshot(graph)
    removed_ids = {r["id"] for r in graph.query(
        "MATCH (n) WHERE n.uid IN $uids OR (n:AuditEntry AND n.seq <= 5) "
        "OR (n:Notification AND any(k IN $keys WHERE n[k] IN $uids)) RETURN elementId(n) AS id",
        {"uids": [u for v in expected.values() for u in v], "keys": list(retention._NOTIFICATION_KEYS)})}

    found = retention.apply_retention(graph, SYSTEM, store=world["store"])
    assert _summary(found) == expected

    after = _snapshot(graph)
    added = set(after) - set(before)
    assert set(before) - set(after) == removed_ids  # exactly the eligible nodes went...
    assert {id_: before[id_] for id_ in set(before) - removed_ids} == {id_: after[id_] for id_ in set(before)
                                                                         - removed_ids}  # ...the rest untouched
    # and entries of its own were written: one for the batch of cases, one for the run's last step
    assert [after[i][0] for i in added] == [["AuditEntry"], ["AuditEntry"]]
    entries = graph.query("MATCH (e:AuditEntry {action: 'retention'}) RETURN e.details AS d, e.targets AS t "
                          "ORDER BY e.seq")
    batch, last = (json.loads(e["d"]) for e in entries)
    assert batch["counts"]["cases"] == 2 and last["counts"]["cases"] == 2
    assert last["counts"]["audit_entries"] == 5 and last["audit_through_seq"] == 5
    assert set(expected["cases"]) <= set(entries[0]["t"])
    assert last["users"] == ["agent_port"] and entries[1]["t"] == [org.agent_port.uid]

    # the audit chain keeps an anchor where it was cut
    head = graph.query("MATCH (h:AuditHead) RETURN h.pruned_through_seq AS s, h.pruned_hash AS h")[0]
    assert head == {"s": 5, "h": entry5}
    first = graph.query("MATCH (e:AuditEntry) RETURN e.seq AS seq, e.prev_hash AS prev ORDER BY e.seq LIMIT 1")[0]
    assert first == {"seq": 6, "prev": entry5}

    # bytes only the removed attachment had are gone; bytes another case still uses stay
    store = world["store"]
    assert not documents.blob_path(store, hashlib.sha256(UNIQUE).hexdigest()).exists()
    assert documents.blob_path(store, hashlib.sha256(SHARED).hexdigest()).exists()

    # the shared subject survives in the live case
    assert graph.query("MATCH (s:SubjectRecord {uid: $u}) RETURN count(s) AS n", {"u": world["shared"]["uid"]})[0]["n"] == 1

    again = retention.retention_candidates(graph)
    assert retention.counts(again) == {k: 0 for k in retention.counts(again)}


def test_the_inbox_and_the_deconfliction_hits_keep_nothing_of_a_removed_case(graph, org, world):
    # a copy of the old case's subject in the live case: a hit between them, and its owner told
    twin = make_person(graph, org.agent_a, case_uid=world["live"]["uid"], given_name="Only", family_name="Old",
                       separate_reason="a namesake until compared")
    hits = graph.query("MATCH (h:DeconflictionHit)-[:HIT_ON]->(:SubjectRecord {uid: $u}) RETURN h.uid AS uid",
                       {"u": world["only_old"]["uid"]})
    assert hits, "the fixture needs a hit on the old case's subject"
    access.view_record(graph, org.sup_mia, world["only_old"]["uid"])  # the owner is told of the view
    about_old = "MATCH (n:Notification) WHERE n.case_uid = $c OR n.record_uid IN $r OR n.hit_uid IN $h RETURN count(n) AS n"
    params = {"c": world["old"]["uid"], "r": [world["only_old"]["uid"], world["doc"]["uid"]],
              "h": [h["uid"] for h in hits]}
    assert graph.query(about_old, params)[0]["n"] > 0
    about_live = graph.query("MATCH (n:Notification) WHERE n.case_uid = $c OR n.record_uid = $t RETURN count(n) AS n",
                             {"c": world["live"]["uid"], "t": twin["uid"]})[0]["n"]

    found = retention.apply_retention(graph, SYSTEM, store=world["store"])

    assert world["old"]["uid"] in {c["uid"] for c in found["cases"]}
    assert graph.query(about_old, params)[0]["n"] == 0
    assert graph.query("MATCH (h:DeconflictionHit) WHERE h.uid IN $h RETURN count(h) AS n", params)[0]["n"] == 0
    assert graph.query("MATCH (j:Judgement) WHERE j.hit_uid IN $h RETURN count(j) AS n", params)[0]["n"] == 0
    assert graph.query("MATCH (n:Notification) WHERE n.case_uid = $c OR n.record_uid = $t RETURN count(n) AS n",
                       {"c": world["live"]["uid"], "t": twin["uid"]})[0]["n"] == about_live  # the rest stays
    batch = graph.query("MATCH (e:AuditEntry {action: 'retention'}) WHERE e.details CONTAINS 'traces' "
                        "RETURN e.details AS d")[0]["d"]
    assert json.loads(batch)["traces"]["deconfliction_hits"] == len(hits)


def test_only_the_system_or_an_admin_runs_retention(graph, org, world):
    for who in (org.agent_a, org.sup_mia, org.auditor):
        with pytest.raises(Forbidden):
            retention.apply_retention(graph, who, store=world["store"])
    assert graph.query("MATCH (c:Case {uid: $u}) RETURN count(c) AS n", {"u": world["old"]["uid"]})[0]["n"] == 1


def test_cli_dry_run_prints_the_candidates(graph, org, world, capsys):
    assert main(["retention", "--dry-run"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["dry_run"] is True and out["counts"]["cases"] == 2 and out["counts"]["users"] == 1
    assert graph.query("MATCH (c:Case {uid: $u}) RETURN count(c) AS n", {"u": world["old"]["uid"]})[0]["n"] == 1


def test_cli_review_lists(graph, org, capsys):
    case = open_case(graph, org.agent_a, org.sup_mia)
    set_dates(graph, "Case", case["uid"], last_activity_at=ago(1), opened_at=ago(1))
    assert main(["review", "--user", "sup_mia"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert [c["uid"] for c in out["inactive_six_months"]] == [case["uid"]]
    assert [c["uid"] for c in out["quarterly_review_due"]] == [case["uid"]]


def test_audit_chain_still_verifies_after_retention_prunes_old_entries(graph, org):
    """Retention cuts the log at an anchor; the verifier starts there instead of reporting a truncation."""
    from datetime import date

    from ccms_graph.logic.entities import records
    from ccms_graph.logic.oversight import audit as audit_log

    for name in ("Ann", "Bob", "Cy"):
        records.create_entity(graph, org.agent_a, "Person", {"given_name": name})
    assert audit_log.verify(graph).ok
    today = date.today()
    retention.apply_retention(graph, SYSTEM, today=today.replace(year=today.year + 16))
    assert graph.query("MATCH (h:AuditHead) RETURN h.pruned_through_seq > 0 AS cut") == [{"cut": True}]
    result = audit_log.verify(graph)
    assert result.ok, result.summary()
    # An entry removed without the anchor is still caught.
    graph.query("MATCH (e:AuditEntry) WITH e ORDER BY e.seq LIMIT 1 DETACH DELETE e", write=True)
    records.create_entity(graph, org.agent_a, "Person", {"given_name": "Dee"})
    assert not audit_log.verify(graph).ok
