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

import functools
import json
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz, process, utils
from rapidfuzz.distance import DamerauLevenshtein

from ..nodes.vocabulary import ENTITY_TYPES
from ..settings import Settings
from . import blocking, frequencies, model, prevalence, weights
from .dates import parse_dob

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
    #: People: raise the prior to what the store holds (`prevalence`: its kept estimate), never lower it.
    estimate_prior: bool = True
    #: People: a prior estimated for one run (an import's file, `prevalence.of_lines`), log2 odds; the
    #: prior is at least this.
    prior: float | None = None

    @classmethod
    def of(cls, settings: Settings) -> Config:
        return cls(settings.match_threshold, settings.possible_threshold, settings.duplicate_rate,
                   settings.population_floor, settings.estimate_prior)

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
    #: Name frequencies counted over the stored people (None: the built-in table).
    name_frequency: frequencies.NameCounts | None = None
    #: How many records of the type are stored (for the explanation).
    population: int | None = None
    #: Field weights estimated from the stored records (`weights.stored`; None: model.WEIGHTS).
    weights: Mapping[str, Mapping[str, float]] | None = None
    #: What the prior rests on, as the explanation's "prior" row names it: "population" (the configured
    #: share of the population) or "estimated" (raised to the duplicates the store or the file holds).
    basis: str = "population"


def context(tx, type_name: str, config: Config = DEFAULT, duplicate_rate: float | None = None,
            floor: int | None = None, seen: frequencies.NameCounts | None = None) -> Context:
    """The scoring context of `type_name` from the graph and `config`.

    Field weights are the ones last estimated over the stored records of the type
    (`weights.refit`), where an estimate exists. People: the prior is `model.person_prior` of the
    stored population and the configured share of new records that duplicate a stored one
    (CCMS_MATCH_DUPLICATE_RATE, or `duplicate_rate`), and names weigh by the frequencies last
    counted over the stored people (`frequencies.recount`), plus `seen`: the names of an import's
    whole file (a file of names the store has not counted yet is its own population, so its common
    names are not weighed as rare). Other types keep their fixed priors.

    The person prior is raised (never lowered) to the odds the records show (`prevalence`): the
    store's kept estimate of how many records of one individual it holds (`config.estimate_prior`),
    and an import's estimate of its file (`config.prior`), each at most `prevalence.MAX_PRIOR`.
    """
    _label(type_name)
    fitted = weights.stored(tx, type_name)
    if type_name != "Person":
        return Context(weights=fitted)
    q = config.duplicate_rate if duplicate_rate is None else duplicate_rate
    population = frequencies.population(tx)
    prior = model.person_prior(population, q, config.population_floor if floor is None else floor)
    raised = [config.prior] if config.prior is not None else []
    if config.estimate_prior:
        kept = prevalence.stored(tx, type_name)
        if kept is not None and kept.usable():
            raised.append(kept.prior(population))
    estimated = min(max(raised), prevalence.MAX_PRIOR) if raised else prior
    basis = "estimated" if estimated > prior else "population"
    stored = frequencies.stored(tx)
    names = seen.plus(stored) if seen is not None and seen.total else stored  # kept on `seen`: once per import
    if basis == "estimated" and names is not None:  # names weigh by their shares of the people it was estimated over
        names = names.as_counted()
    return Context(max(prior, estimated), names, population, fitted, basis)


def refresh_prior(graph, type_name: str, config: Config = DEFAULT, *, force: bool = False
                  ) -> prevalence.Estimate | None:
    """`prevalence.refresh` of the store's estimate, its pairs weighed as `context` scores them."""
    ctx = graph.read(lambda tx: context(tx, type_name, config))
    return prevalence.refresh(graph, type_name, force=force, name_frequency=ctx.name_frequency, weights=ctx.weights)


def score_candidates(type_name: str, record: Mapping, cands: list[dict],
                     limits: tuple[float, float] | None = None, ctx: Context | None = None,
                     explain: bool = True) -> list[dict]:
    """Score each candidate against `record` on its own; best first. Adds score, decision, decisive,
    explanation, log_odds.

    The score is the chance that THIS stored record is the same individual as the new one: the
    prior (one given stored record among the population) plus the pair's field weights, turned into
    a probability. It does not depend on the other candidates: when one individual already has
    several stored records (in several cases and offices), each of them scores as it would alone, so
    every owner is told. The explanation carries the fields' weights plus a "prior" row; their sum
    is the log-odds. `explain=False` leaves the explanation out and keeps an `Assessment` instead
    (key "assessment"): a caller that shows or stores a few of the candidates writes theirs out with
    `explain`.
    """
    match_t, possible_t = limits or DEFAULT.limits
    ctx = ctx or Context()
    prior = model.PRIORS[type_name] if ctx.prior is None else ctx.prior
    scored = []
    for c in cands:
        s = model.assess(type_name, record, c["record"], match_threshold=match_t, possible_threshold=possible_t,
                         name_frequency=ctx.name_frequency, prior=prior, weights=ctx.weights)
        assessment = Assessment(s, prior, ctx.population, ctx.basis)
        if explain:
            scored.append({**c, "score": s.score, "decision": s.decision, "decisive": s.decisive,
                           "explanation": assessment.explanation(), "log_odds": s.log_odds})
        else:
            scored.append({**c, "score": s.score, "decision": s.decision, "decisive": s.decisive,
                           "log_odds": s.log_odds, "assessment": assessment})
    scored.sort(key=lambda x: (-x["score"], -x["log_odds"], x["uid"]))
    return scored


