"""Comparators: each pair of values lands on the level an analyst would call it."""

import pytest

from ccms_graph.matching import compare as cmp
from ccms_graph.matching.addresses import normalize_address
from ccms_graph.matching.dates import parse_dob
from ccms_graph.matching.names import business_key, parse_full_name, person_name


def pn(given=None, family=None, middle=None):
    return person_name(given, middle, family)


@pytest.mark.parametrize(
    "a, b, level",
    [
        (pn("John", "Smith"), pn("JOHN", "SMITH"), "exact"),
        (pn("José", "Müller"), pn("Jose", "Muller"), "exact"),
        (pn("Sean", "O'Brien"), pn("Sean", "OBrien"), "exact"),
        (pn("Maria", "de la Cruz"), pn("Maria", "Delacruz"), "exact"),
        (pn("Maria", "de la Cruz"), pn("Maria", "Cruz"), "exact"),
        (pn("Smith", "John"), pn("John", "Smith"), "swapped"),
        (parse_full_name("Smith, John"), pn("John", "Smith"), "exact"),
        (pn("Bill", "Smith"), pn("William", "Smith"), "nickname"),
        (pn("Peggy", "Jones"), pn("Margaret", "Jones"), "nickname"),
        (pn("Mmike", "Martinez"), pn("Michael", "Martinez"), "nickname"),  # a nickname, mistyped
        (pn("Marie", "Semgojap"), pn("Mark", "Semgojap"), "given_differs"),  # Mark is a name, not a typo
        (pn("Jhon", "Smith"), pn("John", "Smith"), "given_fuzzy"),
        (pn("J", "Smith"), pn("John", "Smith"), "initial"),
        (pn("Joshua", None), pn(None, "Williams"), "missing"),  # a given name alone, a surname alone
        (pn("J", None), pn("John", "Smith"), "missing"),  # an initial that fits, no surname to compare
        (pn("K", None), pn("John", "Smith"), "disagree"),
        (pn("Isla", None), pn("Joan", "Price"), "disagree"),  # two given names that differ
        (pn("Mohammed", "Khan"), pn("Muhammad", "Khan"), "given_fuzzy"),
        (pn("John", "Smyth"), pn("John", "Smith"), "family_fuzzy"),
        (pn("Maria", "Garcia-Lopez"), pn("Maria", "Garcia"), "family_fuzzy"),
        (pn(None, "Smith"), pn("John", "Smith"), "family_only"),
        (pn("Mary", "Smith"), pn("John", "Smith"), "given_differs"),
        (pn("John", "Smith"), pn("John", "Jones"), "family_differs"),  # a married name, an alias
        (pn("John", "Smith"), pn("Mary", "Jones"), "disagree"),
        # another given (family) name, and the part that agrees respelled on top
        (pn("Irene", "Campbjell"), pn("Benjamin", "Campbell"), "given_differs_family_fuzzy"),
        (pn("Isabela", "Browne"), pn("Isabella", "Shandley"), "family_differs_given_fuzzy"),
        # one side's given name is the other's surname, the other parts unrelated
        (pn("Zachary", "Clarie"), pn("Mason", "Zachary"), "swapped_differs"),
        (pn("Pulfrd", "Cassandra"), pn("Victoria", "Pulford"), "swapped_differs_fuzzy"),
        # a swap plus one more slip
        (pn("Lesu", "Mqary"), pn("Mary", "Lesu"), "swapped_fuzzy"),
        (pn("Garisu", "Ruh"), pn("Ruth", "Garisu"), "swapped_fuzzy"),
        (pn("J", "Smith"), pn("Smith", "John"), "swapped_fuzzy"),
        # a lone name: in the same field as the other record's, or crossing fields
        (pn("Susan", None), pn("Susan", "Somi"), "given_only"),
        (pn("Susn", None), pn("Susan", "Somi"), "given_fuzzy_only"),
        (pn(None, "Susan"), pn("Susan", "Somi"), "swapped_only"),
        (pn("Somi", None), pn("Susan", "Somi"), "swapped_only"),
        (pn("Madison", None), pn("Madison", None), "given_only"),  # two lone names: nothing swapped
        (pn(None, "Madison"), pn("Madison", None), "swapped_only"),
        (pn(None, "Jakcson"), pn("Jackson", "Wise"), "swapped_fuzzy_only"),
        # given name missing on one side, family name respelled
        (pn(None, "Herbnandez"), pn("Robert", "Hernandez"), "family_fuzzy_only"),
        # one half of a double surname, in another transliteration
        (pn("Jennifer", "Gonzales"), pn("Jennifer", "Jumowu-Gonzalez"), "family_fuzzy"),
        (pn("Tim", "Dimtta"), pn("Timothy", "Dimota"), "family_fuzzy"),  # nickname + typo
        (pn("Tmothy", "Dimtta"), pn("Timothy", "Dimota"), "fuzzy"),
        (pn(None, None), pn("John", "Smith"), "missing"),
    ],
)
def test_compare_person_name(a, b, level):
    assert cmp.compare_person_name(a, b) == level
    assert cmp.compare_person_name(b, a) == level


