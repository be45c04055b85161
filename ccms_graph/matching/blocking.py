"""Candidate generation inside Neo4j: identifier index seeks, Lucene fuzzy names and stored blocking keys.

Three sources feed one ranked, capped candidate list per probe record, all index-backed (never a
scan of a label):

1. **Exact identifiers.** `features.identifier_keys` -> `(:Identifier {key})` (unique index seek)
   <-[:HAS_IDENTIFIER]- record; phones and e-mails through `(:Phone {e164})` / `(:Email {address})`.
2. **Fuzzy names.** A Lucene query on the existing `person_names` / `business_names` full-text
   indexes: every name token of three letters or more as a fuzzy term (`token~1`; shorter ones exact). User input only
   reaches Lucene as escaped terms inside a `$parameter`.
3. **Blocking keys.** `features.blocking_keys` plus two keys of ours (below), prefixed with the
   entity type ("Person:SM0|1980"), stored space-separated in one node property, `match_keys`, and
   indexed by the `match_keys` full-text index with Lucene's *whitespace* analyzer, so every key is
   an exact Lucene term. Each probe asks for its `candidate_keys` as one OR query of quoted terms.

Why a whitespace full-text index and not the two options first considered:
* Range indexes do not index list elements, so a list property of keys cannot be seeked.
* A fixed number of scalar key properties (bk0..bk7, one range index each) truncates: a person
  with two surnames and two aliases has more than a dozen keys. It also costs one seek per slot.
* `(:BlockKey {key})<-[:HAS_BLOCK]-` nodes work, but "Person:SM0" becomes a hub with one edge per
  Smith (1% of all people), every create of a Smith write-locks that hub (concurrent imports
  serialize on it), and the extra nodes and edges surface in every generic graph expansion.
* The Lucene term index has none of these problems: the keys ride on the node (so the seed, the
  batch `insert_rows` and `update_entity` keep them without extra statements), one query answers
  all keys of a probe, and BM25 ranks a candidate that shares several rare keys (exact date of
  birth + surname) above one that shares a single common key, which is what the cap needs.

Keys we add for people (beside `features`): "dob:<YYYY-MM-DD>" (about 35 people per date at
1M, catches any surname change or typo) and "md:<MM-DD>|<P>" (month-day plus surname phonetic,
catches a mistyped birth year), "ym:<YYYY-MM>|<P>" (year-month plus surname phonetic, catches a
slipped day, also with a slipped year, when there is no given name to key on), and "gfy:<given Metaphone>|<family initial>|<YYYY>" (a
mistyped surname whose date also slipped, `_given_year_keys`). The query also asks for the
day/month-transposed forms. Records stored before a key was added get theirs from
`recompute_keys(graph)`.

Keys we add for vehicles, vessels and aircraft (`_object_keys`): "d2:" identifier keys two edits
apart (`two_edit_keys`: VIN and HIN by their last eight characters, plates whole), "vm:"/"vmy:" a vehicle's model (with its year), "am:" an aircraft's model, "vn:" a
vessel's name one slip apart (two from eight letters). On the stress profile of `benchmarks/peer.py` they took candidate
recall from 0.809 to 0.999 (vehicles), 0.785 to 0.830 (vessels) and 0.643 to 0.770 (aircraft), with
24, 18 and 66 candidates per query (4, 15 and 39 before); clerical 0.994 to 1.000, 0.991 to 0.997,
0.986 to 0.993. What vessels and aircraft still miss shares no evidence but a kind, a flag or a make
(a renamed vessel whose identifiers were left off, a re-registered aircraft without its model), or
a tail number two edits away (N-numbers are dense: most of their neighbours are other aircraft).
The scorer weighs a VIN, plate or hull id two edits away as `close` (`compare.two_slips_apart`, the
same length rule as `TWO_EDIT_MIN`), which is what turned the new candidates into hits.

Things (`_object_keys`) key on their description ("ds:", `description_keys`: the words as written,
and the words less one) and on a serial two edits away ("d2:"); their category ("cat:", a third
of all things) is asked only by a probe with neither a description nor an identifier. A copy
whose serial or IMEI was left off (or dropped: a slipped IMEI fails its Luhn check) keeps its
description. peer.py, 1,000 things: candidate recall clerical 0.960 -> 1.000 (0.941 -> 1.000 on
a held-out seed), stress 0.533 -> 0.986 (0.529 -> 0.987), with 55 candidates per query instead of
88 (clerical; 57 instead of 76 stress), P/R/F1 unchanged: a description alone scores below
`possible`. Like "vm", they find a copy among the few things described alike, not among the
thousands of "Apple iPhone 13" of a large store. Businesses and aircraft still miss copies that
keep nothing but a name they changed (a new trade name, its legal form) or a make (re-registered
without its model: a make is 76-197 of the benchmark's 1,000 aircraft).

Evidence keys (`features.deletion_keys`, `features.address_keys`, `two_edit_keys`) and social handles are asked in
their own query; a candidate found through them, an identifier, a phone or an e-mail is marked
`evidence`, which the batch path's first stage (`deconflict.worth_scoring`) always lets through.

The results are ranked in Cypher (identifier hits first, then shared phones/e-mails, then the
best SEATS hits of each Lucene query, then the summed Lucene scores, with a bonus for an equal or transposed
date of birth) and capped at
`CANDIDATE_CAP` per probe.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from ..db import Graph
from ..nodes.vocabulary import ENTITY_TYPES, FINANCIAL_SELECTORS
from . import compare, features, identifiers, records
from .dates import Dob
from .names import PersonName, ascii_text, phonetic_key, tokens

#: Candidates per probe record after ranking (the issue asks for about 100).
CANDIDATE_CAP = 100
#: How many hits each Lucene query may return before ranking. At 1M people a common surname's
#: year keys plus the date-of-birth keys fill 150 easily; 300 keeps the true record (which also
#: scores on the name query) in reach: candidate recall 0.945 -> 0.966 on the benchmark.
KEY_LIMIT = 300
NAME_LIMIT = 100
#: The best SEATS hits of each Lucene query (fuzzy names, blocking keys) always get a seat among
#: the candidates: SEAT_BONUS lifts them above the summed scores and the date-of-birth bonus, below
#: identifiers and shared phones. Without seats, at 1M a respelled surname with no date of birth
#: (the top name hit) lost to dozens of people sharing a common phonetic key, and "Ahmed" with a
#: slipped year (the second key hit) to the people sharing its date of birth.
SEATS = 20
SEAT_BONUS = 30.0
#: A person with a full date of birth asks the fuzzy name query for its `SEATS` best hits only,
#: not `NAME_LIMIT`. Its date's keys ("dob", "md", "ym", "gmd", "gfy") find the copies the name
#: query would add past the seats; there those hits only added their name score to people the keys
#: also found, or took the last places under the cap, and together the hits cost the statement
#: (label, properties, sort, aggregation) about as much as Lucene's fuzzy terms. Without a full
#: date the name query is the only way to a copy whose given name slipped under a common surname
#: ("Roert Gonzalez"): those keep `NAME_LIMIT` (20 for every probe lost two copies of 1,712 at a
#: cap of 100, 30 lost one). 4,000 generator probes at 100,000 stored people (seed 13, the
#: import's cap of 40, median of three runs on a shared machine): Neo4j CPU 1.98 -> 1.49 ms a
#: probe, 12 % fewer candidates, true copies 3,394 -> 3,395 of 3,406 (3,397 at a cap of 100
#: either way; seeds 11 and 12 unchanged). Tried and dropped: leaving the given name out of a
#: dated probe's query (one fuzzy term less, 1.20 ms) lost "Richadr Thooas" with a slipped day,
#: whose given name, surname and date all slipped and share no key; "+given~1 +family~1"
#: (conjunctive) costs the same as the OR, since building and walking each fuzzy term's automaton
#: is most of Lucene's share, and a regular expression keeping the first letter ("/t(.homas|...)/")
#: was three to four times slower.
DATED_NAME_LIMIT = SEATS
#: Keys from identifiers and addresses (`features.deletion_keys`, `features.address_keys`): asked in
#: their own Lucene query, whose hits count as evidence beside the identifiers, phones and e-mails.
EVIDENCE_PREFIXES = frozenset({"dl", "d2", "ad"})
EVIDENCE_LIMIT = 50
#: The node property holding the blocking keys, and its full-text index (see cypher/schema.cypher).
MATCH_KEYS_PROP = "match_keys"
MATCH_KEYS_INDEX = "match_keys"
#: Full-text name index per entity type; other types rely on identifiers and blocking keys.
NAME_INDEXES = {"Person": "person_names", "Business": "business_names"}
#: Selector link types per entity type (the records module uses RESIDES_AT for people only).
_ADDRESS_LINK = {"Person": "RESIDES_AT"}

_LUCENE_SPECIAL = re.compile(r'([+\-&|!(){}\[\]^"~*?:\\/])')


def lucene_escape(text: str) -> str:
    """Escape Lucene query syntax so user input is only ever a literal term."""
    return _LUCENE_SPECIAL.sub(r"\\\1", str(text))


def _check(type_name: str) -> str:
    if type_name not in ENTITY_TYPES:
        raise ValueError(f"unknown entity type {type_name!r}")
    return type_name


# ---------------------------------------------------------------------------------------------
# Record shapes: node properties <-> the dicts the pure matching core reads
# ---------------------------------------------------------------------------------------------


def handle_keys(handles: Iterable[str | Mapping]) -> set[str]:
    """Social handles as their stored keys, "platform:handle" (lower case, no leading @)."""
    out = set()
    for h in handles:
        if isinstance(h, Mapping):
            platform, handle = str(h.get("platform") or "").strip().lower(), str(h.get("handle") or "")
            if platform and (handle := handle.strip().lstrip("@").lower()):
                out.add(f"{platform}:{handle}")
        elif isinstance(h, str) and ":" in h:
            out.add(h.strip().lower())
    return out


def account_keys(record_input: Mapping) -> list[str]:
    """The keys of the valid financial selectors in a record's input ("bank_accounts", ...); bad ones are
    left out here (the write path refuses them, naming the field)."""
    keys = []
    for type_name, (_, name) in FINANCIAL_SELECTORS.items():
        for item in record_input.get(name) or ():
            try:
                keys.append(identifiers.financial_selector(type_name, item)["key"])
            except (identifiers.BadValue, AttributeError):
                continue
    return sorted(set(keys))


def matching_record(type_name: str, props: Mapping, phones: Iterable[str] = (), emails: Iterable[str] = (),
                    addresses: Iterable[Mapping] = (), handles: Iterable[str | Mapping] = (),
                    accounts: Iterable[str] = ()) -> dict:
    """The dict `model.score` / `features` read, from stored (or prepared) node properties and selectors.

    `handles` are social handles as stored keys ("platform:handle") or as input ({platform, handle});
    `accounts` the keys of financial selectors ("bank:021000021:123456", see `account_keys`)."""
    names = ENTITY_TYPES[type_name].field_names
    rec = {k: v for k, v in props.items() if k in names and v not in (None, "")}
    if isinstance(rec.get("identifiers"), str):
        try:
            rec["identifiers"] = json.loads(rec["identifiers"])
        except ValueError:
            rec["identifiers"] = []
    if type_name == "Person":
        if rec.get("passport") and isinstance(rec["passport"], str):
            rec["passport"] = {"number": rec["passport"], "country": props.get("passport_country")}
        if rec.get("drivers_license") and isinstance(rec["drivers_license"], str):
            rec["drivers_license"] = {"number": rec["drivers_license"], "state": props.get("drivers_license_state")}
    rec["phones"] = [p for p in phones if p]
    rec["emails"] = [e for e in emails if e]
    rec["addresses"] = [dict(a) for a in addresses if a]
    rec["handles"] = sorted(handle_keys(handles))
    rec["accounts"] = sorted({a for a in accounts if a})
    return rec


#: A record's financial selectors' keys, as a Cypher list expression over `n` (labels from the vocabulary).
_ACCOUNTS = ("[(n)-[h]->(x) WHERE type(h) IN [" + ", ".join(f"'{link}'" for link, _ in FINANCIAL_SELECTORS.values())
             + "] AND h.status = 'active' AND (" + " OR ".join(f"x:{t}" for t in FINANCIAL_SELECTORS)
             + ") | x.key] AS accounts")


_LOAD = """
UNWIND $uids AS uid
MATCH (n:SubjectRecord {{uid: uid}}) WHERE n:{label}
RETURN n.uid AS uid, properties(n) AS props,
       [(n)-[:USES_PHONE {{status: 'active'}}]->(x:Phone) | x.e164] AS phones,
       [(n)-[:USES_EMAIL {{status: 'active'}}]->(x:Email) | x.address] AS emails,
       [(n)-[:{address_link} {{status: 'active'}}]->(x:Address)
          | x {{.line1, .line2, .city, .state, .postcode, .country}}] AS addresses,
       [(n)-[:USES_HANDLE {{status: 'active'}}]->(x:SocialHandle) | x.key] AS handles,
       [(n)-[:SUB_RECORD_OF*1..5]-(m) | m.uid] AS family, {accounts}
