"""The case page (summary, subjects, documents, ROI editor, team and access, disclosures, hot list, timeline)
and its forms."""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import login_required

from ...db import Graph
from ...errors import Forbidden, NotFound, ValidationFailed
from ...logic.casework import (
    approvals,
    case_deconfliction,
    cases,
    disclosures,
    documents,
    elsur,
    grants,
    hours,
    workflows,
)
from ...logic.casework.disclosures import METHODS
from ...logic.casework.workflows import TRANSITIONS
from ...logic.entities import access
from ...logic.location import hotlists
from ...nodes.vocabulary import DOCUMENT_TYPES, ENTITY_TYPES
from ...policy.actor import load_actor
from .. import context
from .forms import case_check_errors, case_check_input, case_input, filled
from .helpers import act

bp = Blueprint("cases", __name__)


def _timeline(case: dict, history: list[dict], grant_rows: list[dict], disclosure_rows: list[dict]) -> list[dict]:
    """The case's events, newest first, from what the page already loaded."""
    props = case["props"]
    events = [{"at": props.get(k), "what": label} for k, label in
              (("created_at", "Case requested"), ("opened_at", "Case opened"), ("referred_at", "Case referred"),
               ("closed_at", "Case closed"), ("last_reviewed_at", "Quarterly review")) if props.get(k)]
    for r in history:
        events.append({"at": r.get("requested_at"), "what": f"{r.get('kind', '').replace('_', ' ')} requested",
                       "note": r.get("comment")})
        if r.get("decided_at"):
            events.append({"at": r.get("decided_at"), "what": f"{r.get('kind', '').replace('_', ' ')} {r.get('status')}",
                           "note": r.get("decision_comment")})
    for d in case.get("documents", []):
        if not d.get("locked"):
            events.append({"at": d["props"].get("created_at"), "what": f"{d['type']} filed: {d['caption']}"})
    for g in grant_rows:
        events.append({"at": g.get("requested_at") or g.get("created_at"),
                       "what": f"Access grant {g.get('status')}: {g.get('grantee_office') or g.get('grantee_uid')}"})
    for d in disclosure_rows:
        events.append({"at": d.get("recorded_at") or d.get("disclosed_on"),
                       "what": f"Disclosure to {d.get('recipient_agency')}"})
    return sorted((e for e in events if e["at"]), key=lambda e: str(e["at"]), reverse=True)


def page_of(record: dict) -> str:
    """The page that shows a record `access.view_record` answered: a case's own page, a document's own
    page, a Subject Record's page."""
    if record["type"] == "Case":
        return url_for("cases.case_page", uid=record["uid"])
    if record["type"] in ENTITY_TYPES:
        return url_for("records.record_page", uid=record["uid"])
    return url_for("documents.document_page", uid=record["uid"])


@bp.route("/cases/<uid>")
@login_required
def case_page(uid: str):
    graph = context.graph()
    case = access.view_record(graph, context.actor(), uid)  # load-and-authorize; audited
    if case["type"] != "Case":  # a document's or a record's uid: send the reader to its own page
        return redirect(page_of(case))
    history = approvals.requests_for(graph, uid)
    grant_rows = grants.grants_for_case(graph, uid)
    disclosure_rows = disclosures.disclosures_for_case(graph, uid)
    rois = [d for d in case["documents"] if d.get("type") == "ReportOfInvestigation" and not d.get("locked")]
    props = case["props"]
    team = _people(graph, [props.get("owner_uid"), *(props.get("team_uids") or [])])
    checked = case_deconfliction.summary_for_case(graph, context.actor(), uid)
    elsurs = elsur.elsurs_of_case(graph, context.actor(), uid)
    work_hours = hours.hours_of_case(graph, context.actor(), uid)
    return render_template("case.html", case=case, history=history, grants=grant_rows, elsurs=elsurs,
                           hours=work_hours, hot_list=_hot_list(graph, uid),
                           disclosures=disclosure_rows, rois=rois, actions=sorted(TRANSITIONS),
                           methods=METHODS, timeline=_timeline(case, history, grant_rows, disclosure_rows),
                           team=team, checked=checked, document_types=DOCUMENT_TYPES)


