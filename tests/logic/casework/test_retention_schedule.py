"""Retention as ICM PIA §5.1 writes it: periods from the end of the fiscal year of closure, the significant
flag and the legal hold, TLS records following their case, and batched runs that leave the audit chain whole."""

from __future__ import annotations

import json
from datetime import date

import pytest

from ccms_graph.cli import main
from ccms_graph.errors import Forbidden, ValidationFailed
from ccms_graph.logic.casework import approvals, retention, workflows
from ccms_graph.logic.identity import telecom
from ccms_graph.logic.oversight import audit
from ccms_graph.policy.actor import SYSTEM
from tests.logic.casework.helpers import audit_actions, open_case, set_dates, with_roi

TODAY = date(2026, 11, 30)
A, B, C = "+12025550111", "+12025550122", "+12025550133"


def _close(graph, org, case, closed_at: str) -> None:
    req = workflows.request_case_action(graph, org.agent_a, case["uid"], "close", with_roi(graph, org.agent_a, case["uid"], reason="no_new_information"))
    approvals.approve(graph, org.sup_mia, req["uid"])
    set_dates(graph, "Case", case["uid"], closed_at=closed_at)


def _closed(graph, org, title: str, closed_at: str = "2000-01-15T12:00:00+00:00") -> dict:
    case = open_case(graph, org.agent_a, org.sup_mia, title)
    _close(graph, org, case, closed_at)
    return case


def _going(graph, today=TODAY) -> list[str]:
    return [c["uid"] for c in retention.retention_candidates(graph, today)["cases"]]


def _exists(graph, uid: str) -> bool:
    return graph.query("MATCH (c:Case {uid: $u}) RETURN count(c) AS n", {"u": uid})[0]["n"] == 1


def test_periods_count_from_the_end_of_the_fiscal_year_of_closure(graph, org, capsys):
    fy2006 = _closed(graph, org, "Closed on the last day of FY2006", "2006-09-30T12:00:00+00:00")
    fy2007 = _closed(graph, org, "Closed on the first day of FY2007", "2006-10-01T12:00:00+00:00")
    assert _going(graph, date(2026, 9, 30)) == []  # FY2006 + 20 years ends on 30 September 2026
    assert _going(graph, date(2026, 10, 1)) == [fy2006["uid"]]
    assert _going(graph, TODAY) == [fy2006["uid"]]
    assert _going(graph, date(2027, 9, 30)) == [fy2006["uid"]]
    assert _going(graph, date(2027, 10, 1)) == [fy2006["uid"], fy2007["uid"]]

    # the dry run says why
    assert main(["retention", "--dry-run", "--today", TODAY.isoformat()]) == 0
    out = json.loads(capsys.readouterr().out)
    (case,) = out["cases"]
    assert (case["fiscal_year"], case["eligible_from"]) == (2006, "2026-10-01")
    assert "fiscal year 2006" in case["why"] and "2026-10-01" in case["why"]

    retention.apply_retention(graph, SYSTEM, TODAY)
    assert not _exists(graph, fy2006["uid"]) and _exists(graph, fy2007["uid"])


def test_a_case_a_supervisor_marks_significant_is_kept_permanently(graph, org):
    case = _closed(graph, org, "Of historical interest")
    for who in (org.agent_a, org.sup_nyc, org.admin):
        with pytest.raises(Forbidden):
            retention.mark_significant(graph, who, case["uid"], {"reason": "historical interest"})
    with pytest.raises(ValidationFailed) as err:
        retention.mark_significant(graph, org.sup_mia, case["uid"], {"reason": ""})
    assert set(err.value.errors) == {"reason"}
    assert _going(graph) == [case["uid"]]

    out = retention.mark_significant(graph, org.sup_mia, case["uid"], {"reason": "first case of its kind"})
    assert out["significant"] is True
    found = retention.retention_candidates(graph, date(2999, 1, 1))
    assert found["cases"] == []
    assert [(k["uid"], k["kept_because"]) for k in found["kept"]] == [
        (case["uid"], ["significant: first case of its kind"])]
    assert audit_actions(graph, case["uid"]).count("deny") == 3
    assert "update" in audit_actions(graph, case["uid"])
    retention.apply_retention(graph, SYSTEM, date(2999, 1, 1))
    assert _exists(graph, case["uid"])