"""


def _selector_args(label: str) -> dict[str, str]:
    """What the statements reading a record's selectors (`_SELECTORS`, `_LOAD`) are formatted with for `label`."""
    return {"address_link": _ADDRESS_LINK.get(label, "LOCATED_AT"), "accounts": _ACCOUNTS}


_LIVE_COUNT = "MATCH (n:{label}) WHERE coalesce(n.deleted, false) = false RETURN count(n) AS n"
_SAMPLE = """
MATCH (n:{label}) WHERE coalesce(n.deleted, false) = false
WITH n ORDER BY rand() LIMIT $size
RETURN n.uid AS uid
"""


def live_count(tx, type_name: str) -> int:
    """How many records of the type are stored and not deleted."""
    return tx.run(_LIVE_COUNT.format(label=_check(type_name))).single()["n"]


def sample_uids(tx, type_name: str, size: int) -> list[str]:
    """The uids of a random sample of `size` stored, not deleted records of the type (all, when fewer)."""
    return [r["uid"] for r in tx.run(_SAMPLE.format(label=_check(type_name)), size=size)]


def load_records(tx, type_name: str, uids: Iterable[str]) -> dict[str, dict]:
    """uid -> {"props", "record" (matching dict), "family" (uids merged with it)} for stored records."""
    label = _check(type_name)
    stmt = _LOAD.format(label=label, **_selector_args(label))
    out = {}
    for r in tx.run(stmt, uids=list(uids)):
        out[r["uid"]] = {"props": r["props"], "family": sorted(set(r["family"])),
                         "record": matching_record(type_name, r["props"], r["phones"], r["emails"],
                                                   addresses=r["addresses"], handles=r["handles"],
                                                   accounts=r["accounts"])}
    return out


