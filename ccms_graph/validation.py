"""Marshmallow schemas for record input, generated from the type vocabulary, and `validate()`."""

from __future__ import annotations

import re
from datetime import date
from functools import cache
from typing import TypedDict

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from .errors import ValidationFailed
from .logic.location import coordinates
from .matching import dates
from .matching.identifiers import FORMAT_HINTS, is_unverified, normalize_identifier
from .nodes.vocabulary import ALL_RECORD_TYPES, FINANCIAL_SELECTORS, Field, RecordType

_LIST_ITEM = fields.String(validate=validate.Length(min=1, max=500))

#: What is wrong with a string holding half of a UTF-16 pair: JSON's "\ud800" escape decodes to one, and it is
#: no text (nothing can store, show or send it).
SURROGATE_PROBLEM = "holds a lone UTF-16 surrogate (a \\ud800 to \\udfff escape), which is not text"

_SURROGATE = re.compile("[\ud800-\udfff]")


def _has_surrogate(value: object) -> bool:
    if isinstance(value, str):
        return not value.isascii() and _SURROGATE.search(value) is not None
    if isinstance(value, dict):
        return any(_has_surrogate(k) or _has_surrogate(v) for k, v in value.items())
    if isinstance(value, list):
        return any(map(_has_surrogate, value))
    return False


def surrogate_fields(value: object) -> list[str]:
    """The fields of decoded JSON input that hold a lone surrogate anywhere inside them (a key so spoiled, or
    input that is no object, as "_schema"), sorted; [] when it is all text. Decoded JSON is the one input
    that can hold one: forms, query strings and files are decoded from UTF-8, which cannot."""
    if not isinstance(value, dict):
        return ["_schema"] if _has_surrogate(value) else []
    return sorted({"_schema" if _has_surrogate(k) else str(k) for k, v in value.items()
                   if _has_surrogate(k) or _has_surrogate(v)})


def surrogate_problem(value: object) -> str | None:
    """A refusal's reason for decoded JSON input holding a lone surrogate ("given_name, phones: holds …"), or None."""
    bad = surrogate_fields(value)
    return f"{', '.join(bad)}: {SURROGATE_PROBLEM}" if bad else None


def refuse_surrogates(value: object) -> None:
    """ValidationFailed naming each field of `value` (decoded JSON input) that holds a lone surrogate."""
    bad = surrogate_fields(value)
    if bad:
        raise ValidationFailed({name: [SURROGATE_PROBLEM] for name in bad})


class IdentifierSchema(Schema):
    type = fields.String(required=True, validate=validate.Length(min=1, max=60))
    value = fields.String(required=True, validate=validate.Length(min=1, max=200))


class AddressSchema(Schema):
    line1 = fields.String(validate=validate.Length(max=200))
    line2 = fields.String(validate=validate.Length(max=200), allow_none=True)
    city = fields.String(validate=validate.Length(max=100), allow_none=True)
    state = fields.String(validate=validate.Length(max=60), allow_none=True)
    postcode = fields.String(validate=validate.Length(max=20), allow_none=True)
    country = fields.String(validate=validate.Length(max=60), allow_none=True)
    # Optional WGS84 coordinates, a pair (logic/location/coordinates.py), kept as the node's `location` point.
    latitude = fields.Float(validate=validate.Range(-90, 90), allow_nan=False, allow_none=True)
    longitude = fields.Float(validate=validate.Range(-180, 180), allow_nan=False, allow_none=True)


class HandleSchema(Schema):
    platform = fields.String(required=True, validate=validate.Length(min=1, max=60))
    handle = fields.String(required=True, validate=validate.Length(min=1, max=200))


class BankAccountSchema(Schema):
    """A bank account: checked and normalised (ABA routing checksum, or an IBAN) by `records.prepare`."""

    institution = fields.String(validate=validate.Length(max=200), allow_none=True)
    routing_number = fields.String(validate=validate.Length(max=40), allow_none=True)
    account_number = fields.String(required=True, validate=validate.Length(min=1, max=60))


class CryptoWalletSchema(Schema):
    """A cryptocurrency wallet: its address's checksum is checked for its chain (bitcoin, ethereum)."""

    chain = fields.String(required=True, validate=validate.Length(min=1, max=40))
    address = fields.String(required=True, validate=validate.Length(min=1, max=120))


class PaymentHandleSchema(Schema):
    """A peer-to-peer payment handle (cashapp, venmo, paypal, zelle), checked for its service."""

    service = fields.String(required=True, validate=validate.Length(min=1, max=40))
    handle = fields.String(required=True, validate=validate.Length(min=1, max=200))