@pytest.mark.parametrize(
    "a, b, level",
    [
        ("1980-05-03", "05/03/1980", "exact"),
        ("1980-05-03", "1980-03-05", "transposed"),
        ("1980-05-03", "1980-05-08", "typo"),
        ("1980-05-13", "1980-05-31", "typo"),  # adjacent digits swapped
        ("1980-05-03", "1979-05-03", "year_near"),
        ("1979-05-03", "1980-05-03", "year_near"),  # two digits change, still one year
        ("1962-09-10", "1962-09-09", "typo"),  # the day one off across the tens digit
        ("1953-04-16", "1954-04-15", "two_slips"),  # year and day one off
        ("1972-03-07", "1971-07-03", "two_slips"),  # transposed and year one off
        ("1975-04-06", "1975-06-03", "two_slips"),  # transposed and day one off
        ("1958-02-28", "1988-02-28", "year_digit"),  # one digit of the year: thirty years
        ("1958-02-28", "1988-02-27", "disagree"),
        ("1980", "1980-05-03", "partial"),
        ("1980-05", "1980-05-03", "partial"),
        ("1980-06", "1980-05-03", "same_year"),
        ("1980-05-03", "1980-11-21", "same_year"),
        ("1980-05-03", "1962-11-21", "disagree"),
        ("1980-05-03", None, "missing"),
        ("1980-05-03", "not a date", "missing"),
        # one digit made the date impossible: that slip against the date it was typed from
        ("1902-78-03", "1902-08-03", "typo"),
        ("1932-02-39", "1932-02-19", "typo"),
        ("02/39/1932", "1932-02-19", "typo"),
        ("2978-01-01", "1978-01-01", "year_digit"),
        ("1902-78-03", "1902-09-03", "missing"),  # two digits off: says nothing
    ],
)
def test_compare_dob(a, b, level):
    assert cmp.compare_dob(parse_dob(a), parse_dob(b)) == level
    assert cmp.compare_dob(parse_dob(b), parse_dob(a)) == level


@pytest.mark.parametrize(
    "a, b, level",
    [("M", "male", "agree"), ("F", "M", "disagree"), ("unknown", "M", "missing"), (None, "F", "missing")],
)
def test_compare_sex(a, b, level):
    assert cmp.compare_sex(a, b) == level


@pytest.mark.parametrize(
    "a, b, level",
    [
        ({"123456789"}, {"123456789"}, "agree"),
        ({"123456789"}, {"123456788"}, "typo"),
        ({"123456789"}, {"123457689"}, "typo"),  # two digits swapped
        ({"123456789"}, {"987654321"}, "disagree"),
        (set(), {"987654321"}, "missing"),
    ],
)
def test_compare_identifier(a, b, level):
    assert cmp.compare_identifier(a, b) == level


