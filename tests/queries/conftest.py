"""Fixtures for the saved-query tests: the sandbox seed loaded once per module, its snapshot, its users."""

from __future__ import annotations

import pytest

from ccms_graph.policy.actor import load_actor
from tests.queries.snapshot import Snapshot


@pytest.fixture(scope="module")
def seed_graph(session_graph):
    """The sandbox seed, loaded once for a module of read-only tests (runs only add audit entries and
    notifications, which no catalogue query can see). Function-scoped `graph` tests wipe it, so a module
    uses either this or `graph`, never both."""
    from seed import sandbox

    sandbox.load(session_graph, "seed-test-pass")
    return session_graph


@pytest.fixture(scope="module")
def snap(seed_graph) -> Snapshot:
    return Snapshot.load(seed_graph)


@pytest.fixture(scope="module")
def users(seed_graph):
    """Sandbox users by username, loaded lazily (`users["analyst_nyc"]`)."""

    class Users(dict):
        def __missing__(self, key):
            self[key] = seed_graph.read(load_actor, key)
            return self[key]

    return Users()
