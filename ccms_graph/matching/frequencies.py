"""How common each name is, for term-frequency weighting: a built-in census table, and counts over the stored people."""

from __future__ import annotations

import json
import uuid
from collections import Counter
from collections.abc import Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TypeVar

from ccms_graph.matching.names import phonetic_key
from ccms_graph.matching.records import person_view

from ..db import Graph

T = TypeVar("T")

# Share of the US population carrying each name, rounded. Surnames: US Census Bureau, 2010
# surname file (per-100k counts / 100000). Given names: US Census Bureau 1990 name files
# (percent within sex, halved to a share of everyone). Only the most common names are listed;
# anything else falls back to RARE_* below. Entries past the top 50 surnames and 70 given
# names (e.g. khan, ali, chen, mohammed) are rough estimates, not census figures. A deployment with a database should pass its own
# frequencies (counts of tokens over stored Person nodes) instead.
SURNAMES: dict[str, float] = {
    "smith": 0.00828, "johnson": 0.00655, "williams": 0.00551, "brown": 0.00487, "jones": 0.00483,
    "garcia": 0.00470, "miller": 0.00424, "davis": 0.00399, "rodriguez": 0.00375, "martinez": 0.00359,
    "hernandez": 0.00354, "lopez": 0.00295, "gonzalez": 0.00284, "wilson": 0.00265, "anderson": 0.00258,
    "thomas": 0.00255, "taylor": 0.00251, "moore": 0.00236, "jackson": 0.00234, "martin": 0.00233,
    "lee": 0.00228, "perez": 0.00222, "thompson": 0.00221, "white": 0.00220, "harris": 0.00204,
    "sanchez": 0.00200, "clark": 0.00185, "ramirez": 0.00184, "lewis": 0.00180, "robinson": 0.00177,
    "walker": 0.00175, "young": 0.00163, "allen": 0.00162, "king": 0.00161, "wright": 0.00159,
    "scott": 0.00150, "torres": 0.00149, "nguyen": 0.00147, "hill": 0.00146, "flores": 0.00146,
    "green": 0.00144, "adams": 0.00142, "nelson": 0.00142, "baker": 0.00139, "hall": 0.00138,
    "rivera": 0.00135, "campbell": 0.00131, "mitchell": 0.00130, "carter": 0.00129, "roberts": 0.00129,
    "gomez": 0.00127, "phillips": 0.00124, "evans": 0.00122, "turner": 0.00121, "diaz": 0.00121,
    "parker": 0.00119, "cruz": 0.00117, "edwards": 0.00117, "collins": 0.00116, "reyes": 0.00116,
    "stewart": 0.00113, "morris": 0.00110, "morales": 0.00109, "murphy": 0.00108, "cook": 0.00106,
    "rogers": 0.00105, "gutierrez": 0.00104, "ortiz": 0.00101, "morgan": 0.00100, "cooper": 0.00099,
    "peterson": 0.00098, "bailey": 0.00097, "reed": 0.00096, "kelly": 0.00095, "howard": 0.00094,
    "ramos": 0.00093, "kim": 0.00092, "cox": 0.00091, "ward": 0.00090, "richardson": 0.00089,
    "watson": 0.00088, "brooks": 0.00087, "chavez": 0.00086, "wood": 0.00085, "james": 0.00085,
    "bennett": 0.00084, "gray": 0.00083, "mendoza": 0.00082, "ruiz": 0.00081, "hughes": 0.00080,
    "price": 0.00080, "alvarez": 0.00079, "castillo": 0.00078, "sanders": 0.00078, "patel": 0.00077,
    "myers": 0.00076, "long": 0.00076, "ross": 0.00075, "foster": 0.00075, "jimenez": 0.00074,
    "khan": 0.00020, "ali": 0.00015, "ahmed": 0.00012, "wang": 0.00060, "li": 0.00050, "chen": 0.00060,
}

