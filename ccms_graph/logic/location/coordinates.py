"""WGS84 coordinates: validated latitude/longitude pairs, stored as a Neo4j `point` in `location`.

Every node that has a place on the map (Address, the arrest and seizure reports, Sighting, CellSite)
carries one property, `location`, a WGS84 2-D point (`point({latitude, longitude})`, SRID 4326), and a
POINT index on it (cypher/schema.cypher), so an area query is an index seek, never a label scan.

The checks, each naming its field: both or neither of latitude and longitude; a finite number; latitude
in -90..90 and longitude in -180..180; at most 7 decimal places (about 1 cm: more is noise from a
conversion, not precision, and is refused rather than silently rounded). Pure: no database.
"""

from __future__ import annotations

import math
from decimal import Decimal, InvalidOperation

from neo4j.spatial import WGS84Point

from ...errors import ValidationFailed

#: The property every located node keeps its point in (the map reads it; the POINT indexes cover it).
PROPERTY = "location"
#: Decimal places a coordinate may carry (1e-7 degrees is about 1.1 cm at the equator).
MAX_DECIMALS = 7
RANGES = {"latitude": (-90.0, 90.0), "longitude": (-180.0, 180.0)}


def _decimals(text: str) -> int:
    exponent = Decimal(text).normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def coordinate(field: str, value: object) -> tuple[float | None, str | None]:
    """(the value as a float, None) or (None, why it is refused) for one latitude or longitude."""
    low, high = RANGES[field]
    if isinstance(value, bool):
        return None, f"{value!r} is not a number"
    if isinstance(value, str):
        text = value.strip()
    elif isinstance(value, int | float):
        text = repr(float(value)) if isinstance(value, float) else str(value)
    else:
        return None, f"{value!r} is not a number"
    try:
        number = float(text)
        places = _decimals(text)
    except (ValueError, InvalidOperation):
        return None, f"{value!r} is not a number"
    if not math.isfinite(number):
        return None, f"{value!r} is not a finite number"
    if not low <= number <= high:
        return None, f"{number:g} is outside {low:g} to {high:g} degrees"
    if places > MAX_DECIMALS:
        return None, f"{text} has {places} decimal places; use at most {MAX_DECIMALS}"
    return number, None


def problems(latitude: object, longitude: object) -> dict[str, list[str]]:
    """What is wrong with a latitude/longitude pair, by field ({} when fine; two blanks are fine)."""
    given = {k: v for k, v in (("latitude", latitude), ("longitude", longitude)) if v not in (None, "")}
    if len(given) == 1:
        missing = "longitude" if "latitude" in given else "latitude"
        return {missing: [f"give {missing} together with {next(iter(given))}, or neither"]}
    out: dict[str, list[str]] = {}
    for field, value in given.items():
        why = coordinate(field, value)[1]
        if why:
            out[field] = [why]
    return out


def point(latitude: object, longitude: object) -> WGS84Point | None:
    """The WGS84 point of a pair (None for two blanks); ValidationFailed naming each bad field."""
    bad = problems(latitude, longitude)
    if bad:
        raise ValidationFailed(bad)
    if latitude in (None, "") or longitude in (None, ""):
        return None
    lat, lon = coordinate("latitude", latitude)[0], coordinate("longitude", longitude)[0]
    assert lat is not None and lon is not None  # problems() found none
    return WGS84Point((lon, lat))


def located(clean: dict) -> dict:
    """`clean` with its `location` point set from its `latitude`/`longitude` (ValidationFailed naming the
    field). A pair both cleared (None) clears the point too; input without either key is unchanged."""
    if "latitude" not in clean and "longitude" not in clean:
        return clean
    return {**clean, PROPERTY: point(clean.get("latitude"), clean.get("longitude"))}


def as_dict(value: object) -> object:
    """A Neo4j point as {latitude, longitude} (JSON-ready); any other value unchanged."""
    if isinstance(value, WGS84Point):
        return {"latitude": value.latitude, "longitude": value.longitude}
    return value
