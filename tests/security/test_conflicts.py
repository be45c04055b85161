"""A state conflict answers 409 problem details, never 500; and a document's page opens.

The 500s came from one place: a domain error's extra fact named like a problem-details member
(`Conflict(..., status="approved")`) was passed as a keyword beside the problem's own `status`. The
mapping now renames such a fact (`current_status`) for every domain error, so none can collide.
"""

from __future__ import annotations

import io

import pytest

from ccms_graph.errors import (
    Conflict,
    DomainError,
    Forbidden,
    NotFound,
    TrainingExpired,
    Unavailable,
    ValidationFailed,
)
from ccms_graph.logic.casework import approvals, documents, grants, workflows
from ccms_graph.web import create_app
from tests.api.conftest import Api, token_for
from tests.logic.casework.helpers import open_case
from tests.web.conftest import sign_in

#: The members RFC 9457 defines: an extra fact must never take the place of one.
PROBLEM_MEMBERS = ("type", "title", "status", "detail", "instance")
PROBLEM_KEYS = set(PROBLEM_MEMBERS)


@pytest.fixture
def app(graph, tmp_path):
    from dataclasses import replace

    graph.settings = replace(graph.settings, file_store=tmp_path / "files")
    return create_app({"TESTING": True}, graph=graph)


@pytest.fixture
def as_user(graph, app):
    """`as_user(actor)` -> an API client carrying that user's personal token."""
    return lambda who: Api(app.test_client(), token_for(graph, who))


def _conflict(r, current_status: str | None = None) -> dict:
    assert r.status_code == 409, (r.status_code, r.get_data(as_text=True)[:400])
    assert r.mimetype == "application/problem+json"
    body = r.get_json()
    assert PROBLEM_KEYS <= set(body) and body["status"] == 409 and body["title"] == "Conflict"
    assert body["type"] == "about:blank" and body["instance"] == r.request.path
    if current_status is not None:
        assert body["current_status"] == current_status
    return body


@pytest.fixture
def case(graph, org):
    return open_case(graph, org.agent_a, org.sup_mia)


def test_deciding_a_decided_approval_is_409(as_user, graph, org, case):
    req = workflows.request_case_action(graph, org.agent_a, case["uid"], "refer", {"referred_to": "USAO"})
    sup = as_user(org.sup_mia)
    assert sup.post(f"approvals/{req['uid']}/decision", json={"decision": "approved"}).status_code == 200
    body = _conflict(sup.post(f"approvals/{req['uid']}/decision", json={"decision": "approved"}), "approved")
    assert "already approved" in body["detail"]
    _conflict(sup.post(f"approvals/{req['uid']}/decision", json={"decision": "returned", "comment": "late"}),
              "approved")


def test_editing_submitting_or_attaching_on_an_approved_roi_is_409(as_user, graph, org, case):
    agent = as_user(org.agent_a)
    made = agent.post(f"cases/{case['uid']}/documents/reports-of-investigation", json={"title": "ROI one"})
    assert made.status_code == 201, made.get_json()
    doc = made.get_json()["uid"]
    submitted = agent.post(f"documents/{doc}/submit", json={})
    assert submitted.status_code == 201, submitted.get_json()
    approvals.approve(graph, org.sup_mia, submitted.get_json()["uid"])

    _conflict(agent.patch(f"documents/{doc}", json={"title": "ROI one, revised"}), "approved")
    _conflict(agent.post(f"documents/{doc}/submit", json={}), "approved")
    pdf = {"file": (io.BytesIO(b"%PDF-1.4 late"), "late.pdf", "application/pdf")}
    _conflict(agent.post(f"documents/{doc}/attachments", data=pdf), "approved")
    assert graph.query("MATCH (d:Document {uid: $u}) RETURN d.title AS t, d.status AS s", {"u": doc}) == [
        {"t": "ROI one", "s": "approved"}]


