"""Automatic deconfliction on create and update: hits, redaction for unreadable records, owner notification."""

from __future__ import annotations

import json

import pytest

from ccms_graph.logic.casework.cases import create_case
from ccms_graph.logic.entities import records
from ccms_graph.logic.identity import deconfliction
from ccms_graph.logic.oversight import notifications
from ccms_graph.matching import blocking, deconflict, model
from ccms_graph.policy import scopes
from ccms_graph.policy.rules import actor_params
from tests.factories import make_person


def _inbox(graph, who, kind="deconfliction_hit"):
    return [n for n in notifications.inbox(graph, who) if n["kind"] == kind]


def test_match_in_another_office_restricted_case_names_only_the_contact(graph, org):
    case = create_case(graph, org.agent_nyc, {"title": "Operation Lantern", "restricted": True})
    theirs = make_person(graph, org.agent_nyc, case_uid=case["uid"], given_name="Viktor", family_name="Orlov",
                         dob="1975-03-14", ssn="212-55-1234")
    assert theirs["hits"] == []

    mine = make_person(graph, org.agent_a, given_name="Viktor", family_name="Orlov", dob="1975-03-14")

    assert len(mine["hits"]) == 1
    hit = mine["hits"][0]
    assert hit["restricted"] is True
    assert hit["owner"]["name"] == "Agent Nyc"
    assert hit["owner"]["email"] == "agent_nyc@example.gov"
    assert hit["owner"]["phone"] == "+13055550100"
    assert hit["owner"]["office_code"] == "NYC"
    # Nothing about the record itself: no uid, name, score, explanation, case number.
    assert set(hit) == {"hit_uid", "type", "restricted", "owner"}
    text = repr(hit)
    assert "Orlov" not in text and theirs["uid"] not in text and case["props"]["case_number"] not in text

    inbox = _inbox(graph, org.agent_nyc)
    assert len(inbox) == 1
    assert inbox[0]["record_uid"] == theirs["uid"]
    assert inbox[0]["actor_name"] == "Agent A"
    assert _inbox(graph, org.agent_a) == []


def test_readable_match_carries_score_explanation_cases_and_owner(graph, org):
    case = create_case(graph, org.agent_b, {"title": "Operation Harbour"})
    theirs = make_person(graph, org.agent_b, case_uid=case["uid"], given_name="Maria", family_name="Delgado",
                         dob="1988-07-02")
    mine = make_person(graph, org.agent_a, given_name="Maria", family_name="Delgado", dob="1988-07-02", separate_reason="kept apart until compared")
    (hit,) = mine["hits"]
    assert hit["restricted"] is False
    assert hit["uid"] == theirs["uid"]
    assert hit["decision"] == "match" and hit["score"] >= 0.9
    assert {row["field"] for row in hit["explanation"]} >= {"name", "dob"}
    assert hit["cases"] == [case["props"]["case_number"]]
    assert hit["owner"]["name"] == "Agent B" and hit["owner"]["office"] == "Miami Field Office"
    stored = graph.query("MATCH (h:DeconflictionHit)-[:HIT_ON]->(n) RETURN h.status AS s, collect(n.uid) AS uids")
    assert stored[0]["s"] == "open" and sorted(stored[0]["uids"]) == sorted([mine["uid"], theirs["uid"]])
    assert len(_inbox(graph, org.agent_b)) == 1


def test_own_duplicate_is_a_hit_but_notifies_nobody(graph, org):
    make_person(graph, org.agent_a, given_name="Ana", family_name="Quiroga", dob="1990-01-20")
    again = make_person(graph, org.agent_a, given_name="Ana", family_name="Quiroga", dob="1990-01-20", separate_reason="kept apart until compared")
    assert len(again["hits"]) == 1
    assert _inbox(graph, org.agent_a) == []


