"""Set-based loading of many records against the real server: what each batch creates, which lines are
refused and why, and that a batch that fails leaves nothing of itself behind."""

from __future__ import annotations

import pytest

from ccms_graph.errors import Conflict, Forbidden, NotFound
from ccms_graph.logic.entities import bulk
from ccms_graph.logic.oversight import audit
from tests.factories import stored_record
from tests.policy import helpers as h

VIN_1, VIN_2, VIN_3 = "1HGCM82633A004352", "1FTFW1ET5DFC10312", "2T1BURHE0JC074153"


def _people(*names: str) -> list[tuple[int, dict]]:
    return [(line, {"given_name": name, "family_name": "Smith"}) for line, name in enumerate(names, 1)]


def _count(graph, label: str) -> int:
    assert label.isidentifier()
    return graph.query(f"MATCH (n:{label}) RETURN count(n) AS n")[0]["n"]


# Refused input: each line keeps its number and the fields at fault.
REFUSED = [
    ({"given_name": "Ana", "phones": ["12"]}, {"phones"}),
    ({"given_name": "Ana", "height_cm": 5}, {"height_cm"}),
    ({"given_name": "Ana", "emails": ["not-an-email"]}, {"emails"}),
    ({"given_name": "Ana", "shoe_size": 9}, {"shoe_size"}),
    ({"dob": "1980-05-03"}, {"_schema"}),  # nothing that identifies a person
    ("Ana Smith", {"_schema"}),  # not an object
]


@pytest.mark.parametrize(("data", "fields"), REFUSED)
def test_a_refused_line_is_reported_with_its_number_and_fields_and_the_rest_load(graph, org, data, fields):
    items = [(1, {"given_name": "Bea"}), (2, data), (3, {"given_name": "Cy"})]
    out = bulk.bulk_insert(graph, org.agent_a, "Person", items, batch_size=2)
    assert out["created"] == 2 and len(out["uids"]) == 2
    ((line, errors),) = out["refused"]
    assert line == 2 and set(errors) == fields and all(errors.values())
    assert [stored_record(graph, uid)["caption"] for uid in out["uids"]] == ["Bea", "Cy"]
    assert _count(graph, "Person") == 2


def test_created_records_come_back_in_input_order_across_batches_with_owner_and_selectors(graph, org):
    names = ["Ann", "Ben", "Cai", "Dee", "Eve", "Fay", "Gus"]
    items = [(line, {"given_name": name, "family_name": "Smith", "phones": [f"(305) 555-01{line:02d}"]})
             for line, name in enumerate(names, 1)]
    out = bulk.bulk_insert(graph, org.agent_a, "Person", items, batch_size=3)
    assert (out["created"], out["refused"]) == (7, [])
    stored = [stored_record(graph, uid) for uid in out["uids"]]
    assert [s["caption"] for s in stored] == [f"{n} Smith" for n in names]
    assert {(s["props"]["owner_uid"], s["props"]["office_code"], s["props"]["approval_status"],
             s["props"]["source"]) for s in stored} == {(org.agent_a.uid, "MIA", "pending", "manual")}
    assert not any("imported_at" in s["props"] for s in stored)  # typed in, not imported
    phones = graph.query("""MATCH (p:Person)-[:USES_PHONE]->(ph:Phone) RETURN p.uid AS uid, ph.e164 AS e164""")
    assert sorted(phones, key=lambda r: r["e164"]) == [
        {"uid": uid, "e164": f"+1305555010{i}"} for i, uid in enumerate(out["uids"], 1)]


def test_an_imported_batch_is_marked_imported_and_joins_the_case(graph, org):
    case = h.case(graph, org.agent_a, "Operation Tidewater")
    out = bulk.bulk_insert(graph, org.agent_a, "Person", _people("Ann", "Ben"), case_uid=case, source="csv")
    for uid in out["uids"]:
        got = stored_record(graph, uid)
        assert got["props"]["source"] == "csv" and got["props"]["imported_at"]
        assert [c["uid"] for c in got["cases"]] == [case]


def test_progress_counts_every_line_read_created_or_refused(graph, org):
    items = [*_people("Ann", "Ben", "Cai"), (4, {}), (5, {"given_name": "Eve"})]
    seen: list[int] = []
    out = bulk.bulk_insert(graph, org.agent_a, "Person", items, batch_size=2, progress=seen.append)
    assert seen == [2, 4, 5]
    assert out["created"] == 4 and [line for line, _ in out["refused"]] == [4]


