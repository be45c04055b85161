"""Turn raw entity record dicts into normalized views that comparators and key builders share."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache

from ccms_graph.matching.addresses import normalize_address, normalize_state
from ccms_graph.matching.dates import Dob, parse_dob
from ccms_graph.matching.identifiers import (
    UNVERIFIED,
    alnum_upper,
    canonical_kind,
    identifier_key,
    normalize_identifier,
    unverified_key,
)
from ccms_graph.matching.names import (
    PersonName,
    ascii_text,
    business_key,
    business_legal_form,
    parse_full_name,
    person_name,
)

ENTITY_TYPES = ("Person", "Business", "Vehicle", "Vessel", "Aircraft", "Thing")

#: Identifier kinds a Person record carries in dedicated fields (and may repeat in `identifiers`).
PERSON_ID_KINDS = ("ssn", "a_number", "fbi_number")

_COUNTRY_ALIASES = {"USA": "US", "UNITEDSTATES": "US", "UNITEDSTATESOFAMERICA": "US", "GBR": "GB", "UK": "GB",
                    "MEX": "MX", "MEXICO": "MX", "CAN": "CA", "CANADA": "CA"}


def _as_list(value: object) -> list:
    if isinstance(value, (list, tuple)):  # the usual shapes first, without the abstract-class checks below
        return list(value)
    if isinstance(value, dict):
        return [value]
    if value is None or value == "":
        return []
    if isinstance(value, str | Mapping):
        return [value]
    return list(value) if isinstance(value, Iterable) else [value]


def _country(value: object) -> str:
    c = alnum_upper(value)
    return _COUNTRY_ALIASES.get(c, c)


def _qualified(kind: str, value: object, qualifier_key: str, default_qualifier: object = None) -> tuple | None:
    """(number, issuer) from "X123" or {"number": "X123", "country"/"state": ...}."""
    issuer: object = default_qualifier
    if isinstance(value, Mapping):
        issuer = value.get(qualifier_key) or issuer
    number = normalize_identifier(kind, value)
    if number is None:
        return None
    norm_issuer = _country(issuer) if qualifier_key == "country" else normalize_state(issuer)
    return (number, norm_issuer)


def unverified_keys(rec: Mapping) -> set[str]:
    """The record's unverified identifiers (`identifiers` entries of a kind "<kind>_unverified", kept by an
    import when the value failed its kind's checks), each keyed under its own kind ("vin:<16 characters>",
    `identifiers.unverified_key`): evidence that finds and scores a copy, never an identifier that decides."""
    return {k for entry in _as_list(rec.get("identifiers")) if isinstance(entry, Mapping)
            and (k := unverified_key(entry.get("type"), entry.get("value")))}


@dataclass
class PersonView:
    """A Person record, normalized."""

    names: list[PersonName] = field(default_factory=list)
    dob: Dob = field(default_factory=Dob)
    sex: object = None
    ids: dict[str, set[str]] = field(default_factory=dict)
    passports: set[tuple[str, str]] = field(default_factory=set)
    licenses: set[tuple[str, str]] = field(default_factory=set)
    other_ids: set[str] = field(default_factory=set)
    phones: set[str] = field(default_factory=set)
    emails: set[str] = field(default_factory=set)
    handles: set[str] = field(default_factory=set)
    accounts: set[str] = field(default_factory=set)
    addresses: list[dict[str, str]] = field(default_factory=list)


@lru_cache(maxsize=1 << 16)
def _person_name(given: object, middle: object, family: object) -> PersonName:
    """`person_name`, remembered (a PersonName is immutable): deconfliction views the same stored names
    many times over, once per record each is scored against."""
    return person_name(given, middle, family)


@lru_cache(maxsize=1 << 14)
def _alias_name(full: object) -> PersonName:
    """`parse_full_name` of an alias, remembered like `_person_name`."""
    return parse_full_name(full)


def _hashable(*values: object) -> bool:
    return all(v is None or isinstance(v, (str, int)) for v in values)


#: The kind an import keeps a person's malformed e-mail address under (`logic.entities.lines`).
_SLIPPED_EMAIL = "email" + UNVERIFIED


def person_view(rec: Mapping) -> PersonView:
    """Normalize a Person record dict (field names as in the matching module docs)."""
    v = PersonView()
    parts = (rec.get("given_name"), rec.get("middle_name"), rec.get("family_name"))
    primary = _person_name(*parts) if _hashable(*parts) else person_name(*parts)
    aliases = [_alias_name(a) if _hashable(a) else parse_full_name(a) for a in _as_list(rec.get("aliases"))]
    v.names = [n for n in [primary, *aliases] if not n.is_empty]
    v.dob = parse_dob(rec.get("dob"))
    v.sex = rec.get("sex")
    v.ids = {k: set() for k in PERSON_ID_KINDS}
    for kind in PERSON_ID_KINDS:
        for value in _as_list(rec.get(kind)):
            norm = normalize_identifier(kind, value)
            if norm:
                v.ids[kind].add(norm)
    for value in _as_list(rec.get("passport")):
        if (q := _qualified("passport", value, "country")) is not None:
            v.passports.add(q)
    for value in _as_list(rec.get("drivers_license")):
        if (q := _qualified("drivers_license", value, "state")) is not None:
            v.licenses.add(q)
    v.phones = {p for p in (normalize_identifier("phone", x) for x in _as_list(rec.get("phones"))) if p}
    v.emails = {e for e in (normalize_identifier("email", x) for x in _as_list(rec.get("emails"))) if e}
    v.handles = {str(h) for h in _as_list(rec.get("handles")) if h}
    v.accounts = {str(a) for a in _as_list(rec.get("accounts")) if a}
    # The pilot's licence is an identifier of its own field, compared as kind + value like other_ids.
    v.other_ids |= {k for k in (identifier_key("pilot_license", x) for x in _as_list(rec.get("pilot_license"))) if k}
    for entry in _as_list(rec.get("identifiers")):
        if not isinstance(entry, Mapping):
            continue
        kind, value = canonical_kind(entry.get("type")), entry.get("value")
        if kind in v.ids:
            if norm := normalize_identifier(kind, value):
                v.ids[kind].add(norm)
        elif kind == "passport":
            if (q := _qualified(kind, value, "country", entry.get("country"))) is not None:
                v.passports.add(q)
        elif kind == "drivers_license":
            if (q := _qualified(kind, value, "state", entry.get("state"))) is not None:
                v.licenses.add(q)
        elif kind == "phone":
            v.phones |= {p for p in [normalize_identifier(kind, value)] if p}
        elif kind == "email":
            v.emails |= {e for e in [normalize_identifier(kind, value)] if e}
        elif kind == _SLIPPED_EMAIL:  # an address an import kept though malformed: compared as one with a slip
            v.emails |= {e for e in ["".join(str(value or "").split()).lower()] if e}
        elif key := identifier_key(kind, value):
            v.other_ids.add(key)
    v.addresses = [normalize_address(a) for a in _as_list(rec.get("addresses")) if isinstance(a, Mapping)]
    return v


@dataclass
class BusinessView:
    """A Business record, normalized."""

    names: list[str] = field(default_factory=list)
    ein: set[str] = field(default_factory=set)
    registrations: set[tuple[str, str]] = field(default_factory=set)
    kind: str = ""
    phones: set[str] = field(default_factory=set)
    emails: set[str] = field(default_factory=set)
    handles: set[str] = field(default_factory=set)
    accounts: set[str] = field(default_factory=set)
    addresses: list[dict[str, str]] = field(default_factory=list)
    #: The legal form the legal name's designator states ("Inc": a corporation; `names.business_legal_form`),
    #: read where `kind` is left out.
    named_form: str = ""
    #: Unverified identifiers (`unverified_keys`): an EIN of eight digits kept by an import.
    unverified: set[str] = field(default_factory=set)


def _listed(rec: Mapping) -> dict[str, list[Mapping]]:
    """The record's `identifiers` entries ({type, value, ...}) by canonical kind: a record other than a
    person may list an identifier its type has a field for ("vin" on a vehicle) there instead, as an API
    client or another system's export does; each view reads them as that field (a person's view reads
    its own, `person_view`). Unverified kinds stay apart (`unverified_keys`)."""
    out: dict[str, list[Mapping]] = {}
    for entry in _as_list(rec.get("identifiers")):
        if isinstance(entry, Mapping):
            out.setdefault(canonical_kind(entry.get("type")), []).append(entry)
    return out


def _normalized(kind: str, field_value: object, listed: dict[str, list[Mapping]]) -> set[str]:
    """The normalized values of `kind`: the field's, and those of its kind in `identifiers`."""
    values = [*_as_list(field_value), *(e.get("value") for e in listed.get(kind, ()))]
    return {v for v in (normalize_identifier(kind, x) for x in values) if v}