@pytest.mark.parametrize("field, value", [("ssn", "212-55-1234"), ("a_number", "A012345678")])
def test_equal_ssn_or_a_number_is_always_a_match(graph, org, field, value):
    theirs = make_person(graph, org.agent_b, given_name="Robert", family_name="Kowalski", dob="1960-02-02",
                         **{field: value})
    mine = make_person(graph, org.agent_a, given_name="Li", family_name="Wei", dob="1999-11-30",
                       **{field: value}, separate_reason="kept apart until compared")
    (hit,) = mine["hits"]
    assert hit["uid"] == theirs["uid"]
    assert hit["decision"] == "match"
    assert field in hit["decisive"]


@pytest.mark.parametrize("label, stored, typed", [
    ("swapped names", {"given_name": "Chen", "family_name": "Jiahao", "dob": "1982-09-17"},
     {"given_name": "Jiahao", "family_name": "Chen", "dob": "1982-09-17"}),
    ("nickname", {"given_name": "William", "family_name": "Thornbury", "dob": "1979-04-23"},
     {"given_name": "Bill", "family_name": "Thornbury", "dob": "1979-04-23"}),
    ("transposed date of birth", {"given_name": "Olga", "family_name": "Petrenko", "dob": "1985-03-08"},
     {"given_name": "Olga", "family_name": "Petrenko", "dob": "1985-08-03"}),
])
def test_variants_are_still_found(graph, org, label, stored, typed):
    theirs = make_person(graph, org.agent_b, **stored)
    # Unrelated people sharing the surname or the date must not crowd the real one out.
    make_person(graph, org.agent_b, given_name="Pavel", family_name=stored["family_name"], dob="1950-01-01")
    make_person(graph, org.agent_b, given_name="Zed", family_name="Unrelated", dob=stored["dob"])
    mine = make_person(graph, org.agent_a, **typed, separate_reason="kept apart until compared")
    assert [h["uid"] for h in mine["hits"]][:1] == [theirs["uid"]], label


def test_update_deconflicts_and_does_not_raise_a_dismissed_pair_again(graph, org):
    theirs = make_person(graph, org.agent_b, given_name="Hamid", family_name="Karimi", dob="1970-05-05")
    mine = make_person(graph, org.agent_a, given_name="H", family_name="Unknown")
    assert mine["hits"] == []
    updated = records.update_entity(graph, org.agent_a, mine["uid"],
                                    {"given_name": "Hamid", "family_name": "Karimi", "dob": "1970-05-05"})
    (hit,) = updated["hits"]
    assert hit["uid"] == theirs["uid"]
    deconfliction.review_hit(graph, org.agent_a, hit["hit_uid"], "dismissed", "different father's name, per B")
    again = records.update_entity(graph, org.agent_a, mine["uid"], {"sex": "M"})
    assert again["hits"] == []
    (j,) = deconfliction.judgements(graph, org.agent_a, hit["hit_uid"])
    assert j["by"] == org.agent_a.uid and j["decision"] == "dismissed" and j["previous_status"] == "open"
    assert j["reason"] == "different father's name, per B" and j["at"]
    viewed = graph.query("""MATCH (e:AuditEntry {action: 'view', actor_uid: $a}) WHERE e.details CONTAINS 'judgements'
                            RETURN e.targets AS targets""", {"a": org.agent_a.uid})
    assert viewed == [{"targets": [hit["hit_uid"]]}]  # reading the judgements is a view, audited


