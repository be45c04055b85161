"""ELSUR (ICM PIA 2016, §2.2): the agent's request, approved at headquarters, then Reports of Use; an ROI
cites the surveillance only once it is approved."""

from __future__ import annotations

import pytest

from ccms_graph.errors import Conflict, Forbidden, NotFound, ValidationFailed
from ccms_graph.logic.casework import approvals, elsur
from ccms_graph.logic.people.users import create_office, create_user
from ccms_graph.policy.actor import SYSTEM
from tests.factories import PASSWORD, actor
from tests.logic.casework.helpers import new_case, open_case, with_roi

WIRE = {"kind": "Title III wire intercept", "target": "+13055550199", "justification": "calls arrange the loads"}


@pytest.fixture
def hq(graph, org):
    create_office(graph, SYSTEM, {"code": "HQ", "name": "Headquarters", "kind": "field_office"})
    create_user(graph, SYSTEM, {"username": "hq_sup", "name": "Hana Quill", "role": "supervisor",
                                "office_code": "HQ", "password": PASSWORD, "training_expires": "2099-12-31"})
    return actor(graph, "hq_sup")


def test_an_elsur_moves_from_request_to_approval_to_reports_of_use(graph, org, hq):
    case = open_case(graph, org.agent_a, org.sup_mia)["uid"]
    filed = elsur.request_elsur(graph, org.agent_a, case, WIRE)
    assert filed["status"] == "requested"
    with pytest.raises(Conflict, match="approval"):  # no use before headquarters approves
        elsur.add_report_of_use(graph, org.agent_a, filed["uid"],
                                {"date": "2026-03-02", "contact": "target line", "summary": "two calls"})
    assert [i["kind"] for i in approvals.approval_queue(graph, hq)] == ["elsur"]
    assert "elsur" not in [i["kind"] for i in approvals.approval_queue(graph, org.sup_mia)]
    for who in (org.agent_a, org.sup_mia, org.chief):  # the requester, and their own chain: not headquarters
        with pytest.raises(Forbidden):
            approvals.approve(graph, who, filed["request_uid"])
    approvals.approve(graph, hq, filed["request_uid"])
    use = elsur.add_report_of_use(graph, org.agent_a, filed["uid"],
                                  {"date": "2026-03-02", "contact": "R. Quintero", "summary": "two calls on the load"})
    shown = elsur.get_elsur(graph, org.agent_a, filed["uid"])
    assert shown["status"] == "approved" and shown["decided_by"] == hq.uid
    assert [(u["date"], u["contact"]) for u in shown["reports_of_use"]] == [("2026-03-02", "R. Quintero")]
    assert use["summary"] == "two calls on the load"
    with pytest.raises(ValidationFailed) as err:
        elsur.add_report_of_use(graph, org.agent_a, filed["uid"], {"date": "soon", "contact": "x"})
    assert set(err.value.errors) == {"date", "contact", "summary"}


def test_an_roi_cannot_cite_an_unapproved_elsur(graph, org, hq):
    case = open_case(graph, org.agent_a, org.sup_mia)["uid"]
    roi = with_roi(graph, org.agent_a, case, "Wire results")["roi_uid"]
    filed = elsur.request_elsur(graph, org.agent_a, case, WIRE)
    with pytest.raises(ValidationFailed) as err:
        elsur.cite(graph, org.agent_a, roi, {"elsur_uid": filed["uid"]})
    assert "approved" in err.value.errors["elsur_uid"][0]
    approvals.return_item(graph, hq, filed["request_uid"], "name the judge")
    with pytest.raises(ValidationFailed):
        elsur.cite(graph, org.agent_a, roi, {"elsur_uid": filed["uid"]})
    again = elsur.request_elsur(graph, org.agent_a, case, WIRE)
    approvals.approve(graph, hq, again["request_uid"])
    assert elsur.cite(graph, org.agent_a, roi, {"elsur_uid": again["uid"]}) == {"roi_uid": roi,
                                                                                 "elsur_uid": again["uid"]}
    cited = graph.query("MATCH (d:ReportOfInvestigation {uid: $u}) RETURN d.elsur_uids AS e", {"u": roi})
    assert cited == [{"e": [again["uid"]]}]


def test_an_elsur_is_as_secret_as_its_case(graph, org, hq):
    case = open_case(graph, org.agent_nyc, org.sup_nyc, title="Sealed", restricted=True)["uid"]
    filed = elsur.request_elsur(graph, org.agent_nyc, case, WIRE)
    with pytest.raises(NotFound) as err:
        elsur.get_elsur(graph, org.agent_a, filed["uid"])
    assert err.value.detail == f"no ELSUR {filed['uid']}"
    with pytest.raises(NotFound):
        elsur.request_elsur(graph, org.agent_a, case, WIRE)
    with pytest.raises(Conflict, match="open or referred"):
        elsur.request_elsur(graph, org.agent_a, new_case(graph, org.agent_a, "Not yet open")["uid"], WIRE)
