"""IDOR on the browser's pages: every page route that takes an id answers a target outside the caller's
scope exactly as it answers an id that never existed, shows none of the target's content, and changes
nothing. The API has its own such test (tests/api/test_idor.py); these routes are the other door.

The routes are discovered from the app's url_map, so a new id-taking page fails this test until it is
given a request below. Each is sent twice by an agent signed in through the page, for each of two
restricted cases they are outside (another office's, and one of their own office whose team they are
not on): once naming the case's things (and their owner's private things: a session, an import job),
and once naming ids of the same shape that never existed; a refusal on a page is a redirect with a flash
message, so both are followed to the end and compared after the ids are replaced by placeholders. A
route naming a case and something inside it is also sent with the caller's *own* case and the foreign
thing, against their own case and a missing thing: the inner id must be checked for itself.
"""

from __future__ import annotations

import difflib
import io
import re
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from ccms_graph.logic.casework import approvals, documents, elsur, grants, workflows
from ccms_graph.logic.jobs import imports as import_jobs
from ccms_graph.logic.jobs import worker
from ccms_graph.logic.location import hotlists
from ccms_graph.logic.people import sessions
from ccms_graph.logic.people.users import create_office, create_user
from ccms_graph.policy.actor import SYSTEM
from tests.factories import PASSWORD, actor, make_person
from tests.logic.casework import doc_files
from tests.logic.casework.helpers import open_case, with_roi
from tests.web.conftest import csrf_from, sign_in

#: Path parameters, by the route's first segment where it matters, and the world's key for each.
_PARAM = {"case_uid": "case", "doc_uid": "roi", "elsur_uid": "elsur", "grant_uid": "grant", "entry_uid": "entry",
          "item_uid": "item", "job_id": "job", "session_uid": "session", "username": "username"}
_UID_OF_PREFIX = {"cases": "case", "documents": "document", "records": "record", "graph": "record", "ui": "record"}

#: A hot-list entry's expiry, within the days an entry may run.
_SOON = (datetime.now(UTC) + timedelta(days=30)).isoformat()

#: (endpoint, method) -> the form that would be accepted from someone in scope (None: no body), and the
#: fixed path values a route needs beyond its ids. Every discovered route must be listed.
FORMS: dict[tuple[str, str], dict | None] = {
    ("auth.end_one_session", "POST"): {},
    ("admin.user_action", "POST"): {"reason": "left the agency"},
    ("work.decide", "POST"): {"decision": "approved", "comment": "fine"},
    ("documents.create_document", "GET"): None,
    ("documents.create_document", "POST"): {"title": "Ledger"},
    ("cases.case_page", "GET"): None,
    ("cases.case_action", "POST"): {"action": "close", "reason": "no_new_information"},
    ("cases.disclosure_record", "POST"): {"disclosed_on": "2024-01-02", "nature": "Records", "description": "File",
                                          "purpose": "Joint work", "recipient_agency": "Partner",
                                          "recipient_address": "1 Main Street, Anytown"},
    ("cases.elsur_request", "POST"): {"kind": "Title III wire intercept", "target": "+13055550199",
                                      "justification": "calls arrange the loads"},
    ("cases.elsur_use", "POST"): {"date": "2024-01-02", "contact": "AUSA Smith", "summary": "briefed"},
    ("cases.grant_request", "POST"): {"grantee_office": "MIA", "reason": "joint work"},
    ("cases.grant_revoke", "POST"): {"reason": "no longer needed"},
    ("cases.hot_list_add", "POST"): {"plate": "ABC123", "state": "FL", "reason": "the courier's car",
                                     "expires_at": _SOON},
    ("cases.hot_list_remove", "POST"): {"reason": "done"},
    ("cases.hours_log", "POST"): {"date": "2024-01-02", "hours": "1.5"},
    ("geo.case_map", "GET"): None,
    ("cases.restricted_switch", "POST"): {"restricted": "no", "reason": "open it up"},
    ("cases.roi_create", "POST"): {"title": "ROI", "narrative": "what we saw"},
    ("cases.roi_save", "POST"): {"title": "ROI", "narrative": "renamed", "version": "1"},
    ("cases.team_change", "POST"): {"op": "add", "username": "agent_b"},
    ("telecom.case_telecom", "GET"): None,
    ("telecom.upload", "POST"): {"file": "cdr"},
    ("documents.document_page", "GET"): None,
    ("documents.upload", "POST"): {"file": "pdf"},
    ("documents.download", "GET"): None,
    ("documents.thumbnail", "GET"): None,
    ("documents.preview", "GET"): None,
    ("documents.edit_document", "GET"): None,
    ("documents.edit_document", "POST"): {"title": "Renamed", "version": "1"},
    ("documents.link_document", "POST"): {"target_uid": "{record}", "type": "MENTIONS"},
    ("documents.submit_document", "POST"): {},
    ("imports.import_job", "GET"): None,
    ("records.record_page", "GET"): None,
    ("records.comment", "POST"): {"text": "seen at the port", "kind": "note"},
    ("records.edit_record", "GET"): None,
    ("records.edit_record", "POST"): {"middle_name": "Q", "version": "1"},
    ("records.link_record", "POST"): {"target_uid": "{own_record}", "type": "ASSOCIATE_OF", "reason": "seen together"},
    ("documents.upload_photos", "POST"): {"file": "jpeg"},
    ("documents.photo", "GET"): None,
    ("records.unlink_record", "POST"): {"target_uid": "{own_record}", "type": "ASSOCIATE_OF", "reason": "mistake"},
    ("records.create_record", "GET"): None,
    ("records.create_record", "POST"): {"given_name": "Ann", "family_name": "Other"},
    ("records.candidates", "POST"): {"given_name": "Secret", "family_name": "Subject"},
    ("explorer.neighbours", "GET"): None,
    ("imports.import_progress", "GET"): None,
}

