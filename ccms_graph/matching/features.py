"""Blocking and exact-lookup keys that the graph stores on each node to find match candidates.

Key formats (all deterministic ASCII; store them per entity label, so equal strings on different
labels never meet):

Identifier keys, `identifier_keys(entity_type, record)`: "<kind>:<normalized value>" as built by
`identifiers.identifier_key`, e.g. "ssn:123456789", "anum:A012345678", "passport:X1234567",
"drivers_license:D1234567", "fbi_number:123456AB7", "phone:+12025550143", "email:a@b.com",
"ein:123456789", "registration:C1234567", "vin:1HGCM82633A004352", "plate:ABC1234",
"imo:9074729", "mmsi:366123456", "hin:ABC12345D404", "documentation_number:1234567",
"n_number:N123AB", "icao24:a1b2c3", "serial:SN123", "imei:490154203237518". Issuers (passport
country, license/plate state) are left out so a record lacking them is still found; the scorer
compares them. An equal key is a candidate, not a verdict.

Blocking keys for people, stored with `blocking_keys("Person", r)`:
  "<P>"         for every name                (P = Metaphone of a family-name token)
  "<P>|<YYYY>"  when the birth year is known
  "<P>|"        when it is not
P is taken from each family-name token without particles, from the whole family name run
together ("delacruz"), from a one-word family name without a fused particle ("Delacruz" ->
"cruz"), and, for given/family swaps, from the first given name. Aliases count.
Query with `candidate_keys("Person", r)`: "<P>|<YYYY>" for the year and the years either side,
plus "<P>|" (stored records with no date of birth); a record without a birth year asks "<P>",
which every stored record with that family name carries.

Every type also stores and queries evidence keys: `deletion_keys` of its identifiers ("dl:ssn:12346789",
one per deleted position, so one mistyped or transposed character still meets; for types other than
Person, of its unverified identifiers too, under their own kind: `unverified_keys`) and, for people and
businesses, `address_keys` ("ad:12|MN|20001", house number, street word, postcode or city).

Other types store and query the same keys (`candidate_keys` == `blocking_keys`):
  Business  "name:<P>" for the first two words of each name/DBA (business_key), "zip:<postcode>"
  Vehicle   "vinhead:<VIN 1-11>", "vintail:<VIN 12-17>" (one typo leaves one intact),
            "mmy:<make>|<model>|<year>"
  Vessel    "name:<Metaphone of the name run together>"
  Aircraft  "mm:<make>|<model>", "tail:<tail number digits>"
  Thing     "cat:<category>", "serialtail:<last 6 of serial>"
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from ccms_graph.matching import records
from ccms_graph.matching.identifiers import identifier_key
from ccms_graph.matching.names import PersonName, phonetic_key


def _unique(keys: Iterable[str]) -> list[str]:
    """Sorted, de-duplicated, no empties: the stored list must not depend on input order."""
    return sorted({k for k in keys if k})


# Particles that clerks run into the surname ("Delacruz", "Vanderberg"); longest first.
_FUSED_PARTICLES = ("delos", "delas", "dela", "del", "de", "vander", "vanden", "van", "von", "di", "du", "al", "el")


def _without_fused_particle(token: str) -> str | None:
    for prefix in _FUSED_PARTICLES:
        if token.startswith(prefix) and len(token) - len(prefix) >= 4:
            return token[len(prefix):]
    return None


def _name_phonetics(name: PersonName, swapped: bool) -> set[str]:
    out = {phonetic_key(t) for t in name.family_core}
    if len(name.family) == 1 and (rest := _without_fused_particle(name.family[0])):
        out.add(phonetic_key(rest))  # "Delacruz" also files under "cruz"
    if len(name.family) > 1:
        out.add(phonetic_key(name.family_compact))
    if not name.family and name.given:  # a lone name is filed as the family name
        out.add(phonetic_key(name.first))
    if swapped and name.given and name.family:
        out.add(phonetic_key(name.first))
    return {p for p in out if p}


def _person_keys(view: records.PersonView, query: bool) -> list[str]:
    year = view.dob.year if not view.dob.is_missing else None
    phons = set().union(*(_name_phonetics(n, swapped=not query) for n in view.names))
    keys: list[str] = []
    for p in phons:
        if not query:
            keys += [p, f"{p}|{year}" if year else f"{p}|"]
        elif year:
            keys += [f"{p}|{year - 1}", f"{p}|{year}", f"{p}|{year + 1}", f"{p}|"]
        else:
            keys.append(p)
    return _unique(keys)


def _business_keys(view: records.BusinessView) -> list[str]:
    keys = [f"name:{phonetic_key(word)}" for n in view.names for word in n.split()[:2]]
    keys += [f"zip:{a['postcode']}" for a in view.addresses if a["postcode"]]
    return _unique(keys)


def _vehicle_keys(v: dict) -> list[str]:
    keys = [k for vin in v["vin"] for k in (f"vinhead:{vin[:11]}", f"vintail:{vin[11:]}")]
    if v["make"] and v["model"] and v["year"]:
        keys.append(f"mmy:{v['make']}|{v['model']}|{v['year']}")
    return _unique(keys)


def _vessel_keys(v: dict) -> list[str]:
    name = v["name"]
    return _unique([f"name:{phonetic_key(name.replace(' ', ''))}"] if name else [])


def _aircraft_keys(v: dict) -> list[str]:
    keys = [f"mm:{v['make']}|{v['model']}"] if v["make"] and v["model"] else []
    keys += [f"tail:{d}" for t in v["n_number"] if (d := "".join(c for c in t if c.isdigit()))]
    return _unique(keys)


def _thing_keys(v: dict) -> list[str]:
    keys = [f"cat:{v['category']}"] if v["category"] else []
    keys += [f"serialtail:{s[-6:]}" for s, _ in v["serial"]]
    return _unique(keys)


_OTHER: dict[str, Callable[[Any], list[str]]] = {"Business": _business_keys, "Vehicle": _vehicle_keys, "Vessel": _vessel_keys,
          "Aircraft": _aircraft_keys, "Thing": _thing_keys}


def _check(entity_type: str) -> None:
    if entity_type not in records.ENTITY_TYPES:
        raise ValueError(f"unknown entity type {entity_type!r}; expected one of {records.ENTITY_TYPES}")


#: Identifier kinds whose values are too short or too shared for deletion keys to stay selective,
#: and the selectors found by their own exact lookup.
_NO_DELETION_KEYS = frozenset({"phone", "email"})
#: Identifiers shorter than this get no deletion keys (their one-deletion variants are common).
MIN_DELETION_LENGTH = 5


def deletion_keys(id_keys: Iterable[str]) -> list[str]:
    """"dl:<kind>:<value less one character>" for every position, and the value itself.

    Two identifiers one substitution, insertion, deletion or adjacent transposition apart share at
    least one of these keys (delete the differing character, or the later of the swapped pair),
    so a mistyped SSN, EIN or VIN is still a candidate, through an exact index term.
    """
    out = set()
    for key in id_keys:
        kind, _, value = key.partition(":")
        if kind in _NO_DELETION_KEYS or len(value) < MIN_DELETION_LENGTH:
            continue
        out.add(f"dl:{kind}:{value}")
        out |= {f"dl:{kind}:{value[:i]}{value[i + 1:]}" for i in range(len(value))}
    return sorted(out)


def address_keys(addresses: Iterable[Mapping[str, str]]) -> list[str]:
    """"ad:<house number>|<first street word>|<postcode or city>" per normalized address.

    Address-only evidence (a copy with a replaced name, sharing the street address) finds its
    record; two keys per address, so a slipped postcode or a misspelt city leaves the other.
    """
    out = set()
    for addr in addresses:
        words = (addr.get("line") or "").split()
        if len(words) < 2 or not any(ch.isdigit() for ch in words[0]):
            continue
        head = f"{words[0]}|{phonetic_key(words[1]) or words[1]}"
        out |= {f"ad:{head}|{where}" for where in (addr.get("postcode"), addr.get("city")) if where}
    return sorted(out)


def _evidence_keys(entity_type: str, record: Mapping, view: Any) -> list[str]:
    """Keys from identifiers and addresses, the same for storing and querying."""
    keys = deletion_keys([*identifier_keys(entity_type, record, view), *unverified_keys(entity_type, view)])
    if entity_type in ("Person", "Business"):
        keys += address_keys(view.addresses)
    return keys


def _own_keys(entity_type: str, record: Mapping, view: Any, query: bool) -> list[str]:
    _check(entity_type)
    view = records.view_of(entity_type, record) if view is None else view
    own = _person_keys(view, query) if entity_type == "Person" else _OTHER[entity_type](view)
    return _unique([*own, *_evidence_keys(entity_type, record, view)])


def blocking_keys(entity_type: str, record: Mapping, view: Any = None) -> list[str]:
    """The blocking keys to store on the node for `record` (sorted, unique); see the module doc.
    `view` is `records.view_of(entity_type, record)`, when the caller has it."""
    return _own_keys(entity_type, record, view, query=False)


def candidate_keys(entity_type: str, record: Mapping, view: Any = None) -> list[str]:
    """The keys to look up (any stored key equal to one of them) to find candidates for `record`;
    `view` as for `blocking_keys`."""
    return _own_keys(entity_type, record, view, query=True)


def _ids(kind: str, values: Iterable[str]) -> list[str]:
    # Values are already normalized; identifier_key re-normalizes, which is idempotent.
    return [k for v in values if (k := identifier_key(kind, v))]


def unverified_keys(entity_type: str, view: Any) -> list[str]:
    """The unverified identifiers of a record other than a person, keyed under their own kind ("vin:"
    and the 16 characters an import kept as `vin_unverified`; `records.unverified_keys`), sorted.

    Never exact-lookup keys (`identifier_keys`): they feed only the evidence keys ("dl:vin:...", and
    `blocking.two_edit_keys`), so a VIN that lost a character meets the stored valid VIN it slipped
    from, as a candidate the scorer weighs (`compare.compare_unverified`), never as a decisive hit. A
    person's unverified identifiers stay among its other identifiers (`PersonView.other_ids`)."""
    if entity_type == "Person":
        return []
    unverified = view.unverified if entity_type == "Business" else view["unverified"]
    return sorted(unverified)


