"""Sign-in with the system-use banner, sign-out, server-side sessions, and optional SSO by trusted header."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_login import LoginManager, UserMixin, current_user, login_required, login_user, logout_user

from ..errors import DomainError
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


@login_manager.user_loader
def _load(sid: str):
    actor = sessions.resume_session(context.graph(), sid, context.settings().session_idle_minutes)
    return WebUser(actor, sid) if actor else None


@login_manager.request_loader
def _sso(req):
    """Sign in from a reverse proxy's authenticated-user header (PIV SSO), when configured."""
    header = context.settings().sso_header
    username = req.headers.get(header) if header else None
    if not username:
        return None
    try:
        actor = auth_logic.authenticate_trusted(context.graph(), username, req.remote_addr)
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
