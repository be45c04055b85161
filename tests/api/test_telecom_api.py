"""The TLS API and page: GET /api/v1/cases/{uid}/telecom/summary, POST .../telecom/misc, and /cases/{uid}/telecom."""

from __future__ import annotations

import io

from ccms_graph.logic.casework.cases import create_case
from ccms_graph.logic.identity import telecom
from tests.web.conftest import csrf_from, sign_in

CDR = """orig,term,start,duration
305-555-0101,212-555-0199,2026-01-05T10:00:00Z,60
305-555-0101,212-555-0199,2026-01-06T10:00:00Z,30
212-555-0177,305-555-0101,2026-01-06T11:00:00Z,5
"""


def _case(graph, who, restricted=False):
    case = create_case(graph, who, {"title": "Operation Wire", "restricted": restricted})
    telecom.import_cdr(graph, who, case["uid"], CDR, filename="cdr.csv")
    return case["uid"], case["props"]["case_number"]


def test_a_reader_gets_the_summary_and_a_hidden_case_answers_as_a_missing_one(graph, org, as_user):
    uid, number = _case(graph, org.agent_a, restricted=True)
    body = as_user(org.agent_a).get(f"cases/{uid}/telecom/summary").get_json()
    assert body["case_number"] == number and body["totals"]["calls"] == 3
    assert [(p["orig"], p["term"], p["calls"], p["seconds"]) for p in body["pairs"]] == [
        ("+13055550101", "+12125550199", 2, 90), ("+12125550177", "+13055550101", 1, 5)]
    assert [d["calls"] for d in body["per_day"]] == [1, 2]
    assert body["imports"][0]["filename"] == "cdr.csv"

    nyc = as_user(org.agent_nyc)
    hidden, missing = nyc.get(f"cases/{uid}/telecom/summary"), nyc.get("cases/no-such-case/telecom/summary")
    assert hidden.status_code == missing.status_code == 404
    assert hidden.get_json()["detail"].replace(uid, "X") == missing.get_json()["detail"].replace("no-such-case", "X")
    assert "calls" not in hidden.get_json() and "+1305" not in hidden.get_data(as_text=True)


def test_misc_upload_refuses_bad_rows_by_number_naming_the_column(graph, org, as_user):
    uid, _ = _case(graph, org.agent_a)
    api = as_user(org.agent_a)
    csv = ("number,ip,record_type,time,details\n305-555-0101,203.0.113.9,ip session,2026-01-05T10:00:00Z,LTE\n"
           "305-555-0101,203.0.113.999,ip session,2026-01-05T11:00:00Z,\n")
    resp = api.post(f"cases/{uid}/telecom/misc", data={"file": (io.BytesIO(csv.encode()), "misc.csv")},
                    content_type="multipart/form-data")
    assert resp.status_code == 200, resp.get_json()
    body = resp.get_json()
    assert body["loaded"] == 1 and body["refused"] == [
        {"row": 3, "reason": "ip: '203.0.113.999' is not an IPv4 or IPv6 address"}]
    empty = api.post(f"cases/{uid}/telecom/misc", data={"file": (io.BytesIO(b""), "misc.csv")},
                     content_type="multipart/form-data")
    assert empty.status_code == 422 and "file" in empty.get_json()["errors"]
    header = api.post(f"cases/{uid}/telecom/misc", data={"file": (io.BytesIO(b"number,when\n1,2\n"), "m.csv")},
                      content_type="multipart/form-data")
    assert header.status_code == 422 and "record_type" in header.get_json()["errors"]["header"][0]
    # A reader who may not change the case is refused (audited) and nothing loads.
    refused = as_user(org.auditor).post(f"cases/{uid}/telecom/misc",
                                        data={"file": (io.BytesIO(csv.encode()), "misc.csv")},
                                        content_type="multipart/form-data")
    assert refused.status_code == 403
    assert graph.query("MATCH (m:MiscRecord) RETURN count(m) AS n") == [{"n": 1}]


def test_the_tls_page_shows_the_tables_and_carries_the_chart_figures(graph, org, app, client):
    uid, number = _case(graph, org.agent_a)
    sign_in(client, "agent_a")
    page = client.get(f"/cases/{uid}/telecom")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert f"{number} · Telecom (TLS)" in html and 'id="tls-frequency-table"' in html
    assert "+13055550101</td><td>+12125550199</td><td class=\"num\">2</td>" in html
    assert "data-chart=" in html and "2026-01-05" in html
    case_page = client.get(f"/cases/{uid}").get_data(as_text=True)
    assert f'href="/cases/{uid}/telecom"' in case_page
    # The upload form loads a file and says what it did.
    csv = "number,imei,record_type,time\n305-555-0101,490154203237518,handset,2026-01-07T10:00:00Z\n"
    done = client.post(f"/cases/{uid}/telecom/misc", data={"csrf_token": csrf_from(html),
                                                            "file": (io.BytesIO(csv.encode()), "handset.csv")},
                       content_type="multipart/form-data", follow_redirects=True)
    assert "Loaded 1 of 1 rows; 0 refused; 0 already loaded" in done.get_data(as_text=True)
    assert "490154203237518" in done.get_data(as_text=True)  # the identifiers table lists the handset

    other = app.test_client()  # another office's agent: the case is not theirs to read
    sign_in(other, "agent_nyc")
    assert other.get(f"/cases/{uid}/telecom").status_code == 403