#: Fixed values of the non-id path parameters.
_FIXED = {"type_name": "Evidence", "kind": "cdr", "action": "deactivate", "name": "recent_office_entities"}

#: Uploads by the FORMS entry's "file" value.
_FILES = {
    "pdf": (b"%PDF-1.4\n%probe\n", "x.pdf", "application/pdf"),
    "jpeg": (doc_files.photo_jpeg(), "x.jpg", "image/jpeg"),
    "cdr": (b"originating_number,terminating_number,start_time,duration\n"
            b"+13055550101,+13055550102,2024-01-02T10:00:00,60\n", "calls.csv", "text/csv"),
}

#: The compartments the caller is outside (`world`).
KINDS = ("other_office", "same_office")

#: Words of the foreign case's content that no answer to the outsider may hold.
SECRETS = ("Secret", "Seized phone", "Restricted NYC case", "Restricted MIA case", "123-45-6789", "call log", "courier-plate")


def page_routes():
    """(rule, endpoint, method) of every non-API page route with a path parameter other than a fixed name."""
    from flask import Flask

    from ccms_graph.web import auth, pages
    from ccms_graph.web.views import BLUEPRINTS

    app = Flask("ccms_graph.web")  # the page blueprints as create_app registers them; no database needed
    for blueprint in (auth.bp, pages.bp, *BLUEPRINTS):
        app.register_blueprint(blueprint)
    out = []
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith(("/api/", "/static")) or not set(rule.arguments) - set(_FIXED):
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            out.append(pytest.param(rule.rule, rule.endpoint, method, id=f"{method} {rule.rule}"))
    return out


ROUTES = page_routes()


def test_page_routes_were_discovered_and_none_is_unlisted():
    assert len(ROUTES) >= 40
    missing = [(p.values[1], p.values[2]) for p in ROUTES if (p.values[1], p.values[2]) not in FORMS]
    assert not missing, f"give these id-taking page routes a request in FORMS: {missing}"


