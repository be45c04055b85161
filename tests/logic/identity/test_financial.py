"""Financial selectors: bank accounts, wallets and payment handles are shared nodes; an account shared by
two cases alerts both agents, shows in the explorer and in the saved query; bad values name their field."""

from __future__ import annotations

import pytest

from ccms_graph import queries
from ccms_graph.errors import ValidationFailed
from ccms_graph.logic.casework.cases import create_case
from ccms_graph.logic.entities import access, links, records
from ccms_graph.logic.oversight import notifications
from ccms_graph.web.views.explorer import graph_elements
from tests.factories import make_person

ACCOUNT = {"institution": "First Biscayne Bank", "routing_number": "021000021", "account_number": "0012-3456-789"}
SAME_ACCOUNT = {"institution": "1st Biscayne", "routing_number": "0210 0002 1", "account_number": "00123456789"}
WALLET = {"chain": "ETH", "address": "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"}


def _case(graph, who, title, restricted=False):
    case = create_case(graph, who, {"title": title, "restricted": restricted})
    return case["uid"], case["props"]["case_number"]


def _alerts(graph, who):
    return [n for n in notifications.inbox(graph, who) if n["kind"] == "account_alert"]


def test_a_bank_account_shared_by_two_cases_alerts_both_agents_once(graph, org):
    nyc_uid, nyc_number = _case(graph, org.agent_nyc, "Operation Hudson", restricted=True)
    make_person(graph, org.agent_nyc, case_uid=nyc_uid, given_name="Target", family_name="Hudson",
                bank_accounts=[ACCOUNT])
    mia_uid, mia_number = _case(graph, org.agent_a, "Operation Ledger")
    make_person(graph, org.agent_a, case_uid=mia_uid, given_name="Rosa", family_name="Vidal",
                bank_accounts=[SAME_ACCOUNT])

    # One node for the account, however it was typed.
    assert graph.query("MATCH (b:BankAccount) RETURN b.key AS key") == [{"key": "bank:021000021:00123456789"}]
    (to_mia,) = _alerts(graph, org.agent_a)
    assert to_mia["other_agent_name"] == "Agent Nyc" and to_mia["case_number"] == mia_number
    # The other case is restricted: neither its number nor its title reaches the Miami agent.
    assert nyc_number not in repr(to_mia) and "Hudson" not in repr(to_mia)
    (to_nyc,) = _alerts(graph, org.agent_nyc)
    assert to_nyc["other_agent_name"] == "Agent A" and to_nyc["other_case_number"] == mia_number
    assert "00123456789" in to_nyc["message"]
    entries = graph.query("MATCH (e:AuditEntry {action: 'notify'}) RETURN e.details AS d")
    assert any("account_alert" in str(e["d"]) for e in entries)

    # A third record of the same case holding it again raises no second alert for the same pair.
    make_person(graph, org.agent_a, case_uid=mia_uid, given_name="Ana", family_name="Vidal", bank_accounts=[ACCOUNT])
    assert len(_alerts(graph, org.agent_a)) == 1 and len(_alerts(graph, org.agent_nyc)) == 1


def test_linking_a_holder_into_a_second_case_alerts_too(graph, org):
    one, _ = _case(graph, org.agent_a, "Operation One")
    two, two_number = _case(graph, org.agent_b, "Operation Two")
    make_person(graph, org.agent_a, case_uid=one, given_name="Al", family_name="Moss",
                crypto_wallets=[WALLET])
    other = make_person(graph, org.agent_b, given_name="Bo", family_name="Reyes",
                        crypto_wallets=[{"chain": "ethereum", "address": WALLET["address"].lower()}])
    assert _alerts(graph, org.agent_a) == []  # the second holder is in no case yet
    links.link(graph, org.agent_b, {"source_uid": other["uid"], "target_uid": two, "type": "SUBJECT_IN",
                                    "reason": "subject of operation two"})
    (alert,) = _alerts(graph, org.agent_a)
    assert alert["other_case_number"] == two_number
    assert len(_alerts(graph, org.agent_b)) == 1


