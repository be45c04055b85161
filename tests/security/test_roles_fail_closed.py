"""Roles are allow-listed: a role the policy does not name reads and writes nothing."""

from __future__ import annotations

from dataclasses import replace

import pytest

from ccms_graph.errors import Forbidden, NotFound
from ccms_graph.logic.entities import access, records
from ccms_graph.policy import rules
from tests.factories import make_person


@pytest.mark.parametrize("role", ["clerk", "", "Agent"])
def test_an_unlisted_role_reads_nothing_and_writes_nothing(graph, org, role):
    person = make_person(graph, org.agent_a, given_name="Rosa", family_name="Quintero")
    stranger = replace(org.agent_b, role=role)  # same office as the owner: an agent there would read it
    assert access.view_record(graph, org.agent_b, person["uid"])["uid"] == person["uid"]
    params = rules.actor_params(stranger)
    assert (params["reader"], params["writer"]) == (False, False)
    with pytest.raises((Forbidden, NotFound)):
        access.view_record(graph, stranger, person["uid"])
    with pytest.raises(Forbidden):
        records.create_entity(graph, stranger, "Person", {"given_name": "Ann", "family_name": "Lee"})
