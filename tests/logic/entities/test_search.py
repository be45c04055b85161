"""The search over everything: selectors by their normalized form, documents and attachments, inside the policy."""

from __future__ import annotations

import json

import pytest

from ccms_graph.errors import ValidationFailed
from ccms_graph.logic.casework import documents
from ccms_graph.logic.entities import records, search
from ccms_graph.logic.identity import telecom
from ccms_graph.logic.oversight import notifications
from tests.factories import make_person, set_attachment_text
from tests.policy.helpers import case


def _find(graph, who, text, **params):
    return search.search(graph, who, {"text": text, **params})


def _uids(out, kind=None):
    return [h["uid"] for g in out["groups"] if kind in (None, g["kind"]) for h in g["hits"]]


def _report(graph, who, case_uid, narrative, title="Arrest at the port", approved=True):
    """An arrest report; `approved` marks it as the approval path leaves it (approval is documents' business)."""
    doc = documents.create_document(graph, who, case_uid, "ArrestReport", {"title": title, "narrative": narrative})
    if approved:
        _approve(graph, doc["uid"])
    return doc


def _approve(graph, uid):
    graph.query("MATCH (d:Document {uid: $u}) SET d.status = 'approved'", {"u": uid}, write=True)


def _attachment(graph, who, doc_uid, text, tmp_path):
    meta = documents.add_attachment(graph, who, doc_uid, "scan.pdf", "application/pdf", b"%PDF-1.4 scan\n",
                                    store=tmp_path)
    set_attachment_text(graph, meta["uid"], text)
    return meta["uid"]


@pytest.mark.parametrize("typed", ["(305) 526-1332", "305.526.1332", "+1 305 526 1332", "13055261332"])
def test_a_phone_typed_in_another_format_finds_the_person(graph, org, typed):
    p = make_person(graph, org.agent_a, given_name="Rosa", family_name="Vidal", phones=["+13055261332"])
    out = _find(graph, org.agent_b, typed)
    assert _uids(out, "Person") == [p["uid"]]
    (hit,) = out["groups"][0]["hits"]
    assert hit["matched"] == ["phone +13055261332"]
    assert [h["caption"] for h in next(g for g in out["groups"] if g["kind"] == "Selector")["hits"]]


@pytest.mark.parametrize(("fields", "typed"), [
    ({"emails": ["Ana.Ortiz@Example.com"]}, "ana.ortiz@example.COM"),
    ({"ssn": "123-45-6789"}, "123456789"),
    ({"ssn": "123456789"}, "SSN 123-45-6789"),
    ({"a_number": "A012345678"}, "a-012-345-678"),
])
def test_emails_and_identifiers_are_found_by_their_normalized_form(graph, org, fields, typed):
    p = make_person(graph, org.agent_a, given_name="Ana", family_name="Ortiz", **fields)
    assert _uids(_find(graph, org.agent_b, typed), "Person") == [p["uid"]]


def test_a_vin_finds_the_vehicle(graph, org):
    v = records.create_entity(graph, org.agent_a, "Vehicle", {"vin": "1HGCM82633A004352", "make": "Honda"})
    assert _uids(_find(graph, org.agent_b, "vin 1hgcm 82633a004352".replace(" 8", "8")), "Vehicle") == [v["uid"]]
    assert _uids(_find(graph, org.agent_b, "1hgcm82633a004352"), "Vehicle") == [v["uid"]]


def test_an_address_word_finds_the_address_and_who_lives_there(graph, org):
    p = make_person(graph, org.agent_a, given_name="Luis", family_name="Mora",
                    addresses=[{"line1": "1800 Eller Drive", "city": "Port Everglades", "state": "FL"}])
    out = _find(graph, org.agent_b, "Everglades")
    assert _uids(out, "Person") == [p["uid"]]
    assert out["groups"][0]["hits"][0]["matched"][0].startswith("address 1800 Eller Drive")
    (addr,) = next(g for g in out["groups"] if g["kind"] == "Selector")["hits"]
    assert addr["type"] == "Address" and "<mark>Everglades</mark>" in addr["snippet"]


