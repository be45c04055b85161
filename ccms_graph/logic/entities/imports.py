"""Batch import of Subject Records from JSON Lines, deconflicted as they load, and the create-nothing check.

One JSON object per line with the fields of the API schema (`validation.record_schema`), plus `ref`
(the caller's own identifier, stored as `source_ref`). For people, `passport` may be a string or
`{number, country}` and `drivers_license` a string or `{number, state}`.

Partial records are normal: a line is refused only when it is not a JSON object or has nothing to
identify it by (no name and no identifier). A field that fails validation (an unknown field, a
date of death before the birth) is dropped, and the line loads with a warning naming the field; a
person's identifier that fails its kind's checks (an SSN with seven digits) is kept as an unverified
identifier of its own kind instead (`parse_line`), with a warning naming it.
Records are created in UNWIND batches (`records.build_row` + `records.insert_rows`), each batch in
one transaction with its audit entry and its deconfliction (hits stored, owners notified).

An import can resume: `checkpoint` is called inside each batch's transaction with the counts so far
and the batch's last line, so whoever records it (`logic.jobs.imports`: the job's progress) commits
exactly when the batch does; `after_line` and `so_far` then start a new run after that line with those
counts, and after a crash exactly the committed lines are skipped.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from ...db import Graph
from ...errors import ValidationFailed
from ...matching import blocking, deconflict, frequencies
from ...matching import identifiers as ids
from ...nodes.vocabulary import ENTITY_TYPES
from ...policy import rules
from ...policy.actor import Actor
from ..casework import protection
from ..identity import deconfliction, financial, resolution
from ..oversight import audit, checks
from . import records

BATCH = 1000

#: `checkpoint(tx, counts, last_line)`: called in each batch's write transaction (a transaction of its own
#: when every line of the batch was refused) with the counts including that batch. The driver may run a
#: transaction twice, so it must write the same thing each time it is called with the same arguments.
Checkpoint = Callable[[Any, dict, int], None]

#: Nested inputs accepted for a Person and the flat fields they become.
_QUALIFIED = {"passport": ("number", "passport_country", "country"),
              "drivers_license": ("number", "drivers_license_state", "state")}


#: Field kinds whose values are text: a number given for one (a postcode, an SSN, a date 19750314 from
#: a spreadsheet export) is read as its digits.
_TEXT_KINDS = frozenset({"str", "text", "dob", "date", "enum"})

#: Lists a line may give as a single value.
_LISTS = ("aliases", "phones", "emails", "addresses")

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


#: Column names other systems use for a person's fields (exports, registers, the FEBRL benchmark).
_PERSON_NAMES = {
    "first_name": "given_name", "firstname": "given_name", "forename": "given_name", "given": "given_name",
    "last_name": "family_name", "lastname": "family_name", "surname": "family_name",
    "middle": "middle_name", "date_of_birth": "dob", "birth_date": "dob", "birthdate": "dob",
    "gender": "sex", "social_security_number": "ssn", "alien_number": "a_number",
    "phone": "phones", "phone_number": "phones", "telephone": "phones", "email": "emails",
    "email_address": "emails", "alias": "aliases",
}

#: Column names other systems give their own identifier of a row (our `ref`).
_REF_COLUMNS = ("rec_id", "record_id", "source_ref", "source_id", "id")

#: Person columns that are identifiers of a kind with no field of its own: kept as `identifiers` entries.
_PERSON_ID_COLUMNS = ("soc_sec_id", "national_id", "national_insurance_number", "nin", "person_id")

#: Top-level address columns (a flat file's one address) -> the address part; `street_number` leads line1.
_ADDRESS_COLUMNS = {
    "street_number": "number", "house_number": "number", "address_1": "line1", "address1": "line1",
    "street": "line1", "street_address": "line1", "address": "line1", "address_2": "line2", "address2": "line2",
    "suburb": "city", "town": "city", "city": "city", "locality": "city", "state": "state",
    "province": "state", "postcode": "postcode", "zip": "postcode", "zipcode": "postcode", "zip_code": "postcode",
    "postal_code": "postcode", "country": "country",
}

#: Address keys other systems use, inside an address object.
_ADDRESS_KEYS = {"address_1": "line1", "address1": "line1", "street": "line1", "address_2": "line2",
                 "address2": "line2", "suburb": "city", "town": "city", "locality": "city", "province": "state",
                 "zip": "postcode", "zipcode": "postcode", "zip_code": "postcode", "postal_code": "postcode"}


def _renamed(type_name: str, data: dict) -> dict:
    """Other systems' column names for the schema's, where the schema's own is not given: a person's
    names, date of birth and contacts, national identifiers, and a flat file's address columns."""
    rtype = ENTITY_TYPES[type_name]
    ours = set(rtype.field_names) | {"ref", "phones", "emails", "addresses", "social_handles"}
    if data.get("ref") in (None, ""):
        theirs = next((k for k in _REF_COLUMNS if data.get(k) not in (None, "") and k not in ours), None)
        if theirs:
            data["ref"] = data.pop(theirs)
    if type_name == "Person":
        for theirs, name in _PERSON_NAMES.items():
            if theirs in data and theirs not in ours and data.get(name) in (None, "", []):
                data[name] = data.pop(theirs)
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
        key = _ADDRESS_KEYS.get(k, k) if k not in _ADDRESS_TEXT and _ADDRESS_KEYS.get(k, k) not in given else k
        out[key] = _text(v) if key in _ADDRESS_TEXT else v
    return out


