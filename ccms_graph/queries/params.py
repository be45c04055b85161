"""Marshmallow schemas built from a query's declared parameters, so bad input is refused by parameter name.

Types and the validations each takes (`key=value` in the header's param line):

    int, float   min=, max=
    string       min_length=, max_length= (default 200), regex=, choices=a,b,c
    strings      a list of strings: choices=a,b,c, max_items= (default 50)
    bool         (true/false)
    date         an ISO date, YYYY-MM-DD
    uid          a record uid: letters, digits, - and _ (at most 64)
    phone        an E.164 number, e.g. +13055550100
"""

from __future__ import annotations

import re
from datetime import date

from marshmallow import Schema, ValidationError, fields, validate

from ..errors import ValidationFailed

UID_RE = r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$"
E164_RE = r"^\+[1-9][0-9]{6,14}$"

TYPES = ("int", "float", "string", "strings", "bool", "date", "uid", "phone")
_RULES = {
    "int": ("min", "max"), "float": ("min", "max"),
    "string": ("min_length", "max_length", "regex", "choices"), "strings": ("choices", "max_items"),
    "bool": (), "date": (), "uid": (), "phone": (),
}


def check_rules(ptype: str, rules: dict) -> None:
    """ValueError unless every validation rule applies to the type and has a usable value."""
    unknown = sorted(set(rules) - set(_RULES[ptype]))
    if unknown:
        allowed = ", ".join(_RULES[ptype]) or "none"
        raise ValueError(f"validation {', '.join(unknown)} does not apply to {ptype} (allowed: {allowed})")
    for key in ("min", "max"):
        if key in rules:
            (int if ptype == "int" else float)(rules[key])
    for key in ("min_length", "max_length", "max_items"):
        if key in rules and int(rules[key]) < 0:
            raise ValueError(f"{key} must not be negative")
    if "regex" in rules:
        try:
            re.compile(rules["regex"])
        except re.error as exc:
            raise ValueError(f"regex does not compile: {exc}") from None
    if "choices" in rules and not [c for c in rules["choices"].split(",") if c]:
        raise ValueError("choices needs at least one value")


def _field(ptype: str, rules: dict, **kw) -> fields.Field:
    checks: list[validate.Validator] = []
    if ptype in ("int", "float"):
        num = int if ptype == "int" else float
        lo = num(rules["min"]) if "min" in rules else None
        hi = num(rules["max"]) if "max" in rules else None
        if lo is not None or hi is not None:
            checks.append(validate.Range(min=lo, max=hi))
        return (fields.Integer if ptype == "int" else fields.Float)(validate=checks, **kw)
    if ptype == "string":
        checks.append(validate.Length(min=int(rules.get("min_length", 0)), max=int(rules.get("max_length", 200))))
        if "regex" in rules:
            checks.append(validate.Regexp(rules["regex"], error="does not match the expected form"))
        if "choices" in rules:
            checks.append(validate.OneOf(rules["choices"].split(",")))
        return fields.String(validate=checks, **kw)
    if ptype == "strings":
        inner = fields.String(validate=[validate.Length(max=200)] + (
            [validate.OneOf(rules["choices"].split(","))] if "choices" in rules else []))
        return fields.List(inner, validate=validate.Length(max=int(rules.get("max_items", 50))), **kw)
    if ptype == "bool":
        return fields.Boolean(**kw)
    if ptype == "date":
        return fields.Date(**kw)
    if ptype == "uid":
        return fields.String(validate=validate.Regexp(UID_RE, error="is not a record uid"), **kw)
    if ptype == "phone":
        return fields.String(validate=validate.Regexp(E164_RE, error="is not an E.164 number like +13055550100"),
                             **kw)
    raise ValueError(f"unknown parameter type {ptype!r}")


def parse_default(ptype: str, text: str, rules: dict):
    """The header's default value as the type's Python value, checked against the validations."""
    raw: object = text
    if ptype == "strings":
        raw = [t for t in text.split(",") if t]
    try:
        value = _field(ptype, rules).deserialize(raw)
    except ValidationError as exc:
        raise ValueError("; ".join(str(m) for m in exc.messages)) from None
    return value.isoformat() if isinstance(value, date) else value


def schema_for(qdef) -> Schema:
    """A marshmallow Schema (unknown parameters refused) for the query's declared parameters."""
    declared = {}
    for p in qdef.params:
        rules = dict(p.rules)
        if p.required:
            declared[p.name] = _field(p.type, rules, required=True)
        else:
            default = p.default
            if p.type == "date" and isinstance(default, str):
                default = date.fromisoformat(default)
            declared[p.name] = _field(p.type, rules, load_default=default, allow_none=True)
    return Schema.from_dict(declared, name=f"QueryParams_{qdef.name}")()


def validate_params(qdef, raw: dict | None) -> dict:
    """The query's parameters, validated and with defaults filled in; ValidationFailed names each bad one."""
    if raw is not None and not isinstance(raw, dict):
        raise ValidationFailed({"params": ["expected an object of parameter values"]})
    try:
        return schema_for(qdef).load(raw or {})
    except ValidationError as exc:
        messages = exc.normalized_messages()
        errors = {}
        for key, problems in messages.items():
            if problems == ["Unknown field."]:
                known = ", ".join(p.name for p in qdef.params) or "none"
                problems = [f"{qdef.name} takes no parameter {key!r} (its parameters: {known})"]
            errors[key] = problems
        raise ValidationFailed(errors, detail=f"invalid parameters for {qdef.name}: "
                                              f"{', '.join(sorted(errors))}") from None