def test_every_entity_type_is_deconflicted(graph, org):
    samples = {
        "Business": {"name": "Acme Imports LLC", "ein": "12-3456789"},
        "Vehicle": {"vin": "1HGCM82633A004352", "make": "Honda"},
        "Vessel": {"name": "Sea Breeze", "mmsi": "366123456"},
        "Aircraft": {"tail_number": "N123AB", "make": "Cessna", "icao24": "A0B1C2"},
        "Thing": {"category": "firearm", "serial": "GLK-99812", "description": "Glock 19"},
    }
    second = {
        "Business": {"name": "ACME IMPORTS", "ein": "123456789"},
        "Vehicle": {"vin": "1HGCM82633A004353", "make": "Honda", "plate": "ABC123"},
        "Vessel": {"name": "M/V Sea Breeze", "mmsi": "366123456"},
        "Aircraft": {"tail_number": "N77XZ", "make": "Cessna", "icao24": "a0b1c2"},
        "Thing": {"category": "firearm", "serial": "GLK99812"},
    }
    for type_name, data in samples.items():
        theirs = records.create_entity(graph, org.agent_b, type_name, data)
        mine = records.create_entity(graph, org.agent_a, type_name,
                                     {**second[type_name], "separate_reason": "kept apart until compared"})
        assert [h["uid"] for h in mine["hits"]][:1] == [theirs["uid"]], type_name


def test_query_before_create_ranks_candidates_as_you_type_and_audits_the_search(graph, org):
    theirs = make_person(graph, org.agent_b, given_name="William", family_name="Thornbury", dob="1979-04-23")
    make_person(graph, org.agent_b, given_name="Walter", family_name="Thornton", dob="1950-01-01")
    case = create_case(graph, org.agent_nyc, {"title": "Operation Quiet", "restricted": True})
    make_person(graph, org.agent_nyc, case_uid=case["uid"], given_name="William", family_name="Thornbury",
                dob="1979-04-23", ssn="212-55-1234")

    typed = deconfliction.search_candidates(graph, org.agent_a, "Person", {"family_name": "Thornb"})
    assert theirs["uid"] in [c.get("uid") for c in typed]

    full = deconfliction.search_candidates(graph, org.agent_a, "Person",
                                           {"given_name": "Bill", "family_name": "Thornbury", "dob": "1979-04-23"})
    readable = [c for c in full if not c["restricted"]]
    assert readable[0]["uid"] == theirs["uid"] and readable[0]["explanation"]
    hidden = [c for c in full if c["restricted"]]
    assert len(hidden) == 1 and set(hidden[0]) == {"hit_uid", "type", "restricted", "owner"}
    assert hidden[0]["owner"]["name"] == "Agent Nyc"
    assert [c["score"] for c in full if not c["restricted"]] == sorted(
        [c["score"] for c in full if not c["restricted"]], reverse=True)
    searches = graph.query("MATCH (e:AuditEntry {action: 'search', actor_uid: $me}) RETURN e.details AS d",
                           {"me": org.agent_a.uid})
    assert len(searches) == 2 and "query_before_create" in searches[0]["d"]
    assert graph.query("MATCH (h:DeconflictionHit) WHERE h.created_by = $me RETURN count(h) AS n",
                       {"me": org.agent_a.uid}) == [{"n": 0}]


def test_query_before_create_tells_the_owner_once_a_day_and_auditors_tell_nobody(graph, org):
    case = create_case(graph, org.agent_nyc, {"title": "Operation Quiet", "restricted": True})
    theirs = make_person(graph, org.agent_nyc, case_uid=case["uid"], given_name="Olga", family_name="Brzezinska",
                         dob="1969-02-11")
    for typed in ({"family_name": "Brzezinska", "dob": "1969-02-11"},
                  {"given_name": "Olga", "family_name": "Brzezinska", "dob": "1969-02-11"}):
        assert deconfliction.search_candidates(graph, org.agent_a, "Person", typed)[0]["restricted"] is True
    (told,) = _inbox(graph, org.agent_nyc, kind="query")
    assert told["record_uid"] == theirs["uid"] and told["actor_uid"] == org.agent_a.uid
    assert told["displayed"] is False  # the searcher saw only whom to contact

    deconfliction.search_candidates(graph, org.agent_b, "Person", {"family_name": "Brzezinska", "dob": "1969-02-11"})
    assert len(_inbox(graph, org.agent_nyc, kind="query")) == 2  # another searcher is news
    deconfliction.search_candidates(graph, org.auditor, "Person", {"family_name": "Brzezinska", "dob": "1969-02-11"})
    assert len(_inbox(graph, org.agent_nyc, kind="query")) == 2


