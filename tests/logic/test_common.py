"""The shared building blocks of the logic layer: driver values shaped into answers, input loading, CSV cells."""

from __future__ import annotations

import itertools
from datetime import UTC

import pytest
from marshmallow import Schema, fields, validate
from neo4j.time import Date, DateTime

from ccms_graph.errors import ValidationFailed
from ccms_graph.logic.common import csv_safe, load_input, node_dict, placeholder, plain, record_type_of

# ---------------------------------------------------------------------------------------------
# plain: what the driver returns, as JSON-ready values
# ---------------------------------------------------------------------------------------------


def test_plain_turns_neo4j_temporals_into_iso_strings_and_keeps_the_rest():
    props = {
        "created_at": DateTime(2026, 3, 1, 12, 30, 5, 123456789, tzinfo=UTC),
        "local_at": DateTime(2026, 3, 1, 12, 30),
        "dob": Date(1980, 5, 3),
        "title": "Operation Reef",
        "version": 3,
        "restricted": False,
        "team_uids": ["u1", "u2"],
        "predication": None,
    }
    assert plain(props) == {
        "created_at": "2026-03-01T12:30:05.123456789+00:00",  # nanoseconds and zone kept
        "local_at": "2026-03-01T12:30:00.000000000",
        "dob": "1980-05-03",
        "title": "Operation Reef",
        "version": 3,
        "restricted": False,
        "team_uids": ["u1", "u2"],
        "predication": None,
    }


def test_plain_decodes_a_json_payload_and_only_the_payload():
    props = {"payload": '{"reason": "no_new_information", "other_case_uid": null}',
             "identifiers": '[{"type": "FBI", "value": "123ABC"}]'}
    out = plain(props)
    assert out["payload"] == {"reason": "no_new_information", "other_case_uid": None}
    assert out["identifiers"] == '[{"type": "FBI", "value": "123ABC"}]'  # other JSON text stays text
    assert plain({"payload": {"already": "decoded"}}) == {"payload": {"already": "decoded"}}


@pytest.mark.parametrize("props", [None, {}])
def test_plain_of_nothing_is_an_empty_answer(props):
    assert plain(props) == {}


def test_plain_does_not_change_what_it_was_given():
    props = {"at": Date(2026, 1, 2), "payload": "{}"}
    plain(props)
    assert props == {"at": Date(2026, 1, 2), "payload": "{}"}


# ---------------------------------------------------------------------------------------------
# record_type_of, node_dict, placeholder: every answer about a record has one shape
# ---------------------------------------------------------------------------------------------

TYPE_CASES = [
    (("Person", "SubjectRecord", "Linkable"), "Person"),
    (("Vehicle", "SubjectRecord", "Linkable"), "Vehicle"),
    (("ReportOfInvestigation", "Document", "Linkable"), "ReportOfInvestigation"),
    (("Case", "Linkable"), "Case"),
    (("Phone", "Linkable"), "Phone"),
    (("Case",), "Case"),
    (("SubjectRecord", "Linkable"), "Record"),  # only group labels: no type to name
    ((), "Record"),
]


@pytest.mark.parametrize(("labels", "expected"), TYPE_CASES)
def test_record_type_is_the_same_whatever_order_neo4j_returns_the_labels_in(labels, expected):
    for order in itertools.permutations(labels):
        assert record_type_of(order) == expected, order
    assert record_type_of(iter(labels)) == expected  # any iterable, as the driver's label sets are


def test_node_dict_gives_uid_type_caption_and_plain_props():
    node = {"uid": "p1", "given_name": "José", "middle_name": "", "family_name": "Müller-Ortiz",
            "created_at": DateTime(2026, 3, 1, 9, 0, tzinfo=UTC)}
    for labels in itertools.permutations(("Linkable", "SubjectRecord", "Person")):
        out = node_dict(node, labels)
        assert out == {"uid": "p1", "type": "Person", "caption": "José Müller-Ortiz",
                       "props": {**node, "created_at": "2026-03-01T09:00:00.000000000+00:00"}}


