"""How one line of an import file becomes a record's input: `parse_line`.

A line holds one JSON object with the fields of the API schema (`validation.record_schema`), plus
`ref` (the caller's own identifier, stored as `source_ref`). Files are written by other systems, so a
line may also hold the forms they write (`flatten`): a person's `passport` as `{number, country}`,
numbers for text, one value for a list, other systems' column names (FEBRL's, a CRM export's).
The API itself stays strict; only files are read this way.

Partial records are normal: a line is refused only when it is not a JSON object or has nothing to
identify it by (no name and no identifier). A field that fails validation (an unknown field, a
date of death before the birth) is dropped, and the line loads with a warning naming the field; an
identifier that fails its kind's checks (a person's SSN with seven digits, a vehicle's VIN of 16
characters, a thing's IMEI failing Luhn) is kept as an unverified identifier of its own kind
instead, with a warning naming it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from ...errors import ValidationFailed
from ...matching import identifiers as ids
from ...matching.addresses import split_one_cell
from ...nodes.vocabulary import ENTITY_TYPES, FINANCIAL_SELECTORS
from ...policy.actor import Actor
from ...validation import dob_refusal, surrogate_problem
from ..common import column_key
from ..identity import resolution
from . import records
from .tabular import UNREADABLE, column_map

#: Nested inputs accepted for a Person and the flat fields they become.
_QUALIFIED = {"passport": ("number", "passport_country", "country"),
              "drivers_license": ("number", "drivers_license_state", "state")}


#: Field kinds whose values are text: a number given for one (a postcode, an SSN, a date 19750314 from
#: a spreadsheet export) is read as its digits.
_TEXT_KINDS = frozenset({"str", "text", "dob", "date", "enum"})

#: Lists a line may give as a single value.
_LISTS = ("aliases", "dbas", "phones", "emails", "addresses")

#: Spellings of a sex beyond the vocabulary's letters.
_SEX_WORDS = {"male": "M", "man": "M", "female": "F", "woman": "F", "unknown": "U"}

_ADDRESS_TEXT = ("line1", "line2", "city", "state", "postcode", "country")


def _text(value: object) -> object:
    """A whole number as its digits (2095, 2095.0 -> "2095"); anything else as it is."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return value


#: Column names other systems use for a record's contacts (every type with selectors).
_CONTACT_NAMES = {"phone": "phones", "phone_number": "phones", "phone_num": "phones", "phone_no": "phones",
                  "telephone": "phones", "telephone_number": "phones", "tel": "phones", "mobile": "phones",
                  "email": "emails", "email_address": "emails", "e_mail": "emails"}