GIVEN_NAMES: dict[str, float] = {
    "james": 0.0166, "john": 0.0164, "robert": 0.0157, "michael": 0.0131, "william": 0.0123,
    "david": 0.0118, "richard": 0.0085, "charles": 0.0076, "joseph": 0.0070, "thomas": 0.0069,
    "christopher": 0.0052, "daniel": 0.0049, "paul": 0.0047, "mark": 0.0047, "donald": 0.0047,
    "george": 0.0046, "kenneth": 0.0041, "steven": 0.0039, "edward": 0.0039, "brian": 0.0037,
    "ronald": 0.0036, "anthony": 0.0036, "kevin": 0.0034, "jason": 0.0033, "matthew": 0.0033,
    "gary": 0.0033, "timothy": 0.0032, "jose": 0.0031, "larry": 0.0030, "jeffrey": 0.0030,
    "frank": 0.0029, "scott": 0.0027, "eric": 0.0027, "stephen": 0.0027, "andrew": 0.0027,
    "raymond": 0.0025, "gregory": 0.0022, "joshua": 0.0022, "jerry": 0.0022, "dennis": 0.0021,
    "mary": 0.0131, "patricia": 0.0054, "linda": 0.0052, "barbara": 0.0049, "elizabeth": 0.0047,
    "jennifer": 0.0047, "maria": 0.0041, "susan": 0.0040, "margaret": 0.0038, "dorothy": 0.0036,
    "lisa": 0.0035, "nancy": 0.0033, "karen": 0.0033, "betty": 0.0033, "helen": 0.0033,
    "sandra": 0.0031, "donna": 0.0029, "carol": 0.0028, "ruth": 0.0026, "sharon": 0.0025,
    "michelle": 0.0025, "laura": 0.0025, "sarah": 0.0024, "kimberly": 0.0023, "deborah": 0.0023,
    "jessica": 0.0023, "shirley": 0.0022, "cynthia": 0.0022, "angela": 0.0022, "melissa": 0.0022,
    "mohammed": 0.0010, "muhammad": 0.0010, "mohamed": 0.0010, "ahmed": 0.0005, "ali": 0.0005,
}

#: Assumed share for a name not in the table: rarer than anything listed.
RARE_SURNAME = 5e-5
RARE_GIVEN_NAME = 2e-4



def surname_frequency(token: str) -> float:
    """Share of people with this (normalized) surname token, from the built-in table."""
    return SURNAMES.get(token, RARE_SURNAME)


def given_name_frequency(token: str) -> float:
    """Share of people with this (normalized) given-name token, from the built-in table."""
    return GIVEN_NAMES.get(token, RARE_GIVEN_NAME)


def as_lookup(freq: NameFrequency | None, role: str) -> Callable[[str], float]:
    """A token -> share function for `role` ("family" or "given") from what the caller passed.

    None gives the built-in tables; a mapping is looked up with RARE_SURNAME as its default;
    `NameCounts` gives its blended lookup for the role.
    """
    if isinstance(freq, NameCounts):
        return freq.lookup(role)
    if freq is None:
        return surname_frequency if role == "family" else given_name_frequency
    if isinstance(freq, Mapping):
        return lambda token: float(freq.get(token, RARE_SURNAME))
    return freq


# ---------------------------------------------------------------------------------------------
# Frequencies counted over the stored people
# ---------------------------------------------------------------------------------------------
#
# The built-in table knows the census's common names and nothing of a deployment's long tail
# ("Abdulrahman" is rare in the census, common in some offices' files). `recount` counts the
# name tokens of every stored person and keeps the counts on one (:NameStats) node; `stored`
# reads them back (cached per process until the next recount) as a lookup that blends the counts
# with the built-in table, so a small or empty database still behaves like the table.

#: Weight of the built-in table in the blend, in people: a database of this many counted
#: people is trusted as much as the table; past that its own counts dominate.
TABLE_PSEUDO_PEOPLE = 10_000

