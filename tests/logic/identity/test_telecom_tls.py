"""The TLS tab's figures, miscellaneous records, IMSI/IMEI/IP selectors and cell sites, against the real Neo4j."""

from __future__ import annotations

import pytest

from ccms_graph.errors import NotFound, ValidationFailed
from ccms_graph.logic.casework.cases import create_case
from ccms_graph.logic.entities import access
from ccms_graph.logic.identity import telecom, telecom_analysis, telecom_selectors
from ccms_graph.logic.oversight import notifications
from tests.factories import make_person
from tests.logic.location.plans import label_scans, operators

A, B, C, D = "+13055550101", "+12125550199", "+12125550177", "+17865550123"

#: A known fixture: A calls B twice on the 5th, B calls A on the 6th, A calls C on the 6th and 7th, D calls A
#: on the 7th; two cell sites; three bad rows (coordinates without a site, out of range, one of a pair).
CDR = """originating_number,terminating_number,start_time,duration,cell_site,latitude,longitude
305-555-0101,212-555-0199,2026-01-05T10:00:00Z,60,MIA-041,25.7617,-80.1918
305-555-0101,212-555-0199,2026-01-05T18:00:00Z,30,MIA-041,,
212-555-0199,305-555-0101,2026-01-06T09:00:00Z,2:00,MIA-052,25.79,-80.13
305-555-0101,212-555-0177,2026-01-06T10:00:00Z,45,,,
305-555-0101,212-555-0177,2026-01-07T11:00:00Z,15,,,
786-555-0123,305-555-0101,2026-01-07T12:00:00Z,10,,,
786-555-0123,305-555-0101,2026-01-08T12:00:00Z,10,,25.1,-80.1
786-555-0123,305-555-0101,2026-01-08T13:00:00Z,10,MIA-9,95,-80.1
786-555-0123,305-555-0101,2026-01-08T14:00:00Z,10,MIA-9,25.1,
"""


def _case(graph, who, title, restricted=False):
    case = create_case(graph, who, {"title": title, "restricted": restricted})
    return case["uid"], case["props"]["case_number"]


def _loaded_case(graph, org, restricted=False):
    uid, number = _case(graph, org.agent_a, "Operation Wire", restricted=restricted)
    make_person(graph, org.agent_a, case_uid=uid, given_name="Target", family_name="Wire", phones=["305-555-0101"])
    out = telecom.import_cdr(graph, org.agent_a, number, CDR, filename="return-2026-01.csv")
    return uid, number, out


def test_tls_summary_counts_the_known_fixture(graph, org):
    uid, number, out = _loaded_case(graph, org)
    assert out["loaded"] == 6
    assert out["refused"] == [
        {"row": 8, "reason": "cell_site: give the cell site's id with its coordinates"},
        {"row": 9, "reason": "latitude: 95 is outside -90 to 90 degrees"},
        {"row": 10, "reason": "longitude: give longitude together with latitude, or neither"},
    ]

    tls = telecom_analysis.summary(graph, org.agent_b, uid)  # a colleague of the same office reads the case
    assert tls["case_number"] == number
    (imp,) = tls["imports"]
    assert (imp["kind"], imp["filename"], imp["imported_by_name"]) == ("cdr", "return-2026-01.csv", "Agent A")
    assert (imp["rows"], imp["loaded"], imp["refused"], imp["duplicates"]) == (9, 6, 3, 0)
    assert tls["totals"]["calls"] == 6 and tls["totals"]["numbers"] == 4 and tls["totals"]["seconds"] == 280
    assert [(p["orig"], p["term"], p["calls"], p["seconds"]) for p in tls["pairs"]] == [
        (A, B, 2, 90), (A, C, 2, 60), (B, A, 1, 120), (D, A, 1, 10)]
    first = tls["pairs"][0]
    assert first["first_at"].startswith("2026-01-05T10:00") and first["last_at"].startswith("2026-01-05T18:00")
    assert [(d["day"], d["calls"]) for d in tls["per_day"]] == [("2026-01-05", 2), ("2026-01-06", 2),
                                                                ("2026-01-07", 2)]
    (target,) = tls["top_contacts"]  # the subject's number is the target
    assert target["number"] == A and target["calls"] == 6
    assert [(c["number"], c["calls"], c["outgoing"], c["incoming"], c["seconds"]) for c in target["contacts"]] == [
        (B, 3, 2, 1, 210), (C, 2, 2, 0, 60), (D, 1, 0, 1, 10)]
    sites = {s["site_id"]: s for s in tls["cell_sites"]}
    assert sites["MIA-041"]["calls"] == 2 and sites["MIA-041"]["location"] == {"latitude": 25.7617,
                                                                               "longitude": -80.1918}
    assert sites["MIA-052"]["location"] == {"latitude": 25.79, "longitude": -80.13}
    assert graph.query("MATCH (s:CellSite) RETURN count(s) AS n") == [{"n": 2}]

    # Audited as a view, and the owner told who opened the tab.
    entries = graph.query("MATCH (e:AuditEntry {action: 'view'}) WHERE e.details CONTAINS 'telecom_summary' "
                          "RETURN e.actor_uid AS who")
    assert entries == [{"who": org.agent_b.uid}]
    assert any(n["kind"] == "view" and "TLS" in n.get("message", "") for n in notifications.inbox(graph, org.agent_a))

    # A re-run loads nothing twice: the figures stay, the import is listed with its duplicates.
    again = telecom.import_cdr(graph, org.agent_a, number, CDR)
    assert again["loaded"] == 0
    tls = telecom_analysis.summary(graph, org.agent_a, uid)
    assert tls["totals"]["calls"] == 6 and [i["duplicates"] for i in tls["imports"]] == [6, 0]