#: Column names other systems use for a type's own fields (exports, registers, the FEBRL benchmark,
#: business directories).
_TYPE_NAMES = {
    "Person": {
        "first_name": "given_name", "firstname": "given_name", "forename": "given_name", "given": "given_name",
        "fname": "given_name", "given_names": "given_name", "givenname": "given_name", "first": "given_name",
        "last_name": "family_name", "lastname": "family_name", "surname": "family_name", "lname": "family_name",
        "family": "family_name", "familyname": "family_name", "last": "family_name", "middle": "middle_name", "middlename": "middle_name", "mname": "middle_name",
        "midl_name": "middle_name", "middle_initial": "middle_name", "middle_names": "middle_name",
        "date_of_birth": "dob", "birth_date": "dob", "birthdate": "dob", "dateofbirth": "dob",
        "gender": "sex", "gender_code": "sex", "sex_code": "sex",
        "social_security_number": "ssn", "alien_number": "a_number", "alias": "aliases",
        "birth_year": "dob", "year_of_birth": "dob", "birthyear": "dob", "yob": "dob",
    },
    "Business": {
        "business_name": "name", "company": "name", "company_name": "name", "organization": "name",
        "organisation": "name", "legal_name": "name", "dba": "dbas", "trade_name": "dbas", "trade_names": "dbas",
        "tax_id": "ein", "fein": "ein", "employer_identification_number": "ein",
    },
    # A vehicle has no address, so a bare `state` is its plate's.
    "Vehicle": {
        "vehicle_identification_number": "vin", "vin_number": "vin", "license_plate": "plate",
        "licence_plate": "plate", "plate_number": "plate", "license_plate_number": "plate", "tag": "plate",
        "tag_number": "plate", "registration_plate": "plate", "state": "plate_state", "plate_st": "plate_state",
        "license_state": "plate_state", "registration_state": "plate_state", "tag_state": "plate_state",
        "manufacturer": "make", "mfr": "make", "brand": "make", "vehicle_make": "make", "vehicle_model": "model",
        "model_year": "year", "modelyear": "year", "vehicle_year": "year", "color": "colour", "vehicle_color": "colour",
    },
    "Vessel": {
        "vessel_name": "name", "vesselname": "name", "ship_name": "name", "shipname": "name", "boat_name": "name",
        "imo_number": "imo", "imo_no": "imo", "imonumber": "imo", "mmsi_number": "mmsi", "hin": "hull_id",
        "hull_identification_number": "hull_id", "hull_number": "hull_id", "hull_id_number": "hull_id",
        "official_number": "documentation_number", "doc_number": "documentation_number",
        "uscg_number": "documentation_number", "flag_state": "flag", "flag_country": "flag",
        "vessel_type": "kind", "vesseltype": "kind", "ship_type": "kind", "type": "kind",
    },
    "Aircraft": {
        "n_number": "tail_number", "nnumber": "tail_number", "registration": "tail_number",
        "registration_number": "tail_number", "tail": "tail_number", "reg": "tail_number",
        "serial": "serial_number", "msn": "serial_number", "manufacturer_serial_number": "serial_number",
        "manufacturer": "make", "mfr": "make", "mfr_name": "make", "aircraft_make": "make",
        "aircraft_model": "model", "mode_s_code_hex": "icao24", "mode_s_hex": "icao24", "icao": "icao24",
        "icao24_address": "icao24", "hex": "icao24", "icao_address": "icao24",
    },
    "Thing": {
        "name": "description", "title": "description", "product": "description", "product_name": "description",
        "item": "description", "item_name": "description", "item_description": "description",
        "serial_number": "serial", "sn": "serial", "imei_number": "imei", "type": "category", "kind": "category",
        "item_type": "category", "qty": "quantity", "count": "quantity", "price": "value",
        "estimated_value": "value", "amount": "value",
    },
}

#: Columns that hold a person's whole name ("Smith, John", "John Paul Smith"), kept as the first of their
#: `aliases` (the caption shows it when there is no given or family name; matching splits it as
#: `names.parse_full_name` does, comma first or particle-aware).
_FULL_NAME_COLUMNS = ("name", "full_name", "fullname", "person_name", "subject_name", "sdn_name",
                      "first_and_surname", "name_full")

#: A person's names in components, as R's RecordLinkage data writes them (first and second given name,
#: first and second surname): the given name, the middle name, and the surname of both parts.
_NAME_COMPONENTS = (("fname_c1", "given_name"), ("fname_c2", "middle_name"), ("lname_c1", "family_name"),
                    ("lname_c2", "family_name"))

#: A date of birth in three columns (year, month, day), read as one `dob`.
_DOB_PARTS = (("by", "bm", "bd"), ("birth_year", "birth_month", "birth_day"), ("dob_year", "dob_month", "dob_day"),
              ("year_of_birth", "month_of_birth", "day_of_birth"), ("byear", "bmonth", "bday"))


def _name_components(data: dict) -> None:
    """A person's names in components (`_NAME_COMPONENTS`) as the schema's name fields, where the file
    does not give those itself."""
    parts: dict[str, list[str]] = {}
    for column, name in _NAME_COMPONENTS:
        value = _text(data.get(column))
        if isinstance(value, str) and value.strip() and data.get(name) in (None, ""):
            parts.setdefault(name, []).append(value.strip())
            del data[column]
    data.update({name: " ".join(values) for name, values in parts.items()})


