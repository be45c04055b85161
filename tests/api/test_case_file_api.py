"""GET /api/v1/cases/{uid}/file.pdf and the case page's "Print case file (PDF)" link: the PDF for a reader of
the whole case, problem details (never a PDF) for anyone else, and the route in the OpenAPI document."""

from __future__ import annotations

import hashlib
import io

from pypdf import PdfReader

from ccms_graph.logic.casework import documents
from tests.logic.casework.helpers import new_case, open_case
from tests.web.conftest import sign_in

DRAFT = "Draft: the informant Bluebird meets the courier on Tuesday."


def _text(pdf: bytes) -> str:
    return " ".join(" ".join((p.extract_text() or "").split()) for p in PdfReader(io.BytesIO(pdf)).pages)


def test_a_reader_of_the_case_gets_its_pdf_without_drafts(graph, org, as_user):
    case = open_case(graph, org.agent_a, org.sup_mia, "Doral warehouse")
    documents.create_document(graph, org.agent_a, case["uid"], "ReportOfInvestigation",
                              {"title": "Draft report", "narrative": DRAFT})
    r = as_user(org.sup_mia).get(f"cases/{case['uid']}/file.pdf")
    assert r.status_code == 200 and r.mimetype == "application/pdf"
    assert r.headers["X-Content-SHA256"] == hashlib.sha256(r.data).hexdigest()
    assert case["props"]["case_number"] in r.headers["Content-Disposition"]
    text = _text(r.data)
    assert "What was done and why." in text and "Doral warehouse" in text  # the approved opening ROI
    assert "Bluebird" not in text and "Draft report" not in text


def test_no_pdf_for_a_reader_who_may_not_read_the_case(graph, org, as_user):
    case = open_case(graph, org.agent_a, org.sup_mia)
    hidden = new_case(graph, org.agent_b, "Informant handling", restricted=True)
    for who, uid, status in ((org.agent_nyc, case["uid"], 403), (org.admin, case["uid"], 403),
                             (org.agent_a, hidden["uid"], 404), (org.agent_a, "no-such-case", 404)):
        r = as_user(who).get(f"cases/{uid}/file.pdf")
        assert r.status_code == status and r.mimetype == "application/problem+json", (who.username, uid)
        assert not r.data.startswith(b"%PDF") and b"Informant handling" not in r.data


def test_the_route_is_in_the_openapi_document(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    op = spec["paths"]["/api/v1/cases/{case_uid}/file.pdf"]["get"]
    assert "application/pdf" in op["responses"]["200"]["content"]


def test_the_case_page_links_to_the_pdf_and_the_link_serves_it_to_the_signed_in_reader(graph, org, client):
    case = open_case(graph, org.agent_a, org.sup_mia)
    sign_in(client, "agent_b")
    page = client.get(f"/cases/{case['uid']}").get_data(as_text=True)
    href = f"/api/v1/cases/{case['uid']}/file.pdf"
    assert "Print case file (PDF)" in page and href in page
    r = client.get(href)
    assert r.status_code == 200 and r.data.startswith(b"%PDF")
