"""Synthetic records of all six Subject Record types, in clusters with ground truth, for the peer benchmark.

Each individual (a person, business, vehicle, vessel, aircraft or thing) is written as a cluster of
records: 30% of individuals have one record, the rest two to five (`CLUSTER_SIZES`). The first record
of a cluster is the original entry with every field the individual has; the others are clerks'
re-entries of it, each filed in ANOTHER case of ANOTHER agent (cases of three offices, `CASES`), as
happens when two offices work the same subject without knowing it. Copies carry fewer fields than
the original (each optional field kept with `KEEP[profile]`) and corruptions:

* names: typos, nicknames, swapped given/family, transliteration variants, a dropped half of a
  hyphenated surname (all as `generate_persons.py` makes them), and REPLACED names: a married name
  (a new family name, the old one sometimes kept as an alias) or an alias given name; businesses
  renamed to their trade name, vessels renamed;
* dates: day/month transposed, off by a day or a year, missing;
* identifiers: one character substituted, or two adjacent characters transposed, in the SSN,
  A-Number, driver's licence, phone, EIN, VIN (also an O typed for a 0), plate, hull id, IMO, MMSI,
  N-number, ICAO24, serial or IMEI; re-registration (a new plate, N-number) or reflagging;
* addresses: a typo in the street, "Street" written "St", a move to another address, and
  ADDRESS-ONLY copies that keep nothing but the name (persons: given and family name; businesses:
  the name) and the address.

Identifiers are valid where they have a check: VINs carry their check digit (position 9), IMO
numbers theirs, IMEIs pass Luhn, SSNs avoid the never-issued areas; EINs use real IRS prefixes;
N-numbers follow the FAA's pattern; ICAO24 addresses are in the US block (a00001-adf7c7) but are
drawn at random, not derived from the N-number. A corrupted identifier usually fails its check,
as a clerk's slip does.

Look-alikes that are NOT the same individual, to test precision: people drawn by census name
frequencies (namesakes), 8% of people in the household of an earlier person (same family name,
address and sometimes phone; another given name and date of birth), businesses sharing a name core
with another (Garcia Logistics LLC / Garcia Logistics Inc of another city), vehicles of the same
make, model, year and colour, vessels of the same name, things with the same description, and
currency or narcotics seizures with no identifier at all (singletons).

Profiles (`PROFILES`): `clerical` gives each kind of corruption a `CLERICAL_RATE` chance on each copy
(most copies are exact but sparser); `stress` puts one to three corruptions on every copy.

Outputs, for each type: `<out>.<type>.jsonl` in the import format (`ccms-graph import --type TYPE`)
and `<out>.<type>.truth.jsonl`, one line per record: `{"ref", "cluster", "case", "office", "owner",
"original", "corruptions"}`. The ground truth lives in the side file because the import drops
unknown keys such as `_cluster` with a warning per line. `case` and `owner` are logical names
(`CASES`); `peer.py` creates those offices, agents and cases and imports each case's records as its
agent. Refs are opaque ("P0004711"): they say nothing about the cluster.

    python benchmarks/generate_entities.py --types person,vehicle --count 1000 --profile clerical --out /tmp/e
"""

from __future__ import annotations

import argparse
import json
import random
import string
from collections.abc import Callable
from dataclasses import dataclass, field

import generate_persons as gen

from ccms_graph.matching.identifiers import imo_check_ok, luhn_ok, vin_check_digit_ok

TYPES = ("person", "business", "vehicle", "vessel", "aircraft", "thing")
PROFILES = ("clerical", "stress")
#: Chance of each kind of corruption on one copy in the clerical profile (the literature's 2-5% per field).
CLERICAL_RATE = gen.CLERICAL_RATE
#: Chance that a copy keeps each optional field the original has.
KEEP = {"clerical": 0.85, "stress": 0.65}
#: Records per individual: size -> weight.
CLUSTER_SIZES = {1: 30, 2: 30, 3: 20, 4: 12, 5: 8}

#: The offices, agents and cases records are filed in: (office code, office name, owner username, case key).
CASES = [(office, name, f"bench_{office[1:].lower()}_{n}", f"{office}-{n}")
         for office, name in (("BMIA", "Benchmark Miami"), ("BNYC", "Benchmark New York"),
                              ("BHOU", "Benchmark Houston"))
         for n in (1, 2)]

# ---------------------------------------------------------------------------------------------
# Identifier helpers
# ---------------------------------------------------------------------------------------------

DIGITS = string.digits
LETTERS = string.ascii_uppercase
VIN_CHARS = "0123456789ABCDEFGHJKLMNPRSTUVWXYZ"


def with_check(body: str, position: int, check: Callable[[str], bool], alphabet: str = DIGITS) -> str:
    """`body` with the character at `position` replaced by the one that passes `check` (a checksum)."""
    for c in alphabet:
        candidate = body[:position] + c + body[position + 1:]
        if check(candidate):
            return candidate
    raise ValueError(f"no check character makes {body!r} valid")


def make_vin(rng: random.Random, wmi: str) -> str:
    """A 17-character VIN starting with the maker's WMI, with its check digit (position 9)."""
    body = wmi + "".join(rng.choice(VIN_CHARS) for _ in range(17 - len(wmi)))
    return with_check(body, 8, vin_check_digit_ok, DIGITS + "X")


def make_imo(rng: random.Random) -> str:
    return with_check(str(rng.randint(1, 9)) + "".join(rng.choice(DIGITS) for _ in range(6)), 6, imo_check_ok)


