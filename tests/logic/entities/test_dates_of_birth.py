"""A date of birth typed into a form or sent to the API reads as a date that has passed; a file's is kept."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest

from ccms_graph.errors import ValidationFailed
from ccms_graph.logic.entities import imports, records
from ccms_graph.logic.identity import deconfliction
from ccms_graph.validation import dob_refusal
from tests.factories import stored_record

TOMORROW = (date.today() + timedelta(days=1)).isoformat()
NEXT_YEAR = str(date.today().year + 1)


def _people(graph) -> int:
    return graph.query("MATCH (n:Person) RETURN count(n) AS n")[0]["n"]


@pytest.mark.parametrize("dob, says", [
    ("sometime in the 70s", "is not a date of birth this system can read"),
    ("1975-02-30", "is not a date of birth this system can read"),
    ("02/30/1975", "is not a date of birth this system can read"),
    (TOMORROW, "is after today"),
    (NEXT_YEAR, "is after today"),
])
def test_a_create_with_a_dob_that_is_no_past_date_is_refused_naming_dob_and_writes_nothing(graph, org, dob, says):
    before = _people(graph)
    with pytest.raises(ValidationFailed) as refused:
        records.create_entity(graph, org.agent_a, "Person", {"given_name": "Ana", "family_name": "Silva", "dob": dob})
    assert list(refused.value.errors) == ["dob"]
    assert says in refused.value.errors["dob"][0] and repr(dob) in refused.value.errors["dob"][0]
    assert _people(graph) == before


def test_an_edit_to_an_unreadable_dob_is_refused_and_the_record_keeps_its_date(graph, org):
    p = records.create_entity(graph, org.agent_a, "Person", {"given_name": "Ana", "family_name": "Silva",
                                                             "dob": "1985-02-28"})
    with pytest.raises(ValidationFailed) as refused:
        records.update_entity(graph, org.agent_a, p["uid"], {"dob": "1985-02-31"}, expected_version=1)
    assert list(refused.value.errors) == ["dob"]
    stored = stored_record(graph, p["uid"])["props"]
    assert (stored["dob"], stored["version"]) == ("1985-02-28", 1)


@pytest.mark.parametrize("dob", ["1985-02-28", "19850228", "02/28/1985", "28.02.1985", "1985-02", "1985",
                                 "Feb 1985", date.today().isoformat()])
def test_every_form_of_a_past_date_is_accepted(dob):
    assert dob_refusal(dob) is None


def test_what_is_known_of_a_partial_date_is_compared_with_today():
    today = date(2026, 12, 4)
    assert dob_refusal("2026-12", today) is None and dob_refusal("2026", today) is None
    assert "after today" in dob_refusal("2027-01", today) and "after today" in dob_refusal("2026-12-05", today)


def test_the_query_before_a_create_reads_a_date_still_being_typed(graph, org):
    records.create_entity(graph, org.agent_a, "Person", {"given_name": "Ana", "family_name": "Silva",
                                                         "dob": "1985-02-28"})
    found = deconfliction.search_candidates(graph, org.agent_a, "Person",
                                            {"given_name": "Ana", "family_name": "Silva", "dob": "1985-0"})
    assert [c["caption"] for c in found] == ["Ana Silva"]


def test_an_import_keeps_a_files_date_as_written_flagged_and_says_why_where_a_form_would_refuse_it(graph, org):
    lines = [json.dumps({"ref": "F1", "given_name": "Rui", "family_name": "Costa", "dob": TOMORROW}),
             json.dumps({"ref": "F2", "given_name": "Eva", "family_name": "Costa", "dob": "1985-02-30"}),
             json.dumps({"ref": "F3", "given_name": "Ana", "family_name": "Costa", "dob": "1985-02-28"})]
    out = imports.import_jsonl(graph, org.agent_a, "Person", lines)
    assert out["created"] == 3 and out["refused"] == []
    assert [(w["line"], w["flagged"]) for w in out["warnings"]] == [(1, ["dob"]), (2, ["dob"])]
    assert "is after today" in out["warnings"][0]["problems"]["dob"]
    assert "not a date of birth this system can read" in out["warnings"][1]["problems"]["dob"]
    stored = {r["ref"]: (r["dob"], r["day"], r["flagged"]) for r in graph.query(
        "MATCH (n:Person) WHERE n.source_ref IN ['F1', 'F2', 'F3'] "
        "RETURN n.source_ref AS ref, n.dob AS dob, n.dob_day AS day, n.dob_flagged AS flagged", {})}
    # a date after today is still read as that date (the matching compares it), but flagged for a person to check
    assert stored == {"F1": (TOMORROW, int(TOMORROW[-2:]), True), "F2": ("1985-02-30", None, True),
                      "F3": ("1985-02-28", 28, False)}
