"""Normalize postal addresses (US-style abbreviations, case, punctuation) into a comparable key."""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache

import usaddress

from ccms_graph.matching.names import ascii_text

# USPS Publication 28 suffix and unit abbreviations (the common ones), plus directionals.
_ABBREVIATIONS = {
    "street": "st", "str": "st", "avenue": "ave", "av": "ave", "boulevard": "blvd", "road": "rd",
    "drive": "dr", "lane": "ln", "court": "ct", "place": "pl", "square": "sq", "terrace": "ter",
    "parkway": "pkwy", "highway": "hwy", "circle": "cir", "trail": "trl", "way": "way",
    "expressway": "expy", "freeway": "fwy", "plaza": "plz", "point": "pt", "route": "rte",
    "mount": "mt", "fort": "ft", "saint": "st", "heights": "hts", "center": "ctr", "centre": "ctr",
    "apartment": "apt", "suite": "ste", "unit": "unit", "building": "bldg", "floor": "fl",
    "room": "rm", "number": "", "no": "",
    "north": "n", "south": "s", "east": "e", "west": "w",
    "northeast": "ne", "northwest": "nw", "southeast": "se", "southwest": "sw",
}

_STATES = {
    "alabama": "al", "alaska": "ak", "arizona": "az", "arkansas": "ar", "california": "ca",
    "colorado": "co", "connecticut": "ct", "delaware": "de", "district of columbia": "dc",
    "florida": "fl", "georgia": "ga", "hawaii": "hi", "idaho": "id", "illinois": "il", "indiana": "in",
    "iowa": "ia", "kansas": "ks", "kentucky": "ky", "louisiana": "la", "maine": "me", "maryland": "md",
    "massachusetts": "ma", "michigan": "mi", "minnesota": "mn", "mississippi": "ms", "missouri": "mo",
    "montana": "mt", "nebraska": "ne", "nevada": "nv", "new hampshire": "nh", "new jersey": "nj",
    "new mexico": "nm", "new york": "ny", "north carolina": "nc", "north dakota": "nd", "ohio": "oh",
    "oklahoma": "ok", "oregon": "or", "pennsylvania": "pa", "rhode island": "ri",
    "south carolina": "sc", "south dakota": "sd", "tennessee": "tn", "texas": "tx", "utah": "ut",
    "vermont": "vt", "virginia": "va", "washington": "wa", "west virginia": "wv", "wisconsin": "wi",
    "wyoming": "wy", "puerto rico": "pr", "guam": "gu", "virgin islands": "vi",
}

_COUNTRIES = {"us": "us", "usa": "us", "united states": "us", "united states of america": "us"}


def normalize_line(line: object) -> str:
    """A street line with case, punctuation and suffix/directional spellings made uniform."""
    words = (_ABBREVIATIONS.get(w, w) for w in ascii_text(line).split())
    return " ".join(w for w in words if w)


#: Spellings of one street line that `normalize_line` leaves apart, made one for comparing two lines
#: only (Address nodes keep `normalize_line`'s keys): the first ordinals written in figures ("9th Ave",
#: "Ninth Ave"), as words so that they stay the street's name rather than a house number
#: (`street_parts`), and "blv" for a boulevard.
_COMPARED_WORDS = {
    "1st": "first", "2nd": "second", "3rd": "third", "4th": "fourth", "5th": "fifth", "6th": "sixth",
    "7th": "seventh", "8th": "eighth", "9th": "ninth", "10th": "tenth", "11th": "eleventh", "12th": "twelfth",
    "blv": "blvd",
}


@lru_cache(maxsize=1 << 16)
def comparable_line(line: str) -> str:
    """A normalized street line with the spellings `_COMPARED_WORDS` names made one."""
    return " ".join(_COMPARED_WORDS.get(w, w) for w in line.split())


@lru_cache(maxsize=1 << 14)
def comparable_city(city: str) -> str:
    """A normalized city as two records of one place may both write it: directionals and "Saint",
    "Fort", "Mount" abbreviated as in street lines ("W. Hollywood", "West Hollywood"), a trailing "city"
    left off ("New York City", "New York"), and no spaces ("Mill Park", "Millpark")."""
    words = normalize_line(city).split()
    if len(words) > 1 and words[-1] == "city":
        words.pop()
    return "".join(words)


def street_parts(line: str) -> tuple[frozenset[str], tuple[str, ...]]:
    """(the tokens with a digit: house, unit and lot numbers; the other words, in order) of a
    normalized street line."""
    tokens = line.split()
    numbers = frozenset(t for t in tokens if any(c.isdigit() for c in t))
    return numbers, tuple(t for t in tokens if t not in numbers)


