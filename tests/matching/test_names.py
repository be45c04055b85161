"""Person and business name normalization: what a clerk types vs what the matcher compares."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ccms_graph.matching.names import (
    ascii_text,
    business_key,
    name_variants,
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
def test_name_variants_include_canonical_form(nick, canonical):
    assert canonical in name_variants(nick)
    assert nickname_related(nick.lower(), canonical)


@pytest.mark.parametrize("a, b", [("john", "mary"), ("william", "margaret"), ("peggy", "robert")])
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


@given(st.text(max_size=40))
def test_ascii_text_is_idempotent_and_ascii(text):
    once = ascii_text(text)
    assert ascii_text(once) == once
    assert once.isascii()


@given(st.text(max_size=40))
def test_business_key_is_idempotent(text):
    once = business_key(text)
    assert business_key(once) == once