def make_imei(rng: random.Random) -> str:
    """A 15-digit IMEI (a real reporting-body prefix) whose last digit is its Luhn check."""
    body = rng.choice(("35", "86", "01", "99")) + "".join(rng.choice(DIGITS) for _ in range(13))
    return with_check(body, 14, luhn_ok)


#: IRS campus prefixes an EIN may start with.
EIN_PREFIXES = ("01", "02", "03", "04", "05", "06", "10", "12", "20", "26", "27", "30", "32", "35", "36", "37",
                "38", "41", "45", "46", "51", "52", "54", "56", "59", "61", "65", "74", "75", "77", "81", "83",
                "84", "86", "87", "88", "91", "92", "93", "98")


def make_ein(rng: random.Random) -> str:
    return f"{rng.choice(EIN_PREFIXES)}-{rng.randint(0, 9_999_999):07d}"


def make_n_number(rng: random.Random, used: set[str]) -> str:
    """An FAA registration not in `used` (the FAA assigns each to one aircraft at a time): N, a digit
    1-9, then two to four more digits, or digits ending in one or two letters (five at most)."""
    letters = "ABCDEFGHJKLMNPQRSTUVWXYZ"  # no I or O
    while True:
        head = str(rng.randint(1, 9)) + "".join(rng.choice(DIGITS) for _ in range(rng.randint(2, 4)))
        tail = "".join(rng.choice(letters) for _ in range(rng.choice((0, 1, 2))))
        number = "N" + (head + tail)[:5]
        if number not in used:
            used.add(number)
            return number


def make_hin(rng: random.Random) -> str:
    """A US hull id: maker code, five serial characters, month letter, year digit, model year."""
    year = rng.randint(1990, 2024)
    return ("".join(rng.choice(LETTERS) for _ in range(3)) + "".join(rng.choice(VIN_CHARS) for _ in range(5))
            + rng.choice("ABCDEFGHIJKL") + str(year % 10) + f"{(year + rng.choice((0, 1))) % 100:02d}")


def char_typo(rng: random.Random, value: str, transpose: bool = False, avoid: str = "", hexadecimal: bool = False) -> str:
    """One clerk's slip in an identifier: a character substituted by another of its kind (a hex digit
    by a hex digit when `hexadecimal`), or (with `transpose`) two adjacent differing characters
    swapped. Separators and the format are kept."""
    pos = [i for i, c in enumerate(value) if c.isalnum()]
    if len(pos) < 2:
        return value + "1"
    chars = list(value)
    if transpose:
        pairs = [(a, b) for a, b in zip(pos, pos[1:], strict=False) if chars[a] != chars[b]]
        if pairs:
            a, b = rng.choice(pairs)
            chars[a], chars[b] = chars[b], chars[a]
            return "".join(chars)
    i = rng.choice(pos)
    if hexadecimal:
        pool = "0123456789abcdef"
    else:
        pool = DIGITS if chars[i].isdigit() else (string.ascii_lowercase if chars[i].islower() else LETTERS)
    chars[i] = rng.choice([c for c in pool if c != chars[i] and c not in avoid])
    return "".join(chars)


def _ascii_word(text: str) -> str:
    return "".join(c for c in text.lower() if c in string.ascii_lowercase)


# ---------------------------------------------------------------------------------------------
# Addresses
# ---------------------------------------------------------------------------------------------

STREETS = ["Main", "Oak", "Pine", "Maple", "Cedar", "Elm", "Washington", "Lake", "Hill", "Park", "Sunset",
           "Biscayne", "Flagler", "Collins", "Coral Way", "Atlantic", "Harbor", "Bay", "Palm", "Ocean",
           "Navigation", "Clinton", "Westheimer", "Bellaire", "Canal", "Jamaica", "Fulton", "Broadway",
           "Lexington", "Jefferson", "Madison", "Lincoln", "Franklin", "Highland", "Ridge", "River", "Mill",
           "Church", "Spring", "Center", "Union", "Walnut", "Chestnut", "Magnolia", "Orchard", "Poinciana"]
SUFFIXES = {"Street": "St", "Avenue": "Ave", "Boulevard": "Blvd", "Road": "Rd", "Drive": "Dr", "Court": "Ct",
            "Lane": "Ln", "Place": "Pl", "Terrace": "Ter"}
CITIES = [("Miami", "FL", "331"), ("Hialeah", "FL", "330"), ("Fort Lauderdale", "FL", "333"),
          ("New York", "NY", "100"), ("Brooklyn", "NY", "112"), ("Newark", "NJ", "071"),
          ("Houston", "TX", "770"), ("Pasadena", "TX", "775"), ("Laredo", "TX", "780")]


def make_address(rng: random.Random) -> dict:
    city, state, zip3 = rng.choice(CITIES)
    addr = {"line1": f"{rng.randint(1, 19999)} {rng.choice(STREETS)} {rng.choice(list(SUFFIXES))}",
            "city": city, "state": state, "postcode": f"{zip3}{rng.randint(0, 99):02d}"}
    if rng.random() < 0.2:
        addr["line2"] = f"Apt {rng.randint(1, 40)}{rng.choice('ABCD')}"
    return addr


def address_typo(rng: random.Random, addr: dict) -> dict:
    number, _, street = addr["line1"].partition(" ")
    words = street.split()
    words[0] = gen.typo(rng, words[0])
    return {**addr, "line1": f"{number} {' '.join(words)}"}