#: Each financial selector's input schema, by its input name (vocabulary.FINANCIAL_SELECTORS).
_FINANCIAL_SCHEMAS = {"bank_accounts": BankAccountSchema, "crypto_wallets": CryptoWalletSchema,
                      "payment_handles": PaymentHandleSchema}
assert set(_FINANCIAL_SCHEMAS) == {name for _, name in FINANCIAL_SELECTORS.values()}


class IdentifierItem(fields.String):
    """One identifier of a list field (e.g. a SAR's BSA ID): refused unless valid, kept normalised."""

    def __init__(self, kind: str, label: str, **kwargs) -> None:
        super().__init__(validate=validate.Length(min=1, max=200), **kwargs)
        self.kind, self.label = kind, label

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        norm = normalize_identifier(self.kind, text)
        if norm is None:
            hint = FORMAT_HINTS.get(self.kind)
            raise ValidationError(f"{text!r} is not valid" + (f": {hint}" if hint else f" ({self.label})"))
        return norm


class _FieldOpts(TypedDict):
    """The keyword arguments every generated field takes (typed, so they unpack into marshmallow's)."""

    allow_none: bool
    metadata: dict[str, str]


def _readable_dob(value: str) -> None:
    """The forms' and the API's check of a date of birth (`dob_refusal`)."""
    if (problem := dob_refusal(value)) is not None:
        raise ValidationError(problem)


def _field(f: Field, dob_as_written: bool = False) -> fields.Field:
    opts: _FieldOpts = {"allow_none": True, "metadata": {"label": f.label}}
    if f.kind == "dob" and not dob_as_written:
        return fields.String(validate=[validate.Length(max=f.max_length), _readable_dob], **opts)
    if f.kind in ("str", "dob"):
        return fields.String(validate=validate.Length(max=f.max_length), **opts)
    if f.kind == "text":
        return fields.String(validate=validate.Length(max=max(f.max_length, 20_000)), **opts)
    if f.kind == "int":
        return fields.Integer(strict=False, validate=validate.Range(min=f.minimum, max=f.maximum), **opts)
    if f.kind == "float":
        return fields.Float(validate=validate.Range(min=f.minimum, max=f.maximum), allow_nan=False, **opts)
    if f.kind == "bool":
        return fields.Boolean(**opts)
    if f.kind == "enum":
        return fields.String(validate=validate.OneOf(f.choices), **opts)
    if f.kind == "list" and f.identifier:
        return fields.List(IdentifierItem(f.identifier, f.label), validate=validate.Length(max=100), **opts)
    if f.kind == "list":
        return fields.List(_LIST_ITEM, validate=validate.Length(max=100), **opts)
    if f.kind == "date":
        return fields.Date(**opts)
    if f.kind == "json":
        return fields.List(fields.Nested(IdentifierSchema), validate=validate.Length(max=100), **opts)
    raise AssertionError(f.kind)


def _identifies(name: str, value: object) -> bool:
    """Whether a field's value identifies a record: given, and for `identifiers` not only unverified ones."""
    if name == "identifiers" and isinstance(value, list):
        return any(not (isinstance(x, dict) and is_unverified(x.get("type"))) for x in value)
    return value not in (None, "", [])


@cache
def record_schema(type_name: str, dob_as_written: bool = False) -> type[Schema]:
    """The marshmallow schema class for one record type's input. A date of birth must read as a date,
    full or partial, and not be after today (`dob_refusal`), unless `dob_as_written`: an import keeps
    what a file says, flagged (`parse_dob`), and the query before a create reads what is typed so far."""
    rtype: RecordType = ALL_RECORD_TYPES[type_name]
    attrs: dict = {f.name: _field(f, dob_as_written) for f in rtype.fields}
    attrs["ref"] = fields.String(validate=validate.Length(max=200), allow_none=True,
                                 metadata={"label": "Source reference"})
    if rtype.selectors:
        attrs["phones"] = fields.List(_LIST_ITEM, validate=validate.Length(max=50))
        attrs["emails"] = fields.List(fields.Email(), validate=validate.Length(max=50))
        attrs["addresses"] = fields.List(fields.Nested(AddressSchema), validate=validate.Length(max=50))
        attrs["social_handles"] = fields.List(fields.Nested(HandleSchema), validate=validate.Length(max=50))
        for name, schema in _FINANCIAL_SCHEMAS.items():
            attrs[name] = fields.List(fields.Nested(schema), validate=validate.Length(max=50))

    def _identifying(self, data, partial=False, **kwargs):
        if partial:
            return
        if not any(_identifies(name, data.get(name)) for name in rtype.identifying):
            note = " (an unverified identifier does not count)" if data.get("identifiers") else ""
            raise ValidationError(f"a {rtype.name} needs at least one of: {', '.join(rtype.identifying)}{note}",
                                  field_name="_schema")

    attrs["_identifying"] = validates_schema(_identifying)
    ordered = [(f.name, f.not_before) for f in rtype.fields if f.not_before]

    def _in_order(self, data, **kwargs):
        # Both dates must be in this input: an edit sending only one is not checked against the stored other.
        for name, earlier in ordered:
            if data.get(name) and data.get(earlier) and data[name] < data[earlier]:
                raise ValidationError(f"comes before {earlier} ({data[earlier].isoformat()})", field_name=name)

    if ordered:
        attrs["_in_order"] = validates_schema(_in_order)
    return type(f"{type_name}{'AsWritten' if dob_as_written else ''}Input", (Schema,), attrs)


