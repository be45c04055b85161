"""The person prior follows the duplicates the records hold (`matching.prevalence`): estimated by EM over
candidate pairs, from an import's own file before its first batch and from the store after it, never
below the configured prior."""

from __future__ import annotations

import dataclasses
import json
import math
import random

import pytest

from ccms_graph.db import clear_database, install_schema
from ccms_graph.logic.entities import imports
from ccms_graph.matching import deconflict, model, prevalence
from tests.factories import actor, make_org

GIVEN = "Amara Bruno Celia Dario Elena Farid Greta Hugo Ines Jonas Katya Luca Mira Nils Odile Pavel Rosa Saul " \
        "Tilde Umar".split()
FAMILY = "Abbott Baxter Castell Dorsey Ellery Forde Garrow Hatton Ingram Jessop Kearns Lowther Marchant Norcott " \
         "Orme Pryor Quayle Radley Selwyn Tolley".split()
CITIES = ("Dunmore", "Carbondale", "Olyphant", "Taylor")


def case_file(people: int = 50, copies: int = 5, seed: int = 5) -> list[dict]:
    """`copies` records of each of `people` individuals, as a case file gathered from several sources holds
    them: every copy after the first has another given name (an alias) and a day of birth one off; the
    street address stays. Alone, such a copy's fields make about 12 bits, short of a `match` against a
    population of 100,000 but ample among these 250 records, four of which are each individual's."""
    rng = random.Random(seed)
    out = []
    for i in range(people):
        given, family = rng.choice(GIVEN), rng.choice(FAMILY)
        year, month, day = rng.randint(1950, 1999), rng.randint(1, 12), rng.randint(1, 28)
        for k in range(copies):
            out.append({"ref": f"P{i}-{k}", "given_name": GIVEN[(GIVEN.index(given) + k) % len(GIVEN)],
                        "family_name": family, "dob": f"{year}-{month:02d}-{(day + (k > 0)) % 28 + 1:02d}",
                        "address": f"{10 + i} {FAMILY[i % 20]} {('Road', 'Street', 'Lane')[i // 20 % 3]}",
                        "city": CITIES[i % 4]})
    return out


def _individual(ref: str) -> str:
    return ref.split("-")[0]


def _hits(graph) -> list[dict]:
    return graph.query("""
        MATCH (a:Person)<-[:HIT_ON]-(h:DeconflictionHit)-[:HIT_ON]->(b:Person) WHERE a.uid < b.uid
        RETURN a.source_ref AS a, b.source_ref AS b, h.decision AS decision, h.explanation_json AS explanation""")


def _import(graph, records: list[dict], estimate: bool) -> list[dict]:
    kept = graph.settings
    graph.settings = dataclasses.replace(kept, estimate_prior=estimate)
    try:
        imports.import_jsonl(graph, actor(graph, "agent_a"), "Person", [json.dumps(r) for r in records])
    finally:
        graph.settings = kept
    return _hits(graph)


def _prior_row(hit: dict) -> dict:
    return next(r for r in json.loads(hit["explanation"]) if r["field"] == "prior")


def test_em_recovers_the_share_of_same_individual_pairs_from_their_likelihood_ratios():
    rng = random.Random(3)
    pairs, same = 200_000, 600  # the share: 0.003
    ratios = [rng.gauss(18, 4) for _ in range(same)] + [rng.gauss(-12, 5) for _ in range(20_000)]
    share, expected = prevalence.share(ratios, pairs)
    assert share == pytest.approx(same / pairs, rel=0.1)
    assert expected == pytest.approx(same, rel=0.1)
    assert prevalence.share([], pairs) == (0.0, 0.0)
    estimate = prevalence.Estimate(duplicates=4.0, records=1000, sample=1000, pairs=5000, expected=2000)
    assert estimate.prior(1000) == pytest.approx(math.log2(4 / 999 / (1 - 4 / 999)))
    assert estimate.prior(100_000) == pytest.approx(math.log2(4 / 99_999 / (1 - 4 / 99_999)))  # the store grew


