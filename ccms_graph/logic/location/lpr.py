"""Licence-plate-reader (LPR) sightings: a CSV import that keeps only what a case is tied to, and area queries.

CSV format (a header row; column names are case-insensitive, common aliases accepted): `plate`, `state`,
`seen_at` (ISO 8601; no zone means UTC), `latitude`, `longitude`, and optional `camera` (the camera or
site) and `source` (the feed or agency). Rows are numbered as lines of the file (the header is row 1). A
malformed row, or one equal to an earlier row of the file, is refused with its row number and the field
at fault; the valid rows load in batches of `BATCH`, each batch one transaction with its audit entry.

Case-bound (ICM PIA: ICE "does not retain or share data and images related to license plates that are not
related to the immediate case"; issue 20 item 8). A read is kept only for the cases it is tied to: a case
whose active subject is a Vehicle with that plate and state, or a case whose hot list has the plate, live
(`hotlists`). Every other read is dropped and counted, never stored. A read tied to two cases is kept once
for each, as `(:Sighting {case_uid})`, so each copy is exactly as secret as its case
(`scopes.case_bound_readable`), and retention and the map treat each case's copy on its own.

A Sighting: `uid`, `fingerprint` (the read and its case: a re-run adds nothing), `plate`, `plate_state`,
`plate_key` ("FL:ABC123"), `seen_at` (datetime), `location` (WGS84 point, under a POINT index), `camera`,
`source`, `case_uid`, `bound_by` ("vehicle", "hot_list" or both) and its provenance (`import_uid`,
`imported_by`, `imported_at`, `source_row`); `(:Sighting)-[:SIGHTING_OF]->(:Vehicle)` for each Vehicle
record with that plate and state. Sightings are reached only through this module's reads and the map,
never by a generic expansion (neither the node nor the link is in the link vocabulary).

Alerts: a new sighting of a hot-listed plate tells the entry's agent (`hotlists.alert_hits`: inbox, then
the email digest). An import made for a case that ties a plate to another case alerts both agents once per
case pair and plate (`telecom.alert_case_pair`), naming the other agent and never a restricted case.

What the importer is told is as secret as the cases behind it: `kept` and `duplicates` count only rows kept
for cases the importer may read, and `dropped` counts every other row (never stored, or kept only for a
case the importer may not see: the answer does not say which, so it cannot be used to learn which plates
interest a hidden case). The audit entry holds the true counts.

Retention: a sighting goes `Settings.lpr_retention_days` after it was seen, whatever its case
(`remove_expired`, run by `casework.retention.apply_retention`).
"""

from __future__ import annotations

import csv
import io
import math
from collections import Counter
from collections.abc import Iterable
from datetime import datetime

from neo4j.spatial import WGS84Point

from ...db import Graph
from ...errors import ValidationFailed
from ...policy import rules, scopes
from ...policy.actor import Actor
from ...policy.rules import actor_params
from ..common import iso, new_uid, plain
from ..identity.telecom import _fingerprint, _rows, alert_case_pair, parse_time
from ..oversight import audit, checks
from . import coordinates, hotlists, plates

BATCH = 5000
#: The most sightings one area query answers.
MAX_ROWS = 10_000

COLUMNS = {
    "plate": ("plate", "plate_number", "license_plate", "licence_plate", "tag", "lp"),
    "state": ("state", "plate_state", "region", "jurisdiction", "province"),
    "seen_at": ("seen_at", "time", "timestamp", "read_at", "date_time", "datetime", "seen"),
    "latitude": ("latitude", "lat"),
    "longitude": ("longitude", "lon", "lng", "long"),
    "camera": ("camera", "site", "camera_site", "camera_id", "reader", "location_name"),
    "source": ("source", "feed", "agency", "vendor"),
}
REQUIRED = ("plate", "state", "seen_at", "latitude", "longitude")


def _csv_rows(stream: Iterable[str]):
    """The file's rows (`telecom`'s reader); a file the csv module cannot read is refused naming `file`."""
    try:
        yield from _rows(stream, COLUMNS, REQUIRED)
    except csv.Error as exc:
        raise ValidationFailed({"file": [f"not a readable CSV file: {exc}"]}) from None


