"""IDOR: every API route that takes a uid refuses one outside the caller's scope (404 if hidden, else 403).

The routes are discovered from the app's url_map, so a new uid-taking route fails this test until it is
given a valid request below: the refusal must come from the policy, not from a 422 on a sloppy body.
"""

from __future__ import annotations

import io
import re
from datetime import date

import pytest

from ccms_graph.logic.casework import documents, grants, workflows
from tests.factories import make_person
from tests.logic.casework.helpers import open_case, with_roi

#: Path parameters whose value names something the caller might not be allowed to reach.
UID_PARAMS = ("hit_uid", "case_uid", "record_uid", "document_uid", "attachment_uid", "item_uid", "grant_uid", "token_uid",
              "username")
#: Path parameters naming a case, record, document or attachment in a restricted case: existence is hidden.
HIDDEN_PARAMS = ("case_uid", "record_uid", "document_uid", "attachment_uid")

DISCLOSURE = {"disclosed_on": "2024-01-02", "nature": "Records", "description": "Subject file",
              "purpose": "Joint investigation", "recipient_agency": "Partner agency",
              "recipient_address": "1 Main Street, Anytown"}

#: (endpoint, method) -> a request that would succeed for someone in scope: json body, files, or None.
VALID: dict[tuple[str, str], dict | None] = {
    ("api_auth.revoke_token", "DELETE"): None,
    ("api_cases.get_case", "GET"): None,
    ("api_cases.case_deconfliction_summary", "GET"): None,
    ("api_cases.request_open", "POST"): {"json": {}},
    ("api_cases.request_refer", "POST"): {"json": {"referred_to": "USAO"}},
    ("api_cases.request_close", "POST"): {"json": {"reason": "no_new_information"}},
    ("api_cases.request_reopen", "POST"): {"json": {"comment": "new information arrived"}},
    ("api_cases.request_combine", "POST"): {"json": {"other_case_uid": "{own_case}"}},
    ("api_cases.review_case", "POST"): {"json": {"note": "quarterly"}},
    ("api_cases.list_grants", "GET"): None,
    ("api_cases.request_grant", "POST"): {"json": {"grantee_office": "MIA", "reason": "joint work"}},
    ("api_cases.list_disclosures", "GET"): None,
    ("api_cases.record_disclosure", "POST"): {"json": DISCLOSURE},
    ("api_cases.export_disclosures", "GET"): None,
    ("api_records.get_record", "GET"): None,
    ("api_records.update_record", "PATCH"): {"json": {"middle_name": "Q"}},
    ("api_records.resubmit_record", "POST"): {"json": {}},
    ("api_documents.create_reportofinvestigation", "POST"): {"json": {"title": "ROI"}},
    ("api_documents.create_arrestreport", "POST"): {"json": {"title": "Arrest"}},
    ("api_documents.create_seizurereport", "POST"): {"json": {"title": "Seizure"}},
    ("api_documents.create_surveillancereport", "POST"): {"json": {"title": "Surveillance"}},
    ("api_documents.create_evidence", "POST"): {"json": {"title": "Ledger"}},
    ("api_documents.create_courtrecord", "POST"): {"json": {"title": "Indictment"}},
    ("api_documents.create_casenote", "POST"): {"json": {"title": "Note"}},
    ("api_documents.create_warrant", "POST"): {"json": {"title": "Search warrant"}},
    ("api_documents.get_document", "GET"): None,
    ("api_documents.update_document", "PATCH"): {"json": {"title": "Renamed"}},
    ("api_documents.submit_roi", "POST"): {"json": {}},
    ("api_documents.upload_attachment", "POST"): {"files": True},
    ("api_documents.download_attachment", "GET"): None,
    ("api_graph.neighbours", "GET"): None,
    ("api_approvals.decide", "POST"): {"json": {"decision": "approved"}},
    ("api_approvals.revoke_grant", "POST"): {"json": {"reason": "no longer needed"}},
    ("api_deconfliction.review_hit", "POST"): {"json": {"decision": "dismissed", "reason": "different people"}},
    ("api_admin.lock_state", "GET"): None,
    ("api_admin.release_lockout", "POST"): {"json": {}},
    ("api_admin.change_role", "POST"): {"json": {"role": "analyst", "reason": "moved to the analysis unit"}},
    ("api_admin.deactivate_user", "POST"): {"json": {"reason": "left the agency"}},
    ("api_admin.reactivate_user", "POST"): {"json": {"reason": "back from leave"}},
    ("api_admin.renew_training", "POST"): {"json": {"completed_on": date.today().isoformat()}},
    ("api_retention.mark_significant", "POST"): {"json": {"reason": "historical interest"}},
    ("api_retention.place_legal_hold", "POST"): {"json": {"reason": "civil suit"}},
    ("api_retention.release_legal_hold", "POST"): {"json": {"reason": "suit settled"}},
    ("api_records.delete_record", "DELETE"): {"query": {"reason": "entered twice"}},
    ("api_records.list_comments", "GET"): None,
    ("api_records.add_comment", "POST"): {"json": {"text": "seen at the port", "kind": "note"}},
    ("api_cases.set_restricted", "PUT"): {"json": {"restricted": False, "reason": "open it up"}},
    ("api_cases.add_team_member", "POST"): None,
    ("api_cases.remove_team_member", "DELETE"): None,
    ("api_cases.import_cdr", "POST"): {"files": "cdr"},
    ("api_cases.import_subscribers", "POST"): {"files": "subscribers"},
    ("api_telecom.summary", "GET"): None,
    ("api_telecom.import_misc", "POST"): {"files": "misc"},
    ("api_elsur.request_elsur", "POST"): {"json": {"kind": "Title III wire intercept", "target": "+13055550199",
                                                   "justification": "calls arrange the loads"}},
    ("api_elsur.cite_elsur", "POST"): {"json": {"elsur_uid": "no-such-elsur"}},
    ("api_hours.log_hours", "POST"): {"json": {"date": "2024-01-02", "hours": 1.5}},
    ("api_hours.case_hours", "GET"): None,
    ("api_case_file.case_file_pdf", "GET"): None,
    ("api_lpr.hot_list", "GET"): None,
    ("api_lpr.add_to_hot_list", "POST"): {"json": {"plate": "ABC123", "state": "FL", "reason": "the courier's car",
                                                   "expires_at": f"{date.today().year + 1}-01-01T00:00:00+00:00"}},
    ("api_lpr.remove_from_hot_list", "POST"): {"json": {"entry_uid": "no-such-entry", "reason": "done"}},
}