def _surname_keys(names: Sequence[PersonName]) -> set[str]:
    """Metaphone keys of every family-name token, and of the first given name (a later copy may swap them)."""
    surnames = set()
    for name in names:
        surnames |= {phonetic_key(t) for t in name.family_core}
        if name.given:
            surnames.add(phonetic_key(name.first))
    return surnames - {""}


def _person_extra_keys(view: records.PersonView, query: bool) -> list[str]:
    dob = view.dob
    # The None tests repeat what is_missing / is_full check, so the types narrow.
    if dob.is_missing or dob.year is None:
        return []
    names = view.names
    surnames = sorted(_surname_keys(names))
    keys = _year_month_keys(dob, surnames, query) + _given_year_keys(names, dob.year, query)
    if not dob.is_full or dob.month is None or dob.day is None:
        return keys
    days = {(dob.month, dob.day)}
    if query and dob.day <= 12 and dob.day != dob.month:
        days.add((dob.day, dob.month))  # the clerk may have swapped day and month
    keys += [f"dob:{dob.year:04d}-{m:02d}-{d:02d}" for m, d in days]
    keys += [f"md:{m:02d}-{d:02d}|{p}" for m, d in days for p in surnames]
    # A replaced surname (an alias, a married name) whose year also slipped: the given name and the day.
    givens = sorted({p for n in names if n.given and (p := phonetic_key(n.first))})
    keys += [f"gmd:{g}|{m:02d}-{d:02d}" for m, d in days for g in givens]
    return keys


def _year_month_keys(dob: Dob, surnames: list[str], query: bool) -> list[str]:
    """"ym:<YYYY-MM>|<surname Metaphone>": a lone surname whose day slipped, or day and year at once.

    About N/1000 people per key for a surname N people share (4 Andersons per key at 1M). Asked for
    the years either side and, when the day could be a month, the transposed month.
    """
    if dob.year is None or dob.month is None:
        return []
    months = {dob.month}
    years: tuple[int, ...] = (dob.year,)
    if query:
        years = (dob.year - 1, dob.year, dob.year + 1)
        if dob.day is not None and dob.day <= 12:
            months.add(dob.day)
    return [f"ym:{y:04d}-{m:02d}|{p}" for y in years for m in sorted(months) for p in surnames]


def _given_year_keys(names: Sequence[PersonName], year: int, query: bool) -> list[str]:
    """"gfy:<given Metaphone>|<family initial>|<YYYY>": finds a mistyped surname with a slipped date.

    Stored for each name both ways round (a later copy may swap given and family names); asked
    for the probe's own orientation and the years either side. About 15 people per key at 1M.
    """
    keys = set()
    years = (year - 1, year, year + 1) if query else (year,)
    for name in names:
        if not name.given or not name.family:
            continue
        fam = name.family_core[0]
        pairs = [(name.first, fam)] if query else [(name.first, fam), (fam, name.first)]
        for given, family in pairs:
            if (p := phonetic_key(given)) and family:
                keys |= {f"gfy:{p}|{family[0]}|{y}" for y in years}
    return sorted(keys)


