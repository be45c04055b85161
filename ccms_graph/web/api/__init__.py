"""The JSON API at /api/v1: flask-smorest blueprints, the OpenAPI document, bearer tokens and one error shape."""

from __future__ import annotations

import http
import threading
from html import escape

from flask import Response, current_app
from flask_smorest import Api
from flask_smorest.utils import prepare_response

from ..auth import login_manager
from ..security import csrf
from ..tokens import install
from . import (
    admin_api,
    approvals_api,
    audit_api,
    auth_api,
    case_file_api,
    cases_api,
    deconfliction_api,
    documents_api,
    elsur_api,
    graph_api,
    hours_api,
    imports_api,
    links_api,
    lpr_api,
    map_api,
    notifications_api,
    offices_api,
    queries_api,
    records_api,
    retention_api,
    search_api,
    statistics_api,
    telecom_api,
)
from .common import PREFIX
from .schemas import ProblemSchema

PROBLEM = "application/problem+json"


class CcmsApi(Api):
    """flask-smorest, with RFC 9457 problems documented for every error and the app's own error handlers.

    Blueprints are documented lazily: describing every operation in the OpenAPI document is about two
    thirds of an app's start-up (a test suite starts hundreds), and only the document and its page
    read it, so the first of them documents every blueprint registered (once, under a lock).
    """

    ERROR_SCHEMA = ProblemSchema

    def __init__(self, app=None, **kwargs):
        self._undocumented: list[tuple] = []
        self._documenting = threading.Lock()
        super().__init__(app, **kwargs)

    def register_blueprint(self, blp, *, parameters=None, **options):
        name = options.get("name", blp.name)
        self._app.extensions["flask-smorest"]["blp_name_to_api"][name] = self
        self._app.register_blueprint(blp, **options)
        self._undocumented.append((blp, name, parameters))

    def documented_spec(self):
        """The OpenAPI document (an apispec `APISpec`) with every registered blueprint described."""
        with self._documenting:
            while self._undocumented:
                blp, name, parameters = self._undocumented.pop(0)
                blp.register_views_in_doc(self, self._app, self.spec, name=name, parameters=parameters)
                self.spec.tag({"name": name, "description": blp.description})
        return self.spec

    def _openapi_json(self):
        self.documented_spec()
        return super()._openapi_json()

    def _register_error_handlers(self):
        """Keep web/errors.py's handlers: they already answer problem JSON for every /api/ path."""

    def _register_responses(self):
        for status in http.HTTPStatus:
            response = {"description": status.phrase}
            if status >= 400:
                response["schema"] = self.ERROR_SCHEMA
                prepare_response(response, self.spec, PROBLEM)
            self.spec.components.response(status.name, response, lazy=True)
        response = {"description": "Problem details (RFC 9457)", "schema": self.ERROR_SCHEMA}
        prepare_response(response, self.spec, PROBLEM)
        self.spec.components.response("DEFAULT_ERROR", response, lazy=True)


def _docs_page():
    """A self-contained page listing every operation of the OpenAPI document (no scripts from elsewhere)."""
    spec = current_app.extensions["flask-smorest"]["apis"][""]["ext_obj"].documented_spec().to_dict()
    rows = []
    for path, ops in spec.get("paths", {}).items():
        for method, op in ops.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            rows.append(f"<tr><td><code>{method.upper()}</code></td><td><code>{escape(path)}</code></td>"
                        f"<td>{escape(op.get('summary') or '')}</td><td>{escape(', '.join(op.get('tags', [])))}</td></tr>")
    body = (f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{escape(spec['info']['title'])}"
            f"</title></head><body><h1>{escape(spec['info']['title'])} {escape(spec['info']['version'])}</h1>"
            f"<p>The machine-readable description: <a href='{PREFIX}/openapi.json'>{PREFIX}/openapi.json</a>. "
            "Errors are RFC 9457 problem details. Sign in with <code>POST /api/v1/auth/session</code> "
            "(send <code>X-CSRFToken</code> from <code>GET /api/v1/auth/csrf</code>) or send "
            "<code>Authorization: Bearer &lt;token&gt;</code>.</p>"
            "<table><thead><tr><th>Method</th><th>Path</th><th>Summary</th><th>Tag</th></tr></thead><tbody>"
            + "".join(rows) + "</tbody></table></body></html>")
    return Response(body, mimetype="text/html")


def init_app(app) -> None:
    """Register the API blueprints, the OpenAPI document at /api/v1/openapi.json and the bearer-token loader."""
    app.config.setdefault("API_TITLE", "CCMS-Graph API")
    app.config.setdefault("API_VERSION", "v1")
    app.config.setdefault("OPENAPI_VERSION", "3.0.3")
    app.config.setdefault("OPENAPI_URL_PREFIX", PREFIX)
    app.config.setdefault("OPENAPI_JSON_PATH", "openapi.json")
    app.config.setdefault("API_SPEC_OPTIONS", {
        "components": {"securitySchemes": {
            "bearer": {"type": "http", "scheme": "bearer", "description": "a personal API token"},
            "session": {"type": "apiKey", "in": "cookie", "name": app.config.get("SESSION_COOKIE_NAME", "session"),
                        "description": "a signed-in session; state-changing requests also need X-CSRFToken"},
        }},
        "security": [{"bearer": []}, {"session": []}],
    })
    api = CcmsApi(app)
    install(login_manager)
    for module in (auth_api, cases_api, records_api, links_api, documents_api, search_api, graph_api,
                   queries_api, approvals_api, notifications_api, audit_api, admin_api, offices_api,
                   deconfliction_api, imports_api, retention_api, statistics_api, elsur_api, case_file_api,
                   hours_api, map_api, lpr_api, telecom_api):
        csrf.exempt(module.blp)  # the blueprint's own guard checks CSRF unless a token signed the request in
        api.register_blueprint(module.blp)

    app.add_url_rule(f"{PREFIX}/docs", "api_docs_page", _docs_page)