@bp.route("/cases/new", methods=["GET", "POST"])
@login_required
def new_case():
    """Open a case: check for open cases on the subject and violations first, then ask for the case with that
    check (the form does not open a case without one)."""
    subject_type = request.values.get("subject_type", case_deconfliction.SUBJECT_TYPES[0])
    if subject_type not in case_deconfliction.SUBJECT_TYPES:
        abort(404, f"no subject type {subject_type}")
    rtype = ENTITY_TYPES[subject_type]
    values, errors, found = dict(request.form), {}, None
    if request.method == "POST":
        graph, actor = context.graph(), context.actor()
        try:
            if request.form.get("do") == "open":
                created = cases.create_case(graph, actor, case_input(request.form), require_check=True)
                flash("Case requested; ask your supervisor to approve opening it.", "ok")
                return redirect(url_for("cases.case_page", uid=created["uid"]))
            found = case_deconfliction.check(graph, actor, case_check_input(rtype, request.form))
            values["deconfliction_check"] = found["check_uid"]
        except ValidationFailed as exc:
            errors = case_check_errors(exc.errors)
    subject_fields = [f for f in rtype.fields if f.name in rtype.identifying or f.kind == "dob"]
    return render_template("case_new.html", rtype=rtype, subject_fields=subject_fields, values=values, errors=errors,
                           found=found, subject_types=case_deconfliction.SUBJECT_TYPES), (422 if errors else 200)


def _people(graph: Graph, uids: list[str | None]) -> list[dict]:
    """Names of the case's owner and team, in one read (users' names are not case content).

    Stopgap: the logic layer offers no user directory for non-admins, so this borrows the sign-in
    loader (`policy.actor.load_actor`); a `logic.users.describe_users(graph, actor, uids)` should replace it.
    """
    wanted = list(dict.fromkeys(u for u in uids if u))

    def work(tx):
        out = []
        for uid in wanted:
            try:
                who = load_actor(tx, uid)
            except NotFound:
                out.append({"uid": uid, "username": None, "name": uid, "office_code": None, "role": None})
            else:
                out.append({"uid": who.uid, "username": who.username, "name": who.name,
                            "office_code": who.office_code, "role": who.role})
        return out

    return graph.read(work)


def _hot_list(graph: Graph, uid: str) -> list[dict] | None:
    """The case's hot list as `hotlists.entries` lets the reader see it; None (no panel) when it refuses them."""
    try:
        return hotlists.entries(graph, context.actor(), uid, include_removed=True)
    except (Forbidden, NotFound):
        return None


def _user_uid(graph: Graph, username: str) -> str:
    """The uid of a username (or the text itself when no such user: `change_team` then says so by field)."""
    try:
        return graph.read(load_actor, username).uid if username else ""
    except NotFound:
        return username


def _back(uid: str, anchor: str = "") -> str:
    return url_for("cases.case_page", uid=uid) + (f"#{anchor}" if anchor else "")


@bp.route("/cases/<uid>/roi", methods=["POST"])
@login_required
def roi_create(uid: str):
    data = {"title": request.form.get("title", "").strip(), "narrative": request.form.get("narrative", "")}
    return act(lambda: documents.create_document(context.graph(), context.actor(), uid, "ReportOfInvestigation",
                                                 data), "Draft Report of Investigation saved.", _back(uid, "roi"))


@bp.route("/cases/<uid>/roi/<doc_uid>", methods=["POST"])
@login_required
def roi_save(uid: str, doc_uid: str):
    graph, actor = context.graph(), context.actor()
    if request.form.get("do") == "submit":
        return act(lambda: documents.submit_roi(graph, actor, doc_uid, request.form.get("comment") or None),
                   "Report of Investigation submitted for approval.", _back(uid, "roi"))
    version = request.form.get("version", type=int)
    changes = {"title": request.form.get("title", "").strip(), "narrative": request.form.get("narrative", "")}
    return act(lambda: documents.update_document(graph, actor, doc_uid, changes, expected_version=version),
               "Draft saved.", _back(uid, "roi"))


@bp.route("/cases/<uid>/grants", methods=["POST"])
@login_required
def grant_request(uid: str):
    data = {"grantee_office": request.form.get("grantee_office", "").strip().upper() or None,
            "grantee_uid": request.form.get("grantee_uid", "").strip() or None,
            "reason": request.form.get("reason", "").strip()}
    return act(lambda: grants.request_grant(context.graph(), context.actor(), uid, data),
               "Access grant requested; a supervisor will decide.", _back(uid, "access"))


@bp.route("/cases/<uid>/grants/<grant_uid>/revoke", methods=["POST"])
@login_required
def grant_revoke(uid: str, grant_uid: str):
    return act(lambda: grants.revoke_grant(context.graph(), context.actor(), grant_uid,
                                           request.form.get("reason", "").strip()),
               "Access grant revoked.", _back(uid, "access"))


