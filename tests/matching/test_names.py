"""Person and business name normalization: what a clerk types vs what the matcher compares."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ccms_graph.matching.names import (
    ascii_text,
    business_key,
    business_legal_form,
    mistyped_nickname,
    nickname_related,
    parse_full_name,
    person_name,
    phonetic_key,
    tokens,
)


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("José Müller", ("jose", "muller")),
        ("O'Brien", ("obrien",)),
        ("O’Brien", ("obrien",)),
        ("Garcia-Lopez", ("garcia", "lopez")),
        ("de la Cruz", ("de", "la", "cruz")),
        ("van der Berg", ("van", "der", "berg")),
        ("  SMITH,  John  Jr. ", ("smith", "john")),
        ("Zoë Ångström", ("zoe", "angstrom")),
        ("Мухаммад", ("mukhammad",)),
        (None, ()),
    ],
)
def test_tokens(raw, expected):
    assert tokens(raw) == expected


@pytest.mark.parametrize(
    "a, b",
    [
        (person_name("Maria", None, "de la Cruz"), person_name("Maria", None, "Cruz")),
        (person_name("Hans", None, "van der Berg"), person_name("Hans", None, "Berg")),
    ],
)
def test_particles_do_not_count_in_family_core(a, b):
    assert a.family_core == b.family_core


@pytest.mark.parametrize(
    "full, given, middle, family",
    [
        ("John Paul Smith", ("john",), ("paul",), ("smith",)),
        ("Smith, John Paul", ("john",), ("paul",), ("smith",)),
        ("Maria de la Cruz", ("maria",), (), ("de", "la", "cruz")),
        ("Ludwig van Beethoven", ("ludwig",), (), ("van", "beethoven")),
        ("Madonna", (), (), ("madonna",)),
    ],
)
def test_parse_full_name(full, given, middle, family):
    n = parse_full_name(full)
    assert (n.given, n.middle, n.family) == (given, middle, family)


@pytest.mark.parametrize(
    "nick, canonical",
    [("Bill", "william"), ("Bob", "robert"), ("Peggy", "margaret"), ("Jim", "james"), ("Liz", "elizabeth")],
)
def test_a_nickname_is_related_to_its_full_name(nick, canonical):
    assert nickname_related(nick, canonical)
    assert nickname_related(canonical, nick)


def test_two_nicknames_of_one_name_are_related():
    assert nickname_related("peggy", "maggie")  # both Margaret
    assert nickname_related("bobby", "bob")


# Robert and William share "Bill" in the nickname data (listed both ways round); they are not
# one name.
@pytest.mark.parametrize("a, b", [("john", "mary"), ("william", "margaret"), ("peggy", "robert"),
                                  ("robert", "william")])
def test_unrelated_given_names_are_not_nicknames(a, b):
    assert not nickname_related(a, b)


@pytest.mark.parametrize(
    "variants",
    [
        ("Mohammed", "Muhammad", "Mohamed", "Mohammad", "Muhammed"),
        ("Hussein", "Husain", "Husein"),
        ("Yusuf", "Youssef"),
        ("Smith", "Smyth"),
        ("Müller", "Mueller", "Muller"),
        ("Catherine", "Katherine"),
    ],
)
def test_phonetic_key_folds_transliterations(variants):
    assert len({phonetic_key(v) for v in variants}) == 1


@pytest.mark.parametrize("a, b", [("Smith", "Jones"), ("Mohammed", "Mahmoud"), ("Garcia", "Lopez")])
def test_phonetic_key_separates_different_names(a, b):
    assert phonetic_key(a) != phonetic_key(b)


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("The Acme Trading Co., Inc.", "acme trading"),
        ("ACME TRADING LLC", "acme trading"),
        ("Smith & Sons Ltd.", "smith and sons"),
        ("Smith & Co", "smith"),
        ("Müller GmbH", "muller"),
        ("Grupo Bimbo S.A. de C.V.", "grupo bimbo"),
        ("Company Store", "company store"),
        ("Inc", "inc"),
    ],
)
def test_business_key(raw, expected):
    assert business_key(raw) == expected


@pytest.mark.parametrize("raw, form", [
    ("Garcia Logistics LLC", "llc"),
    ("Garcia Logistics L.L.C.", "llc"),
    ("Acme Trading Co., Inc.", "corporation"),  # the last designator is the form
    ("Acme Trading Corporation", "corporation"),
    ("Harbor Freight LP", "partnership"),
    ("Smith & Co.", ""),  # "Co" is used by corporations and LLCs alike
    ("Acme Trading", ""),
    ("Inc", ""),  # a name, not a designator
    (None, ""),
])
def test_business_legal_form(raw, form):
    assert business_legal_form(raw) == form


@given(st.text(max_size=40))
def test_ascii_text_is_idempotent_and_ascii(text):
    once = ascii_text(text)
    assert ascii_text(once) == once
    assert once.isascii()


@given(st.text(max_size=40))
def test_business_key_is_idempotent(text):
    once = business_key(text)
    assert business_key(once) == once


@pytest.mark.parametrize("a, b, related", [
    ("mmike", "michael", True), ("bilyl", "william", True), ("michael", "mmike", True),
    ("mark", "marie", False),  # "mari" is a nickname of Marie, but Mark is a name of its own
    ("robert", "william", False), ("jon", "jonathan", False),  # three letters: too short to call a typo
])
def test_a_mistyped_nickname_is_recognised(a, b, related):
    assert mistyped_nickname(a, b) is related