def _dob_columns(data: dict) -> None:
    """A date of birth in three columns (`_DOB_PARTS`) as one `dob`, where the file gives none; a year
    without a month stays for `_TYPE_NAMES` (a lone `birth_year` is a year)."""
    if data.get("dob") not in (None, ""):
        return
    for columns in _DOB_PARTS:
        y, m, d = (v.strip() if isinstance(v := _text(data.get(k)), str) else "" for k in columns)
        if not y or not m:
            continue
        for k in columns:
            data.pop(k, None)
        if y.isdigit() and m.isdigit() and (d.isdigit() or not d):
            data["dob"] = f"{int(y):04d}-{int(m):02d}" + (f"-{int(d):02d}" if d else "")
        else:  # a month in words ("3 Apr 1980"), or whatever the parts hold, kept as written and flagged
            data["dob"] = " ".join(v for v in (d, m, y) if v)
        return


#: Column names other systems give their own identifier of a row (our `ref`).
_REF_COLUMNS = ("rec_id", "record_id", "source_ref", "source_id", "unique_id", "row_id", "id")

#: Person columns that are national identifiers of a kind with no field of its own: kept as `identifiers`
#: entries. A system's own row or person number is not among them: two systems' person 5 are not one
#: person, and an equal identifier weighs 20 bits.
_PERSON_ID_COLUMNS = ("soc_sec_id", "national_id", "national_insurance_number", "nin")

#: Top-level address columns (a flat file's one address) -> the address part; `street_number` leads line1.
_ADDRESS_COLUMNS = {
    "street_number": "number", "house_number": "number", "address_1": "line1", "address1": "line1",
    "addr": "line1", "street": "line1", "street_address": "line1", "address": "line1", "address_line_1": "line1",
    "address_line1": "line1", "res_street_address": "line1", "address_2": "line2", "address2": "line2",
    "address_line_2": "line2", "address_line2": "line2",
    "suburb": "city", "town": "city", "city": "city", "locality": "city", "city_name": "city", "res_city_desc": "city",
    "state": "state", "state_cd": "state", "state_code": "state", "province": "state", "postcode": "postcode",
    "zip": "postcode", "zipcode": "postcode", "zip_code": "postcode", "postal_code": "postcode", "post_code": "postcode",
    "zip5": "postcode", "postal": "postcode", "country": "country",
}

#: Address keys other systems use, inside an address object.
_ADDRESS_KEYS = {"address_1": "line1", "address1": "line1", "addr": "line1", "street": "line1", "address_2": "line2",
                 "address2": "line2", "suburb": "city", "town": "city", "locality": "city", "province": "state",
                 "zip": "postcode", "zipcode": "postcode", "zip_code": "postcode", "postal_code": "postcode"}


#: The list inputs every type with selectors takes besides its fields (contacts and addresses).
_LIST_INPUTS = ("phones", "emails", "addresses", "social_handles")


def understood_columns(type_name: str) -> frozenset[str]:
    """Every column name a line of `type_name` is read by: the schema's own fields, `ref`, the contact,
    address and account lists, and the other systems' names `flatten` takes for them (a flat file's
    `city` or `zip`, a person's `full_name`): what an import's `--map` may name as a column's meaning."""
    rtype = ENTITY_TYPES[type_name]
    names = {*rtype.field_names, "ref", *_REF_COLUMNS, *_TYPE_NAMES.get(type_name, {})}
    if rtype.selectors:
        names |= {*_LIST_INPUTS, *_CONTACT_NAMES, *_ADDRESS_COLUMNS,
                  *(name for _, name in FINANCIAL_SELECTORS.values())}
    if type_name == "Person":
        names |= {*_FULL_NAME_COLUMNS, *_PERSON_ID_COLUMNS, *(c for c, _ in _NAME_COMPONENTS),
                  *(c for parts in _DOB_PARTS for c in parts)}
    return frozenset(names)


