"""Identifier normalization: equal identifiers written differently agree; invalid ones are None."""

import pytest

from ccms_graph.matching.identifiers import (
    canonical_kind,
    identifier_key,
    imo_check_ok,
    luhn_ok,
    normalize_identifier,
    vin_check_digit_ok,
)


@pytest.mark.parametrize(
    "kind, raw, expected",
    [
        ("ssn", "123-45-6789", "123456789"),
        ("ssn", " 123 45 6789 ", "123456789"),
        ("ssn", "000-12-3456", None),  # area 000
        ("ssn", "666-12-3456", None),  # area 666
        ("ssn", "912-34-5678", None),  # area 9xx
        ("ssn", "123-00-4567", None),  # group 00
        ("ssn", "123-45-0000", None),  # serial 0000
        ("ssn", "12345678", None),
        ("a_number", "A12345678", "A012345678"),
        ("a_number", "A-012-345-678", "A012345678"),
        ("A-Number", "a 012345678", "A012345678"),
        ("a_number", "A1234567", None),
        ("a_number", "B12345678", None),
        ("passport", "x123 4567", "X1234567"),
        ("drivers_license", "d123-456-789", "D123456789"),
        ("fbi_number", "123456-ab7", "123456AB7"),
        ("phone", "(202) 555-0143", "+12025550143"),
        ("phone", "+1 202.555.0143", "+12025550143"),
        ("phone", "+44 20 7946 0958", "+442079460958"),
        ("phone", "555", None),
        ("phone", "call me", None),
        ("email", "  John.Doe@Gmail.COM ", "john.doe@gmail.com"),  # dots kept: documented
        ("email", "not-an-email", None),
        ("vin", "1hgcm82633a004352", "1HGCM82633A004352"),
        ("vin", "1HGCM82633A00435", None),  # 16 chars
        ("vin", "1HGCM82633A0O4352", "1HGCM82633A004352"),  # O never appears in a VIN: the 0 a clerk meant
        ("vin", "1HGCM82633AQ04352", "1HGCM82633A004352"),  # nor Q
        ("vin", "IHGCM82633A004352", "1HGCM82633A004352"),  # nor I
        ("plate", "abc-123", "ABC123"),
        ("n_number", "n123ab", "N123AB"),
        ("n_number", "123AB", "N123AB"),
        ("hin", "ABC 12345 D404", "ABC12345D404"),
        ("hin", "ABC12345", None),
        ("imo", "IMO 9074729", "9074729"),
        ("imo", "9074728", None),  # bad check digit
        ("mmsi", "366 123 456", "366123456"),
        ("mmsi", "36612345", None),
        ("ein", "12-3456789", "123456789"),
        ("ein", "12-345678", None),
        ("imei", "49-015420-323751-8", "490154203237518"),
        ("imei", "490154203237517", None),  # fails Luhn
        ("serial", "sn-00a1", "SN00A1"),
        ("icao24", "A1B2C3", "a1b2c3"),
        ("icao24", "A1B2", None),
        ("state_id", "ca-123 x", "CA123X"),  # unknown kinds: alphanumerics, upper case
        ("ssn", None, None),
        ("ssn", "", None),
    ],
)
def test_normalize_identifier(kind, raw, expected):
    assert normalize_identifier(kind, raw) == expected


@pytest.mark.parametrize(
    "kind, raw, key",
    [
        ("ssn", "123-45-6789", "ssn:123456789"),
        ("a_number", "A-012-345-678", "anum:A012345678"),
        ("Alien Number", "A12345678", "anum:A012345678"),
        ("phone", "202-555-0143", "phone:+12025550143"),
        ("VIN", "1hgcm82633a004352", "vin:1HGCM82633A004352"),
        ("Driver's License", "d-1", "drivers_license:D1"),
        ("ssn", "666-12-3456", None),
    ],
)
def test_identifier_key(kind, raw, key):
    assert identifier_key(kind, raw) == key


def test_a_number_spellings_share_one_key():
    assert identifier_key("a_number", "A12345678") == identifier_key("a_number", "A-012-345-678")


@pytest.mark.parametrize("kind, alias", [("ssn", "Social Security Number"), ("drivers_license", "DL"), ("n_number", "tail number")])
def test_canonical_kind(kind, alias):
    assert canonical_kind(alias) == kind


@pytest.mark.parametrize(
    "vin, ok",
    [
        ("1HGCM82633A004352", True),
        ("1M8GDM9AXKP042788", True),  # check digit X
        ("11111111111111111", True),
        ("1HGCM82634A004352", False),
        ("1M8GDM9A1KP042788", False),
        ("1HGCM82633A00435", False),
        ("1HGCM82633A00435I", False),
    ],
)
def test_vin_check_digit(vin, ok):
    assert vin_check_digit_ok(vin) is ok


@pytest.mark.parametrize("imo, ok", [("9074729", True), ("9176187", True), ("9074728", False), ("907472", False)])
def test_imo_check_digit(imo, ok):
    assert imo_check_ok(imo) is ok


@pytest.mark.parametrize("number, ok", [("490154203237518", True), ("4111111111111111", True), ("4111111111111112", False), ("12a", False)])
def test_luhn(number, ok):
    assert luhn_ok(number) is ok