@pytest.mark.parametrize(
    "a, b, level",
    [
        ({"t.m39@brooks-sawyer.com"}, {"t.m39@brooks-sawyer.com", "tm@x.org"}, "agree"),
        ({"t.m39@brooks-sawyer.com"}, {"t.m39@brooks-sawer.com"}, "typo"),  # a letter dropped in the domain
        ({"roberta25@smith.net"}, {"robert255@smith.net"}, "close"),  # a letter typed for a digit, a digit doubled
        ({"lheah.russell@charles.net"}, {"leah.russell@charles.net"}, "typo"),
        ({"gabriel.t54@nichols.info"}, {"gabriel.t54@nnichls.info"}, "close"),  # two slips, a long address
        ({"jb88@king.com"}, {"jb8@kinh.com"}, "disagree"),  # two slips in a short one (13): another mailbox
        ({"j.smith12@example.com"}, {"j.smith13@example.com"}, "disagree"),  # numbered mailboxes of one name
        ({"jb88@king.com"}, {"8jb88@king.com"}, "disagree"),
        ({"ann.lee@example.com"}, {"bob.kerr@example.org"}, "disagree"),
        (set(), {"ann.lee@example.com"}, "missing"),
    ],
)
def test_compare_emails(a, b, level):
    assert cmp.compare_emails(a, b) == level


@pytest.mark.parametrize(
    "a, b, level",
    [
        ({("X1", "US")}, {("X1", "US")}, "agree"),
        ({("X1", "US")}, {("X1", "")}, "agree_unqualified"),
        ({("X1", "US")}, {("X1", "MX")}, "qualifier_differs"),
        ({("X1", "US")}, {("X2", "US")}, "disagree"),
        ({("IQZ6498", "TX")}, {("IQZ4498", "TX")}, "typo"),  # one character mistyped
        ({("IQZ6498", "TX")}, {("IQZ6948", "")}, "typo"),  # two swapped, issuer unknown
        ({("IQZ6498", "TX")}, {("IQZ4498", "NM")}, "disagree"),  # another state's plate
        ({("X1", "US")}, set(), "missing"),
    ],
)
def test_compare_qualified(a, b, level):
    assert cmp.compare_qualified(a, b) == level


VIN = "1HGCM82633A004352"


@pytest.mark.parametrize(
    "a, b, level",
    [
        ({VIN}, {VIN}, "agree"),
        ({VIN}, {"1HGCM82633A004532"}, "typo"),  # two swapped: one edit
        ({VIN}, {"1HGXM82633A004532"}, "close"),  # a typo and a swap
        ({VIN}, {"1HGXM82633A084532"}, "disagree"),  # three edits
        ({VIN}, {"5YJ3E1EA7KF317000"}, "disagree"),
        ({"ABC12345D404"}, {"ABC12354D414"}, "close"),  # a hull id: a swap and a typo
        ({"1234567"}, {"1243568"}, "disagree"),  # digits only: two slips are not rare by chance
        ({"AB1234"}, {"AB2135"}, "disagree"),  # too short
        ({VIN}, set(), "missing"),
    ],
)
def test_compare_long_identifier(a, b, level):
    assert cmp.compare_long_identifier(a, b) == level
    assert cmp.compare_long_identifier(b, a) == level


@pytest.mark.parametrize("a, b", [({"123456789"}, {"123465780"}), ({VIN}, {"1HGXM82633A004532"})])
def test_person_and_business_identifiers_two_slips_apart_still_disagree(a, b):
    """SSN, A-Number, EIN keep `compare_identifier`, which has no level for two slips."""
    assert cmp.compare_identifier(a, b) == "disagree"


@pytest.mark.parametrize(
    "a, b, level",
    [
        ({("ABC1234", "TX")}, {("ABC1234", "TX")}, "agree"),
        ({("ABC1234", "TX")}, {("ABC1243", "TX")}, "typo"),
        ({("ABC1234", "TX")}, {("ACB1284", "TX")}, "close"),  # a swap and a typo
        ({("ABC1234", "TX")}, {("ACB1284", "")}, "close"),  # issuer unknown
        ({("ABC1234", "TX")}, {("ACB1284", "NM")}, "disagree"),  # another state's plate
        ({("ABC1234", "TX")}, {("ACB1294", "TX")}, "close"),
        ({("ABC1234", "TX")}, {("ACB1895", "TX")}, "disagree"),  # three edits
        ({("ABC123", "FL")}, {("ACB128", "FL")}, "disagree"),  # six characters: too short
        ({("1234567", "TX")}, {("1243568", "TX")}, "disagree"),  # digits only
        ({("ABC1234", "TX")}, {("ABC1234", "NM"), ("ACB1284", "TX")}, "close"),  # above qualifier_differs
        ({("ABC1234", "TX")}, set(), "missing"),
    ],
)
def test_compare_plate(a, b, level):
    assert cmp.compare_plate(a, b) == level
    assert cmp.compare_plate(b, a) == level


