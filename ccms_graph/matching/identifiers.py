"""Normalize identifiers (SSN, A-Number, VIN, IMO, phone, ...) to one canonical string, or None if invalid."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from functools import lru_cache

import phonenumbers
from Crypto.Hash import keccak
from stdnum import bitcoin, iban
from stdnum.exceptions import ValidationError as StdnumInvalid
from stdnum.us import rtn

_NON_ALNUM = re.compile(r"[^A-Z0-9]")
_NON_DIGIT = re.compile(r"\D")

#: Spellings of identifier kinds seen in imports, mapped to the kinds below.
KIND_ALIASES = {
    "social_security_number": "ssn", "social": "ssn",
    "anumber": "a_number", "a_no": "a_number", "alien_number": "a_number", "anum": "a_number",
    "uscis_number": "a_number", "alien_registration_number": "a_number",
    "passport_number": "passport",
    "dl": "drivers_license", "driver_license": "drivers_license", "drivers_licence": "drivers_license",
    "driving_licence": "drivers_license", "license": "drivers_license",
    "fbi": "fbi_number", "ucn": "fbi_number",
    "telephone": "phone", "phone_number": "phone", "mobile": "phone", "cell": "phone",
    "e_mail": "email", "email_address": "email",
    "license_plate": "plate", "plate_number": "plate", "tag": "plate",
    "tail_number": "n_number", "registration_mark": "n_number", "tail": "n_number",
    "hull_id": "hin", "hull_identification_number": "hin",
    "imo_number": "imo", "serial_number": "serial", "tin": "ein", "fein": "ein",
    "pilot_licence": "pilot_license", "pilot_certificate": "pilot_license", "airman_certificate": "pilot_license",
    "faa_certificate": "pilot_license", "pilot_license_number": "pilot_license", "pilots_licence": "pilot_license",
    "pilots_license": "pilot_license",
    "sar_reference": "sar", "bsa_id": "sar", "ctr_reference": "ctr",
}


#: What an identifier's kind becomes when its value failed the kind's checks on import ("ssn_unverified"):
#: compared like any identifier of its own kind, never decisive, and not enough alone to identify a record.
UNVERIFIED = "_unverified"


def is_unverified(kind: object) -> bool:
    """Whether an identifier kind (any spelling) is an unverified one."""
    return canonical_kind(kind).endswith(UNVERIFIED)


#: Kinds whose values are digits only: an unverified one is keyed by its digits (`unverified_key`).
_DIGIT_KINDS = frozenset({"ssn", "imo", "mmsi", "ein", "imei", "sar", "ctr"})


def unverified_key(kind: object, value: object) -> str | None:
    """"<kind>:<value as far as it can be read>" of an unverified identifier ("vin_unverified", a VIN of
    16 characters -> "vin:1HGCM82633A00435"), or None when `kind` is not unverified or nothing is left.

    Keyed under its own kind's prefix, not "vin_unverified", so that its deletion and two-edit keys
    (`features`, `blocking`) meet those of a valid VIN one or two slips away, and the scorer compares
    it with the other record's valid VINs (`compare.compare_unverified`). It is never an exact
    identifier key: a VIN that failed its checks cannot decide anything."""
    k = canonical_kind(kind)
    if not k.endswith(UNVERIFIED) or not (base := k[:-len(UNVERIFIED)]):
        return None
    text = str(value.get("value") if isinstance(value, dict) else value or "")
    v = digits(text) if base in _DIGIT_KINDS else alnum_upper(text)
    if base == "vin":
        v = v.translate(_VIN_LOOKALIKES)
    elif base == "icao24":
        v = v.lower()
    return f"{_KEY_PREFIX.get(base, base)}:{v}" if v else None


def canonical_kind(kind: object) -> str:
    """The canonical kind name for a spelling such as "A-Number", "Driver's License" or "DL"."""
    k = re.sub(r"[^a-z0-9]+", "_", str(kind or "").lower().replace("'", "")).strip("_")
    return KIND_ALIASES.get(k, k)


def alnum_upper(value: object) -> str:
    """Uppercase with everything but A-Z and 0-9 removed."""
    return _NON_ALNUM.sub("", str(value).upper()) if value is not None else ""


def digits(value: object) -> str:
    """Only the digits of a value."""
    return _NON_DIGIT.sub("", str(value)) if value is not None else ""


def luhn_ok(number: str) -> bool:
    """Whether a digit string passes the Luhn check (IMEI, card numbers)."""
    if not number.isdigit():
        return False
    total = 0
    for i, ch in enumerate(reversed(number)):
        d = int(ch)
        if i % 2 == 1:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


_VIN_VALUES = {
    **{str(d): d for d in range(10)},
    **dict(zip("ABCDEFGH", range(1, 9), strict=True)),
    **dict(zip("JKLMN", range(1, 6), strict=True)), "P": 7, "R": 9,
    **dict(zip("STUVWXYZ", range(2, 10), strict=True)),
}
_VIN_WEIGHTS = (8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2)


def vin_check_digit_ok(vin: str) -> bool:
    """Whether a 17-character VIN's 9th character is its North American check digit."""
    v = alnum_upper(vin)
    if len(v) != 17 or any(c not in _VIN_VALUES for c in v):
        return False
    remainder = sum(_VIN_VALUES[c] * w for c, w in zip(v, _VIN_WEIGHTS, strict=True)) % 11
    return v[8] == ("X" if remainder == 10 else str(remainder))


