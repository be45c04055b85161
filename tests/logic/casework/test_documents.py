"""Reports of Investigation and other documents: the draft/submit/approve/return cycle, and attachments."""

from __future__ import annotations

import hashlib

import pytest

from ccms_graph.errors import Conflict, Forbidden, NotFound, ValidationFailed
from ccms_graph.logic.casework import approvals, documents
from tests.logic.casework import doc_files
from tests.logic.casework.helpers import audit_actions, open_case

PDF = b"%PDF-1.4 minimal test document\n"


@pytest.fixture
def case(graph, org):
    return open_case(graph, org.agent_a, org.sup_mia, team_uids=[org.agent_b.uid])


def approved(graph, org, case, type_name="Evidence", **fields):
    """A document of `type_name` by agent_a, submitted and approved by sup_mia: available to the case's readers."""
    doc = documents.create_document(graph, org.agent_a, case["uid"], type_name, {"title": "Item", **fields})
    approvals.approve(graph, org.sup_mia, documents.submit_document(graph, org.agent_a, doc["uid"])["uid"])
    return doc


def _roi(graph, who, case, **fields):
    return documents.create_document(graph, who, case["uid"], "ReportOfInvestigation",
                                     {"title": "Opening ROI", "narrative": "Initial facts.", **fields})


def test_roi_draft_submitted_approved(graph, org, case):
    roi = _roi(graph, org.agent_a, case)
    assert roi["props"]["status"] == "draft" and roi["props"]["author_uid"] == org.agent_a.uid
    documents.update_document(graph, org.agent_a, roi["uid"], {"narrative": "Facts, with more detail."})
    req = documents.submit_roi(graph, org.agent_a, roi["uid"])
    assert documents.get_document(graph, roi["uid"])["props"]["status"] == "submitted"
    approvals.approve(graph, org.sup_mia, req["uid"])
    got = documents.get_document(graph, roi["uid"])["props"]
    assert got["status"] == "approved" and got["approved_by"] == org.sup_mia.uid
    assert got["narrative"] == "Facts, with more detail."
    assert audit_actions(graph, req["uid"]) == ["request", "approve"]


def test_roi_returned_revised_and_resubmitted(graph, org, case):
    roi = _roi(graph, org.agent_a, case)
    req = documents.submit_roi(graph, org.agent_a, roi["uid"])
    approvals.return_item(graph, org.sup_mia, req["uid"], "cite the seizure report")
    got = documents.get_document(graph, roi["uid"])["props"]
    assert got["status"] == "returned" and got["return_comment"] == "cite the seizure report"
    documents.update_document(graph, org.agent_a, roi["uid"], {"narrative": "See seizure report 12."})
    got = documents.get_document(graph, roi["uid"])["props"]
    assert got["status"] == "draft" and got["revised_at"]  # revised: back to draft
    again = documents.submit_roi(graph, org.agent_a, roi["uid"])
    approvals.approve(graph, org.sup_mia, again["uid"])
    assert documents.get_document(graph, roi["uid"])["props"]["status"] == "approved"
    assert [r["status"] for r in approvals.requests_for(graph, roi["uid"])] == ["returned", "approved"]


def test_a_returned_roi_may_be_resubmitted_unchanged(graph, org, case):
    roi = _roi(graph, org.agent_a, case)
    req = documents.submit_roi(graph, org.agent_a, roi["uid"])
    approvals.return_item(graph, org.sup_mia, req["uid"], "please confirm the dates")
    documents.submit_roi(graph, org.agent_a, roi["uid"])
    assert documents.get_document(graph, roi["uid"])["props"]["status"] == "submitted"


@pytest.mark.parametrize("who,error", [("agent_b", NotFound), ("sup_mia", Forbidden), ("chief", Forbidden)])
def test_only_the_author_edits_or_submits_a_draft(graph, org, case, who, error):
    """A teammate may not even learn the draft exists; the author's supervisors see it but do not edit it."""
    roi = _roi(graph, org.agent_a, case)
    with pytest.raises(error):
        documents.update_document(graph, getattr(org, who), roi["uid"], {"title": "Changed"})
    with pytest.raises(error):
        documents.submit_roi(graph, getattr(org, who), roi["uid"])
    assert documents.get_document(graph, roi["uid"])["props"]["title"] == "Opening ROI"


def test_submitted_and_approved_rois_are_read_only(graph, org, case):
    roi = _roi(graph, org.agent_a, case)
    req = documents.submit_roi(graph, org.agent_a, roi["uid"])
    with pytest.raises(Conflict, match="read-only"):
        documents.update_document(graph, org.agent_a, roi["uid"], {"title": "Sneaky"})
    with pytest.raises(Conflict):
        documents.submit_roi(graph, org.agent_a, roi["uid"])
    with pytest.raises(Conflict):
        documents.add_attachment(graph, org.agent_a, roi["uid"], "a.pdf", "application/pdf", PDF)
    approvals.approve(graph, org.sup_mia, req["uid"])
    with pytest.raises(Conflict, match="read-only"):
        documents.update_document(graph, org.agent_a, roi["uid"], {"title": "Sneaky"})
    with pytest.raises(Conflict):
        documents.submit_roi(graph, org.agent_a, roi["uid"])
    assert documents.get_document(graph, roi["uid"])["props"]["title"] == "Opening ROI"


