"""Links against the real server: vocabulary enforcement, unlinking keeps history."""

from __future__ import annotations

import pytest

from ccms_graph.errors import Conflict, Forbidden, ValidationFailed
from ccms_graph.logic.casework.cases import create_case
from ccms_graph.logic.entities import links, records
from ccms_graph.nodes.vocabulary import HAND_DRAWN_LINK_TYPES, LINK_TYPES, USER_LINK_TYPES
from tests.factories import links_of, stored_record


def _person(graph, who, name):
    return records.create_entity(graph, who, "Person", {"given_name": name, "family_name": "Test"})


def test_link_refuses_endpoint_types_its_declaration_does_not_allow(graph, org):
    person = _person(graph, org.agent_a, "Ann")
    car = records.create_entity(graph, org.agent_a, "Vehicle", {"vin": "1HGCM82633A004352"})
    with pytest.raises(ValidationFailed) as err:
        links.link(graph, org.agent_a, {"source_uid": person["uid"], "target_uid": car["uid"],
                                        "type": "EMPLOYED_BY", "reason": "tip from informant"})
    assert "EMPLOYED_BY does not link a Person to a Vehicle" in err.value.errors["type"][0]
    ok = links.link(graph, org.agent_a, {"source_uid": car["uid"], "target_uid": person["uid"],
                                         "type": "REGISTERED_TO", "reason": "DMV record"})
    assert ok["status"] == "active"


def test_vocabulary_declares_direction_and_endpoints():
    assert LINK_TYPES["ASSOCIATE_OF"].allows("Person", "Person")
    assert not LINK_TYPES["ASSOCIATE_OF"].allows("Person", "Business")
    assert LINK_TYPES["OWNS"].allows("Business", "Vessel")
    assert not LINK_TYPES["OWNS"].allows("Vessel", "Business")
    assert LINK_TYPES["SUB_RECORD_OF"].allows("Person", "Person")
    assert not LINK_TYPES["SUB_RECORD_OF"].allows("Person", "Business")


def test_merges_calls_and_identifiers_are_drawn_only_by_their_own_paths():
    owned = {name: lt.drawn_by for name, lt in LINK_TYPES.items() if lt.drawn_by}
    assert set(owned) == {"SUB_RECORD_OF", "CALLED", "HAS_IDENTIFIER", "IDENTIFIED_AS"}
    assert not set(owned) & set(HAND_DRAWN_LINK_TYPES)
    assert set(HAND_DRAWN_LINK_TYPES) < set(USER_LINK_TYPES)  # merges and calls are still shown as content
    assert {"SUB_RECORD_OF", "CALLED"} < set(USER_LINK_TYPES)


def test_unknown_link_type_and_missing_reason_are_named(graph, org):
    a, b = _person(graph, org.agent_a, "A"), _person(graph, org.agent_a, "B")
    with pytest.raises(ValidationFailed) as err:
        links.link(graph, org.agent_a, {"source_uid": a["uid"], "target_uid": b["uid"], "type": "LOVES"})
    assert set(err.value.errors) == {"type", "reason"}


def test_unlinking_retires_the_edge_and_keeps_history(graph, org):
    a, b = _person(graph, org.agent_a, "A"), _person(graph, org.agent_a, "B")
    links.link(graph, org.agent_a, {"source_uid": a["uid"], "target_uid": b["uid"], "type": "ASSOCIATE_OF",
                                    "reason": "seen together at the port"})
    with pytest.raises(Conflict):
        links.link(graph, org.agent_a, {"source_uid": b["uid"], "target_uid": a["uid"],
                                        "type": "ASSOCIATE_OF", "reason": "again"})
    links.unlink(graph, org.agent_a, {"source_uid": b["uid"], "target_uid": a["uid"], "type": "ASSOCIATE_OF",
                                      "reason": "mistaken identity"})
    assert links_of(graph, a["uid"]) == []
    history = links_of(graph, a["uid"], include_retired=True)
    assert len(history) == 1
    props = history[0]["props"]
    assert props["status"] == "retired"
    assert props["retired_by"] == org.agent_a.uid
    assert props["retired_reason"] == "mistaken identity"
    assert props["reason"] == "seen together at the port"
    assert graph.query("MATCH ()-[r:ASSOCIATE_OF]-() RETURN count(DISTINCT r) AS n") == [{"n": 1}]
    actions = [r["a"] for r in graph.query(
        "MATCH (e:AuditEntry) WHERE e.action IN ['link','unlink'] RETURN e.action AS a ORDER BY e.seq")]
    assert actions == ["link", "unlink"]


def test_subject_in_case_requires_write_access_to_the_case(graph, org):
    case = create_case(graph, org.agent_a, {"title": "Operation Gull"})
    mine = _person(graph, org.agent_a, "Mine")
    theirs = _person(graph, org.agent_nyc, "Theirs")
    links.link(graph, org.agent_a, {"source_uid": mine["uid"], "target_uid": case["uid"],
                                    "type": "SUBJECT_IN", "reason": "target"})
    with pytest.raises(Forbidden):
        links.link(graph, org.agent_nyc, {"source_uid": theirs["uid"], "target_uid": case["uid"],
                                          "type": "SUBJECT_IN", "reason": "I think so"})
    assert stored_record(graph, mine["uid"])["cases"][0]["uid"] == case["uid"]
