"""Deconfliction runs: load records, find their candidates in Neo4j, score them, and keep the hits with both sides.

A hit is `(:DeconflictionHit {uid, pair_key, score, decision, status, created_at, created_by,
explanation_json, entity_type, new_uid, existing_uid})` with `[:HIT_ON]` to both records. There is
one hit per pair of records (`pair_key`, unique), so re-running deconfliction after an update or a
retried transaction re-scores the open hit instead of adding a second one, and a pair someone has
already dismissed or confirmed is not raised again. Statuses: open, confirmed_same, dismissed.

This module decides and stores; telling people (the creator's answer, the owners' notifications,
the audit entry) is the use case's job, in `logic.deconfliction`.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Mapping

from ..nodes.vocabulary import ENTITY_TYPES
from . import blocking, model

#: Decisions that raise a hit.
HIT_DECISIONS = (model.MATCH, model.POSSIBLE)
#: Hit statuses: open until someone confirms the pair is the same individual or dismisses it.
STATUSES = ("open", "confirmed_same", "dismissed")
#: Relationship from a hit to each of its two records (a system relationship, never drawn by hand).
HIT_REL = "HIT_ON"


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


def thresholds() -> tuple[float, float]:
    """(match, possible) thresholds from configuration (CCMS_MATCH_THRESHOLD, CCMS_POSSIBLE_THRESHOLD)."""
    return model.thresholds_from_settings()


def score_candidates(type_name: str, record: Mapping, cands: list[dict],
                     limits: tuple[float, float] | None = None) -> list[dict]:
    """Score each candidate against `record`; best first. Adds score, decision, decisive, explanation."""
    match_t, possible_t = limits or thresholds()
    scored = []
    for c in cands:
        s = model.score(type_name, record, c["record"], match_threshold=match_t, possible_threshold=possible_t)
        scored.append({**c, "score": s["score"], "decision": s["decision"], "decisive": s["decisive"],
                       "explanation": s["explanation"], "log_odds": s["log_odds"]})
    scored.sort(key=lambda x: (-x["score"], -x["log_odds"], x["uid"]))
    return scored


def find(tx, type_name: str, records: list[Mapping], *, excludes: list[Iterable[str]] | None = None,
         params: Mapping | None = None, readable: str = "true", cap: int = blocking.CANDIDATE_CAP,
         limits: tuple[float, float] | None = None, prefix: bool = False) -> list[list[dict]]:
    """Scored candidates (best first) for each record, in one candidate query; nothing is written.

    `prefix` also matches unfinished name words (query before create, as the user types).
    """
    excludes = excludes or [() for _ in records]
    probes = [blocking.probe(type_name, r, ex, prefix) for r, ex in zip(records, excludes, strict=True)]
    found = blocking.candidates(tx, type_name, probes, params=params, readable=readable, cap=cap)
    limits = limits or thresholds()
    return [score_candidates(type_name, r, c, limits) for r, c in zip(records, found, strict=True)]


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