def test_reopening_an_open_case_is_409(as_user, org, case):
    body = _conflict(as_user(org.agent_a).post(f"cases/{case['uid']}/reopen",
                                               json={"comment": "new information"}), "open")
    assert "cannot be reopened" in body["detail"]


def test_revoking_a_revoked_grant_is_409(as_user, graph, org, case):
    grant = grants.request_grant(graph, org.agent_a, case["uid"], {"grantee_office": "NYC", "reason": "joint work"})
    approvals.approve(graph, org.sup_mia, grant["request_uid"])
    agent = as_user(org.agent_a)
    assert agent.post(f"grants/{grant['uid']}/revoke", json={"reason": "done"}).status_code == 200
    _conflict(agent.post(f"grants/{grant['uid']}/revoke", json={"reason": "done twice"}), "revoked")


ERRORS = [DomainError, ValidationFailed, NotFound, Forbidden, Conflict, TrainingExpired, Unavailable]


def _raising_app(graph, error: DomainError):
    app = create_app({"TESTING": True}, graph=graph)

    def boom():
        raise error

    app.add_url_rule("/api/v1/test-only/boom", "boom_api", boom)
    app.add_url_rule("/test-only/boom", "boom_page", boom)
    return app


@pytest.mark.parametrize("cls", ERRORS, ids=lambda c: c.__name__)
def test_no_extra_of_any_domain_error_collides_with_a_problem_member(graph, cls):
    """Every domain error, carrying an extra named like each problem member, still answers its own status."""
    facts = {name: f"its {name}" for name in PROBLEM_MEMBERS if name != "detail"}
    error = ValidationFailed({"field": ["bad"]}) if cls is ValidationFailed else cls("refused", **facts)
    error.extra.update(facts, detail="its detail")  # `detail` is a parameter too: set it as an extra directly
    client = _raising_app(graph, error).test_client()

    r = client.get("/api/v1/test-only/boom")
    assert r.status_code == cls.status and r.mimetype == "application/problem+json"
    body = r.get_json()
    assert (body["type"], body["title"], body["status"], body["instance"]) == (
        "about:blank", cls.title, cls.status, "/api/v1/test-only/boom")
    assert body["detail"] == error.detail
    for name in PROBLEM_MEMBERS:  # kept, under a name of its own
        assert body[f"current_{name}"] == f"its {name}"
    if cls is ValidationFailed:
        assert body["errors"] == {"field": ["bad"]}

    page = client.get("/test-only/boom", headers={"Accept": "text/html"})
    assert page.status_code == cls.status and page.mimetype == "text/html"
    assert cls.title in page.get_data(as_text=True)


def test_a_document_created_through_the_api_opens_on_its_page(app, as_user, graph, org, case):
    made = as_user(org.agent_a).post(f"cases/{case['uid']}/documents/evidence-items", json={"title": "Ledger"})
    assert made.status_code == 201, made.get_json()
    doc = made.get_json()["uid"]
    browser = app.test_client()
    assert sign_in(browser, "agent_a").status_code == 302
    for url in (f"/records/{doc}", f"/cases/{doc}"):  # a document has a page of its own
        r = browser.get(url)
        assert r.status_code == 302, (url, r.status_code)
        assert r.headers["Location"].endswith(f"/documents/{doc}")
    assert browser.get(f"/documents/{doc}").status_code == 200
    page = browser.get(f"/cases/{case['uid']}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and f'id="doc-{doc}"' in html and f'href="/documents/{doc}"' in html and "Ledger" in html


def test_a_documents_page_is_refused_like_the_document_to_someone_outside_the_case(app, graph, org):
    secret = open_case(graph, org.agent_nyc, org.sup_nyc, title="Operation Quiet", restricted=True)
    doc = documents.create_document(graph, org.agent_nyc, secret["uid"], "Evidence", {"title": "Seized phone"})
    browser = app.test_client()
    sign_in(browser, "agent_a")
    for url in (f"/records/{doc['uid']}", f"/cases/{doc['uid']}"):
        r = browser.get(url)
        assert r.status_code == 404 and "Seized phone" not in r.get_data(as_text=True)
