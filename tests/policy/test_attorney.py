"""The OPLA attorney: reads as an agent of their office does and writes nothing, not even a comment
("OPLA users have read-only access to the system. They are not able to create or modify records",
ICM PIA 2016, Overview). Every write route of the API refuses them, and each refusal is audited."""

from __future__ import annotations

import io
import json
import re

import pytest

from ccms_graph.errors import Forbidden
from ccms_graph.logic.casework import approvals, documents, elsur, grants, workflows
from ccms_graph.logic.entities import access, comments
from ccms_graph.logic.people.users import create_office, create_user
from ccms_graph.policy.actor import SYSTEM
from tests.api import test_idor
from tests.factories import PASSWORD, actor, make_person
from tests.logic.casework.helpers import open_case
from tests.policy import helpers as h

#: Routes that change no case content: the caller's own sign-in, tokens and inbox, and reads sent as POST.
#: A case deconfliction check records who asked about what, which even a reader may do before talking
#: to another agent; it creates no case content.
NOT_CONTENT = ("api_auth.", "api_notifications.mark_read", "api_queries.run_query", "api_cases.check_deconfliction")
CANDIDATES = re.compile(r"^api_deconfliction\.candidates_")

#: Bodies for the write routes that take no uid (the uid-taking ones come from `test_idor.VALID`).
BODIES: dict[tuple[str, str], dict] = {
    ("api_admin.create_office", "POST"): {"json": {"code": "OPLA", "name": "Chief Counsel", "kind": "unit"}},
    ("api_admin.create_user", "POST"): {"json": {"username": "x1", "role": "agent",
                                                 "office_code": "MIA", "password": PASSWORD, "name": "Xavier Doe"}},
    ("api_approvals.decide", "POST"): {"json": {"decision": "approved"}},
    ("api_cases.create_case", "POST"): {"json": {"title": "Counsel's own case"}},
    ("api_lpr.import_sightings", "POST"): {"files": "lpr"},
    ("api_elsur.add_report_of_use", "POST"): {"json": {"date": "2026-03-02", "contact": "R. Quintero",
                                                       "summary": "two calls"}},
    ("api_elsur.cite_elsur", "POST"): {"json": {"elsur_uid": "{elsur_uid}"}},
    ("api_cases.request_combine", "POST"): {"json": {"other_case_uid": "{other_case}"}},
    ("api_links.create_link", "POST"): {"json": {"source_uid": "{record_uid}", "target_uid": "{other_uid}",
                                                 "type": "ASSOCIATE_OF", "reason": "seen together"}},
    ("api_links.retire_link", "POST"): {"json": {"source_uid": "{record_uid}", "target_uid": "{other_uid}",
                                                 "type": "ASSOCIATE_OF", "reason": "not so"}},
    ("api_queries.save_query", "POST"): {"json": {"name": "mine", "text": "MATCH (n:Case) RETURN n LIMIT 5"}},
    ("api_queries.approve_query", "POST"): {"json": {}},
    ("api_records.create_persons", "POST"): {"json": {"given_name": "Ann", "family_name": "Lee"}},
    ("api_deconfliction.merge", "POST"): {"json": {"master_uid": "{record_uid}", "other_uid": "{other_uid}",
                                                   "reason": "same man"}},
    ("api_deconfliction.unmerge", "POST"): {"json": {"other_uid": "{sub_uid}", "reason": "not the same"}},
}
NEW_RECORD = {"businesses": {"name": "Acme"}, "vehicles": {"vin": "1HGCM82633A004352"}, "vessels": {"name": "Sea"},
              "aircraft": {"tail_number": "N12345"}, "things": {"description": "A ledger"}}
IMPORT = re.compile(r"^api_imports\.import_")
CREATE = re.compile(r"^api_records\.create_")


def _write_routes():
    from tests.api.conftest import api_only_app

    out = []
    for rule in api_only_app().url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/") or rule.endpoint.startswith(NOT_CONTENT) \
                or rule.endpoint in NOT_CONTENT or CANDIDATES.match(rule.endpoint):
            continue
        for method in sorted(rule.methods - {"GET", "HEAD", "OPTIONS"}):
            out.append(pytest.param(rule.rule, rule.endpoint, method, id=f"{method} {rule.rule}"))
    return out


ROUTES = _write_routes()


def _attorney(graph):
    create_user(graph, SYSTEM, {"username": "counsel", "name": "Olive Counsel", "role": "attorney",
                                "office_code": "MIA", "password": PASSWORD, "training_expires": "2099-12-31"})
    return actor(graph, "counsel")


