"""Date-of-birth parsing: full, partial and unparseable values as clerks type them."""

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ccms_graph.matching.dates import parse_dob


@pytest.mark.parametrize(
    "raw, ymd",
    [
        ("1980-05-03", (1980, 5, 3)),
        ("05/03/1980", (1980, 5, 3)),  # US month first
        ("03.05.1980", (1980, 5, 3)),  # European day first, with dots
        ("25/12/1980", (1980, 12, 25)),  # 25 cannot be a month
        ("1 Jan 1980", (1980, 1, 1)),
        ("Jan 1, 1980", (1980, 1, 1)),
        ("3 September 1975", (1975, 9, 3)),
        ("19800503", (1980, 5, 3)),
        ("1980-05-03T00:00:00", (1980, 5, 3)),
        ("05/03/80", (1980, 5, 3)),
        ("1980", (1980, None, None)),
        ("1980-05", (1980, 5, None)),
        ("05/1980", (1980, 5, None)),
        ("January 1980", (1980, 1, None)),
    ],
)
def test_parse_dob(raw, ymd):
    dob = parse_dob(raw)
    assert dob.valid
    assert (dob.year, dob.month, dob.day) == ymd
    assert dob.raw == raw


@pytest.mark.parametrize("raw", ["yesterday", "1980-02-30", "13/13/1980", "0000", "3rd of May", "12/05", "1980-5-3-1"])
def test_unparseable_dob_is_kept_raw(raw):
    dob = parse_dob(raw)
    assert not dob.valid
    assert dob.raw == raw
    assert dob.year is None and dob.iso() is None


@pytest.mark.parametrize("raw", [None, "", "   "])
def test_empty_dob_is_missing(raw):
    assert parse_dob(raw).is_missing


@pytest.mark.parametrize("raw, iso", [("05/03/1980", "1980-05-03"), ("05/1980", "1980-05"), ("1980", "1980")])
def test_iso_form(raw, iso):
    assert parse_dob(raw).iso() == iso


@given(st.text(max_size=30))
def test_parse_dob_never_raises_and_round_trips_through_iso(text):
    dob = parse_dob(text)
    if dob.valid and dob.iso():
        again = parse_dob(dob.iso())
        assert (again.year, again.month, again.day) == (dob.year, dob.month, dob.day)


@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 12, 31)))
def test_every_iso_date_parses(d):
    dob = parse_dob(d.isoformat())
    assert (dob.year, dob.month, dob.day) == (d.year, d.month, d.day)
