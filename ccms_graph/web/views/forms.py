"""Parsing browser form posts into the plain dicts the logic layer validates (no validation of its own)."""

from __future__ import annotations

import json

from ...nodes.vocabulary import RecordType

#: Selector inputs of the record forms: one value per line.
SELECTOR_FIELDS = ("phones", "emails")
#: Financial selector inputs written one a line as "<first>: <second>" (e.g. "bitcoin: bc1q...").
PAIR_FIELDS = {"crypto_wallets": ("chain", "address"), "payment_handles": ("service", "handle")}
#: The bank account inputs of the record forms (one account), as `validation.BankAccountSchema` names them.
BANK_FIELDS = ("institution", "routing_number", "account_number")


def _lines(text: str) -> list[str]:
    return [line.strip() for line in (text or "").replace(",", "\n").splitlines() if line.strip()]


#: Hidden input of the edit form naming each field that had a value when the form was drawn.
HAD_FIELD = "_had"


def record_input(rtype: RecordType, form, partial: bool = False) -> dict:
    """A record's fields from a form: empty inputs left out, list kinds split one per line.

    With `partial` (an edit), a field the form showed with a value (listed in `_had`) and now sent
    empty is cleared: it is passed as None, which `records.update_entity` stores as no value.
    """
    data: dict = {}
    had = set(form.getlist(HAD_FIELD)) if partial and hasattr(form, "getlist") else set()
    for f in rtype.fields:
        raw = form.get(f.name, "")
        if f.name in had and f.name in form and not str(raw).strip():
            data[f.name] = None
            continue
        if f.kind == "json":
            pairs = [line.split(":", 1) for line in _lines(raw.replace(",", "\n"))]
            value = [{"type": t.strip(), "value": v.strip()} for t, v in (p for p in pairs if len(p) == 2)]
            if value:
                data[f.name] = value
            continue
        if f.kind == "bool":
            if raw:
                data[f.name] = raw in ("1", "yes", "on", "true")
            continue
        raw = raw.strip()
        if not raw:
            continue
        data[f.name] = _lines(raw) if f.kind == "list" else raw
    if rtype.selectors:
        for name in SELECTOR_FIELDS:
            values = _lines(form.get(name, ""))
            if values:
                data[name] = values
        addr = {k: form.get(f"address_{k}", "").strip() for k in ("line1", "city", "state", "postcode")}
        if any(addr.values()):  # a city alone is a place; a state alone is refused, naming the address
            data["addresses"] = [{k: v for k, v in addr.items() if v}]
        bank = {k: form.get(f"bank_{k}", "").strip() for k in BANK_FIELDS}
        if any(bank.values()):
            data["bank_accounts"] = [{k: v for k, v in bank.items() if v}]
        for name, (first, second) in PAIR_FIELDS.items():
            # A line without its "first:" part still goes on, to be refused naming the missing part.
            pairs = [line.split(":", 1) if ":" in line else ["", line] for line in _each_line(form.get(name, ""))]
            if pairs:
                data[name] = [{first: a.strip(), second: b.strip()} for a, b in pairs]
    if form.get("ref", "").strip():
        data["ref"] = form["ref"].strip()
    return data


def form_values(rtype: RecordType, props: dict) -> dict:
    """A stored record's properties as the edit form shows them (lists one per line, identifiers as type: value)."""
    values = {}
    for k, v in props.items():
        f = rtype.field(k) if k in rtype.field_names else None
        if f is not None and f.kind == "json":
            items = json.loads(v) if isinstance(v, str) and v else (v or [])
            values[k] = "\n".join(f"{x.get('type', '')}: {x.get('value', '')}" for x in items if isinstance(x, dict))
        elif isinstance(v, list):
            values[k] = "\n".join(map(str, v))
        else:
            values[k] = v
    return values


def edit_form(rtype: RecordType, props: dict) -> dict:
    """An edit form's starting state from a stored record: its values, the fields it had (so a field
    emptied on purpose is sent as cleared) and the version the save is checked against."""
    values = form_values(rtype, props)
    return {"values": values, "had": [f.name for f in rtype.fields if values.get(f.name) not in (None, "", [])],
            "version": props.get("version")}


def field_errors(errors) -> dict[str, str]:
    """ValidationFailed.errors flattened to one message per form field (nested errors joined)."""
    out: dict[str, str] = {}

    def flat(value) -> list[str]:
        if isinstance(value, str):
            return [value]
        if isinstance(value, dict):
            return [m for v in value.values() for m in flat(v)]
        if isinstance(value, list | tuple):
            return [m for v in value for m in flat(v)]
        return [str(value)]

    for name, value in (errors or {}).items():
        key = {"addresses": "address_line1", "bank_accounts": "bank_account"}.get(name, name)
        out[key] = "; ".join(flat(value))
    return out


def _each_line(text: str) -> list[str]:
    """One value a line, commas kept (a violation may hold one: "18 USC 1956 (laundering, conspiracy)")."""
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def filled(form, names) -> dict[str, str]:
    """The named fields the form filled in, stripped; a blank field is left out (the logic's own default,
    or its "missing" refusal naming the field, applies)."""
    return {k: v for k in names if (v := form.get(k, "").strip())}


def case_input(form) -> dict:
    """The "open a case" form as `cases.create_case` takes it."""
    return {"title": form.get("title", ""), "violations": _each_line(form.get("violations", "")),
            "predication": form.get("predication", "").strip() or None, "restricted": form.get("restricted") == "yes",
            "deconfliction_check": form.get("deconfliction_check", "").strip() or None}


def case_check_input(rtype: RecordType, form) -> dict:
    """The same form as `case_deconfliction.check` takes it: the violations, the subject's details (fields of
    `rtype`) and the uids of stored records, one a line."""
    details = record_input(rtype, form)
    return {"violations": _each_line(form.get("violations", "")), "subject_uids": _lines(form.get("subject_uids", "")),
            "subjects": [{"type": rtype.name, "fields": details}] if details else []}


def case_check_errors(errors) -> dict[str, str]:
    """`field_errors` of a refused check, a subject detail's problem beside its own form field."""
    out = dict(errors or {})
    subjects = out.pop("subjects", None)
    for item in (subjects.values() if isinstance(subjects, dict) else [subjects] if subjects else []):
        if isinstance(item, dict) and isinstance(item.get("fields"), dict):
            out.update(item["fields"])
        else:
            out["subjects"] = item
    return field_errors(out)
