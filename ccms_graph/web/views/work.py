"""Work queues: the supervisor's approval queue, the notifications inbox, and the auditors' log viewer."""

from __future__ import annotations

import io

from flask import Blueprint, Response, flash, jsonify, redirect, render_template, request, url_for
from flask_login import login_required

from ...errors import DomainError, ValidationFailed
from ...logic.casework import approvals
from ...logic.oversight import audit, notifications
from ...logic.oversight.audit import ACTIONS
from .. import context
from .helpers import message_of

bp = Blueprint("work", __name__)


@bp.route("/approvals")
@login_required
def approval_queue():
    return render_template("approvals.html", queue=approvals.approval_queue(context.graph(), context.actor()))


@bp.route("/approvals/<item_uid>", methods=["POST"])
@login_required
def decide(item_uid: str):
    decision = request.form.get("decision", "")
    comment = request.form.get("comment", "").strip() or None
    wants_json = request.accept_mimetypes.best == "application/json"
    try:
        out = approvals.decide(context.graph(), context.actor(), item_uid, decision, comment,
                               request.form.get("version") or None)
    except DomainError as exc:
        if wants_json:
            return jsonify({"ok": False, "message": message_of(exc)}), exc.status
        flash(f"Not done: {message_of(exc)}", "error")
        return redirect(url_for("work.approval_queue"))
    done = "Approved." if decision == "approved" else "Returned to the requester."
    if wants_json:
        return jsonify({"ok": True, "message": done, "status": out.get("status") or out.get("approval_status")})
    flash(done, "ok")
    return redirect(url_for("work.approval_queue"))


@bp.route("/inbox")
@login_required
def inbox():
    unread = request.args.get("unread") == "1"
    return render_template("inbox.html", items=notifications.inbox(context.graph(), context.actor(),
                                                                    unread_only=unread, limit=200), unread=unread)


@bp.route("/inbox/read", methods=["POST"])
@login_required
def mark_read():
    notifications.mark_read(context.graph(), context.actor(), request.form.getlist("uid"))
    return redirect(url_for("work.inbox"))


def _criteria() -> dict:
    return {k: (request.args.get(k, "").strip() or None) for k in ("user", "record", "since", "until", "action")}


@bp.route("/audit")
@login_required
def audit_log():
    criteria, entries, error = _criteria(), None, None
    page = max(request.args.get("page", 0, type=int), 0)
    if request.args.get("go"):
        try:
            entries = audit.search(context.graph(), context.actor(), **criteria, limit=100, offset=page * 100)
        except ValidationFailed as exc:
            error = message_of(exc)
    given = {k: v for k, v in criteria.items() if v}
    return render_template("audit.html", criteria=criteria, given=given, entries=entries, error=error, page=page,
                           actions=sorted(ACTIONS))


@bp.route("/audit/export.csv")
@login_required
def audit_export():
    out = io.StringIO()
    audit.export_csv(context.graph(), context.actor(), out, **_criteria())
    return Response(out.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": "attachment; filename=audit-log.csv"})
