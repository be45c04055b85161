"""Field weights estimated from the stored records: u from random pairs, m by expectation-maximisation.

The feature table in `model.WEIGHTS` is where every deployment starts: hand-set log2(m/u) per
(field, level). Once enough records of a type are stored, `refit` re-estimates them from the store,
as Splink does:

* **u** (how often a level occurs between two different records) is counted over random pairs of
  stored records, which are almost all different individuals;
* **m** (how often a level occurs for one individual recorded twice) and the share of true matches
  among candidate pairs come from EM over the pairs the candidate query proposes for a sample of
  stored records: each pair's comparison vector (one level per field), fields taken as independent
  given match status (the Fellegi-Sunter assumption). Person names are not fitted here: their
  weights are computed from the counted name frequencies (`frequencies`), and the name's weight
  enters each E-step as a fixed term;
* both are smoothed towards the hand-set table with `PSEUDO_COUNT` pseudo-pairs (the hand table's
  m, derived from its weight and the counted u), so a level seen a handful of times keeps roughly
  its hand weight, and a store with few duplicates does not talk the model out of them;
* the hand table stays the prior in two more ways: a level too rare among random pairs to count its
  u (`MIN_LEVEL_COUNT`: a shared date of birth or identifier) keeps its hand weight, as does a
  disagreement the table calls neutral (another address or identifier), and every fitted weight
  stays within `MAX_SHIFT` bits of the hand one.

`reindex-matching --fit-weights` refits; `ccms-graph import` does not. benchmarks/peer.py
`--refit-between` (a refit after each case's import, persons), P / R / F1 at `match`: hand table
febrl3 1.000 / 0.982 / 0.991, febrl4 1.000 / 0.993 / 0.996, clerical 1.000 / 0.986 / 0.993, stress
1.000 / 0.789 / 0.882; EM before these three limits 0.985 / 0.993 (FEBRL, worse than the hand table:
it halved the agreement weights of dates and identifiers); with them 1.000 / 0.984 / 0.992, 1.000 /
0.994 / 0.997, 1.000 / 0.984 / 0.992, 1.000 / 0.789 / 0.882. Short of paying on every set, so the
import leaves the weights alone. What FEBRL misses is mostly the names' fixed penalties (a replaced
given name, -8 bits when this was measured, `model.GIVEN_DIFFERS` since; labelled FEBRL pairs put the
level at +4.6 bits, its tf part included), which `model` computes and this module cannot fit. Also
open: random pairs drawn from a store of clusters include duplicates (about 1 in 1,000 on the
clerical generator), which inflates u of the agreeing levels (a clerical fit put an equal date of
birth at 12.8 bits for the hand table's 14.8).

The result is stored as one `(:MatchModel {type, weights_json, fitted_at, ...})` node per type and
read by `deconflict.context` for every scoring; `model.WEIGHTS` applies where no estimate exists
(fewer than `MIN_RECORDS` stored records). The missing level always weighs 0 (a field left blank
says nothing), and identifier levels that `model.DECISIVE` makes decisive stay decisive.
"""

from __future__ import annotations

import json
import math
import random
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence

from ..db import Graph
from ..nodes.vocabulary import ENTITY_TYPES
from . import blocking, compare, frequencies, model

#: No estimate below this many stored records of a type: the hand-set table applies.
MIN_RECORDS = 1000
#: Stored records whose candidates train m, and random pairs that count u.
SAMPLE = 1500
RANDOM_PAIRS = 20_000
#: Candidates per sampled record that enter EM (the best-ranked of the candidate query).
CANDIDATES_PER_RECORD = 10
#: Pseudo-pairs pulling each field's m and u towards the hand-set table.
PSEUDO_COUNT = 50.0
ITERATIONS = 25
#: At most this share of candidate pairs is taken to be the same individual (EM on a store with few
#: duplicates otherwise drifts to a class of merely similar pairs: same surname and year).
MAX_SHARE = 0.1
#: A field filled in on fewer random pairs than this keeps its hand-set weights (nothing to count).
MIN_OBSERVED = 500
#: A level seen on fewer random pairs than this keeps its hand-set weight: its u is too small to count
#: (a shared date of birth or identifier turns up about once in 30,000 random pairs; the floor that
#: stands in for it made the fit halve those weights and call a FEBRL transposed date evidence against).
MIN_LEVEL_COUNT = 20
#: A fitted weight stays within this many bits of the hand-set one (log2 units). EM over unlabelled
#: candidate pairs lets look-alikes into the match class: on FEBRL it put a different date of birth at
#: -1.6 bits where the labelled pairs say -4.0 (hand table: -6), and the false `possible` hits that cost
#: outweighed the recall it gained. The hand table is the prior; the store moves it, within reason.
MAX_SHIFT = 2.0
#: Fitted weights stay within these bounds (log2 units).
BOUNDS = (-20.0, 30.0)
#: Fields whose weight is computed per pair (term frequencies), not looked up.
COMPUTED = {"Person": frozenset({"name", "middle_name"})}

