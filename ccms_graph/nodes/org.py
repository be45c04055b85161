"""neomodel classes for offices, users, cases, selectors and attachments."""

from __future__ import annotations

from neomodel import (
    ArrayProperty,
    BooleanProperty,
    DateTimeNeo4jFormatProperty,
    IntegerProperty,
    StringProperty,
    StructuredNode,
)

from .base import Record
from .vocabulary import CASE_STATUSES, CLOSE_REASONS, OFFICE_KINDS, ROLES


class Office(StructuredNode):
    """A field office, sector or branch, or a port or unit within one (WITHIN its parent)."""

    code = StringProperty(required=True, unique_index=True)
    name = StringProperty(required=True)
    kind = StringProperty(choices={k: k for k in OFFICE_KINDS})
    parent_code = StringProperty()
    address = StringProperty()
    phone = StringProperty()


class User(StructuredNode):
    """A person who signs in: role, office, supervisor (REPORTS_TO) and training expiry."""

    uid = StringProperty(required=True, unique_index=True)
    username = StringProperty(required=True, unique_index=True)
    name = StringProperty(required=True)
    role = StringProperty(choices={r: r for r in ROLES}, required=True)
    office_code = StringProperty(index=True)
    supervisor_uid = StringProperty()
    phone = StringProperty()
    email = StringProperty()
    training_expires = StringProperty()  # YYYY-MM-DD
    password_hash = StringProperty()
    active = BooleanProperty(default=True)
    separated_at = DateTimeNeo4jFormatProperty()
    failed_logins = IntegerProperty(default=0)
    locked_until = DateTimeNeo4jFormatProperty()


class Case(Record):
    """An investigation: the file that organizes and links every record about it."""

    case_number = StringProperty(required=True, unique_index=True)
    title = StringProperty(required=True)
    violations = ArrayProperty(StringProperty())
    status = StringProperty(choices={s: s for s in CASE_STATUSES}, default="requested")
    predication = StringProperty()
    team_uids = ArrayProperty(StringProperty())
    restricted = BooleanProperty(default=False)
    opened_at = DateTimeNeo4jFormatProperty()
    closed_at = DateTimeNeo4jFormatProperty()
    close_reason = StringProperty(choices={r: r for r in CLOSE_REASONS})
    last_activity_at = DateTimeNeo4jFormatProperty()
    combined_into = StringProperty()


class Phone(StructuredNode):
    e164 = StringProperty(required=True, unique_index=True)
    display = StringProperty()


class Email(StructuredNode):
    address = StringProperty(required=True, unique_index=True)


class Address(StructuredNode):
    key = StringProperty(required=True, unique_index=True)
    display = StringProperty()
    line1 = StringProperty()
    line2 = StringProperty()
    city = StringProperty()
    state = StringProperty()
    postcode = StringProperty()
    country = StringProperty()


class SocialHandle(StructuredNode):
    key = StringProperty(required=True, unique_index=True)
    platform = StringProperty()
    handle = StringProperty()


class Identifier(StructuredNode):
    """One normalized identifier value (e.g. "ssn:123456789"); records that carry it point here."""

    key = StringProperty(required=True, unique_index=True)
    kind = StringProperty()
    value = StringProperty()


class Attachment(StructuredNode):
    """A file attached to a document: bytes in the file store, metadata and sha256 here."""

    uid = StringProperty(required=True, unique_index=True)
    filename = StringProperty()
    content_type = StringProperty()
    size = IntegerProperty()
    sha256 = StringProperty()
    uploaded_by = StringProperty()
    uploaded_at = DateTimeNeo4jFormatProperty()