@dataclass(frozen=True, slots=True)
class Assessment:
    """A candidate scored without its explanation (`score_candidates(explain=False)`): what writes it out."""

    scored: model.Scored
    #: The prior log2-odds the score started from, and the population it assumes (the "prior" row).
    prior: float
    population: int | None
    basis: str = "population"

    def explanation(self) -> list[dict]:
        """The pair's field rows (`model.Scored.explanation`) and the "prior" row (its level: what it rests on)."""
        return [*self.scored.explanation(), {"field": "prior", "a": None, "b": self.population, "level": self.basis,
                                             "weight": round(self.prior, 3)}]


def explain(cands: Iterable[dict]) -> None:
    """Write out the explanation of each of `cands` scored with `explain=False`, in place: the
    candidates a caller keeps get exactly the rows `score_candidates` would have built for them."""
    for c in cands:
        if "explanation" not in c:
            c["explanation"] = c["assessment"].explanation()


def _name_text(rec: Mapping) -> str:
    parts = [rec.get("given_name"), rec.get("middle_name"), rec.get("family_name"), *(rec.get("aliases") or [])]
    return " ".join(str(x) for x in parts if x)


def _dob_text(value: object) -> str:
    return _dob_iso(value) if isinstance(value, str) else parse_dob(value).iso() or ""


@functools.lru_cache(maxsize=1 << 16)
def _dob_iso(value: str) -> str:
    """`_dob_text` of a stored string, remembered: a batch compares tens of thousands of candidates' dates,
    most of them seen before (about 30,000 distinct dates of birth among 1M people)."""
    return parse_dob(value).iso() or ""


#: Names at least this similar (rapidfuzz token_set_ratio, 0-100) are scored in full, and alike ones
#: when the dates of birth are close too; see `worth_scoring`.
NAME_SIMILAR = 80.0
NAME_ALIKE = 40.0


def worth_scoring(type_name: str, record: Mapping, cands: list[dict]) -> list[bool]:
    """Which candidates could reach `possible`: the cheap first stage of batch deconfliction.

    People only (other types have few candidates, all scored); reads each candidate's `name` (every
    name and alias) and `dob` as `blocking.candidates(light=True)` returns them, or its `record`. A
    candidate is scored in full when it shares evidence with the record (an identifier, phone,
    e-mail, a deletion or address key: the candidate query's `evidence`), when the names are nearly
    the same (`NAME_SIMILAR`), or when they are alike (`NAME_ALIKE`: a shared given name, say, under
    a married name) and the dates of birth are within two edits (a slip, a transposition, a swapped
    day and month); a side without any name counts as alike (a missing name weighs nothing, so an
    equal date of birth and a close address can still make a match). Name similarity is rapidfuzz
    token_set_ratio, every name in any order, one vectorised call per record. Anything else
    disagrees on the name or on both name and date of birth and shares no identifier: its log-odds
    cannot climb from the prior (about -17 bits at 100,000 people) to even odds.
    """
    if type_name != "Person" or not cands:
        return [True] * len(cands)
    mine = _name_text(record)
    theirs = [c["name"] if "name" in c else _name_text(c["record"]) for c in cands]
    names = process.cdist([mine], theirs, scorer=fuzz.token_set_ratio, processor=utils.default_process, workers=1)[0]
    dob = _dob_text(record.get("dob"))
    out = []
    for c, name, similar in zip(cands, theirs, names, strict=True):
        other = c["dob"] if "dob" in c else c["record"].get("dob")
        near = bool(dob and other) and DamerauLevenshtein.distance(dob, _dob_text(other)) <= 2
        alike = similar >= NAME_ALIKE or not mine.strip() or not name.strip()
        out.append(bool(c.get("evidence")) or similar >= NAME_SIMILAR or (near and alike))
    return out


def gather(tx, type_name: str, records: Sequence[Mapping], *, excludes: list[Iterable[str]] | None = None,
           params: Mapping | None = None, readable: str = "true", cap: int = blocking.CANDIDATE_CAP,
           prefix: bool = False, light: bool = False, probes: list[dict] | None = None,
           hidden: Iterable[str] = ()) -> list[list[dict]]:
    """The candidate query for each record (`blocking.candidates`), unscored; `judge` scores them.

    `prefix` also matches unfinished name words (query before create, as the user types); `light`
    (people) carries back only names and dates of birth, for `judge(hits_only=True)`. `probes`
    (`blocking.probe` of each record) may come from the caller; `hidden` uids are never candidates
    (`blocking.candidates`).
    """
    if probes is None:
        excludes = excludes or [() for _ in records]
        probes = [blocking.probe(type_name, r, ex, prefix) for r, ex in zip(records, excludes, strict=True)]
    return blocking.candidates(tx, type_name, probes, params=params, readable=readable, cap=cap,
                               light=light and type_name == "Person", hidden=hidden)


