"""Marshmallow request and response schemas of the JSON API (record inputs come from `validation`)."""

from __future__ import annotations

from marshmallow import INCLUDE, Schema, fields, post_dump, validate

from ...logic.entities import access
from ...logic.oversight import audit, notifications
from ...nodes.vocabulary import CASE_STATUSES, LINK_TYPES

# ---------------------------------------------------------------------------------------------
# Building blocks
# ---------------------------------------------------------------------------------------------


class Out(Schema):
    """A response object: the declared fields are documented; other keys the logic returns pass through."""

    class Meta:
        unknown = INCLUDE

    @post_dump(pass_original=True)
    def _keep_extra(self, data, original, **kwargs):
        if isinstance(original, dict):
            for k, v in original.items():
                if k not in self.fields and k not in data and _json_safe(v):
                    data[k] = v
        return data


def _json_safe(v) -> bool:
    if v is None or isinstance(v, str | int | float | bool):
        return True
    if isinstance(v, list | tuple):
        return all(_json_safe(x) for x in v)
    if isinstance(v, dict):
        return all(isinstance(k, str) and _json_safe(x) for k, x in v.items())
    return False


def _s(**kw) -> fields.String:
    return fields.String(allow_none=True, **kw)


class ProblemSchema(Schema):
    """RFC 9457 problem details: every error of the API has this shape."""

    class Meta:
        unknown = INCLUDE

    type = fields.String(metadata={"example": "about:blank"})
    title = fields.String()
    status = fields.Integer()
    detail = fields.String()
    instance = fields.String()
    errors = fields.Dict(keys=fields.String(), values=fields.Raw(),
                         metadata={"description": "offending field -> its problems (validation failures only)"})


# ---------------------------------------------------------------------------------------------
# Auth and tokens
# ---------------------------------------------------------------------------------------------


class CsrfOut(Schema):
    csrf_token = fields.String(required=True)
    header = fields.String(required=True, metadata={"example": "X-CSRFToken"})


class SignInInput(Schema):
    username = fields.String(required=True, validate=validate.Length(min=1, max=100))
    password = fields.String(required=True, load_only=True, validate=validate.Length(min=1, max=500))
    acknowledge = fields.Boolean(required=True, metadata={
        "description": "true: you acknowledge the system-use notice (GET /auth/banner)"})


class BannerOut(Schema):
    banner = fields.String(required=True)


class MeOut(Out):
    uid = fields.String(required=True)
    username = fields.String(required=True)
    name = _s()
    role = fields.String(required=True)
    office_code = _s()
    offices = fields.List(fields.String())
    training_expires = _s()
    authenticated_by = fields.String(validate=validate.OneOf(("session", "token")))


class TokenOut(Out):
    uid = fields.String(required=True)
    name = fields.String(required=True)
    hint = _s(metadata={"description": "the first characters of the token, to recognise it"})
    user_uid = fields.String()
    created_at = _s()
    expires_at = _s()
    last_used_at = _s()
    revoked_at = _s()


class NewTokenOut(TokenOut):
    token = fields.String(required=True, metadata={"description": "the secret; shown this once only"})


# ---------------------------------------------------------------------------------------------
# Records, cases, documents
# ---------------------------------------------------------------------------------------------


class Locked(Out):
    """What a reader sees of a record they may not read (uid null when its existence is protected)."""

    uid = _s()
    type = fields.String()
    locked = fields.Boolean()


class RecordOut(Out):
    uid = _s()
    type = fields.String(required=True)
    caption = _s()
    locked = fields.Boolean()
    score = fields.Float(allow_none=True)
    props = fields.Dict(keys=fields.String(), values=fields.Raw(allow_none=True),
                        metadata={"description": "the record's fields and system properties"})
    cases = fields.List(fields.Dict(keys=fields.String(), values=fields.Raw(allow_none=True)))
    subjects = fields.List(fields.Nested(lambda: RecordOut()))
    documents = fields.List(fields.Nested(lambda: RecordOut()))
    attachments = fields.List(fields.Nested(lambda: AttachmentOut()))
    hits = fields.List(fields.Dict(keys=fields.String(), values=fields.Raw(allow_none=True)),
                       metadata={"description": "deconfliction hits found when the record was written"})