def test_a_call_shared_with_another_case_counts_only_where_it_was_loaded(graph, org):
    uid, _, _ = _loaded_case(graph, org)
    other_uid, other_number = _case(graph, org.agent_nyc, "Operation Hudson", restricted=True)
    telecom.import_cdr(graph, org.agent_nyc, other_number,
                       "orig,term,start,duration\n305-555-0101,212-555-0199,2026-02-01T10:00:00Z,600\n")
    assert telecom_analysis.summary(graph, org.agent_a, uid)["totals"]["calls"] == 6
    assert telecom_analysis.summary(graph, org.agent_nyc, other_uid)["totals"]["calls"] == 1


def test_the_tls_figures_find_the_cases_calls_from_the_case_not_by_reading_every_call(graph, org):
    """The frequency table, calls per day and cell sites reach the case's calls by its KEPT_FOR: no label scan."""
    uid, _, _ = _loaded_case(graph, org)
    for query in (telecom_analysis._PAIRS, telecom_analysis._PER_DAY, telecom_analysis._CELLS):
        plan = graph.read(lambda tx, q=query: tx.run("PROFILE " + q, case=uid).consume().profile)
        assert not label_scans(plan, "CallRecord"), operators(plan)
        assert any("KEPT_FOR" in d for _, d in operators(plan)), operators(plan)


def test_a_non_reader_of_a_restricted_case_is_refused_and_learns_nothing(graph, org):
    uid, number, _ = _loaded_case(graph, org, restricted=True)
    with pytest.raises(NotFound) as hidden:
        telecom_analysis.summary(graph, org.agent_nyc, uid)
    with pytest.raises(NotFound) as missing:
        telecom_analysis.summary(graph, org.agent_nyc, "no-such-case")
    # The same words as for a case that does not exist, with no figure in them.
    assert hidden.value.detail.replace(uid, "X") == missing.value.detail.replace("no-such-case", "X")
    assert hidden.value.detail == f"no case {uid}"
    for n in ("280", A, number):  # the uid is random hex: it may hold "280" by chance, so it is left out
        assert n not in hidden.value.detail.replace(uid, "")
    with pytest.raises(NotFound):  # the case number tells nothing either
        telecom_analysis.summary(graph, org.agent_nyc, number)
    denied = graph.query("MATCH (e:AuditEntry {action: 'deny'}) WHERE e.actor_uid = $who RETURN count(e) AS n",
                         {"who": org.agent_nyc.uid})
    assert denied[0]["n"] >= 2
    assert not [n for n in notifications.inbox(graph, org.agent_a) if "TLS" in (n.get("message") or "")]
    # Nor does the explorer show a restricted case's number to them.
    phone_uid = graph.query("MATCH (p:Phone {e164: $e}) RETURN p.uid AS uid", {"e": B})[0]["uid"]
    with pytest.raises(NotFound):
        access.neighbours(graph, org.agent_nyc, phone_uid)