def test_the_imports_light_candidates_once_screened_carry_what_the_full_query_carries(graph, org):
    # The import finds candidates light (names, dates of birth), drops the ones not worth scoring, and
    # reads the rest in a second query: what it then scores and shows must be what the one-query path
    # returns, including who may read each record and the master a merged one belongs to.
    case = create_case(graph, org.agent_nyc, {"title": "Operation Lantern", "restricted": True})
    hidden = make_person(graph, org.agent_nyc, case_uid=case["uid"], given_name="Viktor", family_name="Orlov",
                         dob="1975-03-14", phones=["+13055550111"], aliases=["Vik Orlow"])
    master = make_person(graph, org.agent_a, given_name="Viktor", family_name="Orlova", middle_name="Ivan",
                         dob="1975-03-14", emails=["v.orlova@example.com"], separate_reason="not yet compared")
    merged = make_person(graph, org.agent_a, given_name="Viktor", family_name="Orlova", dob="1975-03-14",
                         sub_record_of=master["uid"])
    stranger = make_person(graph, org.agent_a, given_name="Agnieszka", family_name="Orlov", dob="1931-11-30",
                           separate_reason="another person")
    probe = {"given_name": "Viktor", "family_name": "Orlov", "dob": "1975-03-14", "phones": ["+13055550111"]}
    params, readable = actor_params(org.agent_a), scopes.subject_readable("n")

    def both(tx):
        full = deconflict.gather(tx, "Person", [probe], params=params, readable=readable)
        light = deconflict.gather(tx, "Person", [probe], params=params, readable=readable, light=True)
        raw = deconflict.gather(tx, "Person", [probe], params=params, readable=readable, light=True)
        return full, deconflict.screen(tx, "Person", [probe], light, params=params, readable=readable), raw

    (full,), (light,), raw = graph.read(both)
    by_uid = {c["uid"]: c for c in full}
    assert set(by_uid) >= {hidden["uid"], master["uid"], merged["uid"]}
    kept = {c["uid"]: c for c in light if c["keep"]}
    assert set(kept) == {hidden["uid"], master["uid"], merged["uid"]}  # the 1931 namesake is not worth scoring
    assert stranger["uid"] not in kept
    for uid, c in kept.items():
        want = by_uid[uid]
        assert c["record"] == want["record"]
        assert c["props"] == {k: v for k, v in want["props"].items() if v is not None}
        assert (c["readable"], c["individual"], c["evidence"]) == (want["readable"], want["individual"], want["evidence"])
    assert kept[hidden["uid"]]["readable"] is False and kept[hidden["uid"]]["evidence"] is True
    assert kept[merged["uid"]]["individual"] == master["uid"]
    assert "Vik Orlow" in kept[hidden["uid"]]["name"]
    scored = deconflict.judge(None, "Person", [probe], [light], hits_only=True, ctx=deconflict.Context())[0]
    assert [(c["uid"], c["score"]) for c in scored] == \
        [(c["uid"], c["score"]) for c in deconflict.score_candidates("Person", probe, [by_uid[u] for u in kept])]
    with pytest.raises(ValueError):  # light candidates are never scored on their names alone
        deconflict.judge(None, "Person", [probe], raw, hits_only=True, ctx=deconflict.Context())


def _written_out(graph, actor, record, excludes=(), prefix=False):
    """uid -> the explanation of each candidate of `record` the candidate query finds, every one built in
    full: `model.score`'s rows plus the prior row, as `deconflict.score_candidates` explained every
    candidate before it could leave the unshown ones out."""
    config = deconflict.Config.of(graph.settings)

    def work(tx):
        ctx = deconflict.context(tx, "Person", config)
        (found,) = deconflict.gather(tx, "Person", [record], excludes=[list(excludes)], params=actor_params(actor),
                                     readable=scopes.subject_readable("n"), prefix=prefix)
        return found, ctx

    found, ctx = graph.read(work)
    out = {}
    for c in found:
        full = model.score("Person", record, c["record"], match_threshold=config.match_threshold,
                           possible_threshold=config.possible_threshold, name_frequency=ctx.name_frequency,
                           prior=ctx.prior, weights=ctx.weights)
        out[c["uid"]] = [*full["explanation"], {"field": "prior", "a": None, "b": ctx.population,
                                                "level": "population", "weight": round(ctx.prior, 3)}]
    return out


