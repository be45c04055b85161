"""Cases against the real server: opening a case request, its readable number, and the list of a user's
own cases. One case is read through `access.view_record` (tests/policy); `change_team` and
`set_restricted` are covered in `test_case_team_and_comments.py`.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, date, datetime

import pytest

from ccms_graph.errors import Forbidden, TrainingExpired, ValidationFailed
from ccms_graph.logic.casework import cases


def _fy() -> str:
    return f"FY{cases.fiscal_year(datetime.now(UTC).date()) % 100:02d}"


def _count(graph, label: str) -> int:
    assert label.isidentifier()
    return graph.query(f"MATCH (n:{label}) RETURN count(n) AS n")[0]["n"]


def _creates(graph) -> list[dict]:
    rows = graph.query("""MATCH (e:AuditEntry {action: 'create'}) RETURN e.actor_uid AS actor, e.targets AS targets,
                          e.details AS details ORDER BY e.seq""")
    return [{**r, "details": json.loads(r["details"])} for r in rows]


# ---------------------------------------------------------------------------------------------
# create_case
# ---------------------------------------------------------------------------------------------

def test_a_new_case_is_a_request_owned_by_its_creator_with_its_team_and_an_audit_entry(graph, org):
    out = cases.create_case(graph, org.agent_a, {
        "title": "  Operation Reef  ", "violations": ["18 USC 545", "21 USC 952"],
        "team_uids": [org.agent_b.uid, org.agent_b.uid, org.agent_a.uid]})
    number = f"MIA-{_fy()}-00001"
    assert (out["type"], out["caption"]) == ("Case", f"{number} Operation Reef")
    p = out["props"]
    assert {k: p[k] for k in ("case_number", "title", "status", "approval_status", "owner_uid", "office_code",
                              "restricted", "violations", "violations_text", "version", "deleted")} == {
        "case_number": number, "title": "Operation Reef", "status": "requested", "approval_status": "pending",
        "owner_uid": org.agent_a.uid, "office_code": "MIA", "restricted": False,
        "violations": ["18 USC 545", "21 USC 952"], "violations_text": "18 USC 545 21 USC 952",
        "version": 1, "deleted": False}
    assert p["team_uids"] == sorted({org.agent_a.uid, org.agent_b.uid})  # once each, the owner included
    assert "predication" not in p  # nothing stored for what was not given
    assert p["created_at"] == p["last_activity_at"] and p["created_at"].startswith(str(datetime.now(UTC).year))
    assert graph.query("MATCH (c:Case {uid: $c})-[:OWNED_BY]->(u:User) RETURN u.uid AS u",
                       {"c": out["uid"]}) == [{"u": org.agent_a.uid}]
    assert _creates(graph) == [{"actor": org.agent_a.uid, "targets": [out["uid"]],
                                "details": {"type": "Case", "case_number": number}}]


def test_a_restricted_case_with_its_predication(graph, org):
    out = cases.create_case(graph, org.agent_nyc, {"title": "Operation Nightjar", "restricted": True,
                                                   "predication": "Informant reporting"})
    assert (out["props"]["restricted"], out["props"]["predication"], out["props"]["team_uids"]) == (
        True, "Informant reporting", [org.agent_nyc.uid])


# Each bad input is refused naming its fields; nothing is written, and no case number is used up.
BAD_INPUT = [
    ({}, {"title"}),
    ({"title": "ab"}, {"title"}),
    ({"title": "x" * 301}, {"title"}),
    ({"title": 7}, {"title"}),
    ({"title": "Reef", "violations": "18 USC 545"}, {"violations"}),
    ({"title": "Reef", "violations": [""]}, {"violations"}),
    ({"title": "Reef", "violations": ["18 USC 545"] * 51}, {"violations"}),
    ({"title": "Reef", "predication": "x" * 5001}, {"predication"}),
    ({"title": "Reef", "restricted": "perhaps"}, {"restricted"}),
    ({"title": "Reef", "team_uids": "agent_b"}, {"team_uids"}),
    ({"title": "Reef", "team_uids": ["x"] * 101}, {"team_uids"}),
    ({"title": "Reef", "status": "open"}, {"status"}),  # the status is the workflow's, not the input's
    ({"title": "Reef", "owner_uid": "someone-else"}, {"owner_uid"}),
    ({"title": "ab", "restricted": "perhaps"}, {"title", "restricted"}),
    (["Operation Reef"], {"_schema"}),
]


@pytest.mark.parametrize(("data", "fields"), BAD_INPUT)
def test_bad_input_is_refused_naming_each_field_and_writes_nothing(graph, org, data, fields):
    with pytest.raises(ValidationFailed) as err:
        cases.create_case(graph, org.agent_a, data)
    assert set(err.value.errors) == fields and all(err.value.errors.values())
    assert (_count(graph, "Case"), _count(graph, "Sequence"), _creates(graph)) == (0, 0, [])
    ok = cases.create_case(graph, org.agent_a, {"title": "Operation Reef"})
    assert ok["props"]["case_number"] == f"MIA-{_fy()}-00001"


def test_a_user_of_no_office_cannot_own_a_case(graph, org):
    with pytest.raises(ValidationFailed) as err:
        cases.create_case(graph, replace(org.agent_a, office_code=None), {"title": "Operation Reef"})
    assert set(err.value.errors) == {"office_code"}
    assert _count(graph, "Case") == 0


def test_case_numbers_count_per_office(graph, org):
    made = [(who, cases.create_case(graph, getattr(org, who), {"title": f"Case of {who}"})["props"]["case_number"])
            for who in ("agent_a", "agent_nyc", "agent_b", "agent_port", "sup_mia", "sup_nyc")]
    fy = _fy()
    assert made == [("agent_a", f"MIA-{fy}-00001"), ("agent_nyc", f"NYC-{fy}-00001"),
                    ("agent_b", f"MIA-{fy}-00002"), ("agent_port", f"MIA-PEV-{fy}-00001"),
                    ("sup_mia", f"MIA-{fy}-00003"), ("sup_nyc", f"NYC-{fy}-00002")]


@pytest.mark.parametrize(("day", "fy"), [
    (date(2026, 9, 30), 2026), (date(2026, 10, 1), 2027), (date(2026, 12, 31), 2027), (date(2027, 1, 1), 2027),
    (date(2027, 9, 30), 2027),
])
def test_the_federal_fiscal_year_begins_on_the_first_of_october(day, fy):
    assert cases.fiscal_year(day) == fy


def test_each_fiscal_year_numbers_from_one_again(graph):
    def number(office, day):
        return graph.write(lambda tx: cases.next_case_number(tx, office, day))

    assert [number("MIA", date(2026, 9, 29)), number("MIA", date(2026, 9, 30)), number("MIA", date(2026, 10, 1)),
            number("NYC", date(2026, 10, 1)), number("MIA", date(2026, 9, 30)), number("MIA", date(2026, 11, 2)),
            number("MIA", date(2008, 11, 1))] == [
        "MIA-FY26-00001", "MIA-FY26-00002", "MIA-FY27-00001", "NYC-FY27-00001", "MIA-FY26-00003",
        "MIA-FY27-00002", "MIA-FY09-00001"]


@pytest.mark.parametrize("who", ["auditor", "admin"])
def test_auditors_and_administrators_open_no_cases(graph, org, who):
    with pytest.raises(Forbidden):
        cases.create_case(graph, getattr(org, who), {"title": "Operation Reef"})
    assert _count(graph, "Case") == 0


def test_lapsed_training_opens_no_case(graph, org):
    with pytest.raises(TrainingExpired):
        cases.create_case(graph, replace(org.agent_a, training_expires="2020-01-01"), {"title": "Operation Reef"})
    assert _count(graph, "Case") == 0


@pytest.mark.parametrize("member", ["admin", "auditor", "nobody"])
def test_a_new_cases_team_holds_only_users_who_may_work_on_it(graph, org, member):
    uid = getattr(org, member).uid if member != "nobody" else "no-such-user"
    with pytest.raises(ValidationFailed) as err:
        cases.create_case(graph, org.agent_a, {"title": "Operation Reef", "team_uids": [uid]})
    assert set(err.value.errors) == {"team_uids"}


def test_a_title_of_only_spaces_is_refused(graph, org):
    with pytest.raises(ValidationFailed) as err:
        cases.create_case(graph, org.agent_a, {"title": "     "})
    assert set(err.value.errors) == {"title"}


# ---------------------------------------------------------------------------------------------
# my_cases: what each user finds among their own cases, and a supervisor among their subordinates'
# ---------------------------------------------------------------------------------------------

# agent_a owns "Reef", with agent_b on its team, and the restricted "Nightjar"; sup_nyc owns a case of NYC.
SEES = [
    ("agent_a", ["Nightjar", "Reef"]),  # the owner, restricted or not
    ("agent_b", ["Reef"]),              # on the team
    ("analyst_mia", []),                # the same office: may read Reef, but it is not hers
    ("agent_port", []),                 # a port within the office
    ("sup_mia", ["Nightjar", "Reef"]),  # the owner's supervisor: their subordinates' cases, restricted too
    ("chief", ["Nightjar", "Reef"]),    # and the supervisor above them
    ("sup_nyc", ["Someone else's"]),    # their own case; agent_a does not report to them
    ("agent_nyc", []),                  # another office
    ("auditor", []),                    # reads everything, owns nothing
]


@pytest.mark.parametrize(("who", "titles"), SEES)
def test_my_cases_are_the_ones_i_own_or_am_on_the_team_of(graph, org, who, titles):
    cases.create_case(graph, org.agent_a, {"title": "Reef", "team_uids": [org.agent_b.uid]})
    cases.create_case(graph, org.agent_a, {"title": "Nightjar", "restricted": True})
    cases.create_case(graph, org.sup_nyc, {"title": "Someone else's"})
    got = cases.my_cases(graph, getattr(org, who))
    assert sorted(c["props"]["title"] for c in got) == titles
    assert all(c["type"] == "Case" and c["caption"].endswith(c["props"]["title"]) for c in got)
    relations = {c["props"]["title"]: c["relation"] for c in got}
    if who in ("sup_mia", "chief"):
        assert relations == {"Nightjar": "subordinate", "Reef": "subordinate"}
        assert {c["owner_name"] for c in got} == {"Agent A"}
    if who == "agent_b":
        assert relations == {"Reef": "team"}


def test_my_cases_come_newest_activity_first(graph, org):
    uids = {t: cases.create_case(graph, org.agent_a, {"title": t})["uid"] for t in ("Alpha", "Bravo", "Charlie")}
    for title, at in (("Alpha", "2026-11-03T10:00:00Z"), ("Bravo", "2026-11-01T10:00:00Z"),
                      ("Charlie", "2026-11-02T10:00:00Z")):
        graph.query("MATCH (c:Case {uid: $u}) SET c.last_activity_at = datetime($at)",
                    {"u": uids[title], "at": at}, write=True)
    assert [c["props"]["title"] for c in cases.my_cases(graph, org.agent_a)] == ["Alpha", "Charlie", "Bravo"]


def test_lapsed_training_lists_no_cases(graph, org):
    cases.create_case(graph, org.agent_a, {"title": "Operation Reef"})
    with pytest.raises(TrainingExpired):
        cases.my_cases(graph, replace(org.agent_a, training_expires="2020-01-01"))