@pytest.mark.parametrize(
    "a, b, level",
    [
        ({"line1": "1 Main Street", "city": "Reno"}, {"line1": "1 main st", "city": "RENO", "postcode": "89501"}, "agree"),
        # the same line where only the cities differ (a neighbourhood for its city): weaker than an area's
        ({"line1": "1 Main St", "city": "Reno"}, {"line1": "1 Main St", "city": "Elko"}, "line"),
        ({"line1": "1 Main St", "city": "Reno", "postcode": "89501"},
         {"line1": "1 Main St", "city": "Elko", "postcode": "89801"}, "disagree"),  # two postcodes say two towns
        ({"line1": "1 Main St", "city": "Reno"}, {"line1": "2 Main St", "city": "Elko"}, "disagree"),
        # one place written two ways: an ordinal in words or figures, a directional, "City" after the name
        ({"line1": "88 Ninth Ave", "city": "New York"}, {"line1": "88 9th Avenue", "city": "New York City"}, "agree"),
        ({"line1": "8358 Sunset Blv.", "city": "W. Hollywood"}, {"line1": "8358 Sunset Blvd", "city": "West Hollywood"},
         "agree"),
        ({"line1": "12 1st St", "postcode": "4806"}, {"line1": "14 First Street", "postcode": "4806"}, "street"),
        ({"line1": "1 Main St", "postcode": "89501"}, {"line1": "9 Oak St", "postcode": "89501"}, "same_area"),
        ({"line1": "1 Main St"}, {}, "missing"),
        # the same line in one area: a city respelled, a postcode digit, another state with the postcode
        ({"line1": "69 Litchfield Pl", "city": "Mill Prak", "postcode": "4051"},
         {"line1": "69 Litchfield Pl", "city": "Mill Park", "postcode": "4053"}, "agree"),
        ({"line1": "26 Groom St", "city": "Young", "state": "SA", "postcode": "3859"},
         {"line1": "26 Groom St", "city": "Young", "state": "QLD", "postcode": "3859"}, "agree"),
        ({"line1": "1 Main St", "city": "Springfield", "state": "IL"},
         {"line1": "1 Main St", "city": "Springfield", "state": "MO"}, "disagree"),  # two Springfields
        # the same house, the street respelled, split, joined or missing its second line
        ({"line1": "57 Fincham Crqscent", "line2": "Wilga", "postcode": "2642"},
         {"line1": "57 Fincham Cerscent", "line2": "Wilga", "postcode": "2642"}, "close"),
        ({"line1": "11 Coplanddrive", "city": "Birmingha m Gardens"},
         {"line1": "11 Copland Dr", "city": "Birmingham Gardens"}, "close"),
        ({"line1": "40 Togo P Lace", "line2": "Carav Park", "postcode": "2602"},
         {"line1": "40 Togo Pl", "postcode": "2602"}, "close"),
        ({"line1": "23 Woollum St", "line2": "Allunga", "postcode": "2870"},
         {"line1": "23 Allunga", "line2": "Woollum St", "postcode": "2870"}, "close"),  # the second line first
        # the house number and the street name after it, however the rest is spelled
        ({"line1": "9 Rodway Sptreet", "postcode": "3130"}, {"line1": "9 Rodway St", "line2": "Canbermra Hse",
                                                             "postcode": "3130"}, "close"),
        ({"line1": "Unit 4", "line2": "12 Main St", "postcode": "3130"},
         {"line1": "Unit 4", "line2": "99 Mian St", "postcode": "3130"}, "street"),  # another house, one unit no.
        ({"line1": "57 Fincham Crescent", "city": "Reno"}, {"line1": "57 Fincham Cres", "city": "Elko"},
         "line"),  # only the town differs
        ({"line1": "57 Fincham Crescent", "city": "Reno", "state": "NV"},
         {"line1": "57 Fincham Cres", "city": "Elko", "state": "UT"}, "disagree"),  # and the state
        # that street, with another or no house number, in one area
        ({"line1": "58 Bambridge St", "postcode": "4806"}, {"line1": "46 Bambridge Street", "postcode": "4806"},
         "street"),
        ({"line1": "Studley St", "postcode": "4869"}, {"line1": "2 Studley Steet", "postcode": "4869"}, "street"),
        ({"line1": "58 Bambridge St"}, {"line1": "46 Bambridge St"}, "disagree"),  # no area to place them
        # short street names are too common to count respelled
        ({"line1": "5 Elm St", "postcode": "4806"}, {"line1": "5 Elk St", "postcode": "4806"}, "same_area"),
    ],
)
def test_compare_addresses(a, b, level):
    assert cmp.compare_addresses([normalize_address(a)], [normalize_address(b)]) == level
    assert cmp.compare_addresses([normalize_address(b)], [normalize_address(a)]) == level


