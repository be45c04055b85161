"""Cell sites of call detail records: a site id and, where the return gives them, its WGS84 coordinates.

A CDR row may name the cell site that carried the call (`cell_site`) and its `latitude`/`longitude`. Each
site is one `(:CellSite {site_id})` node holding a WGS84 point in `location` (the property every located
node uses, `logic.location.coordinates.PROPERTY`, under its POINT index), and each call it carried links to
it: `(:CallRecord)-[:VIA_CELL]->(:CellSite)`. A site's first coordinates stay; a later file giving it
others does not move it (the refusal would cost the call; the first return is the one on the map).

The row checks (pure), each naming its field: coordinates need a site id; latitude and longitude come
together or not at all, as finite numbers in range with at most 7 decimals (about 1 cm).
"""

from __future__ import annotations

import math
from decimal import Decimal, InvalidOperation

#: The longest cell site id kept.
SITE_ID_MAX = 64
_RANGES = {"latitude": 90.0, "longitude": 180.0}
_DECIMALS = 7


def _coordinate(field: str, text: str) -> tuple[float | None, str | None]:
    try:
        value, exponent = float(text), Decimal(text).as_tuple().exponent
    except (ValueError, InvalidOperation):
        return None, f"{field}: {text!r} is not a number"
    if not math.isfinite(value):
        return None, f"{field}: {text!r} is not a finite number"
    if abs(value) > _RANGES[field]:
        return None, f"{field}: {value:g} is outside -{_RANGES[field]:g} to {_RANGES[field]:g} degrees"
    if isinstance(exponent, int) and -exponent > _DECIMALS:
        return None, f"{field}: {text} has more than {_DECIMALS} decimal places"
    return value, None


def cell_site(site_id: str | None, latitude: str | None, longitude: str | None) -> dict:
    """{site_id, latitude, longitude, problems} of one CDR row's cell site cells (blank cells give None)."""
    site_id, lat_text, lon_text = ((v or "").strip() for v in (site_id, latitude, longitude))
    out: dict = {"site_id": site_id or None, "latitude": None, "longitude": None, "problems": []}
    if len(site_id) > SITE_ID_MAX:
        out["problems"].append(f"cell_site: longer than {SITE_ID_MAX} characters")
    if not (lat_text or lon_text):
        return out
    if not site_id:
        out["problems"].append("cell_site: give the cell site's id with its coordinates")
    if not (lat_text and lon_text):
        missing = "longitude" if lat_text else "latitude"
        out["problems"].append(f"{missing}: give latitude and longitude together, or neither")
        return out
    for field, text in (("latitude", lat_text), ("longitude", lon_text)):
        value, why = _coordinate(field, text)
        if why:
            out["problems"].append(why)
        out[field] = value
    if out["problems"]:
        out["latitude"] = out["longitude"] = None
    return out