MISC = """number,imsi,imei,ip,record_type,time,details
305-555-0101,,,198.51.100.7,IP session,2026-01-05T10:00:00Z,LTE data session 10:00-10:40
,310150123456789,,,SIM swap,2026-01-06 08:00:00,new SIM issued at store 14
305-555-0101,,,198.51.100.7,IP session,2026-01-05T10:00:00Z,LTE data session 10:00-10:40
,,,,note,2026-01-06T08:00:00Z,nothing to identify
305-555-0101,,,300.1.1.1,IP session,2026-01-05T11:00:00Z,
305-555-0101,123450123456789,,,SIM swap,2026-01-06T09:00:00Z,
305-555-0101,,490154203237519,,handset,2026-01-06T09:00:00Z,
305-555-0101,,,2001:DB8:0:0::1,IP session,yesterday,
305-555-0101,,,::ffff:192.0.2.1,IP session,2026-01-07T09:00:00Z,v4-mapped
"""


def test_misc_import_loads_good_rows_refuses_bad_ones_by_row_and_reruns_add_nothing(graph, org):
    uid, number = _case(graph, org.agent_a, "Operation Misc")
    out = telecom.import_misc(graph, org.agent_a, number, MISC, filename="misc.csv")
    assert out["loaded"] == 3
    assert out["refused"] == [
        {"row": 4, "reason": "duplicate of row 2"},
        {"row": 5, "reason": "give a number, imsi, imei or ip"},
        {"row": 6, "reason": "ip: '300.1.1.1' is not an IPv4 or IPv6 address"},
        {"row": 7, "reason": "imsi: '123450123456789' is not an IMSI: '123' is not a known mobile country code"},
        {"row": 8, "reason": "imei: '490154203237519' is not an IMEI: its check digit is wrong"},
        {"row": 9, "reason": "time: 'yesterday' is not an ISO 8601 date-time"},
    ]
    ips = graph.query("MATCH (s:IPAddress) RETURN s.key AS key ORDER BY key")
    assert ips == [{"key": "ip:192.0.2.1"}, {"key": "ip:198.51.100.7"}]
    tls = telecom_analysis.summary(graph, org.agent_a, uid)
    assert tls["misc_by_type"] == {"ip_session": 2, "sim_swap": 1}
    assert {(i["type"], i["value"]) for i in tls["identifiers"]} == {
        ("IPAddress", "198.51.100.7"), ("IPAddress", "192.0.2.1"), ("IMSI", "310150123456789")}
    again = telecom.import_misc(graph, org.agent_a, number, MISC)
    assert again["loaded"] == 0 and [d["row"] for d in again["duplicates"]] == [2, 3, 10]
    assert graph.query("MATCH (m:MiscRecord) RETURN count(m) AS n") == [{"n": 3}]


@pytest.mark.parametrize(("label", "value", "field", "words"), [
    ("IMSI", "3101501234", "imsi", "14 or 15 digits"),
    ("IMSI", "31015012345678x", "imsi", "digits only"),
    ("IMSI", "123450123456789", "imsi", "mobile country code"),
    ("IMEI", "490154203237519", "imei", "check digit"),
    ("IMEI", "4901542032375", "imei", "15 digits"),
    ("IMEI", "4901542032375180", "imei", "15 digits"),
    ("IPAddress", "10.0.0.256", "ip", "not an IPv4 or IPv6"),
    ("IPAddress", "fe80::1::2", "ip", "not an IPv4 or IPv6"),
])
def test_selector_validation_errors_name_the_field(label, value, field, words):
    with pytest.raises(ValidationFailed) as refused:
        telecom_selectors.validate(label, value, field)
    assert list(refused.value.errors) == [field] and words in refused.value.errors[field][0]


def test_selectors_are_normalised():
    assert telecom_selectors.validate("IMSI", "310 150 123456789", "imsi")["key"] == "imsi:310150123456789"
    assert telecom_selectors.validate("IMEI", "49-015420-323751-8", "imei")["key"] == "imei:490154203237518"
    assert telecom_selectors.validate("IPAddress", "2001:DB8:0:0:0:0:0:1", "ip")["key"] == "ip:2001:db8::1"
    assert telecom_selectors.validate("IPAddress", "[::ffff:192.0.2.1]", "ip")["key"] == "ip:192.0.2.1"