def parse_sightings(stream: Iterable[str]) -> tuple[list[dict], list[dict]]:
    """(valid reads, refused [{row, reason}]) of an LPR CSV; a read repeated within the file is refused."""
    valid: list[dict] = []
    refused: list[dict] = []
    seen: dict[str, int] = {}
    for line, row, ragged in _csv_rows(stream):
        problems = ["more cells than the header has columns"] if ragged else []
        problems += [f"{field}: {why}" for field, whys in plates.problems(row["plate"], row["state"]).items()
                     for why in whys]
        at = None
        try:
            at = parse_time(row["seen_at"])
        except ValueError:
            problems.append(f"seen_at: {row['seen_at']!r} is not an ISO 8601 date-time")
        problems += [f"{field}: {why}" for field, whys in coordinates.problems(row["latitude"], row["longitude"]).items()
                     for why in whys]
        if not row["latitude"] and not row["longitude"]:
            problems.append("latitude, longitude: a sighting needs its coordinates")
        if problems or at is None:
            refused.append({"row": line, "reason": "; ".join(problems)})
            continue
        plate, state = plates.plate(row["plate"]), plates.state(row["state"])
        where = coordinates.point(row["latitude"], row["longitude"])
        assert plate and state and where  # the checks above found nothing wrong
        read = {"plate": plate, "state": state, "key": plates.key(plate, state), "seen_at": at.isoformat(),
                "lat": where.latitude, "lon": where.longitude, "camera": row.get("camera", "")[:200] or None,
                "source": row.get("source", "")[:200] or None}
        fp = _fingerprint("lpr", *read.values())
        if fp in seen:
            refused.append({"row": line, "reason": f"duplicate of row {seen[fp]}"})
            continue
        seen[fp] = line
        valid.append({"row": line, "read": fp, **read})
    return valid, refused


# ---------------------------------------------------------------------------------------------
# Which cases a read is tied to, and writing it
# ---------------------------------------------------------------------------------------------

_VEHICLES = """
UNWIND $idents AS k
MATCH (:Identifier {key: k})<-[:HAS_IDENTIFIER]-(v:Vehicle)
WHERE coalesce(v.deleted, false) = false
OPTIONAL MATCH (v)-[:SUBJECT_IN {status: 'active'}]->(c:Case) WHERE coalesce(c.deleted, false) = false
RETURN k, v.uid AS vehicle, v.plate_state AS state, collect(c.uid) AS cases
"""

_READABLE = f"""
UNWIND $uids AS u
MATCH (c:Case {{uid: u}})
RETURN u, {scopes.case_readable("c")} AS ok
"""

#: The one statement that stores sightings (the import, the seed and the benchmark all use it).
INSERT = """
UNWIND $rows AS row
MERGE (s:Sighting {fingerprint: row.fp})
ON CREATE SET s.uid = randomUUID(), s.read_fingerprint = row.read, s.plate = row.plate, s.plate_state = row.state,
              s.plate_key = row.key, s.seen_at = datetime(row.seen_at),
              s.location = point({latitude: row.lat, longitude: row.lon}), s.camera = row.camera,
              s.source = row.source, s.case_uid = row.case_uid, s.bound_by = row.bound_by, s.import_uid = $import,
              s.imported_by = $actor, s.imported_at = datetime(), s.source_row = row.row, s._new = true
WITH s, row, coalesce(s._new, false) AS new
REMOVE s._new
WITH s, row, new
CALL (s, row, new) {
  WITH s, row WHERE new
  UNWIND row.vehicles AS vu
  MATCH (v:SubjectRecord {uid: vu})
  MERGE (s)-[:SIGHTING_OF]->(v)
}
RETURN row.fp AS fp, new
"""


def insert(tx, rows: list[dict], import_uid: str, actor_uid: str) -> dict[str, bool]:
    """Store sightings (one per read and case: {fp, read, plate, state, key, seen_at, lat, lon, camera, source,
    case_uid, bound_by, row, vehicles}); {fingerprint: whether it is new}."""
    params = {"rows": rows, "import": import_uid, "actor": actor_uid}
    return {r["fp"]: r["new"] for r in tx.run(INSERT, params)} if rows else {}


