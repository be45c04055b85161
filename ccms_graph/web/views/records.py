"""Entity pages: every property with provenance, links, cases, hits; create/edit forms; link editing; compare."""

from __future__ import annotations

from flask import Blueprint, abort, jsonify, redirect, render_template, request, url_for
from flask_login import login_required

from ...errors import ValidationFailed
from ...logic.casework import documents
from ...logic.entities import access, comments, links, records
from ...logic.identity import deconfliction, resolution
from ...nodes.vocabulary import ENTITY_TYPES
from .. import context
from .cases import page_of
from .forms import HAD_FIELD, edit_form, field_errors, record_input
from .helpers import act

bp = Blueprint("records", __name__)

#: Fields kept by the service about where a record came from, shown as its provenance.
PROVENANCE = ("source", "source_ref", "created_by", "created_at", "updated_by", "updated_at", "version",
              "office_code", "owner_uid")


def _rtype(type_name: str):
    rtype = ENTITY_TYPES.get(type_name)
    if rtype is None:
        abort(404, f"no record type {type_name}")
    return rtype


@bp.route("/records/<uid>")
@login_required
def record_page(uid: str):
    graph, actor = context.graph(), context.actor()
    record = access.view_record(graph, actor, uid, with_links=True)  # one audited view; owner notified
    if record["type"] not in ENTITY_TYPES:  # a case, or a document: shown on its case's page
        return redirect(page_of(record))
    grouped: dict[str, list[dict]] = {}
    for link in record.get("links", []):
        grouped.setdefault(link["type"], []).append(link)
    subs = grouped.pop("SUB_RECORD_OF", [])
    grouped.pop("SUBJECT_IN", None)  # shown as "Cases"
    hits = deconfliction.list_hits(graph, actor, record_uid=uid, status=None)
    notes = comments.comments_for(graph, actor, uid, audit_view=False)  # not audited again: the view above is the page's one
    photos = documents.photos_of(graph, [uid]).get(uid, []) if record["type"] == "Person" else None
    return render_template("record.html", record=record, rtype=ENTITY_TYPES[record["type"]], grouped=grouped,
                           subs=subs, hits=hits, provenance=PROVENANCE, comments=notes,
                           comment_kinds=comments.KINDS, photos=photos)


@bp.route("/records/<uid>/comments", methods=["POST"])
@login_required
def comment(uid: str):
    data = {"text": request.form.get("text", "").strip(), "kind": request.form.get("kind", "note")}
    return act(lambda: comments.add_comment(context.graph(), context.actor(), uid, data),
               "Correction added." if data["kind"] == "correction" else "Comment added.",
               url_for("records.record_page", uid=uid) + "#comments")


@bp.route("/records/new", methods=["GET"])
@login_required
def choose_type():
    return render_template("record_new.html")


def _settlement(form) -> dict:
    """The form's answer to a match (`resolution.settle`): the master chosen, or the reason for a separate record."""
    choice = form.get("settle", "").strip()
    if choice == "separate":
        return {"separate_reason": form.get("separate_reason", "")}
    return {"sub_record_of": choice} if choice else {}


@bp.route("/records/new/<type_name>", methods=["GET", "POST"])
@login_required
def create_record(type_name: str):
    rtype = _rtype(type_name)
    case_uid = request.values.get("case_uid") or None
    values, errors, matches = dict(request.form), {}, []
    if request.method == "POST":
        data = record_input(rtype, request.form)
        data.update(_settlement(request.form))
        try:
            created = records.create_entity(context.graph(), context.actor(), type_name, data, case_uid=case_uid)
        except ValidationFailed as exc:
            errors = field_errors(exc.errors)
        except resolution.NeedsDecision as exc:
            matches = exc.extra["matches"]
        else:
            return render_template("record_created.html", record=created, rtype=rtype, hits=created.get("hits", []))
    status = 422 if errors else 409 if matches else 200
    return render_template("record_form.html", rtype=rtype, values=values, errors=errors, case_uid=case_uid,
                           mode="create", matches=matches), status