Vector = dict[str, str]


def fitted_fields(type_name: str) -> list[str]:
    return [f for f in model.WEIGHTS[type_name] if f not in COMPUTED.get(type_name, frozenset())]


def _levels(type_name: str, a: Mapping, b: Mapping, freq) -> tuple[Vector, float]:
    """(field -> level, the computed fields' summed weight) for one pair."""
    compared = model.comparison(type_name, a, b, freq)
    computed = compared.computed
    return {f: level for f, level in compared.levels.items() if f not in computed}, sum(computed.values())


def _distribution(vectors: list[Vector], field: str, levels: list[str]) -> dict[str, float]:
    counts = Counter(v[field] for v in vectors if v[field] != compare.MISSING)
    total = sum(counts.values())
    return {lvl: counts.get(lvl, 0) / total if total else 0.0 for lvl in levels}


def estimate(type_name: str, candidate_pairs: list[tuple[Vector, float]], random_pairs: list[Vector],
             prior: float, known: Sequence[tuple[Vector, bool]] = ()) -> dict:
    """EM over candidate pairs (level vectors, each with its fixed computed weight), u counted over
    random pairs; fields filled in on fewer than MIN_OBSERVED random pairs are left out (the hand
    table applies to them); returns {"weights": field -> level -> weight, "match_share", "pairs",
    "random_pairs", "known"}.

    `known` pairs were judged by people (a sub-record and its master: the same individual; a
    dismissed hit: not): they enter every M-step with that answer instead of a posterior
    (semi-supervised EM), which anchors the match class to real duplicates. The share of matches
    among candidate pairs stays at most MAX_SHARE. Only levels other than the missing one are
    estimated; the missing level weighs 0.
    """
    table = model.WEIGHTS[type_name]
    fields = fitted_fields(type_name)
    levels = {f: [lvl for lvl in table[f] if lvl != compare.MISSING] for f in fields}
    u: dict[str, dict[str, float]] = {}
    m0: dict[str, dict[str, float]] = {}
    fields = [f for f in fields if sum(1 for v in random_pairs if v[f] != compare.MISSING) >= MIN_OBSERVED]
    for f in fields:
        observed = _distribution(random_pairs, f, levels[f])
        n = sum(1 for v in random_pairs if v[f] != compare.MISSING)
        # u0 implied by the hand table is unknown; a uniform floor keeps unseen levels finite.
        floor = 1.0 / (len(random_pairs) + 1) / max(len(levels[f]), 1)
        u[f] = {lvl: (observed[lvl] * n + 1e-3) / (n + 1e-3 * len(levels[f])) + floor for lvl in levels[f]}
        raw = {lvl: u[f][lvl] * 2.0 ** table[f][lvl] for lvl in levels[f]}
        total = sum(raw.values())
        m0[f] = {lvl: raw[lvl] / total for lvl in levels[f]}
    m = {f: dict(m0[f]) for f in fields}
    seen_on = {f: Counter(v[f] for v in random_pairs) for f in fields}
    resolved = {f: {lvl for lvl in levels[f] if seen_on[f][lvl] >= MIN_LEVEL_COUNT} for f in fields}

    def weight_of(f: str, lvl: str) -> float:
        # A disagreement the hand table calls neutral (another address, phone or identifier, which people
        # collect as they move and renew) stays neutral: a store whose copies were made at one time
        # (FEBRL) fits it as evidence against (-3.6 to -4 bits), which cost 0.002 F1 at `match` there.
        if lvl not in resolved[f] or (lvl == "disagree" and table[f][lvl] == 0.0):
            return table[f][lvl]
        hand = table[f][lvl]
        return min(max(math.log2(m[f][lvl] / u[f][lvl]), hand - MAX_SHIFT), hand + MAX_SHIFT)

    share = 1.0 / (1.0 + 2.0 ** -prior) if candidate_pairs else 0.0
    share = min(max(share, 1e-4), MAX_SHARE)
    if candidate_pairs:
        for _ in range(ITERATIONS):
            posts = []
            for vec, fixed in candidate_pairs:
                lr = fixed + sum(weight_of(f, vec[f]) for f in fields if vec[f] != compare.MISSING)
                logit = math.log2(share / (1 - share)) + lr
                posts.append(1.0 / (1.0 + 2.0 ** -max(min(logit, 60.0), -60.0)))
            weight = sum(posts)
            share = min(max(weight / len(posts), 1e-4), MAX_SHARE)
            labelled = [(1.0 if same else 0.0, vec) for vec, same in known]
            for f in fields:
                acc: dict[str, float] = defaultdict(float)
                seen = 0.0
                for p, vec in [*zip(posts, [v for v, _ in candidate_pairs], strict=True), *labelled]:
                    if vec[f] != compare.MISSING:
                        acc[vec[f]] += p
                        seen += p
                m[f] = {lvl: (acc[lvl] + PSEUDO_COUNT * m0[f][lvl]) / (seen + PSEUDO_COUNT) for lvl in levels[f]}
    weights = {f: {lvl: round(min(max(weight_of(f, lvl), BOUNDS[0]), BOUNDS[1]), 3)
                   for lvl in levels[f]} for f in fields}
    for f in fields:
        weights[f][compare.MISSING] = 0.0
    return {"weights": weights, "match_share": share, "pairs": len(candidate_pairs),
            "random_pairs": len(random_pairs), "known": len(known)}


