"""Cell sites of call detail records: a site id and, where the return gives them, its WGS84 coordinates.

A CDR row may name the cell site that carried the call (`cell_site`) and its `latitude`/`longitude`. Each
site is one `(:CellSite {site_id})` node holding a WGS84 point in `location` (the property every located
node uses, `logic.location.coordinates.PROPERTY`, under its POINT index), and each call it carried links to
it: `(:CallRecord)-[:VIA_CELL]->(:CellSite)`. A site's first coordinates stay; a later file giving it
others does not move it (the refusal would cost the call; the first return is the one on the map).

The row checks (pure), each naming its column: coordinates need a site id; latitude and longitude are
those of every located node (`logic.location.coordinates`: together or not at all, finite, in range, at
most 7 decimals).
"""

from __future__ import annotations

from ..location import coordinates

#: The longest cell site id kept.
SITE_ID_MAX = 64


def cell_site(site_id: str | None, latitude: str | None, longitude: str | None) -> dict:
    """{site_id, latitude, longitude, problems} of one CDR row's cell site cells (blank cells give None);
    the coordinates are checked by `logic.location.coordinates`, each problem naming its column."""
    site_id, lat_text, lon_text = ((v or "").strip() for v in (site_id, latitude, longitude))
    out: dict = {"site_id": site_id or None, "latitude": None, "longitude": None, "problems": []}
    if len(site_id) > SITE_ID_MAX:
        out["problems"].append(f"cell_site: longer than {SITE_ID_MAX} characters")
    if not (lat_text or lon_text):
        return out
    if not site_id:
        out["problems"].append("cell_site: give the cell site's id with its coordinates")
    bad = coordinates.problems(lat_text, lon_text)
    out["problems"] += [f"{field}: {why}" for field, whys in bad.items() for why in whys]
    if not bad:
        out["latitude"] = coordinates.coordinate("latitude", lat_text)[0]
        out["longitude"] = coordinates.coordinate("longitude", lon_text)[0]
    return out