def column_map_of(type_name: str, pairs: Iterable[str]) -> dict[str, str | None]:
    """`--map` pairs (the command line's, the API's `map`, the import page's box) checked against what a line
    of `type_name` is read by (`tabular.column_map`)."""
    return column_map(pairs, understood_columns(type_name), type_name, column_examples(type_name))


def column_examples(type_name: str) -> list[str]:
    """The names a `--map` refusal offers: `ref`, the fields that identify the type, its date of birth,
    then a flat file's address columns."""
    rtype = ENTITY_TYPES[type_name]
    own = [f for f in rtype.identifying if f != "identifiers"] + [f for f in ("dob", "sex") if f in rtype.field_names]
    return ["ref", *own, *(["address", "city", "state", "postcode", "country"] if rtype.selectors else [])]


def _renamed(type_name: str, data: dict) -> dict:
    """Other systems' column names for the schema's, where the schema's own is not given: any column
    in another letter case or with spaces or dashes ("Last Name"), contacts, a person's names, date of
    birth and national identifiers, a business's name, trade names and EIN, each other type's
    identifiers and descriptive fields (a licence plate's "tag", an aircraft's "N-Number", a thing's
    "name"), and a flat file's address columns. A thing given both a `name` and a `description`
    keeps both, the name first."""
    rtype = ENTITY_TYPES[type_name]
    ours = set(rtype.field_names) | {"ref", *_LIST_INPUTS}
    for k in list(data):
        key = column_key(k)
        if k not in ours and key and key != k and key not in data:
            data[key] = data.pop(k)
    if type_name == "Person":  # a full name, as written, is one of the person's names: matching splits it
        _name_components(data)
        _dob_columns(data)
        full = [_text(data.pop(k)) for k in _FULL_NAME_COLUMNS if k in data and data[k] not in (None, "")]
        if full:
            given = data.get("aliases")
            data["aliases"] = [*full, *(given if isinstance(given, list) else [] if given in (None, "") else [given])]
    if type_name == "Thing" and data.get("name") not in (None, "") and data.get("description") not in (None, ""):
        data["description"] = f"{_text(data.pop('name'))}. {data['description']}"
    if data.get("ref") in (None, ""):
        theirs = next((k for k in _REF_COLUMNS if data.get(k) not in (None, "") and k not in ours), None)
        if theirs:
            data["ref"] = data.pop(theirs)
    names = {**(_CONTACT_NAMES if rtype.selectors else {}), **_TYPE_NAMES.get(type_name, {})}
    for theirs, name in names.items():
        if theirs in data and theirs not in ours and data.get(name) in (None, "", []):
            data[name] = data.pop(theirs)
    if type_name == "Person":
        extra = [{"type": k, "value": data.pop(k)} for k in _PERSON_ID_COLUMNS
                 if k not in ours and data.get(k) not in (None, "")]
        if extra:
            data["identifiers"] = [*(data.get("identifiers") or []), *extra]
    if rtype.selectors and not data.get("addresses"):
        parts = {part: data.pop(k) for k, part in _ADDRESS_COLUMNS.items()
                 if k in data and k not in ours and data[k] not in (None, "")}
        number = _text(parts.pop("number", None))
        if number not in (None, ""):
            parts["line1"] = " ".join(str(x) for x in (number, parts.get("line1")) if x not in (None, ""))
        if parts:
            data["addresses"] = [parts]
    return data


def _address(given: dict) -> dict:
    """An address object with other systems' keys for the schema's (where its own is absent) and numbers as text."""
    out = {}
    for k, v in given.items():
        ours = _ADDRESS_KEYS.get(k, k)
        key = k if ours in given else ours  # the schema's own key, where given, wins
        out[key] = _text(v) if key in _ADDRESS_TEXT else v
    return out