def test_the_shared_account_shows_in_the_explorer_and_the_saved_query(graph, org):
    one, _ = _case(graph, org.agent_a, "Operation One")
    two, _ = _case(graph, org.agent_b, "Operation Two")
    a = make_person(graph, org.agent_a, case_uid=one, given_name="Al", family_name="Moss", bank_accounts=[ACCOUNT])
    b = make_person(graph, org.agent_b, case_uid=two, given_name="Bo", family_name="Reyes",
                    payment_handles=[{"service": "Cash App", "handle": "$BoReyes"}], bank_accounts=[SAME_ACCOUNT])
    ((account_uid,),) = [tuple(r.values()) for r in graph.query("MATCH (b:BankAccount) RETURN b.uid AS uid")]

    near = graph_elements(access.neighbours(graph, org.agent_a, account_uid))
    assert {n["id"] for n in near["nodes"]} == {account_uid, a["uid"], b["uid"]}
    assert {e["type"] for e in near["edges"]} == {"HOLDS_ACCOUNT"}
    assert next(n for n in near["nodes"] if n["id"] == account_uid)["type"] == "BankAccount"

    rows = queries.run_query(graph, org.agent_a, "accounts_shared_across_cases", {}).rows
    assert [(r["account"], r["cases"], sorted(r["subject_uids"])) for r in rows] == [
        ("bank:021000021:00123456789", 2, sorted([a["uid"], b["uid"]]))]


def test_a_restricted_holder_neither_counts_nor_shows_in_the_saved_query(graph, org):
    one, _ = _case(graph, org.agent_a, "Operation One")
    hidden, _ = _case(graph, org.agent_nyc, "Operation Hidden", restricted=True)
    make_person(graph, org.agent_a, case_uid=one, given_name="Al", family_name="Moss", bank_accounts=[ACCOUNT])
    make_person(graph, org.agent_nyc, case_uid=hidden, given_name="Cy", family_name="Park", bank_accounts=[ACCOUNT])
    assert queries.run_query(graph, org.agent_a, "accounts_shared_across_cases", {}).rows == []
    assert len(queries.run_query(graph, org.agent_nyc, "accounts_shared_across_cases", {}).rows) == 0
    assert len(queries.run_query(graph, org.auditor, "accounts_shared_across_cases", {}).rows) == 1


def test_a_shared_account_is_deconfliction_evidence(graph, org):
    make_person(graph, org.agent_a, given_name="Rosa", family_name="Vidal", dob="1980-02-03",
                bank_accounts=[ACCOUNT])
    (hit,) = records.create_entity(
        graph, org.agent_b, "Person", {"given_name": "Rosa", "family_name": "Vidal",
                                       "bank_accounts": [SAME_ACCOUNT], "separate_reason": "a test"})["hits"]
    (row,) = [r for r in hit["explanation"] if r["field"] == "accounts"]
    assert row["level"] == "agree" and row["weight"] > 0


def test_a_search_finds_the_holder_by_account_number(graph, org):
    p = make_person(graph, org.agent_a, given_name="Rosa", family_name="Vidal", bank_accounts=[ACCOUNT])
    found = access.search(graph, org.agent_a, "00123456789")
    assert [f["uid"] for f in found] == [p["uid"]]
    records.update_entity(graph, org.agent_a, p["uid"], {"middle_name": "Luz"})
    assert [f["uid"] for f in access.search(graph, org.agent_a, "00123456789")] == [p["uid"]]


@pytest.mark.parametrize(("field", "item", "part", "says"), [
    ("bank_accounts", {"routing_number": "021000022", "account_number": "123456"}, "routing_number",
     "not a valid ABA routing number"),
    ("bank_accounts", {"account_number": "12345678"}, "routing_number", "routing number is needed"),
    ("crypto_wallets", {"chain": "ethereum", "address": "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD"},
     "address", "EIP-55"),
    ("crypto_wallets", {"chain": "bitcoin", "address": "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNb"}, "address",
     "not a valid Bitcoin address"),
    ("crypto_wallets", {"chain": "dogecoin", "address": "D8vFz4p1L37jdg9xpp2RqrY9z6cEKr9PhE"}, "chain",
     "not a chain"),
    ("payment_handles", {"service": "venmo", "handle": "@ab"}, "handle", "not a Venmo username"),
])
def test_bad_financial_values_are_refused_naming_the_field(graph, org, field, item, part, says):
    with pytest.raises(ValidationFailed) as exc:
        make_person(graph, org.agent_a, **{field: [item]})
    (message,) = exc.value.errors[field][0][part]
    assert says in message
    assert graph.query("MATCH (p:Person) RETURN count(p) AS n") == [{"n": 0}]