def address_abbrev(addr: dict) -> dict | None:
    """The street type abbreviated ("Street" -> "St") or spelled out; None if there is none."""
    words = addr["line1"].split()
    full = {v: k for k, v in SUFFIXES.items()}
    if words[-1] in SUFFIXES:
        words[-1] = SUFFIXES[words[-1]]
    elif words[-1] in full:
        words[-1] = full[words[-1]]
    else:
        return None
    return {**addr, "line1": " ".join(words)}


def make_phone(rng: random.Random, state: str | None = None) -> str:
    area = {"FL": ("305", "786", "954"), "NY": ("212", "718", "917"), "NJ": ("973",),
            "TX": ("713", "832", "956")}.get(state or "", ("305", "212", "713", "646"))
    return f"+1{rng.choice(area)}{rng.randint(200, 999)}{rng.randint(0, 9999):04d}"


# ---------------------------------------------------------------------------------------------
# One generator per type: `original(rng, i, pool)` draws an individual; `KINDS` maps each kind of
# corruption to `apply(rng, copy, original, ctx) -> bool` (False when it does not apply).
# ---------------------------------------------------------------------------------------------


@dataclass
class Ctx:
    """What the corruptions of one type may draw from (names, a fresh address)."""

    rng: random.Random
    names: gen.NameSource
    #: Registrations handed out (N-numbers are never shared by two aircraft at once).
    used: set[str] = field(default_factory=set)


def _drop_optional(rng: random.Random, rec: dict, keep: float, optional: tuple[str, ...]) -> dict:
    return {k: v for k, v in rec.items() if k not in optional or rng.random() < keep}


def _id_slip(fields: tuple[str, ...], transpose: bool, avoid: str = "", hexadecimal: bool = False) -> Callable:
    """A corruption that slips one character of one of `fields` the copy carries (a phone list or a
    {number, state} dict is slipped in its number)."""

    def apply(rng: random.Random, q: dict, base: dict, ctx: Ctx) -> bool:
        present = [f for f in fields if q.get(f)]
        if not present:
            return False
        f = rng.choice(present)
        value = q[f]
        if isinstance(value, list):
            q[f] = [char_typo(rng, value[0], transpose, avoid, hexadecimal), *value[1:]]
        elif isinstance(value, dict):
            q[f] = {**value, "number": char_typo(rng, value["number"], transpose, avoid, hexadecimal)}
        else:
            q[f] = char_typo(rng, value, transpose, avoid, hexadecimal)
        return True

    return apply


def _address_kind(what: str) -> Callable:
    def apply(rng: random.Random, q: dict, base: dict, ctx: Ctx) -> bool:
        if not q.get("addresses"):
            return False
        addr = q["addresses"][0]
        if what == "typo":
            new = address_typo(rng, addr)
        elif what == "abbrev":
            new = address_abbrev(addr)
            if new is None:
                return False
        else:  # moved
            new = make_address(rng)
        q["addresses"] = [new, *q["addresses"][1:]]
        return True

    return apply


def _address_only(keep: tuple[str, ...]) -> Callable:
    def apply(rng: random.Random, q: dict, base: dict, ctx: Ctx) -> bool:
        if not base.get("addresses"):
            return False
        for k in list(q):
            if k not in keep:
                del q[k]
        for k in keep:
            if base.get(k) and not q.get(k):
                q[k] = base[k]
        q["addresses"] = base["addresses"][:1]
        return True

    return apply


# --- Person ---------------------------------------------------------------------------------------

def person_original(rng: random.Random, i: int, ctx: Ctx, done: list[dict]) -> dict:
    rec = gen.person(rng, ctx.names, i)
    rec.pop("ref")
    if done and rng.random() < 0.08:  # a household member of an earlier person: a look-alike
        other = rng.choice(done)
        rec["family_name"] = other["family_name"]
        if other.get("addresses"):
            rec["addresses"] = other["addresses"][:1]
        if other.get("phones") and rng.random() < 0.3:
            rec["phones"] = other["phones"]
    if "addresses" not in rec and rng.random() < 0.75:
        rec["addresses"] = [make_address(rng)]
    state = rec["addresses"][0]["state"] if rec.get("addresses") else None
    if rng.random() < 0.10:
        rec["a_number"] = f"A{rng.randint(10_000_000, 299_999_999):09d}"
    if rng.random() < 0.25:
        rec["drivers_license"] = {"number": f"{rec['family_name'][0].upper()}{rng.randint(10**11, 10**12 - 1)}",
                                  "state": state or rng.choice(("FL", "NY", "TX"))}
    if rng.random() < 0.2:
        rec["emails"] = [f"{_ascii_word(rec['given_name'])}.{_ascii_word(rec['family_name'])}"
                         f"{rng.randint(1, 99)}@example.com"]
    if "phones" in rec and state:
        rec["phones"] = [make_phone(rng, state)] if rng.random() < 0.5 else rec["phones"]
    if rng.random() < 0.04:
        rec["aliases"] = [f"{ctx.names.given_name()} {rec['family_name']}"]
    return rec


