"""Document pages: every type opens (one made through the API too: it used to answer 500), create and edit with
the API's validation, attachments uploaded several at once, previewed, thumbnailed; a person's photos."""

from __future__ import annotations

import io
from dataclasses import replace

import pytest

from ccms_graph.logic.casework import approvals, documents
from ccms_graph.nodes.vocabulary import DOCUMENT_TYPES
from tests.api.conftest import Api, token_for
from tests.factories import make_person
from tests.logic.casework import doc_files
from tests.logic.casework.helpers import open_case
from tests.web.conftest import csrf_from, sign_in


@pytest.fixture
def case(graph, org, tmp_path, monkeypatch):
    monkeypatch.setattr(graph, "settings", replace(graph.settings, file_store=tmp_path / "files"))
    return open_case(graph, org.agent_a, org.sup_mia, team_uids=[org.agent_b.uid])


def _csrf(client, url):
    return csrf_from(client.get(url).get_data(as_text=True))


@pytest.mark.parametrize("type_name", sorted(DOCUMENT_TYPES))
def test_each_type_is_created_in_the_browser_and_opens_on_its_page(client, graph, org, case, type_name):
    sign_in(client, "agent_a")
    url = f"/cases/{case['uid']}/documents/new/{type_name}"
    form = client.get(url)
    assert form.status_code == 200
    html = form.get_data(as_text=True)
    for f in DOCUMENT_TYPES[type_name].fields:  # the form is generated from the vocabulary
        assert f'name="{f.name}"' in html
    made = client.post(url, data={"csrf_token": csrf_from(html), "title": f"A {type_name}"})
    assert made.status_code == 302 and "/documents/" in made.headers["Location"]
    page = client.get(made.headers["Location"])
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert f"A {type_name}" in text and "Not yet approved" in text and "Submit for approval" in text


def test_a_document_made_through_the_api_opens(client, app, graph, org, case):
    """It used to answer 500: /records/<document> sent the reader to /cases/<document uid>."""
    api = Api(app.test_client(), token_for(graph, org.agent_a))
    made = api.post(f"/api/v1/cases/{case['uid']}/documents/arrest-reports",
                    json={"title": "Arrest by API", "charges": ["21 USC 841"], "on_warrant": True})
    assert made.status_code == 201, made.get_json()
    uid = made.get_json()["uid"]
    sign_in(client, "agent_a")
    page = client.get(f"/documents/{uid}")
    assert page.status_code == 200 and "Arrest by API" in page.get_data(as_text=True)
    for old in (f"/records/{uid}", f"/cases/{uid}"):
        moved = client.get(old)
        assert moved.status_code == 302 and moved.headers["Location"].endswith(f"/documents/{uid}")
    case_page = client.get(f"/cases/{case['uid']}").get_data(as_text=True)
    assert f'href="/documents/{uid}"' in case_page


def test_validation_errors_name_the_field(client, graph, org, case):
    sign_in(client, "agent_a")
    url = f"/cases/{case['uid']}/documents/new/SeizureReport"
    bad = client.post(url, data={"csrf_token": _csrf(client, url), "title": "Seizure", "value_usd": "-5",
                                 "unit": "bushels"})
    assert bad.status_code == 422
    html = bad.get_data(as_text=True)
    assert 'id="f-value_usd-err"' in html and 'id="f-unit-err"' in html
    doc = documents.create_document(graph, org.agent_a, case["uid"], "ArrestReport", {"title": "Arrest"})
    edit = f"/documents/{doc['uid']}/edit"
    bad = client.post(edit, data={"csrf_token": _csrf(client, edit), "type": "ArrestReport", "version": "1",
                                  "arresting_office": "ZZZ"})
    assert bad.status_code == 422 and 'id="f-arresting_office-err"' in bad.get_data(as_text=True)
    good = client.post(edit, data={"csrf_token": _csrf(client, edit), "type": "ArrestReport", "version": "1",
                                   "title": "Arrest at Dock 4", "on_warrant": "yes"})
    assert good.status_code == 302
    props = documents.get_document(graph, doc["uid"])["props"]
    assert props["title"] == "Arrest at Dock 4" and props["on_warrant"] is True


