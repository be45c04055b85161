"""A business copied with a slip in its phone or EIN, against a real Neo4j: with the name agreeing it
is the same business (`match`); the same slip under another name, or two businesses of one name
core and another legal form, are not."""

from __future__ import annotations

import pytest

from ccms_graph.logic.entities import records
from ccms_graph.matching import compare as cmp
from ccms_graph.matching import deconflict
from ccms_graph.matching.model import score

ADDRESS = {"line1": "2226 Mill Boulevard", "city": "New York", "state": "NY", "postcode": "10051"}


def _create(graph, who, data):
    return records.create_entity(graph, who, "Business", data)["uid"]


def _decision(graph, probe, uid):
    graph.query("CALL db.awaitIndexes(60)")
    found = graph.read(lambda tx: deconflict.find(tx, "Business", [probe]))[0]
    return {c["uid"]: c["decision"] for c in found}.get(uid, "no_match")


def test_a_phone_one_slip_off_under_the_same_name_is_a_match(graph, org):
    stored = _create(graph, org.agent_a, {"name": "Delta Tropical Produce Corp", "kind": "corporation",
                                          "phones": ["+1 973 410 5970"]})
    probe = {"name": "Delta Tropical Produce Corp", "kind": "corporation", "phones": ["+1 973 410 5907"]}
    assert _decision(graph, probe, stored) == "match"


def test_a_phone_one_slip_off_under_another_name_is_not(graph, org):
    stored = _create(graph, org.agent_a, {"name": "Delta Tropical Produce Corp", "phones": ["+1 973 410 5970"]})
    probe = {"name": "Kavasgemta Pharmacy", "phones": ["+1 973 410 5971"]}
    assert _decision(graph, probe, stored) == "no_match"


def test_an_ein_one_slip_off_under_the_same_name_is_a_match_and_under_another_is_not(graph, org):
    stored = _create(graph, org.agent_a, {"name": "Gucip Cargo Co", "ein": "06-1733666"})
    assert _decision(graph, {"name": "Gucip Cargo Co", "ein": "06-1733696"}, stored) == "match"
    assert _decision(graph, {"name": "Royal Travel", "ein": "06-1733696"}, stored) == "no_match"


def test_an_ein_two_slips_off_does_not_bury_a_name_and_address_that_agree(graph, org):
    stored = _create(graph, org.agent_a, {"name": "Gucip Cargo Co", "ein": "06-1733666", "addresses": [ADDRESS]})
    assert _decision(graph, {"name": "Gucip Cargo Co", "ein": "06-1373966", "addresses": [ADDRESS]}, stored) == "match"
    # A truly other EIN still does.
    assert _decision(graph, {"name": "Gucip Cargo Co", "ein": "45-9543385", "addresses": [ADDRESS]},
                     stored) == "no_match"


def test_a_namesake_of_another_legal_form_is_not_raised(graph, org):
    stored = _create(graph, org.agent_a, {"name": "Garcia Logistics LLC", "kind": "llc"})
    assert _decision(graph, {"name": "Garcia Logistics Inc", "kind": "corporation"}, stored) == "no_match"
    # The same legal form, nothing else to compare: for a clerk to look at, as before.
    assert _decision(graph, {"name": "Garcia Logistics L.L.C.", "kind": "llc"}, stored) == "possible"


def test_a_namesake_whose_name_states_another_legal_form_is_not_raised_without_a_kind(graph, org):
    """A clerk who leaves `kind` out still writes the designator: "LLC" and "Inc" are two legal forms."""
    stored = _create(graph, org.agent_a, {"name": "Premier Alpha Electronics LLC", "kind": "llc",
                                          "addresses": [ADDRESS]})
    assert _decision(graph, {"name": "Premier Alpha Electronics Inc"}, stored) == "no_match"
    # A designator slip ("Inc" for an LLC) under the same name at the same address is still the business.
    assert _decision(graph, {"name": "Premier Alpha Electronics Inc", "addresses": [ADDRESS]}, stored) == "match"
    # A designator that states no form ("Co"), or none at all: nothing to disagree on, as before.
    assert _decision(graph, {"name": "Premier Alpha Electronics Co"}, stored) == "possible"
    assert _decision(graph, {"name": "Premier Alpha Electronics"}, stored) == "possible"


@pytest.mark.parametrize("a, b, level", [
    ({"name": "Acme Trading LLC"}, {"name": "Acme Trading Inc"}, "named_differs"),
    ({"name": "Acme Trading Corp"}, {"name": "Acme Trading Inc", "kind": "corporation"}, "agree"),
    ({"name": "Acme Trading Inc"}, {"name": "Acme Trading", "kind": "sole_proprietorship"}, "named_differs"),
    ({"name": "Acme Trading Inc", "kind": "llc"}, {"name": "Acme Trading LLC"}, "agree"),  # the stated kind wins
    ({"name": "Acme Trading", "kind": "llc"}, {"name": "Acme Trading", "kind": "corporation"}, "disagree"),
    ({"name": "Acme Trading Co"}, {"name": "Acme Trading Inc"}, cmp.MISSING),
    ({"name": "Acme Trading"}, {"name": "Acme Trading LLC"}, cmp.MISSING),
])
def test_the_legal_form_is_the_kind_or_else_the_names_designator(a, b, level):
    for x, y in ((a, b), (b, a)):
        rows = {r["field"]: r["level"] for r in score("Business", x, y)["explanation"]}
        assert rows["kind"] == level


@pytest.mark.parametrize("a, b, level", [
    ({"061733666"}, {"061733666"}, "agree"),
    ({"061733666"}, {"061733696"}, "typo"),
    ({"061733666"}, {"061373966"}, "close"),      # two slips: a swap and a digit
    ({"061733666"}, {"459543385"}, "disagree"),
    ({"12345"}, {"12354"}, "typo"),
    ({"123456"}, {"213465"}, "disagree"),         # two slips in a value too short to count
    (set(), {"061733666"}, cmp.MISSING),
])
def test_compare_number(a, b, level):
    assert cmp.compare_number(a, b) == level
    assert cmp.compare_number(b, a) == level


def test_a_business_phone_slip_is_scored_as_a_typo_but_a_persons_phone_is_unchanged():
    a, b = {"name": "Acme Trading", "phones": ["+19734105970"]}, {"name": "Acme Trading", "phones": ["+91734105970"]}
    rows = {r["field"]: r["level"] for r in score("Business", a, b)["explanation"]}
    assert rows["phones"] == "typo"
    person = {"given_name": "Ann", "family_name": "Lee"}
    rows = {r["field"]: r["level"] for r in score("Person", dict(person, phones=a["phones"]),
                                                  dict(person, phones=b["phones"]))["explanation"]}
    assert rows["phones"] == "disagree"