_COUNT = """
MATCH (n:Person) WHERE coalesce(n.deleted, false) = false
RETURN n {.given_name, .middle_name, .family_name, .aliases} AS r
"""
_STORE = """
MERGE (s:NameStats {entity_type: 'Person'})
SET s.total = $total, s.family_json = $family, s.given_json = $given, s.version = $version,
    s.population = COUNT { MATCH (:Person) }, s.counted_at = datetime()
"""
# Person nodes in Neo4j's count store (deleted ones included): O(1), so deconfliction's prior can
# read it on every query; `refresh` compares it with the figure kept at the last recount.
_POPULATION = "MATCH (n:Person) RETURN count(n) AS n"
_VERSION = "MATCH (s:NameStats {entity_type: 'Person'}) RETURN s.version AS version"
_LOAD = "MATCH (s:NameStats {entity_type: 'Person'}) RETURN s.version AS version, s.total AS total, " \
        "s.family_json AS family, s.given_json AS given"


@dataclass(frozen=True)
class NameCounts:
    """Token counts over `total` stored people: how many carry each family-name and first given-name token."""

    total: int
    family: Mapping[str, int]
    given: Mapping[str, int]
    #: What `neighbours`, `sounds` and `derived` callers derive from the counts, kept per instance.
    _cache: dict = field(default_factory=dict, compare=False, repr=False)
    #: How many people the built-in table weighs as in the blend (`_blend`).
    table_people: float = TABLE_PSEUDO_PEOPLE

    def as_counted(self) -> NameCounts:
        """These counts with the built-in table weighing no more than the people counted: the shares of the
        population these people are, for a prior estimated over the same people (`prevalence`). The table's
        10,000 people make a name that 12 of 250 people share look as rare as 12 of 10,000 (some 9 bits
        where 4.4 are due), which a prior set for a population of at least 100,000 takes back and a prior
        estimated over these 250 does not. Kept on this instance."""
        people = min(TABLE_PSEUDO_PEOPLE, max(self.total, 1))
        if people == self.table_people:
            return self
        return self.derived("as_counted", lambda: NameCounts(self.total, self.family, self.given, table_people=people))

    def plus(self, other: NameCounts | None) -> NameCounts:
        """These counts and `other`'s, summed (an import file's and the stored people's); the last sum is
        kept on this instance, so asking again with the same `other` returns it (with what it derived)."""
        if other is None or not other.total:
            return self
        last = self._cache.get("plus")
        if last is not None and last[0] is other:
            return last[1]
        family, given = Counter(self.family), Counter(self.given)
        family.update(other.family)
        given.update(other.given)
        total = NameCounts(self.total + other.total, dict(family), dict(given))
        self._cache["plus"] = (other, total)
        return total

    def derived(self, key: Hashable, build: Callable[[], T]) -> T:
        """`build()`, computed once per instance under `key` (a caller's view of these counts)."""
        if key not in self._cache:
            self._cache[key] = build()
        return self._cache[key]

    def _sources(self, role: str) -> tuple[Mapping[str, int], Mapping[str, float], float]:
        """(counts, built-in table, the table's share for a name it does not list) for `role`."""
        if role == "family":
            return self.family, SURNAMES, RARE_SURNAME
        return self.given, GIVEN_NAMES, RARE_GIVEN_NAME

    def _blend(self, count: int, table_share: float) -> float:
        """A count over the stored people blended with a table share (TABLE_PSEUDO_PEOPLE)."""
        return (count + self.table_people * table_share) / (self.total + self.table_people)

    def lookup(self, role: str) -> Callable[[str], float]:
        """token -> share for `role` ("family" or "given"): the counts blended with the built-in table."""
        counts, table, rare = self._sources(role)
        return lambda token: self._blend(counts.get(token, 0), table.get(token, rare))

    def neighbours(self, role: str) -> Callable[[str], float]:
        """token -> share of people whose `role` token is one edit (Damerau) from it, itself excluded:
        how often a respelling "agrees" by chance. Blended with the table as `lookup` is, the table
        assuming a token has as many neighbours as its own share."""
        counts, table, rare = self._sources(role)
        cache = self._cache.setdefault(("near", role), {})

        def share(token: str) -> float:
            near = cache.get(token)
            if near is None:
                near = sum(counts.get(v, 0) for v in one_edit(token))
                if len(cache) < 100_000:
                    cache[token] = near
            return self._blend(near, table.get(token, rare))

        return share

    def sounds(self, role: str) -> Callable[[str], float]:
        """token -> share of people whose `role` token has its Metaphone key (itself included): how
        often a name that only sounds the same "agrees" by chance. Blended with the table likewise."""
        counts, table, rare = self._sources(role)
        groups = self._cache.get(("sounds", role))
        if groups is None:
            groups = Counter()
            for token, n in counts.items():
                groups[phonetic_key(token)] += n
            self._cache[("sounds", role)] = groups
        return lambda token: self._blend(groups.get(phonetic_key(token), 0), table.get(token, rare))