def test_nothing_in_nothing_out(graph, org):
    seen: list[int] = []
    before = graph.query("MATCH (n) RETURN count(n) AS n")
    assert bulk.bulk_insert(graph, org.agent_a, "Person", [], progress=seen.append) == \
        {"created": 0, "refused": [], "uids": []}
    assert seen == [] and graph.query("MATCH (n) RETURN count(n) AS n") == before


def test_the_callers_work_runs_in_each_batchs_transaction_with_the_lines_it_created(graph, org):
    calls: list[tuple[list[str], list[int]]] = []

    def in_tx(tx, uids, accepted):
        calls.append((list(uids), [line for line, _ in accepted]))
        audit.record(tx, org.agent_a, "import", uids, details={"lines": [line for line, _ in accepted]})

    items = [*_people("Ann", "Ben"), (3, {}), (4, {}), (5, {"given_name": "Eve"})]
    out = bulk.bulk_insert(graph, org.agent_a, "Person", items, batch_size=2, in_tx=in_tx)
    # The all-refused batch (lines 3 and 4) opens no transaction, so the caller's work does not run for it.
    assert [lines for _, lines in calls] == [[1, 2], [5]]
    assert [uid for uids, _ in calls for uid in uids] == out["uids"]
    entries = graph.query("MATCH (e:AuditEntry {action: 'import'}) RETURN e.targets AS t ORDER BY e.seq")
    assert [r["t"] for r in entries] == [uids for uids, _ in calls]


def test_a_batch_whose_callers_work_fails_leaves_nothing_of_itself_and_earlier_batches_stay(graph, org):
    batches = []

    def in_tx(tx, uids, accepted):
        batches.append(uids)
        audit.record(tx, org.agent_a, "import", uids)
        if len(batches) == 2:
            raise RuntimeError("deconfliction failed")

    items = [(line, {"given_name": name, "phones": [f"(305) 555-02{line:02d}"], "ssn": f"123-45-67{line:02d}"})
             for line, name in enumerate(["Ann", "Ben", "Cai", "Dee", "Eve"], 1)]
    with pytest.raises(RuntimeError):
        bulk.bulk_insert(graph, org.agent_a, "Person", items, batch_size=2, in_tx=in_tx)
    people = graph.query("MATCH (p:Person) RETURN p.given_name AS name ORDER BY name")
    assert [p["name"] for p in people] == ["Ann", "Ben"]  # batch 1 committed; batch 2 rolled back; 3 never ran
    assert (_count(graph, "Phone"), _count(graph, "Identifier")) == (2, 2)  # no selectors of the failed batch
    assert graph.query("MATCH (e:AuditEntry {action: 'import'}) RETURN e.targets AS t") == [{"t": batches[0]}]


def test_a_duplicate_unique_identifier_fails_its_whole_batch_as_a_conflict(graph, org):
    def vehicles(*vins):
        return [(line, {"vin": vin, "make": "Honda"}) for line, vin in enumerate(vins, 1)]

    bulk.bulk_insert(graph, org.agent_a, "Vehicle", vehicles(VIN_1))
    # Batch 1 (VIN_2, VIN_3) is new; batch 2 holds VIN_1 again, in lower case.
    with pytest.raises(Conflict, match="same unique identifier"):
        bulk.bulk_insert(graph, org.agent_b, "Vehicle", [*vehicles(VIN_2, VIN_3), (3, {"vin": "2HGES16575H591384"}),
                                                          (4, {"vin": VIN_1.lower()})], batch_size=2)
    vins = graph.query("MATCH (v:Vehicle) RETURN v.vin AS vin ORDER BY vin")
    assert [v["vin"] for v in vins] == sorted([VIN_1, VIN_2, VIN_3])  # line 3 went down with line 4
    # Two rows of one batch that collide with each other: neither is written.
    with pytest.raises(Conflict):
        bulk.bulk_insert(graph, org.agent_b, "Vehicle", vehicles("5YJSA1E26HF000337", "5yjsa1e26hf000337"))
    assert _count(graph, "Vehicle") == 3


def test_an_auditors_batch_is_refused(graph, org):
    with pytest.raises(Forbidden):
        bulk.bulk_insert(graph, org.auditor, "Person", _people("Ann"))
    assert _count(graph, "Person") == 0


def test_a_batch_into_a_case_the_actor_may_not_change_is_refused(graph, org):
    case = h.case(graph, org.agent_a, "Operation Nightjar", restricted=True)
    with pytest.raises(NotFound):  # the case is hidden from another office
        bulk.bulk_insert(graph, org.agent_nyc, "Person", _people("Ann"), case_uid=case)
    assert graph.query("MATCH (:Person)-[:SUBJECT_IN]->(c:Case) RETURN count(c) AS n") == [{"n": 0}]
