"""Import jobs across app instances: two apps on one database are two workers of one service; a job queued
through one is followed, and run, through the other."""

from __future__ import annotations

import io
import json
import time
from dataclasses import replace

import pytest

from ccms_graph.db import Graph
from ccms_graph.logic.jobs import imports as import_jobs
from ccms_graph.logic.jobs import queue, worker
from ccms_graph.web import create_app

from .conftest import csrf_from, sign_in

LINES = [json.dumps({"given_name": f"Imported{i}", "family_name": "Person", "ref": f"r{i}"}) for i in range(300)]
LINES += ["not json", json.dumps({"eye_colour": "blue"}), json.dumps({"given_name": "Bad", "ssn": "123"})]


@pytest.fixture(autouse=True)
def _fresh_embedded_workers(no_embedded_worker):
    yield


@pytest.fixture
def two_apps(graph):
    """Two app instances, each with a Graph (a driver) of its own, like two servers."""
    graphs = [Graph(replace(graph.settings, web_embedded_worker=on, worker_poll_seconds=0.1)) for on in (False, True)]
    yield [create_app({"TESTING": True}, graph=g) for g in graphs]
    worker.stop_embedded()
    for g in graphs:
        g.close()


def _signed_in(app, username: str):
    client = app.test_client()
    sign_in(client, username)
    return client


def _upload(client) -> str:
    form = client.get("/imports").get_data(as_text=True)
    answer = client.post("/imports", data={"csrf_token": csrf_from(form), "type": "Person",
                                           "file": (io.BytesIO("\n".join(LINES).encode()), "people.jsonl")},
                         content_type="multipart/form-data")
    assert answer.status_code == 302
    return answer.headers["Location"].rstrip("/").rsplit("/", 1)[-1]


def test_a_job_queued_through_one_app_shows_its_progress_through_another(graph, org, two_apps, monkeypatch):
    quiet = two_apps[0]  # no worker of its own
    other_graph = Graph(replace(graph.settings, web_embedded_worker=False))
    one, two = _signed_in(quiet, "agent_a"), _signed_in(create_app({"TESTING": True}, graph=other_graph), "agent_a")
    try:
        job_id = _upload(one)
        waiting = two.get(f"/ui/imports/{job_id}").get_json()
        assert (waiting["state"], waiting["queued"], waiting["total"], waiting["lines"]) == ("running", True, 303, 0)
        assert "Waiting for a worker" in two.get(f"/imports/{job_id}").get_data(as_text=True)

        # A worker elsewhere loads one batch, then is stopped: both apps show the same progress.
        elsewhere = worker.Worker(graph, name="elsewhere")

        def one_batch(g, claim, check):
            def stop_after_it():
                elsewhere.stop.set()
                check()
            return import_jobs.run(g, claim, stop_after_it)

        monkeypatch.setitem(worker.RUNNERS, import_jobs.KIND, one_batch)
        assert elsewhere.run_next_job()
        monkeypatch.undo()
        views = [c.get(f"/ui/imports/{job_id}").get_json() for c in (one, two)]
        assert views[0] == views[1]
        assert (views[0]["lines"], views[0]["created"], views[0]["last_line"]) == (250, 250, 250)

        worker.Worker(graph).drain()
        done = [c.get(f"/ui/imports/{job_id}").get_json() for c in (one, two)]
        assert done[0] == done[1] and done[0]["state"] == "done" and done[0]["attempts"] == 2
        assert (done[0]["lines"], done[0]["created"]) == (303, 301)
        assert [r["line"] for r in done[0]["refused"]] == [301, 302] and [w["line"] for w in done[0]["warnings"]] == [303]
        assert "Done: 301 records created from 303 lines." in two.get(f"/imports/{job_id}").get_data(as_text=True)
        assert "people.jsonl" in two.get("/imports").get_data(as_text=True)  # listed by the other app too
        assert _signed_in(quiet, "agent_b").get(f"/ui/imports/{job_id}").status_code == 404
    finally:
        other_graph.close()