def test_a_legal_hold_stops_deletion_until_it_is_released(graph, org):
    case = _closed(graph, org, "Under litigation")
    retention.place_legal_hold(graph, org.sup_mia, case["uid"], {"reason": "civil suit 26-1234"})
    found = retention.retention_candidates(graph, TODAY)
    assert found["cases"] == [] and found["kept"][0]["kept_because"] == ["legal hold: civil suit 26-1234"]
    retention.apply_retention(graph, SYSTEM, TODAY)
    assert _exists(graph, case["uid"])

    retention.release_legal_hold(graph, org.sup_mia, case["uid"], {"reason": "suit settled"})
    retention.apply_retention(graph, SYSTEM, TODAY)
    assert not _exists(graph, case["uid"])


def _telecom_case(graph, org, title, calls, subscribers, closed_at=None):
    case = open_case(graph, org.agent_a, org.sup_mia, title)
    rows = "\n".join(f"{a},{b},2020-01-0{day}T10:00:00Z,{60 * day}" for a, b, day in calls)
    telecom.import_cdr(graph, org.agent_a, case["uid"], f"originating_number,terminating_number,start_time,duration\n{rows}\n")
    telecom.import_subscribers(graph, org.agent_a, case["uid"],
                               "number,subscriber_name\n" + "".join(f"{n},{s}\n" for n, s in subscribers))
    if closed_at:
        _close(graph, org, case, closed_at)
    return case


def _called(graph, a, b):
    rows = graph.query("MATCH (:Phone {e164: $a})-[l:CALLED]->(:Phone {e164: $b}) "
                       "RETURN l.count AS count, l.total_seconds AS seconds, l.case_uids AS cases", {"a": a, "b": b})
    return rows[0] if rows else None


def _kept_for(graph) -> list[tuple[str, str, str]]:
    """(originating, terminating number, case uid) per call record's KEPT_FOR, sorted."""
    return sorted((r["o"], r["t"], r["k"]) for r in graph.query(
        "MATCH (r:CallRecord)-[:KEPT_FOR]->(k:Case) RETURN r.orig AS o, r.term AS t, k.uid AS k"))


def test_call_and_subscriber_records_go_with_their_case(graph, org):
    old = _telecom_case(graph, org, "Old wire case", [(A, B, 1), (A, C, 2)], [(A, "Old Subscriber")],
                        "2000-01-15T12:00:00+00:00")
    live = _telecom_case(graph, org, "Live wire case", [(A, C, 2)], [(C, "Live Subscriber")])
    assert _called(graph, A, C)["count"] == 1  # one call, held by both cases
    assert _kept_for(graph) == sorted([(A, B, old["uid"]), (A, C, old["uid"]), (A, C, live["uid"])])
    assert graph.query("MATCH (t:TelecomLink) RETURN count(t) AS n")[0]["n"] > 0

    found = retention.retention_candidates(graph, TODAY)
    assert retention.counts(found)["subscriber_records"] == 1
    assert retention.counts(found)["call_records"] == 1  # A->B; A->C is also the live case's
    assert retention.counts(found)["call_records_shared"] == 1

    retention.apply_retention(graph, SYSTEM, TODAY)
    subs = graph.query("MATCH (s:SubscriberRecord) RETURN s.case_uid AS c, s.subscriber_name AS n")
    assert subs == [{"c": live["uid"], "n": "Live Subscriber"}]
    calls = graph.query("MATCH (r:CallRecord) RETURN r.orig AS o, r.term AS t, r.case_uids AS cases")
    assert calls == [{"o": A, "t": C, "cases": [live["uid"]]}]
    assert _kept_for(graph) == [(A, C, live["uid"])]  # the shared call is no longer kept for the old case
    assert _called(graph, A, B) is None
    assert _called(graph, A, C) == {"count": 1, "seconds": 120, "cases": [live["uid"]]}
    assert graph.query("MATCH (t:TelecomLink) RETURN count(t) AS n")[0]["n"] == 0
    phones = {r["e"] for r in graph.query("MATCH (p:Phone) WHERE p.e164 IN $n RETURN p.e164 AS e",
                                          {"n": [A, B, C]})}
    assert phones == {A, C}  # B was only the old case's