@pytest.fixture(scope="module")
def world(session_graph):
    """One organisation and two restricted compartments the caller (agent_a, Miami) is outside: another office's
    case (New York's) and a case of their own office whose team they are not on (agent_b's); the caller's
    own case and record beside them."""
    from ccms_graph.db import clear_database
    from tests.factories import make_org

    graph = session_graph
    clear_database(graph)
    org = make_org(graph)
    create_office(graph, SYSTEM, {"code": "HQ", "name": "Headquarters", "kind": "field_office"})
    create_user(graph, SYSTEM, {"username": "hq_sup", "name": "Hana Quill", "role": "supervisor",
                                "office_code": "HQ", "password": PASSWORD, "training_expires": "2099-12-31"})
    own_case = open_case(graph, org.agent_a, org.sup_mia, title="Own case")["uid"]
    own = {"own_case": own_case,
           "own_record": make_person(graph, org.agent_a, case_uid=own_case, given_name="Ann", family_name="Own")["uid"]}
    kinds = {"other_office": _compartment(graph, org.agent_nyc, org.sup_nyc, "Restricted NYC case", "MIA-PEV"),
             "same_office": _compartment(graph, org.agent_b, org.sup_mia, "Restricted MIA case", "NYC")}
    worker.stop_embedded()  # no other test's worker thread takes these jobs; they run here, to the end
    worker.Worker(graph).drain()
    return {kind: {**ids, **own} for kind, ids in kinds.items()}


def _compartment(graph, owner, supervisor, title: str, grantee_office: str) -> dict:
    """A restricted case of `owner` holding one of everything a page can name; {name: id}."""
    case = open_case(graph, owner, supervisor, title=title, restricted=True)["uid"]
    person = make_person(graph, owner, case_uid=case, given_name="Secret", family_name="Subject",
                         ssn="123-45-6789")["uid"]
    doc = documents.create_document(graph, owner, case, "Evidence", {"title": "Seized phone"})["uid"]
    att = documents.add_attachment(graph, owner, doc, "phone.txt", "text/plain", b"call log")["uid"]
    roi = with_roi(graph, owner, case, reason="no_new_information")
    grant = grants.request_grant(graph, owner, case, {"grantee_office": grantee_office, "reason": "joint work"})["uid"]
    item = workflows.request_case_action(graph, owner, case, "close", dict(roi))["uid"]
    filed = elsur.request_elsur(graph, owner, case, {"kind": "pen register", "target": "+12125550123",
                                                     "justification": "courier-plate calls"})
    approvals.approve(graph, actor(graph, "hq_sup"), filed["request_uid"])
    entry = hotlists.add_entry(graph, owner, case, {"plate": "NYC777", "state": "NY", "reason": "courier-plate",
                                                    "expires_at": _SOON})["uid"]
    job = import_jobs.enqueue_import(graph, owner, "Person", "secret.jsonl",
                                     ['{"given_name": "Secret", "family_name": "Subject"}'], case_key=case)
    session = sessions.current_session_uid(graph, sessions.start_session(graph, owner))
    photo = documents.add_photos(graph, owner, person, [("face.jpg", "image/jpeg", doc_files.photo_jpeg())])
    return {"case": case, "record": person, "document": doc, "att": att, "roi": roi["roi_uid"], "grant": grant,
            "item": item, "elsur": filed["uid"], "entry": entry, "job": job, "session": session,
            "username": owner.username, "photo": photo[0]["uid"]}


def _missing(values: dict) -> dict:
    """Ids of the same shape as `values`' that never existed (a username too)."""
    out = {k: uuid.uuid4().hex if k not in ("username", "own_case", "own_record") else v for k, v in values.items()}
    out["username"] = "no_such_user"
    return out


def _path(rule: str, ids: dict, own_case: bool) -> str:
    """The rule with its parameters filled from `ids`: a case's or record's page's own id by the route's first
    segment, inner ids by name, fixed names as they are; the caller's own case where `own_case`."""
    prefix = rule.strip("/").split("/")[0]

    def value(m: re.Match) -> str:
        name = m.group(1)
        if name in _FIXED:
            return _FIXED[name]
        if name == "uid":
            key = _UID_OF_PREFIX[prefix]
            return ids["own_case"] if own_case and key == "case" else ids[key]
        if name == "att":
            return ids["photo"] if prefix == "records" else ids["att"]
        return ids[_PARAM[name]]

    return re.sub(r"<(?:[^:>]+:)?(\w+)(?:\([^)]*\))?>", value, re.sub(r"<any\([^)]*\):(\w+)>", r"<\1>", rule))