@bp.route("/records/<uid>/edit", methods=["GET", "POST"])
@login_required
def edit_record(uid: str):
    graph, actor = context.graph(), context.actor()
    if request.method == "POST":
        rtype = _rtype(request.form.get("type", ""))
        try:
            records.update_entity(graph, actor, uid, record_input(rtype, request.form, partial=True),
                                  expected_version=request.form.get("version", type=int))
        except ValidationFailed as exc:
            return render_template("record_form.html", rtype=rtype, values=dict(request.form),
                                   errors=field_errors(exc.errors), uid=uid, mode="edit",
                                   had=request.form.getlist(HAD_FIELD),
                                   version=request.form.get("version", type=int)), 422
        return redirect(url_for("records.record_page", uid=uid))
    record = access.view_record(graph, actor, uid)
    rtype = _rtype(record["type"])
    return render_template("record_form.html", rtype=rtype, errors={}, uid=uid, mode="edit", **edit_form(rtype, record["props"]))


@bp.route("/ui/candidates/<type_name>", methods=["POST"])
@login_required
def candidates(type_name: str):
    """Query before create, as the user types: ranked candidates with score and reasons (JSON)."""
    rtype = _rtype(type_name)
    partial = record_input(rtype, request.form, partial=True)
    if not partial:
        return jsonify({"candidates": []})
    try:
        found = deconfliction.search_candidates(context.graph(), context.actor(), type_name, partial, limit=10)
    except ValidationFailed as exc:  # match on what is valid so far; the form shows the rest on submit
        partial = {k: v for k, v in partial.items() if k not in exc.errors}
        if not partial:
            return jsonify({"candidates": [], "errors": field_errors(exc.errors)})
        found = deconfliction.search_candidates(context.graph(), context.actor(), type_name, partial, limit=10)
    return jsonify({"candidates": found})


@bp.route("/ui/lookup")
@login_required
def lookup():
    """Records matching a few words, for pickers (link target, compare, shortest path)."""
    q = request.args.get("q", "").strip()
    if len(q) < 2:
        return jsonify({"results": []})
    try:
        found = access.search(context.graph(), context.actor(), q, types=request.args.getlist("type") or None,
                              limit=15)
    except ValidationFailed:
        found = []
    return jsonify({"results": [{"uid": r["uid"], "type": r["type"], "caption": r["caption"],
                                 "case_number": r["props"].get("case_number")} for r in found]})


@bp.route("/records/<uid>/link", methods=["POST"])
@login_required
def link_record(uid: str):
    data = {"source_uid": uid, "target_uid": request.form.get("target_uid", "").strip(),
            "type": request.form.get("type", ""), "reason": request.form.get("reason", "").strip()}
    if request.form.get("direction") == "in":
        data["source_uid"], data["target_uid"] = data["target_uid"], uid
    return act(lambda: links.link(context.graph(), context.actor(), data), "Link drawn.",
               url_for("records.record_page", uid=uid) + "#links")


@bp.route("/records/<uid>/unlink", methods=["POST"])
@login_required
def unlink_record(uid: str):
    data = {"source_uid": request.form.get("source_uid", ""), "target_uid": request.form.get("target_uid", ""),
            "type": request.form.get("type", ""), "reason": request.form.get("reason", "").strip()}
    return act(lambda: links.unlink(context.graph(), context.actor(), data), "Link retired.",
               url_for("records.record_page", uid=uid) + "#links")


@bp.route("/records/compare")
@login_required
def compare():
    a_uid, b_uid = request.args.get("a", "").strip(), request.args.get("b", "").strip()
    pair = None
    if a_uid and b_uid:
        pair = resolution.compare(context.graph(), context.actor(), a_uid, b_uid)
    return render_template("compare.html", pair=pair, a_uid=a_uid, b_uid=b_uid)


@bp.route("/records/merge", methods=["POST"])
@login_required
def merge():
    master, other = request.form.get("master_uid", ""), request.form.get("other_uid", "")
    return act(lambda: resolution.merge(context.graph(), context.actor(), master, other,
                                        request.form.get("reason", "").strip()),
               "Merged (or sent for approval where the other record is not yours).",
               url_for("records.compare", a=master, b=other))


@bp.route("/records/unmerge", methods=["POST"])
@login_required
def unmerge():
    other = request.form.get("other_uid", "")
    return act(lambda: resolution.unmerge(context.graph(), context.actor(), other,
                                          request.form.get("reason", "").strip()),
               "Unmerged.", url_for("records.record_page", uid=other))