def _ties(tx, reads: list[dict]) -> tuple[dict[str, dict[str, set[str]]], dict[str, list[str]], list[dict]]:
    """For each plate key: {case uid: how it is tied}, the Vehicle uids with that plate and state, and the
    live hot list entries on it."""
    idents = sorted({plates.vehicle_identifier(r["plate"]) or "" for r in reads} - {""})
    keys = sorted({r["key"] for r in reads})
    by_key: dict[str, dict[str, set[str]]] = {k: {} for k in keys}
    vehicles: dict[str, list[str]] = {k: [] for k in keys}
    for v in tx.run(_VEHICLES, idents=idents):
        if v["state"] is None or plates.state(v["state"]) is None:
            continue  # a Vehicle with no state is not "that plate and state"
        key = plates.key(v["k"].split(":", 1)[1], plates.state(v["state"]) or "")
        if key in by_key:
            vehicles[key].append(v["vehicle"])
            for case in v["cases"]:
                by_key[key].setdefault(case, set()).add("vehicle")
    hot = hotlists.live(tx, keys)
    for h in hot:
        by_key[h["k"]].setdefault(h["case_uid"], set()).add("hot_list")
    return by_key, vehicles, hot


def _load_batch(tx, actor: Actor, reads: list[dict], import_uid: str, for_case: dict | None) -> dict:
    """Tie, store and alert one batch; the batch's audit entry holds the true counts, the answer only what
    the importer may know (see the module docstring)."""
    by_key, vehicles, hot = _ties(tx, reads) if reads else ({}, {}, [])
    cases = sorted({c for ties in by_key.values() for c in ties})
    readable = {r["u"] for r in tx.run(_READABLE, uids=cases, **actor_params(actor)) if r["ok"]}
    rows = [{**r, "fp": _fingerprint(r["read"], case), "case_uid": case, "bound_by": "+".join(sorted(how)),
             "vehicles": vehicles.get(r["key"], [])}
            for r in reads for case, how in sorted(by_key.get(r["key"], {}).items())]
    new = insert(tx, rows, import_uid, actor.uid)
    answer = Counter[str]()
    duplicates: list[dict] = []
    for r in reads:
        mine = [x for x in rows if x["row"] == r["row"] and x["case_uid"] in readable]
        if any(new[x["fp"]] for x in mine):
            answer["kept"] += 1
        elif mine:
            duplicates.append({"row": r["row"], "reason": "already loaded"})
        else:
            answer["dropped"] += 1
    entries = {(h["k"], h["case_uid"]): h for h in hot}
    hits = [{**entries[(x["key"], x["case_uid"])], "plate": x["plate"], "plate_state": x["state"],
             "seen_at": x["seen_at"], "latitude": x["lat"], "longitude": x["lon"], "camera": x["camera"],
             "source": x["source"]}
            for x in rows if new[x["fp"]] and (x["key"], x["case_uid"]) in entries]
    alerts = hotlists.alert_hits(tx, actor, hits, for_case)
    if for_case is not None:  # the file is this case's material: a plate of another case's vehicle ties the two
        alerts += sum(alert_case_pair(tx, actor, for_case["uid"], case, "lpr_hit", f"plate {key.replace(':', ' ')}",
                                      selector=f"plate:{key}")
                      for key, ties in sorted(by_key.items()) for case, how in sorted(ties.items())
                      if case != for_case["uid"] and "vehicle" in how)
    per_case = Counter(x["case_uid"] for x in rows if new[x["fp"]])
    unbound = sum(1 for r in reads if not by_key.get(r["key"]))
    # The importer's supervisor reads this entry too: it names only cases the importer may read, and counts
    # the rest (the sightings themselves carry `import_uid`, for the auditor to follow).
    audit.record(tx, actor, "import", [c for c in cases if c in readable], details={
        "kind": "lpr", "import_uid": import_uid, "for_case": (for_case or {}).get("uid"), "rows": len(reads),
        "first_row": reads[0]["row"] if reads else None, "last_row": reads[-1]["row"] if reads else None,
        "sightings_stored": sum(per_case.values()),
        "per_case": {c: n for c, n in per_case.items() if c in readable},
        "stored_for_other_cases": sum(n for c, n in per_case.items() if c not in readable),
        "dropped_not_case_bound": unbound, "duplicates": sum(1 for x in rows if not new[x["fp"]]), "alerts": alerts})
    return {"kept": answer["kept"], "dropped": answer["dropped"], "duplicates": duplicates}


