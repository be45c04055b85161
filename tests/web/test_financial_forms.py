"""The record form and the API take bank accounts, wallets and payment handles, and name a bad one's field."""

from __future__ import annotations

import re

from tests.api.conftest import Api, token_for
from tests.web.conftest import csrf_from, sign_in


def test_the_record_form_takes_financial_selectors_and_marks_a_bad_one(client, graph, org):
    sign_in(client, "agent_a")
    token = csrf_from(client.get("/records/new/Person").get_data(as_text=True))
    bad = client.post("/records/new/Person", data={
        "csrf_token": token, "given_name": "Ana", "family_name": "Ruiz", "bank_routing_number": "021000022",
        "bank_account_number": "123456", "crypto_wallets": "bitcoin: 1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNb"})
    html = bad.get_data(as_text=True)
    assert bad.status_code == 422
    assert re.search(r'id="f-bank_routing_number"[^>]*aria-invalid="true"', html)
    assert "not a valid ABA routing number" in html and "not a valid Bitcoin address" in html
    assert graph.query("MATCH (p:Person) RETURN count(p) AS n") == [{"n": 0}]

    good = client.post("/records/new/Person", data={
        "csrf_token": token, "given_name": "Ana", "family_name": "Ruiz", "bank_institution": "Biscayne Bank",
        "bank_routing_number": "021000021", "bank_account_number": "123456",
        "crypto_wallets": "bitcoin: 1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa",
        "payment_handles": "cashapp: $AnaRuiz\nvenmo: @ana-ruiz"})
    assert good.status_code == 200
    held = graph.query("MATCH (:Person)-[r]->(s) WHERE s:BankAccount OR s:CryptoWallet OR s:PaymentHandle "
                       "RETURN type(r) AS t, s.key AS key ORDER BY key")
    assert held == [{"t": "HOLDS_ACCOUNT", "key": "bank:021000021:123456"},
                    {"t": "USES_WALLET", "key": "crypto:bitcoin:1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa"},
                    {"t": "USES_PAYMENT_HANDLE", "key": "pay:cashapp:anaruiz"},
                    {"t": "USES_PAYMENT_HANDLE", "key": "pay:venmo:ana-ruiz"}]


def test_the_api_refuses_a_bad_wallet_with_a_problem_naming_the_field(client, graph, org):
    api = Api(client, token_for(graph, org.agent_a))
    r = api.post("records/persons", json={"given_name": "Ana", "crypto_wallets": [
        {"chain": "ethereum", "address": "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD"}]})
    assert r.status_code == 422
    body = r.get_json()
    assert "EIP-55" in str(body) and "crypto_wallets" in str(body) and "address" in str(body)
    ok = api.post("records/persons", json={"given_name": "Ana", "pilot_license": "3456789",
                                           "pilot_license_authority": "FAA",
                                           "payment_handles": [{"service": "zelle", "handle": "ana@example.com"}]})
    assert ok.status_code in (200, 201), ok.get_json()
    assert ok.get_json()["props"]["pilot_license_authority"] == "FAA"