@pytest.mark.parametrize("typed", ["@Night_Owl77", "night_owl77", "telegram night_owl77"])
def test_a_social_handle_finds_who_uses_it_and_a_hidden_ones_never(graph, org, typed):
    p = make_person(graph, org.agent_a, given_name="Iris", family_name="Bell",
                    social_handles=[{"platform": "Telegram", "handle": "@Night_Owl77"}])
    c = case(graph, org.agent_a, "Operation Owl", restricted=True)
    hidden = make_person(graph, org.agent_a, c, given_name="Otto", family_name="Wren",
                         social_handles=[{"platform": "Signal", "handle": "night_owl77"}])
    out = _find(graph, org.agent_b, typed)
    assert _uids(out, "Person") == [p["uid"]]
    assert out["groups"][0]["hits"][0]["matched"] == ["handle telegram:night_owl77"]
    (handle,) = next(g for g in out["groups"] if g["kind"] == "Selector")["hits"]
    assert handle["type"] == "SocialHandle" and "<mark>night_owl77</mark>" in handle["snippet"]
    assert hidden["uid"] not in json.dumps(out) and "signal" not in json.dumps(out).lower()
    assert hidden["uid"] in _uids(_find(graph, org.agent_a, "night_owl77"), "Person")


def test_a_case_number_and_a_document_word_are_found_with_a_safe_snippet(graph, org, tmp_path):
    c = case(graph, org.agent_a, "Operation Heron")
    number = graph.query("MATCH (c:Case {uid: $u}) RETURN c.case_number AS n", {"u": c})[0]["n"]
    assert _uids(_find(graph, org.agent_b, number), "Case") == [c]
    doc = _report(graph, org.agent_a, c, "<script>alert(1)</script> The courier carried a turquoise suitcase.")
    out = _find(graph, org.agent_b, "turquoise")
    (hit,) = next(g for g in out["groups"] if g["kind"] == "Document")["hits"]
    assert hit["uid"] == doc["uid"] and hit["case"]["uid"] == c
    assert "<mark>turquoise</mark>" in hit["snippet"] and "&lt;script&gt;" in hit["snippet"]
    assert "<script>" not in hit["snippet"]
    assert "narrative" not in json.dumps(out)  # hits carry a snippet, never the document's whole text


def test_an_attachment_of_a_hidden_case_is_never_shown_or_counted(graph, org, tmp_path):
    secret = case(graph, org.agent_a, "Operation Quiet", restricted=True)
    hidden_doc = _report(graph, org.agent_a, secret, "Nothing to see.", approved=False)
    hidden_att = _attachment(graph, org.agent_a, hidden_doc["uid"], "the zanzibar ledger, page 4", tmp_path)
    _approve(graph, hidden_doc["uid"])
    out = _find(graph, org.agent_b, "zanzibar")
    assert out["total"] == 0 and out["groups"] == [] and out["more"] is False
    assert out["facets"] == {"type": [], "office": [], "case_status": [], "year": []}
    assert "zanzibar" not in json.dumps(out["contacts"])

    open_case = case(graph, org.agent_a, "Operation Open")
    seen_doc = _report(graph, org.agent_a, open_case, "Another report.", approved=False)
    seen_att = _attachment(graph, org.agent_a, seen_doc["uid"], "a copy of the Zanzibar ledger", tmp_path)
    _approve(graph, seen_doc["uid"])
    out = _find(graph, org.agent_b, "zanzibar", limit=1)
    assert out["total"] == 1 and out["more"] is False and _uids(out) == [seen_att]
    assert out["facets"]["type"] == [{"value": "Attachment", "count": 1}]
    assert out["facets"]["office"] == [{"value": "MIA", "count": 1}]
    assert [f["count"] for f in out["facets"]["case_status"]] == [1]
    (hit,) = out["groups"][0]["hits"]
    assert hit["document"]["uid"] == seen_doc["uid"] and "<mark>Zanzibar</mark>" in hit["snippet"]
    # An unapproved report's attachment is its author's (and their supervisors') alone.
    draft = _report(graph, org.agent_a, open_case, "Draft.", approved=False)
    draft_att = _attachment(graph, org.agent_a, draft["uid"], "zanzibar again", tmp_path)
    if graph.query("MATCH (d:Document {uid: $u}) RETURN d.status AS s", {"u": draft["uid"]})[0]["s"] == "draft":
        assert _uids(_find(graph, org.agent_b, "zanzibar")) == [seen_att]
    # The author sees them all.
    assert set(_uids(_find(graph, org.agent_a, "zanzibar"))) >= {seen_att, hidden_att}
    assert draft_att