def _case_to_write(tx, actor: Actor, case_key: str) -> dict:
    facts = rules.require_case(tx, actor, case_key, write=True)
    return {"uid": facts["uid"], "number": facts["case_number"], "restricted": bool(facts.get("restricted"))}


def import_sightings(graph: Graph, actor: Actor, stream: Iterable[str] | str, case_key: str | None = None,
                     batch: int = BATCH) -> dict:
    """Load an LPR CSV, keeping each read only for the cases it is tied to; with `case_key`, the import is
    made for that case (the importer must be able to change it) and ties to other cases alert both agents.

    Answer: {import_uid, case_number, rows, kept, duplicates [{row, reason}], dropped, refused [{row, reason}]}
    (`kept`, `duplicates` and `dropped` as the importer may know them: see the module docstring).
    """
    checks.writer_guard(graph, actor, "lpr_import", [case_key] if case_key else [])
    for_case = (audit.read_or_refuse(graph, actor, "lpr_import", [case_key], _case_to_write, actor, case_key)
                if case_key else None)
    valid, refused = parse_sightings(io.StringIO(stream) if isinstance(stream, str) else stream)
    import_uid = new_uid()
    totals = {"kept": 0, "dropped": 0, "duplicates": []}
    step = max(1, int(batch))
    for i in range(0, max(len(valid), 1), step):  # one entry even for a file of refused rows only
        part = graph.write(_load_batch, actor, valid[i:i + step], import_uid, for_case)
        totals = {"kept": totals["kept"] + part["kept"], "dropped": totals["dropped"] + part["dropped"],
                  "duplicates": totals["duplicates"] + part["duplicates"]}
    return {"import_uid": import_uid, "case_number": (for_case or {}).get("number"),
            "rows": len(valid) + len(refused), **totals, "refused": sorted(refused, key=lambda r: r["row"])}


# ---------------------------------------------------------------------------------------------
# Reading: sightings in an area and a time window
# ---------------------------------------------------------------------------------------------

WITHIN = f"""
MATCH (s:Sighting)
WHERE point.withinBBox(s.location, $sw, $ne)
  AND ($since IS NULL OR s.seen_at >= $since) AND ($until IS NULL OR s.seen_at < $until)
  AND {scopes.case_bound_readable("s")}
RETURN s {{.uid, .plate, .plate_state, .seen_at, .location, .camera, .source, .case_uid, .bound_by}} AS s
ORDER BY s.seen_at, s.uid
LIMIT $limit
"""


def _edge(value: object) -> object:
    """A box edge rounded to the 7 decimals a point keeps (a value that is not a number is left to refuse)."""
    if isinstance(value, bool):
        return value
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return value
    return round(number, coordinates.MAX_DECIMALS) if math.isfinite(number) else value


def bounding_box(bbox: object) -> tuple[WGS84Point, WGS84Point]:
    """The (south-west, north-east) corners of `bbox`: {south, west, north, east} or (south, west, north,
    east), each checked as a coordinate; ValidationFailed naming the corner's field."""
    names = ("south", "west", "north", "east")
    if isinstance(bbox, dict):
        values = [bbox.get(n) for n in names]
    elif isinstance(bbox, list | tuple) and len(bbox) == 4:
        values = list(bbox)
    else:
        raise ValidationFailed({"bbox": ["give south, west, north and east"]})
    values = [_edge(v) for v in values]  # a box drawn on a screen has more decimals than any stored point
    errors: dict = {}
    for (lat_name, lon_name), lat, lon in ((("south", "west"), values[0], values[1]),
                                           (("north", "east"), values[2], values[3])):
        if lat in (None, "") or lon in (None, ""):
            errors.update({n: ["required"] for n, v in ((lat_name, lat), (lon_name, lon)) if v in (None, "")})
            continue
        bad = coordinates.problems(lat, lon)
        errors.update({lat_name if k == "latitude" else lon_name: v for k, v in bad.items()})
    if not errors and float(values[0]) > float(values[2]):  # type: ignore[arg-type]
        errors["south"] = ["the south edge is north of the north edge"]
    if errors:
        raise ValidationFailed(errors)
    sw, ne = coordinates.point(values[0], values[1]), coordinates.point(values[2], values[3])
    assert sw is not None and ne is not None
    return sw, ne


