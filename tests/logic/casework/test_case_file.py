"""The printable case file (issue 17 item 4): what the PDF holds, what it never holds, who may print it, and
that printing it is audited as an export with the owners told. The PDF's text is read back with pypdf."""

from __future__ import annotations

import hashlib
import io
import json
from dataclasses import replace
from pathlib import Path

import pytest
from pypdf import PdfReader

from ccms_graph import db as dbmod
from ccms_graph.cli import main as cli_main
from ccms_graph.errors import Forbidden, NotFound
from ccms_graph.logic.casework import case_file, case_file_pdf, disclosures, documents, workflows
from ccms_graph.logic.casework.approvals import approve
from ccms_graph.logic.entities import links
from tests.factories import make_person
from tests.logic.casework.helpers import new_case

APPROVED = "Approved narrative: the courier was followed from Port Everglades to a warehouse in Doral."
DRAFT = "Draft narrative: informant Bluebird says the shipment lands Tuesday."
SUBMITTED = "Submitted narrative: awaiting the supervisor."
EVIDENCE = b"%PDF-1.4 ledger of payments\n"
HIDDEN_NAME = "Quackenbush"


def text_of(pdf: bytes) -> str:
    """Every page's text, joined; whitespace folded so wrapped lines still match."""
    reader = PdfReader(io.BytesIO(pdf))
    return " ".join(" ".join((page.extract_text() or "").split()) for page in reader.pages)


@pytest.fixture
def world(graph, org, tmp_path):
    """Case A of agent_a (MIA): an approved ROI, a draft and a submitted ROI, an arrest report, evidence with an
    attachment, a disclosure and two subjects, one linked to a subject of agent_b's restricted case B."""
    graph.settings = replace(graph.settings, file_store=tmp_path / "files")
    case = new_case(graph, org.agent_a, "Doral warehouse smuggling", violations=["18 USC 545"])
    roi = documents.create_document(graph, org.agent_a, case["uid"], "ReportOfInvestigation",
                                    {"title": "Opening report", "narrative": APPROVED})
    approve(graph, org.sup_mia, workflows.request_case_action(graph, org.agent_a, case["uid"], "open",
                                                              {"roi_uid": roi["uid"]})["uid"])
    draft = documents.create_document(graph, org.agent_a, case["uid"], "ReportOfInvestigation",
                                      {"title": "Second report", "narrative": DRAFT})
    submitted = documents.create_document(graph, org.agent_a, case["uid"], "ReportOfInvestigation",
                                          {"title": "Third report", "narrative": SUBMITTED})
    documents.submit_roi(graph, org.agent_a, submitted["uid"])
    arrest = documents.create_document(graph, org.agent_a, case["uid"], "ArrestReport",
                                       {"title": "Arrest of the courier", "narrative": "Arrested at the warehouse gate.",
                                        "incident_date": "2026-03-04", "place": "Doral, FL", "charges": ["18 USC 545"]})
    ev = documents.create_document(graph, org.agent_a, case["uid"], "Evidence",
                                   {"title": "Payment ledger", "description": "Seized from the office desk"})
    att = documents.add_attachment(graph, org.agent_a, ev["uid"], "ledger.pdf", "application/pdf", EVIDENCE)
    for doc in (arrest, ev):  # every document is approved before others may read it (CCMS PIA §2.4)
        approve(graph, org.sup_mia, documents.submit_document(graph, org.agent_a, doc["uid"])["uid"])
    p1 = make_person(graph, org.agent_a, case_uid=case["uid"], given_name="Carlos", family_name="Mendez")
    p2 = make_person(graph, org.agent_a, case_uid=case["uid"], given_name="Dana", family_name="Ortiz")
    links.link(graph, org.agent_a, {"type": "ASSOCIATE_OF", "source_uid": p1["uid"], "target_uid": p2["uid"],
                                    "reason": "seen together"})
    disclosures.record_disclosure(graph, org.agent_a, case["uid"], {
        "disclosed_on": "2026-02-03", "nature": "Subject identifiers", "description": "Names of both subjects",
        "purpose": "Joint investigation", "recipient_agency": "DEA Miami Field Division",
        "recipient_address": "2100 N Commerce Pkwy, Weston, FL 33326", "subject_uids": [p1["uid"]]})
    hidden_case = new_case(graph, org.agent_b, "Informant handling", restricted=True)
    hidden = make_person(graph, org.agent_b, case_uid=hidden_case["uid"], given_name="Zeb", family_name=HIDDEN_NAME)
    links.link(graph, org.agent_b, {"type": "ASSOCIATE_OF", "source_uid": hidden["uid"], "target_uid": p1["uid"],
                                    "reason": "informant's contact"})
    return {"case": case, "roi": roi, "draft": draft, "submitted": submitted, "attachment": att, "p1": p1,
            "hidden_case": hidden_case, "hidden": hidden}


def test_the_case_file_holds_the_approved_roi_and_never_a_draft(graph, org, world):
    for reader in (org.agent_a, org.sup_mia):  # the author and their supervisor may read the drafts: still none
        text = text_of(case_file.case_file(graph, reader, world["case"]["uid"])[0])
        assert "Case file " + world["case"]["props"]["case_number"] in text
        assert APPROVED in text and "Opening report" in text
        assert "Bluebird" not in text and "Second report" not in text
        assert "awaiting the supervisor" not in text and "Third report" not in text
        assert "Arrest of the courier" in text and "Arrested at the warehouse gate." in text
        assert "Carlos Mendez" in text and "Dana Ortiz" in text and "known associate" in text
        assert "DEA Miami Field Division" in text and "Joint investigation" in text
        assert "case_open: approved" in text
        assert "7. Link chart" in text