def _qualified_all(kind: str, field_value: object, field_qualifier: object, listed: dict[str, list[Mapping]],
                   qualifier_key: str) -> set[tuple]:
    """(number, issuer) of `kind` (a plate and its state): the field's with its qualifier field, and those
    of its kind in `identifiers`, each with its own entry's qualifier (`_qualified`)."""
    values = [(field_value, field_qualifier), *((e.get("value"), e.get(qualifier_key)) for e in listed.get(kind, ()))]
    return {q for v, issuer in values if (q := _qualified(kind, v, qualifier_key, issuer)) is not None}


def business_view(rec: Mapping) -> BusinessView:
    """Normalize a Business record dict."""
    names = [business_key(n) for n in [rec.get("name"), *_as_list(rec.get("dbas"))]]
    reg = alnum_upper(rec.get("registration_number"))
    listed = _listed(rec)
    return BusinessView(
        names=[n for n in dict.fromkeys(names) if n],
        ein=_normalized("ein", rec.get("ein"), listed),
        registrations={(reg, normalize_state(rec.get("jurisdiction")))} if reg else set(),
        kind=ascii_text(rec.get("kind")),
        phones=_normalized("phone", rec.get("phones"), listed),
        emails=_normalized("email", rec.get("emails"), listed),
        handles={str(h) for h in _as_list(rec.get("handles")) if h},
        accounts={str(a) for a in _as_list(rec.get("accounts")) if a},
        addresses=[normalize_address(a) for a in _as_list(rec.get("addresses")) if isinstance(a, Mapping)],
        named_form=business_legal_form(rec.get("name")),
        unverified=unverified_keys(rec),
    )


