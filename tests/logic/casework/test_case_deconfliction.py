"""Case deconfliction against the real server: before a case is opened, the open cases on the same subject and
violation, with the owning agent's contact, redacted by the one access policy, audited, owners told; and the
opening of a case that records the check."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from ccms_graph.errors import Forbidden, NotFound, TrainingExpired, ValidationFailed
from ccms_graph.logic.casework import approvals, case_deconfliction, cases, workflows
from ccms_graph.logic.entities import links, records
from ccms_graph.logic.identity import resolution
from ccms_graph.logic.oversight import notifications
from tests.factories import make_person
from tests.logic.casework.helpers import case_props, open_case, with_roi

SMUGGLING = "18 USC 545 (smuggling)"
LAUNDERING = "18 USC 1956 (money laundering)"


def _person(given="Jonathan", family="Smithers", dob="1980-05-17"):
    return {"type": "Person", "fields": {"given_name": given, "family_name": family, "dob": dob}}


def _check(graph, who, *subjects, violations=(SMUGGLING,), uids=()):
    return case_deconfliction.check(graph, who, {"subjects": list(subjects), "subject_uids": list(uids),
                                                 "violations": list(violations)})


def _subject_case(graph, owner, approver, title="Operation Heron", violations=(SMUGGLING,), restricted=False,
                  subject=None):
    """An open case of `owner` with one Person subject: the stored record `subject` (one individual is one
    record, in as many cases as investigate them), else a new Jonathan Smithers born 1980-05-17."""
    case = open_case(graph, owner, approver, title, violations=list(violations), restricted=restricted)
    if subject is None:
        subject = make_person(graph, owner, case_uid=case["uid"], given_name="Jonathan", family_name="Smithers",
                              dob="1980-05-17")
    else:
        links.link(graph, owner, {"source_uid": subject["uid"], "target_uid": case["uid"], "type": "SUBJECT_IN",
                                  "reason": "the same man, investigated again"})
    return case, subject


def _inbox(graph, who):
    return [n for n in notifications.inbox(graph, who) if n["kind"] == "case_deconfliction"]


def _searches(graph):
    rows = graph.query("""MATCH (e:AuditEntry {action: 'search'}) RETURN e.actor_uid AS actor, e.targets AS targets,
                          e.details AS details ORDER BY e.seq""")
    return [{**r, "details": json.loads(r["details"])} for r in rows]


# ---------------------------------------------------------------------------------------------
# Violations are compared as the statute they cite
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("a", "b", "same"), [
    ("18 USC 545 (smuggling)", "18 U.S.C. § 545", True),
    ("18 usc  545", "18 USC 545(a)", True),
    ("  Wire   Fraud ", "wire fraud", True),
    ("18 USC 545", "18 USC 5450", False),
    ("8 USC 1324", "18 USC 1324", False),
    ("smuggling", "18 USC 545 (smuggling)", False),
])
def test_violations_compare_by_statute_case_and_spacing_folded(a, b, same):
    assert (case_deconfliction.violation_key(a) == case_deconfliction.violation_key(b)) is same


# ---------------------------------------------------------------------------------------------
# What is found
# ---------------------------------------------------------------------------------------------

def test_an_open_case_on_the_same_person_misspelt_and_violation_is_found_with_its_owner(graph, org):
    case, subject = _subject_case(graph, org.agent_b, org.sup_mia)

    out = _check(graph, org.agent_a, _person(given="Jonathon", family="Smithers"), violations=["18 U.S.C. § 545"])

    assert out["conflict"] is True and out["violations"] == ["18 U.S.C. § 545"]
    (entry,) = out["cases"]
    assert entry == {
        "restricted": False, "conflict": True, "uid": case["uid"], "case_number": case["props"]["case_number"],
        "title": "Operation Heron", "status": "open", "violations": [SMUGGLING], "shared_violations": [SMUGGLING],
        "subjects": [{"uid": subject["uid"], "type": "Person", "caption": "Jonathan Smithers",
                      "match": entry["subjects"][0]["match"]}],
        "owner": {"uid": org.agent_b.uid, "name": "Agent B", "office_code": "MIA", "office": "Miami Field Office",
                  "phone": "+13055550100", "email": "agent_b@example.gov"}}
    assert entry["subjects"][0]["match"] in ("match", "possible")
    assert graph.query("MATCH (k:CaseDeconflictionCheck {uid: $u}) RETURN k.asked_by AS by",
                       {"u": out["check_uid"]}) == [{"by": org.agent_a.uid}]


def test_someone_else_entirely_finds_nothing(graph, org):
    _subject_case(graph, org.agent_b, org.sup_mia)
    out = _check(graph, org.agent_a, _person(given="Priya", family="Raman", dob="1991-11-30"))
    assert out["conflict"] is False and out["cases"] == []


def test_a_closed_case_is_no_conflict_and_a_requested_one_is(graph, org):
    closed, subject = _subject_case(graph, org.agent_b, org.sup_mia, title="Operation Old Salt")
    workflows.request_case_action(graph, org.agent_b, closed["uid"], "close", with_roi(graph, org.agent_b, closed["uid"], reason="prosecution_declined"))
    approvals.approve(graph, org.sup_mia, approvals.requests_for(graph, closed["uid"])[-1]["uid"])
    assert case_props(graph, closed["uid"])["status"] == "closed"
    requested = cases.create_case(graph, org.agent_b, {"title": "Operation New Wave", "violations": [SMUGGLING]})
    links.link(graph, org.agent_b, {"source_uid": subject["uid"], "target_uid": requested["uid"],
                                    "type": "SUBJECT_IN", "reason": "back in business"})

    out = _check(graph, org.agent_a, _person())

    assert [(e["uid"], e["status"], e["conflict"]) for e in out["cases"]] == [(requested["uid"], "requested", True)]


def test_a_case_on_the_same_subject_with_other_violations_is_listed_as_no_conflict_after_the_conflicts(graph, org):
    other, subject = _subject_case(graph, org.agent_b, org.sup_mia, title="Operation Ledger", violations=[LAUNDERING])
    same, _ = _subject_case(graph, org.agent_a, org.sup_mia, title="Operation Heron", subject=subject)

    out = _check(graph, org.analyst_mia, _person())

    assert out["conflict"] is True
    assert [(e["uid"], e["conflict"], e["shared_violations"]) for e in out["cases"]] == [
        (same["uid"], True, [SMUGGLING]), (other["uid"], False, [])]
    assert out["cases"][1]["violations"] == [LAUNDERING]
    assert [n["record_uid"] for n in _inbox(graph, org.agent_b)] == []  # nobody is about to duplicate theirs
    assert [n["record_uid"] for n in _inbox(graph, org.agent_a)] == [same["uid"]]


def test_an_organisation_is_deconflicted_too(graph, org):
    case = open_case(graph, org.agent_b, org.sup_mia, "Operation Gantry", violations=["19 USC 1592 (customs fraud)"])
    firm = records.create_entity(graph, org.agent_b, "Business", {"name": "Acme Harbour Shipping LLC",
                                                                  "ein": "12-3456789"}, case_uid=case["uid"])

    out = _check(graph, org.agent_a, {"type": "Business", "fields": {"name": "Acme Harbor Shipping LLC",
                                                                      "ein": "12-3456789"}},
                 violations=["19 U.S.C. 1592"])

    (entry,) = out["cases"]
    assert (entry["uid"], entry["conflict"], entry["shared_violations"]) == (case["uid"], True,
                                                                              ["19 USC 1592 (customs fraud)"])
    assert [(s["uid"], s["type"], s["caption"]) for s in entry["subjects"]] == [
        (firm["uid"], "Business", "Acme Harbour Shipping LLC")]


def test_a_given_record_finds_its_own_cases_and_those_of_its_merged_family(graph, org):
    case_a, mine = _subject_case(graph, org.agent_a, org.sup_mia, title="Operation Heron")
    case_b = open_case(graph, org.agent_a, org.sup_mia, "Operation Egret", violations=[LAUNDERING])
    alias = make_person(graph, org.agent_a, case_uid=case_b["uid"], given_name="Juan", family_name="Salgado",
                        dob="1962-01-30")
    assert resolution.merge(graph, org.agent_a, mine["uid"], alias["uid"], "the same man, an alias")["status"] == \
        "merged"

    out = _check(graph, org.agent_a, uids=[mine["uid"]])

    found = {e["uid"]: e for e in out["cases"]}
    assert set(found) == {case_a["uid"], case_b["uid"]}
    assert found[case_a["uid"]]["subjects"][0]["match"] == "given"
    assert [(s["uid"], s["match"]) for s in found[case_b["uid"]]["subjects"]] == [(alias["uid"], "given")]
    assert (found[case_a["uid"]]["conflict"], found[case_b["uid"]]["conflict"]) == (True, False)


# ---------------------------------------------------------------------------------------------
# What the asker may see
# ---------------------------------------------------------------------------------------------

def test_a_restricted_case_of_another_team_answers_its_owner_contact_and_nothing_else(graph, org):
    case, subject = _subject_case(graph, org.agent_nyc, org.sup_nyc, title="Operation Lantern", restricted=True)

    out = _check(graph, org.agent_a, _person(), violations=["18 U.S.C. § 545"])

    assert out["cases"] == [{"restricted": True, "conflict": True, "owner": {
        "uid": org.agent_nyc.uid, "name": "Agent Nyc", "office_code": "NYC", "office": "New York Field Office",
        "phone": "+13055550100", "email": "agent_nyc@example.gov"}}]
    text = json.dumps(out)
    for secret in (case["uid"], case["props"]["case_number"], "Lantern", subject["uid"], "Smithers", SMUGGLING):
        assert secret not in text


def test_hidden_cases_of_one_owner_are_one_entry_so_their_number_does_not_show(graph, org):
    _, subject = _subject_case(graph, org.agent_nyc, org.sup_nyc, title="Operation Lantern", restricted=True)
    for title in ("Operation Wick", "Operation Taper"):
        _subject_case(graph, org.agent_nyc, org.sup_nyc, title=title, restricted=True, violations=[LAUNDERING],
                      subject=subject)

    out = _check(graph, org.agent_a, _person())

    assert [(e["restricted"], e["conflict"], e["owner"]["name"]) for e in out["cases"]] == [(True, True, "Agent Nyc")]


def test_another_office_sees_a_case_it_may_not_read_as_a_contact_and_a_supervisor_sees_it_all(graph, org):
    case, _ = _subject_case(graph, org.agent_b, org.sup_mia)  # an unrestricted Miami case

    nyc = _check(graph, org.agent_nyc, _person())
    port = _check(graph, org.agent_port, _person())  # Port Everglades lies within Miami, not Miami within it
    sup = _check(graph, org.sup_mia, _person())
    colleague = _check(graph, org.agent_a, _person())

    for out in (nyc, port):
        assert out["cases"] == [{"restricted": True, "conflict": True, "owner": colleague["cases"][0]["owner"]}]
    assert sup["cases"][0]["case_number"] == colleague["cases"][0]["case_number"] == case["props"]["case_number"]


def test_a_hidden_record_given_by_uid_answers_like_a_missing_one_and_the_refusal_is_audited(graph, org):
    _, hidden = _subject_case(graph, org.agent_nyc, org.sup_nyc, title="Operation Lantern", restricted=True)

    for uid in (hidden["uid"], "no-such-record"):
        with pytest.raises(ValidationFailed) as exc:
            _check(graph, org.agent_a, uids=[uid])
        assert exc.value.errors == {"subject_uids": {0: [f"no record {uid}"]}}
    denied = graph.query("MATCH (e:AuditEntry {action: 'deny'}) RETURN e.targets AS t, e.details AS d")
    assert [r["t"] for r in denied] == [[hidden["uid"]]]
    assert json.loads(denied[0]["d"])["op"] == "case_deconfliction"


# ---------------------------------------------------------------------------------------------
# Input, audit, owners
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("data", "field"), [
    ({"subjects": [_person()]}, "violations"),
    ({"subjects": [_person()], "violations": []}, "violations"),
    ({"subjects": [_person()], "violations": ["   "]}, "violations"),
    ({"violations": [SMUGGLING]}, "subjects"),
    ({"subjects": [{"type": "Vehicle", "fields": {"vin": "1HGCM82633A004352"}}], "violations": [SMUGGLING]},
     "subjects"),
    ({"subjects": [{"type": "Person", "fields": {"sex": "Q"}}], "violations": [SMUGGLING]}, "subjects"),
    ({"subjects": [{"type": "Person"}], "violations": [SMUGGLING]}, "subjects"),
    ({"subject_uids": [""], "violations": [SMUGGLING]}, "subject_uids"),
    ({"subjects": [_person()], "violations": [SMUGGLING], "colour": "red"}, "colour"),
])
def test_bad_input_is_refused_by_field(graph, org, data, field):
    with pytest.raises(ValidationFailed) as exc:
        case_deconfliction.check(graph, org.agent_a, data)
    assert field in exc.value.errors
    assert graph.query("MATCH (k:CaseDeconflictionCheck) RETURN count(k) AS n")[0]["n"] == 0


def test_bad_details_name_the_subject_and_the_field(graph, org):
    with pytest.raises(ValidationFailed) as exc:
        _check(graph, org.agent_a, _person(), {"type": "Person", "fields": {"family_name": "Smithers", "sex": "Q"}})
    assert list(exc.value.errors["subjects"]) == [1] and "sex" in exc.value.errors["subjects"][1]["fields"]
    with pytest.raises(ValidationFailed) as exc:
        _check(graph, org.agent_a, {"type": "Person", "fields": {"sex": "M"}})  # nothing that identifies anyone
    assert "_schema" in exc.value.errors["subjects"][0]["fields"]


def test_a_readable_record_that_is_no_person_or_business_is_named(graph, org):
    car = records.create_entity(graph, org.agent_a, "Vehicle", {"vin": "1HGCM82633A004352", "make": "Honda"})
    with pytest.raises(ValidationFailed) as exc:
        _check(graph, org.agent_a, uids=[car["uid"]])
    assert "Vehicle" in exc.value.errors["subject_uids"][0][0]


def test_the_check_is_audited_as_a_search_naming_every_case_found(graph, org):
    mine, _ = _subject_case(graph, org.agent_b, org.sup_mia)
    hidden, _ = _subject_case(graph, org.agent_nyc, org.sup_nyc, title="Operation Lantern", restricted=True)

    out = _check(graph, org.agent_a, _person())

    (entry,) = _searches(graph)
    assert entry["actor"] == org.agent_a.uid
    assert entry["targets"][0] == out["check_uid"] and {mine["uid"], hidden["uid"]} <= set(entry["targets"])
    d = entry["details"]
    assert (d["kind"], d["check_uid"], d["violations"], d["cases"], d["conflicts"], d["restricted"],
            d["owners_notified"]) == ("case_deconfliction", out["check_uid"], [SMUGGLING], 2, 2, 1, 2)
    assert d["subjects"] == [{"type": "Person", "criteria": ["dob", "family_name", "given_name"]}]


def test_the_owner_of_a_conflicting_case_is_told_with_the_askers_contact_once_a_day(graph, org):
    case, subject = _subject_case(graph, org.agent_nyc, org.sup_nyc, title="Operation Lantern", restricted=True)

    first = _check(graph, org.agent_a, _person())
    again = _check(graph, org.agent_a, _person())

    (note,) = _inbox(graph, org.agent_nyc)
    assert (note["record_uid"], note["record_type"], note["record_caption"]) == (
        case["uid"], "Case", case["props"]["case_number"])
    assert (note["actor_uid"], note["actor_name"], note["actor_office"]) == (org.agent_a.uid, "Agent A", "MIA")
    assert json.loads(note["contact"]) == {"name": "Agent A", "office_code": "MIA", "phone": "+13055550100",
                                           "email": "agent_a@example.gov"}
    assert note["violations"] == [SMUGGLING] and note["subject_uids"] == [subject["uid"]]
    assert "about to open a case" in note["message"]
    assert first == {**again, "check_uid": first["check_uid"]}  # the asker is told nothing of who was told
    assert "notif" not in json.dumps(first)
    assert _inbox(graph, org.agent_a) == []


def test_nobody_is_told_of_their_own_case_and_expired_training_checks_nothing(graph, org):
    _subject_case(graph, org.agent_a, org.sup_mia)
    assert _check(graph, org.agent_a, _person())["conflict"] is True
    assert _inbox(graph, org.agent_a) == []
    with pytest.raises(TrainingExpired):
        _check(graph, replace(org.agent_a, training_expires="2000-01-01"), _person())
    with pytest.raises(Forbidden):
        _check(graph, org.auditor, _person())
    denied = graph.query("MATCH (e:AuditEntry {action: 'deny'}) RETURN e.details AS d ORDER BY e.seq")
    assert [(json.loads(r["d"])["op"], json.loads(r["d"])["reason"]) for r in denied] == [
        ("case_deconfliction", "TrainingExpired"), ("case_deconfliction", "Forbidden")]
    assert len(_searches(graph)) == 1  # the refused checks searched nothing


# ---------------------------------------------------------------------------------------------
# Opening the case with the check, and what the supervisor sees
# ---------------------------------------------------------------------------------------------

def test_the_opening_keeps_the_check_and_audits_it(graph, org):
    _subject_case(graph, org.agent_b, org.sup_mia)
    out = _check(graph, org.agent_a, _person(), violations=[SMUGGLING, LAUNDERING])

    case = cases.create_case(graph, org.agent_a, {"title": "Operation Egret", "violations": ["18 U.S.C. 545"],
                                                  "deconfliction_check": out["check_uid"]})

    assert case["props"]["deconfliction_check"] == out["check_uid"]
    (created,) = graph.query("MATCH (e:AuditEntry {action: 'create'}) WHERE $c IN e.targets "
                             "RETURN e.targets AS t, e.details AS d", {"c": case["uid"]})
    assert created["t"] == [case["uid"], out["check_uid"]]
    assert json.loads(created["d"]) == {"type": "Case", "case_number": case["props"]["case_number"],
                                        "deconfliction_check": out["check_uid"], "conflicts": 1, "other_cases": 0}
    assert graph.query("MATCH (k:CaseDeconflictionCheck {uid: $u}) RETURN k.case_uid AS c",
                       {"u": out["check_uid"]}) == [{"c": case["uid"]}]


def test_a_check_opens_one_case_of_its_askers_for_the_violations_it_covered(graph, org):
    out = _check(graph, org.agent_a, _person())
    base = {"title": "Operation Egret", "violations": [SMUGGLING]}

    def refused(who, **changes):
        with pytest.raises(ValidationFailed) as exc:
            cases.create_case(graph, who, {**base, "deconfliction_check": out["check_uid"], **changes})
        return exc.value.errors["deconfliction_check"][0]

    assert refused(org.agent_b) == f"no deconfliction check {out['check_uid']} of yours"
    with pytest.raises(ValidationFailed) as exc:
        cases.create_case(graph, org.agent_a, {**base, "deconfliction_check": "no-such-check"})
    assert exc.value.errors["deconfliction_check"] == ["no deconfliction check no-such-check of yours"]
    assert "did not cover 18 USC 1956" in refused(org.agent_a, violations=[SMUGGLING, LAUNDERING])
    graph.query("MATCH (k:CaseDeconflictionCheck {uid: $u}) SET k.asked_at = datetime() - duration('P8D')",
                {"u": out["check_uid"]}, write=True)
    assert "days old" in refused(org.agent_a)
    graph.query("MATCH (k:CaseDeconflictionCheck {uid: $u}) SET k.asked_at = datetime()", {"u": out["check_uid"]},
                write=True)
    cases.create_case(graph, org.agent_a, {**base, "deconfliction_check": out["check_uid"]})
    assert "used to open another case" in refused(org.agent_a)
    assert graph.query("MATCH (c:Case) RETURN count(c) AS n")[0]["n"] == 1


def test_the_browser_form_cannot_open_a_case_without_a_check_but_other_callers_may(graph, org):
    with pytest.raises(ValidationFailed) as exc:
        cases.create_case(graph, org.agent_a, {"title": "Operation Egret"}, require_check=True)
    assert list(exc.value.errors) == ["deconfliction_check"]
    assert "deconfliction_check" not in cases.create_case(graph, org.agent_a, {"title": "Operation Egret"})["props"]


def test_the_supervisor_deciding_the_opening_sees_what_the_check_found_as_far_as_they_may_read(graph, org):
    readable, subject = _subject_case(graph, org.agent_b, org.sup_mia)
    _subject_case(graph, org.agent_b, org.sup_mia, title="Operation Ledger", violations=[LAUNDERING], subject=subject)
    _subject_case(graph, org.agent_nyc, org.sup_nyc, title="Operation Lantern", restricted=True)
    out = _check(graph, org.agent_a, _person())
    case = cases.create_case(graph, org.agent_a, {"title": "Operation Egret", "violations": [SMUGGLING],
                                                  "deconfliction_check": out["check_uid"]})
    workflows.request_case_action(graph, org.agent_a, case["uid"], "open", with_roi(graph, org.agent_a, case["uid"]))

    seen = case_deconfliction.summary_for_case(graph, org.sup_mia, case["uid"])

    assert (seen["checked"], seen["check_uid"], seen["checked_by"]["name"], seen["violations"]) == (
        True, out["check_uid"], "Agent A", [SMUGGLING])
    assert (seen["conflicts"], seen["other_cases"], seen["restricted"]) == (2, 1, 1)
    assert [(c["case_number"], c["conflict"]) for c in seen["cases"]] == [
        (readable["props"]["case_number"], True), (seen["cases"][1]["case_number"], False)]
    assert "Lantern" not in json.dumps(seen)
    views = graph.query("MATCH (e:AuditEntry {action: 'view'}) WHERE e.details CONTAINS 'case_deconfliction_check' "
                        "RETURN e.actor_uid AS a, e.targets AS t")
    assert views[0]["a"] == org.sup_mia.uid and views[0]["t"][:2] == [case["uid"], out["check_uid"]]


def test_a_case_opened_without_a_check_says_so_and_a_hidden_case_answers_as_missing(graph, org):
    case = cases.create_case(graph, org.agent_a, {"title": "Operation Egret"})
    assert case_deconfliction.summary_for_case(graph, org.sup_mia, case["uid"]) == {"checked": False}
    hidden = cases.create_case(graph, org.agent_nyc, {"title": "Operation Lantern", "restricted": True})
    for uid in (hidden["uid"], "no-such-case"):
        with pytest.raises(NotFound) as exc:
            case_deconfliction.summary_for_case(graph, org.agent_a, uid)
        assert str(exc.value) == f"no case {uid}"