def identifier_keys(entity_type: str, record: Mapping, view: Any = None) -> list[str]:
    """Exact-lookup identifier keys for `record` (sorted, unique), e.g. "ssn:123456789"; `view` as for
    `blocking_keys`."""
    _check(entity_type)
    v: Any = records.view_of(entity_type, record) if view is None else view
    if entity_type == "Person":
        p = v
        keys = [k for kind, vals in p.ids.items() for k in _ids(kind, vals)]
        keys += _ids("passport", (n for n, _ in p.passports)) + _ids("drivers_license", (n for n, _ in p.licenses))
        keys += list(p.other_ids) + _ids("phone", p.phones) + _ids("email", p.emails)
    elif entity_type == "Business":
        b = v
        keys = _ids("ein", b.ein) + [f"registration:{n}" for n, _ in b.registrations]
        keys += _ids("phone", b.phones) + _ids("email", b.emails)
    elif entity_type == "Vehicle":
        keys = _ids("vin", v["vin"]) + _ids("plate", (n for n, _ in v["plate"]))
    elif entity_type == "Vessel":
        keys = _ids("imo", v["imo"]) + _ids("mmsi", v["mmsi"]) + _ids("hin", v["hin"])
        keys += [f"documentation_number:{d}" for d in v["documentation_number"]]
    elif entity_type == "Aircraft":
        keys = _ids("n_number", v["n_number"]) + _ids("icao24", v["icao24"]) + _ids("serial", (n for n, _ in v["serial"]))
    else:
        keys = _ids("imei", v["imei"]) + _ids("serial", (n for n, _ in v["serial"]))
    return _unique(keys)