# Common short forms of vehicle makes, so "Chevy" and "Chevrolet" agree; and the four-letter NCIC
# vehicle make codes (the NCIC Code Manual's VMA field), which police and DMV records write in place of
# the make ("TOYT", "HOND"), for the makes most often seen; and "Beech", the FAA registry's make for
# Beechcraft aircraft.
_MAKES = {"chevy": "chevrolet", "vw": "volkswagen", "mercedes": "mercedes benz", "benz": "mercedes benz",
          "merc": "mercury", "caddy": "cadillac", "olds": "oldsmobile", "landrover": "land rover",
          "acur": "acura", "buic": "buick", "cadi": "cadillac", "chev": "chevrolet", "chry": "chrysler",
          "dodg": "dodge", "hond": "honda", "hyun": "hyundai", "infi": "infiniti", "lexs": "lexus",
          "linc": "lincoln", "mazd": "mazda", "merz": "mercedes benz", "mits": "mitsubishi", "niss": "nissan",
          "pont": "pontiac", "suba": "subaru", "tesl": "tesla", "toyt": "toyota", "volk": "volkswagen",
          "volv": "volvo", "beech": "beechcraft"}
#: Words after a maker's name that name its company, not another maker ("Piper Aircraft", "Bombardier
#: Inc"): left off, so the make and a serial qualified by it agree. "Textron Aviation", which builds
#: Cessnas and Beechcrafts, stays "textron": it names neither, and says nothing against them either
#: (`compare.makes_unsure`).
_MAKER_WORDS = frozenset({"inc", "corp", "corporation", "co", "company", "ltd", "llc", "aircraft", "aviation",
                          "motors", "motor"})