def _name_kind(what: str) -> Callable:
    """The name and date corruptions of generate_persons, one kind at a time."""

    def apply(rng: random.Random, q: dict, base: dict, ctx: Ctx) -> bool:
        if what == "family_typo" and q.get("family_name"):
            q["family_name"] = gen.typo(rng, q["family_name"])
        elif what == "given_typo" and q.get("given_name"):
            q["given_name"] = gen.typo(rng, q["given_name"])
        elif what == "nickname" and q.get("given_name"):
            nicks = sorted(gen._NICK.nicknames_of(q["given_name"].lower()))  # the generator's nickname table
            if not nicks:
                return False
            q["given_name"] = rng.choice(nicks).capitalize()
        elif what == "swap" and q.get("given_name") and q.get("family_name"):
            q["given_name"], q["family_name"] = q["family_name"], q["given_name"]
        elif what == "dob_missing" and q.get("dob") and (q.get("given_name") or q.get("ssn")):
            del q["dob"]
        elif what.startswith("dob_") and what != "dob_missing" and q.get("dob"):
            shifted = gen._dob_shift(rng, q["dob"], what[4:])  # the generator's date slips
            if shifted == q["dob"]:
                return False
            q["dob"] = shifted
        elif what == "hyphen_half" and "-" in (q.get("family_name") or ""):
            q["family_name"] = rng.choice(q["family_name"].split("-"))
        elif what == "variant":
            for f in ("given_name", "family_name"):
                group = gen._VARIANT_OF.get(q.get(f) or "")  # the generator's transliteration groups
                if group:
                    q[f] = rng.choice([v for v in group if v != q[f]])
                    return True
            return False
        else:
            return False
        return True

    return apply


def _married(rng: random.Random, q: dict, base: dict, ctx: Ctx) -> bool:
    if not q.get("family_name"):
        return False
    old = q["family_name"]
    q["family_name"] = ctx.names.surname()
    if rng.random() < 0.5 and q.get("given_name"):
        q["aliases"] = [*(q.get("aliases") or []), f"{q['given_name']} {old}"]
    return True


def _alias_given(rng: random.Random, q: dict, base: dict, ctx: Ctx) -> bool:
    if not q.get("given_name") or not q.get("family_name"):
        return False
    old = q["given_name"]
    q["given_name"] = ctx.names.given_name()
    if rng.random() < 0.5:
        q["aliases"] = [*(q.get("aliases") or []), f"{old} {q['family_name']}"]
    return True


_PERSON_IDS = ("ssn", "a_number", "drivers_license", "phones")
PERSON_KINDS: dict[str, Callable] = {
    **{k: _name_kind(k) for k in ("family_typo", "given_typo", "nickname", "swap", "dob_transpose", "dob_day",
                                  "dob_year", "dob_missing", "hyphen_half", "variant")},
    "married_name": _married,
    "alias_given": _alias_given,
    "id_typo": _id_slip(_PERSON_IDS, transpose=False),
    "id_transpose": _id_slip(_PERSON_IDS, transpose=True),
    "address_only": _address_only(("given_name", "family_name")),
    "address_typo": _address_kind("typo"),
    "address_abbrev": _address_kind("abbrev"),
    "moved": _address_kind("moved"),
}
PERSON_OPTIONAL = ("middle_name", "sex", "ssn", "a_number", "drivers_license", "phones", "emails", "addresses",
                   "aliases")

# --- Business -------------------------------------------------------------------------------------

INDUSTRIES = ["Logistics", "Trading", "Imports", "Exports", "Freight", "Holdings", "Marine", "Auto Sales",
              "Jewelry", "Electronics", "Produce", "Construction", "Consulting", "Travel", "Wholesale",
              "Pharmacy", "Money Services", "Seafood", "Textiles", "Cargo"]
BUSINESS_WORDS = ["Blue", "Golden", "Sunrise", "Coastal", "Atlantic", "Gulf", "Star", "Royal", "Eagle", "Pacific",
                  "Premier", "United", "Global", "Harbor", "Tropical", "Liberty", "Summit", "Delta", "Alpha",
                  "Silver", "Ocean", "Palm", "Metro", "Pioneer"]
BUSINESS_SUFFIXES = {"LLC": "llc", "Inc": "corporation", "Corp": "corporation", "Co": "other",
                     "Group": "other", "": "sole_proprietorship"}
SUFFIX_VARIANTS = {"LLC": ["L.L.C.", "", "Inc"], "Inc": ["Inc.", "Incorporated", "Corp", ""],
                   "Corp": ["Corporation", "Corp.", "Inc"], "Co": ["Company", "Co."], "Group": [""],
                   "": ["LLC"]}


def _business_core(rng: random.Random, ctx: Ctx) -> str:
    if rng.random() < 0.45:
        return f"{ctx.names.surname()} {rng.choice(INDUSTRIES)}"
    return f"{rng.choice(BUSINESS_WORDS)} {rng.choice(BUSINESS_WORDS + ['Bay', 'Point', 'Coast'])} " \
           f"{rng.choice(INDUSTRIES)}"


def business_original(rng: random.Random, i: int, ctx: Ctx, done: list[dict]) -> dict:
    if done and rng.random() < 0.15:  # a namesake: the same name core, another business
        core = done[rng.randrange(len(done))]["_core"]
    else:
        core = _business_core(rng, ctx)
    suffix = rng.choice(list(BUSINESS_SUFFIXES))
    rec: dict = {"_core": core, "_suffix": suffix, "name": f"{core} {suffix}".strip(),
                 "kind": BUSINESS_SUFFIXES[suffix]}
    if rng.random() < 0.7:
        rec["ein"] = make_ein(rng)
    addr = make_address(rng)
    if rng.random() < 0.4:
        rec["registration_number"] = f"{rng.choice('LPM')}{rng.randint(10, 25)}{rng.randint(0, 10**8 - 1):08d}"
        rec["jurisdiction"] = addr["state"]
    if rng.random() < 0.85:
        rec["addresses"] = [addr]
    if rng.random() < 0.5:
        rec["phones"] = [make_phone(rng, addr["state"])]
    if rng.random() < 0.2:
        rec["dbas"] = [f"{rng.choice(BUSINESS_WORDS)} {rng.choice(INDUSTRIES)}"]
    return rec


