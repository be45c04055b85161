"""The administrator's accounts page: roles, deactivation and reactivation, training, lockouts."""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request, url_for
from flask_login import login_required

from ...logic.people import administration, users
from ...logic.people import auth as auth_logic
from ...nodes.vocabulary import ROLES
from .. import context
from .helpers import act

bp = Blueprint("admin", __name__)


@bp.route("/admin/users")
@login_required
def users_page():
    return render_template("admin_users.html", users=administration.list_users(context.graph(), context.actor()),
                           roles=ROLES, content_roles=users.CONTENT_ROLES)


def _done(out) -> str:
    if out.get("status") == "pending_approval":
        return f"Sent to a supervisor for approval: {out['username']} stays as they are until it is approved."
    return f"Done: {out['username']}."


#: The page's actions: each calls one logic function with the form's fields.
_ACTIONS = {
    "role": lambda g, a, u, f: users.change_role(g, a, u, {"role": f.get("role", ""), "reason": f.get("reason", "")}),
    "deactivate": lambda g, a, u, f: administration.deactivate_user(g, a, u, {"reason": f.get("reason", "")}),
    "reactivate": lambda g, a, u, f: administration.reactivate_user(g, a, u, {"reason": f.get("reason", "")}),
    "training": lambda g, a, u, f: administration.renew_training(
        g, a, u, {"completed_on": f.get("completed_on", ""), "course": f.get("course") or None}),
    "lockout": lambda g, a, u, f: auth_logic.release_lockout(g, a, u),
}


@bp.route("/admin/users/<username>/<action>", methods=["POST"])
@login_required
def user_action(username: str, action: str):
    call = _ACTIONS.get(action)
    if call is None:
        abort(404)
    return act(lambda: call(context.graph(), context.actor(), username, request.form), _done,
               url_for("admin.users_page"))
