"""Blocking and identifier keys: the same entity typed differently meets under a shared key."""

import pytest

from ccms_graph.matching.features import blocking_keys, candidate_keys, identifier_keys

PEOPLE_WHO_MUST_MEET = [
    ("same person", {"given_name": "John", "family_name": "Smith", "dob": "1980-05-03"},
     {"given_name": "Jon", "family_name": "Smyth", "dob": "05/03/1980"}),
    ("swapped names", {"given_name": "Smith", "family_name": "John", "dob": "1980-05-03"},
     {"given_name": "John", "family_name": "Smith", "dob": "1980-05-03"}),
    ("transliteration", {"given_name": "Ali", "family_name": "Mohammed", "dob": "1970"},
     {"given_name": "Ali", "family_name": "Muhammad", "dob": "1970-01-01"}),
    ("year typo by one", {"family_name": "Garcia", "dob": "1980-05-03"}, {"family_name": "Garcia", "dob": "1981-05-03"}),
    ("stored without DOB", {"family_name": "de la Cruz", "dob": "1980-05-03"}, {"family_name": "Cruz"}),
    ("query without DOB", {"family_name": "Cruz"}, {"family_name": "Delacruz", "dob": "1980-05-03"}),
    ("double surname shortened", {"family_name": "Garcia Lopez", "dob": "1980"}, {"family_name": "Lopez", "dob": "1980"}),
    ("alias", {"family_name": "Lydon", "dob": "1956"}, {"given_name": "Johnny", "family_name": "Rotten", "aliases": ["John Lydon"], "dob": "1956"}),
]


@pytest.mark.parametrize("label, query, stored", PEOPLE_WHO_MUST_MEET, ids=[c[0] for c in PEOPLE_WHO_MUST_MEET])
def test_person_candidates_are_found(label, query, stored):
    assert set(candidate_keys("Person", query)) & set(blocking_keys("Person", stored))


@pytest.mark.parametrize(
    "query, stored",
    [
        ({"family_name": "Smith", "dob": "1980-05-03"}, {"family_name": "Smith", "dob": "1950-01-01"}),
        ({"family_name": "Smith", "dob": "1980-05-03"}, {"family_name": "Jones", "dob": "1980-05-03"}),
    ],
)
def test_person_blocking_keeps_others_apart(query, stored):
    assert not set(candidate_keys("Person", query)) & set(blocking_keys("Person", stored))


def test_person_key_format():
    assert blocking_keys("Person", {"given_name": "John", "family_name": "Smith", "dob": "1980-05-03"}) == [
        "JN", "JN|1980", "SM0", "SM0|1980"
    ]
    assert blocking_keys("Person", {"family_name": "Smith"}) == ["SM0", "SM0|"]
    assert candidate_keys("Person", {"family_name": "Smith"}) == ["SM0"]


def test_keys_do_not_depend_on_input_order():
    a = {"family_name": "Smith", "aliases": ["Mary Jones", "Ann Brown"], "phones": ["2025550143", "2025550199"]}
    b = {"family_name": "Smith", "aliases": ["Ann Brown", "Mary Jones"], "phones": ["2025550199", "2025550143"]}
    assert blocking_keys("Person", a) == blocking_keys("Person", b)
    assert identifier_keys("Person", a) == identifier_keys("Person", b)


@pytest.mark.parametrize(
    "entity_type, record, keys",
    [
        ("Person", {"ssn": "123-45-6789", "a_number": "A-012-345-678", "passport": {"number": "x1234567", "country": "US"},
                    "drivers_license": {"number": "d-123", "state": "VA"}, "fbi_number": "123456ab7",
                    "phones": ["(202) 555-0143"], "emails": [" A@B.COM "],
                    "identifiers": [{"type": "SSN", "value": "321-54-9876"}, {"type": "state id", "value": "va-9"}]},
         ["anum:A012345678", "drivers_license:D123", "email:a@b.com", "fbi_number:123456AB7", "passport:X1234567",
          "phone:+12025550143", "ssn:123456789", "ssn:321549876", "state_id:VA9"]),
        ("Person", {"ssn": "666-12-3456", "phones": ["nope"]}, []),
        ("Business", {"ein": "12-3456789", "registration_number": "c-123", "jurisdiction": "DE"},
         ["ein:123456789", "registration:C123"]),
        ("Vehicle", {"vin": "1hgcm82633a004352", "plate": "abc 123", "plate_state": "VA"},
         ["plate:ABC123", "vin:1HGCM82633A004352"]),
        ("Vessel", {"imo": "IMO 9074729", "mmsi": "366123456", "hull_id": "ABC12345D404", "documentation_number": "123 4567"},
         ["documentation_number:1234567", "hin:ABC12345D404", "imo:9074729", "mmsi:366123456"]),
        ("Aircraft", {"tail_number": "123ab", "icao24": "A1B2C3", "serial_number": "208b-1"},
         ["icao24:a1b2c3", "n_number:N123AB", "serial:208B1"]),
        ("Thing", {"imei": "490154203237518", "serial": "sn 1"}, ["imei:490154203237518", "serial:SN1"]),
    ],
)
def test_identifier_keys(entity_type, record, keys):
    assert identifier_keys(entity_type, record) == keys