def _b_name_typo(rng, q, base, ctx) -> bool:
    words = q["name"].split()
    i = rng.randrange(len(words))
    if len(words[i]) < 3:
        return False
    words[i] = gen.typo(rng, words[i])
    q["name"] = " ".join(words)
    return True


def _b_suffix(rng, q, base, ctx) -> bool:
    if q["name"] != base["name"]:
        return False
    q["name"] = f"{base['_core']} {rng.choice(SUFFIX_VARIANTS[base['_suffix']])}".strip()
    return True


def _b_the(rng, q, base, ctx) -> bool:
    if q["name"].startswith("The "):
        return False
    q["name"] = "The " + q["name"]
    return True


def _b_renamed(rng, q, base, ctx) -> bool:
    """Filed under its trade name (the DBA, or a new one), the legal name sometimes kept as a DBA."""
    old = q["name"]
    q["name"] = (base.get("dbas") or [f"{rng.choice(BUSINESS_WORDS)} {rng.choice(INDUSTRIES)}"])[0]
    q["dbas"] = [old] if rng.random() < 0.5 else [d for d in q.get("dbas", []) if d != q["name"]]
    if not q["dbas"]:
        del q["dbas"]
    return True


BUSINESS_KINDS: dict[str, Callable] = {
    "name_typo": _b_name_typo,
    "suffix_variant": _b_suffix,
    "the_prefix": _b_the,
    "renamed": _b_renamed,
    "id_typo": _id_slip(("ein", "registration_number", "phones"), transpose=False),
    "id_transpose": _id_slip(("ein", "registration_number", "phones"), transpose=True),
    "address_only": _address_only(("name",)),
    "address_typo": _address_kind("typo"),
    "address_abbrev": _address_kind("abbrev"),
    "moved": _address_kind("moved"),
}
BUSINESS_OPTIONAL = ("ein", "registration_number", "jurisdiction", "kind", "addresses", "phones", "dbas")

# --- Vehicle --------------------------------------------------------------------------------------

VEHICLE_MODELS = [("Toyota", "Camry", "4T1"), ("Toyota", "Corolla", "2T1"), ("Honda", "Civic", "2HG"),
                  ("Honda", "Accord", "1HG"), ("Ford", "F-150", "1FT"), ("Chevrolet", "Silverado", "1GC"),
                  ("Nissan", "Altima", "1N4"), ("Jeep", "Wrangler", "1C4"), ("Dodge", "Ram 1500", "3C6"),
                  ("BMW", "X5", "5UX"), ("Tesla", "Model 3", "5YJ"), ("Hyundai", "Elantra", "5NP"),
                  ("Volkswagen", "Jetta", "3VW"), ("Mercedes-Benz", "C300", "55S")]
COLOURS = ["Black", "White", "Silver", "Gray", "Red", "Blue", "Green", "Beige"]
MAKE_ALIASES = {"Chevrolet": "Chevy", "Volkswagen": "VW", "Mercedes-Benz": "Mercedes", "Toyota": "TOYT",
                "Honda": "HOND", "Ford": "FORD", "Nissan": "NISS", "Dodge": "DODG"}


def make_plate(rng: random.Random, state: str) -> str:
    if state == "FL":
        return "".join(rng.choice(LETTERS) for _ in range(3)) + " " + "".join(rng.choice(LETTERS + DIGITS)
                                                                          for _ in range(3))
    if state == "NY":
        return "".join(rng.choice(LETTERS) for _ in range(3)) + "-" + f"{rng.randint(0, 9999):04d}"
    return "".join(rng.choice(LETTERS) for _ in range(3)) + f"{rng.randint(0, 9999):04d}"


def vehicle_original(rng: random.Random, i: int, ctx: Ctx, done: list[dict]) -> dict:
    make, model, wmi = rng.choice(VEHICLE_MODELS)
    state = rng.choice(("FL", "FL", "NY", "TX", "TX", "NJ", "GA"))
    rec = {"make": make, "model": model, "year": rng.randint(2003, 2025), "colour": rng.choice(COLOURS)}
    if rng.random() < 0.85:
        rec["vin"] = make_vin(rng, wmi)
    if rng.random() < 0.85 or "vin" not in rec:
        rec["plate"], rec["plate_state"] = make_plate(rng, state), state
    return rec


def _v_vin_ocr(rng, q, base, ctx) -> bool:
    """An O typed for a 0 (VINs never contain O, I or Q), as clerks and OCR do."""
    if not q.get("vin") or "0" not in q["vin"]:
        return False
    i = rng.choice([k for k, c in enumerate(q["vin"]) if c == "0"])
    q["vin"] = q["vin"][:i] + "O" + q["vin"][i + 1:]
    return True


def _v_replated(rng, q, base, ctx) -> bool:
    """Re-registered in another state: a new plate and plate state."""
    if not q.get("plate"):
        return False
    state = rng.choice([s for s in ("FL", "NY", "TX", "GA") if s != q.get("plate_state")])
    q["plate"], q["plate_state"] = make_plate(rng, state), state
    return True


def _v_make_alias(rng, q, base, ctx) -> bool:
    if q.get("make") not in MAKE_ALIASES:
        return False
    q["make"] = MAKE_ALIASES[q["make"]]
    return True


def _v_year(rng, q, base, ctx) -> bool:
    if not q.get("year"):
        return False
    q["year"] += rng.choice((-1, 1))
    return True


