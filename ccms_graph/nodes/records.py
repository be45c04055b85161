"""neomodel classes for the six Subject Record types and the case documents, built from the vocabulary."""

from __future__ import annotations

from neomodel import (
    ArrayProperty,
    BooleanProperty,
    FloatProperty,
    IntegerProperty,
    JSONProperty,
    StringProperty,
    StructuredNode,
)

from .base import Record
from .vocabulary import DOCUMENT_TYPES, ENTITY_TYPES, ROI_STATUSES, Field, RecordType


def _property(f: Field):
    if f.kind in ("str", "text", "date"):
        return StringProperty()
    if f.kind == "dob":
        return StringProperty()  # the raw text; dob_year/month/day hold what could be read
    if f.kind == "enum":
        return StringProperty(choices={c: c for c in f.choices})
    if f.kind == "int":
        return IntegerProperty()
    if f.kind == "float":
        return FloatProperty()
    if f.kind == "bool":
        return BooleanProperty()
    if f.kind == "list":
        return ArrayProperty(StringProperty())
    if f.kind == "json":
        return JSONProperty()
    raise AssertionError(f.kind)


class SubjectRecord(Record):
    """A Person, Business, Vehicle, Vessel, Aircraft or Thing; may be a subject in many cases."""

    __abstract_node__ = True
    #: Lowercased text of every field, for the full-text search index.
    search_text = StringProperty()
    #: Comments that annotate corrections (e.g. a target later found to be a victim).
    master_uid = StringProperty()


class Document(Record):
    """A case document: Report of Investigation, incident report or evidence item."""

    __abstract_node__ = True
    case_uid = StringProperty(index=True)
    author_uid = StringProperty()
    status = StringProperty(choices={s: s for s in ROI_STATUSES})


def _build(rtype: RecordType, base: type) -> type[StructuredNode]:
    attrs = {f.name: _property(f) for f in rtype.fields}
    if rtype.name == "Person":
        attrs.update(dob_year=IntegerProperty(), dob_month=IntegerProperty(), dob_day=IntegerProperty(),
                     dob_flagged=BooleanProperty(default=False))
    attrs["__module__"] = __name__
    attrs["__doc__"] = rtype.description or f"{rtype.name}: fields declared in nodes.vocabulary."
    return type(rtype.name, (base,), attrs)


Person = _build(ENTITY_TYPES["Person"], SubjectRecord)
Business = _build(ENTITY_TYPES["Business"], SubjectRecord)
Vehicle = _build(ENTITY_TYPES["Vehicle"], SubjectRecord)
Vessel = _build(ENTITY_TYPES["Vessel"], SubjectRecord)
Aircraft = _build(ENTITY_TYPES["Aircraft"], SubjectRecord)
Thing = _build(ENTITY_TYPES["Thing"], SubjectRecord)

ReportOfInvestigation = _build(DOCUMENT_TYPES["ReportOfInvestigation"], Document)
ArrestReport = _build(DOCUMENT_TYPES["ArrestReport"], Document)
SeizureReport = _build(DOCUMENT_TYPES["SeizureReport"], Document)
SurveillanceReport = _build(DOCUMENT_TYPES["SurveillanceReport"], Document)
Evidence = _build(DOCUMENT_TYPES["Evidence"], Document)

NODE_CLASSES: dict[str, type[StructuredNode]] = {
    cls.__name__: cls
    for cls in (Person, Business, Vehicle, Vessel, Aircraft, Thing, ReportOfInvestigation,
                ArrestReport, SeizureReport, SurveillanceReport, Evidence)
}
