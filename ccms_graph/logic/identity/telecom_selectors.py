"""Telecom selectors: IMSI, IMEI and IP address, validated and keyed like the other shared selectors.

ICM's TLS keeps IMSI and IP identifiers beside the numbers; an IMEI is the handset. Each becomes one
shared node (`vocabulary.TELECOM_SELECTORS`: IMSI, IMEI, IPAddress), merged on its `key` ("imsi:<digits>",
"imei:<digits>", "ip:<address>"), as a Phone is on its E.164 form. The telecom records that name one hold
it by `HOLDS` (`(:TelecomRecord)-[:NAMES_SELECTOR]->(s)`), so it is readable exactly as far as one of
those records' cases is (`policy.scopes.selector_readable`); a number's subscriber or session records
also draw `(:Phone)-[:IDENTIFIED_AS {case_uids}]->(s)`, a case-derived link the explorer shows only
with a readable case behind it.

The checks (pure, no database), each refusal naming its field:

* IMSI: 14 or 15 digits whose first three are a known mobile country code (python-stdnum's `imsi`,
  from the ITU's MCC list); separators are ignored.
* IMEI: 15 digits with a valid Luhn check digit (python-stdnum's `imei`); an IMEISV (16 digits, no
  check digit) or a 14-digit IMEI without its check digit is refused: the check digit is what tells a
  mistyped handset apart.
* IP: an IPv4 or IPv6 address (the standard library's `ipaddress`), normalised: IPv6 in its compressed
  lower-case form, an IPv4-mapped IPv6 address (::ffff:a.b.c.d) as the IPv4 address it maps.
"""

from __future__ import annotations

import ipaddress

from stdnum import imei as _imei
from stdnum import imsi as _imsi
from stdnum.exceptions import InvalidChecksum, InvalidComponent, InvalidFormat, InvalidLength, ValidationError

from ...errors import ValidationFailed

#: Selector label -> (key prefix, what a refusal calls it).
KINDS = {"IMSI": ("imsi", "an IMSI"), "IMEI": ("imei", "an IMEI"), "IPAddress": ("ip", "an IP address")}
#: The CSV column (and input field) each selector comes from.
FIELDS = {"imsi": "IMSI", "imei": "IMEI", "ip": "IPAddress"}


def imsi(value: str) -> tuple[str | None, str | None]:
    """(normalised IMSI, None) or (None, why it is refused)."""
    try:
        return _imsi.validate(value), None
    except InvalidLength:  # before InvalidFormat, its base class
        return None, f"{value!r} is not an IMSI: it has 14 or 15 digits"
    except InvalidFormat:
        return None, f"{value!r} is not an IMSI: use digits only"
    except InvalidComponent:
        return None, f"{value!r} is not an IMSI: {value.strip()[:3]!r} is not a known mobile country code"
    except ValidationError:
        return None, f"{value!r} is not an IMSI"


def imei(value: str) -> tuple[str | None, str | None]:
    """(normalised 15-digit IMEI, None) or (None, why it is refused)."""
    try:
        number = _imei.validate(value)
    except InvalidChecksum:
        return None, f"{value!r} is not an IMEI: its check digit is wrong"
    except ValidationError:
        return None, f"{value!r} is not an IMEI: use 15 digits"
    if len(number) != 15:
        return None, f"{value!r} is not an IMEI: use 15 digits, the last one the check digit"
    return number, None


def ip(value: str) -> tuple[str | None, str | None]:
    """(normalised IPv4 or IPv6 address, None) or (None, why it is refused)."""
    try:
        address = ipaddress.ip_address(value.strip().strip("[]"))
    except ValueError:
        return None, f"{value!r} is not an IPv4 or IPv6 address"
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.compressed, None


_CHECKS = {"IMSI": imsi, "IMEI": imei, "IPAddress": ip}


def selector(label: str, value: str) -> tuple[dict | None, str | None]:
    """({label, key, display}, None) for a valid value of selector `label`, or (None, why it is refused)."""
    norm, why = _CHECKS[label](value)
    if norm is None:
        return None, why
    return {"label": label, "key": f"{KINDS[label][0]}:{norm}", "display": norm}, None


def from_row(row: dict) -> tuple[list[dict], list[str]]:
    """The selectors a CSV row names in its `imsi`, `imei` and `ip` cells, and the problems, each naming
    its column (a blank cell names nothing)."""
    found: list[dict] = []
    problems: list[str] = []
    for field, label in FIELDS.items():
        value = (row.get(field) or "").strip()
        if not value:
            continue
        sel, why = selector(label, value)
        if sel is None:
            problems.append(f"{field}: {why}")
        else:
            found.append(sel)
    return found, problems


def validate(label: str, value: str, field: str) -> dict:
    """The selector, or ValidationFailed naming `field` (for single values typed in a form or the API)."""
    sel, why = selector(label, value)
    if sel is None:
        raise ValidationFailed({field: [why]})
    return sel
