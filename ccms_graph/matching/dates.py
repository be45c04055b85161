"""Parse dates of birth, full or partial, from the formats clerks type, without ever raising."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date
from functools import lru_cache

_MONTHS = {
    name: i
    for i, names in enumerate(
        [
            ("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"),
            ("may",), ("jun", "june"), ("jul", "july"), ("aug", "august"),
            ("sep", "sept", "september"), ("oct", "october"), ("nov", "november"), ("dec", "december"),
        ],
        start=1,
    )
    for name in names
}

#: Years outside this window are treated as typos, not birth years.
MIN_YEAR = 1880
MAX_YEAR = 2100


@dataclass(frozen=True)
class Dob:
    """A date of birth; year/month/day are None where unknown. `valid=False` keeps only `raw`."""

    year: int | None = None
    month: int | None = None
    day: int | None = None
    raw: str = ""
    valid: bool = True

    @property
    def is_full(self) -> bool:
        return self.valid and None not in (self.year, self.month, self.day)

    @property
    def is_missing(self) -> bool:
        return not self.valid or self.year is None

    def iso(self) -> str | None:
        """YYYY, YYYY-MM or YYYY-MM-DD; None when invalid or empty."""
        if self.is_missing:
            return None
        out = f"{self.year:04d}"
        if self.month is not None:
            out += f"-{self.month:02d}"
            if self.day is not None:
                out += f"-{self.day:02d}"
        return out


def _build(raw: str, y: int, m: int | None = None, d: int | None = None) -> Dob | None:
    if not MIN_YEAR <= y <= MAX_YEAR:
        return None
    if m is not None and not 1 <= m <= 12:
        return None
    if d is not None:
        try:
            date(y, m or 1, d)
        except ValueError:
            return None
    return Dob(y, m, d, raw, True)


def _two_digit_year(y: str) -> int:
    # A two-digit birth year is read as 19xx unless that would be in the future, else 20xx.
    n = int(y)
    return 1900 + n if 1900 + n <= date.today().year else 2000 + n


_NUM = re.compile(r"^(\d{1,4})[-/. ](\d{1,2})(?:[-/. ](\d{1,4}))?$")
_WORDY = re.compile(r"^(?:(\d{1,2})\s+)?([a-z]+)\.?,?\s+(?:(\d{1,2})(?:st|nd|rd|th)?,?\s+)?(\d{4})$")


def parse_dob(raw: object) -> Dob:
    """Parse a date of birth; unparseable input comes back with valid=False and the raw text.

    Accepts YYYY, YYYYMMDD, YYYY-MM, YYYY-MM-DD, MM/YYYY, MM/DD/YYYY (US order), DD.MM.YYYY
    (European order, dots), DD-MM-YYYY when the first number cannot be a month, "1 Jan 1980",
    "Jan 1, 1980" and "January 1980". A datetime.date is taken as is.
    """
    if isinstance(raw, date):
        return Dob(raw.year, raw.month, raw.day, raw.isoformat(), True)
    return _parse_text("" if raw is None else str(raw))


@lru_cache(maxsize=1 << 16)
def _parse_text(value: str) -> Dob:
    """`parse_dob` of text, remembered (a `Dob` is immutable): deconfliction reads the same dates of
    birth many times over (a batch's candidates; about 30,000 distinct dates among 1M people)."""
    text = value.strip()
    if not text:
        return Dob(raw="", valid=False)
    parsed = _parse(text.lower().replace(",", " ").strip())
    return replace(parsed, raw=text) if parsed else Dob(raw=text, valid=False)


def _parse(t: str) -> Dob | None:
    t = " ".join(t.split())
    t = t.split("t")[0] if re.match(r"^\d{4}-\d\d-\d\dt", t) else t  # ISO datetime
    if re.fullmatch(r"\d{4}", t):
        return _build(t, int(t))
    if re.fullmatch(r"\d{8}", t):
        return _build(t, int(t[:4]), int(t[4:6]), int(t[6:]))
    m = _NUM.match(t)
    if m:
        a, b, c = m.group(1), m.group(2), m.group(3)
        sep = t[len(a)]
        if len(a) == 4:  # YYYY-MM[-DD]
            return _build(t, int(a), int(b), int(c) if c else None)
        if c is None:  # MM/YYYY would need a 4-digit second part
            return None
        if len(b) > 2 or len(c) not in (2, 4):
            return None
        year = int(c) if len(c) == 4 else _two_digit_year(c)
        first, second = int(a), int(b)
        if sep == "." or first > 12:  # DD.MM.YYYY, or DD/MM/YYYY when DD cannot be a month
            return _build(t, year, second, first)
        return _build(t, year, first, second)  # MM/DD/YYYY
    m = re.fullmatch(r"(\d{1,2})[-/. ](\d{4})", t)
    if m:  # MM/YYYY
        return _build(t, int(m.group(2)), int(m.group(1)))
    m = _WORDY.match(t)
    if m and m.group(2) in _MONTHS:
        day = m.group(1) or m.group(3)
        if m.group(1) and m.group(3):
            return None
        return _build(t, int(m.group(4)), _MONTHS[m.group(2)], int(day) if day else None)
    return None
