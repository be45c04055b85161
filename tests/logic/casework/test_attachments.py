"""Attachments judged by their bytes: executables refused under any name, size limit, several files all or none,
thumbnails, and a person's photos."""

from __future__ import annotations

from dataclasses import replace

import pytest

from ccms_graph.errors import Forbidden, NotFound, ValidationFailed
from ccms_graph.logic.casework import attachments, documents
from tests.factories import make_person
from tests.logic.casework import doc_files
from tests.logic.casework.helpers import audit_actions, open_case


@pytest.fixture
def case(graph, org):
    return open_case(graph, org.agent_a, org.sup_mia, team_uids=[org.agent_b.uid])


@pytest.fixture
def doc(graph, org, case):
    return documents.create_document(graph, org.agent_a, case["uid"], "ArrestReport", {"title": "Arrest at PEV"})


def _stored(graph, doc_uid):
    return documents.get_document(graph, doc_uid)["attachments"]


@pytest.mark.parametrize("name,ctype,data,kind", [
    ("report.pdf", "application/pdf", doc_files.ELF, "ELF"),
    ("photo.jpg", "image/jpeg", doc_files.PE, "Windows (PE)"),
    ("notes.txt", "text/plain", doc_files.SCRIPT, "script"),
    ("ledger.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", doc_files.ELF, "ELF"),
])
def test_a_renamed_executable_is_refused_naming_the_file(graph, org, doc, tmp_path, name, ctype, data, kind):
    with pytest.raises(ValidationFailed) as exc:
        documents.add_attachment(graph, org.agent_a, doc["uid"], name, ctype, data, store=tmp_path)
    (message,) = exc.value.errors["file"]
    assert name in message and kind in message and "executable" in message
    assert _stored(graph, doc["uid"]) == [] and list(tmp_path.iterdir()) == []


def test_content_must_be_what_the_name_says(graph, org, doc, tmp_path):
    with pytest.raises(ValidationFailed) as exc:  # a PNG called .pdf
        documents.add_attachment(graph, org.agent_a, doc["uid"], "scan.pdf", "application/pdf",
                                 doc_files.words_png(), store=tmp_path)
    assert "scan.pdf" in exc.value.errors["file"][0] and "image/png" in exc.value.errors["file"][0]
    with pytest.raises(ValidationFailed) as exc:  # random bytes called .png
        documents.add_attachment(graph, org.agent_a, doc["uid"], "p.png", "image/png", b"\x89PNG fake", store=tmp_path)
    assert "p.png" in exc.value.errors["file"][0]
    att = documents.add_attachment(graph, org.agent_a, doc["uid"], "notes.txt", "text/plain", b"Dock 4, 0300 hrs",
                                   store=tmp_path)
    assert att["content_type"] == "text/plain"


def test_size_limit_names_the_file_and_the_limit(graph, org, doc, tmp_path):
    before = graph.settings
    graph.settings = replace(before, max_upload_bytes=1000)
    try:
        with pytest.raises(ValidationFailed) as exc:
            documents.add_attachment(graph, org.agent_a, doc["uid"], "big.pdf", "application/pdf",
                                     doc_files.text_pdf() + b" " * 2000, store=tmp_path)
    finally:
        graph.settings = before
    assert "big.pdf" in exc.value.errors["file"][0] and "1,000" in exc.value.errors["file"][0]
    assert _stored(graph, doc["uid"]) == []


def test_several_files_at_once_all_or_none(graph, org, doc, tmp_path):
    files = [("a.pdf", "application/pdf", doc_files.text_pdf()), ("scan.png", "image/png", doc_files.words_png()),
             ("statement.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
              doc_files.word_docx())]
    stored = documents.add_attachments(graph, org.agent_a, doc["uid"], files, store=tmp_path)
    assert [a["filename"] for a in stored] == ["a.pdf", "scan.png", "statement.docx"]
    assert {a["extraction_status"] for a in stored} == {"pending"}
    assert len(_stored(graph, doc["uid"])) == 3
    assert all(audit_actions(graph, a["uid"]) == ["upload"] for a in stored)
    jobs = graph.query("MATCH (j:Job {kind: 'extract_text'}) RETURN j.attachment_uid AS a")
    assert {r["a"] for r in jobs} == {a["uid"] for a in stored}
    with pytest.raises(ValidationFailed) as exc:  # one bad file refuses the whole upload, naming it
        documents.add_attachments(graph, org.agent_a, doc["uid"], [
            ("b.pdf", "application/pdf", doc_files.text_pdf("another")), ("tool.pdf", "application/pdf", doc_files.ELF)],
            store=tmp_path)
    assert any("tool.pdf" in m for msgs in exc.value.errors.values() for m in msgs)
    assert len(_stored(graph, doc["uid"])) == 3


def test_only_the_author_attaches_to_a_draft(graph, org, doc, tmp_path):
    with pytest.raises(NotFound):  # a teammate does not see the draft
        documents.add_attachment(graph, org.agent_b, doc["uid"], "a.pdf", "application/pdf", doc_files.text_pdf(),
                                 store=tmp_path)
    with pytest.raises(Forbidden):
        documents.add_attachment(graph, org.sup_mia, doc["uid"], "a.pdf", "application/pdf", doc_files.text_pdf(),
                                 store=tmp_path)


def test_thumbnail_of_an_image_only():
    small = attachments.thumbnail(doc_files.words_png())
    assert small and small.startswith(b"\x89PNG")
    assert attachments.thumbnail(doc_files.text_pdf()) is None


def test_a_person_carries_photos(graph, org, case, tmp_path):
    person = make_person(graph, org.agent_a, case_uid=case["uid"])
    (ph,) = documents.add_photos(graph, org.agent_a, person["uid"], [("face.jpg", "image/jpeg", doc_files.photo_jpeg())],
                                 store=tmp_path)
    assert ph["content_type"] == "image/jpeg" and ph.get("extraction_status") is None
    assert [p["uid"] for p in documents.photos_of(graph, [person["uid"]])[person["uid"]]] == [ph["uid"]]
    meta, data = documents.download_attachment(graph, org.agent_b, person["uid"], ph["uid"], store=tmp_path,
                                               purpose="preview")
    assert data == doc_files.photo_jpeg() and audit_actions(graph, ph["uid"]) == ["upload", "download"]
    with pytest.raises(ValidationFailed) as exc:
        documents.add_photos(graph, org.agent_a, person["uid"], [("face.pdf", "application/pdf", doc_files.text_pdf())],
                             store=tmp_path)
    assert "content_type" in exc.value.errors
    with pytest.raises(Forbidden):
        documents.add_photos(graph, org.analyst_mia, person["uid"], [("f.jpg", "image/jpeg", doc_files.photo_jpeg())],
                             store=tmp_path)
