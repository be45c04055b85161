"""The Flask application: factory, extensions, blueprints and error mapping."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask

from ..settings import load_settings


def create_app(test_config: dict | None = None, graph=None) -> Flask:
    """Build the app: defaults from settings, then `test_config` overrides (the Flask tutorial's wiring)."""
    settings = load_settings()
    app = Flask(__name__, instance_relative_config=False)
    app.config.from_mapping(
        SECRET_KEY=settings.secret_key,
        CCMS_SETTINGS=settings,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=False,  # set True behind TLS: CCMS_SECURE_COOKIES=1
        PERMANENT_SESSION_LIFETIME=timedelta(minutes=settings.session_idle_minutes),
        MAX_CONTENT_LENGTH=settings.max_upload_bytes,
        WTF_CSRF_TIME_LIMIT=None,
        WTF_CSRF_SSL_STRICT=False,
    )
    import os

    if os.environ.get("CCMS_SECURE_COOKIES") == "1":
        app.config["SESSION_COOKIE_SECURE"] = True
    if test_config:
        app.config.update(test_config)

    from ..db import get_graph

    app.extensions["ccms_graph"] = graph or get_graph(settings)

    # A malformed saved-query file stops start-up, named, instead of failing when someone runs it.
    from ..queries import loader

    loader.check_catalogue(app.extensions["ccms_graph"])

    from . import auth, errors, pages, security

    security.init_app(app)
    auth.init_app(app)
    errors.init_app(app)
    app.register_blueprint(auth.bp)
    app.register_blueprint(pages.bp)
    try:
        from . import api
    except ImportError:  # the JSON API arrives as its own package
        api = None
    if api is not None and hasattr(api, "init_app"):
        api.init_app(app)
    return app