def _form(endpoint: str, method: str, ids: dict, csrf: str):
    spec = FORMS[(endpoint, method)]
    if spec is None:
        return None
    data = {"csrf_token": csrf}
    for k, v in spec.items():
        if k == "file":
            body, name, ctype = _FILES[v]
            data["files" if v in ("pdf", "jpeg") else "file"] = (io.BytesIO(body), name, ctype)
        else:
            data[k] = v.format(**ids) if isinstance(v, str) and "{" in v else v
    if endpoint in ("records.edit_record",):
        data["type"] = "Person"
    if endpoint in ("documents.edit_document",):
        data["type"] = "Evidence"
    return data


_NOISE = (re.compile(r'name="csrf_token" value="[^"]+"'), re.compile(r'content="[^"]*" name="csrf-token"'),
          re.compile(r'name="csrf-token" content="[^"]*"'), re.compile(r"\d{4}-\d{2}-\d{2}T[\d:.]+(?:Z|[+-]\d{2}:\d{2})?"),
          re.compile(r'nonce="[^"]*"'), re.compile(r'nonce-[A-Za-z0-9+/=_-]+'))


def _normal(text: str, ids: dict) -> str:
    for key, value in sorted(ids.items(), key=lambda kv: -len(kv[1])):
        text = text.replace(value, f"<{key}>")
    for pattern in _NOISE:
        text = pattern.sub("~", text)
    return text


def _answer(client, method: str, path: str, form, ids: dict) -> tuple[int, str, str]:
    """(final status, content type, normalized body) of the request, redirects followed."""
    r = client.open(path, method=method, data=form, follow_redirects=True)
    return r.status_code, r.mimetype, _normal(r.get_data(as_text=True), ids)


@pytest.fixture(scope="module")
def outsider(world, session_graph):
    from ccms_graph.web import create_app

    client = create_app({"TESTING": True}, graph=session_graph).test_client()
    signed = sign_in(client, "agent_a")
    assert signed.status_code in (302, 303), signed.status_code
    return client


#: What the record of an attempt may change: its audit entry (with the chain's head and sequences), the owner's
#: notification of an attempt, the caller's own session and account; everything else must stay as it was.
_BOOKKEEPING = ("AuditEntry", "AuditHead", "Sequence", "Notification", "User", "Schedule")


def _state(graph) -> dict:
    """Every node but the bookkeeping, and every relationship, with their properties."""
    nodes = graph.query("MATCH (n) WHERE none(l IN labels(n) WHERE l IN $skip) "
                        "RETURN elementId(n) AS id, [labels(n), n {.*, last_seen: null}] AS p", {"skip": _BOOKKEEPING})
    links = graph.query("MATCH (a)-[r]->(b) RETURN elementId(r) AS id, [type(r), a.uid, b.uid, properties(r)] AS p")
    return {r["id"]: r["p"] for r in (*nodes, *links)}


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(("rule", "endpoint", "method"), ROUTES)
def test_page_route_answers_a_foreign_target_as_a_missing_one(rule, endpoint, method, kind, world, outsider,
                                                              session_graph):
    graph, foreign = session_graph, world[kind]
    missing = _missing(foreign)
    csrf = csrf_from(outsider.get("/records/new/Person").get_data(as_text=True))
    inner = bool(set(re.findall(r"<(?:[^:>]+:)?(\w+)>", rule)) - {"uid", "type_name", "kind", "action", "name"})
    variants = [False, True] if rule.startswith("/cases/<uid>/") and inner else [False]
    for own_case in variants:
        before = _state(graph)
        got = _answer(outsider, method, _path(rule, foreign, own_case), _form(endpoint, method, foreign, csrf), foreign)
        after = _state(graph)
        changed = {uid for uid in before if before[uid] != after.get(uid)} | (set(after) - set(before))
        assert not changed, f"{method} {rule} changed " + "; ".join(
            f"{u}: {before.get(u)} -> {after.get(u)}" for u in changed)
        none = _answer(outsider, method, _path(rule, missing, own_case), _form(endpoint, method, missing, csrf), missing)
        assert got[0] == none[0] and got[1] == none[1], (got[0], none[0], got[2][:600], none[2][:600])
        assert got[2] == none[2], _diff(got[2], none[2])
        assert got[0] != 500
        for secret in SECRETS:
            assert secret.lower() not in got[2].lower(), f"{method} {rule} shows {secret!r}"