@pytest.mark.parametrize(("node", "labels", "caption"), [
    ({"uid": "c1", "case_number": "MIA-FY27-00012", "title": "Operation Reef"}, ("Linkable", "Case"),
     "MIA-FY27-00012 Operation Reef"),
    ({"uid": "v1", "year": 2003, "make": "Honda", "model": "Accord", "plate": None},
     ("SubjectRecord", "Vehicle", "Linkable"), "2003 Honda Accord"),
    ({"uid": "ph1", "e164": "+13055550101", "display": "(305) 555-0101"}, ("Linkable", "Phone"),
     "(305) 555-0101"),
    ({"uid": "abcdef1234567890"}, ("Person", "SubjectRecord"), "Person abcdef12"),  # nothing to name it by
])
def test_node_dict_captions_each_kind_of_record(node, labels, caption):
    out = node_dict(node, labels)
    assert (out["uid"], out["caption"]) == (node["uid"], caption)


@pytest.mark.parametrize(("hidden", "uid"), [(False, "c1"), (True, None)])
def test_a_placeholder_shows_the_type_and_the_uid_only_when_existence_is_not_secret(hidden, uid):
    for labels in itertools.permutations(("Case", "Linkable")):
        assert placeholder("c1", labels, hidden) == {"uid": uid, "type": "Case", "locked": True}


def test_a_placeholder_carries_nothing_of_the_record():
    out = placeholder("p1", ("SubjectRecord", "Person", "Linkable"), hidden=False)
    assert set(out) == {"uid", "type", "locked"}


# ---------------------------------------------------------------------------------------------
# load_input: bad input is refused with the field named
# ---------------------------------------------------------------------------------------------


class _Input(Schema):
    title = fields.String(required=True, validate=validate.Length(min=3))
    count = fields.Integer(load_default=1)


@pytest.mark.parametrize("data", [None, ["title", "Reef"], "title=Reef", 42])
def test_load_input_refuses_anything_but_an_object(data):
    with pytest.raises(ValidationFailed) as err:
        load_input(_Input(), data)
    assert err.value.errors == {"_schema": ["expected an object"]}
    assert err.value.status == 422


@pytest.mark.parametrize(("data", "bad"), [
    ({}, {"title"}),
    ({"title": "ab"}, {"title"}),
    ({"title": "Reef", "count": "many"}, {"count"}),
    ({"title": 7, "count": "many"}, {"title", "count"}),
    ({"title": "Reef", "colour": "red"}, {"colour"}),  # unknown fields are refused, not dropped
])
def test_load_input_names_each_bad_field(data, bad):
    with pytest.raises(ValidationFailed) as err:
        load_input(_Input(), data)
    assert set(err.value.errors) == bad
    assert all(err.value.errors[name] for name in bad)  # each with its reason
    assert str(err.value) == f"invalid fields: {', '.join(sorted(bad))}"


def test_load_input_answers_the_loaded_values_with_defaults():
    assert load_input(_Input(), {"title": "Reef"}) == {"title": "Reef", "count": 1}
    assert load_input(_Input(), {"title": "Reef", "count": "4"}) == {"title": "Reef", "count": 4}


# ---------------------------------------------------------------------------------------------
# csv_safe: a cell a spreadsheet shows as text
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("value", "cell"), [
    ("=HYPERLINK(\"http://evil\",\"x\")", "'=HYPERLINK(\"http://evil\",\"x\")"),
    ("+1 305 555 0101", "'+1 305 555 0101"),
    ("-2+3", "'-2+3"),
    ("@SUM(A1:A2)", "'@SUM(A1:A2)"),
    ("\t=1+1", "'\t=1+1"),
    ("\r=1+1", "'\r=1+1"),
    ("Operation Reef", "Operation Reef"),
    ("a=b", "a=b"),  # only the start of a cell makes a formula
    ("'quoted", "'quoted"),
    ("", ""),
    (None, ""),
    (True, "true"),
    (False, "false"),
    (0, "0"),
    (-5, "-5"),  # a real number stays a number
    (2.5, "2.5"),
    (-0.25, "-0.25"),
])
def test_csv_cells_never_start_a_formula(value, cell):
    assert csv_safe(value) == cell
