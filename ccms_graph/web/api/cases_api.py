"""Cases: list, open a request for one, read one, ask for its lifecycle actions, grants and disclosures, change
who may read it (restriction, team), and load telecom returns into it."""

from __future__ import annotations

from flask import Response
from flask_smorest import Page
from flask_smorest.fields import Upload
from marshmallow import Schema, fields

from ...errors import NotFound
from ...logic.casework import case_deconfliction, cases, disclosures, grants, workflows
from ...logic.entities import access
from ...logic.identity import telecom
from . import schemas
from .common import Blueprint, actor, graph, raw_body, uploaded_text

blp = Blueprint("cases", __name__, "/cases", description="Cases and their lifecycle")


@blp.route("", methods=["GET"])
@blp.arguments(schemas.CaseQuery, location="query")
@blp.response(200, schemas.RecordOut(many=True))
@blp.paginate(Page, page_size=50, max_page_size=200)
def list_cases(query):
    """Cases you own or are on the team of, and (for a supervisor) those of the people who report to you;
    each has `relation` (owner, team, subordinate) and `owner_name`. Filter by status, sort, paginate."""
    rows = cases.my_cases(graph(), actor())
    if query["status"]:
        rows = [c for c in rows if c["props"].get("status") == query["status"]]
    key = query["sort"].lstrip("-")
    rows.sort(key=lambda c: (c["props"].get(key) is None, str(c["props"].get(key) or "")),
              reverse=query["sort"].startswith("-"))
    return rows


@blp.route("", methods=["POST"])
@blp.arguments(cases.CaseInput)
@blp.response(201, schemas.RecordOut)
def create_case(_):
    """Request a new case (status `requested` until a supervisor approves opening it).

    Send `deconfliction_check`, the `check_uid` of `POST /cases/deconfliction-checks`, to record that you checked
    for open cases on the subject first; your supervisor sees what it found."""
    return cases.create_case(graph(), actor(), raw_body())


class CaseCheckOut(schemas.Out):
    check_uid = fields.String(required=True, metadata={"description": "send it as `deconfliction_check` when "
                                                                      "you request the case"})
    violations = fields.List(fields.String())
    conflict = fields.Boolean(metadata={"description": "whether any case found charges one of the violations"})
    cases = fields.List(fields.Dict(keys=fields.String(), values=fields.Raw(allow_none=True)), metadata={
        "description": "conflicts first. A case you may read: uid, case_number, title, status, violations, "
                       "shared_violations, subjects and owner; cases you may not read: one "
                       "{restricted: true, conflict, owner} per owner"})


class CaseCheckSummaryOut(schemas.Out):
    checked = fields.Boolean(required=True, metadata={"description": "false: the case was opened without a check"})
    check_uid = fields.String()
    checked_at = fields.String()
    checked_by = fields.Dict(keys=fields.String(), values=fields.Raw(allow_none=True))
    violations = fields.List(fields.String())
    conflicts = fields.Integer()
    other_cases = fields.Integer()
    restricted = fields.Integer(metadata={"description": "entries you may not read, one per owner"})
    cases = fields.List(fields.Dict(keys=fields.String(), values=fields.Raw(allow_none=True)))


@blp.route("/deconfliction-checks", methods=["POST"])
@blp.arguments(case_deconfliction.CaseCheckInput)
@blp.response(200, CaseCheckOut)
def check_deconfliction(_):
    """Before requesting a case: the open cases on the same subject (stored records, or details as query before
    create takes them) and violation, with each owner's contact; a case you may not read shows only whom to call.
    Audited as a search; owners of conflicting cases are told who asked."""
    return case_deconfliction.check(graph(), actor(), raw_body())


def _readable_case(case_uid: str) -> dict:
    """The case as the actor may see it (audited view); NotFound if the uid is not a case."""
    out = access.view_record(graph(), actor(), case_uid)
    if out["type"] != "Case":
        raise NotFound(f"no case {case_uid}")
    return out


@blp.route("/<case_uid>", methods=["GET"])
@blp.response(200, schemas.RecordOut)
def get_case(case_uid):
    """One case with its subjects and documents (unreadable members are locked placeholders)."""
    return _readable_case(case_uid)


@blp.route("/<case_uid>/deconfliction", methods=["GET"])
@blp.response(200, CaseCheckSummaryOut)
def case_deconfliction_summary(case_uid):
    """What the deconfliction check run before the case was requested found, as far as you may read (an audited
    view): counts, and the cases you may read."""
    return case_deconfliction.summary_for_case(graph(), actor(), case_uid)


def _action_view(action: str):
    schema = workflows.INPUTS[action]

    @blp.arguments(schema)
    @blp.response(201, schemas.ApprovalOut)
    def view(_, case_uid):
        return workflows.request_case_action(graph(), actor(), case_uid, action, raw_body())

    view.__name__ = f"request_{action}"
    view.__doc__ = f"Ask a supervisor to {action} the case; answers the pending approval request."
    blp.route(f"/<case_uid>/{action}", methods=["POST"], endpoint=view.__name__)(view)