def test_every_candidate_shown_or_stored_carries_the_explanation_built_in_full(graph, org):
    # Candidates are scored without their explanations and only the ones shown or stored are written
    # out: what leaves must be what explaining every candidate gave.
    case = create_case(graph, org.agent_nyc, {"title": "Operation Ledger", "restricted": True})
    people = [
        dict(given_name="Katarzyna", middle_name="Anna", family_name="Wojcik", dob="1983-05-17", sex="F",
             phones=["+1 305 555 0199"], addresses=[{"line1": "12 Palm Ave", "city": "Miami", "state": "FL", "postcode": "33101"}],
             passport="X1234567", passport_country="POL", aliases=["Kasia Wojcik"]),
        dict(given_name="Katarzyna", family_name="Wojcik", dob="1983-07-15", ssn="212-55-4321",
             emails=["kw@example.com"]),
        dict(given_name="Kasia", family_name="Wojcick", dob="1938-05-17", drivers_license="W123-456-78"),
        dict(given_name="Karolina", family_name="Wojcik", dob="1990-01-02", sex="F",
             addresses=[{"line1": "12 Palm Ave", "city": "Miami", "state": "FL", "postcode": "33101"}]),
    ]
    for fields in people:
        make_person(graph, org.agent_b, separate_reason="kept apart", **fields)
    make_person(graph, org.agent_nyc, case_uid=case["uid"], separate_reason="kept apart", **people[0])
    probe = {"given_name": "Katarzyna", "middle_name": "A.", "family_name": "Wojcik", "dob": "1983-05-17",
             "phones": ["+1 305 555 0199"]}

    shown = deconfliction.search_candidates(graph, org.agent_a, "Person", probe)
    full = _written_out(graph, org.agent_a, deconfliction._partial_record("Person", probe), prefix=True)
    readable = [c for c in shown if not c["restricted"]]
    assert len(readable) >= 3 and any(c["decision"] == "no_match" for c in readable)
    assert {c["decision"] for c in readable} & {"match", "possible"}
    for c in readable:
        assert c["explanation"] == full[c["uid"]]

    checked = {k: v for k, v in probe.items() if k != "middle_name"}
    matching = blocking.matching_record("Person", checked, checked["phones"], (), (), (), blocking.account_keys(checked))
    full = _written_out(graph, org.agent_a, matching)
    for include_no_match in (True, False):
        (found,) = deconfliction.check_records(graph, org.agent_a, "Person", [checked],
                                               include_no_match=include_no_match)
        assert [c for c in found if not c["restricted"]]
        for c in found:
            assert c["restricted"] or c["explanation"] == full[c["uid"]]

    mine = make_person(graph, org.agent_a, separate_reason="kept apart", **checked)
    stored = {r["uid"]: json.loads(r["e"]) for r in graph.query(
        "MATCH (h:DeconflictionHit {new_uid: $uid}) RETURN h.existing_uid AS uid, h.explanation_json AS e",
        {"uid": mine["uid"]})}
    assert len(stored) >= 2 and len(stored) == len(mine["hits"])
    full = _written_out(graph, org.agent_a, checked, excludes=[mine["uid"]])
    for uid, explanation in stored.items():
        assert explanation == json.loads(json.dumps(full[uid], sort_keys=True, default=str))
    for hit in mine["hits"]:
        assert hit["restricted"] or hit["explanation"] == full[hit["uid"]]
