"""Building blocks every use case shares: new ids, input loading, and turning Neo4j values into answers.

Nothing here reads or writes the database or decides access; it only shapes values, so every module
of `logic/` may import it without forming a loop.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from marshmallow import Schema, ValidationError, fields

from ..errors import ValidationFailed
from ..nodes.vocabulary import caption
from .location import coordinates

#: Labels that group records rather than name their type.
GROUP_LABELS = frozenset({"SubjectRecord", "Document", "Linkable"})


#: What an input file's text is read as, in order: UTF-16 where it opens with its byte-order mark (Excel's
#: "Unicode text"), else UTF-8 (a byte-order mark allowed), else Windows-1252 (what spreadsheets on Windows
#: save: "Müller", curly quotes), else Latin-1, which reads any byte.
TEXT_ENCODINGS = ("utf-8-sig", "cp1252", "latin-1")
UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


def text_of(data: bytes) -> tuple[str, str]:
    """(the text of an uploaded file, the encoding it was read in): `TEXT_ENCODINGS`' first that reads it all."""
    if data.startswith(UTF16_BOMS):
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError:
            pass
    for encoding in TEXT_ENCODINGS[:-1]:
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    return data.decode(TEXT_ENCODINGS[-1]), TEXT_ENCODINGS[-1]


def new_uid() -> str:
    return uuid.uuid4().hex


def now() -> datetime:
    return datetime.now(UTC)


def iso(value: Any) -> Any:
    """A Neo4j temporal as its ISO string, a WGS84 point as {latitude, longitude}; any other value unchanged."""
    return value.iso_format() if hasattr(value, "iso_format") else coordinates.as_dict(value)


def plain(props: Mapping[str, Any] | None) -> dict:
    """Node or relationship properties as JSON-ready values: temporals as ISO strings, and a JSON
    `payload` (approval requests) decoded."""
    out = {k: iso(v) for k, v in (props or {}).items()}
    if isinstance(out.get("payload"), str):
        out["payload"] = json.loads(out["payload"])
    return out


#: A spreadsheet reads a cell that starts with one of these as a formula (OWASP, CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value: Any) -> str:
    """One CSV cell that a spreadsheet shows as text: a string that would start a formula gets a leading
    apostrophe (OWASP's advice); numbers and booleans are written as they are."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


class Text(fields.String):
    """A string field that trims surrounding white space before its validators run, so a length rule
    holds for what is stored: a title or comment of only spaces is refused, not stored empty."""

    def _deserialize(self, value, attr, data, **kwargs):
        return super()._deserialize(value, attr, data, **kwargs).strip()


def column_key(name: object) -> str:
    """A file's column name as the schema spells its own: "First Name", "N-NUMBER" and "date of birth "
    are first_name, n_number and date_of_birth."""
    return re.sub(r"[^a-z0-9]+", "_", str(name or "").strip().lower()).strip("_")


def load_input(schema: Schema, data: object) -> dict:
    """Validate `data` with a marshmallow schema; ValidationFailed names each bad field."""
    if not isinstance(data, dict):
        raise ValidationFailed({"_schema": ["expected an object"]})
    try:
        return schema.load(data)
    except ValidationError as exc:
        raise ValidationFailed(exc.normalized_messages()) from None


def record_type_of(labels: Iterable[str]) -> str:
    """The record's own type among its labels (Neo4j returns labels in no fixed order)."""
    for label in labels:
        if label not in GROUP_LABELS:
            return label
    return "Record"


def node_dict(node: Mapping[str, Any], labels: Iterable[str]) -> dict:
    """A record node as {uid, type, caption, props}, the shape every answer about a record has."""
    props = plain(node)
    type_name = record_type_of(labels)
    return {"uid": props.get("uid"), "type": type_name, "caption": caption(type_name, props), "props": props}


def placeholder(uid: str | None, labels: Iterable[str], hidden: bool) -> dict:
    """What a reader sees of a record they may not read: its type and, unless its very existence is
    protected, its uid."""
    return {"uid": None if hidden else uid, "type": record_type_of(labels), "locked": True}