#: Identifiers this long or longer (VIN, HIN) get "d2" keys from their last `SERIAL_TAIL` characters
#: only: their head is the maker's and the model line's code, shared by every vehicle of the line.
LONG_ID = 12
SERIAL_TAIL = 8
#: Shorter identifiers get no two-edit keys: two deletions from six characters leave four, which
#: thousands of plates or tail numbers share.
TWO_EDIT_MIN = compare.CLOSE_ID_LENGTH
#: The types whose records are found by registrations, hulls, models and descriptions rather than by names.
_OBJECT_TYPES = frozenset({"Vehicle", "Vessel", "Aircraft", "Thing"})
#: Vessel names this long or longer (run together) get their two-deletion neighbours as "vn:" keys,
#: shorter ones their one-deletion neighbours: two deletions from "marlin" leave four letters that
#: other short names share ("mrln", "marl").
VESSEL_NAME_TWO_EDIT = 8
#: The words of a thing's description that its "ds:" keys are made of (the first ones: free text runs on).
DESCRIPTION_WORDS = 8


def two_edit_keys(id_keys: Iterable[str]) -> list[str]:
    """"d2:<kind>:..." keys: two values of one identifier kind up to two edits apart share one, where
    `features.deletion_keys` ("dl", one edit) no longer meet.

    The stress copies of vehicles, vessels and aircraft slip an identifier twice (a typo and a
    transposition, or one slip on each of two copies). Each value with up to two characters
    deleted: a substitution deletes the same position on both sides, a transposition the earlier
    or later of the pair, an insertion one side only, so two edits are at most two deletions on
    each side. From `TWO_EDIT_MIN` to 11 characters (plates: 29 keys at most for seven) five or more
    remain. From `LONG_ID` on (VIN, HIN) only the last `SERIAL_TAIL` characters ("d2:vin:t:..."; 37
    keys at most, not the 154 of the whole VIN): the serial part, which tells one vehicle of a model
    line from the next; slips in the head do not matter then.

    How crowded the keys are, measured as the share of unrelated pairs of the peer benchmark's
    records (random values) that share one: VIN tails 7e-6, plates 7e-5 (7 and 70 candidates per
    probe at a million records). Values of digits only are left out: an MMSI's two-deletion keys
    met 2e-3 of unrelated pairs (its first three digits are the flag's, four random ones remain),
    documentation numbers 3e-3, hundreds per probe at scale and ranked no better than the true
    record (which, two edits away, shares one key too). Real VINs are less random than the
    benchmark's: serials run in sequence within a plant and year, so there the keys also meet the
    vehicles built next to it, and one a single edit away shares more keys (ranks higher) than a
    true record two edits away.
    Phones and e-mails have exact lookups of their own and are left out, as for "dl".
    """
    out: set[str] = set()
    for key in id_keys:
        kind, _, value = key.partition(":")
        if kind in ("phone", "email") or len(value) < TWO_EDIT_MIN or value.isdigit():
            continue
        if len(value) >= LONG_ID:
            out |= {f"d2:{kind}:t:{d}" for d in _deletions(value[-SERIAL_TAIL:], 2)}
        else:
            out |= {f"d2:{kind}:{d}" for d in _deletions(value, 2)}
    return sorted(out)


def _deletions(value: str, most: int) -> set[str]:
    """`value` with up to `most` of its characters deleted, in every way."""
    out = {value}
    for _ in range(most):
        out |= {d for v in out for d in deletion_neighbours(v)}
    return out


def deletion_neighbours(word: str) -> set[str]:
    """`word` and `word` less each one character: two words one substitution, insertion, deletion or
    adjacent transposition apart share at least one."""
    return {word, *(f"{word[:i]}{word[i + 1:]}" for i in range(len(word)))}


def description_keys(description: object) -> set[str]:
    """"ds:<words joined by _>": a thing's description (its first `DESCRIPTION_WORDS` words as written,
    each in lower case, letters and digits only: "AR-15" is one word, "ar15", and "&" none), and from
    three words on the description less each one word, so two descriptions one dropped or added
    word apart ("Colt AR-15 5.56 rifle" / "colt 5.56 rifle") share a key, and so do two with one
    word replaced ("Glock 19 9mm pistol" / "Glock 17 9mm pistol"), ranked by BM25 below those
    sharing every key. Two words less one leave a single word ("pistol"): not kept."""
    words = [w for word in str(description or "").split() if (w := "".join(ascii_text(word).split()))]
    words = words[:DESCRIPTION_WORDS]
    if not words:
        return set()
    out = {"_".join(words)}
    if len(words) >= 3:
        out |= {"_".join(words[:i] + words[i + 1:]) for i in range(len(words))}
    return {f"ds:{d}" for d in out}


def model_key(model: object) -> str:
    """A vehicle or aircraft model as a key: letters and digits only, upper case ("Ram 1500",
    "RAM1500" and "ram-1500" are one; "PA-28-181" is "PA28181")."""
    return identifiers.alnum_upper(model)