@pytest.mark.parametrize("who,error", [("agent_a", Forbidden), ("auditor", Forbidden), ("agent_b", NotFound),
                                       ("sup_nyc", NotFound), ("admin", NotFound)])
def test_roi_approver_must_be_above_the_author(graph, org, case, who, error):
    """Those who may not even see the submitted draft are told there is no such item; the others, no."""
    roi = _roi(graph, org.agent_a, case)
    req = documents.submit_roi(graph, org.agent_a, roi["uid"])
    with pytest.raises(error):
        approvals.approve(graph, getattr(org, who), req["uid"])
    assert documents.get_document(graph, roi["uid"])["props"]["status"] == "submitted"


def test_supervisor_cannot_approve_their_own_roi(graph, org, case):
    roi = _roi(graph, org.sup_mia, case)
    req = documents.submit_roi(graph, org.sup_mia, roi["uid"])
    with pytest.raises(Forbidden, match="self-approval"):
        approvals.approve(graph, org.sup_mia, req["uid"])
    approvals.approve(graph, org.chief, req["uid"])


def test_other_documents_are_drafts_until_a_supervisor_approves_them(graph, org, case):
    """CCMS PIA §2.4: case documents are "reviewed and approved by a supervisor prior to being available"."""
    doc = documents.create_document(graph, org.agent_a, case["uid"], "SeizureReport",
                                    {"title": "Seizure 12", "incident_date": "2026-03-02"})
    assert doc["props"]["status"] == "draft" and doc["props"]["incident_date"] == "2026-03-02"
    documents.update_document(graph, org.agent_a, doc["uid"], {"place": "Port Everglades"})
    with pytest.raises(NotFound):  # a teammate may not even learn the draft exists
        documents.update_document(graph, org.agent_b, doc["uid"], {"place": "Dock 4"})
    with pytest.raises(Forbidden):  # the author's supervisor sees it, and does not edit it
        documents.update_document(graph, org.sup_mia, doc["uid"], {"title": "x"})
    with pytest.raises(Conflict):
        documents.update_document(graph, org.agent_a, doc["uid"], {"title": "x"}, expected_version=1)
    req = documents.submit_document(graph, org.agent_a, doc["uid"])
    assert req["kind"] == "document"
    with pytest.raises(Conflict, match="read-only"):
        documents.update_document(graph, org.agent_a, doc["uid"], {"title": "x"})
    approvals.approve(graph, org.sup_mia, req["uid"])
    got = documents.get_document(graph, doc["uid"])["props"]
    assert got["status"] == "approved" and got["place"] == "Port Everglades" and got["approved_by"] == org.sup_mia.uid


def test_a_document_filed_before_approvals_stays_with_the_case_writers(graph, org, case):
    doc = documents.create_document(graph, org.agent_a, case["uid"], "Evidence", {"title": "Old ledger"})
    graph.query("MATCH (d:Document {uid: $u}) SET d.status = 'filed'", {"u": doc["uid"]}, write=True)
    documents.update_document(graph, org.agent_b, doc["uid"], {"description": "Green ledger"})
    with pytest.raises(Conflict, match="available already"):
        documents.submit_document(graph, org.agent_a, doc["uid"])
    with pytest.raises(Forbidden):
        documents.update_document(graph, org.analyst_mia, doc["uid"], {"title": "x"})


# ---------------------------------------------------------------------------------------------
# Attachments
# ---------------------------------------------------------------------------------------------


def test_attachment_bytes_stored_by_sha256_and_read_back(graph, org, case, tmp_path):
    ev = documents.create_document(graph, org.agent_a, case["uid"], "Evidence", {"title": "Ledger"})
    att = documents.add_attachment(graph, org.agent_a, ev["uid"], "../../etc/ledger.pdf",
                                   "application/pdf; charset=binary", PDF, store=tmp_path)
    sha = hashlib.sha256(PDF).hexdigest()
    assert att["sha256"] == sha and att["size"] == len(PDF) and att["filename"] == "ledger.pdf"
    assert att["content_type"] == "application/pdf"
    assert (tmp_path / sha[:2] / sha).read_bytes() == PDF
    assert [a["uid"] for a in documents.get_document(graph, ev["uid"])["attachments"]] == [att["uid"]]
    meta, data = documents.download_attachment(graph, org.agent_a, ev["uid"], att["uid"], store=tmp_path)
    assert data == PDF and meta["uid"] == att["uid"]
    assert audit_actions(graph, att["uid"]) == ["upload", "download"]


