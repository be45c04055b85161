"""Sign-in with the system-use banner, sign-out, server-side sessions, and optional SSO by trusted header.

Every request resumes its server-side session (`sessions.resume_session`), so a session that was ended
or revoked, or whose user was deactivated, stops working on its very next request; a user whose
training has expired is refused with the training message (`refusal`), not sent back to sign in.
"""

from __future__ import annotations

from flask import Blueprint, flash, g, redirect, render_template, request, session, url_for
from flask_login import (
    LoginManager,
    UserMixin,
    current_user,
    login_required,
    login_url,
    login_user,
    logout_user,
)

from ..errors import DomainError, TrainingExpired
from ..logic.people import auth as auth_logic
from ..logic.people import sessions
from ..policy.actor import Actor
from . import context

bp = Blueprint("auth", __name__)
login_manager = LoginManager()
login_manager.login_view = "auth.signin"
login_manager.login_message = "Please sign in."
login_manager.session_protection = "strong"

#: Shown before sign-in and acknowledged with every sign-in.
BANNER = (
    "You are accessing a U.S. Government information system. Usage may be monitored, recorded and "
    "audited. Unauthorized use is prohibited and subject to criminal and civil penalties. By signing "
    "in you consent to monitoring and acknowledge that you have no expectation of privacy."
)


class WebUser(UserMixin):
    """flask-login's view of a server-side session."""

    def __init__(self, actor: Actor, sid: str):
        self.actor = actor
        self.sid = sid

    def get_id(self) -> str:
        return self.sid


def refuse_later(exc: DomainError) -> None:
    """Keep a refusal met while loading the user (expired training), to answer it instead of "sign in"."""
    g.ccms_refusal = exc


def refusal() -> DomainError | None:
    """The refusal met while loading this request's user, if any."""
    return g.get("ccms_refusal")


@login_manager.user_loader
def _load(sid: str):
    try:
        actor = sessions.resume_session(context.graph(), sid, context.settings().session_idle_minutes,
                                        context.client_address())
    except TrainingExpired as exc:
        refuse_later(exc)
        return None
    return WebUser(actor, sid) if actor else None


@login_manager.unauthorized_handler
def _unauthorized():
    """A page that needs a user: the training refusal if that is why there is none, else the sign-in page."""
    exc = refusal()
    if exc is not None:
        raise exc
    flash(login_manager.login_message, login_manager.login_message_category)
    return redirect(login_url(login_manager.login_view, next_url=request.url))


@login_manager.request_loader
def _sso(req):
    """Sign in from a reverse proxy's authenticated-user header (PIV SSO), when configured."""
    header = context.settings().sso_header
    username = req.headers.get(header) if header else None
    if not username:
        return None
    try:
        actor = auth_logic.authenticate_trusted(context.graph(), username, req.remote_addr)
    except TrainingExpired as exc:
        refuse_later(exc)
        return None
    except DomainError:
        return None
    sid = sessions.start_session(context.graph(), actor)
    return WebUser(actor, sid)


def init_app(app) -> None:
    login_manager.init_app(app)


@bp.route("/signin", methods=["GET", "POST"])
def signin():
    if current_user.is_authenticated:
        return redirect(url_for("pages.desktop"))
    error = None
    if request.method == "POST":
        username = request.form.get("username", "").strip().lower()
        password = request.form.get("password", "")
        if request.form.get("acknowledge") != "yes":
            error = "Acknowledge the system-use notice to continue."
        elif not username or not password:
            error = "Enter your username and password."
        else:
            try:
                actor = auth_logic.authenticate(context.graph(), username, password, request.remote_addr)
            except DomainError as exc:
                error = exc.detail
            else:
                session.clear()  # a new session on sign-in
                sid = sessions.start_session(context.graph(), actor)
                login_user(WebUser(actor, sid))
                session.permanent = True
                target = request.args.get("next", "")
                if not target.startswith("/") or target.startswith("//"):
                    target = url_for("pages.desktop")
                return redirect(target)
    return render_template("signin.html", banner=BANNER, error=error), (401 if error else 200)


@bp.route("/signout", methods=["POST"])
@login_required
def signout():
    sessions.end_session(context.graph(), context.actor(), current_user.sid)
    logout_user()
    session.clear()
    flash("You have signed out.")
    return redirect(url_for("auth.signin"))


# ---------------------------------------------------------------------------------------------
# The user's own sessions: see them, end one, end all the others
# ---------------------------------------------------------------------------------------------

@bp.route("/account/sessions")
@login_required
def my_sessions():
    rows = sessions.list_sessions(context.graph(), context.actor(), context.settings().session_idle_minutes,
                                  current_user.sid)
    return render_template("sessions.html", sessions=rows)


@bp.route("/account/sessions/<session_uid>/end", methods=["POST"])
@login_required
def end_one_session(session_uid: str):
    try:
        sessions.revoke_session(context.graph(), context.actor(), session_uid, "ended by its user")
    except DomainError as exc:
        flash(f"Not done: {exc.detail}", "error")
    else:
        flash("Session ended.", "ok")
    return redirect(url_for("auth.my_sessions"))


@bp.route("/account/sessions/end-others", methods=["POST"])
@login_required
def end_other_sessions():
    out = sessions.end_other_sessions(context.graph(), context.actor(), current_user.sid)
    flash(f"Signed out everywhere else ({out['sessions_ended']} session(s) ended).", "ok")
    return redirect(url_for("auth.my_sessions"))