@cache
def _schema_instance(type_name: str, dob_as_written: bool = False) -> Schema:
    """One reusable schema instance per type (building one per record dominated bulk loads)."""
    return record_schema(type_name, dob_as_written)()


def validate_record(type_name: str, data: object, partial: bool = False, *, dob_as_written: bool = False) -> dict:
    """Validate input for a record type; raise ValidationFailed naming each bad field (`record_schema`
    says what `dob_as_written` lets through)."""
    if not isinstance(data, dict):
        raise ValidationFailed({"_schema": ["expected a JSON object"]})
    try:
        clean = _schema_instance(type_name, dob_as_written).load(data, partial=partial)
    except ValidationError as exc:
        raise ValidationFailed(exc.normalized_messages()) from None
    for name, value in list(clean.items()):
        if isinstance(value, str):
            clean[name] = value.strip()
        if isinstance(value, date):
            clean[name] = value.isoformat()
    return _located(clean)


def _located(clean: dict) -> dict:
    """Coordinates checked as pairs (both or neither, at most 7 decimals) and kept as `location` points,
    on the record and on each of its addresses; a refusal names the field (`addresses.<i>.latitude`)."""
    errors: dict = {}
    try:
        clean = coordinates.located(clean)
    except ValidationFailed as exc:
        errors.update(exc.errors)
    for i, addr in enumerate(clean.get("addresses") or []):
        try:
            clean["addresses"][i] = coordinates.located(addr)
        except ValidationFailed as exc:
            errors.setdefault("addresses", {})[i] = exc.errors
    if errors:
        raise ValidationFailed(errors)
    return clean


def dob_problem(raw: object) -> str | None:
    """What is wrong with a date of birth as written, or None when it reads as a date, full or partial,
    in any of the forms `matching.dates.parse_dob` reads (1985-02-28, 19850228, 02/28/1985, 1985-02,
    1985...). One that does not is kept as written and flagged (`parse_dob`); this says why, for the one
    who wrote it."""
    if not isinstance(raw, str) or not raw.strip() or dates.parse_dob(raw).valid:
        return None
    return f"{raw.strip()!r} is not a date of birth this system can read (e.g. 1985-02-28, 1985-02 or 1985)"


def dob_refusal(raw: object, today: date | None = None) -> str | None:
    """Why the forms and the API refuse a date of birth, or None: it does not read as a date
    (`dob_problem`: "sometime in the 70s", "1985-02-30"), or it is after today, as far as it is known
    (a year after this one, this year's later month). What is known may be partial: "1985" is a date.
    An import keeps either kind as written, flagged (`parse_dob`), and warns with this."""
    if (problem := dob_problem(raw)) is not None:
        return problem
    today = today or date.today()
    if not isinstance(raw, str) or not _after_today(dates.parse_dob(raw), today):
        return None
    return f"{raw.strip()!r} is after today ({today.isoformat()}); a date of birth has passed"


def _after_today(dob: dates.Dob, today: date | None = None) -> bool:
    """Whether what is known of a readable date of birth lies after `today` (by default the real one)."""
    today = today or date.today()
    known = tuple(x for x in (dob.year, dob.month, dob.day) if x is not None)
    return bool(known) and known > (today.year, today.month, today.day)[:len(known)]


def parse_dob(raw: str | None) -> dict:
    """Split a date of birth into stored properties: year/month/day where `matching.dates.parse_dob`
    reads them (the forms the matching reads), the text as written, flagged unless a full date that
    has passed (a file's "2031-05-02" is kept and read as that date, but flagged)."""
    if not raw:
        return {"dob": None, "dob_year": None, "dob_month": None, "dob_day": None, "dob_flagged": False}
    raw = raw.strip()
    dob = dates.parse_dob(raw)
    return {"dob": raw, "dob_year": dob.year, "dob_month": dob.month, "dob_day": dob.day,
            "dob_flagged": not dob.is_full or _after_today(dob)}