def _lenient(type_name: str, data: dict) -> dict:
    """The forms files hold for the schema's (a file is written by another system; the API itself is
    strict): other systems' column names (`_renamed`), numbers for text fields, one value for a list,
    an address as one line of text, an enum in any letter case, "male" for M. Nothing is guessed:
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
        data["addresses"] = [{"line1": a} if isinstance(a, str) else _address(a) if isinstance(a, dict) else a
                             for a in data["addresses"]]
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


def parse_line(type_name: str, text: str, actor: Actor, *, case_uid: str | None = None,
               source: str = "import") -> tuple[dict | None, str | None, dict[str, list[str]]]:
    """(row for insert_rows or None, refusal reason or None, warning) for one input line.

    The warning is {} or names the fields that failed validation: `dropped` ones, and, for a person,
    identifiers `unverified`: an SSN of seven digits, an A-Number too short, an `identifiers` entry
    its kind refuses, is kept as an identifier of its own kind (`ssn_unverified`), never decisive,
    so the evidence it carries still finds the record's other copies (the dob is kept raw likewise).
    """
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as exc:
        return None, f"not valid JSON: {exc.msg} at column {exc.colno}", {}
    except RecursionError:
        return None, "not valid JSON: nested too deeply", {}
    if not isinstance(obj, dict):
        return None, "not a JSON object", {}
    data = flatten(type_name, obj)
    try:
        data, master, reason = resolution.settle_choice(data)
    except ValidationFailed as exc:
        return None, "; ".join(_messages(exc.errors)), {}
    dropped: list[str] = []
    unverified: list[str] = []
    for _ in range(4):  # each pass sets aside the fields that failed; the identifying check is never dropped
        try:
            row = records.build_row(type_name, data, actor, case_uid=case_uid, source=source, imported=True)
            if unverified and not _identified(type_name, data):
                return None, (f"a {type_name} needs at least one of: {', '.join(ENTITY_TYPES[type_name].identifying)} "
                              f"(an unverified identifier does not count: {', '.join(unverified)})"), {}
            return {**row, "settle": (master, reason)}, None, _warning(dropped, unverified)
        except ValidationFailed as exc:
            bad = [k for k in exc.errors if k != "_schema" and k in data]
            if "_schema" in exc.errors or not bad:
                reason = "; ".join(str(m) for m in _messages(exc.errors)) or exc.detail
                return None, reason, _warning(dropped, unverified)
            for k in sorted(bad):
                kept = _set_aside(type_name, data, k, exc.errors[k])
                unverified += kept
                if not kept:
                    dropped.append(k)
    return None, "too many invalid fields", _warning(dropped, unverified)


#: What an identifier's kind becomes when its value fails the kind's checks on import.
UNVERIFIED = "_unverified"


def _set_aside(type_name: str, data: dict, name: str, errors: object) -> list[str]:
    """Take the failed field `name` out of `data`; the kinds kept as unverified identifiers, or [] when
    it is dropped. Only a person holds `identifiers`, so only a person's identifiers are kept."""
    rtype = ENTITY_TYPES[type_name]
    value = data.pop(name)
    if type_name != "Person":
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
                kept.append(kind[:-len(UNVERIFIED)])
        if entries:
            data["identifiers"] = entries
        return kept
    field = rtype.field(name) if name in rtype.field_names else None
    if field is None or not field.identifier or not _scalar(value):
        return []
    data["identifiers"] = [*(data.get("identifiers") or []), {"type": name + UNVERIFIED, "value": str(value).strip()}]
    return [name]


