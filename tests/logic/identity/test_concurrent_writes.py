"""Writes of one individual at the same moment still meet: creates and imports racing each other.

Each write searches the store before it commits, so two writes of one individual at once do not see
each other's uncommitted record. The later of the two to commit must find the earlier anyway
(`deconfliction.recheck`), and two records of one VIN must both be stored (`records._leave_taken_keys`).
The rounds are released together by a barrier; before the recheck, most rounds ended with two records
and no hit between them.
"""

from __future__ import annotations

import json

import pytest

from ccms_graph.logic.entities import imports, records
from ccms_graph.logic.identity import deconfliction
from ccms_graph.logic.jobs import imports as import_jobs
from ccms_graph.logic.jobs import worker
from ccms_graph.logic.oversight import notifications
from tests.factories import race


def _hits_between(graph, a: str, b: str) -> int:
    return graph.query("MATCH (:SubjectRecord {uid: $a})<-[:HIT_ON]-(h:DeconflictionHit)-[:HIT_ON]->"
                       "(:SubjectRecord {uid: $b}) RETURN count(h) AS n", {"a": a, "b": b})[0]["n"]


def _told(graph, who, record_uid: str) -> int:
    return sum(1 for n in notifications.inbox(graph, who)
               if n["kind"] == "deconfliction_hit" and n["record_uid"] == record_uid)


@pytest.mark.parametrize("round_", range(4))
def test_two_offices_creating_one_person_at_once_meet_in_one_hit_and_one_owner_is_told(graph, org, round_):
    # Miami and New York cannot read each other's records, so neither create is asked to settle: both
    # are stored, and nothing but the name and date of birth joins them (no shared selector node).
    data = {"given_name": "Ilse", "family_name": f"Brandauer{'x' * round_}", "dob": "1981-06-17"}
    a, b = race([lambda: records.create_entity(graph, org.agent_a, "Person", dict(data)),
                 lambda: records.create_entity(graph, org.agent_nyc, "Person", dict(data))])
    assert isinstance(a, dict) and isinstance(b, dict), (a, b)
    assert _hits_between(graph, a["uid"], b["uid"]) == 1
    assert a["hits"] or b["hits"]  # the later to commit learns it in its answer
    # The owner of the record matched is told once, whichever create raised the hit.
    assert _told(graph, org.agent_a, a["uid"]) + _told(graph, org.agent_nyc, b["uid"]) == 1
    entries = graph.query("MATCH (e:AuditEntry {action: 'deconflict'}) RETURN e.details AS d")
    assert entries and all(json.loads(e["d"])["operation"] in ("create", "recheck") for e in entries)


@pytest.mark.parametrize("type_name, data", [
    ("Vehicle", {"vin": "1HGCM82633A004352", "make": "Honda"}),
    ("Vessel", {"imo": "IMO 9074729", "name": "Nordic Star"}),
    ("Aircraft", {"tail_number": "N123AB", "make": "Cessna"}),
])
def test_two_creates_of_one_unique_number_at_once_are_both_stored_and_meet(graph, org, type_name, data):
    # Before, the second to commit failed on the uniqueness constraint: 409 for a create, and a whole
    # import batch refused.
    a, b = race([lambda: records.create_entity(graph, org.agent_a, type_name, dict(data)),
                 lambda: records.create_entity(graph, org.agent_nyc, type_name, dict(data))])
    assert isinstance(a, dict) and isinstance(b, dict), (a, b)
    prop = records.UNIQUE_KEYS[type_name][1]
    holders = graph.query(f"MATCH (n:{type_name}) WHERE n.{prop} IS NOT NULL RETURN n.uid AS uid")
    assert len(holders) == 1 and holders[0]["uid"] in (a["uid"], b["uid"])
    assert _hits_between(graph, a["uid"], b["uid"]) == 1


