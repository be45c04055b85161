"""An access grant to an office reaches the users of that office and of the ports and units within it —
never the users of the office it lies within. (Port Everglades, MIA-PEV, lies within Miami, MIA.)"""

from __future__ import annotations

import pytest

from ccms_graph.errors import Forbidden
from ccms_graph.logic.entities import access
from tests.policy import helpers as h


@pytest.fixture
def nyc_case(graph, org):
    """An unrestricted New York case with a subject: Miami reads neither until a grant opens them."""
    case = h.case(graph, org.agent_nyc, "Operation Hudson")
    return case, h.person(graph, org.agent_nyc, case, given_name="Hudson")


def _reads(graph, who, uid) -> bool:
    try:
        return access.view_record(graph, h.reload(graph, who), uid)["uid"] == uid
    except Forbidden:
        return False


def test_a_grant_to_a_port_does_not_reach_the_field_office_above_it(graph, org, nyc_case):
    case, subject = nyc_case
    h.grant(graph, case, office="MIA-PEV")

    assert _reads(graph, org.agent_port, case) and _reads(graph, org.agent_port, subject)
    for above in (org.agent_a, org.analyst_mia, org.sup_mia, org.chief):  # Miami users, port's supervisors too
        assert not _reads(graph, above, case) and not _reads(graph, above, subject), above.username
        assert case not in h.reload(graph, above).granted_cases


def test_a_grant_to_a_field_office_reaches_its_ports(graph, org, nyc_case):
    case, subject = nyc_case
    h.grant(graph, case, office="MIA")

    for who in (org.agent_a, org.analyst_mia, org.agent_port):
        assert _reads(graph, who, case) and _reads(graph, who, subject), who.username
        assert case in h.reload(graph, who).granted_cases
