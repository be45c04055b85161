"""The properties every record carries: identity, who and when, ownership, approval and provenance."""

from __future__ import annotations

from neomodel import (
    BooleanProperty,
    DateTimeNeo4jFormatProperty,
    IntegerProperty,
    StringProperty,
    StructuredNode,
    StructuredRel,
)

from .vocabulary import APPROVAL_STATUSES


class Record(StructuredNode):
    """Abstract base of cases, subject records and documents."""

    __abstract_node__ = True

    uid = StringProperty(required=True)
    created_at = DateTimeNeo4jFormatProperty()
    created_by = StringProperty()
    updated_at = DateTimeNeo4jFormatProperty()
    updated_by = StringProperty()
    #: The owning user's uid and office code: the anchors of every access rule.
    owner_uid = StringProperty(index=True)
    office_code = StringProperty(index=True)
    approval_status = StringProperty(choices={s: s for s in APPROVAL_STATUSES}, default="pending")
    #: "manual", or the name of the source system a record was imported from.
    source = StringProperty(default="manual")
    source_ref = StringProperty()
    imported_at = DateTimeNeo4jFormatProperty()
    #: Incremented on every update; the API's ETag, so stale updates are refused.
    version = IntegerProperty(default=1)
    deleted = BooleanProperty(default=False)


class Link(StructuredRel):
    """Properties of every typed link edge: who drew it, when, why, from where, and whether it stands."""

    uid = StringProperty()
    created_at = DateTimeNeo4jFormatProperty()
    created_by = StringProperty()
    reason = StringProperty()
    #: Provenance is stored as `source` on the edge; neomodel reserves that attribute name,
    #: so the class maps it through `db_property`.
    provenance = StringProperty(default="manual", db_property="source")
    #: "active", or "retired" once unlinked: links are retired with who/when/why, never erased.
    status = StringProperty(default="active")
    retired_at = DateTimeNeo4jFormatProperty()
    retired_by = StringProperty()
    retired_reason = StringProperty()
    case_uid = StringProperty()
