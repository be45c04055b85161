"""Web fixtures: the real app over the real test database, and a signed-in client helper."""

from __future__ import annotations

import re

import pytest

from ccms_graph.web import create_app
from tests.factories import PASSWORD


@pytest.fixture
def app(graph):
    return create_app({"TESTING": True}, graph=graph)


@pytest.fixture
def client(app):
    return app.test_client()


def csrf_from(html: str) -> str:
    m = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert m, "page has no CSRF token"
    return m.group(1)


def sign_in(client, username: str, password: str = PASSWORD, acknowledge: bool = True):
    page = client.get("/signin")
    data = {"username": username, "password": password, "csrf_token": csrf_from(page.get_data(as_text=True))}
    if acknowledge:
        data["acknowledge"] = "yes"
    return client.post("/signin", data=data)