def _identified(type_name: str, data: dict) -> bool:
    """Whether a record identifies someone by more than unverified identifiers (validation's identifying
    check, which counts every `identifiers` entry)."""
    rtype = ENTITY_TYPES[type_name]
    if any(data.get(name) not in (None, "", []) for name in rtype.identifying if name != "identifiers"):
        return True
    return any(not ids.canonical_kind(x.get("type")).endswith(UNVERIFIED) for x in data.get("identifiers") or [])


def _unverified_kind(entry: object) -> str | None:
    """The unverified kind of a refused `identifiers` entry ({type, value}), or None when it cannot be kept."""
    if not isinstance(entry, dict) or not _scalar(entry.get("value")):
        return None
    kind = ids.canonical_kind(entry.get("type"))
    return None if not kind or kind.endswith(UNVERIFIED) else kind + UNVERIFIED


def _scalar(value: object) -> bool:
    """Whether a value could be an identifier: text or a number (not a flag) with letters or digits."""
    return isinstance(value, str | int) and not isinstance(value, bool) and bool(ids.alnum_upper(value))


def _warning(dropped: list[str], unverified: list[str]) -> dict[str, list[str]]:
    return {k: v for k, v in (("dropped", sorted(set(dropped))), ("unverified", sorted(set(unverified)))) if v}


def _messages(errors: dict) -> list[str]:
    out = []
    for k, v in errors.items():
        msgs = v if isinstance(v, list) else [json.dumps(v)]
        out += [m if k == "_schema" else f"{k}: {m}" for m in msgs]
    return out


def _case_uid(graph: Graph, actor: Actor, case_key: str | None) -> str | None:
    if not case_key:
        return None

    def work(tx):  # a missing and a hidden case answer alike (`rules.require_case`)
        return rules.require_case(tx, actor, case_key, write=True)["uid"]

    return audit.read_or_refuse(graph, actor, "import", [case_key], work)


def _batches(lines: Iterable[str], size: int, after_line: int = 0) -> Iterator[list[tuple[int, str]]]:
    chunk: list[tuple[int, str]] = []
    for number, text in enumerate(lines, start=1):
        if number > after_line and text.strip():
            chunk.append((number, text))
            if len(chunk) >= size:
                yield chunk
                chunk = []
    if chunk:
        yield chunk


def _prepare(type_name: str, chunk: list[tuple[int, str]], actor: Actor, case_uid: str | None,
             source: str = "import") -> list[tuple]:
    """(line, row or None, refusal or None, warning) for each line of a batch."""
    return [(number, *parse_line(type_name, text, actor, case_uid=case_uid, source=source)) for number, text in chunk]


def _tally(counts: dict, prepared: list[tuple]) -> dict:
    """New counts: `counts` plus a batch's lines, refusals and warnings (the lists copied, never shared)."""
    out = {**counts, "lines": counts["lines"] + len(prepared), "refused": list(counts["refused"]),
           "warnings": list(counts["warnings"])}
    for number, row, reason, warning in prepared:
        if row is None:
            out["refused"].append({"line": number, "reason": reason})
        elif warning:
            out["warnings"].append({"line": number, **warning})
    return out