def imo_check_ok(imo: str) -> bool:
    """Whether a 7-digit IMO ship number's last digit is its check digit."""
    if len(imo) != 7 or not imo.isdigit():
        return False
    return sum(int(c) * w for c, w in zip(imo[:6], range(7, 1, -1), strict=True)) % 10 == int(imo[6])


def _ssn(value: object) -> str | None:
    d = digits(value)
    if len(d) != 9:
        return None
    area, group, serial = d[:3], d[3:5], d[5:]
    if area in ("000", "666") or area.startswith("9") or group == "00" or serial == "0000":
        return None
    return d


def _a_number(value: object) -> str | None:
    v = alnum_upper(value)
    v = v[1:] if v.startswith("A") else v
    if not v.isdigit() or len(v) not in (8, 9):
        return None
    return "A" + v.zfill(9)


def _phone(value: object, region: str = "US") -> str | None:
    text = str(value or "").strip()
    return _phone_text(text, region) if text else None


@lru_cache(maxsize=1 << 16)
def _phone_text(text: str, region: str) -> str | None:
    """`_phone` of stripped text, remembered: a record's phones are normalized for its stored keys, its
    probe and each comparison, and parsing one costs about 60 µs."""
    try:
        num = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(num):
        return None
    return phonenumbers.format_number(num, phonenumbers.PhoneNumberFormat.E164)


def _email(value: object) -> str | None:
    # Only trimming and lowercasing: we do not strip Gmail dots or "+tags", because a different
    # mailbox is a different identifier as far as an investigator can prove.
    v = str(value or "").strip().lower()
    if v.startswith("mailto:"):
        v = v[len("mailto:"):]
    return v if re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", v) else None


#: Letters a VIN never holds (ISO 3779), read as the digits a clerk meant: O and Q for 0, I for 1.
_VIN_LOOKALIKES = str.maketrans("OQI", "001")


def _vin(value: object) -> str | None:
    v = alnum_upper(value).translate(_VIN_LOOKALIKES)
    return v if len(v) == 17 else None


def _n_number(value: object) -> str | None:
    v = alnum_upper(value)
    if not v:
        return None
    # A bare US registration ("123AB") gets its "N"; foreign marks (e.g. "GABCD") stay as typed.
    return v if v.startswith("N") or not v[0].isdigit() else "N" + v