@pytest.mark.parametrize("round_", range(5))
def test_two_updates_making_two_records_one_person_at_once_meet(graph, org, round_):
    # Two offices each correct their record's date of birth, at once, to the same individual's.
    family = f"Brandauer{'x' * round_}"
    theirs = records.create_entity(graph, org.agent_nyc, "Person",
                                   {"given_name": "Ilse", "family_name": family, "dob": "1990-01-01"})
    mine = records.create_entity(graph, org.agent_a, "Person",
                                 {"given_name": "Ilse", "family_name": family, "dob": "1972-11-30"})
    assert _hits_between(graph, theirs["uid"], mine["uid"]) == 0
    a, b = race([lambda: records.update_entity(graph, org.agent_nyc, theirs["uid"], {"dob": "1981-06-17"}),
                 lambda: records.update_entity(graph, org.agent_a, mine["uid"], {"dob": "1981-06-17"})])
    assert isinstance(a, dict) and isinstance(b, dict), (a, b)
    assert _hits_between(graph, theirs["uid"], mine["uid"]) == 1
    assert a["hits"] or b["hits"]


def _lines(n: int) -> list[str]:
    given = ["Aurelio", "Benedikta", "Casimir", "Dagny", "Eulalia", "Florentin"]
    family = ["Quastenberg", "Roszkowski", "Szymborska", "Tavernier", "Uccello"]
    return [json.dumps({"given_name": given[i % 6], "family_name": family[i // 6 % 5],
                        "dob": f"19{50 + i}-0{1 + i % 9}-1{i % 10}", "ref": f"line-{i}"}) for i in range(n)]


def test_two_imports_of_one_file_at_once_meet_on_every_line(graph, org):
    lines = _lines(30)
    a, b = race([lambda: imports.import_jsonl(graph, org.agent_a, "Person", list(lines), batch=5),
                 lambda: imports.import_jsonl(graph, org.agent_nyc, "Person", list(lines), batch=5)])
    assert a["created"] == b["created"] == 30
    pairs = graph.query("""
        MATCH (x:Person {owner_uid: $a}), (y:Person {owner_uid: $b}) WHERE x.source_ref = y.source_ref
        RETURN x.source_ref AS ref, COUNT { (x)<-[:HIT_ON]-(:DeconflictionHit)-[:HIT_ON]->(y) } AS hits
        """, {"a": org.agent_a.uid, "b": org.agent_nyc.uid})
    assert len(pairs) == 30
    assert [p["ref"] for p in pairs if p["hits"] != 1] == []
    # Each import counts the hits it raised, those found after its batches' commits included.
    assert a["hits"] + b["hits"] >= 30


def test_two_import_jobs_of_one_file_at_once_keep_every_line_that_met_a_record(graph, org):
    # A job keeps the lines that met records with its progress, in each batch's transaction; those met
    # only by the recheck after a commit are kept and counted likewise.
    lines = _lines(30)
    jobs = [import_jobs.enqueue_import(graph, who, "Person", "people.jsonl", list(lines), batch=5)
            for who in (org.agent_a, org.agent_nyc)]
    race([lambda: worker.Worker(graph).drain(), lambda: worker.Worker(graph).drain()])
    done = [import_jobs.import_job(graph, who, uid) for who, uid in zip((org.agent_a, org.agent_nyc), jobs,
                                                                         strict=True)]
    assert [job["state"] for job in done] == ["done", "done"]
    assert all(job["hit_lines_total"] == len(job["hit_lines"]) == job["records_with_hits"] for job in done)
    assert sum(job["records_with_hits"] for job in done) >= 30


def test_a_write_alone_is_not_checked_again(graph, org, monkeypatch):
    # The recheck costs a second search; a create with no other write of its type beside it skips it.
    ran = []
    real = deconfliction.after_write
    monkeypatch.setattr(deconfliction, "after_write",
                        lambda *args, **kw: ran.append(kw.get("operation", "create")) or real(*args, **kw))
    records.create_entity(graph, org.agent_a, "Person", {"given_name": "Ilse", "family_name": "Brandauer"})
    otto = records.create_entity(graph, org.agent_a, "Person", {"given_name": "Otto", "family_name": "Quastenberg"})
    records.update_entity(graph, org.agent_a, otto["uid"], {"dob": "1962-02-03"})
    imports.import_jsonl(graph, org.agent_a, "Person", _lines(12), batch=5)
    assert "recheck" not in ran and ran.count("create") == 2 and ran.count("update") == 1
    assert ran.count("import") == 3
