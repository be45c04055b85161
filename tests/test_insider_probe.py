"""The insider probe (scripts/insider_probe.py) finds a leak: its core runs against the real app on the test
database, through the Flask test client instead of HTTP, for a few hundred requests, and one answer is
doctored to carry a hidden person's SSN and name. The probe must name that answer, and what leaked."""

from __future__ import annotations

import importlib.util
import io
import json
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from ccms_graph.web import create_app
from tests.factories import PASSWORD, make_org, make_person
from tests.logic.casework.helpers import open_case

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "insider_probe.py"
#: The doctored operation (early in the replay): nothing case-related belongs in who the caller is.
DOCTORED = "/api/v1/auth/me"
#: `make_org`'s users and whom each reports to (the probe's table of users, as the README's is for the sandbox).
REPORTS_TO = {"chief": None, "sup_mia": "chief", "agent_a": "sup_mia", "agent_b": "sup_mia", "agent_port": "sup_mia",
              "analyst_mia": "sup_mia", "sup_nyc": None, "agent_nyc": "sup_nyc", "auditor": None, "admin": None}


def _load_probe():
    spec = importlib.util.spec_from_file_location("insider_probe", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault(spec.name, module)  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


class FlaskBackend:
    """The probe's transport over Flask test clients (one per signed-in session, cookies kept)."""

    def __init__(self, app, leak: dict | None = None):
        self.app = app
        self.leak = leak

    def session(self):
        return self.app.test_client()

    def send(self, sess, method, path, *, params=None, json_body=None, files=None, headers=None):
        kwargs = {"method": method, "query_string": params or {}, "headers": headers or {}}
        if files:
            kwargs["data"] = {name: (io.BytesIO(data), fname, ctype) for name, (fname, data, ctype) in files.items()}
        elif json_body is not None:
            kwargs["json"] = json_body
        r = sess.open(path, **kwargs)
        text = r.get_data(as_text=True)
        headers = dict(r.headers)
        if self.leak and path == DOCTORED and r.status_code == 200:
            text = json.dumps({**json.loads(text), "note": f"{self.leak['name']} {self.leak['ssn']}"})
        elif self.leak:  # a random request id that happens to hold the secret's digits is no leak
            headers["X-Request-Id"] = f"47b36{self.leak['ssn'].replace('-', '')}dcab"
        return r.status_code, headers, text

    def cookie(self, sess, name):
        cookie = sess.get_cookie(name)
        return cookie.value if cookie else None


@pytest.fixture
def world(graph, tmp_path):
    """A tiny organisation: a restricted MIA case (its team: agent_a) and an open NYC case, each with a subject."""
    org = make_org(graph)
    hidden_case = open_case(graph, org.agent_a, org.sup_mia, title="Operation Quiet Reef", restricted=True)
    hidden = make_person(graph, org.agent_a, case_uid=hidden_case["uid"], given_name="Secretia",
                         family_name="Hushwood", ssn="123-45-6789")
    nyc_case = open_case(graph, org.agent_nyc, org.sup_nyc, title="Operation Tall Ship")
    make_person(graph, org.agent_nyc, case_uid=nyc_case["uid"], given_name="Manhattan", family_name="Okonkwo")
    graph.settings = replace(graph.settings, file_store=tmp_path / "files")
    app = create_app({"TESTING": True}, graph=graph)
    users = {name: (getattr(org, name).role, getattr(org, name).office_code, boss) for name, boss in REPORTS_TO.items()}
    return app, users, hidden


def _run(probe, app, users, leak=None):
    out = io.StringIO()
    summary, attack = probe.probe(FlaskBackend(app, leak), max_requests=250, max_discovery=400, max_seconds=600,
                                  seed=7, password=PASSWORD, users=users, plant=False, max_rounds=1, out=out)
    return summary, attack, out.getvalue()


def test_the_probe_names_a_planted_leak(world):
    app, users, hidden = world
    probe = _load_probe()
    # The same run, undoctored: the operation is clean, so nothing is reported there.
    summary, attack, report = _run(probe, app, users)
    assert summary["requests"]["attack"] == 250
    assert {p.kind for p in attack.personas} == set(probe.KINDS)
    assert hidden["uid"] in attack.w.items and attack.m.hidden(attack.w.items[hidden["uid"]])
    assert any(e.op == f"GET {DOCTORED}" and e.phase == "attack" for e in attack.t.exchanges)
    assert not [lk for lk in attack.leaks if lk.op == f"GET {DOCTORED}"], report

    summary, attack, report = _run(probe, app, users, {"name": "Secretia Hushwood", "ssn": "123-45-6789"})
    doctored = [lk for lk in attack.leaks if lk.op == f"GET {DOCTORED}"]
    assert {lk.cls for lk in doctored} >= {"secret-name", "secret-identifier"}, report
    assert any("123-45-6789" in lk.evidence or "123456789" in lk.evidence for lk in doctored)
    assert "secret-identifier" in summary["leaks_by_class"]
    assert {lk.op for lk in attack.leaks} == {f"GET {DOCTORED}"}, report
    assert f"GET {DOCTORED}" in report


def test_a_number_the_attacker_sent_is_its_own_not_a_leak():
    """An attacker that sends a hidden vehicle's make, model, plate and `"year": 2015` gets its own record's
    caption back ("2015 Dodge Ram 1500 A205X20"): an echo, which the scanner must not count; the same
    caption in an answer to a request that did not carry those values is still found."""
    probe = _load_probe()
    secret = probe.Secret(value="2015 dodge ram 1500 a205x20", kind="name", item="r1", item_kind="record", hidden=True)
    scanner = probe.Scanner({secret.value: secret}, allowed=set())
    answer = '{"caption": "2015 Dodge Ram 1500 A205X20"}'
    sent = probe.strings_in({"make": "Dodge", "model": "Ram 1500", "plate": "A205X20", "year": 2015}, numbers=True)
    assert scanner.find(answer, sent, set(), probe.tokens_of(sent)) == []
    unsent = probe.strings_in({"make": "Dodge", "model": "Ram 1500", "plate": "A205X20"}, numbers=True)
    assert [s.item for s, _ in scanner.find(answer, unsent, set(), probe.tokens_of(unsent))] == ["r1"]


def test_a_hidden_name_inside_a_readable_name_as_an_explanation_writes_it_is_not_a_leak():
    """A match explanation writes a readable "William Vargas-Morales" as "william vargas morales": the hidden
    "William Vargas" inside it is the readable record's name; the hidden name alone is still found."""
    probe = _load_probe()
    secret = probe.Secret(value="william vargas", kind="name", item="r2", item_kind="record", hidden=True)
    scanner = probe.Scanner({secret.value: secret}, allowed=probe.written_forms({"william vargas-morales"}))
    explained = '{"explanation": [{"field": "name", "a": "mary vargas", "b": "william vargas morales"}]}'
    assert scanner.find(explained, set(), set(), set()) == []
    assert [s.item for s, _ in scanner.find('{"b": "william vargas"}', set(), set(), set())] == ["r2"]
    assert [s.item for s, _ in probe.Scanner({secret.value: secret}, allowed={"william vargas-morales"})
            .find(explained, set(), set(), set())] == ["r2"]  # without the written forms: the false alarm