def test_a_file_of_many_copies_is_scored_at_the_odds_it_holds_and_the_store_keeps_them(graph, org):
    records = case_file()
    truth = {(a["ref"], b["ref"]) for a in records for b in records
             if a["ref"] < b["ref"] and _individual(a["ref"]) == _individual(b["ref"])}

    configured = _import(graph, records, estimate=False)
    assert not graph.query("MATCH (m:MatchPrevalence) RETURN m")
    assert all(_prior_row(h)["level"] == "population" for h in configured)
    configured_matches = sum(1 for h in configured if h["decision"] == "match")
    assert configured_matches < 0.8 * len(truth)  # the configured prior leaves many copies `possible`

    clear_database(graph)
    install_schema(graph)
    make_org(graph)
    estimated = _import(graph, records, estimate=True)
    matches = {tuple(sorted((h["a"], h["b"]))) for h in estimated if h["decision"] == "match"}
    assert len(matches & truth) >= 0.97 * len(truth) > configured_matches
    assert all(_individual(a) == _individual(b) for a, b in {tuple(sorted((h["a"], h["b"]))) for h in estimated})
    rows = [_prior_row(h) for h in estimated]
    assert {r["level"] for r in rows} == {"estimated"}
    assert min(r["weight"] for r in rows) > model.person_prior(250) + 8
    kept = graph.query("MATCH (m:MatchPrevalence {type: 'Person'}) RETURN m.duplicates AS d, m.records AS n")
    assert kept and kept[0]["n"] == 250 and 3.5 <= kept[0]["d"] <= 5.0  # four others each, in truth


def test_the_store_estimate_scores_a_check_against_it_and_a_setting_turns_it_off(graph, org):
    _import(graph, case_file(), estimate=True)
    first, second = case_file()[:2]  # a sixth copy: another alias, and its day of birth slipped otherwise
    copy = {"ref": "Q-1", "given_name": GIVEN[(GIVEN.index(first["given_name"]) + 7) % len(GIVEN)],
            "family_name": first["family_name"], "dob": second["dob"][:-1] + str((int(second["dob"][-1]) + 5) % 10),
            "address": first["address"], "city": first["city"]}

    def check() -> list[dict]:
        out = list(imports.deconflict_jsonl(graph, actor(graph, "agent_a"), "Person", [json.dumps(copy)]))
        return [c for c in out[0]["candidates"] if _individual(c["source_ref"]) == "P0"]

    found = check()
    assert len(found) == 5 and all(c["decision"] == "match" for c in found)
    assert {_prior_row({"explanation": json.dumps(c["explanation"])})["level"] for c in found} == {"estimated"}
    kept = graph.settings
    graph.settings = dataclasses.replace(kept, estimate_prior=False)
    try:
        off = check()
    finally:
        graph.settings = kept
    assert off and all(c["decision"] != "match" for c in off)
    assert {_prior_row({"explanation": json.dumps(c["explanation"])})["level"] for c in off} == {"population"}

    # A later, smaller file (not a fifth of the store: no estimate of its own) grows the store by a fifth:
    # the store is sampled again, all 310 of its people (fewer than the sample's 500).
    more = [dict(r, ref="M" + r["ref"]) for r in case_file(people=12, seed=9)]
    _import(graph, more, estimate=True)
    kept = graph.query("MATCH (m:MatchPrevalence {type: 'Person'}) RETURN m.records AS n, m.sample AS s, "
                       "m.duplicates AS d")
    assert kept == [{"n": 310, "s": 310, "d": pytest.approx(4.0, abs=1.0)}]


def test_a_file_without_copies_keeps_the_configured_prior(graph, org):
    rng = random.Random(11)
    people = [{"ref": f"U{i}", "given_name": rng.choice(GIVEN), "family_name": rng.choice(FAMILY) + suffix,
               "dob": f"{rng.randint(1940, 1999)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"}
              for i, suffix in enumerate(["", "son", "ley", "well", "by"] * 50)]
    _import(graph, people, estimate=True)
    ctx = graph.read(lambda tx: deconflict.context(tx, "Person", deconflict.Config.of(graph.settings)))
    assert ctx.basis == "population"
    assert ctx.prior == pytest.approx(model.person_prior(250))
    kept = graph.query("MATCH (m:MatchPrevalence) RETURN m.expected AS e")
    assert kept and kept[0]["e"] < prevalence.MIN_EXPECTED  # estimated, and too few copies to raise the prior