def test_subscriber_rows_with_a_bad_imsi_or_imei_are_refused_naming_the_column(graph, org):
    _, number = _case(graph, org.agent_a, "Operation Sim")
    subs = ("number,subscriber_name,imsi,imei\n305-555-0142,Jane Roe,310150123456789,490154203237518\n"
            "305-555-0143,John Roe,31015,\n305-555-0144,Jim Roe,,490154203237519\n")
    out = telecom.import_subscribers(graph, org.agent_a, number, subs)
    assert out["loaded"] == 1
    assert [r["row"] for r in out["refused"]] == [3, 4]
    assert out["refused"][0]["reason"].startswith("imsi: ") and out["refused"][1]["reason"].startswith("imei: ")


def test_a_shared_imei_alerts_both_agents_once_and_the_explorer_shows_it_to_readers_only(graph, org):
    mia_uid, mia_number = _case(graph, org.agent_a, "Operation Handset")
    nyc_uid, nyc_number = _case(graph, org.agent_nyc, "Operation Hudson", restricted=True)
    first = telecom.import_subscribers(graph, org.agent_a, mia_number,
                                       "number,imei\n305-555-0142,490154203237518\n")
    assert first["alerts"] == 0
    # Another number, another case, the same handset: one alert to each agent.
    misc = "number,imei,record_type,time\n212-555-0100,49 015420 323751 8,handset seen,2026-01-09T10:00:00Z\n"
    second = telecom.import_misc(graph, org.agent_nyc, nyc_number, misc)
    assert second["alerts"] == 2
    telecom.import_misc(graph, org.agent_nyc, nyc_number, misc)
    telecom.import_subscribers(graph, org.agent_a, mia_number, "number,imei\n305-555-0199,490154203237518\n")
    to_mia = [n for n in notifications.inbox(graph, org.agent_a) if n["kind"] == "telecom_alert"]
    to_nyc = [n for n in notifications.inbox(graph, org.agent_nyc) if n["kind"] == "telecom_alert"]
    assert len(to_mia) == 1 and len(to_nyc) == 1
    assert to_mia[0]["number"] == "490154203237518" and to_mia[0]["other_agent_name"] == "Agent Nyc"
    assert nyc_number not in repr(to_mia) and "Hudson" not in repr(to_mia)  # restricted: never named
    assert to_nyc[0]["other_case_number"] == mia_number
    assert graph.query("MATCH (s:IMEI) RETURN count(s) AS n") == [{"n": 1}]

    # The explorer: a reader of the Miami case expands its number to the IMEI, the IDENTIFIED_AS link carrying
    # only the Miami case; the Miami agent never sees that the New York case names it too.
    phone = graph.query("MATCH (p:Phone {e164: '+13055550142'}) RETURN p.uid AS uid")[0]["uid"]
    out = access.neighbours(graph, org.agent_a, phone, ["IDENTIFIED_AS"])
    (link,) = out["links"]
    assert link["other"]["type"] == "IMEI" and link["link"]["case_uids"] == [mia_uid]
    imei_uid = link["other"]["uid"]
    expanded = access.neighbours(graph, org.agent_a, imei_uid, ["IDENTIFIED_AS"])
    assert sorted(x["other"]["props"]["e164"] for x in expanded["links"]) == ["+13055550142", "+13055550199"]
    assert not any(x["other"].get("locked") for x in expanded["links"])  # the New York number is not even locked
    nyc_phone = graph.query("MATCH (p:Phone {e164: '+12125550100'}) RETURN p.uid AS uid")[0]["uid"]
    with pytest.raises(NotFound):
        access.neighbours(graph, org.agent_a, nyc_phone)
    # The New York agent reads the IMEI through their own misc record.
    seen = access.neighbours(graph, org.agent_nyc, imei_uid, ["IDENTIFIED_AS"])
    assert seen["center"]["type"] == "IMEI"
    assert [x["link"]["case_uids"] for x in seen["links"]] == [[nyc_uid]]