#: What a caller may pass: token -> share of the population, as a function or a mapping (used for
#: both roles); `as_lookup` also takes `NameCounts`, which has one lookup per role.
NameFrequency = Callable[[str], float] | Mapping[str, float] | NameCounts


_ALPHABET = "abcdefghijklmnopqrstuvwxyz"


def one_edit(token: str) -> set[str]:
    """Every string one deletion, insertion, substitution or adjacent transposition (a-z) from `token`."""
    splits = [(token[:i], token[i:]) for i in range(len(token) + 1)]
    out = {a + b[1:] for a, b in splits if b}
    out |= {a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1}
    out |= {a + c + b[1:] for a, b in splits if b for c in _ALPHABET}
    out |= {a + c + b for a, b in splits for c in _ALPHABET}
    out.discard(token)
    return out


def count_names(rows: Iterable[Mapping]) -> NameCounts:
    """Count each person's family-name tokens (particles dropped) and first given-name token, once
    per person over all their names and aliases."""
    family: Counter[str] = Counter()
    given: Counter[str] = Counter()
    total = 0
    for row in rows:
        total += 1
        names = person_view(row).names
        family.update({t for n in names for t in n.family_core})
        given.update({n.given[0] for n in names if n.given})
    return NameCounts(total, dict(family), dict(given))


def recount(graph: Graph) -> NameCounts:
    """Count the names of every stored person and keep the counts for `stored` (one read, one write)."""
    counts = graph.read(lambda tx: count_names(r["r"] for r in tx.run(_COUNT)))
    graph.write(lambda tx: tx.run(_STORE, total=counts.total, family=json.dumps(counts.family),
                                  given=json.dumps(counts.given), version=uuid.uuid4().hex).consume())
    return counts


#: The counts last read, with their version: (version, counts). One slot: a process serves one graph.
_held: tuple[str, NameCounts] | None = None


def stored(tx) -> NameCounts | None:
    """The counts last kept by `recount`, or None when there are none; re-read only when a recount
    has changed their version."""
    global _held
    row = tx.run(_VERSION).single()
    if row is None:
        return None
    held = _held  # one read: another thread may replace the slot meanwhile
    if held is not None and held[0] == row["version"]:
        return held[1]
    full = tx.run(_LOAD).single()
    if full is None:
        return None
    counts = NameCounts(int(full["total"] or 0), json.loads(full["family"] or "{}"), json.loads(full["given"] or "{}"))
    _held = (full["version"], counts)
    return counts


def population(tx) -> int:
    """How many Person nodes the graph holds (the count store: deleted records included)."""
    return tx.run(_POPULATION).single()["n"]


_COUNTED_POPULATION = "MATCH (s:NameStats {entity_type: 'Person'}) RETURN s.population AS n"


def refresh(graph: Graph, tolerance: float = 0.05) -> NameCounts | None:
    """Recount when no counts are kept or the population has moved by more than `tolerance` of the
    one counted (e.g. after an import); returns the new counts, or None when still fresh."""
    def read(tx):
        row = tx.run(_COUNTED_POPULATION).single()
        return (row["n"] if row else None), population(tx)

    counted, live = graph.read(read)
    if counted is not None and abs(live - counted) <= tolerance * max(counted, 1):
        return None
    return recount(graph)