def _object_keys(type_name: str, record: Mapping, query: bool, view: Any) -> list[str]:
    """Keys of ours for vehicles, vessels and aircraft (beside `features`'), from the evidence their
    copies still share when the registration changed or slipped twice:

    * identifiers two edits apart: `two_edit_keys`, asked with the other evidence keys, unverified
      ones (`features.unverified_keys`) among them;
    * vehicles: "vmy:<model>|<year>" (`model_key`, whatever the make is called: "Chevy", "TOYT";
      asked for the years either side) and "vm:<model>", stored always and asked only by a probe
      without a year: a re-plated car, or a VIN left off one copy and the plate off the other, keeps
      its model and year. In the benchmark a model is about 70 of 1,000 vehicles; at scale it is
      thousands, and a probe with neither identifier nor year gets the `KEY_LIMIT` best by BM25,
      which cannot tell them apart: the key finds such a copy only among few records of its model;
    * aircraft: "am:<model>", the model without the make (the make is written "Textron Aviation" for
      a Cessna, "Beech" for a Beechcraft); a re-registered aircraft keeps its model. As for "vm",
      reach among few of a model, not at scale;
    * vessels: "vn:" the name run together and its one-deletion neighbours (`deletion_neighbours`):
      a name one slip apart ("Sea Breeze" / "M/V Sea Breze"), where the stored Metaphone of the
      name ("name:") changes with most slips; from `VESSEL_NAME_TWO_EDIT` letters its two-deletion
      neighbours, so two copies that each slipped once ("Luckly Strike" / "Lucky Strie") still meet
      (about 80 keys for twelve letters; what else they meet is the same name slipped). Keys per
      name word were tried: they found 12 more stress pairs of 1,057 but five times the candidates
      (a namesake's common word, "Sea", "Star");
    * things: `description_keys`, a copy whose serial or IMEI was left off (or slipped: an IMEI
      that fails its Luhn check is dropped) keeps its description. Like "vm", they reach a copy among
      the few things described alike, not among thousands of "Apple iPhone 13" at scale. A serial
      two edits away has its "d2" keys (IMEIs are digits only, left out).
    """
    # An unverified identifier (a VIN that lost a character) under its own kind: two edits from a valid one.
    keys = set(two_edit_keys([*features.identifier_keys(type_name, record, view),
                              *features.unverified_keys(type_name, view)]))
    if type_name == "Vehicle":
        v = view
        if model := model_key(record.get("model")):
            if not (query and v["year"]):  # stored always, asked by a probe without a year
                keys.add(f"vm:{model}")
            if v["year"]:
                years = (v["year"] - 1, v["year"], v["year"] + 1) if query else (v["year"],)
                keys |= {f"vmy:{model}|{y}" for y in years}
    elif type_name == "Aircraft":
        if model := model_key(record.get("model")):
            keys.add(f"am:{model}")
    elif type_name == "Vessel":
        if len(name := view["name"].replace(" ", "")) >= 4:
            keys |= {f"vn:{n}" for n in _deletions(name, 2 if len(name) >= VESSEL_NAME_TWO_EDIT else 1)}
    elif type_name == "Thing":
        keys |= description_keys(record.get("description"))
    return sorted(keys)


def _keys(type_name: str, record: Mapping, query: bool, view: Any = None) -> list[str]:
    _check(type_name)
    view = records.view_of(type_name, record) if view is None else view
    keys = (features.candidate_keys if query else features.blocking_keys)(type_name, record, view)
    if type_name == "Person":
        keys = keys + _person_extra_keys(view, query=query)
    elif type_name in _OBJECT_TYPES:
        keys = keys + _object_keys(type_name, record, query, view)
    if type_name == "Thing" and query and (view["description"] or features.identifier_keys(type_name, record, view)):
        # A category is a third of all things (every firearm), which BM25 cannot rank one above the
        # next: asked only by a probe with nothing more telling, it no longer fills the cap with
        # arbitrary things of the category (87.7 candidates per query on the clerical benchmark).
        keys = [k for k in keys if not k.startswith("cat:")]
    return sorted({f"{type_name}:{k}" for k in keys})


def stored_keys(type_name: str, record: Mapping, view: Any = None) -> list[str]:
    """The type-prefixed blocking keys to store on a record's node (sorted, unique); `view` is
    `records.view_of(type_name, record)`, when the caller has it."""
    return _keys(type_name, record, False, view)


def query_keys(type_name: str, record: Mapping, view: Any = None) -> list[str]:
    """The type-prefixed blocking keys to look up for a probe record; `view` as for `stored_keys`."""
    return _keys(type_name, record, True, view)


def match_keys_text(type_name: str, record: Mapping) -> str:
    """The `match_keys` property value: stored keys separated by spaces (keys never contain spaces)."""
    return " ".join(k.replace(" ", "_") for k in stored_keys(type_name, record))


def _keys_query(keys: list[str]) -> str:
    return " OR ".join(f'"{k.replace(" ", "_")}"' for k in keys)


def _fuzzy(token: str) -> str:
    t = lucene_escape(token)
    return f"{t}~1" if len(token) >= 3 else t


#: The full-text fields a fuzzy name query searches (fewer fields, fewer fuzzy term expansions).
NAME_FIELDS = {"Person": ("name_text", "aliases_text"), "Business": ("name", "dbas_text")}
#: Given-name tokens are common and long posting lists are what make fuzzy terms slow: only the
#: first given name goes in, and middle names stay out.
_PERSON_NAME_PARTS = ("given_name", "family_name")


def _name_tokens(type_name: str, record: Mapping) -> list[str]:
    """The name words the fuzzy name query asks for, in order, once each."""
    if type_name == "Person":
        parts = [record.get(k) for k in _PERSON_NAME_PARTS] + list(record.get("aliases") or [])
    elif type_name == "Business":
        parts = [record.get("name"), *(record.get("dbas") or [])]
    else:
        return []
    toks: list[str] = []
    for part in parts:
        for t in tokens(part):
            if len(t) >= 2 and t not in toks:
                toks.append(t)
    return toks


def name_neighbours(type_name: str, record: Mapping) -> set[str]:
    """"nd:<word less one letter>" and "nd:<word>" for each name word of three letters or more: two
    words one edit apart (Lucene's `word~1`, a transposition included) share one of these keys."""
    out = set()
    for t in _name_tokens(type_name, record)[:8]:
        if len(t) >= 3:
            out |= {f"nd:{n}" for n in deletion_neighbours(t)}
    return out


def name_query(type_name: str, record: Mapping, prefix: bool = False) -> str:
    """A Lucene query of fuzzy name terms on the type's name fields ('' when it has no name index or no name).

    One edit per token of three letters or more (Lucene counts a transposition as one edit); the
    blocking keys catch what a phonetic key or the date of birth still shares beyond that.
    """
    toks = _name_tokens(type_name, record)
    if not toks:
        return ""
    terms = " ".join(_fuzzy(t) for t in toks[:8])
    if prefix:  # as the user types, the last word may be unfinished
        terms += " " + " ".join(f"{lucene_escape(t)}*" for t in toks[:8] if len(t) >= 2)
    return " OR ".join(f"{f}:({terms})" for f in NAME_FIELDS[type_name])


