"""Deconfliction runs: load records, find their candidates in Neo4j, score them, and keep the hits with both sides.

A hit is `(:DeconflictionHit {uid, pair_key, score, decision, status, created_at, created_by,
explanation_json, entity_type, new_uid, existing_uid})` with `[:HIT_ON]` to both records. There is
one hit per pair of records (`pair_key`, unique), so re-running deconfliction after an update or a
retried transaction re-scores the open hit instead of adding a second one, and a pair someone has
already dismissed or confirmed is not raised again. Statuses: open, confirmed_same, dismissed.

This module decides and stores; telling people (the creator's answer, the owners' notifications,
the audit entry) is the use case's job, in `logic.identity.deconfliction`.
"""

from __future__ import annotations

import json
import math
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from ..nodes.vocabulary import ENTITY_TYPES
from ..settings import Settings
from . import blocking, frequencies, model

#: Decisions that raise a hit.
HIT_DECISIONS = (model.MATCH, model.POSSIBLE)
#: Hit statuses: open until someone confirms the pair is the same individual or dismisses it.
STATUSES = ("open", "confirmed_same", "dismissed")


def pair_key(a: str, b: str) -> str:
    """The order-free key of a pair of record uids."""
    return "|".join(sorted((a, b)))


def _label(type_name: str) -> str:
    if type_name not in ENTITY_TYPES:
        raise ValueError(f"unknown entity type {type_name!r}")
    return type_name


_LOAD = """
UNWIND $uids AS uid
MATCH (n:{label} {{uid: uid}})
RETURN n.uid AS uid, properties(n) AS props,
       [(n)-[:USES_PHONE {{status: 'active'}}]->(x:Phone) | x.e164] AS phones,
       [(n)-[:USES_EMAIL {{status: 'active'}}]->(x:Email) | x.address] AS emails,
       [(n)-[:{address_link} {{status: 'active'}}]->(x:Address)
          | x {{.line1, .line2, .city, .state, .postcode, .country}}] AS addresses,
       [(n)-[:SUB_RECORD_OF*1..5]-(m) | m.uid] AS family
"""


def load_records(tx, type_name: str, uids: Iterable[str]) -> dict[str, dict]:
    """uid -> {"props", "record" (matching dict), "family" (uids merged with it)} for stored records."""
    label = _label(type_name)
    stmt = _LOAD.format(label=label, address_link="RESIDES_AT" if label == "Person" else "LOCATED_AT")
    out = {}
    for r in tx.run(stmt, uids=list(uids)):
        out[r["uid"]] = {"props": r["props"], "family": sorted(set(r["family"])),
                         "record": blocking.matching_record(type_name, r["props"], r["phones"], r["emails"],
                                                           r["addresses"])}
    return out


@dataclass(frozen=True)
class Config:
    """The configured decision thresholds and prior; the caller passes them in (the logic layer builds
    them from the deployment's settings with `of`), so nothing here reads the environment."""

    #: A score at or above this is a match, at or above `possible_threshold` a possible one.
    match_threshold: float = model.MATCH_THRESHOLD
    possible_threshold: float = model.POSSIBLE_THRESHOLD
    #: Share of new person records expected to duplicate a stored one (the person prior's q).
    duplicate_rate: float = 0.5
    #: The smallest population the person prior assumes.
    population_floor: int = 100_000

    @classmethod
    def of(cls, settings: Settings) -> Config:
        return cls(settings.match_threshold, settings.possible_threshold, settings.duplicate_rate,
                   settings.population_floor)

    @property
    def limits(self) -> tuple[float, float]:
        """(match, possible) thresholds, as `score_candidates` takes them."""
        return self.match_threshold, self.possible_threshold


DEFAULT = Config()


@dataclass(frozen=True)
class Context:
    """What scoring needs to know about the stored records of one type (see `context`)."""

    #: Prior log2-odds that the new record is one given stored record (None: model.PRIORS).
    prior: float | None = None
    #: log2 weight of "none of the stored records" against the candidates (None: -prior).
    no_match: float | None = None
    #: Name frequencies counted over the stored people (None: the built-in table).
    name_frequency: frequencies.NameCounts | None = None
    #: How many records of the type are stored (for the explanation).
    population: int | None = None