def test_others_see_a_document_only_once_approved(client, graph, org, case):
    doc = documents.create_document(graph, org.agent_a, case["uid"], "ArrestReport", {"title": "Pending arrest"})
    sign_in(client, "agent_b")
    assert client.get(f"/documents/{doc['uid']}").status_code == 404
    assert "Pending arrest" not in client.get(f"/cases/{case['uid']}").get_data(as_text=True)
    approvals.approve(graph, org.sup_mia, documents.submit_document(graph, org.agent_a, doc["uid"])["uid"])
    page = client.get(f"/documents/{doc['uid']}")
    assert page.status_code == 200 and "Pending arrest" in page.get_data(as_text=True)
    assert "Pending arrest" in client.get(f"/cases/{case['uid']}").get_data(as_text=True)


def test_several_files_uploaded_at_once_then_previewed_and_thumbnailed(client, graph, org, case, no_embedded_worker,
                                                                       monkeypatch):
    monkeypatch.setattr(graph, "settings", replace(graph.settings, web_embedded_worker=False))
    doc = documents.create_document(graph, org.agent_a, case["uid"], "ArrestReport", {"title": "Arrest"})
    sign_in(client, "agent_a")
    page = f"/documents/{doc['uid']}"
    ledger = doc_files.text_pdf()  # once: the PDF carries its creation time, so a second one can differ
    up = client.post(f"{page}/attachments", headers={"Accept": "application/json"}, data={
        "csrf_token": _csrf(client, page),
        "files": [(io.BytesIO(ledger), "ledger.pdf", "application/pdf"),
                  (io.BytesIO(doc_files.words_png()), "scan.png", "image/png")]}, content_type="multipart/form-data")
    assert up.status_code == 201, up.get_json()
    files = {f["filename"]: f for f in up.get_json()["files"]}
    assert set(files) == {"ledger.pdf", "scan.png"}
    html = client.get(page).get_data(as_text=True)
    for f in files.values():
        assert f["sha256"] in html and f"{f['size']:,} bytes" in html
    assert "Extracting text" in html
    pdf = client.get(f"{page}/attachments/{files['ledger.pdf']['uid']}/view")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert pdf.headers["Content-Disposition"].startswith("inline") and pdf.headers["X-Content-Type-Options"] == "nosniff"
    thumb = client.get(f"{page}/attachments/{files['scan.png']['uid']}/thumbnail")
    assert thumb.status_code == 200 and thumb.data.startswith(b"\x89PNG")
    got = client.get(f"{page}/attachments/{files['ledger.pdf']['uid']}")
    assert got.headers["Content-Disposition"].startswith("attachment") and got.data == ledger


def test_a_renamed_executable_is_refused_in_the_browser(client, graph, org, case):
    doc = documents.create_document(graph, org.agent_a, case["uid"], "Evidence", {"title": "Phone"})
    sign_in(client, "agent_a")
    page = f"/documents/{doc['uid']}"
    up = client.post(f"{page}/attachments", headers={"Accept": "application/json"}, data={
        "csrf_token": _csrf(client, page), "files": [(io.BytesIO(doc_files.ELF), "invoice.pdf", "application/pdf")]},
        content_type="multipart/form-data")
    assert up.status_code == 422
    assert "invoice.pdf" in up.get_json()["detail"] and "executable" in up.get_json()["detail"]
    assert documents.get_document(graph, doc["uid"])["attachments"] == []


def test_a_person_photo_on_the_record_page_and_in_the_explorer(client, graph, org, case):
    person = make_person(graph, org.agent_a, case_uid=case["uid"])
    sign_in(client, "agent_a")
    page = f"/records/{person['uid']}"
    up = client.post(f"{page}/photos", headers={"Accept": "application/json"}, data={
        "csrf_token": _csrf(client, page), "files": [(io.BytesIO(doc_files.photo_jpeg()), "face.jpg", "image/jpeg")]},
        content_type="multipart/form-data")
    assert up.status_code == 201, up.get_json()
    (photo,) = up.get_json()["files"]
    url = f"/records/{person['uid']}/photos/{photo['uid']}"
    assert url in client.get(page).get_data(as_text=True)
    got = client.get(url)
    assert got.status_code == 200 and got.mimetype == "image/jpeg"
    nodes = client.get(f"/ui/graph/neighbours/{case['uid']}").get_json()["nodes"]
    assert next(n for n in nodes if n["id"] == person["uid"])["photo_url"] == url