def test_an_app_with_its_own_worker_runs_a_job_another_app_queued(graph, org, two_apps):
    quiet, working = two_apps
    job_id = _upload(_signed_in(quiet, "agent_a"))
    time.sleep(0.5)
    assert _signed_in(quiet, "agent_a").get(f"/ui/imports/{job_id}").get_json()["queued"]  # nobody runs it yet
    follower = _signed_in(working, "agent_a")  # its import pages start its worker
    deadline = time.monotonic() + 60
    while (job := follower.get(f"/ui/imports/{job_id}").get_json())["state"] == "running" \
            and time.monotonic() < deadline:
        time.sleep(0.2)
    assert (job["state"], job["created"]) == ("done", 301)
    assert graph.query("MATCH (j:Job {uid: $u}) RETURN j.worker AS w", {"u": job_id})[0]["w"].split(":")[2] == "web-0"


def test_a_csv_upload_is_queued_as_its_rows_and_a_bad_header_is_named_on_the_page(graph, org, two_apps):
    one = _signed_in(two_apps[0], "agent_a")
    form = one.get("/imports").get_data(as_text=True)
    assert "JSONL or CSV file" in form and ".csv" in form
    bad = one.post("/imports", data={"csrf_token": csrf_from(form), "type": "Person",
                                     "file": (io.BytesIO(b"ref,ref\nA,B\n"), "people.csv")},
                   content_type="multipart/form-data")
    assert bad.status_code == 422
    assert "the header names &#39;ref&#39; twice (columns 1 and 2)" in bad.get_data(as_text=True)
    assert not graph.query("MATCH (j:Job) RETURN j")
    text = 'Last Name,First Name,Notes\nOrlov,Viktor,"two\nlines"\nReyes,Dana,,extra\n'
    answer = one.post("/imports", data={"csrf_token": csrf_from(form), "type": "Person",
                                        "file": (io.BytesIO(text.encode()), "people.csv")},
                      content_type="multipart/form-data")
    assert answer.status_code == 302
    job_id = answer.headers["Location"].rsplit("/", 1)[-1]
    assert import_jobs.import_job(graph, org.agent_a, job_id)["total"] == 2  # two rows, not five lines
    follower = _signed_in(two_apps[1], "agent_a")  # its import pages start its worker
    deadline = time.monotonic() + 60
    while (job := follower.get(f"/ui/imports/{job_id}").get_json())["state"] == "running" \
            and time.monotonic() < deadline:
        time.sleep(0.2)
    assert (job["state"], job["created"]) == ("done", 1)
    assert job["refused"] == [{"line": 4, "reason": "4 cells, the header has 3 columns"}]
    assert graph.query("MATCH (p:Person) RETURN p.given_name AS g, p.family_name AS f") == [{"g": "Viktor", "f": "Orlov"}]


def test_a_windows_spreadsheets_csv_is_queued_not_refused_as_not_utf8(graph, org, two_apps):
    """Before, the page answered "The file is not UTF-8 text." to Excel's own CSV (Windows-1252)."""
    one = _signed_in(two_apps[0], "agent_a")
    form = one.get("/imports").get_data(as_text=True)
    data = "First Name,Last Name\nJürgen,Müller\n".encode("cp1252")
    answer = one.post("/imports", data={"csrf_token": csrf_from(form), "type": "Person",
                                        "file": (io.BytesIO(data), "people.csv")}, content_type="multipart/form-data")
    assert answer.status_code == 302
    job_id = answer.headers["Location"].rsplit("/", 1)[-1]
    assert import_jobs.import_job(graph, org.agent_a, job_id)["total"] == 1
    queued = [json.loads(line) for line in queue.lines(graph, job_id) if line.strip()]
    assert queued == [{"First Name": "Jürgen", "Last Name": "Müller"}]