#: Upload bodies a route would accept (by the VALID entry's "files" value).
FILES = {
    True: (b"%PDF-1.4", "x.pdf", "application/pdf"),
    "cdr": (b"originating_number,terminating_number,start_time,duration\n"
            b"+13055550101,+13055550102,2024-01-02T10:00:00,60\n", "calls.csv", "text/csv"),
    "subscribers": (b"number,subscriber_name\n+13055550101,Ann Other\n", "subs.csv", "text/csv"),
    "lpr": (b"plate,state,seen_at,latitude,longitude\nABC123,FL,2024-01-02T10:00:00,25.77,-80.19\n", "lpr.csv",
            "text/csv"),
    "misc": (b"record_type,time,number,details\nsms log,2024-01-02T10:00:00,+13055550101,three texts\n", "misc.csv",
             "text/csv"),
}


def uid_routes():
    from tests.api.conftest import api_only_app

    app = api_only_app()  # collected before the database starts; the API's routes are all registered here
    out = []
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1/") and set(rule.arguments) & set(UID_PARAMS):
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                out.append(pytest.param(rule.rule, rule.endpoint, method, id=f"{method} {rule.rule}"))
    return out


ROUTES = uid_routes()


def test_routes_were_discovered_and_none_is_unlisted():
    assert len(ROUTES) >= 25
    missing = [(p.values[1], p.values[2]) for p in ROUTES if (p.values[1], p.values[2]) not in VALID]
    assert not missing, f"give these uid-taking routes a valid request in VALID: {missing}"


@pytest.fixture(scope="module")
def world(session_graph):
    """One organisation and one foreign restricted case for the whole module: refused requests change nothing."""
    from ccms_graph.db import clear_database
    from tests.factories import make_org

    clear_database(session_graph)
    org = make_org(session_graph)
    return org, _foreign(session_graph, org)


@pytest.fixture(scope="module")
def outsider(world, session_graph):
    from ccms_graph.web import create_app
    from tests.api.conftest import Api, token_for

    app = create_app({"TESTING": True}, graph=session_graph)
    return Api(app.test_client(), token_for(session_graph, world[0].agent_a))