def _records(graph: Graph, type_name: str, uids: list[str]) -> dict[str, dict]:
    from_store = graph.read(lambda tx: blocking.load_records(tx, type_name, uids))
    return {uid: v["record"] for uid, v in from_store.items()}


def refit(graph: Graph, type_name: str, *, sample: int = SAMPLE, seed: int = 7) -> dict | None:
    """Re-estimate `type_name`'s field weights from the store and keep them (None below MIN_RECORDS).

    Candidate pairs come from the candidate query for a random sample of stored records, random
    pairs from the same sample, known pairs from sub-records, confirmed and dismissed hits."""
    label = _check(type_name)
    count = graph.read(blocking.live_count, label)
    if count < MIN_RECORDS:
        return None
    freq = graph.read(frequencies.stored) if type_name == "Person" else None
    prior = model.person_prior(count) if type_name == "Person" else model.PRIORS[type_name]
    uids = graph.read(blocking.sample_uids, label, max(sample, 2))
    records = _records(graph, type_name, uids)
    rng = random.Random(seed)
    pool = list(records)
    random_pairs = []
    for _ in range(min(RANDOM_PAIRS, len(pool) * 20)):
        a, b = rng.sample(pool, 2)
        random_pairs.append(_levels(type_name, records[a], records[b], freq)[0])
    probes = [blocking.probe(type_name, records[u], [u]) for u in pool]
    found = graph.read(lambda tx: blocking.candidates(tx, type_name, probes, cap=CANDIDATES_PER_RECORD))
    pairs = [_levels(type_name, records[u], c["record"], freq) for u, cands in zip(pool, found, strict=True)
             for c in cands]
    known = _known(graph, type_name, freq)
    fit = estimate(type_name, pairs, random_pairs, prior, known)
    graph.write(lambda tx: tx.run(_STORE, type=label, weights=json.dumps(fit["weights"], sort_keys=True),
                                  share=fit["match_share"], pairs=fit["pairs"], random_pairs=fit["random_pairs"],
                                  records=count).consume())
    return {**fit, "records": count}


_KNOWN = """
CALL () {{
  MATCH (a:{label})-[:SUB_RECORD_OF {{status: 'active'}}]->(b:{label})
  RETURN a.uid AS a, b.uid AS b, true AS same LIMIT $limit
  UNION ALL
  MATCH (h:DeconflictionHit {{status: 'dismissed', entity_type: $type}})
  RETURN h.new_uid AS a, h.existing_uid AS b, false AS same LIMIT $limit
  UNION ALL
  MATCH (h:DeconflictionHit {{status: 'confirmed_same', entity_type: $type}})
  RETURN h.new_uid AS a, h.existing_uid AS b, true AS same LIMIT $limit
}}
RETURN a, b, same
"""


def _known(graph: Graph, type_name: str, freq, limit: int = SAMPLE) -> list[tuple[Vector, bool]]:
    """Pairs people judged: sub-records with their masters and confirmed hits (same), dismissed hits (not)."""
    rows = graph.read(lambda tx: [dict(r) for r in tx.run(_KNOWN.format(label=type_name), type=type_name,
                                                           limit=limit)])
    records = _records(graph, type_name, sorted({u for r in rows for u in (r["a"], r["b"])}))
    return [(_levels(type_name, records[r["a"]], records[r["b"]], freq)[0], r["same"]) for r in rows
            if r["a"] in records and r["b"] in records]


_STORE = """
MERGE (m:MatchModel {type: $type})
SET m.weights_json = $weights, m.match_share = $share, m.pairs = $pairs, m.random_pairs = $random_pairs,
    m.records = $records, m.fitted_at = datetime()
"""
_READ = "MATCH (m:MatchModel {type: $type}) RETURN m.weights_json AS w"


def stored(tx, type_name: str) -> dict[str, dict[str, float]] | None:
    """The weights last estimated for `type_name` (None: none yet, the hand-set table applies)."""
    rec = tx.run(_READ, type=_check(type_name)).single()
    return json.loads(rec["w"]) if rec and rec["w"] else None


def _check(type_name: str) -> str:
    if type_name not in ENTITY_TYPES:
        raise ValueError(f"unknown entity type {type_name!r}")
    return type_name
