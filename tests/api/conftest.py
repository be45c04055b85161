"""Fixtures for the JSON API tests: the real app on the test database, clients and tokens per role."""

from __future__ import annotations

import pytest

from ccms_graph.logic.people import tokens
from ccms_graph.web import create_app


@pytest.fixture
def app(graph, tmp_path, monkeypatch):
    monkeypatch.setenv("CCMS_FILE_STORE", str(tmp_path / "files"))
    from dataclasses import replace

    graph.settings = replace(graph.settings, file_store=tmp_path / "files", max_upload_bytes=64 * 1024)
    return create_app({"TESTING": True, "MAX_CONTENT_LENGTH": 128 * 1024}, graph=graph)


@pytest.fixture
def client(app):
    return app.test_client()


class Api:
    """A test client that signs every request with one user's bearer token."""

    def __init__(self, client, token: str | None):
        self.client = client
        self.token = token

    def _headers(self, headers):
        out = dict(headers or {})
        if self.token:
            out.setdefault("Authorization", f"Bearer {self.token}")
        return out

    def request(self, method, path, headers=None, **kw):
        return self.client.open(path if path.startswith("/") else f"/api/v1/{path}", method=method,
                                headers=self._headers(headers), **kw)

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, **kw):
        return self.request("POST", path, **kw)

    def patch(self, path, **kw):
        return self.request("PATCH", path, **kw)

    def put(self, path, **kw):
        return self.request("PUT", path, **kw)

    def delete(self, path, **kw):
        return self.request("DELETE", path, **kw)


def api_only_app():
    """A Flask app holding only the /api/v1 routes and document: enough to list routes, no database needed."""
    from flask import Flask

    from ccms_graph.web import api

    app = Flask("ccms_graph.web")
    app.config.update(SECRET_KEY="routes-only", TESTING=True)
    api.init_app(app)
    return app


def token_for(graph, who) -> str:
    return tokens.create_token(graph, who, {"name": f"tests-{who.username}"})["token"]


@pytest.fixture
def as_user(graph, app):
    """`as_user(actor)` -> an Api client carrying that user's personal token."""
    made = {}

    def make(who):
        if who.username not in made:
            made[who.username] = Api(app.test_client(), token_for(graph, who))
        return made[who.username]

    return make
