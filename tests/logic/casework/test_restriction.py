"""Restriction: "Access to cases may be further restricted or expanded by the owning case agent/officer with
supervisor approval", and "Cases with source data derived from ... FinCEN ... and/or other agency criminal
case management systems ... LETC records, will be restricted" (CBP CCMS PIA, Overview)."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from ccms_graph.errors import Conflict, Forbidden, NotFound
from ccms_graph.logic.casework import approvals, cases
from ccms_graph.logic.entities import access, imports
from tests.logic.casework.helpers import case_props, open_case, restrict


def _readable(graph, who, uid) -> bool:
    try:
        access.view_record(graph, who, uid)
        return True
    except NotFound:
        return False


def test_a_restriction_waits_for_the_owners_supervisor(graph, org):
    case = open_case(graph, org.agent_a, org.sup_mia, title="Operation Kestrel")["uid"]
    asked = cases.set_restricted(graph, org.agent_a, case, True, "informant named")
    assert asked["restricted"] is False and asked["restriction_request"]["restricted"] is True
    assert _readable(graph, org.agent_b, case), "nothing changes before the approval"
    with pytest.raises(Conflict, match="already pending"):
        cases.set_restricted(graph, org.agent_a, case, True, "again")
    with pytest.raises(Forbidden):  # nobody approves their own request
        approvals.approve(graph, org.agent_a, asked["restriction_request"]["request_uid"])
    with pytest.raises(Forbidden):  # nor anyone outside the owner's chain
        approvals.approve(graph, org.sup_nyc, asked["restriction_request"]["request_uid"])
    approvals.approve(graph, org.sup_mia, asked["restriction_request"]["request_uid"])
    assert case_props(graph, case)["restricted"] is True
    assert not _readable(graph, org.agent_b, case)
    restrict(graph, org.agent_a, org.sup_mia, case, False, "informant relocated")
    assert _readable(graph, org.agent_b, case)


def test_a_returned_restriction_changes_nothing_and_only_the_owner_chain_asks(graph, org):
    case = open_case(graph, org.agent_a, org.sup_mia)["uid"]
    cases.change_team(graph, org.agent_a, case, org.agent_b.uid, add=True)
    with pytest.raises(Forbidden, match="case owner"):  # a team member works on the case, the owner decides access
        cases.set_restricted(graph, org.agent_b, case, True, "mine too")
    asked = cases.set_restricted(graph, org.agent_a, case, True, "informant named")
    approvals.return_item(graph, org.sup_mia, asked["restriction_request"]["request_uid"], "not needed yet")
    assert case_props(graph, case)["restricted"] is False
    with pytest.raises(Conflict, match="already not restricted"):
        cases.set_restricted(graph, org.agent_a, case, False, "lift it")


def test_a_case_predicated_on_a_protected_source_is_restricted_at_once_and_stays_so(graph, org):
    case = cases.create_case(graph, org.agent_a, {"title": "Structuring ring", "sources": ["fincen", "TECS"]})
    props = case_props(graph, case["uid"])
    assert props["restricted"] is True and props["protected_sources"] == ["FinCEN"]
    assert props["predication_sources"] == ["fincen", "TECS"]
    assert not _readable(graph, org.agent_b, case["uid"])
    with pytest.raises(Conflict, match="protected source"):
        cases.set_restricted(graph, org.agent_a, case["uid"], False, "open it up")
    plain = cases.create_case(graph, org.agent_a, {"title": "Plain case", "sources": ["TECS"]})
    assert case_props(graph, plain["uid"])["restricted"] is False


def test_an_import_from_a_protected_source_restricts_its_case_in_the_same_transaction(graph, org):
    case = open_case(graph, org.agent_a, org.sup_mia, title="Money trail")["uid"]
    line = json.dumps({"given_name": "Ann", "family_name": "Lee"})
    imports.import_jsonl(graph, org.agent_a, "Person", [line], case_key=case, source="TECS")
    assert case_props(graph, case)["restricted"] is False
    imports.import_jsonl(graph, org.agent_a, "Person", [json.dumps({"given_name": "Bo", "family_name": "Ng"})],
                         case_key=case, source="LETC")
    props = case_props(graph, case)
    assert props["restricted"] is True and props["protected_sources"] == ["LETC"]
    sources = {r["s"] for r in graph.query("MATCH (p:Person) RETURN p.source AS s")}
    assert sources == {"TECS", "LETC"}
    (entry,) = [json.loads(r["d"]) for r in graph.query(
        "MATCH (e:AuditEntry {action: 'update'}) WHERE $c IN e.targets RETURN e.details AS d", {"c": case})
        if "protected_sources" in r["d"]]
    assert entry["to"] is True and entry["protected_sources"] == ["LETC"]
    assert not _readable(graph, org.agent_b, case)


def test_the_protected_list_is_configuration(graph, org):
    before = graph.settings
    graph.settings = replace(before, protected_sources=("DEA case system",))
    try:
        dea = cases.create_case(graph, org.agent_a, {"title": "Joint case", "sources": ["dea CASE system"]})
        fincen = cases.create_case(graph, org.agent_a, {"title": "Bank case", "sources": ["FinCEN"]})
    finally:
        graph.settings = before
    assert case_props(graph, dea["uid"])["restricted"] is True
    assert case_props(graph, fincen["uid"])["restricted"] is False
