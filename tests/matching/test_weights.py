"""Field weights estimated from the stored records: u from random pairs, m by (semi-supervised) EM."""

from __future__ import annotations

import random

from ccms_graph.logic.entities import records
from ccms_graph.matching import deconflict, model, weights
from ccms_graph.policy.actor import SYSTEM

FIELDS = weights.fitted_fields("Person")


def _vector(**levels) -> dict:
    return {f: levels.get(f, "missing") for f in FIELDS}


def test_u_comes_from_random_pairs_and_m_from_the_matches_among_candidates():
    rng = random.Random(3)
    # Random pairs: the same sex half the time, a shared date of birth almost never.
    randoms = [_vector(sex=rng.choice(["agree", "disagree"]), dob="disagree" if rng.random() > 0.001 else "exact")
               for _ in range(5000)]
    # Candidate pairs: 30% true duplicates (same dob and sex), the rest look-alikes (other dob).
    cands = [(_vector(dob="exact", sex="agree"), 12.0) if i % 10 < 3 else (_vector(dob="disagree", sex="agree"), 0.0)
             for i in range(3000)]
    fit = weights.estimate("Person", cands, randoms, prior=-10.0)
    w = fit["weights"]
    assert w["sex"]["agree"] < 1.5 < w["dob"]["exact"]
    assert w["dob"]["disagree"] < 0 and w["dob"]["missing"] == 0.0
    assert "ssn" not in w  # never filled in on random pairs: the hand table stays
    assert 0 < fit["match_share"] <= weights.MAX_SHARE


def test_known_pairs_anchor_the_match_class():
    # year_digit (a year one digit off) on one random pair in twenty: common enough to count its u.
    randoms = [_vector(sex="agree" if i % 2 else "disagree", dob="year_digit" if i % 20 == 0 else "disagree")
               for i in range(2000)]
    cands = [(_vector(dob="disagree", sex="agree"), 0.0)] * 500
    same = [(_vector(dob="year_digit", sex="agree"), True)] * 200
    without = weights.estimate("Person", cands, randoms, prior=-10.0)["weights"]
    with_known = weights.estimate("Person", cands, randoms, prior=-10.0, known=same)["weights"]
    assert with_known["dob"]["year_digit"] > without["dob"]["year_digit"]


def test_refit_keeps_weights_that_scoring_then_uses(graph):
    rng = random.Random(11)
    rows = [records.build_row("Person", {"given_name": f"G{i % 97}", "family_name": f"Fam{i % 389}x",
                                         "dob": f"19{50 + i % 50}-0{1 + i % 9}-1{i % 10}",
                                         "sex": rng.choice("MF")}, SYSTEM) for i in range(weights.MIN_RECORDS + 50)]
    graph.write(lambda tx: records.insert_rows(tx, "Person", rows, SYSTEM.uid))
    assert graph.read(lambda tx: weights.stored(tx, "Person")) is None

    fit = weights.refit(graph, "Person", sample=400)

    assert fit is not None and fit["random_pairs"] > 0
    kept = graph.read(lambda tx: weights.stored(tx, "Person"))
    assert kept == fit["weights"]
    ctx = graph.read(lambda tx: deconflict.context(tx, "Person"))
    assert ctx.weights == kept
    a, b = {"given_name": "Ann", "family_name": "Lee", "dob": "1970-01-01", "sex": "F"}, \
        {"given_name": "Ann", "family_name": "Lee", "dob": "1970-01-01", "sex": "M"}
    scored = model.score("Person", a, b, weights=ctx.weights)
    sex = {r["field"]: r for r in scored["explanation"]}["sex"]
    assert sex["weight"] == round(kept["sex"]["disagree"], 3)


def test_refit_leaves_a_small_store_to_the_hand_table(graph):
    rows = [records.build_row("Person", {"given_name": "A", "family_name": f"B{i}"}, SYSTEM) for i in range(20)]
    graph.write(lambda tx: records.insert_rows(tx, "Person", rows, SYSTEM.uid))
    assert weights.refit(graph, "Person") is None
    assert graph.read(lambda tx: weights.stored(tx, "Person")) is None


def test_a_level_too_rare_among_random_pairs_keeps_its_hand_weight():
    # A shared date of birth turns up a few times in 5,000 random pairs: too few to count its u, so the
    # fit keeps the hand-set weight rather than one made from a smoothing floor; a different date,
    # on nearly every random pair, is fitted (copies here disagree on it a third of the time).
    randoms = [_vector(dob="exact" if i % 1000 == 0 else "disagree") for i in range(5000)]
    cands = [(_vector(dob="exact" if i % 3 else "disagree"), 20.0) for i in range(300)] + \
        [(_vector(dob="disagree"), -10.0)] * 2700
    w = weights.estimate("Person", cands, randoms, prior=-10.0)["weights"]
    assert w["dob"]["exact"] == model.WEIGHTS["Person"]["dob"]["exact"]
    assert model.WEIGHTS["Person"]["dob"]["disagree"] < w["dob"]["disagree"] < 0


def test_a_level_common_among_random_pairs_is_fitted():
    randoms = [_vector(dob="same_year" if i % 50 == 0 else "disagree") for i in range(5000)]
    cands = [(_vector(dob="same_year"), 20.0)] * 300 + [(_vector(dob="disagree"), -10.0)] * 2700
    w = weights.estimate("Person", cands, randoms, prior=-10.0)["weights"]
    hand = model.WEIGHTS["Person"]["dob"]["same_year"]
    assert hand + 1 < w["dob"]["same_year"] <= hand + weights.MAX_SHIFT  # moved from the hand weight, within reason


def test_a_disagreement_the_hand_table_calls_neutral_stays_neutral():
    # Another address says nothing (people move): even where most copies among the candidates have
    # another address, the fit leaves it at 0; a different date of birth beside it is fitted.
    randoms = [_vector(addresses="disagree", dob="disagree") for _ in range(5000)]
    cands = [(_vector(addresses="disagree", dob="disagree" if i % 2 else "exact"), 20.0) for i in range(300)] + \
        [(_vector(addresses="disagree", dob="disagree"), -10.0)] * 2700
    w = weights.estimate("Person", cands, randoms, prior=-10.0)["weights"]
    assert w["addresses"]["disagree"] == model.WEIGHTS["Person"]["addresses"]["disagree"] == 0.0
    assert w["dob"]["disagree"] != model.WEIGHTS["Person"]["dob"]["disagree"]