def _foreign(graph, org):
    """Another office's restricted case with a subject, a document with an attachment, a pending request and grant."""
    case = open_case(graph, org.agent_nyc, org.sup_nyc, title="Restricted NYC case", restricted=True)["uid"]
    person = make_person(graph, org.agent_nyc, case_uid=case, given_name="Secret", family_name="Subject",
                         ssn="123-45-6789")["uid"]
    twin = make_person(graph, org.agent_port, given_name="Secret", family_name="Subject", ssn="123-45-6789")
    assert twin["hits"], "the twin should raise a deconfliction hit"
    hit = graph.query("MATCH (h:DeconflictionHit) RETURN h.uid AS uid")[0]["uid"]
    doc = documents.create_document(graph, org.agent_nyc, case, "Evidence", {"title": "Seized phone"})["uid"]
    att = documents.add_attachment(graph, org.agent_nyc, doc, "phone.txt", "text/plain", b"call log")["uid"]
    grant = grants.request_grant(graph, org.agent_nyc, case, {"grantee_office": "MIA-PEV", "reason": "port"})
    req = workflows.request_case_action(graph, org.agent_nyc, case, "close", with_roi(graph, org.agent_nyc, case, reason="no_new_information"))
    from ccms_graph.logic.people import tokens

    token = tokens.create_token(graph, org.agent_nyc, {"name": "theirs"})["uid"]
    own_case = open_case(graph, org.agent_a, org.sup_mia, title="Own case")["uid"]
    return {"case_uid": case, "record_uid": person, "document_uid": doc, "attachment_uid": att,
            "item_uid": req["uid"], "grant_uid": grant["uid"], "token_uid": token, "username": "agent_nyc", "hit_uid": hit,
            "own_case": own_case, "member_uid": org.agent_b.uid}


def _fill(rule: str, values: dict) -> str:
    return re.sub(r"<(?:\w+:)?(\w+)>", lambda m: values[m.group(1)], rule)


def _state(graph) -> dict:
    return {r["uid"]: r["p"] for r in graph.query(
        "MATCH (n) WHERE n:Case OR n:SubjectRecord OR n:Document OR n:AccessGrant OR n:ApprovalRequest "
        "OR n:ApiToken OR n:Comment OR n:CallRecord OR n:SubscriberRecord OR n:Elsur OR n:ReportOfUse "
        "RETURN coalesce(n.uid, n.fingerprint) AS uid, n {.*, last_used_at: null} AS p")}


@pytest.mark.parametrize(("rule", "endpoint", "method"), ROUTES)
def test_uid_route_refuses_records_outside_scope(rule, endpoint, method, world, outsider, session_graph):
    graph, foreign, api = session_graph, world[1], outsider
    spec = VALID[(endpoint, method)] or {}
    kwargs = {}
    if "json" in spec:
        kwargs["json"] = {k: (v.format(**foreign) if isinstance(v, str) and "{" in v else v)
                          for k, v in spec["json"].items()}
    if spec.get("files"):
        data, name, ctype = FILES[spec["files"]]
        kwargs["data"] = {"file": (io.BytesIO(data), name, ctype)}
    if "query" in spec:
        kwargs["query_string"] = spec["query"]
    before = _state(graph)
    r = api.request(method, _fill(rule, foreign), **kwargs)
    assert r.status_code in (403, 404), (r.status_code, r.get_data(as_text=True)[:300])
    assert r.mimetype == "application/problem+json"
    params = set(re.findall(r"<(?:\w+:)?(\w+)>", rule))
    if params & set(HIDDEN_PARAMS) and endpoint != "api_approvals.decide":
        assert r.status_code == 404, "the restricted case's content must not admit it exists"
    body = r.get_data(as_text=True)
    assert "Secret" not in body and "Seized phone" not in body and "call log" not in body
    after = _state(graph)
    changed = {uid for uid in before if before[uid] != after.get(uid)} | (set(after) - set(before))
    assert not changed, f"{method} {rule} changed {changed}"


def test_create_into_a_foreign_case_and_link_to_its_subject_are_refused(world, outsider):
    api, foreign = outsider, world[1]
    r = api.post("records/persons", json={"given_name": "Ann"}, query_string={"case_uid": foreign["case_uid"]})
    assert r.status_code == 404
    mine = api.post("records/persons", json={"given_name": "Ann"}).get_json()["uid"]
    r = api.post("links", json={"source_uid": foreign["record_uid"], "target_uid": mine, "type": "ASSOCIATE_OF",
                                "reason": "seen together"})
    assert r.status_code in (403, 404)