def context(tx, type_name: str, config: Config = DEFAULT, duplicate_rate: float | None = None,
            floor: int | None = None) -> Context:
    """The scoring context of `type_name` from the graph and `config`.

    People: the prior is `model.person_prior` of the stored population and the configured share of
    new records that duplicate a stored one (CCMS_MATCH_DUPLICATE_RATE, or `duplicate_rate`), and
    names weigh by the frequencies last counted over the stored people (`frequencies.recount`).
    Other types keep their fixed priors.
    """
    _label(type_name)
    if type_name != "Person":
        return Context()
    q = config.duplicate_rate if duplicate_rate is None else duplicate_rate
    population = frequencies.population(tx)
    prior = model.person_prior(population, q, config.population_floor if floor is None else floor)
    # Each stored person is the one with probability q/N; nobody stored with 1 - q. In units of
    # the per-record prior that is (1 - q) / (q / N).
    no_match = -prior + math.log2(max(1 - q, 1e-9))
    return Context(prior, no_match, frequencies.stored(tx), population)


def _posterior_log_odds(lrs: list[float], groups: list[str], no_match: float) -> list[float]:
    """Each candidate's log2-odds of being THE stored record the new one duplicates, given the
    others: its likelihood ratio against the sum over every other individual's and "nobody
    stored". Records merged into one individual (one group) count once, by their best."""
    if not lrs:
        return []
    top = max([*lrs, no_match])
    best: dict[str, float] = {}
    for lr, g in zip(lrs, groups, strict=True):
        best[g] = max(best.get(g, -math.inf), lr)
    total = sum(2.0 ** (v - top) for v in best.values()) + 2.0 ** (no_match - top)
    out = []
    for lr in lrs:
        others = total - 2.0 ** (lr - top)  # a merged sibling that scores higher still competes
        out.append(60.0 if others <= 1e-15 else (lr - top) - math.log2(others))
    return out


#: Candidates within this many bits of the best one are checked against each other: two stored
#: records that match each other are one individual recorded twice (the duplicate deconfliction
#: exists to find), so they do not compete for the new record (up to COMPARED of them).
NEAR_BITS = 10.0
COMPARED = 6


#: Name levels that keep two stored records apart however much else agrees (twins share a surname
#: and a date of birth, and often a middle name): only an analyst's merge makes them one individual.
_CONFLICTING_NAMES = frozenset({"given_differs", "disagree"})


def _names_conflict(pair: dict) -> bool:
    return any(row["field"] == "name" and row["level"] in _CONFLICTING_NAMES for row in pair["explanation"])


def _individuals(type_name: str, cands: list[dict], lrs: list[float], prior: float, ctx: Context) -> list[str]:
    """One label per candidate: merged records (SUB_RECORD_OF) share their master's, and leading
    candidates that `match` each other, names not in conflict, share one too."""
    labels = [c.get("individual") or c["uid"] for c in cands]
    if len(cands) < 2:
        return labels
    top = max(lrs)
    near = sorted((i for i, lr in enumerate(lrs) if lr >= top - NEAR_BITS), key=lambda i: -lrs[i])[:COMPARED]
    for x, i in enumerate(near):
        for j in near[x + 1:]:
            if labels[i] == labels[j]:
                continue
            pair = model.score(type_name, cands[i]["record"], cands[j]["record"], name_frequency=ctx.name_frequency,
                               prior=prior)
            if pair["decision"] == model.MATCH and not _names_conflict(pair):
                old = labels[j]
                labels = [labels[i] if lab == old else lab for lab in labels]
    return labels


