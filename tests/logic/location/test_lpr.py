"""LPR: a CSV import that keeps only case-bound reads, hot lists that alert their agent, area queries on the
POINT index, and retention by its own period."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from ccms_graph.errors import Conflict, Forbidden, NotFound, ValidationFailed
from ccms_graph.logic.casework.retention import apply_retention, retention_candidates
from ccms_graph.logic.entities import records
from ccms_graph.logic.location import hotlists, lpr
from ccms_graph.logic.oversight import notifications
from ccms_graph.policy.actor import SYSTEM
from ccms_graph.policy.rules import actor_params
from tests.logic.identity.test_telecom import _case
from tests.logic.oversight.test_notifications import smtp  # noqa: F401  (the fixture: a local SMTP relay)

HEADER = "plate,state,seen_at,latitude,longitude,camera,source\n"
LOG = (HEADER
       + "ABC123,FL,2026-03-01T10:00:00Z,25.7617,-80.1918,I-95 N mm 4,FDOT\n"          # 2: the case's vehicle
       + "abc-123,Florida,2026-03-02 11:30:00,25.7700,-80.2000,I-95 N mm 6,FDOT\n"      # 3: the same plate
       + "ABC123,FL,2026-03-01T10:00:00Z,25.7617,-80.1918,I-95 N mm 4,FDOT\n"          # 4: a repeat of row 2
       + "ABC123,FL,2026-03-03T09:00:00Z,95,-80.2,I-95 N mm 8,FDOT\n"                  # 5: latitude out of range
       + "ABC123,FL,2026-03-03T09:00:00Z,25.7,,I-95 N mm 8,FDOT\n"                     # 6: longitude missing
       + "ABC123,FL,yesterday,25.7,-80.2,I-95 N mm 8,FDOT\n"                           # 7: no time
       + "--,FL,2026-03-03T09:00:00Z,25.7,-80.2,I-95 N mm 8,FDOT\n"                    # 8: no plate
       + "ABC123,FL,2026-03-03T09:00:00Z,25.123456789,-80.2,I-95 N mm 8,FDOT\n"        # 9: too precise
       + "XYZ999,FL,2026-03-03T09:00:00Z,25.7800,-80.1900,US-1 S,FDOT\n"               # 10: tied to no case
       + "ABC123,GA,2026-03-03T09:00:00Z,25.7800,-80.1900,US-1 S,FDOT\n")              # 11: another state's plate


def _vehicle(graph, who, case_uid, plate="ABC123", state="FL") -> str:
    return records.create_entity(graph, who, "Vehicle", {"plate": plate, "plate_state": state, "make": "Ford"},
                                 case_uid=case_uid)["uid"]


def _tomorrow() -> str:
    return (datetime.now(UTC) + timedelta(days=1)).isoformat()


def _entries(graph, actor, action="import"):
    """The audit entries of `action` that `actor` made, oldest first."""
    return [r["e"] for r in graph.query("MATCH (e:AuditEntry {action: $a, actor_uid: $u}) RETURN properties(e) AS e "
                                        "ORDER BY e.at", {"a": action, "u": actor.uid})]


def test_import_loads_good_rows_refuses_bad_ones_by_row_and_a_rerun_adds_nothing(graph, org):
    uid, number = _case(graph, org.agent_a, "Operation Tollbooth")
    vehicle = _vehicle(graph, org.agent_a, uid)

    out = lpr.import_sightings(graph, org.agent_a, LOG, case_key=number)
    assert (out["rows"], out["kept"], out["dropped"], out["duplicates"]) == (10, 2, 2, [])
    assert out["refused"] == [
        {"row": 4, "reason": "duplicate of row 2"},
        {"row": 5, "reason": "latitude: 95 is outside -90 to 90 degrees"},
        {"row": 6, "reason": "longitude: give longitude together with latitude, or neither"},
        {"row": 7, "reason": "seen_at: 'yesterday' is not an ISO 8601 date-time"},
        {"row": 8, "reason": "plate: '--' is not a licence plate (1 to 12 letters and digits)"},
        {"row": 9, "reason": "latitude: 25.123456789 has 9 decimal places; use at most 7"},
    ]
    stored = graph.query("""MATCH (s:Sighting)-[:SIGHTING_OF]->(v:Vehicle) RETURN s.plate_key AS k, s.case_uid AS c,
                            s.source_row AS row, s.location AS p, s.seen_at AS at, v.uid AS v ORDER BY row""")
    assert [(r["k"], r["c"], r["row"], r["v"]) for r in stored] == [("FL:ABC123", uid, 2, vehicle),
                                                                  ("FL:ABC123", uid, 3, vehicle)]
    assert (stored[0]["p"].latitude, stored[0]["p"].longitude, stored[0]["p"].srid) == (25.7617, -80.1918, 4326)
    assert stored[1]["at"].to_native() == datetime(2026, 3, 2, 11, 30, tzinfo=UTC)
    # Unrelated reads (another plate, the same plate of another state) are never stored.
    assert graph.query("MATCH (s:Sighting) WHERE s.plate <> 'ABC123' OR s.plate_state <> 'FL' "
                       "RETURN count(s) AS n") == [{"n": 0}]
    (entry,) = _entries(graph, org.agent_a)
    assert '"dropped_not_case_bound": 2' in entry["details"] and '"sightings_stored": 2' in entry["details"]

    again = lpr.import_sightings(graph, org.agent_a, LOG, case_key=uid)
    assert (again["kept"], again["dropped"]) == (0, 2)
    assert [d["row"] for d in again["duplicates"]] == [2, 3]
    assert graph.query("MATCH (s:Sighting) RETURN count(s) AS n") == [{"n": 2}]


def test_a_file_without_case_ties_keeps_nothing_and_counts_every_row_dropped(graph, org):
    _case(graph, org.agent_a, "Operation Nothing Here")
    out = lpr.import_sightings(graph, SYSTEM, HEADER + "QQQ111,TX,2026-03-01T10:00:00Z,29.76,-95.37,,\n"
                               "QQQ222,TX,2026-03-01T10:05:00Z,29.76,-95.37,,\n")
    assert (out["kept"], out["dropped"], out["refused"]) == (0, 2, [])
    assert graph.query("MATCH (s:Sighting) RETURN count(s) AS n") == [{"n": 0}]
    (entry,) = _entries(graph, SYSTEM)
    assert '"dropped_not_case_bound": 2' in entry["details"] and '"sightings_stored": 0' in entry["details"]


def test_a_hot_listed_plate_is_kept_for_its_case_and_alerts_its_agent_by_inbox_and_email(graph, org, smtp):  # noqa: F811
    controller, mailbox = smtp
    uid, number = _case(graph, org.agent_a, "Operation Nightjar")
    entry = hotlists.add_entry(graph, org.agent_a, number, {"plate": "hot-001", "state": "fl",
                                                            "reason": "courier's car", "expires_at": _tomorrow()})
    assert (entry["plate_key"], entry["case_uid"]) == ("FL:HOT001", uid)

    out = lpr.import_sightings(graph, SYSTEM, HEADER + "HOT001,FL,2026-03-05T22:10:00Z,25.79,-80.13,Causeway,FDOT\n")
    assert out["kept"] == 1
    assert graph.query("MATCH (s:Sighting) RETURN s.case_uid AS c, s.bound_by AS how") == [{"c": uid, "how": "hot_list"}]
    (hit,) = [n for n in notifications.inbox(graph, org.agent_a) if n["kind"] == "lpr_hit"]
    assert (hit["plate"], hit["plate_state"], hit["case_number"], hit["sightings"]) == ("HOT001", "FL", number, 1)
    assert hit["message"].startswith(f"hot list hit: FL HOT001 of your case {number}, 1 sighting, latest "
                                     "2026-03-05 22:10 UTC at 25.79000, -80.13000 (camera Causeway)")

    settings = replace(graph.settings, smtp_host="127.0.0.1", smtp_port=controller.port, smtp_sender="ccms@example.gov")
    assert notifications.deliver_pending(graph, settings) == 1
    ((rcpt, mail),) = mailbox.messages
    assert rcpt == ["agent_a@example.gov"]
    assert "hot list hit: FL HOT001" in mail.get_payload(decode=True).decode()


def test_removed_and_expired_entries_neither_keep_sightings_nor_alert(graph, org):
    uid, number = _case(graph, org.agent_a, "Operation Lapse")
    gone = hotlists.add_entry(graph, org.agent_a, number, {"plate": "GONE1", "state": "FL", "reason": "was a lead",
                                                           "expires_at": _tomorrow()})
    with pytest.raises(Conflict):
        hotlists.add_entry(graph, org.agent_a, number, {"plate": "GONE1", "state": "FL", "reason": "again",
                                                        "expires_at": _tomorrow()})
    hotlists.remove_entry(graph, org.agent_a, number, gone["uid"], {"reason": "cleared"})
    with pytest.raises(NotFound):
        hotlists.remove_entry(graph, org.agent_a, number, gone["uid"])
    hotlists.add_entry(graph, org.agent_a, number, {"plate": "OLD1", "state": "FL", "reason": "lapses",
                                                    "expires_at": _tomorrow()})
    graph.write(lambda tx: tx.run("MATCH (h:HotListEntry {plate: 'OLD1'}) SET h.expires_at = datetime() - "
                                  "duration('PT1M')").consume())
    assert [(e["plate"], e["expired"]) for e in hotlists.entries(graph, org.agent_a, number)] == [("OLD1", True)]
    history = hotlists.entries(graph, org.agent_a, number, include_removed=True)
    assert [(e["plate"], e["removed"], e.get("removed_reason"), e.get("removed_by")) for e in history] == [
        ("OLD1", False, None, None), ("GONE1", True, "cleared", org.agent_a.uid)]
    viewed = graph.query("""MATCH (e:AuditEntry {action: 'view', actor_uid: $a}) WHERE e.details CONTAINS 'hot_list'
                            RETURN e.targets AS targets""", {"a": org.agent_a.uid})
    assert viewed == [{"targets": [uid]}] * 2  # reading the hot list is a view, audited

    out = lpr.import_sightings(graph, SYSTEM, HEADER + "GONE1,FL,2026-03-05T22:10:00Z,25.79,-80.13,,\n"
                               "OLD1,FL,2026-03-05T22:10:00Z,25.79,-80.13,,\n")
    assert (out["kept"], out["dropped"]) == (0, 2)
    assert graph.query("MATCH (s:Sighting) RETURN count(s) AS n") == [{"n": 0}]
    assert [n for n in notifications.inbox(graph, org.agent_a) if n["kind"] == "lpr_hit"] == []


def test_hot_lists_take_a_writer_a_real_plate_and_a_future_expiry(graph, org):
    uid, number = _case(graph, org.agent_a, "Operation Gate")
    with pytest.raises(ValidationFailed) as err:
        hotlists.add_entry(graph, org.agent_a, number, {"plate": "**", "state": "FL", "reason": "no plate",
                                                        "expires_at": _tomorrow()})
    assert list(err.value.errors) == ["plate"]
    with pytest.raises(ValidationFailed) as err:
        hotlists.add_entry(graph, org.agent_a, number, {"plate": "ABC1", "state": "FL", "reason": "past",
                                                        "expires_at": "2020-01-01T00:00:00Z"})
    assert err.value.errors == {"expires_at": ["the expiry must be in the future"]}
    with pytest.raises(Forbidden):  # a reader who is not on the case (another agent of its office) may not
        hotlists.add_entry(graph, org.agent_b, uid, {"plate": "ABC1", "state": "FL", "reason": "probe",
                                                     "expires_at": _tomorrow()})
    with pytest.raises(Forbidden):  # nor may another office's agent
        hotlists.add_entry(graph, org.agent_nyc, uid, {"plate": "ABC1", "state": "FL", "reason": "probe",
                                                       "expires_at": _tomorrow()})
    assert graph.query("MATCH (h:HotListEntry) RETURN count(h) AS n") == [{"n": 0}]


@pytest.mark.parametrize("state", ["[]", "{}", "\x00", "--"])
def test_a_plate_state_with_no_letters_is_refused_naming_the_state(graph, org, state):
    """Before, "[]" (or a NUL) passed the check as a state and failed an assertion after it: a 500."""
    uid, number = _case(graph, org.agent_a, "Operation Stateless")
    with pytest.raises(ValidationFailed) as err:
        hotlists.add_entry(graph, org.agent_a, number, {"plate": "ABC123", "state": state, "reason": "courier",
                                                        "expires_at": _tomorrow()})
    assert list(err.value.errors) == ["state"]
    out = lpr.import_sightings(graph, org.agent_a, HEADER + f"ABC123,{state},2026-03-01T10:00:00Z,25.7,-80.2,,\n",
                               case_key=number)
    assert out["kept"] == 0 and out["refused"] == [
        {"row": 2, "reason": f"state: {state!r} is not a state (give the plate's state or province, e.g. FL)"}]
    assert graph.query("MATCH (n) WHERE n:HotListEntry OR n:Sighting RETURN count(n) AS n") == [{"n": 0}]


def test_another_offices_import_alerts_the_hot_list_agent_without_its_restricted_case(graph, org):
    mia_uid, mia_number = _case(graph, org.agent_a, "Operation Heron")
    hotlists.add_entry(graph, org.agent_a, mia_number, {"plate": "HOT777", "state": "NY", "reason": "seen at stash",
                                                        "expires_at": _tomorrow()})
    nyc_uid, nyc_number = _case(graph, org.agent_nyc, "Operation Secret Hudson", restricted=True)
    _vehicle(graph, org.agent_nyc, nyc_uid, plate="NYC001", state="NY")

    out = lpr.import_sightings(graph, org.agent_nyc, HEADER + "HOT777,NY,2026-04-01T08:00:00Z,40.7128,-74.006,GWB,NYPD\n"
                               "NYC001,NY,2026-04-01T08:05:00Z,40.7130,-74.0061,GWB,NYPD\n", case_key=nyc_number)
    # The importer learns of their own case's read only: the hot-listed plate counts as dropped for them.
    assert (out["kept"], out["dropped"]) == (1, 1)
    assert graph.query("MATCH (s:Sighting) RETURN s.plate AS p, s.case_uid AS c ORDER BY p") == [
        {"p": "HOT777", "c": mia_uid}, {"p": "NYC001", "c": nyc_uid}]

    (entry,) = _entries(graph, org.agent_nyc)  # read by the importer's supervisor: no hidden case named
    assert mia_uid not in entry["targets"] and mia_uid not in entry["details"]
    assert '"stored_for_other_cases": 1' in entry["details"] and '"sightings_stored": 2' in entry["details"]

    (hit,) = notifications.inbox(graph, org.agent_a)
    assert hit["kind"] == "lpr_hit" and hit["plate"] == "HOT777" and hit["actor_office"] == "NYC"
    assert "imported by Agent Nyc (NYC)" in hit["message"]
    told = " ".join(str(v) for v in hit.values())
    for secret in (nyc_number, nyc_uid, "Secret Hudson", "NYC001"):
        assert secret not in told
    assert "other_case_number" not in hit
    # The nyc agent hears nothing of the Miami hot list.
    assert [n for n in notifications.inbox(graph, org.agent_nyc) if n["kind"] == "lpr_hit"] == []


def test_sightings_within_shows_only_readable_cases_and_seeks_the_point_index(graph, org):
    mia_uid, mia_number = _case(graph, org.agent_a, "Operation Grid")
    _vehicle(graph, org.agent_a, mia_uid, plate="MIA001")
    nyc_uid, nyc_number = _case(graph, org.agent_nyc, "Operation Hidden", restricted=True)
    _vehicle(graph, org.agent_nyc, nyc_uid, plate="NYC002")
    lpr.import_sightings(graph, SYSTEM, HEADER
                         + "MIA001,FL,2026-03-01T10:00:00Z,25.7617,-80.1918,,\n"   # inside, in the window
                         + "MIA001,FL,2026-02-01T10:00:00Z,25.7617,-80.1918,,\n"   # inside, before it
                         + "MIA001,FL,2026-03-01T11:00:00Z,26.7153,-80.0534,,\n"   # West Palm: outside the box
                         + "NYC002,FL,2026-03-01T12:00:00Z,25.7700,-80.1900,,\n")  # inside, a hidden case
    box = {"south": 25.6, "west": -80.4, "north": 25.9, "east": -80.0}

    found = lpr.sightings_within(graph, org.agent_a, box, since="2026-02-15T00:00:00Z", until="2026-04-01")
    assert [(s["plate"], s["seen_at"][:13]) for s in found] == [("MIA001", "2026-03-01T10")]
    assert found[0]["location"] == {"latitude": 25.7617, "longitude": -80.1918}
    assert [s["plate"] for s in lpr.sightings_within(graph, org.agent_nyc, box)] == ["NYC002"]
    assert len(lpr.sightings_within(graph, org.auditor, box)) == 3

    with pytest.raises(ValidationFailed) as err:
        lpr.sightings_within(graph, org.agent_a, {"south": 25.6, "west": -200, "north": 25.9, "east": -80.0})
    assert list(err.value.errors) == ["west"]
    with pytest.raises(ValidationFailed) as err:
        lpr.sightings_within(graph, org.agent_a, box, since="last week")
    assert list(err.value.errors) == ["since"]

    # Many more sightings elsewhere, so a scan would be a real choice for the planner; it still seeks.
    far = [{"fp": f"far{i}", "read": f"far{i}", "plate": f"F{i}", "state": "TX", "key": f"TX:F{i}",
            "seen_at": "2026-03-01T10:00:00+00:00", "lat": 29.0 + i / 1000, "lon": -95.0, "camera": None,
            "source": None, "case_uid": mia_uid, "bound_by": "vehicle", "row": i, "vehicles": []} for i in range(500)]
    graph.write(lambda tx: lpr.insert(tx, far, "bench", SYSTEM.uid))
    sw, ne = lpr.bounding_box(box)
    plan = graph.read(lambda tx: tx.run("PROFILE " + lpr.WITHIN, sw=sw, ne=ne, since=None, until=None, limit=100,
                                        **actor_params(org.agent_a)).consume().profile)
    operators = []

    def walk(p):
        operators.append((p["operatorType"], str(p.get("args", {}).get("Details", ""))))
        for child in p.get("children", []):
            walk(child)

    walk(plan)
    assert any(op.startswith("NodeIndexSeek") and "POINT INDEX s:Sighting(location)" in details
               for op, details in operators), operators
    assert not any(op.startswith(("NodeByLabelScan", "AllNodesScan")) and "s:Sighting" in details
                   for op, details in operators), operators


def test_retention_removes_sightings_past_their_own_period_with_an_audit_entry(graph, org):
    uid, number = _case(graph, org.agent_a, "Operation Old Roads")
    _vehicle(graph, org.agent_a, uid, plate="RET001")
    old = (datetime.now(UTC) - timedelta(days=400)).isoformat()
    young = (datetime.now(UTC) - timedelta(days=10)).isoformat()
    lpr.import_sightings(graph, SYSTEM, HEADER + f"RET001,FL,{old},25.7,-80.2,,\nRET001,FL,{young},25.7,-80.2,,\n")
    assert retention_candidates(graph)["lpr_sightings"]["count"] == 1
    done = apply_retention(graph, SYSTEM)
    assert done["lpr_sightings"]["count"] == 1
    assert [r["at"][:10] for r in graph.query("MATCH (s:Sighting) RETURN toString(s.seen_at) AS at")] == [young[:10]]
    (entry,) = [e for e in _entries(graph, SYSTEM, "retention") if "lpr_sightings" in e["details"]]
    assert '"removed": 1' in entry["details"] and uid in entry["targets"]