def test_tampered_attachment_bytes_are_detected(graph, org, case, tmp_path):
    ev = documents.create_document(graph, org.agent_a, case["uid"], "Evidence", {"title": "Photo"})
    att = documents.add_attachment(graph, org.agent_a, ev["uid"], "p.png", "image/png", doc_files.words_png(),
                                   store=tmp_path)
    (tmp_path / att["sha256"][:2] / att["sha256"]).write_bytes(b"\x89PNG other")
    with pytest.raises(Conflict, match="sha256"):
        documents.download_attachment(graph, org.agent_a, ev["uid"], att["uid"], store=tmp_path)


@pytest.mark.parametrize("filename,ctype,data,field", [
    ("run.exe", "application/x-msdownload", PDF, "content_type"),
    ("empty.pdf", "application/pdf", b"", "file"),
    ("", "application/pdf", PDF, "filename"),
])
def test_uploads_are_refused_with_field_errors(graph, org, case, tmp_path, filename, ctype, data, field):
    ev = documents.create_document(graph, org.agent_a, case["uid"], "Evidence", {"title": "Item"})
    with pytest.raises(ValidationFailed) as exc:
        documents.add_attachment(graph, org.agent_a, ev["uid"], filename, ctype, data, store=tmp_path)
    assert field in exc.value.errors
    assert list(tmp_path.iterdir()) == []


def test_upload_size_limit(graph, org, case, tmp_path):
    ev = documents.create_document(graph, org.agent_a, case["uid"], "Evidence", {"title": "Video"})
    limit = graph.settings.max_upload_bytes
    with pytest.raises(ValidationFailed) as exc:
        documents.add_attachment(graph, org.agent_a, ev["uid"], "v.mp4", "video/mp4", b"\0" * (limit + 1),
                                 store=tmp_path)
    assert "file" in exc.value.errors


def test_only_writers_attach(graph, org, case, tmp_path):
    ev = documents.create_document(graph, org.agent_a, case["uid"], "Evidence", {"title": "Item"})
    graph.query("MATCH (d:Document {uid: $u}) SET d.status = 'filed'", {"u": ev["uid"]}, write=True)
    for who in (org.analyst_mia, org.auditor):
        with pytest.raises(Forbidden):
            documents.add_attachment(graph, who, ev["uid"], "a.pdf", "application/pdf", PDF, store=tmp_path)


def test_download_attachment_checks_the_document_and_audits_in_one_go(graph, org, case, tmp_path):
    ev = documents.create_document(graph, org.agent_a, case["uid"], "Evidence", {"title": "Ledger"})
    other = approved(graph, org, case, title="Other")
    att = documents.add_attachment(graph, org.agent_a, ev["uid"], "l.pdf", "application/pdf", PDF, store=tmp_path)
    approvals.approve(graph, org.sup_mia, documents.submit_document(graph, org.agent_a, ev["uid"])["uid"])
    meta, data = documents.download_attachment(graph, org.analyst_mia, ev["uid"], att["uid"], store=tmp_path)
    assert data == PDF and meta["uid"] == att["uid"] and meta["filename"] == "l.pdf"
    assert audit_actions(graph, att["uid"]) == ["upload", "download"]
    owner_told = graph.query("MATCH (n:Notification {recipient_uid: $u, record_uid: $d, kind: 'view'}) RETURN count(n) AS n",
                             {"u": org.agent_a.uid, "d": ev["uid"]})[0]["n"]
    assert owner_told == 1
    with pytest.raises(NotFound):  # the attachment is not on that document
        documents.download_attachment(graph, org.agent_a, other["uid"], att["uid"], store=tmp_path)
    with pytest.raises(NotFound):
        documents.download_attachment(graph, org.agent_a, "no-such-document", att["uid"], store=tmp_path)
    with pytest.raises(Forbidden):  # another office may know the document exists, not read it
        documents.download_attachment(graph, org.agent_nyc, ev["uid"], att["uid"], store=tmp_path)
    assert audit_actions(graph, att["uid"]) == ["upload", "download", "deny", "deny", "deny"]


def test_download_from_a_draft_roi_is_hidden_from_everyone_but_the_author_and_supervisors(graph, org, case, tmp_path):
    roi = _roi(graph, org.agent_a, case)
    att = documents.add_attachment(graph, org.agent_a, roi["uid"], "r.pdf", "application/pdf", PDF, store=tmp_path)
    with pytest.raises(NotFound):
        documents.download_attachment(graph, org.agent_b, roi["uid"], att["uid"], store=tmp_path)
    _, data = documents.download_attachment(graph, org.sup_mia, roi["uid"], att["uid"], store=tmp_path)
    assert data == PDF
    (tmp_path / att["sha256"][:2] / att["sha256"]).write_bytes(b"changed")
    with pytest.raises(Conflict, match="sha256"):
        documents.download_attachment(graph, org.agent_a, roi["uid"], att["uid"], store=tmp_path)