def score_candidates(type_name: str, record: Mapping, cands: list[dict],
                     limits: tuple[float, float] | None = None, ctx: Context | None = None) -> list[dict]:
    """Score each candidate against `record`; best first. Adds score, decision, decisive, explanation.

    The score is the chance that the candidate is the one stored record the new one duplicates:
    the pair's likelihood ratio (its field weights) set against the prior and against the other
    candidates, so a record that is the only plausible one scores higher than one of several
    look-alikes. Candidates that are one individual (merged, or matching each other) do not
    compete. The explanation carries the fields' weights plus a "prior" row (log2-odds of this
    stored record against nobody stored, before any evidence) and an "other_candidates" row
    (what the competing candidates take away, never positive); their sum is the log-odds.
    """
    match_t, possible_t = limits or DEFAULT.limits
    ctx = ctx or Context()
    prior = model.PRIORS[type_name] if ctx.prior is None else ctx.prior
    no_match = -prior if ctx.no_match is None else ctx.no_match
    pairs = [model.score(type_name, record, c["record"], match_threshold=match_t, possible_threshold=possible_t,
                         name_frequency=ctx.name_frequency, prior=prior) for c in cands]
    lrs = [s["log_odds"] - prior for s in pairs]
    posterior = _posterior_log_odds(lrs, _individuals(type_name, cands, lrs, prior, ctx), no_match)
    scored = []
    for c, s, lr, lo in zip(cands, pairs, lrs, posterior, strict=True):
        value = 1.0 / (1.0 + 2.0 ** (-lo)) if lo > -1000 else 0.0
        if s["decisive"]:
            value = max(value, match_t)
        decision = model.MATCH if s["decisive"] else model.decide(value, match_t, possible_t)
        explanation = [*s["explanation"],
                       {"field": "prior", "a": None, "b": ctx.population, "level": "population",
                        "weight": round(-no_match, 3)},
                       {"field": "other_candidates", "a": None, "b": len(cands) - 1, "level": "competition",
                        "weight": round(lo - lr + no_match, 3)}]
        scored.append({**c, "score": value, "decision": decision, "decisive": s["decisive"],
                       "explanation": explanation, "log_odds": lo})
    scored.sort(key=lambda x: (-x["score"], -x["log_odds"], x["uid"]))
    return scored


def find(tx, type_name: str, records: list[Mapping], *, excludes: list[Iterable[str]] | None = None,
         params: Mapping | None = None, readable: str = "true", cap: int = blocking.CANDIDATE_CAP,
         limits: tuple[float, float] | None = None, prefix: bool = False,
         ctx: Context | None = None, config: Config = DEFAULT) -> list[list[dict]]:
    """Scored candidates (best first) for each record, in one candidate query; nothing is written.

    `prefix` also matches unfinished name words (query before create, as the user types).
    """
    excludes = excludes or [() for _ in records]
    probes = [blocking.probe(type_name, r, ex, prefix) for r, ex in zip(records, excludes, strict=True)]
    found = blocking.candidates(tx, type_name, probes, params=params, readable=readable, cap=cap)
    limits = limits or config.limits
    ctx = ctx or context(tx, type_name, config)
    return [score_candidates(type_name, r, c, limits, ctx) for r, c in zip(records, found, strict=True)]


_STORE = """
UNWIND $hits AS h
MATCH (a:SubjectRecord {uid: h.new_uid})
MATCH (b:SubjectRecord {uid: h.existing_uid})
MERGE (x:DeconflictionHit {pair_key: h.pair_key})
ON CREATE SET x.uid = h.uid, x.status = 'open', x.created_at = datetime(), x.created_by = $actor,
              x.entity_type = $type, x.new_uid = h.new_uid, x.existing_uid = h.existing_uid, x._created = true
WITH x, h, a, b, x.status = 'open' AS live, coalesce(x._created, false) AS created
SET x.score = CASE WHEN live THEN h.score ELSE x.score END,
    x.decision = CASE WHEN live THEN h.decision ELSE x.decision END,
    x.explanation_json = CASE WHEN live THEN h.explanation_json ELSE x.explanation_json END,
    x.scored_at = CASE WHEN live THEN datetime() ELSE x.scored_at END
REMOVE x._created
MERGE (x)-[:HIT_ON]->(a)
MERGE (x)-[:HIT_ON]->(b)
RETURN x.uid AS uid, x.status AS status, created, h.existing_uid AS existing_uid, h.new_uid AS new_uid
"""


def store_hits(tx, actor_uid: str, type_name: str, new_uid: str, scored: list[dict]) -> list[dict]:
    """Keep a DeconflictionHit for every candidate at `possible` or above; returns {uid, status, created, ...}.

    The returned list is in `scored` order and holds only hits still open (a pair dismissed or
    confirmed before is not raised again).
    """
    _label(type_name)
    hits = [{"uid": uuid.uuid4().hex, "pair_key": pair_key(new_uid, c["uid"]), "new_uid": new_uid,
             "existing_uid": c["uid"], "score": float(c["score"]), "decision": c["decision"],
             "explanation_json": json.dumps(c["explanation"], sort_keys=True, default=str)}
            for c in scored if c["decision"] in HIT_DECISIONS]
    if not hits:
        return []
    rows = {r["existing_uid"]: dict(r) for r in tx.run(_STORE, hits=hits, actor=actor_uid, type=type_name)}
    return [rows[h["existing_uid"]] for h in hits if rows.get(h["existing_uid"], {}).get("status") == "open"]
