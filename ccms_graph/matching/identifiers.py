"""Normalize identifiers (SSN, A-Number, VIN, IMO, phone, ...) to one canonical string, or None if invalid."""

from __future__ import annotations

import re
from collections.abc import Callable

import phonenumbers

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
}


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
    if not text:
        return None
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
