"""Disclosure accounting (DHS Form 191 style): recorded on the case, listed per case and per subject, exported."""

from __future__ import annotations

import csv
import io

import pytest

from ccms_graph.errors import Forbidden, NotFound, ValidationFailed
from ccms_graph.logic.casework import disclosures
from tests.factories import make_person
from tests.logic.casework.helpers import audit_actions, open_case

FORM = {"disclosed_on": "2026-02-03", "nature": "Subject identifiers and travel history",
        "description": "Names, DOB and two crossings of the principal subject",
        "purpose": "Joint investigation of narcotics smuggling", "recipient_agency": "DEA Miami Field Division",
        "recipient_address": "2100 N Commerce Pkwy, Weston, FL 33326", "method": "electronic"}


@pytest.fixture
def setup(graph, org):
    case = open_case(graph, org.agent_a, org.sup_mia)
    other = open_case(graph, org.agent_a, org.sup_mia, "Other case")
    p1 = make_person(graph, org.agent_a, case_uid=case["uid"], given_name="Ana")
    p2 = make_person(graph, org.agent_a, case_uid=case["uid"], given_name="Ben")
    return case, other, p1, p2


def test_disclosures_are_recorded_and_listed_per_case_and_subject(graph, org, setup):
    case, other, p1, p2 = setup
    d1 = disclosures.record_disclosure(graph, org.agent_a, case["uid"], {**FORM, "subject_uids": [p1["uid"]]})
    d2 = disclosures.record_disclosure(graph, org.agent_a, case["uid"],
                                       {**FORM, "disclosed_on": "2026-02-05", "recipient_agency": "HSI Miami",
                                        "subject_uids": [p1["uid"], p2["uid"]]})
    assert d1["disclosed_by"] == org.agent_a.uid and d1["disclosed_by_name"] == org.agent_a.name
    assert d1["recipient_address"] == FORM["recipient_address"] and d1["recorded_at"]
    assert d1["case_number"] == case["props"]["case_number"]
    assert [d["uid"] for d in disclosures.disclosures_for_case(graph, case["uid"])] == [d1["uid"], d2["uid"]]
    assert [d["uid"] for d in disclosures.disclosures_for_subject(graph, p1["uid"])] == [d1["uid"], d2["uid"]]
    assert [d["uid"] for d in disclosures.disclosures_for_subject(graph, p2["uid"])] == [d2["uid"]]
    assert disclosures.disclosures_for_case(graph, other["uid"]) == []
    assert audit_actions(graph, d1["uid"]) == ["disclose"]


def test_export_csv_is_audited(graph, org, setup):
    case, _, p1, _ = setup
    d1 = disclosures.record_disclosure(graph, org.agent_a, case["uid"], {**FORM, "subject_uids": [p1["uid"]]})
    text = disclosures.export_csv(graph, org.agent_a, case_uid=case["uid"])
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == 1 and rows[0]["uid"] == d1["uid"]
    assert rows[0]["recipient_agency"] == FORM["recipient_agency"] and rows[0]["subject_uids"] == p1["uid"]
    assert list(rows[0]) == list(disclosures.CSV_COLUMNS)
    assert audit_actions(graph, case["uid"])[-1] == "export"
    by_subject = disclosures.export_csv(graph, org.auditor, subject_uid=p1["uid"])  # auditors export any
    assert d1["uid"] in by_subject
    assert audit_actions(graph, p1["uid"])[-1] == "export"


def test_export_refused_to_outsiders(graph, org, setup):
    case, _, _, _ = setup
    with pytest.raises((Forbidden, NotFound)):
        disclosures.export_csv(graph, org.agent_nyc, case_uid=case["uid"])
    with pytest.raises(Forbidden):
        disclosures.export_csv(graph, org.admin, case_uid=case["uid"])
    with pytest.raises(ValidationFailed):
        disclosures.export_csv(graph, org.agent_a)


@pytest.mark.parametrize("missing", ["disclosed_on", "nature", "description", "purpose", "recipient_agency",
                                     "recipient_address"])
def test_every_form_191_field_is_required(graph, org, setup, missing):
    case = setup[0]
    data = {k: v for k, v in FORM.items() if k != missing}
    with pytest.raises(ValidationFailed) as exc:
        disclosures.record_disclosure(graph, org.agent_a, case["uid"], data)
    assert missing in exc.value.errors


def test_future_dates_and_foreign_subjects_are_refused(graph, org, setup):
    case, other, p1, _ = setup
    with pytest.raises(ValidationFailed) as exc:
        disclosures.record_disclosure(graph, org.agent_a, case["uid"], {**FORM, "disclosed_on": "2999-01-01"})
    assert "disclosed_on" in exc.value.errors
    with pytest.raises(ValidationFailed) as exc:
        disclosures.record_disclosure(graph, org.agent_a, other["uid"], {**FORM, "subject_uids": [p1["uid"]]})
    assert "subject_uids" in exc.value.errors
    assert disclosures.disclosures_for_case(graph, other["uid"]) == []


def test_only_case_writers_record_disclosures(graph, org, setup):
    case = setup[0]
    for who in (org.analyst_mia, org.auditor, org.admin):
        with pytest.raises(Forbidden):
            disclosures.record_disclosure(graph, who, case["uid"], FORM)
    assert disclosures.disclosures_for_case(graph, case["uid"]) == []


def test_export_of_a_case_or_subject_that_does_not_exist_is_not_found(graph, org):
    for who in (org.auditor, org.agent_a):
        with pytest.raises(NotFound):
            disclosures.export_csv(graph, who, case_uid="no-such-case")
        with pytest.raises(NotFound):
            disclosures.export_csv(graph, who, subject_uid="no-such-subject")