def import_jsonl(graph: Graph, actor: Actor, type_name: str, lines: Iterable[str], *, case_key: str | None = None,
                 batch: int = BATCH, progress: Callable[[dict], None] | None = None, after_line: int = 0,
                 so_far: dict | None = None, checkpoint: Checkpoint | None = None, source: str | None = None,
                 on_hits: Callable[[list[dict]], None] | None = None) -> dict:
    """Create the records of a JSONL stream; {lines, created, refused, warnings, hits, records_with_hits,
    sub_records, separate}.

    `refused` and `warnings` list {line, reason} / {line, dropped}; line numbers count from 1.
    Each batch is one transaction: the records, their audit entry, their deconfliction (candidates
    found set-wise for the whole batch, hits stored, owners notified) and their settlement
    (`resolution.settle_batch`: a line matching a record the importer may read becomes its
    sub-record, unless the line says `separate_reason`).

    The next batch is validated and its stored candidates are found (a read transaction, before
    anything of it is written: `deconfliction.search_before_write`) while this one is written. That
    read may not see the batch being written, nor can it see its own batch, so those records find
    each other in memory (`blocking.within`), by the same keys.

    Resuming: lines numbered up to `after_line` are read past (numbering still counts them), and the
    counts start from `so_far` (a previous run's counts through that line). `checkpoint` (see
    `Checkpoint`) records progress inside each batch's transaction; an exception it raises rolls the
    batch back and stops the import. A resumed run's batches find the records of the batch before
    in the store rather than in memory, by the same keys, so its counts equal an uninterrupted run's.

    `on_hits` is called after each batch commits with its lines that met stored (or earlier) records:
    [{line, ref, uid, hits, and `sub_record_of` or `separate_reason` when the line was settled}], each
    hit shaped as the `deconflict` command's candidates (`_candidate`, plus `hit_uid`): a record the
    importer may not read is only its owner's contact. This is what tells the importer whom to call.

    `source` names the system the lines come from (e.g. "FinCEN"); the records carry it as their `source`.
    Lines from a protected source restrict the case they are imported into, in the first batch's
    transaction (`casework.protection`).
    """
    if type_name not in ENTITY_TYPES:
        raise ValidationFailed({"type": [f"unknown entity type {type_name!r}; one of {', '.join(ENTITY_TYPES)}"]})
    checks.writer_guard(graph, actor, "import", [case_key])  # only writers import case content
    case_uid = _case_uid(graph, actor, case_key)
    protected = protection.protected(graph.settings, [source]) if case_uid else []
    counts: dict[str, Any] = {"lines": 0, "created": 0, "refused": [], "warnings": [], "hits": 0,
                              "records_with_hits": 0, "sub_records": 0, "separate": 0}
    if so_far:
        counts.update({**so_far, "refused": list(so_far.get("refused", [])),
                       "warnings": list(so_far.get("warnings", []))})
    match_config = deconflict.Config.of(graph.settings)
    earlier: list[tuple[str, dict, dict, dict]] = []  # the batch before: (uid, matching record, props, probe)

    def work(tx, rows, batch, probes, stored, tallied, last_line):
        uids = [row["props"]["uid"] for _, row in rows]
        window = [*earlier, *((u, rec, row["props"], p) for u, rec, (_, row), p in zip(uids, batch, rows, probes,
                                                                                    strict=True))]
        own = blocking.within(type_name, [w[1] for w in window], [w[0] for w in window], [w[2] for w in window],
                              start=len(earlier), probes=[w[3] for w in window])
        created = records.insert_rows(tx, type_name, [row for _, row in rows], actor.uid)
        audit.record(tx, actor, "import", [*created, *([case_uid] if case_uid else [])],
                     details={"type": type_name, "records": len(created), "first_line": rows[0][0],
                              "last_line": rows[-1][0]})
        if protected:
            protection.restrict_for_sources(tx, actor, case_uid, protected)
        financial.alert_shared_accounts(tx, actor, created)
        hits = deconfliction.after_write(tx, actor, type_name, uids, match_config, operation="import",
                                         fresh=dict(zip(uids, batch, strict=True)),
                                         gathered=deconflict.merged(stored, own))
        choices = {u: row["settle"] for u, (_, row) in zip(uids, rows, strict=True)}
        settled = resolution.settle_batch(tx, actor, uids, hits, choices)
        # Computed afresh from `tallied` on each run of this function, so a retried transaction counts once.
        after = {**tallied, "created": tallied["created"] + len(rows),
                 "hits": tallied["hits"] + sum(len(h) for h in hits.values()),
                 "records_with_hits": tallied["records_with_hits"] + sum(1 for h in hits.values() if h),
                 "sub_records": tallied["sub_records"] + sum(1 for s in settled.values() if "sub_record_of" in s),
                 "separate": tallied["separate"] + sum(1 for s in settled.values() if "separate_reason" in s)}
        if checkpoint:
            checkpoint(tx, after, last_line)
        met = [{"line": number, "ref": row["props"].get("source_ref"), "uid": uid,
                "hits": [{**_candidate(h), "hit_uid": h.get("hit_uid")} for h in hits.get(uid, [])],
                **settled.get(uid, {})}
               for (number, row), uid in zip(rows, uids, strict=True) if hits.get(uid) or settled.get(uid)]
        return after, met

    def search(chunk, writing):
        """Validate a batch and find its stored candidates (a read, while the batch before, whose uids are
        `writing`, is written: those are left to `within`, so the answer does not depend on whether the
        read sees that write commit)."""
        prepared = _prepare(type_name, chunk, actor, case_uid, (source or "").strip() or "import")
        rows = [(number, row) for number, row, _, _ in prepared if row is not None]
        batch = [records.matching_record_of(type_name, row) for _, row in rows]
        probes = [blocking.probe(type_name, rec) for rec in batch]
        stored = graph.read(lambda tx: deconfliction.search_before_write(tx, actor, type_name, batch, probes,
                                                                         writing)) if rows else []
        return prepared, rows, batch, probes, stored

    def write(searched):
        prepared, rows, batch, probes, stored = searched
        tallied, last_line = _tally(counts, prepared), prepared[-1][0]
        met: list[dict] = []
        if rows:
            after, met = graph.write(work, rows, batch, probes, stored, tallied, last_line)
            earlier[:] = [(row["props"]["uid"], rec, row["props"], p) for (_, row), rec, p in zip(rows, batch, probes,
                                                                                                 strict=True)]
        else:
            after = tallied
            if checkpoint:  # a batch of refusals only: its progress still commits
                graph.write(checkpoint, after, last_line)
        counts.update(after)
        if on_hits and met:
            on_hits(met)
        if progress:
            progress(counts)

    with ThreadPoolExecutor(max_workers=1) as pool:
        pending = None
        for chunk in _batches(lines, batch, after_line):
            if pending is not None:
                searched = pending.result()
                writing = [row["props"]["uid"] for _, row in searched[1]]
                pending = pool.submit(search, chunk, writing)  # overlaps the write below
                write(searched)
            else:
                pending = pool.submit(search, chunk, [])
        if pending is not None:
            write(pending.result())
    if type_name == "Person" and counts["created"]:
        frequencies.refresh(graph)  # name weights follow the population the import has grown
    return counts