@pytest.mark.parametrize(
    "a, b, level",
    [
        ("acme trading", "acme trading", "exact"),
        ("acme trading", "trading acme", "strong"),
        ("acme tradng", "acme trading", "strong"),
        ("acme trade", "acme trading", "close"),
        ("acme trading", "zenith logistics", "disagree"),
        ("", "acme", "missing"),
    ],
)
def test_compare_text(a, b, level):
    assert cmp.compare_text(a, b) == level


@pytest.mark.parametrize(
    "a, b, level",
    [
        ("Bones", "Bones Restaurant", "contained"),  # what the place is, added
        ("Restaurant Katsu", "Katsu", "contained"),
        ("The Palm", "Palm, The (Los Angeles)", "contained"),  # where, added
        ("Acme Trading", "Acme Trading Co.", "exact"),  # a legal form is no word of the name
        ("Acme Trading", "Trading Acme", "strong"),
        ("Ace", "Ace Hardware", "disagree"),  # too short a name to count inside another
        ("Bones Restaurant", "Bones Grill", "disagree"),  # each has a word the other lacks
        ("Acme Trading", "Zenith Logistics", "disagree"),
        ("", "Acme", "missing"),
    ],
)
def test_compare_business_names(a, b, level):
    assert cmp.compare_business_names([business_key(a)], [business_key(b)]) == level
    assert cmp.compare_business_names([business_key(b)], [business_key(a)]) == level


@pytest.mark.parametrize(
    "a, b, level",
    [
        ("black iphone 12 pro in red case", "iphone 12 pro black", "strong"),
        ("glock 19 pistol 9mm", "glock 17 pistol", "close"),
        ("glock 19 pistol", "gold necklace", "disagree"),
    ],
)
def test_compare_description(a, b, level):
    assert cmp.compare_description(a, b) == level


@pytest.mark.parametrize("a, b, level", [(2015, 2015, "agree"), (2015, 2016, "near"), (2015, 2010, "disagree"), (None, 2015, "missing")])
def test_compare_year(a, b, level):
    assert cmp.compare_year(a, b) == level


@pytest.mark.parametrize(
    "a, b, level",
    [
        ({"soc_sec_id:9384379"}, {"soc_sec_id:9384379"}, "agree"),
        ({"soc_sec_id:9384379"}, {"soc_sec_id:9384397"}, "typo"),  # two digits swapped
        ({"soc_sec_id:9030076"}, {"soc_sec_id:9036067"}, "close"),  # a digit and a swap
        ({"soc_sec_id:9030076"}, {"national_id:9030076"}, "disagree"),  # another kind of number
        ({"soc_sec_id:123456"}, {"soc_sec_id:125436"}, "disagree"),  # too short for two slips
        ({"soc_sec_id:9030076"}, {"soc_sec_id:1609739"}, "disagree"),
        ({"soc_sec_id:9030076"}, set(), "missing"),
    ],
)
def test_compare_keyed_identifiers(a, b, level):
    assert cmp.compare_keyed_identifiers(a, b) == level
    assert cmp.compare_keyed_identifiers(b, a) == level
