"""The map: the located things a viewer may read, for a case, a selection of records, or an area.

What is drawn (each a WGS84 point in `location`, `coordinates.PROPERTY`):

* `address`  — Address selectors: of the case's subjects, of the selected records, or in the area;
* `sighting` — LPR sightings: of the case's (or the selected) vehicles, or in the area;
* `arrest`, `seizure` — located arrest and seizure reports: the case's, the selected ones, or in the area;
* `cell_site` — cell sites the case's (or the selected phones', or the area's) calls went through.

Three scopes, one answer shape. `case_uid`: the case must be readable (a refusal is audited and answers
as a missing case would). `uids`: the explorer's selection (at most `MAX_UIDS`); what of it the viewer
may not read contributes nothing. Neither: `bbox` is required and the query starts from the POINT
indexes (`point.withinBBox`), so an area query is an index seek. A bbox also narrows a case or a selection.

Every point passes its own policy predicate inside the query, whatever the scope (a selection is first
narrowed to the records the viewer may read, in the same transaction: `readable_selection`): a case's map never
shows a sighting of its vehicle taken under a restricted case the viewer may not read, nor a cell site
known only from such a case's calls. So a hidden point is absent from the features AND from the cluster
counts and totals, which are computed from the same filtered rows.

Time (`since` inclusive, `until` exclusive): a sighting is dated by `seen_at`, a report by its incident
date (else its filing), a cell site by the calls through it (only calls in the period count, and a site
with none is not drawn). Addresses are places, not events: they are drawn whatever the period.

Up to `MAX_FEATURES` points come back as features (the browser clusters them). Beyond that the answer
is grid clusters (`GRID` x `GRID` cells over the bbox, `CELL_DEGREES` without one): a count per cell
and kind, never the points. Every map read is audited ("view", op "map") in its own transaction.
"""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, time, timedelta

from neo4j.spatial import WGS84Point

from ...db import Graph
from ...errors import ValidationFailed
from ...policy import rules, scopes
from ...policy.actor import Actor
from ...policy.rules import actor_params
from ..common import iso
from ..oversight import audit
from ..oversight.checks import check_record, guard

KINDS = ("address", "sighting", "arrest", "seizure", "cell_site")
#: Points returned one by one at most; more are answered as grid clusters.
MAX_FEATURES = 2000
#: Records a selection may name (the explorer sends what is on screen).
MAX_UIDS = 500
#: Clusters per side of the bbox, and a cell's size (degrees) when no bbox was given.
GRID = 32
CELL_DEGREES = 0.1

# ---------------------------------------------------------------------------------------------
# Input: bbox, period, scope (pure; each refusal names its field)
# ---------------------------------------------------------------------------------------------


def check_bbox(bbox) -> tuple[float, float, float, float] | None:
    """(west, south, east, north) in degrees, checked: numbers in range, west < east, south < north (an
    area across the antimeridian is asked as two). None stays None."""
    if bbox is None:
        return None
    if isinstance(bbox, str):
        bbox = [p.strip() for p in bbox.split(",")]
    if not isinstance(bbox, list | tuple) or len(bbox) != 4:
        raise ValidationFailed({"bbox": ["give west,south,east,north: four numbers in degrees"]})
    try:
        west, south, east, north = (float(v) for v in bbox)
    except (TypeError, ValueError):
        raise ValidationFailed({"bbox": ["give west,south,east,north: four numbers in degrees"]}) from None
    problems = []
    if not all(math.isfinite(v) for v in (west, south, east, north)):
        problems.append("every value must be a finite number")
    else:
        if not (-180 <= west <= 180 and -180 <= east <= 180):
            problems.append("west and east must lie in -180 to 180")
        if not (-90 <= south <= 90 and -90 <= north <= 90):
            problems.append("south and north must lie in -90 to 90")
        if west >= east:
            problems.append("west must be less than east (ask an area across the antimeridian as two)")
        if south >= north:
            problems.append("south must be less than north")
    if problems:
        raise ValidationFailed({"bbox": problems})
    return west, south, east, north


