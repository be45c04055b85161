"""Blocking keys of ccms_graph.matching.blocking: a clerk's copy meets its stored record under a shared key."""

import pytest

from ccms_graph.matching import blocking
from ccms_graph.matching.blocking import query_keys, stored_keys

MUST_MEET_ON_GIVEN_YEAR = [
    ("surname typo, day one off", {"given_name": "James", "family_name": "Hernanddz", "dob": "1943-09-02"},
     {"given_name": "James", "family_name": "Hernandez", "dob": "1943-09-01"}),
    ("surname typo, year one off", {"given_name": "Dennis", "family_name": "Zadewyhuk", "dob": "1987-03-06"},
     {"given_name": "Dennis", "family_name": "Zadewihuk", "dob": "1986-03-06"}),
    ("swapped with a typo, day off", {"given_name": "Kojuziso", "family_name": "Vuvya", "dob": "1956-05-21"},
     {"given_name": "Vuvla", "family_name": "Kojuziso", "dob": "1956-05-20"}),
    ("year only on the copy", {"given_name": "Maria", "family_name": "Wadkfci", "dob": "1987"},
     {"given_name": "Maria", "family_name": "Wadafci", "dob": "1987-05-27"}),
]


def _gfy(keys):
    return {k for k in keys if k.startswith("Person:gfy:")}


@pytest.mark.parametrize("label, query, stored", MUST_MEET_ON_GIVEN_YEAR, ids=[c[0] for c in MUST_MEET_ON_GIVEN_YEAR])
def test_given_year_key_meets(label, query, stored):
    assert _gfy(query_keys("Person", query)) & _gfy(stored_keys("Person", stored))


@pytest.mark.parametrize(
    "query, stored",
    [
        ({"given_name": "James", "family_name": "Hernandez", "dob": "1943-09-01"},
         {"given_name": "James", "family_name": "Garcia", "dob": "1943-09-01"}),  # another family initial
        ({"given_name": "James", "family_name": "Hernandez", "dob": "1943-09-01"},
         {"given_name": "James", "family_name": "Hernandez", "dob": "1950-09-01"}),  # another decade
        ({"given_name": "James", "family_name": "Hernandez"},
         {"given_name": "James", "family_name": "Hernandez", "dob": "1943-09-01"}),  # no year: no such key
    ],
)
def test_given_year_key_keeps_others_apart(query, stored):
    assert not _gfy(query_keys("Person", query)) & _gfy(stored_keys("Person", stored))


def test_given_year_key_format():
    rec = {"given_name": "John", "family_name": "de la Cruz", "dob": "1980-05-03"}
    assert _gfy(stored_keys("Person", rec)) == {"Person:gfy:JN|c|1980", "Person:gfy:KRS|j|1980"}
    assert _gfy(query_keys("Person", rec)) == {"Person:gfy:JN|c|1979", "Person:gfy:JN|c|1980", "Person:gfy:JN|c|1981"}


def _ym(keys):
    return {k for k in keys if k.startswith("Person:ym:")}


MUST_MEET_ON_YEAR_MONTH = [
    ("no given name, day one off", {"family_name": "Anderson", "dob": "1982-05-08"},
     {"given_name": "Jofiza", "family_name": "Anderson", "dob": "1982-05-07"}),
    ("no given name, year and day off", {"family_name": "Yusuf", "dob": "2004-04-22"},
     {"given_name": "Frank", "family_name": "Yusuf", "dob": "2005-04-21"}),
    ("day and month swapped, then the day off", {"family_name": "Okafor", "dob": "1990-07-04"},
     {"family_name": "Okafor", "dob": "1990-04-08"}),
    ("month and year only on the copy", {"family_name": "Okafor", "dob": "1990-04"},
     {"given_name": "Ada", "family_name": "Okafor", "dob": "1990-04-08"}),
]


@pytest.mark.parametrize("label, query, stored", MUST_MEET_ON_YEAR_MONTH, ids=[c[0] for c in MUST_MEET_ON_YEAR_MONTH])
def test_year_month_key_meets(label, query, stored):
    assert _ym(query_keys("Person", query)) & _ym(stored_keys("Person", stored))