def _fixed_digits(length: int, check: Callable[[str], bool] | None = None) -> Callable[[object], str | None]:
    def normalize(value: object) -> str | None:
        d = digits(value)
        if len(d) != length or (check is not None and not check(d)):
            return None
        return d

    return normalize


def _imo(value: object) -> str | None:
    return _fixed_digits(7, imo_check_ok)(str(value or "").upper().replace("IMO", ""))


def _hin(value: object) -> str | None:
    v = alnum_upper(value)
    v = v[2:] if v.startswith("US") and len(v) == 14 else v  # "US-" country prefix
    return v if len(v) == 12 else None


def _imei(value: object) -> str | None:
    d = digits(value)
    # 15 digits with a Luhn check; IMEISV (16 digits) has no check digit.
    if (len(d) == 15 and luhn_ok(d)) or len(d) == 16:
        return d
    return None


def _icao24(value: object) -> str | None:
    # The 24-bit Mode S transponder address, written as six hex digits.
    h = alnum_upper(value).lower()
    return h if re.fullmatch(r"[0-9a-f]{6}", h) else None


def _alnum(value: object) -> str | None:
    return alnum_upper(value) or None


def _pilot_license(value: object) -> str | None:
    # An airman certificate number (FAA: up to 10 digits, older ones letters too; other authorities
    # differ), compared as typed less separators. The issuing authority qualifies it, as a country does a passport.
    v = alnum_upper(value)
    return v if 4 <= len(v) <= 14 else None


_NORMALIZERS: dict[str, Callable[[object], str | None]] = {
    "ssn": _ssn,
    "a_number": _a_number,
    "passport": _alnum,
    "drivers_license": _alnum,
    "fbi_number": _alnum,
    "phone": _phone,
    "email": _email,
    "vin": _vin,
    "plate": _alnum,
    "n_number": _n_number,
    "hin": _hin,
    "imo": _imo,
    "mmsi": _fixed_digits(9),
    "ein": _fixed_digits(9),
    "serial": _alnum,
    "imei": _imei,
    "icao24": _icao24,
    "pilot_license": _pilot_license,
    # A FinCEN BSA Identifier: the 14-digit number a filed SAR or CTR is known by.
    "sar": _fixed_digits(14),
    "ctr": _fixed_digits(14),
}

#: What a valid value of a kind looks like, for error messages that say how to fix a refused one.
FORMAT_HINTS = {
    "sar": "a SAR's BSA ID is 14 digits", "ctr": "a CTR's BSA ID is 14 digits",
    "pilot_license": "a certificate number is 4 to 14 letters and digits",
}

#: Prefixes of identifier keys that differ from the kind name.
_KEY_PREFIX = {"a_number": "anum"}


def normalize_identifier(kind: str, value: object) -> str | None:
    """The canonical form of an identifier of `kind`, or None when missing or invalid.

    Country (passport), state (driver's license, plate) are not part of the value: compare them
    separately. Phone numbers become E.164 with US as the default region.
    """
    if value is None:
        return None
    if isinstance(value, dict):
        value = value.get("number") or value.get("value")
    k = canonical_kind(kind)
    return _NORMALIZERS.get(k, _alnum)(value)


def identifier_key(kind: str, value: object) -> str | None:
    """Exact-lookup key "<prefix>:<normalized>" ("ssn:123456789", "anum:A012345678"), or None.

    The prefix is the canonical kind, except a_number -> "anum".
    """
    norm = normalize_identifier(kind, value)
    if norm is None:
        return None
    k = canonical_kind(kind)
    return f"{_KEY_PREFIX.get(k, k)}:{norm}"


# ---------------------------------------------------------------------------------------------
# Financial selectors: bank accounts, cryptocurrency wallets, payment handles
# ---------------------------------------------------------------------------------------------
# Each becomes one shared node, merged on its key, like a phone's E.164 number. A bad value raises
# BadValue naming the part that is wrong, so the caller can name the field.


class BadValue(ValueError):
    """A financial selector's part (`part`, e.g. "routing_number") is not valid; str() says why."""

    def __init__(self, part: str, message: str) -> None:
        super().__init__(message)
        self.part = part