def deconflict_jsonl(graph: Graph, actor: Actor, type_name: str, lines: Iterable[str], *, batch: int = 200,
                     limit: int = 20, include_no_match: bool = False) -> Iterator[dict]:
    """For each line: {"ref", "candidates": [{uid, source_ref, score, decision, explanation}]}, best first.

    Creates nothing. A line that cannot be read yields {"line", "ref", "error"}. Candidates the actor
    may not read appear (at `possible` or better) as {"uid": None, "restricted": True, "owner": contact},
    as `deconfliction.hit_view` redacts them.
    Each batch is one `deconfliction.check_records` call: its candidate query and its "deconflict"
    audit entry (the lines and refs checked, the candidates returned) share one transaction, so the
    log holds one entry per batch with real counts rather than one entry before anything was read.
    """
    if type_name not in ENTITY_TYPES:
        raise ValidationFailed({"type": [f"unknown entity type {type_name!r}; one of {', '.join(ENTITY_TYPES)}"]})
    checks.guard(graph, actor, "deconflict")
    chunk: list[tuple[int, object, dict]] = []

    def emit() -> Iterator[dict]:
        refs = [ref for _, ref, _ in chunk if ref is not None]
        checked = {"source": "check_file", "first_line": chunk[0][0], "last_line": chunk[-1][0],
                   "refs": [str(r) for r in refs[:deconfliction.AUDIT_UID_CAP]], "refs_total": len(refs)}
        found = deconfliction.check_records(graph, actor, type_name, [rec for _, _, rec in chunk], cap=limit,
                                            include_no_match=include_no_match, checked=checked)
        for (_, ref, _), cands in zip(chunk, found, strict=True):
            yield {"ref": ref, "candidates": [_candidate(c) for c in cands]}
        chunk.clear()

    for number, text in enumerate(lines, start=1):
        if not text.strip():
            continue
        try:
            obj = json.loads(text)
            if not isinstance(obj, dict):
                raise ValueError("not a JSON object")
        except ValueError as exc:
            yield {"line": number, "ref": None, "error": str(exc)}
            continue
        data = flatten(type_name, obj)
        chunk.append((number, data.get("ref"), {k: v for k, v in data.items() if k != "ref"}))
        if len(chunk) >= batch:
            yield from emit()
    if chunk:
        yield from emit()


def _candidate(view: dict) -> dict:
    """One candidate of a check file, projected from `deconfliction.hit_view` (the one redaction of hits):
    a record the actor may not read is only {"uid": None, "restricted": True, "owner": contact}."""
    return {"uid": view.get("uid"), "source_ref": view.get("source_ref"), "score": view.get("score"),
            "decision": view.get("decision"), "explanation": view.get("explanation"),
            "restricted": view["restricted"], "owner": view.get("owner")}