@pytest.mark.parametrize(
    "query, stored",
    [
        ({"family_name": "Anderson", "dob": "1982-05-08"}, {"family_name": "Anderson", "dob": "1982-06-08"}),
        ({"family_name": "Anderson", "dob": "1982-05-08"}, {"family_name": "Anderson", "dob": "1984-05-08"}),
        ({"family_name": "Anderson", "dob": "1982-05-08"}, {"family_name": "Baker", "dob": "1982-05-08"}),
    ],
    ids=["another month", "two years off", "another surname"],
)
def test_year_month_key_keeps_others_apart(query, stored):
    assert not _ym(query_keys("Person", query)) & _ym(stored_keys("Person", stored))


def test_year_month_key_format():
    rec = {"given_name": "John", "family_name": "de la Cruz", "dob": "1980-05-03"}
    assert _ym(stored_keys("Person", rec)) == {"Person:ym:1980-05|JN", "Person:ym:1980-05|KRS"}
    assert len(_ym(query_keys("Person", rec))) == 3 * 2 * 2  # years either side, month or day as month, two keys


def _within(batch: list[dict], start: int = 0) -> list[list[str]]:
    props = [{"source_ref": f"r{i}", "match_keys": blocking.match_keys_text("Person", r)} for i, r in enumerate(batch)]
    found = blocking.within("Person", batch, [f"u{i}" for i in range(len(batch))], props, start=start)
    return [[c["uid"] for c in cands] for cands in found]


def test_within_a_batch_a_name_one_edit_apart_is_a_candidate_where_no_key_is_shared():
    """The fuzzy name query's stand-in inside an import batch: name words one edit apart."""
    a = {"given_name": "Evander", "family_name": "Quartermaine"}
    b = {"given_name": "Evandre", "family_name": "Xuartermaine"}  # both words mistyped, phonetics differ
    assert not set(blocking.stored_keys("Person", a)) & set(blocking.query_keys("Person", b))
    assert _within([a, b]) == [[], ["u0"]]
    assert _within([a, {"given_name": "Ottilie", "family_name": "Brandt"}]) == [[], []]


def test_within_a_batch_only_earlier_records_are_candidates_and_evidence_is_marked():
    a = {"given_name": "Rosalind", "family_name": "Achterberg", "ssn": "219-09-9999"}
    b = {"given_name": "Kim", "family_name": "Lee", "ssn": "219-09-9989"}  # an SSN one digit apart
    props = [{"match_keys": blocking.match_keys_text("Person", r)} for r in (a, b)]
    found = blocking.within("Person", [a, b], ["u0", "u1"], props)
    assert found[0] == [] and [c["uid"] for c in found[1]] == ["u0"] and found[1][0]["evidence"] is True
    assert _within([a, b, a], start=2) == [["u0", "u1"]]  # records before `start` only answer; best first


def test_within_a_batch_a_shared_name_word_is_not_evidence_whatever_its_letters():
    """Evidence (an identifier, an address or an identifier's slip) is let through screening whatever the
    names say; a name word whose letters spell an evidence prefix ("Ada" less a letter is "ad") is not it."""
    a = {"given_name": "Ada", "family_name": "Quintavalle"}
    b = {"given_name": "Ada", "family_name": "Quintavalli"}
    props = [{"match_keys": blocking.match_keys_text("Person", r)} for r in (a, b)]
    found = blocking.within("Person", [a, b], ["u0", "u1"], props)
    assert [c["uid"] for c in found[1]] == ["u0"] and found[1][0]["evidence"] is False


def test_a_dated_person_asks_the_fuzzy_name_query_for_its_seated_hits_only():
    dated = blocking.probe("Person", {"given_name": "Richadr", "family_name": "Thooas", "dob": "1942-12-22"})
    undated = blocking.probe("Person", {"given_name": "Roert", "family_name": "Gonzalez"})
    year_only = blocking.probe("Person", {"given_name": "Roert", "family_name": "Gonzalez", "dob": "1988"})
    typing = blocking.probe("Person", {"given_name": "Richadr", "family_name": "Thooas", "dob": "1942-12-22"},
                            prefix=True)
    assert dated["name_limit"] == blocking.DATED_NAME_LIMIT == blocking.SEATS
    assert undated["name_limit"] == year_only["name_limit"] == typing["name_limit"] == blocking.NAME_LIMIT
    # Every name word stays fuzzy either way: a given name, surname and date that all slipped
    # share no key, only the two fuzzy words.
    assert "richadr~1" in dated["names"] and "thooas~1" in dated["names"]
    assert "p.name_limit" in blocking.candidate_statement("Person", light=True)
