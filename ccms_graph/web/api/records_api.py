"""The six Subject Record types: create (one route per type, schema from the vocabulary), read, update, delete,
resubmit, and comments on any record."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from ...logic.casework import approvals
from ...logic.entities import access, comments, records
from ...logic.identity import resolution
from ...nodes.vocabulary import ENTITY_TYPES
from ...validation import record_schema
from ..errors import problem
from . import schemas
from .common import Blueprint, actor, etag_of, graph, if_match_version, raw_body

blp = Blueprint("records", __name__, "/records", description="Subject Records: the six entity types")

_CaseQuery = type("CreateQuery", (Schema,), {
    "case_uid": fields.String(load_default=None, validate=validate.Length(min=1, max=64),
                              metadata={"description": "file the new record as a subject of this case"}),
})


def _create_schema(type_name: str) -> type[Schema]:
    """A record type's input plus the answer to a match (`resolution.settle`): a master or a reason."""
    return type(f"{type_name}CreateInput", (record_schema(type_name),), {
        "sub_record_of": fields.String(validate=validate.Length(min=1, max=64), metadata={
            "description": "create the record as a sub-record of this master (one you may read)"}),
        "separate_reason": fields.String(validate=validate.Length(min=3, max=2000), metadata={
            "description": "why this is a separate record although it matches one you may read (audited)"}),
    })


def _create_view(type_name: str):
    rtype = ENTITY_TYPES[type_name]

    @blp.arguments(_CaseQuery, location="query")
    @blp.arguments(_create_schema(type_name))
    @blp.response(201, schemas.RecordOut)
    def view(query, _):
        try:
            return records.create_entity(graph(), actor(), type_name, raw_body(), case_uid=query["case_uid"])
        except resolution.NeedsDecision as exc:  # the matches are `hit_view`s: what the caller may read
            return problem(exc.status, exc.title, exc.detail, {"matches": exc.extra["matches"]})

    view.__name__ = f"create_{rtype.slug.replace('-', '_')}"
    view.__doc__ = (f"Create a {type_name} (pending a supervisor's approval); deconflicted on write, the "
                    "answer lists any `hits`. 409 with `matches` when it matches records you may read and "
                    "says neither `sub_record_of` nor `separate_reason` (nothing is created).")
    blp.route(f"/{rtype.slug}", methods=["POST"], endpoint=view.__name__)(view)


for _type_name in ENTITY_TYPES:
    _create_view(_type_name)


@blp.route("/<record_uid>", methods=["GET"])
@blp.response(200, schemas.RecordOut, headers={"ETag": {"schema": {"type": "string"},
                                                         "description": "the record's version"}})
def get_record(record_uid):
    """A Subject Record, Document or Case as you may see it (audited; the owner is told)."""
    out = access.view_record(graph(), actor(), record_uid)
    tag = etag_of(out)
    return out, 200, ({"ETag": tag} if tag else {})


@blp.route("/<record_uid>", methods=["PATCH"])
@blp.arguments(schemas.RecordChanges)
@blp.response(200, schemas.RecordOut)
def update_record(data, record_uid):
    """Change some fields of a Subject Record you may change (404 if it is not one you may read, 403 if it is
    not yours to change; audited); 409 if `version` or If-Match names a stale version."""
    changes = {k: v for k, v in raw_body().items() if k != "version"}
    expected = data.get("version") or if_match_version()
    out = records.update_entity(graph(), actor(), record_uid, changes, expected_version=expected)
    tag = etag_of(out)
    return out, 200, ({"ETag": tag} if tag else {})


@blp.route("/<record_uid>/resubmit", methods=["POST"])
@blp.response(200, schemas.RecordOut)
def resubmit_record(record_uid):
    """Send your returned Subject Record back for approval."""
    out = approvals.resubmit_record(graph(), actor(), record_uid)
    return {"type": "SubjectRecord", **out}



@blp.route("/<record_uid>", methods=["DELETE"])
@blp.arguments(schemas.DeleteQuery, location="query")
@blp.response(200, schemas.DeletedOut)
def delete_record(query, record_uid):
    """Soft-delete a Subject Record you may change, saying why: it leaves reads and matching, its links are
    retired, and it stays as history (409 while it is the master of merged sub-records)."""
    return records.delete_entity(graph(), actor(), record_uid, query["reason"])


@blp.route("/<record_uid>/comments", methods=["GET"])
@blp.response(200, schemas.CommentOut(many=True))
def list_comments(record_uid):
    """The notes and corrections on a record you may read, oldest first."""
    return comments.comments_for(graph(), actor(), record_uid)


@blp.route("/<record_uid>/comments", methods=["POST"])
@blp.arguments(comments.CommentInput)
@blp.response(201, schemas.CommentOut)
def add_comment(_, record_uid):
    """Annotate a record you may read (a correction is a new comment; comments are never edited)."""
    return comments.add_comment(graph(), actor(), record_uid, raw_body())
