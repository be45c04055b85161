"""Text extraction in the background: PDF text, OCR of an image and of a scanned PDF, Word; a failure says why
and leaves the upload intact."""

from __future__ import annotations

from dataclasses import replace

import pytest

from ccms_graph.logic.casework import documents, extraction
from ccms_graph.logic.jobs import queue
from ccms_graph.logic.jobs.worker import Worker
from tests.logic.casework import doc_files
from tests.logic.casework.helpers import open_case


@pytest.fixture
def doc(graph, org, tmp_path, monkeypatch):
    monkeypatch.setattr(graph, "settings", replace(graph.settings, file_store=tmp_path))
    case = open_case(graph, org.agent_a, org.sup_mia)
    return documents.create_document(graph, org.agent_a, case["uid"], "ArrestReport", {"title": "Arrest at PEV"})


def _drain(graph):
    Worker(graph, kinds=["extract_text"]).drain()


def _attachment(graph, doc_uid, name):
    return next(a for a in documents.get_document(graph, doc_uid)["attachments"] if a["filename"] == name)


def test_pdf_text_and_image_ocr_are_extracted_in_the_background(graph, org, doc, no_embedded_worker):
    documents.add_attachments(graph, org.agent_a, doc["uid"], [
        ("ledger.pdf", "application/pdf", doc_files.text_pdf("Ledger of the Marlin shipment")),
        ("scan.png", "image/png", doc_files.words_png("MANIFEST ZANZIBAR 4471")),
        ("statement.docx", extraction.DOCX, doc_files.word_docx("Harbour pilot statement"))])
    assert _attachment(graph, doc["uid"], "scan.png")["extraction_status"] == "pending"
    _drain(graph)
    pdf, png, word = (_attachment(graph, doc["uid"], n) for n in ("ledger.pdf", "scan.png", "statement.docx"))
    assert pdf["extraction_status"] == "done" and "Marlin shipment" in pdf["text"]
    assert png["extraction_status"] == "done" and "ZANZIBAR" in png["text"]
    assert word["extraction_status"] == "done" and "Harbour pilot statement" in word["text"]
    assert {j["state"] for j in graph.query("MATCH (j:Job {kind: 'extract_text'}) RETURN j.state AS state")} == {"done"}


def test_a_scanned_pdf_is_ocrd():
    assert "KESTREL" in extraction.extract_text(doc_files.scanned_pdf("CUSTODY KESTREL 9902"), "application/pdf")


def test_a_failed_extraction_keeps_the_upload_and_says_why(graph, org, doc, no_embedded_worker):
    broken = doc_files.text_pdf()[:200]  # a PDF cut short: its magic number is right, its body is not
    att = documents.add_attachment(graph, org.agent_a, doc["uid"], "torn.pdf", "application/pdf", broken)
    _drain(graph)
    got = _attachment(graph, doc["uid"], "torn.pdf")
    assert got["extraction_status"] == "failed" and got["extraction_error"]
    assert got.get("text") is None
    _, data = documents.download_attachment(graph, org.agent_a, doc["uid"], att["uid"])
    assert data == broken  # the upload is intact


def test_set_extracted_text_is_what_search_reads(graph, org, doc):
    att = documents.add_attachment(graph, org.agent_a, doc["uid"], "n.txt", "text/plain", b"first words")
    graph.write(extraction.set_extracted_text, att["uid"], "words for search", "done", None)
    assert _attachment(graph, doc["uid"], "n.txt")["text"] == "words for search"
    with pytest.raises(ValueError):
        graph.write(extraction.set_extracted_text, att["uid"], None, "weird", None)
    assert queue.depth(graph).get("queued") == 1  # its own job is still waiting: nothing ran it