class RecordChanges(Schema):
    """A partial update: any fields of the record's type; `version` (or an If-Match header) guards staleness."""

    class Meta:
        unknown = INCLUDE

    version = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(min=1),
                             metadata={"description": "the version you read; 409 if it has changed since"})


class CaseQuery(Schema):
    status = fields.String(load_default=None, validate=validate.OneOf(CASE_STATUSES))
    sort = fields.String(load_default="-last_activity_at", validate=validate.OneOf(
        ("case_number", "-case_number", "created_at", "-created_at", "last_activity_at", "-last_activity_at",
         "title", "-title")))


class ReviewInput(Schema):
    note = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=5000))


class AttachmentOut(Out):
    uid = fields.String(required=True)
    filename = fields.String()
    content_type = fields.String()
    size = fields.Integer()
    sha256 = fields.String()
    uploaded_by = _s()
    uploaded_at = _s()


class UploadInput(Schema):
    file = fields.Raw(required=True, metadata={"type": "string", "format": "binary"})


class SubmitInput(Schema):
    comment = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=5000))


# ---------------------------------------------------------------------------------------------
# Links, search, graph
# ---------------------------------------------------------------------------------------------


class LinkOut(Out):
    uid = fields.String(required=True)
    type = fields.String(required=True)
    source_uid = fields.String()
    target_uid = fields.String()
    status = fields.String()


class SearchQuery(Schema):
    text = fields.String(required=True, validate=validate.Length(min=1, max=500))
    types = fields.List(fields.String(validate=validate.OneOf(access.SEARCH_TYPES)), load_default=None,
                        validate=validate.Length(max=len(access.SEARCH_TYPES)))
    office = fields.String(load_default=None, validate=validate.Length(min=1, max=20))
    status = fields.String(load_default=None, validate=validate.Length(min=1, max=40))
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))


class NeighboursQuery(Schema):
    link_types = fields.List(fields.String(validate=validate.OneOf(tuple(LINK_TYPES))), load_default=None,
                             validate=validate.Length(max=len(LINK_TYPES)))
    limit = fields.Integer(load_default=200, validate=validate.Range(min=1, max=1000))


class NeighbourLink(Out):
    type = fields.String(required=True)
    outgoing = fields.Boolean()
    link = fields.Dict(keys=fields.String(), values=fields.Raw(allow_none=True), allow_none=True)
    other = fields.Nested(RecordOut)


class NeighboursOut(Out):
    center = fields.Nested(RecordOut, required=True)
    links = fields.List(fields.Nested(NeighbourLink))


# ---------------------------------------------------------------------------------------------
# Workflow: approvals, grants, disclosures, notifications
# ---------------------------------------------------------------------------------------------


class ApprovalOut(Out):
    uid = fields.String(required=True)
    kind = fields.String()
    status = _s()
    target_uid = _s()
    target_caption = _s()
    related_uid = _s()
    requested_by = _s()
    requested_at = _s()
    comment = _s()
    payload = fields.Dict(keys=fields.String(), values=fields.Raw(allow_none=True), allow_none=True)
    decided_by = _s()
    decided_at = _s()
    decision_comment = _s()
    #: A pending subject record's version: send it back with the decision (`version`).
    target_version = fields.Integer(allow_none=True)


class GrantOut(Out):
    uid = fields.String(required=True)
    case_uid = fields.String()
    grantee_uid = _s()
    grantee_office = _s()
    status = fields.String()
    reason = _s()
    request_uid = _s()


class RevokeInput(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=3, max=2000))


class DisclosureOut(Out):
    uid = fields.String(required=True)
    case_uid = _s()
    case_number = _s()
    disclosed_on = _s()
    nature = _s()
    recipient_agency = _s()
    subject_uids = fields.List(fields.String())


class NotificationOut(Out):
    uid = fields.String(required=True)
    kind = fields.String(validate=validate.OneOf(sorted(notifications.KINDS)))
    read = fields.Boolean()
    created_at = _s()
    message = _s()
    record_uid = _s()


class InboxQuery(Schema):
    unread_only = fields.Boolean(load_default=False)
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=500))


class MarkReadInput(Schema):
    uids = fields.List(fields.String(validate=validate.Length(min=1, max=64)), required=True,
                       validate=validate.Length(min=1, max=500))