_COLOURS = {"grey": "gray", "blk": "black", "wht": "white", "slv": "silver", "blu": "blue", "maroon": "red"}


def make_key(value: object) -> str:
    """Normalized vehicle/aircraft make ("Chevy" -> "chevrolet", "Mercedes-Benz" -> "mercedes benz")."""
    words = ascii_text(value).split()
    while len(words) > 1 and words[-1] in _MAKER_WORDS:
        words.pop()
    m = " ".join(words)
    return _MAKES.get(m, m)


def _year(value: object) -> int | None:
    digits = "".join(ch for ch in str(value or "") if ch.isdigit())
    return int(digits) if len(digits) == 4 else None


def vehicle_view(rec: Mapping) -> dict:
    """Normalize a Vehicle record dict."""
    colour = ascii_text(rec.get("colour") or rec.get("color"))
    listed = _listed(rec)
    return {
        "vin": _normalized("vin", rec.get("vin"), listed),
        "plate": _qualified_all("plate", rec.get("plate"), rec.get("plate_state"), listed, "state"),
        "make": make_key(rec.get("make")),
        "model": ascii_text(rec.get("model")),
        "year": _year(rec.get("year")),
        "colour": _COLOURS.get(colour, colour),
        "unverified": unverified_keys(rec),
    }


# Ship-name prefixes that are not part of the name ("M/V Sea Star" is "Sea Star").
_VESSEL_PREFIXES = frozenset("mv m v fv f v sv s v my m y mt m t ss s s rv r v".split())


def vessel_name_key(value: object) -> str:
    """Comparable vessel name: business_key without ship prefixes such as M/V, F/V, S/V."""
    toks = business_key(value).split()
    while len(toks) > 1 and toks[0] in _VESSEL_PREFIXES:
        toks = toks[1:]
    return " ".join(toks)


def vessel_view(rec: Mapping) -> dict:
    """Normalize a Vessel record dict."""
    listed = _listed(rec)
    return {
        "name": vessel_name_key(rec.get("name")),
        "imo": _normalized("imo", rec.get("imo"), listed),
        "mmsi": _normalized("mmsi", rec.get("mmsi"), listed),
        "hin": _normalized("hin", rec.get("hull_id"), listed),
        "documentation_number": _normalized("documentation_number", rec.get("documentation_number"), listed),
        "flag": _country(rec.get("flag")),
        "kind": ascii_text(rec.get("kind")),
        "unverified": unverified_keys(rec),
    }


def aircraft_view(rec: Mapping) -> dict:
    """Normalize an Aircraft record dict."""
    make = make_key(rec.get("make"))
    listed = _listed(rec)
    return {
        "n_number": _normalized("n_number", rec.get("tail_number"), listed),
        "icao24": _normalized("icao24", rec.get("icao24"), listed),
        # Manufacturers' serials are unique per make only, so the make qualifies the serial.
        "serial": {(v, make) for v in _normalized("serial", rec.get("serial_number"), listed)},
        "make": make,
        "model": ascii_text(rec.get("model")),
        "unverified": unverified_keys(rec),
    }


def thing_view(rec: Mapping) -> dict:
    """Normalize a Thing record dict. Quantity and value describe a seizure, not identity: unused."""
    category = ascii_text(rec.get("category"))
    listed = _listed(rec)
    return {
        # A serial is unique per kind of thing only, so the category qualifies it.
        "serial": {(v, category) for v in _normalized("serial", rec.get("serial"), listed)},
        "imei": _normalized("imei", rec.get("imei"), listed),
        "category": category,
        "description": ascii_text(rec.get("description")),
        "unverified": unverified_keys(rec),
    }


#: The normalized view of each record type (`view_of`).
VIEWS = {"Person": person_view, "Business": business_view, "Vehicle": vehicle_view, "Vessel": vessel_view,
         "Aircraft": aircraft_view, "Thing": thing_view}


def view_of(entity_type: str, rec: Mapping) -> object:
    """The normalized view of a record of `entity_type`. Normalizing is most of what computing a record's
    keys costs: compute the view once and pass it to each key function (`features`, `blocking`)."""
    return VIEWS[entity_type](rec)