def house_and_street(line: str) -> tuple[str, str]:
    """(house number, street name): the first word after a number in a normalized street line and
    that number (("9", "rodway") in "9 rodway st", ("12", "main") in "apt 4 12 main st");
    ('', '') when there is none."""
    tokens = line.split()
    for before, word in zip(tokens, tokens[1:], strict=False):
        if any(c.isdigit() for c in before) and not any(c.isdigit() for c in word):
            return before, word
    return "", ""


def normalize_state(state: object) -> str:
    """Two-letter code for a US state name; other values lowercased ASCII."""
    s = ascii_text(state)
    return _STATES.get(s, s)


def normalize_postcode(postcode: object) -> str:
    """Uppercase alphanumerics; a US ZIP+4 is cut to its five digits."""
    p = ascii_text(postcode).replace(" ", "").upper()
    return p[:5] if len(p) == 9 and p.isdigit() else p


#: The address fields `normalize_address` reads.
_PARTS = ("line1", "line2", "city", "state", "postcode", "country")


def normalize_address(addr: Mapping[str, object] | None) -> dict[str, str]:
    """All address parts normalized; missing parts are ''. A new dict on each call (callers may change it)."""
    a = addr or {}
    parts = tuple(a.get(k) for k in _PARTS)
    if all(x is None or isinstance(x, str) for x in parts):
        return dict(_normalized(*parts))
    return dict(_normalize(*parts))


@lru_cache(maxsize=1 << 16)
def _normalized(*parts: str | None) -> tuple[tuple[str, str], ...]:
    """`_normalize` of text parts, remembered: deconfliction normalizes the same stored addresses many
    times over (each candidate's, for each record it is scored against, and for its keys)."""
    return _normalize(*parts)


def _normalize(line1: object, line2: object, city: object, state: object, postcode: object,
               country: object) -> tuple[tuple[str, str], ...]:
    c = ascii_text(country)
    return (("line", " ".join(x for x in (normalize_line(line1), normalize_line(line2)) if x)),
            ("city", ascii_text(city)), ("state", normalize_state(state)), ("postcode", normalize_postcode(postcode)),
            ("country", _COUNTRIES.get(c, c)))


def address_key(addr: Mapping[str, object] | None) -> str:
    """"line|city|state|postcode" in normalized form; '' when the address has no street line.

    Country is left out (most records omit it); a street line without city and postcode still
    yields a key, so compare keys only together with their parts where that matters.
    """
    n = normalize_address(addr)
    if not n["line"]:
        return ""
    return "|".join((n["line"], n["city"], n["state"], n["postcode"]))


def place_key(record_uid: str, addr: Mapping[str, object] | None) -> str:
    """"place|<record uid>|city|state|postcode|country" in normalized form for an address known without a
    street (a city or a postcode, "Hialeah, FL"); '' when it names neither, or has a street line (that is an
    `address_key`). A place is its record's own: two people of one town share no Address node, so the
    town does not link everyone in it, as a shared street address links a household."""
    n = normalize_address(addr)
    if n["line"] or not (n["city"] or n["postcode"]):
        return ""
    return "|".join(("place", record_uid, n["city"], n["state"], n["postcode"], n["country"]))


#: usaddress's labels -> the address part a one-cell address's words go to (the rest: the street line).
_CELL_PARTS = {"OccupancyType": "line2", "OccupancyIdentifier": "line2", "SubaddressType": "line2",
               "SubaddressIdentifier": "line2", "PlaceName": "city", "StateName": "state", "ZipCode": "postcode",
               "CountryName": "country"}


def split_one_cell(text: str) -> dict[str, str] | None:
    """A whole address written in one cell ("170 Post St, Apt 4, San Francisco") as {line1, line2, city,
    state, postcode, country} (the parts it names), or None when it cannot be read with confidence.

    usaddress (a CRF trained on US addresses) labels the words; its reading is taken only when it finds
    a street (a house number and a street name, or a post-office box) and a place, and labels nothing
    twice, so a foreign or run-together address stays as it was written. A cell that names a town and
    its state and nothing else ("Miami, FL", "Springfield, IL 62701") is that place: {city, state,
    postcode}, no street line (a place, `place_key`, not one street address shared by the whole town).
    """
    try:
        tagged, kind = usaddress.tag(text)  # label -> its words, in the order the labels come
    except (usaddress.RepeatedLabelError, ValueError):
        return None
    has_street = ("AddressNumber" in tagged and "StreetName" in tagged) or "USPSBoxID" in tagged
    a_place = set(tagged) in ({"PlaceName", "StateName"}, {"PlaceName", "StateName", "ZipCode"})
    if not a_place and (kind not in ("Street Address", "PO Box") or not has_street or "PlaceName" not in tagged):
        return None
    out: dict[str, list[str]] = {}
    for label, words in tagged.items():
        out.setdefault(_CELL_PARTS.get(label, "line1"), []).append(words.strip(" ,;"))
    return {part: " ".join(w for w in ws if w) for part, ws in out.items() if any(ws)}