class CountOut(Schema):
    count = fields.Integer(required=True)


# ---------------------------------------------------------------------------------------------
# Audit and administration
# ---------------------------------------------------------------------------------------------


class AuditExportQuery(Schema):
    user = fields.String(load_default=None, validate=validate.Length(min=1, max=100))
    record = fields.String(load_default=None, validate=validate.Length(min=1, max=64))
    since = fields.DateTime(load_default=None)
    until = fields.DateTime(load_default=None)
    action = fields.String(load_default=None, validate=validate.OneOf(sorted(audit.ACTIONS)))


class AuditQuery(AuditExportQuery):
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=1000))
    offset = fields.Integer(load_default=0, validate=validate.Range(min=0, max=10_000_000))


class AuditEntryOut(Out):
    seq = fields.Integer(required=True)
    at = _s()
    actor_uid = _s()
    actor_username = _s()
    role = _s()
    action = fields.String()
    targets = fields.List(fields.String())
    outcome = _s()
    details = fields.Raw(allow_none=True)
    hash = _s()


class OfficeOut(Out):
    code = fields.String(required=True)
    name = fields.String()
    kind = fields.String()
    parent_code = _s()


class UserOut(Out):
    uid = fields.String(required=True)
    username = fields.String(required=True)
    name = _s()
    role = fields.String(metadata={"description": "the role the account holds now (for a new account "
                                                  "waiting for approval: the one asked for)"})
    office_code = _s()
    active = fields.Boolean()
    status = fields.String(metadata={"description": "active: done; pending_approval: a content role waits "
                                                    "for a supervisor (see request_uid)"})
    request_uid = _s()
    requested_role = _s()
    training_expires = _s()
    locked = fields.Boolean()
    waiting_for_approval = fields.Boolean(metadata={"description": "a role or reactivation request waits"})
    sessions_ended = fields.Integer()
    tokens_revoked = fields.Integer()


class RetentionFlagOut(Out):
    uid = fields.String(required=True)
    case_number = _s()
    significant = fields.Boolean()
    legal_hold = fields.Boolean()
    reason = _s()


class LockoutOut(Out):
    uid = _s()
    username = _s()
    was_locked = fields.Boolean()
    failed_logins = fields.Integer()
    locked = fields.Boolean()
    locked_until = _s()


# ---------------------------------------------------------------------------------------------
# Saved queries and the shortest path
# ---------------------------------------------------------------------------------------------

_QUERY_NAME = validate.Regexp(r"^[a-z][a-z0-9_]{1,62}$", error="2-63 lower_case letters, digits and _, "
                                                                 "starting with a letter")
_UID = validate.Regexp(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$", error="is not a record uid")


class QueryParamOut(Out):
    name = fields.String(required=True)
    type = fields.String(required=True)
    required = fields.Boolean()
    default = fields.Raw(allow_none=True)
    validation = fields.Dict(keys=fields.String(), values=fields.String())


class QueryInfoOut(Out):
    name = fields.String(required=True)
    description = _s()
    kind = fields.String(validate=validate.OneOf(("table", "graph")))
    roles = fields.List(fields.String())
    params = fields.List(fields.Nested(QueryParamOut))
    source = fields.String(metadata={"description": "catalogue (a shared file) or saved (an analyst's own)"})
    version = fields.Integer(allow_none=True)
    approved = fields.Boolean()
    author_uid = _s()


class SaveQueryInput(Schema):
    name = fields.String(required=True, validate=_QUERY_NAME)
    text = fields.String(required=True, validate=validate.Length(min=1, max=20_000), metadata={
        "description": "a `//` header block (name, description, result, roles, param lines) and one read-only "
                       "Cypher statement composing the policy placeholders"})


class SavedVersionOut(Schema):
    name = fields.String(required=True)
    version = fields.Integer(required=True)


class RunQueryInput(Schema):
    params = fields.Dict(keys=fields.String(), values=fields.Raw(allow_none=True), load_default=dict,
                         metadata={"description": "the query's declared parameters by name"})
    version = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(min=1),
                             metadata={"description": "a saved query's version (yours; others run the approved one)"})
    sort = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=100),
                         metadata={"description": "sort a table on one of its columns"})
    descending = fields.Boolean(load_default=False)