def probe(type_name: str, record: Mapping, exclude: Iterable[str] = (), prefix: bool = False) -> dict:
    """Everything the candidate query needs to know about one record (all values, no Cypher)."""
    _check(type_name)
    view = records.view_of(type_name, record)  # normalized once, for every key below
    id_keys = features.identifier_keys(type_name, record, view)
    phones = sorted({k.split(":", 1)[1] for k in id_keys if k.startswith("phone:")})
    emails = sorted({k.split(":", 1)[1] for k in id_keys if k.startswith("email:")})
    dob = view.dob if isinstance(view, records.PersonView) else None
    dob_alt = []
    if dob is not None and dob.is_full and dob.day is not None and dob.day <= 12 and dob.day != dob.month:
        dob_alt.append(f"{dob.year:04d}-{dob.day:02d}-{dob.month:02d}")
    keys = query_keys(type_name, record, view)
    evidence = [k for k in keys if k.split(":", 2)[1] in EVIDENCE_PREFIXES]
    dated = dob is not None and dob.is_full and not prefix  # as the user types, every word counts
    return {
        "ids": id_keys, "phones": phones, "emails": emails, "handles": sorted(handle_keys(record.get("handles") or ())),
        "accounts": sorted(record.get("accounts") or ()),
        "keys": _keys_query([k for k in keys if k not in set(evidence)]), "evidence": _keys_query(evidence),
        "names": name_query(type_name, record, prefix),
        "name_limit": DATED_NAME_LIMIT if dated else NAME_LIMIT,
        "dob": dob.iso() if dob is not None and dob.is_full else None, "dob_alt": dob_alt,
        "exclude": sorted(set(exclude)),
        # For `within`, not sent to the server:
        "query_keys": [k.replace(" ", "_") for k in keys], "name_keys": sorted(name_neighbours(type_name, record)),
    }


# ---------------------------------------------------------------------------------------------
# The candidate query
# ---------------------------------------------------------------------------------------------

# One statement answers a batch of probes of one type. The label comes from ENTITY_TYPES (an
# allow-list); every value is a $parameter. `{readable}` (in the full `{ranked}` tail) is the policy's read predicate for `n`.
_CANDIDATES = """
UNWIND $probes AS p
CALL (p) {{
  CALL (p) {{
    UNWIND p.ids AS k
    MATCH (:Identifier {{key: k}})<-[:HAS_IDENTIFIER]-(n:{label})
    RETURN n, 1000.0 AS w, 1 AS e
    UNION ALL
    UNWIND p.phones AS e
    MATCH (:Phone {{e164: e}})<-[:USES_PHONE {{status: 'active'}}]-(n:{label})
    RETURN n, 50.0 AS w, 1 AS e
    UNION ALL
    UNWIND p.emails AS e
    MATCH (:Email {{address: e}})<-[:USES_EMAIL {{status: 'active'}}]-(n:{label})
    RETURN n, 50.0 AS w, 1 AS e
    UNION ALL
    UNWIND p.handles AS h
    MATCH (:SocialHandle {{key: h}})<-[:USES_HANDLE {{status: 'active'}}]-(n:{label})
    RETURN n, 50.0 AS w, 1 AS e
    {accounts}
    UNION ALL
    WITH p WHERE p.evidence <> ''
    CALL db.index.fulltext.queryNodes('{keys_index}', p.evidence, {{limit: $evidence_limit}}) YIELD node, score
    RETURN node AS n, 100.0 + score AS w, 1 AS e
    UNION ALL
    WITH p WHERE p.keys <> ''
    CALL db.index.fulltext.queryNodes('{keys_index}', p.keys, {{limit: $key_limit}}) YIELD node, score
    WITH node, score ORDER BY score DESC
    WITH collect({{n: node, s: score}}) AS hits
    UNWIND range(0, size(hits) - 1) AS i
    RETURN hits[i].n AS n, 2.0 * hits[i].s + CASE WHEN i < $seats THEN $seat_bonus ELSE 0.0 END AS w, 0 AS e
    {names}
  }}
  WITH p, n, sum(w) AS w, max(e) AS e
  WHERE NOT n.uid IN p.exclude AND NOT n.uid IN $hidden AND coalesce(n.deleted, false) = false
  WITH p, n, e, w + CASE WHEN p.dob IS NULL THEN 0.0 WHEN n.dob = p.dob THEN 20.0
                      WHEN n.dob IN p.dob_alt THEN 10.0 ELSE 0.0 END AS w
  {ranked}
"""

#: The master record a merged record is SUB_RECORD_OF (else its own uid), of `n`.
_INDIVIDUAL = "coalesce(head([(n)-[:SUB_RECORD_OF {{status: 'active'}}]->(m) | m.uid]), n.uid) AS individual"

#: What a candidate carries back: in full (its fields, selectors, master and readability), or light
#: (what `deconflict.worth_scoring` reads, one name string and the date of birth; the survivors'
#: details follow with `details`). Light rows are most of the candidate query's answer (about 35
#: per probe): fewer columns are fewer values for the driver to decode, and neither the read
#: predicate nor the master is evaluated for the ~90% that `worth_scoring` drops. The name is
#: every name and alias, space-separated (the aliases' "|" as spaces).
_SELECTORS = """[(n)-[:USES_PHONE {{status: 'active'}}]->(x:Phone) | x.e164] AS phones,
       [(n)-[:USES_EMAIL {{status: 'active'}}]->(x:Email) | x.address] AS emails,
       [(n)-[:{address_link} {{status: 'active'}}]->(x:Address)
          | x {{.line1, .line2, .city, .state, .postcode, .country}}] AS addresses,
       [(n)-[:USES_HANDLE {{status: 'active'}}]->(x:SocialHandle) | x.key] AS handles, {accounts}"""
_FULL = """RETURN n, w, e ORDER BY w DESC, n.uid LIMIT $cap
}}
RETURN p.i AS i, n.uid AS uid, e = 1 AS evidence, w, """ + _INDIVIDUAL + """, {readable} AS readable,
       n {{{shown}}} AS props, """ + _SELECTORS