def _v_colour(rng, q, base, ctx) -> bool:
    if not q.get("colour"):
        return False
    q["colour"] = {"Gray": "Grey", "Silver": "Gray", "Black": "BLK", "White": "WHT", "Beige": "Tan"}.get(
        q["colour"], rng.choice(COLOURS))
    return True


def _v_model(rng, q, base, ctx) -> bool:
    model = q.get("model") or ""
    new = model.replace("-", "").replace(" ", "") if ("-" in model or " " in model) else model.upper()
    if new == model:
        return False
    q["model"] = new
    return True


VEHICLE_KINDS: dict[str, Callable] = {
    "vin_typo": _id_slip(("vin",), transpose=False, avoid="IOQioq"),
    "vin_transpose": _id_slip(("vin",), transpose=True),
    "vin_ocr": _v_vin_ocr,
    "plate_typo": _id_slip(("plate",), transpose=False),
    "plate_transpose": _id_slip(("plate",), transpose=True),
    "replated": _v_replated,
    "make_alias": _v_make_alias,
    "year_off": _v_year,
    "colour_variant": _v_colour,
    "model_variant": _v_model,
}
VEHICLE_OPTIONAL = ("vin", "plate", "plate_state", "year", "colour")

# --- Vessel ---------------------------------------------------------------------------------------

VESSEL_NAMES = ["Sea Breeze", "Miss Kathy", "Lady Luck", "Blue Horizon", "Island Girl", "Reel Time", "Southern Star",
                "Ocean Spirit", "Morning Star", "Free Spirit", "Sea Hunter", "Gulf Runner", "Seven Seas",
                "Caribbean Queen", "Atlantic Dawn", "Lucky Strike", "Night Hawk", "Sea Wolf", "Wind Dancer",
                "Marlin", "Dolphin", "Osprey", "Pelican", "Mariposa", "Estrella del Mar", "La Paloma"]
VESSEL_PREFIX = {"cargo": "M/V", "tanker": "M/T", "fishing": "F/V", "pleasure": "S/V", "passenger": "M/V",
                 "tug": "M/V", "other": ""}
FLAGS = ["US", "US", "US", "PA", "LR", "MH", "BS", "HN", "BZ"]
MID = {"US": ("366", "367", "368", "369", "338"), "PA": ("351", "352", "353"), "LR": ("636",), "MH": ("538",),
       "BS": ("308", "311"), "HN": ("334",), "BZ": ("312",)}


def vessel_original(rng: random.Random, i: int, ctx: Ctx, done: list[dict]) -> dict:
    kind = rng.choice(("cargo", "tanker", "fishing", "fishing", "pleasure", "pleasure", "pleasure", "tug",
                       "passenger"))
    flag = rng.choice(FLAGS) if kind in ("cargo", "tanker", "passenger") else "US"
    if rng.random() < 0.5:
        name = rng.choice(VESSEL_NAMES)  # common boat names: namesakes
    else:
        name = f"{rng.choice(BUSINESS_WORDS)} {rng.choice(['Star', 'Wind', 'Wave', 'Tide', 'Runner', 'Spirit'])}"
    rec = {"name": name, "kind": kind, "flag": flag}
    if kind in ("cargo", "tanker", "passenger", "tug") or rng.random() < 0.05:
        rec["imo"] = make_imo(rng)
    if kind in ("pleasure", "fishing"):
        rec["hull_id"] = make_hin(rng)
    if rng.random() < 0.75:
        rec["mmsi"] = rng.choice(MID[flag]) + "".join(rng.choice(DIGITS) for _ in range(6))
    if flag == "US" and rng.random() < 0.5:
        rec["documentation_number"] = str(rng.randint(500_000, 1_350_000))
    return rec


def _prefixed(rng, q, base, ctx) -> bool:
    prefix = VESSEL_PREFIX.get(base.get("kind") or "other", "")
    if not prefix or q["name"].startswith(prefix):
        return False
    q["name"] = f"{prefix} {q['name']}"
    return True


def _renamed_vessel(rng, q, base, ctx) -> bool:
    q["name"] = rng.choice(VESSEL_NAMES)
    return q["name"] != base["name"]


def _reflagged(rng, q, base, ctx) -> bool:
    q["flag"] = rng.choice([f for f in MID if f != q.get("flag")])
    if q.get("mmsi"):  # a new flag brings a new MMSI
        q["mmsi"] = rng.choice(MID[q["flag"]]) + "".join(rng.choice(DIGITS) for _ in range(6))
    return True


def _v_name_typo(rng, q, base, ctx) -> bool:
    q["name"] = gen.typo(rng, q["name"])
    return True


VESSEL_KINDS: dict[str, Callable] = {
    "name_typo": _v_name_typo,
    "name_prefix": _prefixed,
    "renamed": _renamed_vessel,
    "reflagged": _reflagged,
    "id_typo": _id_slip(("imo", "mmsi", "hull_id", "documentation_number"), transpose=False),
    "id_transpose": _id_slip(("imo", "mmsi", "hull_id", "documentation_number"), transpose=True),
}
VESSEL_OPTIONAL = ("imo", "mmsi", "hull_id", "documentation_number", "flag", "kind")

# --- Aircraft -------------------------------------------------------------------------------------

AIRCRAFT_MODELS = [("Cessna", "172S", "172S{}"), ("Cessna", "208B", "208B{}"), ("Piper", "PA-28-181", "28-{}"),
                   ("Piper", "PA-31", "31-{}"), ("Beechcraft", "King Air 350", "FL-{}"), ("Cirrus", "SR22", "{}"),
                   ("Gulfstream", "G450", "4{}"), ("Embraer", "Phenom 300", "505{}"), ("Learjet", "45", "45-{}"),
                   ("Bombardier", "Challenger 300", "20{}")]