for _action in workflows.TRANSITIONS:
    _action_view(_action)


@blp.route("/<case_uid>/review", methods=["POST"])
@blp.arguments(schemas.ReviewInput)
@blp.response(200, schemas.RecordOut)
def review_case(data, case_uid):
    """Record a supervisory case review."""
    out = workflows.record_review(graph(), actor(), case_uid, data.get("note"))
    return out if "type" in out else {"type": "Case", "uid": case_uid, **out}


@blp.route("/<case_uid>/grants", methods=["GET"])
@blp.response(200, schemas.GrantOut(many=True))
def list_grants(case_uid):
    """Cross-office access grants of a case you may read."""
    _readable_case(case_uid)
    return grants.grants_for_case(graph(), case_uid)


@blp.route("/<case_uid>/grants", methods=["POST"])
@blp.arguments(grants.GrantInput)
@blp.response(201, schemas.GrantOut)
def request_grant(_, case_uid):
    """The owner asks for the case to be shared with a user or an office (needs a supervisor's approval)."""
    return grants.request_grant(graph(), actor(), case_uid, raw_body())


@blp.route("/<case_uid>/disclosures", methods=["GET"])
@blp.response(200, schemas.DisclosureOut(many=True))
def list_disclosures(case_uid):
    """External disclosures recorded on a case you may read."""
    _readable_case(case_uid)
    return disclosures.disclosures_for_case(graph(), case_uid)


@blp.route("/<case_uid>/disclosures", methods=["POST"])
@blp.arguments(disclosures.DisclosureInput)
@blp.response(201, schemas.DisclosureOut)
def record_disclosure(_, case_uid):
    """Record an external disclosure (DHS Form 191 style) on a case you may change."""
    return disclosures.record_disclosure(graph(), actor(), case_uid, raw_body())


@blp.route("/<case_uid>/disclosures.csv", methods=["GET"])
@blp.response(200, {"type": "string"}, content_type="text/csv")
def export_disclosures(case_uid):
    """The case's disclosures as CSV (audited as an export)."""
    text = disclosures.export_csv(graph(), actor(), case_uid=case_uid)
    return Response(text, mimetype="text/csv",
                    headers={"Content-Disposition": 'attachment; filename="disclosures.csv"'})


@blp.route("/<case_uid>/restricted", methods=["PUT"])
@blp.arguments(schemas.RestrictedInput)
@blp.response(202, schemas.CaseAccessOut)
def set_restricted(data, case_uid):
    """Ask to restrict a case you own (or supervise the owner of) to its team and the supervisors above them,
    or to lift that: a `case_restrict` request a supervisor above you approves (`restriction_request`).
    A case holding data from a protected source (FinCEN, LETC, another agency's case system) stays restricted."""
    return cases.set_restricted(graph(), actor(), case_uid, data["restricted"], data["reason"])


@blp.route("/<case_uid>/team/<member_uid>", methods=["POST"])
@blp.response(200, schemas.CaseAccessOut)
@blp.alt_response(202, schema=schemas.CaseAccessOut,
                  description="The member is of another office: a team grant waits for a supervisor (`pending`)")
def add_team_member(case_uid, member_uid):
    """Add a user to the team of a case you may change (not an auditor, administrator or inactive user).

    A user of another office joins only once a supervisor approves: the answer is then 202 with `pending`."""
    out = cases.change_team(graph(), actor(), case_uid, member_uid, add=True)
    return (out, 202) if out.get("pending") else out


@blp.route("/<case_uid>/team/<member_uid>", methods=["DELETE"])
@blp.response(200, schemas.CaseAccessOut)
def remove_team_member(case_uid, member_uid):
    """Take a user off the team of a case you may change (the owner stays)."""
    return cases.change_team(graph(), actor(), case_uid, member_uid, add=False)


class CsvUpload(Schema):
    file = Upload(required=True, metadata={"description": "a CSV file with a header row (UTF-8, or UTF-16 or "
                                                          "Windows-1252)"})


@blp.route("/<case_uid>/telecom/cdr", methods=["POST"])
@blp.arguments(CsvUpload, location="files")
@blp.response(200, schemas.TelecomImportOut)
def import_cdr(files, case_uid):
    """Load call detail records (originating_number, terminating_number, start_time, duration[, cell_site]) into a
    case you may change; bad rows are refused by row number, the rest load; agents of linked cases are alerted."""
    return telecom.import_cdr(graph(), actor(), case_uid, uploaded_text(files["file"], "CSV file"))


@blp.route("/<case_uid>/telecom/subscribers", methods=["POST"])
@blp.arguments(CsvUpload, location="files")
@blp.response(200, schemas.TelecomImportOut)
def import_subscribers(files, case_uid):
    """Load subscriber records (number and any of subscriber_name, address, city, state, postcode, dob, email,
    imei, source) into a case you may change; the same answer as the call records."""
    return telecom.import_subscribers(graph(), actor(), case_uid, uploaded_text(files["file"], "CSV file"))
