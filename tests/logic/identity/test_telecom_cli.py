"""`ccms-graph telecom import-misc`: miscellaneous records from the shell, audited and listed like the others."""

from __future__ import annotations

import json

import pytest

from ccms_graph.cli import main
from ccms_graph.logic.casework.cases import create_case
from ccms_graph.logic.identity import telecom_analysis


@pytest.fixture
def cli_env(monkeypatch, test_settings):
    monkeypatch.setenv("CCMS_NEO4J_URI", test_settings.neo4j_uri or test_settings.local_bolt_uri)


def test_import_misc_from_the_command_line(graph, org, tmp_path, capsys, cli_env):
    case = create_case(graph, org.agent_a, {"title": "Operation Shell"})
    misc = tmp_path / "misc-returns.csv"
    misc.write_text("imsi,record_type,time,details\n310150123456789,sim swap,2026-01-06T08:00:00Z,store 14\n"
                    "31015,sim swap,2026-01-06T09:00:00Z,\n")
    assert main(["telecom", "import-misc", "--case", case["props"]["case_number"], str(misc), "--owner", "agent_a"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["loaded"] == 1 and [r["row"] for r in result["refused"]] == [3]
    assert result["refused"][0]["reason"].startswith("imsi: ")
    (imp,) = telecom_analysis.summary(graph, org.agent_a, case["uid"])["imports"]
    assert (imp["kind"], imp["filename"], imp["refused"]) == ("misc", "misc-returns.csv", 1)