def moment(field: str, value, end: bool = False) -> datetime | None:
    """A UTC datetime from an ISO date or date-time (no zone means UTC). A bare date as `until` (`end`)
    means the end of that day, so since=until=D is the day D."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        out = value
    elif isinstance(value, date):
        out = datetime.combine(value + timedelta(days=1) if end else value, time(), UTC)
    else:
        text = str(value).strip()
        try:
            if len(text) == 10:
                day = date.fromisoformat(text)
                out = datetime.combine(day + timedelta(days=1) if end else day, time(), UTC)
            else:
                out = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            raise ValidationFailed({field: ["give a date (YYYY-MM-DD) or an ISO 8601 date-time"]}) from None
    if not 1900 <= out.year <= 2200:
        raise ValidationFailed({field: ["give a year from 1900 to 2200"]})
    return out.replace(tzinfo=UTC) if out.tzinfo is None else out.astimezone(UTC)


def period(since, until) -> tuple[datetime | None, datetime | None]:
    """The checked (since, until) pair: until after since, or the refusal names `until`."""
    start, end = moment("since", since), moment("until", until, end=True)
    if start and end and end <= start:
        raise ValidationFailed({"until": ["must be after since"]})
    return start, end


def check_scope(case_uid, uids, bbox) -> tuple[str, list[str]]:
    """("case" | "selection" | "area", the selection's uids); a refusal names the field."""
    if case_uid and uids:
        raise ValidationFailed({"uids": ["give a case or a selection, not both"]})
    if case_uid:
        if not isinstance(case_uid, str) or len(case_uid) > 64:
            raise ValidationFailed({"case": ["is not a case uid"]})
        return "case", []
    if uids:
        uids = list(dict.fromkeys(u for u in uids if u))
        if len(uids) > MAX_UIDS:
            raise ValidationFailed({"uids": [f"at most {MAX_UIDS} records"]})
        if any(not isinstance(u, str) or len(u) > 64 for u in uids):
            raise ValidationFailed({"uids": ["every uid is a string of at most 64 characters"]})
        return "selection", uids
    if bbox is None:
        raise ValidationFailed({"bbox": ["give a case, a selection (uids) or an area (bbox)"]})
    return "area", []


# ---------------------------------------------------------------------------------------------
# Policy, composed (policy/scopes.py decides; this only names what each kind of point depends on)
# ---------------------------------------------------------------------------------------------


def sighting_readable(s: str = "s") -> str:
    """Predicate: may the viewer see sighting `s`? LPR data is kept only for a case (`lpr`), and each copy is
    exactly as secret as its case: the policy's `scopes.case_bound_readable`."""
    return scopes.case_bound_readable(s)


def dated(at: str) -> str:
    return (f"($since IS NULL OR ({at} IS NOT NULL AND {at} >= $since)) "
            f"AND ($until IS NULL OR ({at} IS NOT NULL AND {at} < $until))")


def inside(loc: str) -> str:
    return f"($sw IS NULL OR point.withinBBox({loc}, $sw, $ne))"


def report_at(d: str) -> str:
    """Expression: when report `d` happened (its incident date, else when it was filed)."""
    return (f"(CASE WHEN {d}.incident_date IS NULL THEN {d}.created_at "
            f"ELSE datetime({{date: date({d}.incident_date)}}) END)")


def _address_ok(a: str) -> str:
    return f"{a}.location IS NOT NULL AND {inside(f'{a}.location')}"


# Each branch yields one row per event: kind, uid, loc, at, label, detail. Fixed text, composed once per
# shape: `lean` rows (for the grid's counts) read only what a cell needs (kind, uid, loc), since reading a
# sighting's plate, state, camera and time for thousands of points is most of an area's cost.
def _address_row(a: str, lean: bool = False) -> str:
    shown = "null AS label" if lean else f"coalesce({a}.display, {a}.key) AS label"
    return f"RETURN 'address' AS kind, {a}.uid AS uid, {a}.location AS loc, null AS at, {shown}, null AS detail"


def _sighting_row(s: str, lean: bool = False) -> str:
    shown = ("null AS at, null AS label, null AS detail" if lean else
             f"{s}.seen_at AS at, trim(coalesce({s}.plate, '') + ' ' + coalesce({s}.plate_state, '')) AS label, "
             f"{s}.camera AS detail")
    return f"RETURN 'sighting' AS kind, {s}.uid AS uid, {s}.location AS loc, {shown}"


def _report_row(d: str, lean: bool = False) -> str:
    shown = ("null AS at, null AS label" if lean else
             f"{report_at(d)} AS at, coalesce({d}.title, 'Report') AS label")
    return (f"RETURN CASE WHEN {d}:ArrestReport THEN 'arrest' ELSE 'seizure' END AS kind, {d}.uid AS uid, "
            f"{d}.location AS loc, {shown}, null AS detail")


def _cell_row(cs: str, c: str, lean: bool = False) -> str:
    shown = "null AS at, null AS label" if lean else f"{c}.start_at AS at, 'Cell site ' + {cs}.site_id AS label"
    return (f"RETURN 'cell_site' AS kind, coalesce({cs}.uid, {cs}.site_id) AS uid, {cs}.location AS loc, "
            f"{shown}, null AS detail")


_SIGHTING_OK = f"{inside('s.location')} AND {dated('s.seen_at')} AND {sighting_readable('s')}"
_REPORT_OK = (f"(d:ArrestReport OR d:SeizureReport) AND d.location IS NOT NULL AND coalesce(d.deleted, false) = false "
              f"AND {inside('d.location')} AND {dated(report_at('d'))} AND {scopes.document_readable('d')}")
_CELL_OK = f"{inside('cs.location')} AND {dated('c.start_at')} AND {scopes.any_readable_case('c')}"

#: How a call reaches its cell site (`telecom_sites`), and a sighting its vehicle (`lpr`).
CALL_SITE = "(c)-[:VIA_CELL]->(cs:CellSite)"
SIGHTING_OF = "(v)<-[:SIGHTING_OF]-(s:Sighting)"

#: The area's sightings the viewer may read: the policy is asked once per case the sightings are kept for
#: (`k` is a map holding that case's uid), not once per sighting; at 1M sightings that is the difference.
AREA_SIGHTINGS = f"""MATCH (s:Sighting) WHERE point.withinBBox(s.location, $sw, $ne) AND {dated('s.seen_at')}
  WITH s.case_uid AS case_uid, collect(s) AS kept
  WITH {{case_uid: case_uid}} AS k, kept WHERE {sighting_readable('k')}
  UNWIND kept AS s"""


def _events(lean: bool) -> dict[str, str]:
    """The events fragment of each scope (`lean`: rows for the grid's counts only)."""
    case = f"""
CALL () {{
  MATCH (:Case {{uid: $case}})<-[:SUBJECT_IN {{status: 'active'}}]-(x:SubjectRecord)
        -[:RESIDES_AT|LOCATED_AT {{status: 'active'}}]->(a:Address)
  WHERE coalesce(x.deleted, false) = false AND {scopes.subject_readable("x")} AND {_address_ok("a")}
  WITH DISTINCT a {_address_row("a", lean)}
  UNION ALL
  CALL () {{
    MATCH (:Case {{uid: $case}})<-[:SUBJECT_IN {{status: 'active'}}]-(v:Vehicle) MATCH {SIGHTING_OF} RETURN s
    UNION
    MATCH (h:HotListEntry {{case_uid: $case}}) MATCH (s:Sighting {{plate_key: h.plate_key}})
    WHERE s.case_uid = $case RETURN s
  }}
  WITH s WHERE s.location IS NOT NULL AND {_SIGHTING_OK}
  {_sighting_row("s", lean)}
  UNION ALL
  MATCH (:Case {{uid: $case}})<-[:PART_OF {{status: 'active'}}]-(d:Document) WHERE {_REPORT_OK}
  {_report_row("d", lean)}
  UNION ALL
  MATCH (:Case {{uid: $case}})<-[:KEPT_FOR]-(c:CallRecord)
  MATCH {CALL_SITE} WHERE cs.location IS NOT NULL AND {_CELL_OK}
  {_cell_row("cs", "c", lean)}
}}
"""

    selection = f"""
MATCH (x:Linkable) WHERE x.uid IN $uids AND coalesce(x.deleted, false) = false
CALL (x) {{
  MATCH (x:Address) WHERE {_address_ok("x")} WITH x AS a {_address_row("a", lean)}
  UNION ALL
  MATCH (x:SubjectRecord)-[:RESIDES_AT|LOCATED_AT {{status: 'active'}}]->(a:Address) WHERE {_address_ok("a")}
  {_address_row("a", lean)}
  UNION ALL
  MATCH (x:Vehicle) WITH x AS v MATCH {SIGHTING_OF} WHERE s.location IS NOT NULL AND {_SIGHTING_OK}
  {_sighting_row("s", lean)}
  UNION ALL
  WITH x AS d WHERE {_REPORT_OK} {_report_row("d", lean)}
  UNION ALL
  MATCH (x:Case)<-[:PART_OF {{status: 'active'}}]-(d:Document) WHERE {_REPORT_OK} {_report_row("d", lean)}
  UNION ALL
  MATCH (x:Phone) MATCH (c:CallRecord {{orig: x.e164}})
  MATCH {CALL_SITE} WHERE cs.location IS NOT NULL AND {_CELL_OK} {_cell_row("cs", "c", lean)}
  UNION ALL
  MATCH (x:Phone) MATCH (c:CallRecord {{term: x.e164}}) WHERE c.orig <> x.e164
  MATCH {CALL_SITE} WHERE cs.location IS NOT NULL AND {_CELL_OK} {_cell_row("cs", "c", lean)}
}}
WITH DISTINCT kind, uid, loc, at, label, detail
"""

    area = f"""
CALL () {{
  MATCH (a:Address) WHERE point.withinBBox(a.location, $sw, $ne) AND {scopes.selector_readable("a")}
  {_address_row("a", lean)}
  UNION ALL
  {AREA_SIGHTINGS}
  {_sighting_row("s", lean)}
  UNION ALL
  MATCH (d:Document) WHERE point.withinBBox(d.location, $sw, $ne) AND {_REPORT_OK}
  {_report_row("d", lean)}
  UNION ALL
  MATCH (cs:CellSite) WHERE point.withinBBox(cs.location, $sw, $ne)
  MATCH (c:CallRecord)-[:VIA_CELL]->(cs) WHERE {_CELL_OK}
  {_cell_row("cs", "c", lean)}
}}
"""
    return {"case": case, "selection": selection, "area": area}


EVENTS = _events(lean=False)
#: The same rows with only kind, uid and loc read: what the grid of clusters counts.
CELL_EVENTS = _events(lean=True)

_FEATURES = """
WITH kind, uid, loc, count(*) AS n, min(at) AS first_at, max(at) AS last_at, collect(label)[0] AS label,
     collect(detail)[0] AS detail
ORDER BY last_at DESC, uid
LIMIT $limit
RETURN kind, uid, loc.latitude AS lat, loc.longitude AS lon, n, first_at, last_at, label, detail
"""

_CELLS = """
WITH kind, uid, loc, toInteger(floor((loc.longitude - $west) / $cell_w)) AS cx,
     toInteger(floor((loc.latitude - $south) / $cell_h)) AS cy
RETURN cx, cy, kind, count(DISTINCT uid) AS points, count(*) AS events, avg(loc.latitude) AS lat,
       avg(loc.longitude) AS lon
"""


def params(actor: Actor, mode: str, case_uid, uids, box, since, until) -> dict:
    """The query parameters every events fragment (`EVENTS`, also the timeline's) expects."""
    sw = WGS84Point((box[0], box[1])) if box else None
    ne = WGS84Point((box[2], box[3])) if box else None
    return {"case": case_uid if mode == "case" else None, "uids": uids, "sw": sw, "ne": ne,
            "since": since, "until": until, **actor_params(actor)}


def readable_selection(tx, actor: Actor, mode: str, base: dict) -> dict:
    """`base` with a selection's uids narrowed to the records the viewer may read (`rules.readable_uids`), which
    the selection's events fragment then takes as read: the record rule written into it for every selected
    record, and again for the other end of a link between two, took Neo4j seconds to plan."""
    if mode != "selection":
        return base
    return {**base, "uids": sorted(rules.readable_uids(tx, actor, base["uids"])) or [rules.NONE]}


def open_scope(tx, actor: Actor, mode: str, case_uid, op: str):
    """For a case: the policy's check (a refusal audited here; answered as for a missing case when hidden).
    Returns the error to raise after commit, or None."""
    if mode != "case":
        return None
    row, error = check_record(tx, actor, case_uid, op)
    if error is not None:
        return error
    if "Case" not in row["labels"]:
        return ValidationFailed({"case": ["is not a case uid"]})
    return None


def criteria(mode: str, case_uid, uids, box, since, until) -> dict:
    return {"scope": mode, "case": case_uid if mode == "case" else None, "uids": len(uids) if uids else None,
            "bbox": list(box) if box else None, "since": iso(since), "until": iso(until)}


def features(graph: Graph, actor: Actor, case_uid: str | None = None, uids=None, bbox=None, since=None,
             until=None) -> dict:
    """The located things the viewer may read, as features or (beyond `MAX_FEATURES`) grid clusters.

    {scope, total, by_kind, clustered, features: [{kind, uid, lat, lon, n, first_at, last_at, label,
    detail}], clusters: [{lat, lon, count, by_kind}], bbox}; `total` and `by_kind` count points (a cell
    site once, however many calls), and only points the viewer may read."""
    box = check_bbox(bbox)
    start, end = period(since, until)
    mode, uids = check_scope(case_uid, uids, box)
    what = criteria(mode, case_uid, uids, box, start, end)
    guard(graph, actor, "map", [case_uid] if mode == "case" else [], criteria=what)
    base = params(actor, mode, case_uid, uids, box, start, end)
    events = EVENTS[mode]

    def work(tx):
        error = open_scope(tx, actor, mode, case_uid, "map")
        if error is not None:
            return None, error
        # An area may hold many points: count them per cell first (one cheap query when they must be
        # clustered), and list them only when they fit. A case or a selection holds few: list them first.
        west, south, east, north = box or (-180.0, -90.0, 180.0, 90.0)
        grid = {"west": west, "south": south, "cell_w": (east - west) / GRID if box else CELL_DEGREES,
                "cell_h": (north - south) / GRID if box else CELL_DEGREES}
        scope = readable_selection(tx, actor, mode, base)

        def cells_of() -> list[dict]:
            return [r.data() for r in tx.run(CELL_EVENTS[mode] + _CELLS, **grid, **scope)]

        cells = cells_of() if box else None
        out: dict | None = None
        if cells is None or sum(c["points"] for c in cells) <= MAX_FEATURES:
            rows = [r.data() for r in tx.run(events + _FEATURES, limit=MAX_FEATURES + 1, **scope)]
            out = _as_features(rows) if len(rows) <= MAX_FEATURES else None
        if out is None:
            out = _as_clusters(cells if cells is not None else cells_of())
        out.update(scope=what, bbox=list(box) if box else _extent(out))
        audit.record(tx, actor, "view", [case_uid] if mode == "case" else uids[:50],
                     details={"op": "map", "criteria": what, "total": out["total"], "by_kind": out["by_kind"],
                              "clustered": out["clustered"]})
        return out, None

    out, error = graph.write(work)
    if error is not None:
        raise error
    return out


def _as_features(rows: list[dict]) -> dict:
    by_kind = dict.fromkeys(KINDS, 0)
    for r in rows:
        by_kind[r["kind"]] += 1
        r["first_at"], r["last_at"] = iso(r["first_at"]), iso(r["last_at"])
    return {"total": len(rows), "by_kind": by_kind, "clustered": False, "features": rows, "clusters": []}


def _as_clusters(cells: list[dict]) -> dict:
    by_kind = dict.fromkeys(KINDS, 0)
    merged: dict[tuple[int, int], dict] = {}
    for c in cells:
        by_kind[c["kind"]] += c["points"]
        m = merged.setdefault((c["cx"], c["cy"]), {"lat": 0.0, "lon": 0.0, "count": 0, "by_kind": {}})
        total = m["count"] + c["points"]
        m["lat"] = (m["lat"] * m["count"] + c["lat"] * c["points"]) / total
        m["lon"] = (m["lon"] * m["count"] + c["lon"] * c["points"]) / total
        m["count"] = total
        m["by_kind"][c["kind"]] = c["points"]
    return {"total": sum(by_kind.values()), "by_kind": by_kind, "clustered": True, "features": [],
            "clusters": sorted(merged.values(), key=lambda m: -m["count"])}


def _extent(out: dict) -> list[float] | None:
    pts = [(p["lon"], p["lat"]) for p in out["features"] or out["clusters"]]
    if not pts:
        return None
    return [min(p[0] for p in pts), min(p[1] for p in pts), max(p[0] for p in pts), max(p[1] for p in pts)]