def _one_cell(address: dict) -> dict:
    """An address whose street line holds the whole address ("607 From St, San Francisco") and no city,
    split into its parts (`addresses.split_one_cell`); the parts the file gave stay as given. A line that
    is only a town and its state ("Miami, FL") leaves no street line: it is a place."""
    line = address.get("line1")
    if not isinstance(line, str) or "," not in line or address.get("city") not in (None, ""):
        return address
    split = split_one_cell(line)
    if split is None or (split.get("line2") and address.get("line2") not in (None, "")):
        return address
    kept = {k: v for k, v in address.items() if k != "line1" or "line1" in split}
    return {**kept, **{k: v for k, v in split.items() if k == "line1" or address.get(k) in (None, "")}}


def _lenient(type_name: str, data: dict) -> dict:
    """The forms files hold for the schema's (a file is written by another system; the API itself is
    strict): other systems' column names (`_renamed`), numbers for text fields, one value for a list,
    an address as one line of text (split into its parts where it reads as one: `_one_cell`), an enum in
    any letter case, "male" for M. Nothing is guessed:
    whatever still fails is refused or dropped, naming the field."""
    rtype = ENTITY_TYPES[type_name]
    data = _renamed(type_name, data)
    if "ref" in data:  # the caller's own identifier, often a row number
        data["ref"] = _text(data["ref"])
    for name in _LISTS:
        if isinstance(data.get(name), str | int | dict):
            data[name] = [data[name]]
    for name, value in list(data.items()):
        field = rtype.field(name) if name in rtype.field_names else None
        if field is not None and field.kind in _TEXT_KINDS:
            value = _text(value)
            if field.kind == "enum" and isinstance(value, str) and field.choices:
                folded = {c.lower(): c for c in field.choices}
                word = value.strip().lower()
                value = folded.get(word) or (_SEX_WORDS.get(word, value) if name == "sex" else value)
            data[name] = value
        elif isinstance(value, list) and (name in ("aliases", "phones", "emails") or
                                          (field is not None and field.kind == "list")):
            data[name] = [_text(x) for x in value]
    if isinstance(data.get("addresses"), list):
        data["addresses"] = [_one_cell(_address({"line1": a} if isinstance(a, str) else a))
                             if isinstance(a, str | dict) else a for a in data["addresses"]]
    if isinstance(data.get("identifiers"), list):
        data["identifiers"] = [{**x, "value": _text(x.get("value"))} if isinstance(x, dict) else x
                               for x in data["identifiers"]]
    return data


def flatten(type_name: str, obj: dict) -> dict:
    """Turn the accepted nested forms into the API schema's flat fields (and `_lenient`'s forms into its own)."""
    data = _lenient(type_name, dict(obj))
    if type_name == "Person":
        for name, (num_key, flat, qual_key) in _QUALIFIED.items():
            value = data.get(name)
            if isinstance(value, dict):
                data[name] = value.get(num_key) or value.get("value")
                if value.get(qual_key) and not data.get(flat):
                    data[flat] = value[qual_key]
    return data


_NAME_FIELDS = ("given_name", "middle_name", "family_name")


def person_names(text: str) -> dict | None:
    """A person line's names as `parse_line` reads them (other systems' columns and a full name included:
    `_renamed`), without building the record: what an import counts before it loads. None when the line
    is not a JSON object."""
    try:
        obj = json.loads(text)
    except (json.JSONDecodeError, RecursionError):
        return None
    if not isinstance(obj, dict) or UNREADABLE in obj or surrogate_problem(obj):
        return None
    data = _renamed("Person", dict(obj))
    names: dict[str, object] = {k: v for k in _NAME_FIELDS if isinstance(v := _text(data.get(k)), str)}
    aliases = data.get("aliases")
    names["aliases"] = [a for a in map(_text, aliases if isinstance(aliases, list) else [aliases])
                        if isinstance(a, str)]
    return names