def screen(tx, type_name: str, records: Sequence[Mapping], found: list[list[dict]], *, params: Mapping | None = None,
           readable: str = "true") -> list[list[dict]]:
    """The first stage of `judge(hits_only=True)`, for light candidates (`gather(light=True)`): marks
    each candidate `keep` as `worth_scoring` says, and completes the kept ones (`blocking.details`,
    with `readable` and `params` as the candidate query took them), in one query for the batch.
    In place; returns `found`. The import runs it in the read transaction that found the candidates."""
    for r, cands in zip(records, found, strict=True):
        for c, keep in zip(cands, worth_scoring(type_name, r, cands), strict=True):
            c["keep"] = keep
    blocking.details(tx, type_name, [c for cands in found for c in cands if c["keep"] and "record" not in c],
                     params=params, readable=readable)
    return found


def _kept(type_name: str, record: Mapping, cands: list[dict]) -> list[bool]:
    """`worth_scoring` of `cands`, where `screen` has not already said (`keep`)."""
    fresh = iter(worth_scoring(type_name, record, [c for c in cands if "keep" not in c]))
    return [c["keep"] if "keep" in c else next(fresh) for c in cands]


def judge(tx, type_name: str, records: Sequence[Mapping], found: list[list[dict]], *,
          limits: tuple[float, float] | None = None, ctx: Context | None = None, config: Config = DEFAULT,
          hits_only: bool = False, explain: bool = True) -> list[list[dict]]:
    """Score each record's candidates (best first). `hits_only` scores only what `worth_scoring` lets
    through (deconfliction of records being stored, where only `possible` and better is kept); light
    candidates must have been `screen`ed (which completed the ones worth scoring). `explain=False`:
    see `score_candidates`."""
    limits = limits or config.limits
    ctx = ctx or context(tx, type_name, config)
    if hits_only:
        found = [[c for c, keep in zip(cands, _kept(type_name, r, cands), strict=True) if keep]
                 for r, cands in zip(records, found, strict=True)]
    if any("record" not in c for cands in found for c in cands):
        raise ValueError("light candidates are scored after `screen` completes them")
    return [score_candidates(type_name, r, c, limits, ctx, explain) for r, c in zip(records, found, strict=True)]


def find(tx, type_name: str, records: list[Mapping], *, excludes: list[Iterable[str]] | None = None,
         params: Mapping | None = None, readable: str = "true", cap: int = blocking.CANDIDATE_CAP,
         limits: tuple[float, float] | None = None, prefix: bool = False,
         ctx: Context | None = None, config: Config = DEFAULT, hits_only: bool = False,
         explain: bool = True) -> list[list[dict]]:
    """Scored candidates (best first) for each record, in one candidate query; nothing is written
    (`gather`, `screen` when `hits_only`, then `judge`; `explain=False`: see `score_candidates`)."""
    found = gather(tx, type_name, records, excludes=excludes, params=params, readable=readable, cap=cap,
                   prefix=prefix, light=hits_only)
    if hits_only:
        screen(tx, type_name, records, found, params=params, readable=readable)
    return judge(tx, type_name, records, found, limits=limits, ctx=ctx, config=config, hits_only=hits_only,
                 explain=explain)


def merged(first: list[list[dict]], second: list[list[dict]]) -> list[list[dict]]:
    """Each record's candidates from two sources, once each (the first source's copy wins)."""
    out = []
    for a, b in zip(first, second, strict=True):
        seen = {c["uid"] for c in a}
        out.append([*a, *(c for c in b if c["uid"] not in seen)])
    return out


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
    return store_hits_of(tx, actor_uid, type_name, {new_uid: scored})[new_uid]


def store_hits_of(tx, actor_uid: str, type_name: str, scored: Mapping[str, list[dict]]) -> dict[str, list[dict]]:
    """`store_hits` for several new records at once (one statement): new uid -> its open hits."""
    _label(type_name)
    hits = [{"uid": uuid.uuid4().hex, "pair_key": pair_key(new_uid, c["uid"]), "new_uid": new_uid,
             "existing_uid": c["uid"], "score": float(c["score"]), "decision": c["decision"],
             "explanation_json": json.dumps(c["explanation"], sort_keys=True, default=str)}
            for new_uid, cands in scored.items() for c in cands if c["decision"] in HIT_DECISIONS]
    rows = {(r["new_uid"], r["existing_uid"]): dict(r)
            for r in (tx.run(_STORE, hits=hits, actor=actor_uid, type=type_name) if hits else ())}
    out: dict[str, list[dict]] = {u: [] for u in scored}
    for h in hits:
        row = rows.get((h["new_uid"], h["existing_uid"]))
        if row is not None and row["status"] == "open":
            out[h["new_uid"]].append(row)
    return out
