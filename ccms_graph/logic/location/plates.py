"""Licence plates as LPR reads and hot lists name them: the plate's letters and digits, and its state.

A plate is compared without spaces, dashes or case ("abc-123" is "ABC123", `matching.identifiers`), and
its state as a two-letter code where it is a US state ("Florida" is "FL", `matching.addresses`). The key
"FL:ABC123" finds a hot list entry and a sighting; the Vehicle records are found by their plate's
Identifier ("plate:ABC123") and then held to the state. Pure: no database.
"""

from __future__ import annotations

from ...matching.addresses import normalize_state
from ...matching.identifiers import identifier_key, normalize_identifier

#: The longest plate and state text kept.
PLATE_MAX = 12
STATE_MAX = 40


def plate(value: object) -> str | None:
    """The plate's canonical form ("ABC123"), or None when it has no letters or digits or is too long."""
    norm = normalize_identifier("plate", value)
    return norm.upper() if norm and len(norm) <= PLATE_MAX else None


def state(value: object) -> str | None:
    """The state's canonical form ("FL" for "Florida" or "fl"), or None when blank, too long, or holding no
    letters or digits ("[]", a NUL)."""
    text = str(value or "").strip()
    norm = normalize_state(text).upper() if text and len(text) <= STATE_MAX else ""
    return norm or None


def key(plate_norm: str, state_norm: str) -> str:
    """The key of a plate in a state: "FL:ABC123"."""
    return f"{state_norm}:{plate_norm}"


def vehicle_identifier(plate_norm: str) -> str | None:
    """The Identifier key a Vehicle with this plate carries ("plate:ABC123")."""
    return identifier_key("plate", plate_norm)


def problems(plate_value: object, state_value: object) -> dict[str, list[str]]:
    """What is wrong with a plate and its state, by field ({} when both are usable)."""
    out: dict[str, list[str]] = {}
    if plate(plate_value) is None:
        out["plate"] = [f"{plate_value!r} is not a licence plate (1 to {PLATE_MAX} letters and digits)"]
    if state(state_value) is None:
        out["state"] = [f"{state_value!r} is not a state (give the plate's state or province, e.g. FL)"]
    return out
