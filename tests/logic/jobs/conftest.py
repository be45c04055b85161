"""Job fixtures: no worker left running by another test (the web app's own) takes these tests' jobs, and
import lines whose counts exercise every kind of outcome."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from ccms_graph.db import Graph


@pytest.fixture(autouse=True)
def _no_embedded_worker(no_embedded_worker):
    yield


@pytest.fixture
def short_lease(graph):
    """A second Graph (another "process": its own driver) whose workers hold a job for one second, and look
    for work every tenth of a second."""
    other = Graph(replace(graph.settings, job_lease_seconds=1.0, worker_poll_seconds=0.1, web_embedded_worker=False))
    yield other
    other.close()


def people_lines(n: int = 230) -> list[str]:
    """`n` lines: people (every 7th a copy of an earlier one: hits and sub-records), a refused line every
    37th, a dropped field every 23rd, and blank lines (numbered, never loaded)."""
    out = []
    for i in range(n):
        if i % 37 == 36:
            out.append("not json" if i % 2 else json.dumps({"eye_colour": "blue"}))
        elif i % 41 == 40:
            out.append("")
        elif i % 7 == 6:
            j = i - 5
            out.append(json.dumps({"ref": f"r{i}", "given_name": f"Given{j}", "family_name": f"Family{j}",
                                   "dob": f"19{50 + j % 40}-0{1 + j % 9}-1{j % 9}"}))
        else:
            person = {"ref": f"r{i}", "given_name": f"Given{i}", "family_name": f"Family{i}",
                      "dob": f"19{50 + i % 40}-0{1 + i % 9}-1{i % 9}"}
            if i % 23 == 22:
                person["ssn"] = "123"
            out.append(json.dumps(person))
    return out
