"""The search page: grouped hits, facets as filter links, escaped snippets, errors naming the field."""

from __future__ import annotations

import re

from ccms_graph.logic.casework import approvals, documents
from tests.factories import make_person
from tests.policy.helpers import case
from tests.web.conftest import sign_in


def test_the_page_groups_hits_marks_snippets_and_offers_facets(graph, org, client):
    p = make_person(graph, org.agent_a, given_name="Rosa", family_name="Vidal", phones=["+13055261332"])
    c = case(graph, org.agent_a, "Operation Vidal")
    doc = documents.create_document(graph, org.agent_a, c, "ArrestReport",
                                    {"title": "Arrest", "narrative": "<b>Vidal</b> was arrested at the pier."})
    approvals.approve(graph, org.sup_mia, documents.submit_document(graph, org.agent_a, doc["uid"])["uid"])
    sign_in(client, "agent_b")
    html = client.get("/search?q=(305)+526-1332").get_data(as_text=True)
    assert f'href="/records/{p["uid"]}"' in html and "Rosa Vidal" in html
    html = client.get("/search?q=vidal").get_data(as_text=True)
    assert "&lt;b&gt;<mark>Vidal</mark>&lt;/b&gt; was arrested" in html and "<b>Vidal</b>" not in html
    assert re.search(r'<ul class="facet facet-type">.*href="/search\?q=vidal&amp;type=Document"', html, re.S)
    html = client.get("/search?q=vidal&type=Document").get_data(as_text=True)
    assert "1 result for" in html and "Rosa Vidal" not in html
    assert f'href="/documents/{doc["uid"]}"' in html  # a document hit opens the document's own page


def test_bad_filters_are_named_on_the_page(graph, org, client):
    sign_in(client, "agent_b")
    r = client.get("/search?q=vidal&date_from=2024-13-01")
    assert r.status_code == 200
    assert re.search(r'<p class="field-error" id="s-date_from-err">date_from: ', r.get_data(as_text=True))
    assert client.get("/search?q=%2A%3A%2A").status_code == 200  # *:* is refused politely, not a 500