def parse_line(type_name: str, text: str, actor: Actor, *, case_uid: str | None = None,
               source: str = "import") -> tuple[dict | None, str | None, dict[str, list[str]]]:
    """(row for insert_rows or None, refusal reason or None, warning) for one input line.

    The warning is {} or names the fields that failed validation: `dropped` ones, and identifiers
    `unverified`: an SSN of seven digits, a VIN of 16 characters, an IMEI failing Luhn, an
    `identifiers` entry its kind refuses, is kept as an identifier of its own kind (`ssn_unverified`,
    `vin_unverified`), never decisive, so the evidence it carries still finds the record's other
    copies. A list's failing entries are dropped one by one ("addresses[2]", counted from 1 as lines
    are), so its good entries still load. A date of birth that is no date is kept as written and
    `flagged`. `problems` says what was wrong with each field or entry it names.
    """
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as exc:
        return None, f"not valid JSON: {exc.msg} at column {exc.colno}", {}
    except RecursionError:
        return None, "not valid JSON: nested too deeply", {}
    if not isinstance(obj, dict):
        return None, "not a JSON object", {}
    if UNREADABLE in obj:  # a table's row the reader could not take whole
        return None, str(obj[UNREADABLE]), {}
    if problem := surrogate_problem(obj):
        return None, problem, {}
    data = flatten(type_name, obj)
    try:
        data, master, reason = resolution.settle_choice(data)
    except ValidationFailed as exc:
        return None, "; ".join(_messages(exc.errors)), {}
    dropped: list[str] = []
    unverified: list[str] = []
    problems: dict[str, str] = {}
    for _ in range(4):  # each pass sets aside the fields that failed; the identifying check is never dropped
        try:
            row = records.build_row(type_name, data, actor, case_uid=case_uid, source=source, imported=True,
                                      dob_as_written=True)
        except ValidationFailed as exc:
            bad = [k for k in exc.errors if k != "_schema" and k in data]
            if "_schema" in exc.errors or not bad:
                reason = "; ".join(str(m) for m in _messages(exc.errors)) or exc.detail
                return None, reason, _warning(dropped, unverified, [], problems)
            for k in sorted(bad):
                slipped = _slipped_emails(type_name, data, k, exc.errors[k])
                entries = _drop_entries(data, k, exc.errors[k]) if k != "identifiers" else None
                if entries is not None:
                    dropped += [e for e in entries if e not in slipped]
                    unverified += [e for e in entries if e in slipped]
                    problems.update(entries)
                    continue
                problems[k] = _problem(exc.errors[k])
                kept = _set_aside(type_name, data, k, exc.errors[k])
                unverified += kept
                if not kept:
                    dropped.append(k)
            continue
        flagged = []
        if (problem := dob_refusal(row["props"].get("dob"))) is not None:
            flagged, problems["dob"] = ["dob"], problem
        return {**row, "settle": (master, reason)}, None, _warning(dropped, unverified, flagged, problems)
    return None, "too many invalid fields", _warning(dropped, unverified, [], problems)


def _drop_entries(data: dict, name: str, errors: object) -> dict[str, str] | None:
    """Take out of the list field `name` only the entries its `errors` name ({index: messages}), keeping
    the rest; {"<name>[<n>]": problem} for each entry taken out (counted from 1), or None when the errors
    are not about entries (the whole field is then set aside)."""
    value = data.get(name)
    if not isinstance(value, list) or not isinstance(errors, dict) or not errors or \
            not all(isinstance(i, int) and 0 <= i < len(value) for i in errors):
        return None
    kept = [v for i, v in enumerate(value) if i not in errors]
    if kept:
        data[name] = kept
    else:
        data.pop(name)
    return {f"{name}[{i + 1}]": _problem(errors[i]) for i in sorted(errors)}


#: A malformed e-mail address is kept as evidence only when it still reads as one slipped: this long,
#: with an "@" or a dot left ("john.smith@examplecom", "johnsmith.example.com"); "none" or "n/a" is no one's.
_SLIPPED_EMAIL_LENGTH = 8