AIRCRAFT_MAKE_ALIASES = {"Beechcraft": "Beech", "Cessna": "Textron Aviation", "Bombardier": "Bombardier Inc",
                         "Piper": "Piper Aircraft"}


def aircraft_original(rng: random.Random, i: int, ctx: Ctx, done: list[dict]) -> dict:
    make, model, serial = rng.choice(AIRCRAFT_MODELS)
    rec = {"make": make, "model": model, "tail_number": make_n_number(rng, ctx.used)}
    if rng.random() < 0.6:
        rec["serial_number"] = serial.format(rng.randint(100, 9999))
    if rng.random() < 0.6:
        rec["icao24"] = f"{rng.randint(0xA00001, 0xADF7C7):06x}"
    return rec


def _no_n(rng, q, base, ctx) -> bool:
    if not (q.get("tail_number") or "").startswith("N"):
        return False
    q["tail_number"] = q["tail_number"][1:]
    return True


def _reregistered(rng, q, base, ctx) -> bool:
    """A new N-number, and with it a new ICAO24 address; the serial stays."""
    q["tail_number"] = make_n_number(rng, ctx.used)
    if q.get("icao24"):
        q["icao24"] = f"{rng.randint(0xA00001, 0xADF7C7):06x}"
    return True


def _a_make(rng, q, base, ctx) -> bool:
    if q.get("make") not in AIRCRAFT_MAKE_ALIASES:
        return False
    q["make"] = AIRCRAFT_MAKE_ALIASES[q["make"]]
    return True


AIRCRAFT_KINDS: dict[str, Callable] = {
    "tail_typo": _id_slip(("tail_number",), transpose=False),
    "tail_transpose": _id_slip(("tail_number",), transpose=True),
    "tail_without_n": _no_n,
    "icao_typo": _id_slip(("icao24",), transpose=False, hexadecimal=True),
    "serial_typo": _id_slip(("serial_number",), transpose=False),
    "reregistered": _reregistered,
    "make_alias": _a_make,
}
AIRCRAFT_OPTIONAL = ("serial_number", "icao24", "make", "model")

# --- Thing ----------------------------------------------------------------------------------------

FIREARMS = ["Glock 19 9mm pistol", "Glock 17 9mm pistol", "Smith & Wesson M&P15 rifle", "Ruger LCP .380 pistol",
            "Colt AR-15 5.56 rifle", "Taurus G2C 9mm pistol", "Sig Sauer P365 9mm pistol", "Mossberg 500 shotgun"]
DEVICES = ["Apple iPhone 13 black", "Apple iPhone 14 Pro", "Samsung Galaxy S22", "Samsung Galaxy A12",
           "Motorola Moto G", "Google Pixel 7", "Alcatel flip phone"]
VALUABLES = ["Rolex Submariner watch", "Cartier Love bracelet", "Dell Latitude laptop", "Apple MacBook Pro"]
DOCUMENTS = ["Mexican passport booklet", "Florida driver licence card", "Honduran national ID card",
             "Social Security card"]
LOOSE = [("currency", "${:,} USD bulk currency"), ("narcotics", "{} kg cocaine bricks"),
         ("narcotics", "{} lb marijuana")]


def thing_original(rng: random.Random, i: int, ctx: Ctx, done: list[dict]) -> dict:
    r = rng.random()
    if r < 0.35:
        return {"category": "firearm", "description": rng.choice(FIREARMS),
                "serial": "".join(rng.choice(LETTERS) for _ in range(3)) + str(rng.randint(100, 999_999))}
    if r < 0.75:
        rec = {"category": "electronic_device", "description": rng.choice(DEVICES), "imei": make_imei(rng)}
        if rng.random() < 0.4:
            rec["serial"] = "".join(rng.choice(LETTERS + DIGITS) for _ in range(10))
        return rec
    if r < 0.85:
        return {"category": "document", "description": rng.choice(DOCUMENTS),
                "serial": rng.choice(LETTERS) + str(rng.randint(10**7, 10**8 - 1))}
    if r < 0.93:
        return {"category": "other", "description": rng.choice(VALUABLES),
                "serial": "".join(rng.choice(LETTERS + DIGITS) for _ in range(8))}
    category, text = rng.choice(LOOSE)
    return {"category": category, "description": text.format(rng.randint(2, 400) * 100 if category == "currency"
                                                             else rng.randint(1, 40)),
            "quantity": float(rng.randint(1, 40)), "_loose": True}


def _t_desc(rng, q, base, ctx) -> bool:
    words = q["description"].split()
    if len(words) < 3:
        return False
    if rng.random() < 0.5:
        del words[rng.randrange(1, len(words))]
    else:
        words = [w.lower() for w in words]
    q["description"] = " ".join(words)
    return True


def _t_category(rng, q, base, ctx) -> bool:
    if q.get("category") != "electronic_device":
        return False
    q["category"] = "other"
    return True


THING_KINDS: dict[str, Callable] = {
    "serial_typo": _id_slip(("serial",), transpose=False),
    "serial_transpose": _id_slip(("serial",), transpose=True),
    "imei_typo": _id_slip(("imei",), transpose=False),
    "imei_transpose": _id_slip(("imei",), transpose=True),
    "description_variant": _t_desc,
    "category_changed": _t_category,
}
THING_OPTIONAL = ("serial", "imei", "category", "quantity")