#: Light candidates come back as one row per probe holding [uid, evidence, dob, name] per candidate,
#: in rank order: the driver's cost is mostly per row, and a batch has about 35 candidates per probe.
_LIGHT = """WITH n, w, e ORDER BY w DESC, n.uid LIMIT $cap
  RETURN collect([n.uid, e = 1, n.dob,
                  CASE WHEN coalesce(n.aliases_text, '') = '' THEN coalesce(n.name_text, '')
                       WHEN coalesce(n.name_text, '') = '' THEN replace(n.aliases_text, '|', ' ')
                       ELSE n.name_text + ' ' + replace(n.aliases_text, '|', ' ') END]) AS found
}
RETURN p.i AS i, found"""
#: The details of light candidates: only the stored properties that are set (`fields`: keys, then
#: values), since a type declares many more fields than a record fills and every null is a value
#: to decode.
_DETAILS = """
UNWIND $uids AS uid
MATCH (n:SubjectRecord {{uid: uid}})
WITH uid, n, [k IN $fields WHERE n[k] IS NOT NULL] AS keys
RETURN uid, keys, [k IN keys | n[k]] AS values, """ + _INDIVIDUAL + """, {readable} AS readable,
       """ + _SELECTORS + "\n"

_NAMES = """
    UNION ALL
    WITH p WHERE p.names <> ''
    CALL db.index.fulltext.queryNodes('{index}', p.names, {{limit: p.name_limit}}) YIELD node, score
    WITH node, score WHERE node:{label}
    WITH node, score ORDER BY score DESC
    WITH collect({{n: node, s: score}}) AS hits
    UNWIND range(0, size(hits) - 1) AS i
    RETURN hits[i].n AS n, hits[i].s + CASE WHEN i < $seats THEN $seat_bonus ELSE 0.0 END AS w, 0 AS e"""


#: Stored properties a candidate carries back besides its type's fields: what the answer shows
#: (`source_ref`) and whom to tell (`owner_uid`). Projecting only these, not `n {.*}`, keeps the
#: derived search text, keys and timestamps off the wire (about 100 candidates per probe).
RETURNED = ("source_ref", "owner_uid", "office_code")


def _shown(label: str) -> tuple[str, ...]:
    return (*ENTITY_TYPES[label].field_names, *RETURNED)


def _full(label: str, readable: str) -> str:
    shown = ", ".join(f".{k}" for k in _shown(label))
    return _FULL.format(shown=shown, readable=readable, **_selector_args(label))


def candidate_statement(type_name: str, readable: str = "true", light: bool = False) -> str:
    """The candidate Cypher for one entity type; `readable` is a policy predicate on `n` (code, not data)."""
    label = _check(type_name)
    names = _NAMES.format(index=NAME_INDEXES[label], label=label) if label in NAME_INDEXES else ""
    return _CANDIDATES.format(label=label, keys_index=MATCH_KEYS_INDEX, names=names,
                              ranked=_LIGHT if light else _full(label, readable), accounts=_account_branches(label))


def _account_branches(label: str) -> str:
    """Candidates holding one of the probe's financial selectors (a shared account is evidence, like a
    shared phone); only for the types that hold accounts."""
    return "".join(f"""
    UNION ALL
    UNWIND p.accounts AS k
    MATCH (:{sel} {{key: k}})<-[:{link} {{status: 'active'}}]-(n:{label})
    RETURN n, 50.0 AS w, 1 AS e""" for sel, (link, _) in FINANCIAL_SELECTORS.items()
                   if label in _HOLDERS)


#: The record types that hold financial selectors (the links' sources in the vocabulary).
_HOLDERS = frozenset({"Person", "Business"})


def candidates(tx, type_name: str, probes: list[dict], *, params: Mapping | None = None,
               readable: str = "true", cap: int = CANDIDATE_CAP, light: bool = False,
               hidden: Iterable[str] = ()) -> list[list[dict]]:
    """Ranked candidates per probe: [{uid, w, evidence, props, record, readable, individual}], at most
    `cap` each, in probe order. `individual` is the uid of the master record a merged record is
    SUB_RECORD_OF (else its own); `evidence` says it shares an identifier, phone, e-mail or an
    identifier's or address's key with the probe.

    `readable` is a read-policy predicate on `n` (e.g. `scopes.subject_readable("n")`) evaluated with
    `params` (`rules.actor_params(actor)`); each candidate says whether the actor may read it.
    `light` (people) carries back only {uid, evidence, name (every name and alias), dob}; `details`
    completes the ones worth scoring with the rest.

    `hidden` uids are never candidates, for any probe (the import hides the batch it is writing
    while it asks for the next one, whose candidates among them come from `within`: whether the
    read sees that write commit depends on timing, and seen they would take seats under `cap`).
    """
    out: list[list[dict]] = [[] for _ in probes]
    if not probes:
        return out
    stmt = candidate_statement(type_name, readable, light)
    rows = tx.run(stmt, candidate_parameters(probes, cap=cap, hidden=hidden, params=params))
    if light:
        for i, found in rows:
            out[i] = [{"uid": uid, "evidence": evidence, "name": name, "dob": dob} for uid, evidence, dob, name in found]
        return out
    for r in rows:
        out[r["i"]].append({"uid": r["uid"], "w": r["w"], "evidence": r["evidence"], "readable": bool(r["readable"]),
                            "individual": r["individual"], "props": r["props"],
                            "record": matching_record(type_name, r["props"], r["phones"], r["emails"],
                                                      r["addresses"], r["handles"], r["accounts"])})
    return out


def candidate_parameters(probes: list[dict], *, cap: int = CANDIDATE_CAP, hidden: Iterable[str] = (),
                         params: Mapping | None = None) -> dict:
    """Every parameter of `candidate_statement` for these probes (`params`: the read policy's)."""
    return {"probes": [{**_sent(p), "i": i} for i, p in enumerate(probes)], "cap": cap, "key_limit": KEY_LIMIT,
            "evidence_limit": EVIDENCE_LIMIT, "seats": SEATS, "seat_bonus": SEAT_BONUS,
            "hidden": sorted(set(hidden)) or [""],  # never empty: one parameter type, one cached plan
            **dict(params or {})}