class RunCsvQuery(Schema):
    """The query's own parameters go in the query string too, by name (repeat a name for a list)."""

    class Meta:
        unknown = INCLUDE

    version = fields.Integer(load_default=None, validate=validate.Range(min=1))
    sort = fields.String(load_default=None, validate=validate.Length(min=1, max=100))
    descending = fields.Boolean(load_default=False)


class QueryResultOut(Out):
    name = fields.String(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(("table", "graph")))
    version = fields.Integer(allow_none=True)
    params = fields.Dict(keys=fields.String(), values=fields.Raw(allow_none=True))
    columns = fields.List(fields.String())
    rows = fields.List(fields.Dict(keys=fields.String(), values=fields.Raw(allow_none=True)))
    nodes = fields.List(fields.Dict(keys=fields.String(), values=fields.Raw(allow_none=True)),
                        metadata={"description": "graph results: {id, uid, type, caption, locked}"})
    edges = fields.List(fields.Dict(keys=fields.String(), values=fields.Raw(allow_none=True)),
                        metadata={"description": "graph results: {source, target, type}"})
    truncated = fields.Boolean(metadata={"description": "more rows matched than the row limit allowed"})
    withheld = fields.Integer(metadata={"description": "rows dropped or nodes locked by the policy check"})


class SavedQueryOut(Out):
    name = fields.String(required=True)
    author_uid = _s()
    latest_version = fields.Integer(allow_none=True)
    approved_version = fields.Integer(allow_none=True)
    approved_by = _s()
    versions = fields.List(fields.Dict(keys=fields.String(), values=fields.Raw(allow_none=True)))


class PathQuery(Schema):
    from_uid = fields.String(required=True, data_key="from", validate=_UID, metadata={"description": "a record uid"})
    to_uid = fields.String(required=True, data_key="to", validate=_UID, metadata={"description": "a record uid"})
    max_hops = fields.Integer(load_default=6, validate=validate.Range(min=1, max=8))


# ---------------------------------------------------------------------------------------------
# Comments, case access, deletion
# ---------------------------------------------------------------------------------------------


class CommentOut(Out):
    uid = fields.String(required=True)
    text = fields.String()
    kind = fields.String()
    author_uid = _s()
    author_name = _s()
    created_at = _s()


class RestrictedInput(Schema):
    restricted = fields.Boolean(required=True, metadata={"description": "true: only the team and the "
                                                                        "supervisors above them may read the case"})
    reason = fields.String(required=True, validate=validate.Length(min=3, max=2000))


class PendingTeamOut(Schema):
    """A team change waiting for a supervisor: the team grant and its approval request."""

    grant_uid = fields.String(required=True)
    request_uid = fields.String(required=True)
    member_uid = fields.String(required=True)


class PendingRestrictionOut(Schema):
    """A restriction change waiting for a supervisor above the case owner."""

    request_uid = fields.String(required=True)
    restricted = fields.Boolean(required=True, metadata={"description": "what the case will be once approved"})


class CaseAccessOut(Schema):
    """A case's access settings after a change (its contents are read through GET /cases/{uid})."""

    uid = fields.String(required=True)
    case_number = fields.String(required=True)
    restricted = fields.Boolean(required=True)
    team_uids = fields.List(fields.String(), required=True)
    owner_uid = fields.String(required=True)
    pending = fields.Nested(PendingTeamOut, metadata={
        "description": "present (with status 202) when the member is of another office: they join once "
                       "a supervisor approves the team grant"})
    restriction_request = fields.Nested(PendingRestrictionOut, metadata={
        "description": "present (with status 202) after asking to restrict the case or lift its restriction: "
                       "nothing changes until a supervisor above the owner approves"})


class DeleteQuery(Schema):
    # A query-string value: kept short enough that a fully percent-encoded one fits a 4 KiB request line.
    reason = fields.String(required=True, validate=validate.Length(min=3, max=300))


class DeletedOut(Out):
    uid = fields.String(required=True)
    deleted = fields.Boolean(required=True)


# ---------------------------------------------------------------------------------------------
# Uploads of data: telecom CSV and JSONL imports
# ---------------------------------------------------------------------------------------------


