"""Financial selectors and PIA identifiers, normalised: equal accounts written differently share one key;
a bad checksum is refused, naming the part that is wrong."""

from __future__ import annotations

import pytest

from ccms_graph.matching import identifiers as ids
from ccms_graph.nodes.vocabulary import FINANCIAL_SELECTORS

# EIP-55's own test vectors.
EIP55 = ["0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
         "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB", "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb"]


@pytest.mark.parametrize("address", EIP55)
def test_eip55_checksums_are_computed_and_checked(address):
    assert ids.eip55(address.lower()) == address
    wallet = ids.crypto_wallet("eth", address.lower())  # all lower case carries no checksum: accepted
    assert wallet["address"] == address and wallet["key"] == f"crypto:ethereum:{address.lower()}"
    flipped = address[:-1] + (address[-1].lower() if address[-1].isupper() else address[-1].upper())
    if flipped[-1].isalpha():
        with pytest.raises(ids.BadValue) as exc:
            ids.crypto_wallet("ethereum", flipped)
        assert exc.value.part == "address" and "EIP-55" in str(exc.value)


@pytest.mark.parametrize(("address", "key"), [
    ("1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa", "crypto:bitcoin:1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa"),  # base58check
    ("BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4", "crypto:bitcoin:bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4"),
])
def test_bitcoin_addresses_share_one_key(address, key):
    assert ids.crypto_wallet("BTC", address)["key"] == key


@pytest.mark.parametrize("address", ["1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNb", "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t5",
                                     "not an address"])
def test_bitcoin_checksums_are_checked(address):
    with pytest.raises(ids.BadValue) as exc:
        ids.crypto_wallet("bitcoin", address)
    assert exc.value.part == "address"


def test_bank_accounts_normalise_to_routing_and_account_or_iban():
    a = ids.bank_account("Chase", "021-000-021", "0012 3456 789")
    b = ids.bank_account("JPMorgan Chase Bank", "021000021", "00123456789")
    assert a["key"] == b["key"] == "bank:021000021:00123456789"
    assert ids.bank_account(None, "", "gb82 west 1234 5698 7654 32")["key"] == "bank:iban:GB82WEST12345698765432"
    for routing, account, part in [("021000022", "123456", "routing_number"), ("", "12345678", "routing_number"),
                                   ("021000021", "12", "account_number"), ("021000021", "", "account_number")]:
        with pytest.raises(ids.BadValue) as exc:
            ids.bank_account(None, routing, account)
        assert exc.value.part == part


@pytest.mark.parametrize(("service", "handle", "key"), [
    ("Cash App", "$JohnDoe", "pay:cashapp:johndoe"),
    ("venmo", "@John-Doe_1", "pay:venmo:john-doe_1"),
    ("PayPal", "paypal.me/JohnDoe", "pay:paypal:johndoe"),
    ("zelle", "(202) 555-0142", "pay:zelle:+12025550142"),
    ("zelle", "John@Example.com", "pay:zelle:john@example.com"),
])
def test_payment_handles_normalise_per_service(service, handle, key):
    assert ids.payment_handle(service, handle)["key"] == key


@pytest.mark.parametrize(("service", "handle", "part"), [
    ("bitbank", "x", "service"), ("cashapp", "$12345", "handle"), ("venmo", "ab", "handle"), ("zelle", "nope", "handle"),
])
def test_bad_payment_handles_name_the_part(service, handle, part):
    with pytest.raises(ids.BadValue) as exc:
        ids.payment_handle(service, handle)
    assert exc.value.part == part


def test_every_financial_selector_type_has_a_parser():
    assert {ids.financial_selector(t, item)["key"].split(":")[0] for t, item in zip(FINANCIAL_SELECTORS, [
        {"routing_number": "021000021", "account_number": "1234"}, {"chain": "eth", "address": EIP55[0]},
        {"service": "venmo", "handle": "someone"}], strict=True)} == {"bank", "crypto", "pay"}


@pytest.mark.parametrize(("kind", "raw", "key"), [
    ("Pilot's licence", "345-6789", "pilot_license:3456789"),
    ("airman certificate", "a1234567", "pilot_license:A1234567"),
    ("pilot_license", "12", None),
    ("sar", "3100-0123-4567-89", "sar:31000123456789"),
    ("ctr", "3100012345678", None),
])
def test_pilot_licence_and_bsa_ids(kind, raw, key):
    assert ids.identifier_key(kind, raw) == key