def bank_account(institution: object, routing: object, account: object) -> dict:
    """{key, institution, routing_number, account_number, display} of a bank account.

    A US account is its ABA routing number (checksum checked) and account number, "bank:<routing>:<account>";
    without a routing number the account must be an IBAN (checked), "bank:iban:<IBAN>". The institution's
    name is kept for display only: the routing number is what names the bank.
    """
    number = alnum_upper(account)
    if not number:
        raise BadValue("account_number", "an account number is needed")
    inst = " ".join(str(institution or "").split()) or None
    routing_text = str(routing or "").strip()
    if routing_text:
        try:
            routing_number = rtn.validate(_NON_ALNUM.sub("", routing_text.upper()))
        except StdnumInvalid:
            raise BadValue("routing_number", f"{routing_text!r} is not a valid ABA routing number "
                                             "(9 digits with a check digit)") from None
        if not number.isdigit() or not 4 <= len(number) <= 17:
            raise BadValue("account_number", f"{account!r} is not a US account number (4 to 17 digits)")
        key = f"bank:{routing_number}:{number}"
        display = f"{inst or 'ABA ' + routing_number} {number}"
        return {"key": key, "institution": inst, "routing_number": routing_number, "account_number": number,
                "display": display}
    if not iban.is_valid(number):
        raise BadValue("routing_number", "a routing number is needed, unless the account number is an IBAN "
                                         f"({account!r} is not a valid IBAN)")
    return {"key": f"bank:iban:{number}", "institution": inst, "routing_number": None, "account_number": number,
            "display": f"{inst + ' ' if inst else ''}{iban.format(number)}"}


def _keccak256(data: bytes) -> str:
    return keccak.new(digest_bits=256, data=data).hexdigest()


def eip55(address: str) -> str:
    """An Ethereum address ("0x" + 40 hex digits) in its EIP-55 mixed-case checksum form."""
    lower = address[2:].lower()
    digest = _keccak256(lower.encode("ascii"))
    return "0x" + "".join(c.upper() if c.isalpha() and int(digest[i], 16) >= 8 else c for i, c in enumerate(lower))


_ETH = re.compile(r"0[xX][0-9a-fA-F]{40}")


def _ethereum(address: str) -> tuple[str, str]:
    if not _ETH.fullmatch(address):
        raise BadValue("address", f"{address!r} is not an Ethereum address (0x and 40 hex digits)")
    body = address[2:]
    mixed = body != body.lower() and body != body.upper()
    checksummed = eip55(address)
    if mixed and "0x" + body != checksummed:
        raise BadValue("address", f"{address!r} fails its EIP-55 checksum (mixed case that does not match)")
    return "0x" + body.lower(), checksummed


def _bitcoin(address: str) -> tuple[str, str]:
    try:
        valid = bitcoin.validate(address)
    except StdnumInvalid:
        raise BadValue("address", f"{address!r} is not a valid Bitcoin address "
                                  "(base58check or bech32, checksum included)") from None
    return valid, valid


#: The chains whose addresses are checked, and how: (key form, display form) of an address.
CRYPTO_VALIDATORS: dict[str, Callable[[str], tuple[str, str]]] = {"bitcoin": _bitcoin, "ethereum": _ethereum}
_CHAIN_ALIASES = {"btc": "bitcoin", "xbt": "bitcoin", "eth": "ethereum", "ether": "ethereum"}