# ---------------------------------------------------------------------------------------------
# Clusters
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TypeSpec:
    name: str  # the import's --type
    prefix: str  # of refs
    original: Callable
    kinds: dict[str, Callable]
    optional: tuple[str, ...]
    #: At least one of these stays on every copy (what identifies it to the import).
    required_any: tuple[str, ...]


SPECS = {
    "person": TypeSpec("person", "P", person_original, PERSON_KINDS, PERSON_OPTIONAL,
                       ("given_name", "family_name")),
    "business": TypeSpec("business", "B", business_original, BUSINESS_KINDS, BUSINESS_OPTIONAL, ("name",)),
    "vehicle": TypeSpec("vehicle", "V", vehicle_original, VEHICLE_KINDS, VEHICLE_OPTIONAL, ("vin", "plate")),
    "vessel": TypeSpec("vessel", "S", vessel_original, VESSEL_KINDS, VESSEL_OPTIONAL, ("name",)),
    "aircraft": TypeSpec("aircraft", "A", aircraft_original, AIRCRAFT_KINDS, AIRCRAFT_OPTIONAL, ("tail_number",)),
    "thing": TypeSpec("thing", "T", thing_original, THING_KINDS, THING_OPTIONAL, ("description",)),
}


def copy_of(spec: TypeSpec, rng: random.Random, base: dict, profile: str, ctx: Ctx) -> tuple[dict, list[str]]:
    """A clerk's re-entry of `base` (fields dropped per KEEP, corruptions per the profile); (copy, kinds applied)."""
    q = _drop_optional(rng, {k: v for k, v in base.items() if not k.startswith("_")}, KEEP[profile], spec.optional)
    if not any(q.get(k) for k in spec.required_any):
        for k in spec.required_any:
            if base.get(k):
                q[k] = base[k]
                break
    kinds = list(spec.kinds)
    if profile == "clerical":
        chosen = [k for k in kinds if rng.random() < CLERICAL_RATE]
        rng.shuffle(chosen)
        want = len(chosen)
    else:  # the first `want` kinds that apply, in a random order
        rng.shuffle(kinds)
        chosen, want = kinds, rng.choice((1, 1, 2, 2, 3))
    if "address_only" in chosen[:want]:  # a shape, not a slip: first, so slips fall on what it keeps
        chosen.remove("address_only")
        chosen.insert(0, "address_only")
    applied: list[str] = []
    for kind in chosen:
        if len(applied) >= want:
            break
        if spec.kinds[kind](rng, q, base, ctx):
            applied.append(kind)
    return q, applied


def generate(type_key: str, count: int, profile: str, seed: int = 23) -> list[tuple[dict, dict]]:
    """About `count` records of one type in clusters: [(import record, truth)], in a shuffled order."""
    if profile not in PROFILES:
        raise ValueError(f"profile is one of {PROFILES}")
    spec = SPECS[type_key]
    rng = random.Random(f"{seed}:{type_key}:{profile}")
    ctx = Ctx(rng, gen.NameSource(random.Random(seed + 1)))
    sizes, weights = list(CLUSTER_SIZES), list(CLUSTER_SIZES.values())
    out: list[tuple[dict, dict]] = []
    originals: list[dict] = []
    cluster = 0
    while len(out) < count:
        base = spec.original(rng, 10_000_000 + cluster, ctx, originals)
        originals.append(base)
        size = 1 if base.get("_loose") else min(rng.choices(sizes, weights)[0], count - len(out))
        cases = rng.sample(CASES, min(size, len(CASES)))
        for k in range(size):
            if k == 0:
                rec, applied = {key: v for key, v in base.items() if not key.startswith("_")}, []
            else:
                rec, applied = copy_of(spec, rng, base, profile, ctx)
            office, _, owner, case = cases[k % len(cases)]
            out.append((rec, {"cluster": f"{spec.prefix}C{cluster}", "case": case, "office": office,
                              "owner": owner, "original": k == 0, "corruptions": applied}))
        cluster += 1
    rng.shuffle(out)
    numbers = rng.sample(range(1, 10 * len(out) + 1), len(out))  # opaque refs
    for (rec, truth), n in zip(out, numbers, strict=True):
        rec["ref"] = truth["ref"] = f"{spec.prefix}{n:07d}"
    return out


def write(type_key: str, rows: list[tuple[dict, dict]], prefix: str) -> tuple[str, str]:
    """Write `<prefix>.<type>.jsonl` and `<prefix>.<type>.truth.jsonl`; returns both paths."""
    data, truth = f"{prefix}.{type_key}.jsonl", f"{prefix}.{type_key}.truth.jsonl"
    with open(data, "w", encoding="utf-8") as f, open(truth, "w", encoding="utf-8") as t:
        for rec, tr in rows:
            f.write(json.dumps(rec) + "\n")
            t.write(json.dumps(tr) + "\n")
    return data, truth


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--types", default=",".join(TYPES), help=f"comma-separated, of {', '.join(TYPES)}")
    ap.add_argument("--count", type=int, default=1000, help="records per type")
    ap.add_argument("--profile", choices=PROFILES, default="clerical")
    ap.add_argument("--seed", type=int, default=23)
    ap.add_argument("--out", required=True, help="path prefix: <out>.<type>.jsonl and <out>.<type>.truth.jsonl")
    args = ap.parse_args()
    for t in args.types.split(","):
        rows = generate(t, args.count, args.profile, args.seed)
        print(*write(t, rows, args.out))


if __name__ == "__main__":
    main()