def test_restricted_case_hits_are_invisible_to_the_rest_of_the_office(graph, org):
    c = case(graph, org.agent_a, "Operation Nightjar", restricted=True, team=[org.agent_nyc])
    p = make_person(graph, org.agent_a, c, given_name="Nightjar", family_name="Pike", phones=["305-555-0142"])
    for text in ("Nightjar", "305 555 0142"):
        out = _find(graph, org.agent_b, text)
        assert (out["total"], out["groups"], out["facets"]["type"]) == (0, [], []), text
        assert set(_uids(_find(graph, org.agent_nyc, text))) >= {p["uid"]}, text
    assert c in _uids(_find(graph, org.agent_nyc, "Nightjar"), "Case")


def test_facets_count_readable_hits_and_filters_narrow_the_list(graph, org):
    c = case(graph, org.agent_a, "Operation Marlin")
    p = make_person(graph, org.agent_a, c, given_name="Marlin", family_name="Reyes")
    out = _find(graph, org.agent_b, "marlin", types=["Person"])
    assert _uids(out) == [p["uid"]] and out["total"] == 1
    assert {f["value"]: f["count"] for f in out["facets"]["type"]} == {"Person": 1, "Case": 1}
    assert _find(graph, org.agent_b, "marlin", case_status="closed")["total"] == 0
    assert _find(graph, org.agent_b, "marlin", date_to="2000-01-01")["total"] == 0
    assert _find(graph, org.agent_b, "marlin", office="MIA")["total"] == 2


def test_the_search_is_audited_with_its_criteria_and_owners_are_told(graph, org):
    p = make_person(graph, org.agent_a, given_name="Carlos", family_name="Mendez", phones=["305-555-0111"])
    _find(graph, org.agent_b, "(305) 555-0111", types=["Person"])
    entry = graph.query("""MATCH (e:AuditEntry {action: 'search'}) WHERE e.actor_uid = $a
                           RETURN e.details AS d, e.targets AS t""", {"a": org.agent_b.uid})[-1]
    details = json.loads(entry["d"])
    assert details["criteria"]["text"] == "(305) 555-0111" and details["criteria"]["types"] == ["Person"]
    assert details["shown"] == 1 and entry["t"] == [p["uid"]]
    (note,) = [n for n in notifications.inbox(graph, org.agent_a) if n["kind"] == "query"]
    assert note["displayed"] is True and note["record_uid"] == p["uid"]
    assert note["criteria"]["text"] == "(305) 555-0111"


def test_an_auditors_search_tells_nobody(graph, org):
    make_person(graph, org.agent_a, given_name="Carlos", family_name="Mendez")
    assert _uids(_find(graph, org.auditor, "mendez"))
    assert graph.query("MATCH (n:Notification) RETURN count(n) AS n")[0]["n"] == 0


CDR = """originating_number,terminating_number,start_time,duration
212-555-0199,305-555-0101,2026-01-05T10:00:00Z,60
"""


