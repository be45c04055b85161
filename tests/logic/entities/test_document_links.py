"""Document -> document references and case <-> case "related case" links: in the vocabulary, with endpoint rules."""

from __future__ import annotations

import pytest

from ccms_graph.errors import Forbidden, NotFound, ValidationFailed
from ccms_graph.logic.casework import approvals, documents
from ccms_graph.logic.entities import links
from ccms_graph.nodes.vocabulary import LINK_TYPES
from tests.factories import links_of, make_person
from tests.logic.casework.helpers import open_case


def _approved(graph, org, case_uid, type_name, title):
    doc = documents.create_document(graph, org.agent_a, case_uid, type_name, {"title": title})
    approvals.approve(graph, org.sup_mia, documents.submit_document(graph, org.agent_a, doc["uid"])["uid"])
    return doc


def test_vocabulary_declares_both_with_their_ends():
    assert LINK_TYPES["REFERENCES"].allows("ReportOfInvestigation", "Evidence")
    assert not LINK_TYPES["REFERENCES"].allows("ReportOfInvestigation", "Person")
    assert LINK_TYPES["RELATED_CASE"].allows("Case", "Case") and not LINK_TYPES["RELATED_CASE"].directed
    assert not LINK_TYPES["RELATED_CASE"].allows("Case", "Evidence")


def test_an_roi_references_evidence(graph, org):
    case = open_case(graph, org.agent_a, org.sup_mia)
    roi = documents.create_document(graph, org.agent_a, case["uid"], "ReportOfInvestigation", {"title": "ROI 1"})
    ev = _approved(graph, org, case["uid"], "Evidence", "Seized phone")
    links.link(graph, org.agent_a, {"source_uid": roi["uid"], "target_uid": ev["uid"], "type": "REFERENCES",
                                    "reason": "cited in paragraph 4"})
    assert [(r["type"], r["other_uid"]) for r in links_of(graph, roi["uid"]) if r["type"] == "REFERENCES"] == \
        [("REFERENCES", ev["uid"])]
    person = make_person(graph, org.agent_a, case_uid=case["uid"])
    with pytest.raises(ValidationFailed) as exc:
        links.link(graph, org.agent_a, {"source_uid": roi["uid"], "target_uid": person["uid"], "type": "REFERENCES",
                                        "reason": "wrong end"})
    assert "REFERENCES does not link a ReportOfInvestigation to a Person" in exc.value.errors["type"][0]
    with pytest.raises(NotFound):  # another agent's draft is no end at all for a teammate
        links.link(graph, org.agent_b, {"source_uid": ev["uid"], "target_uid": roi["uid"], "type": "REFERENCES",
                                        "reason": "cite the draft"})


def test_related_cases(graph, org):
    one = open_case(graph, org.agent_a, org.sup_mia, title="Smuggling ring")
    two = open_case(graph, org.agent_b, org.sup_mia, title="Money laundering")
    out = links.link(graph, org.agent_a, {"source_uid": one["uid"], "target_uid": two["uid"], "type": "RELATED_CASE",
                                          "reason": "same vessel"})
    assert out["type"] == "RELATED_CASE"
    assert [r["other_uid"] for r in links_of(graph, two["uid"]) if r["type"] == "RELATED_CASE"] == [one["uid"]]
    nyc = open_case(graph, org.agent_nyc, org.sup_nyc, title="New York ring")
    with pytest.raises(Forbidden):  # agent_a may not read the New York case
        links.link(graph, org.agent_a, {"source_uid": one["uid"], "target_uid": nyc["uid"], "type": "RELATED_CASE",
                                        "reason": "same vessel"})
    with pytest.raises(Forbidden):  # the analyst writes no case
        links.link(graph, org.analyst_mia, {"source_uid": two["uid"], "target_uid": one["uid"],
                                            "type": "RELATED_CASE", "reason": "same vessel"})
