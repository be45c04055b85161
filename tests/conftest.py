"""Test fixtures: a real Neo4j (external, testcontainers, or the project's local server) cleaned per test."""

from __future__ import annotations

import os
from dataclasses import replace

import pytest

from ccms_graph import neo4j_server
from ccms_graph.db import Graph, clear_database, close_graph, install_schema
from ccms_graph.logic.jobs import worker
from ccms_graph.settings import load_settings

# Tests use their own local instance (a separate port and data folder), never the one `make run` serves.
TEST_PORT = int(os.environ.get("CCMS_TEST_NEO4J_BOLT_PORT", "17688"))


def _docker_answers() -> bool:
    try:
        import docker

        client = docker.from_env(timeout=3)
        client.ping()
        return True
    except Exception:
        return False


@pytest.fixture(scope="session")
def test_settings():
    settings = load_settings()
    if settings.neo4j_uri:
        yield settings
        return
    if os.environ.get("CCMS_TEST_USE_DOCKER", "1") == "1" and _docker_answers():
        from testcontainers.neo4j import Neo4jContainer

        with Neo4jContainer("neo4j:5.26-community", password=settings.neo4j_password) as container:
            yield replace(settings, neo4j_uri=container.get_connection_url())
        return
    # Plans are kept for an hour (`Settings.neo4j_min_replan_interval`): each test empties and refills a small
    # graph, which otherwise makes every new app process plan the saved-query catalogue again at start-up.
    # Which plan runs never changes an answer.
    settings = replace(settings, neo4j_bolt_port=TEST_PORT,
                       neo4j_heap=os.environ.get("CCMS_NEO4J_HEAP", "1g"),
                       neo4j_pagecache=os.environ.get("CCMS_NEO4J_PAGECACHE", "512m"),
                       neo4j_min_replan_interval="1h")
    was_running = neo4j_server.status(settings)["bolt"]
    neo4j_server.start(settings)
    yield settings
    if not was_running and os.environ.get("CCMS_TEST_KEEP_SERVER") != "1":
        neo4j_server.stop(settings)  # CI starts from nothing and leaves nothing behind


@pytest.fixture(scope="session")
def session_graph(test_settings):
    from argon2 import PasswordHasher

    from ccms_graph.logic.people import users

    # Real Argon2id, with parameters cheap enough that building an org chart per test stays fast.
    users.use_hasher(PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    graph = Graph(test_settings)
    if test_settings.neo4j_uri and os.environ.get("CCMS_TEST_ALLOW_WIPE") != "1":
        count = graph.query("MATCH (n) RETURN count(n) AS n")[0]["n"]
        if count:
            pytest.exit(f"{test_settings.neo4j_uri} holds {count} nodes; set CCMS_TEST_ALLOW_WIPE=1 "
                        "to let the tests wipe it", returncode=2)
    install_schema(graph)
    import ccms_graph.db as dbmod

    dbmod._graph = graph  # code under test that calls get_graph() shares this driver
    yield graph
    close_graph()


@pytest.fixture
def graph(session_graph):
    """A real, empty database with the schema installed."""
    clear_database(session_graph)
    return session_graph


@pytest.fixture
def no_embedded_worker():
    """No job worker thread left running by another test's app takes this test's jobs (stopped before and after)."""
    worker.stop_embedded()
    yield
    worker.stop_embedded()


@pytest.fixture
def org(graph):
    """A small organisation chart: two field offices, a port, supervisors, agents, an analyst, an auditor."""
    from tests.factories import make_org

    return make_org(graph)