def _slipped_emails(type_name: str, data: dict, name: str, errors: object) -> set[str]:
    """A person's e-mail addresses that failed validation but still read as an address with a slip, kept
    as `email_unverified` identifiers ({"emails[<n>]"} of those kept, counted from 1): matching compares
    them with the other record's addresses (`records.person_view`), so "john.smith@examplecom" is still
    one slip from "john.smith@example.com". Never an address anyone is e-mailed at, never a selector
    node, and not enough alone to identify the record (`validation`)."""
    value = data.get(name)
    if type_name != "Person" or name != "emails" or not isinstance(value, list) or not isinstance(errors, dict):
        return set()
    kept = {i: "".join(value[i].split()) for i in errors
            if isinstance(i, int) and 0 <= i < len(value) and isinstance(value[i], str)}
    kept = {i: v for i, v in kept.items() if len(v) >= _SLIPPED_EMAIL_LENGTH and ("@" in v or "." in v)}
    if kept:
        data["identifiers"] = [*(data.get("identifiers") or []),
                               *({"type": "email" + ids.UNVERIFIED, "value": v} for v in kept.values())]
    return {f"{name}[{i + 1}]" for i in kept}


def _problem(errors: object) -> str:
    """A field's validation errors as one line of text; a list's entries counted from 1, as lines are."""
    if isinstance(errors, dict):
        return "; ".join(f"entry {k + 1}: {_problem(v)}" if isinstance(k, int) else f"{k}: {_problem(v)}"
                         for k, v in errors.items())
    if isinstance(errors, list | tuple):
        return "; ".join(_problem(v) for v in errors)
    return str(errors)


def _set_aside(type_name: str, data: dict, name: str, errors: object) -> list[str]:
    """Take the failed field `name` out of `data`; the fields (or `identifiers` kinds) kept as unverified
    identifiers, or [] when it is dropped. Every subject type holds `identifiers`: a person's SSN of
    seven digits is kept as "ssn_unverified", a vehicle's VIN of 16 characters as "vin_unverified", a
    vessel's hull id of 11 as "hin_unverified" (the field's identifier kind, as `matching` keys it)."""
    rtype = ENTITY_TYPES[type_name]
    value = data.pop(name)
    if "identifiers" not in rtype.field_names:
        return []
    if name == "identifiers":
        if not isinstance(value, list) or not isinstance(errors, dict):
            return []
        kept, entries = [], []
        for i, entry in enumerate(value):
            if i not in errors:
                entries.append(entry)
            elif (kind := _unverified_kind(entry)) is not None:
                entries.append({"type": kind, "value": str(entry["value"])})
                kept.append(kind[:-len(ids.UNVERIFIED)])
        if entries:
            data["identifiers"] = entries
        return kept
    field = rtype.field(name) if name in rtype.field_names else None
    if field is None or not field.identifier or not _scalar(value):
        return []
    entry = {"type": field.identifier + ids.UNVERIFIED, "value": str(value).strip()}
    data["identifiers"] = [*(data.get("identifiers") or []), entry]
    return [name]


def _unverified_kind(entry: object) -> str | None:
    """The unverified kind of a refused `identifiers` entry ({type, value}), or None when it cannot be kept."""
    if not isinstance(entry, dict) or not _scalar(entry.get("value")):
        return None
    kind = ids.canonical_kind(entry.get("type"))
    return None if not kind or ids.is_unverified(kind) else kind + ids.UNVERIFIED


def _scalar(value: object) -> bool:
    """Whether a value could be an identifier: text or a number (not a flag) with letters or digits."""
    return isinstance(value, str | int) and not isinstance(value, bool) and bool(ids.alnum_upper(value))


def _warning(dropped: list[str], unverified: list[str], flagged: list[str], problems: dict[str, str]) -> dict:
    out: dict = {k: v for k, v in (("dropped", sorted(set(dropped))), ("unverified", sorted(set(unverified))),
                                   ("flagged", flagged)) if v}
    if out and problems:
        out["problems"] = dict(sorted(problems.items()))
    return out


def _messages(errors: dict) -> list[str]:
    out = []
    for k, v in errors.items():
        msgs = v if isinstance(v, list) else [_problem(v)]
        out += [m if k == "_schema" else f"{k}: {m}" for m in msgs]
    return out
