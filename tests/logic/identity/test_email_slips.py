"""An e-mail address copied with a slip is still evidence of the same subject: a copy that shares only a
first name, a date of birth and a mistyped address reaches the stored record's owner, on the real server;
numbered mailboxes of one name stay two people's."""

from __future__ import annotations

from ccms_graph.logic.casework.cases import create_case
from ccms_graph.logic.identity import deconfliction
from ccms_graph.logic.oversight import notifications
from tests.factories import make_person


def _row(candidate: dict, field: str) -> dict:
    (row,) = [r for r in candidate["explanation"] if r["field"] == field]
    return row


def test_a_copy_whose_email_lost_a_letter_reaches_the_owner_with_the_slip_explained(graph, org):
    case = create_case(graph, org.agent_b, {"title": "Operation Kestrel"})
    theirs = make_person(graph, org.agent_b, case_uid=case["uid"], given_name="Theodore", family_name="Morris",
                         dob="1978-08-19", emails=["t.morris39@brooks-sawyer.com"])

    # A first name and a date two slips off (the year and the day) say too little alone:
    alone = deconfliction.search_candidates(graph, org.agent_a, "Person",
                                            {"given_name": "Theodore", "dob": "1979-08-20", "emails": ["tm@x.org"]})
    assert [c["decision"] for c in alone] == ["no_match"]

    mine = make_person(graph, org.agent_a, given_name="Theodore", family_name=None, dob="1979-08-20",
                       emails=["t.morris39@brooks-sawer.com"], separate_reason="kept apart until compared")

    (hit,) = mine["hits"]
    assert hit["uid"] == theirs["uid"] and hit["decision"] in ("match", "possible")
    row = _row(hit, "emails")
    assert row["level"] == "typo" and row["weight"] > 0
    told = [n for n in notifications.inbox(graph, org.agent_b) if n["kind"] == "deconfliction_hit"]
    assert len(told) == 1


def test_two_slips_in_a_long_address_are_close_and_weigh_less_than_one(graph, org):
    make_person(graph, org.agent_b, given_name="Gabriel", family_name="Thomas", dob="1977-09-13",
                emails=["gabriel.t54@nichols.info"])
    probe = {"given_name": "Gabriel", "family_name": "Thomas", "dob": "1977-09-13"}

    one = deconfliction.search_candidates(graph, org.agent_a, "Person", {**probe, "emails": ["gabriel.t54@nichols.inf"]})
    two = deconfliction.search_candidates(graph, org.agent_a, "Person", {**probe, "emails": ["gabriel.t54@nnichls.info"]})

    typo, close = _row(one[0], "emails"), _row(two[0], "emails")
    assert (typo["level"], close["level"]) == ("typo", "close")
    assert typo["weight"] > close["weight"] > 0


def test_numbered_mailboxes_of_one_name_are_not_a_slip(graph, org):
    theirs = make_person(graph, org.agent_b, given_name="John", family_name="Smith", dob="1961-02-03",
                         emails=["john.smith12@example.com"])

    found = deconfliction.search_candidates(graph, org.agent_a, "Person",
                                            {"given_name": "John", "family_name": "Smith", "dob": "1990-11-25",
                                             "emails": ["john.smith13@example.com"]})

    (candidate,) = [c for c in found if c.get("uid") == theirs["uid"]]
    row = _row(candidate, "emails")
    assert row["level"] == "disagree" and row["weight"] == 0
    assert candidate["decision"] == "no_match"