def _when(name: str, value: object) -> datetime | None:
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        return value
    try:
        return parse_time(str(value))
    except ValueError:
        raise ValidationFailed({name: [f"{value!r} is not an ISO 8601 date-time"]}) from None


def sightings_within(graph: Graph, actor: Actor, bbox: object, since: object = None, until: object = None,
                     limit: int = MAX_ROWS) -> list[dict]:
    """The sightings inside `bbox` (see `bounding_box`; one crossing the antimeridian has west > east) and
    seen in [since, until), oldest first, that the actor may read (`scopes.case_bound_readable`: a sighting
    of a hidden case is neither shown nor counted). An index seek on the POINT index; audited as a query."""
    checks.guard(graph, actor, "sightings")
    sw, ne = bounding_box(bbox)
    start, end = _when("since", since), _when("until", until)
    if not 1 <= int(limit) <= MAX_ROWS:
        raise ValidationFailed({"limit": [f"use 1 to {MAX_ROWS}"]})

    def work(tx):
        found = [plain(r["s"]) for r in tx.run(WITHIN, sw=sw, ne=ne, since=start, until=end, limit=int(limit),
                                               **actor_params(actor))]
        audit.record(tx, actor, "query", sorted({s["case_uid"] for s in found}), details={
            "op": "sightings_within", "bbox": [sw.latitude, sw.longitude, ne.latitude, ne.longitude],
            "since": iso(start) if start else None, "until": iso(end) if end else None, "shown": len(found)})
        return found

    return graph.write(work)


# ---------------------------------------------------------------------------------------------
# Retention: LPR data has its own period
# ---------------------------------------------------------------------------------------------

_OLD = """
MATCH (s:Sighting) WHERE s.seen_at < datetime($now) - duration({days: $days})
WITH s LIMIT $batch
WITH collect(s) AS gone
WITH gone, size(gone) AS n, [x IN gone | x.case_uid] AS cases,
     reduce(m = null, x IN gone | CASE WHEN m IS NULL OR x.seen_at < m THEN x.seen_at ELSE m END) AS oldest
FOREACH (x IN gone | DETACH DELETE x)
RETURN n, cases, toString(oldest) AS oldest
"""


def old_count(tx, now: str, days: int) -> int:
    """How many sightings are past the LPR retention period as of `now` (the dry run's figure)."""
    return tx.run("MATCH (s:Sighting) WHERE s.seen_at < datetime($now) - duration({days: $days}) RETURN count(s) AS n",
                  now=now, days=int(days)).single()["n"]


def remove_expired(graph: Graph, actor: Actor, now: str, days: int, run: str, batch: int = BATCH) -> int:
    """Delete the sightings seen more than `days` before `now`, `batch` per transaction, each batch with a
    "retention" audit entry (how many, for which cases, the oldest); returns how many went."""
    total = 0

    def work(tx, number: int) -> int:
        rec = tx.run(_OLD, now=now, days=int(days), batch=int(batch)).single()
        if rec["n"]:
            audit.record(tx, actor, "retention", sorted(set(rec["cases"])), details={
                "run": run, "kind": "lpr_sightings", "batch": number, "as_of": now, "days": int(days),
                "removed": rec["n"], "oldest": rec["oldest"]})
        return rec["n"]

    number = 0
    while True:
        number += 1
        n = graph.write(work, number)
        total += n
        if n < batch:
            return total