def test_misc_records_imports_and_telecom_selectors_go_with_their_case(graph, org):
    old = _telecom_case(graph, org, "Old handset case", [(A, B, 1)], [], "2000-01-15T12:00:00+00:00")
    live = _telecom_case(graph, org, "Live handset case", [(A, C, 2)], [])
    only_old_imei, shared_imei = "490154203237518", "356938035643809"
    for case, imeis in ((old, (only_old_imei, shared_imei)), (live, (shared_imei,))):
        telecom.import_misc(graph, org.agent_a, case["uid"], "record_type,time,number,imei,details\n" + "".join(
            f"handset,2020-01-0{i + 1}T10:00:00Z,{A},{imei},seen on the network\n" for i, imei in enumerate(imeis)))
    held = "MATCH (m:MiscRecord) RETURN m.case_uid AS c, count(m) AS n ORDER BY c"
    assert {r["c"]: r["n"] for r in graph.query(held)} == {old["uid"]: 2, live["uid"]: 1}

    done = retention.apply_retention(graph, SYSTEM, TODAY)

    assert [c["uid"] for c in done["cases"]] == [old["uid"]]
    assert graph.query(held) == [{"c": live["uid"], "n": 1}]
    imports = graph.query("MATCH (t:TelecomImport) RETURN DISTINCT t.case_uid AS c")
    assert imports == [{"c": live["uid"]}]  # the old case's import history went with it
    imeis = {r["k"] for r in graph.query("MATCH (s:IMEI) RETURN s.key AS k")}
    assert only_old_imei not in " ".join(imeis) and any(shared_imei in k for k in imeis)
    links = graph.query("MATCH (:Phone)-[r:IDENTIFIED_AS]->(:IMEI) RETURN r.case_uids AS cases")
    assert links and all(r["cases"] == [live["uid"]] for r in links)


def test_a_batched_run_names_what_went_and_leaves_the_audit_chain_verifiable(graph, org):
    cases = [_telecom_case(graph, org, f"Old case {i}", [(A, B, 1)] if i == 0 else [(B, C, 3)], [],
                           f"200{i}-01-15T12:00:00+00:00") for i in range(3)]
    assert audit.verify(graph).ok
    head = graph.query("MATCH (h:AuditHead) RETURN h.seq AS seq")[0]["seq"]

    # 16 years on, every entry so far is past its 15 years too; the run's own entries are not removed
    done = retention.apply_retention(graph, SYSTEM, date(2042, 12, 1), batch=2)
    assert done["batches"] == 2 and sorted(c["uid"] for c in done["cases"]) == sorted(c["uid"] for c in cases)
    assert done["audit_entries"]["through_seq"] == head

    result = audit.verify(graph)
    assert result.ok, result.summary()
    rows = graph.query("MATCH (e:AuditEntry {action: 'retention'}) RETURN e.details AS d, e.targets AS t "
                       "ORDER BY e.seq")
    first, second, last = (json.loads(r["d"]) for r in rows)
    assert (first["batch"], second["batch"]) == (1, 2) and first["run"] == second["run"] == last["run"]
    named = [c["case_number"] for d in (first, second) for c in d["cases"]]
    assert sorted(named) == sorted(c["props"]["case_number"] for c in cases)
    assert len(first["call_records"]) + len(second["call_records"]) == 2  # A->B and the one B->C call
    assert {c["uid"] for c in cases} <= set(rows[0]["t"]) | set(rows[1]["t"])
    assert last["case_batches"] == 2 and last["audit_through_seq"] == head
    assert retention.counts(retention.retention_candidates(graph, TODAY))["cases"] == 0