@bp.route("/cases/<uid>/elsurs", methods=["POST"])
@login_required
def elsur_request(uid: str):
    data = {k: request.form.get(k, "").strip() for k in ("kind", "target", "justification")}
    return act(lambda: elsur.request_elsur(context.graph(), context.actor(), uid, data),
               "ELSUR sent to headquarters for approval.", _back(uid, "elsur"))


@bp.route("/cases/<uid>/elsurs/<elsur_uid>/uses", methods=["POST"])
@login_required
def elsur_use(uid: str, elsur_uid: str):
    data = {k: request.form.get(k, "").strip() for k in ("date", "contact", "summary")}
    return act(lambda: elsur.add_report_of_use(context.graph(), context.actor(), elsur_uid, data),
               "Report of Use appended.", _back(uid, "elsur"))


@bp.route("/cases/<uid>/restricted", methods=["POST"])
@login_required
def restricted_switch(uid: str):
    restricted = request.form.get("restricted") == "yes"
    return act(lambda: cases.set_restricted(context.graph(), context.actor(), uid, restricted,
                                            request.form.get("reason", "").strip()),
               "Asked your supervisor to restrict the case." if restricted
               else "Asked your supervisor to lift the restriction.", _back(uid, "access"))


@bp.route("/cases/<uid>/team", methods=["POST"])
@login_required
def team_change(uid: str):
    graph = context.graph()
    add = request.form.get("op") != "remove"
    member = (request.form.get("member_uid", "").strip() if not add
              else _user_uid(graph, request.form.get("username", "").strip().lower()))
    return act(lambda: cases.change_team(graph, context.actor(), uid, member, add),
               _team_done if add else "Removed from the team.", _back(uid, "access"))


def _team_done(result) -> str:
    if isinstance(result, dict) and result.get("pending"):
        return ("They are in another office: your supervisor has been asked to approve their joining the team; "
                "they join once it is approved.")
    return "Added to the team."


@bp.route("/cases/<uid>/disclosures", methods=["POST"])
@login_required
def disclosure_record(uid: str):
    fields = ("disclosed_on", "nature", "description", "purpose", "recipient_agency", "recipient_address",
              "recipient_name", "authority", "method")
    data = filled(request.form, fields)
    return act(lambda: disclosures.record_disclosure(context.graph(), context.actor(), uid, data),
               "Disclosure recorded.", _back(uid, "disclosures"))


@bp.route("/cases/<uid>/hours", methods=["POST"])
@login_required
def hours_log(uid: str):
    data = filled(request.form, ("date", "hours", "activity"))
    return act(lambda: hours.log_hours(context.graph(), context.actor(), uid, data),
               "Hours logged.", _back(uid, "hours"))


@bp.route("/cases/<uid>/hot-list", methods=["POST"])
@login_required
def hot_list_add(uid: str):
    data = filled(request.form, ("plate", "state", "reason", "expires_at"))
    return act(lambda: hotlists.add_entry(context.graph(), context.actor(), uid, data),
               _hot_list_done("put on"), _back(uid, "hotlist"))


@bp.route("/cases/<uid>/hot-list/<entry_uid>/remove", methods=["POST"])
@login_required
def hot_list_remove(uid: str, entry_uid: str):
    data = {"reason": request.form.get("reason", "").strip() or None}
    return act(lambda: hotlists.remove_entry(context.graph(), context.actor(), uid, entry_uid, data),
               _hot_list_done("taken off"), _back(uid, "hotlist"))


def _hot_list_done(verb: str) -> Callable[[object], str]:
    """The flash of a hot list change: "FL ABC123 put on the hot list." from the entry the logic returned."""
    def done(entry: object) -> str:
        e = entry if isinstance(entry, dict) else {}
        return f"{e.get('plate_state', '')} {e.get('plate', 'The plate')} {verb} the hot list.".strip()
    return done


@bp.route("/cases/<uid>/actions", methods=["POST"])
@login_required
def case_action(uid: str):
    action = request.form.get("action", "")
    data = {k: v for k, v in request.form.items()
            if k in ("reason", "comment", "referred_to", "other_case_uid", "roi_uid") and v.strip()}
    return act(lambda: workflows.request_case_action(context.graph(), context.actor(), uid, action, data),
               f"Request to {action} the case sent to your supervisor.", _back(uid, "history"))