@pytest.mark.parametrize(
    "entity_type, a, b",
    [
        ("Business", {"name": "The Acme Trading Co."}, {"name": "ACME TRADING LLC"}),
        ("Business", {"name": "Zenith", "addresses": [{"postcode": "20001-1234"}]}, {"name": "Other", "addresses": [{"postcode": "20001"}]}),
        ("Vehicle", {"vin": "1HGCM82633A004352"}, {"vin": "1HGCM82633A004353"}),  # typo in the serial part
        ("Vehicle", {"vin": "1HGCM82633A004352"}, {"vin": "2HGCM82633A004352"}),  # typo in the head
        ("Vehicle", {"make": "Chevy", "model": "Malibu", "year": 2015}, {"make": "Chevrolet", "model": "MALIBU", "year": "2015"}),
        ("Vessel", {"name": "M/V Sea Star"}, {"name": "SEA STAR"}),
        ("Aircraft", {"tail_number": "N123AB"}, {"tail_number": "N123AV"}),
        ("Thing", {"category": "Phone"}, {"category": "phone"}),
    ],
)
def test_other_types_meet_under_a_shared_key(entity_type, a, b):
    assert set(candidate_keys(entity_type, a)) & set(blocking_keys(entity_type, b))


def test_unknown_entity_type_is_an_error():
    with pytest.raises(ValueError):
        blocking_keys("Spaceship", {})


RECORDS_OF_EACH_TYPE = [
    ("Person", {"given_name": "Ana", "middle_name": "Lucia", "family_name": "de la Cruz", "dob": "1980-05-03",
                "aliases": ["Ana Smith"], "ssn": "219-09-9999", "phones": ["+1 305 555 0101"],
                "addresses": [{"line1": "12 Rodway Street", "city": "Miami", "postcode": "33101"}]}),
    ("Business", {"name": "Halcyon Freight Ltd", "ein": "12-3456789", "dbas": ["Halcyon"],
                  "addresses": [{"line1": "9 Dock Rd", "city": "Miami", "postcode": "33101"}]}),
    ("Vehicle", {"vin": "1HGCM82633A004352", "plate": "ABC123", "plate_state": "FL", "make": "Honda",
                 "model": "Accord", "year": 2003}),
    ("Vessel", {"name": "Sea Breeze", "hull_id": "ABC12345D404", "mmsi": "366123456"}),
    ("Aircraft", {"tail_number": "N512CA", "make": "Cessna", "model": "172S", "icao24": "A0B1C2"}),
    ("Thing", {"category": "firearm", "serial": "GLK-99812", "imei": "490154203237518"}),
]


@pytest.mark.parametrize("entity_type, record", RECORDS_OF_EACH_TYPE, ids=[t for t, _ in RECORDS_OF_EACH_TYPE])
def test_keys_from_a_view_computed_once_are_the_keys_computed_afresh(entity_type, record):
    """The import normalizes each record once and hands the view to every key function."""
    from ccms_graph.matching import blocking, records

    view = records.view_of(entity_type, record)
    assert blocking.stored_keys(entity_type, record, view) == blocking.stored_keys(entity_type, record)
    assert blocking.query_keys(entity_type, record, view) == blocking.query_keys(entity_type, record)
    assert identifier_keys(entity_type, record, view) == identifier_keys(entity_type, record)
    assert blocking.stored_keys(entity_type, record)  # every one of these records has keys to compare