def test_the_evidence_list_carries_each_attachments_sha256(graph, org, world):
    text = text_of(case_file.case_file(graph, org.agent_b, world["case"]["uid"])[0])
    assert world["attachment"]["sha256"] in text and "ledger.pdf" in text and "Payment ledger" in text


def test_a_restricted_record_in_a_linked_case_stays_out_but_its_readers_see_it(graph, org, world):
    pdf, _ = case_file.case_file(graph, org.agent_a, world["case"]["uid"])
    text = text_of(pdf)
    assert HIDDEN_NAME not in text and "Informant handling" not in text
    assert world["hidden_case"]["props"]["case_number"] not in text and world["hidden"]["uid"] not in text
    assert "link(s) to records you may not read are withheld" in text
    # sup_mia supervises agent_b and reads the restricted case: their printout names the linked record
    assert HIDDEN_NAME in text_of(case_file.case_file(graph, org.sup_mia, world["case"]["uid"])[0])


@pytest.mark.parametrize("who, error", [("agent_nyc", Forbidden), ("admin", Forbidden)])
def test_a_reader_who_may_not_read_the_case_gets_no_file(graph, org, world, who, error):
    with pytest.raises(error):
        case_file.case_file(graph, getattr(org, who), world["case"]["uid"])
    entries = graph.query("MATCH (e:AuditEntry {actor_uid: $u}) RETURN e.action AS a, e.details AS d",
                          {"u": getattr(org, who).uid})
    assert [e["a"] for e in entries] == ["deny"] and json.loads(entries[0]["d"])["op"] == "case_file"


def test_a_restricted_case_answers_like_a_missing_one(graph, org, world):
    with pytest.raises(NotFound) as hidden:
        case_file.case_file(graph, org.agent_a, world["hidden_case"]["props"]["case_number"])
    with pytest.raises(NotFound) as missing:
        case_file.case_file(graph, org.agent_a, "MIA-FY99-99999")
    assert str(hidden.value).replace(world["hidden_case"]["props"]["case_number"], "X") == \
        str(missing.value).replace("MIA-FY99-99999", "X")


def test_printing_is_audited_as_an_export_and_the_owners_are_told(graph, org, world):
    pdf, meta = case_file.case_file(graph, org.sup_mia, world["case"]["props"]["case_number"])
    (entry,) = graph.query("MATCH (e:AuditEntry {action: 'export', actor_uid: $u}) RETURN e.targets AS t, "
                           "e.details AS d", {"u": org.sup_mia.uid})
    details = json.loads(entry["d"])
    assert details["what"] == "case_file" and details["sha256"] == meta["sha256"] == hashlib.sha256(pdf).hexdigest()
    assert world["case"]["uid"] in entry["t"] and world["p1"]["uid"] in entry["t"]
    assert world["draft"]["uid"] not in entry["t"]
    assert meta["export_id"] in text_of(pdf)  # a found printout names its export
    told = graph.query("MATCH (n:Notification {actor_uid: $u}) WHERE n.message CONTAINS 'printed the case file' "
                       "RETURN n.recipient_uid AS r", {"u": org.sup_mia.uid})
    assert sorted(r["r"] for r in told) == sorted([org.agent_a.uid, org.agent_b.uid])  # agent_b owns the link's end


def test_the_cli_writes_the_pdf_as_the_user(graph, org, world, tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(dbmod, "_graph", graph)
    out = tmp_path / "file.pdf"
    number = world["case"]["props"]["case_number"]
    assert cli_main(["case-file", number, "--as", "agent_b", "--out", str(out)]) == 0
    assert APPROVED in text_of(out.read_bytes()) and json.loads(capsys.readouterr().out)["case_number"] == number
    assert cli_main(["case-file", number, "--as", "agent_nyc", "--out", str(tmp_path / "no.pdf")]) == 2
    assert not (tmp_path / "no.pdf").exists()
    assert cli_main(["case-file", number, "--as", "agent_b", "--out", str(tmp_path / "no" / "such" / "dir.pdf")]) == 2
    assert "--out" in capsys.readouterr().err


def test_a_letter_the_font_cannot_draw_prints_as_its_code_point(graph, org, world, tmp_path):
    make_person(graph, org.agent_a, case_uid=world["case"]["uid"], given_name="José", family_name="Łukasz 王")
    content = graph.write(case_file.gather, graph.settings, org.agent_a, world["case"]["uid"])
    content.update(printed_by="Agent A (agent_a)", export_id="test", printed_at="2026-11-30T12:00:00+00:00")
    without = text_of(case_file_pdf.render(content, font_dirs=[Path(tmp_path)]))
    assert "José [U+0141]ukasz [U+738B]" in without and "not installed" in without
    if case_file_pdf.FONT_DIRS[0].is_dir():  # Debian's DejaVu draws the Polish letter, not the Chinese one
        assert "José Łukasz [U+738B]" in text_of(case_file_pdf.render(content))