@pytest.mark.parametrize("restricted", [False, True])
def test_a_tls_search_alerts_both_agents_within_the_access_rules(graph, org, restricted):
    nyc = case(graph, org.agent_nyc, "Operation Hudson", restricted=restricted)
    nyc_number = graph.query("MATCH (c:Case {uid: $u}) RETURN c.case_number AS n", {"u": nyc})[0]["n"]
    telecom.import_cdr(graph, org.agent_nyc, nyc, CDR)
    out = _find(graph, org.agent_a, "(212) 555-0199")
    (contact,) = out["contacts"]
    assert contact["number"] == "+12125550199" and contact["agent"]["name"] == "Agent Nyc"
    assert contact["agent"]["email"] == "agent_nyc@example.gov"
    # Agent A may not read a Miami-outsider's case either way: only whom to call, never its number.
    assert contact["case_number"] is None and contact["case_uid"] is None
    assert out["total"] == 0  # the call records are not search results
    (to_searcher,) = [n for n in notifications.inbox(graph, org.agent_a) if n["kind"] == "telecom_alert"]
    assert "Agent Nyc" in to_searcher["message"] and nyc_number not in repr(to_searcher)
    assert "Hudson" not in repr(to_searcher)
    (to_agent,) = [n for n in notifications.inbox(graph, org.agent_nyc) if n["kind"] == "telecom_alert"]
    assert to_agent["actor_name"] == "Agent A" and nyc_number in to_agent["message"]
    _find(graph, org.agent_a, "212 555 0199")  # the same search again the same day alerts nobody again
    assert len([n for n in notifications.inbox(graph, org.agent_nyc) if n["kind"] == "telecom_alert"]) == 1


def test_a_tls_search_names_a_readable_case(graph, org):
    mia = case(graph, org.agent_a, "Operation Wire")
    telecom.import_cdr(graph, org.agent_a, mia, CDR)
    (contact,) = _find(graph, org.agent_b, "+1 212 555 0199")["contacts"]
    assert contact["case_uid"] == mia and contact["case_number"]
    assert _find(graph, org.agent_a, "+1 212 555 0199")["contacts"] == []  # the agent's own case alerts nobody
    assert _find(graph, org.auditor, "+1 212 555 0199")["contacts"] == []


@pytest.mark.parametrize("text", ['(ortiz', '"Ortiz', "ortiz~ ^", "[ortiz]", "ortíz\\", "ortiz AND", "o:rtiz"])
def test_lucene_syntax_is_literal_text(graph, org, text):
    make_person(graph, org.agent_a, given_name="Ana", family_name="Ortiz")
    assert len(_uids(_find(graph, org.agent_b, text))) <= 1


@pytest.mark.parametrize(("params", "field"), [
    ({"text": "*:*"}, "text"), ({"text": ""}, "text"), ({"text": "a", "types": ["Bogus"]}, "types"),
    ({"text": "a", "date_from": "2024-13-01"}, "date_from"), ({"text": "a", "date_to": "yesterday"}, "date_to"),
    ({"text": "a", "date_from": "2025-01-02", "date_to": "2025-01-01"}, "date_from"),
    ({"text": "a", "limit": 0}, "limit"), ({"text": "a", "case_status": "lost"}, "case_status"),
])
def test_bad_criteria_name_the_field(graph, org, params, field):
    with pytest.raises(ValidationFailed) as info:
        search.search(graph, org.agent_b, params)
    assert field in info.value.errors


def test_snippets_escape_then_mark():
    assert search.snippet("a <b>smith</b> & co", ["smith"]) == "a &lt;b&gt;<mark>smith</mark>&lt;/b&gt; &amp; co"
    assert search.snippet("Maria Smyth", ["smith"]) == "Maria <mark>Smyth</mark>"
    assert search.snippet("nothing here", ["smith"]) is None
    long = "word " * 100 + "target " + "word " * 100
    cut = search.snippet(long, ["target"])
    assert cut.startswith("…") and cut.endswith("…") and "<mark>target</mark>" in cut and len(cut) < 260