def crypto_wallet(chain: object, address: object) -> dict:
    """{key, chain, address, display} of a wallet, its address's checksum checked; key "crypto:<chain>:<address>".

    Bitcoin: base58check (P2PKH, P2SH) or bech32/bech32m (segwit), bech32 lowercased. Ethereum: EIP-55;
    an all-lower or all-upper address carries no checksum and is accepted, a mixed-case one must match."""
    name = canonical_kind(chain)
    name = _CHAIN_ALIASES.get(name, name)
    if name not in CRYPTO_VALIDATORS:
        raise BadValue("chain", f"{chain!r} is not a chain whose addresses can be checked "
                                f"(use {', '.join(CRYPTO_VALIDATORS)})")
    text = "".join(str(address or "").split())
    if not text:
        raise BadValue("address", "an address is needed")
    key_form, shown = CRYPTO_VALIDATORS[name](text)
    return {"key": f"crypto:{name}:{key_form}", "chain": name, "address": shown, "display": f"{name} {shown}"}


_CASHTAG = re.compile(r"[a-z0-9]{1,20}")
_VENMO = re.compile(r"[a-z0-9_-]{5,30}")
_PAYPAL_ME = re.compile(r"[a-z0-9]{1,20}")


def _cashapp(handle: str) -> str:
    tag = handle.lstrip("$").lower()
    if not _CASHTAG.fullmatch(tag) or tag.isdigit():
        raise BadValue("handle", f"{handle!r} is not a $cashtag (1 to 20 letters and digits, not all digits)")
    return tag


def _venmo(handle: str) -> str:
    name = handle.lstrip("@").lower()
    if not _VENMO.fullmatch(name):
        raise BadValue("handle", f"{handle!r} is not a Venmo username (5 to 30 letters, digits, - or _)")
    return name


def _paypal(handle: str) -> str:
    text = handle.lower().removeprefix("https://").removeprefix("www.").removeprefix("paypal.me/")
    if "@" in text:
        if (email := _email(text)) is None:
            raise BadValue("handle", f"{handle!r} is not an e-mail address")
        return email
    if not _PAYPAL_ME.fullmatch(text):
        raise BadValue("handle", f"{handle!r} is not a PayPal e-mail or paypal.me name")
    return text


def _zelle(handle: str) -> str:
    # Zelle is enrolled by e-mail address or US mobile number.
    found = _email(handle) if "@" in handle else _phone(handle)
    if found is None:
        raise BadValue("handle", f"{handle!r} is not a Zelle e-mail address or phone number")
    return found


#: The payment services whose handles are checked, and how (the handle's canonical form).
PAYMENT_VALIDATORS: dict[str, Callable[[str], str]] = {
    "cashapp": _cashapp, "venmo": _venmo, "paypal": _paypal, "zelle": _zelle,
}
_SERVICE_ALIASES = {"cash_app": "cashapp", "square_cash": "cashapp", "cash": "cashapp", "pay_pal": "paypal"}


def payment_handle(service: object, handle: object) -> dict:
    """{key, service, handle, display} of a peer-to-peer payment handle; key "pay:<service>:<handle>"."""
    name = canonical_kind(service)
    name = _SERVICE_ALIASES.get(name, name)
    if name not in PAYMENT_VALIDATORS:
        raise BadValue("service", f"{service!r} is not a known payment service (use {', '.join(PAYMENT_VALIDATORS)})")
    text = str(handle or "").strip()
    if not text:
        raise BadValue("handle", "a handle is needed")
    canonical = PAYMENT_VALIDATORS[name](text)
    return {"key": f"pay:{name}:{canonical}", "service": name, "handle": canonical,
            "display": f"{name} {'$' if name == 'cashapp' else ''}{canonical}"}


#: Financial selector type -> its parser from record input (validation's nested schemas) to stored properties.
_FINANCIAL_PARSERS: dict[str, Callable[[Mapping], dict]] = {
    "BankAccount": lambda x: bank_account(x.get("institution"), x.get("routing_number"), x.get("account_number")),
    "CryptoWallet": lambda x: crypto_wallet(x.get("chain"), x.get("address")),
    "PaymentHandle": lambda x: payment_handle(x.get("service"), x.get("handle")),
}


def financial_selector(type_name: str, item: Mapping) -> dict:
    """A financial selector's stored properties ({key, display, ...}) from its input; BadValue names a bad part."""
    return _FINANCIAL_PARSERS[type_name](item)
