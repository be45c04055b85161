"""Bounded property-based run of the served OpenAPI document: as agent, supervisor, analyst and auditor,
no operation answers 5xx, an undocumented status or content type, or a body that breaks its schema."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from ccms_graph.web import create_app
from tests.api.conftest import api_only_app, token_for

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
ROLES = ("agent_a", "sup_mia", "analyst_mia", "auditor")
#: Generated requests per operation (each sent once per role); the live-server script goes further.
MAX_EXAMPLES = 5


@pytest.fixture(scope="module")
def fuzz_world(session_graph, tmp_path_factory):
    """A seeded organisation with an open case, a subject and a document, shared by every generated call."""
    from dataclasses import replace

    from ccms_graph.db import clear_database
    from ccms_graph.logic.casework import documents
    from tests.factories import make_org, make_person
    from tests.logic.casework.helpers import open_case

    clear_database(session_graph)
    saved = session_graph.settings
    session_graph.settings = replace(saved, file_store=tmp_path_factory.mktemp("files"))
    org = make_org(session_graph)
    case = open_case(session_graph, org.agent_a, org.sup_mia)
    make_person(session_graph, org.agent_a, case_uid=case["uid"])
    documents.create_document(session_graph, org.agent_a, case["uid"], "Evidence", {"title": "Ledger"})
    _App.target = create_app({"TESTING": True}, graph=session_graph)
    headers = {role: {"Authorization": f"Bearer {token_for(session_graph, getattr(org, role))}"} for role in ROLES}
    yield headers
    session_graph.settings = saved


class _App:
    """The WSGI app schemathesis calls: the API alone while the document is loaded at collection (before the
    database starts), then the full app on the seeded test database (set by the `fuzz_world` fixture)."""

    target = api_only_app()

    def __call__(self, environ, start_response):
        return _App.target(environ, start_response)


APP = _App()
OPERATIONS = {op.label: op for op in (r.ok() for r in
                                      schemathesis.openapi.from_wsgi("/api/v1/openapi.json", APP).get_all_operations())}


@pytest.mark.parametrize("label", sorted(OPERATIONS))
def test_no_server_errors_or_schema_violations(label, fuzz_world):
    headers = fuzz_world
    operation = OPERATIONS[label]

    @given(case=operation.as_strategy())
    @settings(max_examples=MAX_EXAMPLES, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck), phases=[Phase.explicit, Phase.generate])
    def run(case):
        for role_headers in headers.values():
            case.call_and_validate(headers=role_headers, checks=CHECKS)

    run()