#: What a probe carries for `within` only.
_LOCAL = frozenset({"query_keys", "name_keys"})


def _sent(probe: dict) -> dict:
    return {k: v for k, v in probe.items() if k not in _LOCAL}


def details(tx, type_name: str, cands: list[dict], *, params: Mapping | None = None, readable: str = "true") -> None:
    """Complete light candidates (`candidates(light=True)`) in place, one query for all of them: props
    (the stored ones of those `candidates` returns), record, individual and readable (`readable` and
    `params` as for `candidates`). A record seen by several probes is read once."""
    uids = sorted({c["uid"] for c in cands})
    if not uids:
        return
    label = _check(type_name)
    stmt = _DETAILS.format(readable=readable, **_selector_args(label))
    found = {}
    for r in tx.run(stmt, uids=uids, fields=list(_shown(label)), **dict(params or {})):
        props = dict(zip(r["keys"], r["values"], strict=True))
        found[r["uid"]] = {"props": props, "individual": r["individual"], "readable": bool(r["readable"]),
                           "record": matching_record(type_name, props, r["phones"], r["emails"], r["addresses"],
                                                     r["handles"], r["accounts"])}
    for c in cands:
        c.update(found[c["uid"]])


# Paged by uid through the SubjectRecord unique uid index (index-backed order, no re-sort per batch).
_READ_BATCH = """
MATCH (n:SubjectRecord) WHERE n.uid > $after AND n:{label}
WITH n ORDER BY n.uid LIMIT $batch
RETURN n.uid AS id
"""
_WRITE_KEYS = """
UNWIND $rows AS row
MATCH (n:SubjectRecord {uid: row.id})
SET n.match_keys = row.keys
"""


def recompute_keys(graph: Graph, batch: int = 5000, type_name: str = "Person") -> int:
    """Rewrite `match_keys` on every stored record of `type_name` from its properties and selectors
    (phones, e-mails, addresses), in UNWIND batches of `batch` (after the key set changes); returns
    how many records were rewritten. `graph` is a `ccms_graph.db.Graph`."""
    label = _check(type_name)
    read = _READ_BATCH.format(label=label)
    after, done = "", 0
    while True:
        ids = graph.read(lambda tx, a=after: [r["id"] for r in tx.run(read, after=a, batch=batch)])
        if not ids:
            return done
        loaded = graph.read(lambda tx, i=ids: load_records(tx, label, i))
        out = [{"id": u, "keys": match_keys_text(label, v["record"])} for u, v in loaded.items()]
        graph.write(lambda tx, o=out: tx.run(_WRITE_KEYS, rows=o).consume())
        after, done = ids[-1], done + len(ids)


# ---------------------------------------------------------------------------------------------
# Candidates among a batch's own records (import)
# ---------------------------------------------------------------------------------------------

#: A key shared by more of a batch's records than this is too common to block on within the batch
#: (a phonetic surname alone in a batch of Smiths); the stored records still answer it through
#: the index, ranked.
WITHIN_KEY_CAP = 50


def within(type_name: str, batch: list[Mapping], uids: list[str], props: list[Mapping],
           start: int = 0, probes: list[dict] | None = None) -> list[list[dict]]:
    """Candidates for each record of `batch[start:]` among the records before it in `batch`, by the
    keys the index answers for stored records: a shared identifier, phone, e-mail or handle, or a
    stored blocking key (`props`' `match_keys`, as `records.build_row` stored it) equal to one of the
    record's query keys, or a name word one edit apart (`name_neighbours`, in place of the fuzzy
    name query). Each comes in the shape `candidates` returns in full ({uid, w, evidence,
    readable, individual, props, record}); the list is in `batch[start:]` order.

    The import asks the index for a batch before it writes the batch (a full-text query in a
    transaction holding its own changes is several times slower) and while the batch before it is
    still being written, so those records (`batch[:start]`) and the batch's own find each other
    here. The importer wrote them, so they are readable; each is its own individual. `probes`
    (`probe` of each record of `batch`, as the index was asked: the import keeps the batch before's)
    saves computing the keys again. Only keys some record of `batch[start:]` asks for are indexed.
    """
    _check(type_name)
    probes = [probe(type_name, rec) for rec in batch] if probes is None else probes
    if len(probes) != len(batch):
        raise ValueError("within needs the probe of every record of the batch")
    ids_of = [[*p["ids"], *(f"handle:{h}" for h in p["handles"]), *p["accounts"]] for p in probes]
    asked_of = {j: [*ids_of[j], *probes[j]["query_keys"], *probes[j]["name_keys"]] for j in range(start, len(batch))}
    asked = set().union(*asked_of.values())
    by_key: dict[str, list[int]] = {}
    for i in range(len(batch)):
        text = props[i].get(MATCH_KEYS_PROP)
        stored = text.split() if isinstance(text, str) else stored_keys(type_name, batch[i])
        for k in (*ids_of[i], *stored, *probes[i]["name_keys"]):
            if k in asked:
                by_key.setdefault(k, []).append(i)
    evidence = tuple(f"{type_name}:{prefix}:" for prefix in EVIDENCE_PREFIXES)
    out: list[list[dict]] = []
    for j in range(start, len(batch)):
        wanted = set(ids_of[j])
        shared: dict[int, tuple[float, bool]] = {}
        for k in asked_of[j]:
            members = by_key.get(k, ())
            if len(members) > WITHIN_KEY_CAP:
                continue
            is_evidence = k in wanted or k.startswith(evidence)
            for i in members:
                if i >= j:
                    break  # members are in batch order: only earlier records
                w, e = shared.get(i, (0.0, False))
                shared[i] = (w + (1000.0 if k in wanted else 1.0), e or is_evidence)
        out.append([{"uid": uids[i], "w": w, "evidence": e, "readable": True, "individual": uids[i],
                     "props": props[i], "record": batch[i]}
                    for i, (w, e) in sorted(shared.items(), key=lambda x: (-x[1][0], x[0]))[:CANDIDATE_CAP]])
    return out
