"""Address normalization: the same address typed two ways gives one key."""

import pytest

from ccms_graph.matching.addresses import address_key, normalize_postcode, normalize_state


@pytest.mark.parametrize(
    "a, b",
    [
        (
            {"line1": "123 North Main Street", "line2": "Apartment 4", "city": "Springfield", "state": "Illinois", "postcode": "62701-1234"},
            {"line1": "123 N. Main St.", "line2": "Apt 4", "city": "SPRINGFIELD", "state": "IL", "postcode": "62701"},
        ),
        (
            {"line1": "50 Fifth Avenue", "city": "New York", "state": "NY"},
            {"line1": "50 fifth ave", "city": "new york", "state": "new york"},
        ),
        (
            {"line1": "1 Rue de l'Église", "city": "Montréal"},
            {"line1": "1 RUE DE L'EGLISE", "city": "montreal"},
        ),
    ],
)
def test_same_address_same_key(a, b):
    assert address_key(a) == address_key(b) != ""


@pytest.mark.parametrize(
    "a, b",
    [
        ({"line1": "123 Main St", "city": "Springfield"}, {"line1": "125 Main St", "city": "Springfield"}),
        ({"line1": "123 Main St", "city": "Springfield"}, {"line1": "123 Main Ave", "city": "Springfield"}),
        ({"line1": "123 Main St", "city": "Springfield", "state": "IL"}, {"line1": "123 Main St", "city": "Springfield", "state": "MA"}),
    ],
)
def test_different_addresses_differ(a, b):
    assert address_key(a) != address_key(b)


def test_address_without_street_has_no_key():
    assert address_key({"city": "Springfield", "state": "IL"}) == ""
    assert address_key(None) == ""


@pytest.mark.parametrize("raw, expected", [("20001-1234", "20001"), ("200011234", "20001"), ("sw1a 1aa", "SW1A1AA")])
def test_postcode(raw, expected):
    assert normalize_postcode(raw) == expected


@pytest.mark.parametrize("raw, expected", [("Texas", "tx"), ("TX", "tx"), ("District of Columbia", "dc"), ("Ontario", "ontario")])
def test_state(raw, expected):
    assert normalize_state(raw) == expected


def test_each_normalized_address_is_a_dict_of_its_own():
    """Normalized addresses are remembered by their text; a caller changing one must not change the next."""
    from ccms_graph.matching.addresses import normalize_address

    typed = {"line1": "12 Rodway Street", "city": "Sydney", "postcode": "2000"}
    first = normalize_address(typed)
    first["line"] = "changed"
    assert normalize_address(dict(typed))["line"] == "12 rodway st"


def test_an_address_part_that_is_not_text_is_still_normalized():
    from ccms_graph.matching.addresses import normalize_address

    assert normalize_address({"line1": "5 Main St", "postcode": 62701})["postcode"] == "62701"
    assert normalize_address({"line1": ["5 Main St"], "city": "X"})["city"] == "x"