@pytest.fixture(scope="module")
def world(session_graph):
    """Miami's open case, with everything a write route could touch, and the attorney of the same office."""
    from ccms_graph.db import clear_database
    from tests.factories import make_org

    graph = session_graph
    clear_database(graph)
    org = make_org(graph)
    case = open_case(graph, org.agent_a, org.sup_mia, title="Miami case")["uid"]
    person = make_person(graph, org.agent_a, case_uid=case, given_name="Rosa", family_name="Quintero")["uid"]
    other = make_person(graph, org.agent_a, case_uid=case, given_name="Luis", family_name="Ortega")["uid"]
    doc = documents.create_document(graph, org.agent_a, case, "Evidence", {"title": "Ledger"})["uid"]
    att = documents.add_attachment(graph, org.agent_a, doc, "l.txt", "text/plain", b"ledger")["uid"]
    grant = grants.request_grant(graph, org.agent_a, case, {"grantee_office": "NYC", "reason": "joint work"})
    req = workflows.request_case_action(graph, org.agent_a, case, "refer", {"referred_to": "USAO"})
    other_case = open_case(graph, org.agent_a, org.sup_mia, title="Second Miami case")["uid"]
    sub = make_person(graph, org.agent_a, case_uid=case, given_name="Rosa", family_name="Quintero",
                      sub_record_of=person)["uid"]
    make_person(graph, org.agent_b, given_name="Rosa", family_name="Quintero", separate_reason="another Rosa")
    create_office(graph, SYSTEM, {"code": "HQ", "name": "Headquarters", "kind": "field_office"})
    create_user(graph, SYSTEM, {"username": "hq_sup", "name": "Hana Quill", "role": "supervisor",
                                "office_code": "HQ", "password": PASSWORD, "training_expires": "2099-12-31"})
    wire = elsur.request_elsur(graph, org.agent_a, case, {"kind": "Title III wire intercept", "target": "+13055550199",
                                                          "justification": "calls arrange the loads"})
    approvals.approve(graph, actor(graph, "hq_sup"), wire["request_uid"])
    hit = graph.query("MATCH (h:DeconflictionHit) RETURN h.uid AS uid LIMIT 1")
    values = {"case_uid": case, "record_uid": person, "other_uid": other, "document_uid": doc,
              "attachment_uid": att, "item_uid": req["uid"], "grant_uid": grant["uid"], "token_uid": "none",
              "username": "agent_a", "hit_uid": hit[0]["uid"] if hit else "none", "own_case": case,
              "member_uid": org.agent_b.uid, "name": "mine", "version": "1", "other_case": other_case,
              "sub_uid": sub, "elsur_uid": wire["uid"]}
    return org, _attorney(graph), values


def test_routes_were_found():
    assert len(ROUTES) >= 40


def _body(endpoint: str, method: str, values: dict) -> dict:
    spec = BODIES.get((endpoint, method)) or test_idor.VALID.get((endpoint, method)) or {}
    if IMPORT.match(endpoint):
        spec = {"files": "jsonl"}
    elif CREATE.match(endpoint) and not spec:
        spec = {"json": NEW_RECORD[endpoint.rsplit("_", 1)[1]]}
    kwargs: dict = {}
    if "json" in spec:
        kwargs["json"] = {k: (v.format(**values) if isinstance(v, str) and "{" in v else v)
                          for k, v in spec["json"].items()}
    if spec.get("files") == "jsonl":
        kwargs["data"] = {"file": (io.BytesIO(b'{"given_name": "Ann", "family_name": "Lee"}\n'), "p.jsonl",
                                   "application/jsonl")}
    elif spec.get("files"):
        data, name, ctype = test_idor.FILES[spec["files"]]
        kwargs["data"] = {"file": (io.BytesIO(data), name, ctype)}
    if "query" in spec:
        kwargs["query_string"] = spec["query"]
    return kwargs


def _denials(graph, who) -> int:
    return graph.query("MATCH (e:AuditEntry {action: 'deny'}) WHERE e.actor_uid = $a RETURN count(e) AS n",
                       {"a": who.uid})[0]["n"]


@pytest.fixture(scope="module")
def counsel_api(world, session_graph):
    from ccms_graph.web import create_app
    from tests.api.conftest import Api, token_for

    app = create_app({"TESTING": True}, graph=session_graph)
    return Api(app.test_client(), token_for(session_graph, world[1]))


@pytest.mark.parametrize(("rule", "endpoint", "method"), ROUTES)
def test_every_write_route_refuses_the_attorney_and_audits_it(rule, endpoint, method, world, counsel_api,
                                                              session_graph):
    graph, (_, counsel, values) = session_graph, world
    before, denials = test_idor._state(graph), _denials(graph, counsel)
    path = re.sub(r"<(?:[^:>]+:)?(\w+)>", lambda m: values[m.group(1)], rule)
    r = counsel_api.request(method, path, **_body(endpoint, method, values))
    assert r.status_code in (403, 404), (r.status_code, r.get_data(as_text=True)[:300])
    assert _denials(graph, counsel) == denials + 1, f"{method} {rule}: the refusal was not audited"
    after = test_idor._state(graph)
    changed = {uid for uid in before if before[uid] != after.get(uid)} | (set(after) - set(before))
    assert not changed, f"{method} {rule} changed {changed}"


def test_the_attorney_reads_as_an_agent_of_the_office_does(graph, org):
    counsel = _attorney(graph)
    case = open_case(graph, org.agent_a, org.sup_mia, title="Miami case")["uid"]
    person = make_person(graph, org.agent_a, case_uid=case, given_name="Rosa", family_name="Quintero")["uid"]
    secret = h.case(graph, org.agent_a, "Sealed", restricted=True)
    nyc = h.case(graph, org.agent_nyc, "New York case")
    assert h.readable_uids(graph, counsel) == h.readable_uids(graph, org.agent_b) >= {case, person}
    assert secret not in h.readable_uids(graph, counsel) and nyc not in h.readable_uids(graph, counsel)
    assert access.view_record(graph, counsel, person)["uid"] == person
    with pytest.raises(Forbidden, match="attorney role"):
        comments.add_comment(graph, counsel, person, {"text": "seen at the port", "kind": "note"})
    (entry,) = graph.query("""MATCH (e:AuditEntry {action: 'deny'}) WHERE e.actor_uid = $a
                              RETURN e.details AS d""", {"a": counsel.uid})
    assert json.loads(entry["d"])["op"] == "comment"
