"""The Flask application: factory, extensions, blueprints and error mapping."""

from __future__ import annotations

import secrets
from datetime import timedelta

from flask import Flask

from ..db import Graph, get_graph
from ..queries import loader
from ..settings import load_settings, signing_key
from . import api, auth, consistency, errors, observability, pages, security
from .views import BLUEPRINTS, ui


def create_app(test_config: dict | None = None, graph: Graph | None = None) -> Flask:
    """Build the app: defaults from settings, then `test_config` overrides (the Flask tutorial's wiring).

    The session signing key is never a default written in the source (see `settings.signing_key`).
    Tests may pass their own SECRET_KEY; a TESTING app without one gets a random key of its own, so a
    test run neither reads nor writes the instance's kept key.
    """
    settings = load_settings()
    test_config = dict(test_config or {})
    if "SECRET_KEY" in test_config:
        key = test_config.pop("SECRET_KEY")
    elif test_config.get("TESTING"):
        key = secrets.token_urlsafe(48)
    else:
        key = signing_key(settings)
    app = Flask(__name__, instance_relative_config=False)
    app.config.from_mapping(
        SECRET_KEY=key,
        CCMS_SETTINGS=settings,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.secure_cookies,
        PERMANENT_SESSION_LIFETIME=timedelta(minutes=settings.session_idle_minutes),
        MAX_CONTENT_LENGTH=settings.max_upload_bytes,
        WTF_CSRF_TIME_LIMIT=None,
        WTF_CSRF_SSL_STRICT=False,
    )
    if test_config:
        app.config.update(test_config)

    app.extensions["ccms_graph"] = graph or get_graph(settings)
    # A malformed saved-query file stops start-up, named, instead of failing when someone runs it.
    loader.check_catalogue(app.extensions["ccms_graph"])

    observability.init_app(app)
    security.init_app(app)
    consistency.init_app(app)
    auth.init_app(app)
    errors.init_app(app)
    # Every blueprint is registered here, once: sign-in, the desktop, the page areas, then the JSON API.
    for blueprint in (auth.bp, pages.bp, *BLUEPRINTS):
        app.register_blueprint(blueprint)
    ui.init_app(app)
    api.init_app(app)
    return app