class RowProblem(Out):
    row = fields.Integer(required=True, metadata={"description": "the file's line number (the header is row 1)"})
    reason = fields.String()


class TelecomImportOut(Out):
    case_number = _s()
    rows = fields.Integer(required=True)
    loaded = fields.Integer(required=True)
    duplicates = fields.List(fields.Nested(RowProblem))
    refused = fields.List(fields.Nested(RowProblem))
    alerts = fields.Integer(metadata={"description": "agents of other cases alerted to a shared number"})


class ImportQuery(Schema):
    case_uid = fields.String(load_default=None, validate=validate.Length(min=1, max=64),
                             metadata={"description": "file every record as a subject of this case (uid or number)"})
    source = fields.String(load_default=None, validate=validate.Length(min=1, max=120),
                           metadata={"description": "the system the lines come from (e.g. FinCEN); a protected "
                                                    "source restricts the case at once"})
    map = fields.List(fields.String(validate=validate.Length(min=1, max=200)), load_default=list,
                      validate=validate.Length(max=100),
                      metadata={"description": "COLUMN=FIELD, repeated: read the file's COLUMN as FIELD (a field of "
                                               "the type or a column name the import knows, e.g. "
                                               "postcode_fake=postcode); COLUMN= leaves the column out"})


class LineProblem(Out):
    line = fields.Integer(required=True)
    reason = _s()
    dropped = fields.List(fields.String(), metadata={"description": "fields that failed validation, left out"})
    unverified = fields.List(fields.String(), metadata={
        "description": "identifier fields that failed their kind's checks (a person's SSN, a vehicle's VIN, a "
                       "thing's IMEI...), kept as `<kind>_unverified` entries of the record's `identifiers` "
                       "(compared, never decisive)"})
    flagged = fields.List(fields.String(), metadata={
        "description": "fields kept as written but flagged: a date of birth that is no date (1985-02-30)"})
    problems = fields.Dict(keys=fields.String(), values=fields.String(), metadata={
        "description": "what was wrong with each field, or list entry (`addresses[2]`, counted from 1 as lines "
                       "are), that `dropped`, `unverified` or `flagged` names; a list's other entries still load"})


class OwnerContact(Out):
    uid = _s()
    name = _s()
    office_code = _s()
    office = _s()
    phone = _s()
    email = _s()


class LineHit(Out):
    """A stored record a line met, as `deconfliction.hit_view` redacts it: one the importer may not read is
    only `restricted` with its `owner` to contact (`uid`, `caption`, `source_ref`, `score`, `decision`,
    `explanation` and `cases` null)."""
    hit_uid = _s(metadata={"description": "the deconfliction hit raised, to review"})
    type = _s()
    restricted = fields.Boolean(required=True)
    uid = _s()
    caption = _s()
    source_ref = _s()
    score = fields.Float(allow_none=True)
    decision = _s()
    explanation = fields.List(fields.Dict(), allow_none=True)
    cases = fields.List(fields.String(), allow_none=True, metadata={"description": "case numbers you may read"})
    owner = fields.Nested(OwnerContact, allow_none=True, metadata={"description": "whom to call"})


class HitLine(Out):
    """A line that met stored records or an earlier line: the record it created, what it met, and how it settled."""
    line = fields.Integer(required=True)
    ref = _s()
    uid = fields.String(required=True, metadata={"description": "the record the line created"})
    hits = fields.List(fields.Nested(LineHit))
    sub_record_of = _s(metadata={"description": "filed as a sub-record of this record"})
    separate_reason = _s(metadata={"description": "kept separate, for this reason"})


class ImportOut(Out):
    lines = fields.Integer(required=True)
    created = fields.Integer(required=True)
    refused = fields.List(fields.Nested(LineProblem))
    warnings = fields.List(fields.Nested(LineProblem))
    hits = fields.Integer()
    records_with_hits = fields.Integer()
    hit_lines = fields.List(fields.Nested(HitLine), metadata={
        "description": "the lines that met stored records, with whom to call: the first ones, up to a cap "
                       "(`hit_lines_total` counts them all)"})
    hit_lines_total = fields.Integer(metadata={"description": "every line that met records"})
