"""How many records of one individual a store (or a file) holds: the prior a person score starts from.

A score's prior is the odds that a new record is one given stored record before any field is
compared. `model.person_prior` assumes it: a share q of new records (CCMS_MATCH_DUPLICATE_RATE)
duplicates one of N stored people, N at least the population floor (100,000), so about -17.6 bits
whatever the store holds. Where every individual has several records (a case file gathered from
many sources, Splink's `fake_1000`: 1,000 rows of 181 people) that is some ten bits too low, and
copies whose every field slipped once stay `possible` or below, although the fields alone are
evidence enough against the odds the store really holds.

Splink estimates this share (its lambda) from the data; so does this module, with the field weights
fixed. Over the candidate pairs of a sample, each pair's log-likelihood ratio (its field weights
summed, `model.assess` with a prior of 0; decisive identifiers count as certain) is known, and the
share is the fixed point of expectation-maximisation of a two-class mixture: the expected number of
same-individual pairs among them, at that share, divided by all pairs of the sample (the pairs the
candidate query does not propose are as good as certain to be different people). Over all 498,501
pairs of `fake_1000`, scored by the model, it estimates 0.0057 (the truth: 0.0060).

What is kept is `duplicates`: how many other records of the same individual one record has among the
N of its population, the share times N - 1. The prior of a pair in a store of N records is then
duplicates / N, which stays right as the store grows. It is never lower than the configured prior
(`model.person_prior`): a store or a file that shows few duplicates keeps today's odds, one that
shows many moves them up, at most to MAX_PRIOR.

Two estimates feed it:

* the store's (`refresh`, after an import and by `reindex-matching --fit-weights`): a random sample
  of stored people, each against its candidates in the store, kept on one (:MatchPrevalence) node;
  `deconflict.context` reads it for every score;
* an import's (`of_lines`, before its first batch, when its file is large beside the store): a
  random sample of the file's lines against each other (`blocking.within`, the keys the index
  answers), so the file's first batch already weighs its copies at the odds the file holds; it is
  kept as the store's when the file makes most of the store (`COVERS`), sparing the store's sample.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from ..db import Graph
from . import blocking, frequencies, model

#: No estimate from fewer records than this (a sample of a few dozen says little about its population).
MIN_RECORDS = 200
#: Lines of an import's file paired with each other in memory for its estimate.
FILE_SAMPLE = 1000
#: Stored records sampled for the store's estimate, and candidates each brings (the best-ranked of the
#: candidate query, which is most of the estimate's cost: about 3 ms a record in a store of 5,000).
STORE_SAMPLE = 500
CANDIDATES_PER_RECORD = 20
#: The estimate is used only when the sample's expected same-individual pairs reach this many.
MIN_EXPECTED = 5.0
#: An import estimates its file's own duplicates when it has at least this share of the records stored.
FILE_SHARE = 0.2
#: An import's file estimate stands for the store when the store held no more than this share of the
#: file's lines before it.
COVERS = 0.25
#: The highest prior an estimate may give, log2 odds (1 in 17): past it a shared surname and year of
#: birth alone would come near `possible`.
MAX_PRIOR = -4.0
ITERATIONS = 100
#: A pair's log-likelihood ratio counts as certain above this (log2 units): a decisive identifier.
CERTAIN = 60.0


@dataclass(frozen=True)
class Estimate:
    """Of a population of `records`: the other records of one individual each has (`duplicates`), from
    `pairs` candidate pairs of a sample of `sample` records, `expected` of them the same individual."""

    duplicates: float
    records: int
    sample: int
    pairs: int
    expected: float

    def prior(self, population: int) -> float:
        """Log2 odds that a record is one given record of `population` (at least this estimate's)."""
        n = max(population, self.records, 2)
        share = min(self.duplicates / (n - 1), 1 - 1e-9)
        return math.log2(share / (1 - share)) if share > 0 else -math.inf

    def usable(self) -> bool:
        return self.records >= MIN_RECORDS and self.sample >= MIN_RECORDS and self.expected >= MIN_EXPECTED


def share(ratios: Sequence[float], pairs: float, start: float = 1e-5) -> tuple[float, float]:
    """(share, expected): the share of same-individual pairs among `pairs` pairs, of which `ratios` are
    the log2-likelihood ratios of the candidate ones (the rest taken as certainly different), and the
    expected number of same-individual pairs among the candidates at that share. Fixed-point EM."""
    if pairs <= 0 or not ratios:
        return 0.0, 0.0
    lam = min(max(start, 1e-12), 0.5)
    expected = 0.0
    for _ in range(ITERATIONS):
        logit = math.log2(lam / (1 - lam))
        expected = sum(1.0 / (1.0 + 2.0 ** -min(max(r + logit, -CERTAIN), CERTAIN)) for r in ratios)
        new = min(max(expected / pairs, 1e-12), 0.5)
        if abs(new - lam) <= 1e-9 * lam:
            lam = new
            break
        lam = new
    return lam, expected


def ratio(type_name: str, a: Mapping, b: Mapping, name_frequency, weights) -> float:
    """The pair's log2-likelihood ratio: its field weights without a prior, CERTAIN when decisive."""
    scored = model.assess(type_name, a, b, name_frequency=name_frequency, prior=0.0, weights=weights)
    return CERTAIN if scored.decisive else scored.log_odds


def estimate(type_name: str, pairs: Iterable[tuple[Mapping, Mapping]], records: int, sample: int,
             compared: float, name_frequency=None, weights=None) -> Estimate:
    """The estimate from the candidate pairs (each unordered pair once) of a sample of `sample` records
    drawn from `records`, standing for `compared` pairs in all, in which the share is estimated
    (`share`). Names weigh by their shares of the people counted (`NameCounts.as_counted`), as they do
    under the prior this estimates."""
    if isinstance(name_frequency, frequencies.NameCounts):
        name_frequency = name_frequency.as_counted()
    ratios = [ratio(type_name, a, b, name_frequency, weights) for a, b in pairs]
    lam, expected = share(ratios, compared)
    return Estimate(duplicates=lam * (max(records, 2) - 1), records=records, sample=sample, pairs=len(ratios),
                    expected=expected)


def of_lines(type_name: str, batch: list[Mapping], props: list[Mapping], records: int,
             name_frequency=None, weights=None) -> Estimate:
    """The estimate of a file of `records` lines from a random sample of them (`batch`: their matching
    records, `props` as `records.build_row` made them), paired by `blocking.within`."""
    uids = [str(i) for i in range(len(batch))]
    found = blocking.within(type_name, batch, uids, props)
    pairs = [(batch[j], c["record"]) for j, cands in enumerate(found) for c in cands]
    n = len(batch)
    return estimate(type_name, pairs, records, n, n * (n - 1) / 2, name_frequency, weights)


_STORE = """
MERGE (m:MatchPrevalence {type: $type})
SET m.duplicates = $duplicates, m.records = $records, m.sample = $sample, m.pairs = $pairs,
    m.expected = $expected, m.estimated_at = datetime()
"""
_READ = "MATCH (m:MatchPrevalence {type: $type}) RETURN m.duplicates AS d, m.records AS n, m.sample AS s, " \
        "m.pairs AS p, m.expected AS e"


def of_store(graph: Graph, type_name: str, *, sample: int = STORE_SAMPLE, name_frequency=None, weights=None
             ) -> Estimate | None:
    """The store's estimate: a random sample of its records, each with its candidates among all stored
    records (the query `blocking.candidates` runs for deconfliction, CANDIDATES_PER_RECORD best), the
    pairs of two sampled records counted once. None below MIN_RECORDS."""
    count = graph.read(blocking.live_count, type_name)
    if count < MIN_RECORDS:
        return None
    uids = graph.read(blocking.sample_uids, type_name, sample)
    loaded = graph.read(lambda tx: blocking.load_records(tx, type_name, uids))
    pool = [u for u in uids if u in loaded]
    probes = [blocking.probe(type_name, loaded[u]["record"], [u]) for u in pool]
    found = graph.read(lambda tx: blocking.candidates(tx, type_name, probes, cap=CANDIDATES_PER_RECORD))
    order = {u: i for i, u in enumerate(pool)}
    pairs = []
    for u, cands in zip(pool, found, strict=True):
        for c in cands:
            # A pair of two sampled records is proposed from both sides: kept once. A pair with a record
            # outside the sample stands for the pairs of the sample with the rest of the store.
            if c["uid"] in order and order[c["uid"]] < order[u]:
                continue
            pairs.append((loaded[u]["record"], c["record"]))
    n = len(pool)
    return estimate(type_name, pairs, count, n, n * (n - 1) / 2 + n * (count - n), name_frequency, weights)


def keep(graph: Graph, type_name: str, found: Estimate) -> None:
    graph.write(lambda tx: tx.run(_STORE, type=type_name, duplicates=found.duplicates, records=found.records,
                                  sample=found.sample, pairs=found.pairs, expected=found.expected).consume())


def stored(tx, type_name: str) -> Estimate | None:
    """The store's estimate last kept for `type_name`, or None."""
    rec = tx.run(_READ, type=type_name).single()
    if rec is None or rec["d"] is None:
        return None
    return Estimate(duplicates=rec["d"], records=rec["n"], sample=rec["s"], pairs=rec["p"], expected=rec["e"])


def refresh(graph: Graph, type_name: str, *, tolerance: float = 0.05, force: bool = False,
            name_frequency=None, weights=None) -> Estimate | None:
    """Estimate the store again and keep it, when none is kept or the store has moved by more than
    `tolerance` of the records it was estimated over (or `force`); the new estimate, or None."""
    def read(tx):
        return stored(tx, type_name), blocking.live_count(tx, type_name)

    kept, live = graph.read(read)
    if not force and kept is not None and abs(live - kept.records) <= tolerance * max(kept.records, 1):
        return None
    found = of_store(graph, type_name, name_frequency=name_frequency, weights=weights)
    if found is not None:
        keep(graph, type_name, found)
    return found