def _diff(a: str, b: str) -> str:
    return "\n".join(list(difflib.unified_diff(a.splitlines(), b.splitlines(), lineterm="", n=1))[:40])


#: Pages that take a foreign id in the query string or the form rather than the path (saved queries' parameters
#: and the audit page's filter among them): (method, path, fields).
#: `{record}` and `{case}` are the foreign case's; `{own_*}` the caller's own.
BY_VALUE = [
    ("GET", "/records/compare", {"a": "{own_record}", "b": "{record}"}),
    ("POST", "/records/merge", {"master_uid": "{own_record}", "other_uid": "{record}", "reason": "one person"}),
    ("POST", "/records/unmerge", {"other_uid": "{record}", "reason": "two people"}),
    ("GET", "/records/new/Person", {"case_uid": "{case}"}),
    ("POST", "/records/new/Person", {"case_uid": "{case}", "given_name": "Ann", "family_name": "Other"}),
    ("POST", "/records/{own_record}/link", {"target_uid": "{record}", "type": "ASSOCIATE_OF", "reason": "seen together"}),
    ("POST", "/records/{own_record}/link", {"target_uid": "{record}", "type": "ASSOCIATE_OF", "reason": "seen together",
                                            "direction": "in"}),
    ("POST", "/records/{own_record}/unlink", {"source_uid": "{record}", "target_uid": "{own_record}",
                                              "type": "ASSOCIATE_OF", "reason": "mistake"}),
    ("POST", "/cases/{own_case}/actions", {"action": "combine", "other_case_uid": "{case}", "comment": "one ring"}),
    ("GET", "/ui/graph/path", {"from": "{own_record}", "to": "{record}"}),
    ("GET", "/explore", {"start": "{record}"}),
    ("GET", "/map", {"case": "{case}", "uids": "{record}"}),
    ("POST", "/queries/case_link_chart", {"case_uid": "{case}"}),
    ("POST", "/queries/most_connected_in_case", {"case_uid": "{case}"}),
    ("POST", "/queries/subjects_near_case", {"case_uid": "{case}", "hops": "4"}),
    ("POST", "/queries/shortest_path", {"from_uid": "{own_record}", "to_uid": "{record}"}),
    ("POST", "/queries/case_link_chart", {"case_uid": "{case}", "format": "csv"}),
    ("GET", "/audit", {"record": "{record}", "go": "1"}),
    ("GET", "/audit/export.csv", {"record": "{record}"}),
]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(("method", "path", "fields"), BY_VALUE, ids=[f"{m} {p} {sorted(f)}" for m, p, f in BY_VALUE])
def test_page_taking_a_foreign_id_by_value_answers_as_for_a_missing_one(method, path, fields, kind, world, outsider,
                                                                       session_graph):
    graph, foreign = session_graph, world[kind]
    missing = _missing(foreign)
    csrf = csrf_from(outsider.get("/records/new/Person").get_data(as_text=True))
    answers = []
    for ids in (foreign, missing):
        values = {k: v.format(**ids) for k, v in fields.items()}
        before = _state(graph)
        if method == "GET":
            r = outsider.get(path.format(**ids), query_string=values, follow_redirects=True)
        else:
            r = outsider.post(path.format(**ids), data={**values, "csrf_token": csrf}, follow_redirects=True)
        after = _state(graph)
        changed = {uid for uid in before if before[uid] != after.get(uid)} | (set(after) - set(before))
        assert not changed, f"{method} {path} changed {changed}"
        answers.append((r.status_code, r.mimetype, _normal(r.get_data(as_text=True), ids)))
    got, none = answers
    assert got[0] != 500 and got[:2] == none[:2], (got[0], none[0], got[2][:600], none[2][:600])
    assert got[2] == none[2], _diff(got[2], none[2])
    for secret in SECRETS:
        assert secret.lower() not in got[2].lower(), f"{method} {path} shows {secret!r}"
