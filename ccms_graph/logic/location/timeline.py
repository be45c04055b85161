"""The time bar: how many calls, sightings, arrests, seizures, documents and new links fall in each
day, week or month, for a case, a selection of records (the explorer's), or an area.

The scopes, the period and the refusals are the map's (`map.check_scope`, `map.period`,
`map.open_scope`), and so is the rule that matters: every event passes its own policy predicate inside
the query, so an event the viewer may not read is never counted. What each kind counts:

* `call` — call records: the case's (its `case_uids`), a selected phone's (of the cases the viewer may
  read), or those through a cell site in the area; dated by `start_at`;
* `sighting` — LPR sightings, as the map draws them (`seen_at`);
* `arrest`, `seizure` — arrest and seizure reports by incident date (else filing), located or not;
* `document` — the other documents of the case or the selection (report, collection or incident date,
  else filing); a draft the viewer may not read is not counted;
* `link` — links made: the case's subjects' and documents' memberships and the links of its subjects to
  records the viewer may read; for a selection, the links among the selected records (`created_at`).

Counts are grouped per day in the database and folded into the bucket here: `day`, `week` (from Monday)
or `month`; `auto` picks the finest that keeps the bar at `MAX_BUCKETS` or fewer. Audited ("view",
op "timeline") in the reading transaction.
"""

from __future__ import annotations

from datetime import date, timedelta

from ...db import Graph
from ...errors import ValidationFailed
from ...nodes.vocabulary import LINK_TYPES
from ...policy import scopes
from ...policy.actor import Actor
from ..common import iso
from ..oversight import audit
from ..oversight.checks import guard
from . import map as geo

KINDS = ("call", "sighting", "arrest", "seizure", "document", "link")
BUCKETS = ("auto", "day", "week", "month")
MAX_BUCKETS = 120
#: The most buckets an explicit `bucket` may ask for.
LIMIT_BUCKETS = 3660

_DOC_AT = ("(CASE WHEN coalesce(d.report_date, d.collected_date, d.incident_date) IS NULL THEN d.created_at "
           "ELSE datetime({date: date(coalesce(d.report_date, d.collected_date, d.incident_date))}) END)")
_DOC_OK = f"coalesce(d.deleted, false) = false AND {scopes.document_readable('d')}"
_DOC_KIND = "CASE WHEN d:ArrestReport THEN 'arrest' WHEN d:SeizureReport THEN 'seizure' ELSE 'document' END"
_DOC_ROW = f"WITH d, {_DOC_KIND} AS kind, {_DOC_AT} AS at WHERE {geo.dated('at')} RETURN kind, at"
_CALL_OK = f"{geo.dated('c.start_at')} AND {scopes.any_readable_case('c')}"
_SIGHTING_OK = f"{geo.inside('s.location')} AND {geo.dated('s.seen_at')} AND {geo.sighting_readable('s')}"
_LINK_TYPES = sorted(t for t in LINK_TYPES if t != "CALLED")  # calls are counted as calls

_CASE_EVENTS = f"""
CALL () {{
  MATCH (:Case {{uid: $case}})<-[:KEPT_FOR]-(c:CallRecord) WHERE {_CALL_OK} RETURN 'call' AS kind, c.start_at AS at
  UNION ALL
  CALL () {{
    MATCH (:Case {{uid: $case}})<-[:SUBJECT_IN {{status: 'active'}}]-(v:Vehicle) MATCH {geo.SIGHTING_OF} RETURN s
    UNION
    MATCH (h:HotListEntry {{case_uid: $case}}) MATCH (s:Sighting {{plate_key: h.plate_key}})
    WHERE s.case_uid = $case RETURN s
  }}
  WITH s WHERE {_SIGHTING_OK} RETURN 'sighting' AS kind, s.seen_at AS at
  UNION ALL
  MATCH (:Case {{uid: $case}})<-[:PART_OF {{status: 'active'}}]-(d:Document) WHERE {_DOC_OK} {_DOC_ROW}
  UNION ALL
  MATCH (:Case {{uid: $case}})<-[r:SUBJECT_IN|PART_OF {{status: 'active'}}]-(m:Linkable)
  WHERE coalesce(m.deleted, false) = false AND {scopes.content_readable("m")} AND {geo.dated("r.created_at")}
  RETURN 'link' AS kind, r.created_at AS at
  UNION ALL
  MATCH (:Case {{uid: $case}})<-[:SUBJECT_IN {{status: 'active'}}]-(x:SubjectRecord)-[r]-(m:Linkable)
  WHERE type(r) IN $link_types AND NOT type(r) IN ['SUBJECT_IN', 'PART_OF'] AND r.status = 'active'
    AND coalesce(x.deleted, false) = false AND coalesce(m.deleted, false) = false AND {geo.dated("r.created_at")}
  {scopes.checked(["x", "r", "m"], f'{scopes.subject_readable("x")} AND {scopes.record_readable("m")} '
                                   f'AND {scopes.link_readable("r")}', "ok")}
  WITH DISTINCT r RETURN 'link' AS kind, r.created_at AS at
}}
"""

_SELECTION_EVENTS = f"""
MATCH (x:Linkable) WHERE x.uid IN $uids AND coalesce(x.deleted, false) = false
CALL (x) {{
  MATCH (x:Phone) MATCH (c:CallRecord {{orig: x.e164}}) WHERE {_CALL_OK} RETURN 'call' AS kind, c.start_at AS at
  UNION ALL
  MATCH (x:Phone) MATCH (c:CallRecord {{term: x.e164}}) WHERE c.orig <> x.e164 AND {_CALL_OK}
  RETURN 'call' AS kind, c.start_at AS at
  UNION ALL
  MATCH (x:Vehicle) WITH x AS v MATCH {geo.SIGHTING_OF} WHERE {_SIGHTING_OK} RETURN 'sighting' AS kind, s.seen_at AS at
  UNION ALL
  WITH x AS d WHERE d:Document AND {_DOC_OK} {_DOC_ROW}
  UNION ALL
  MATCH (x)-[r]->(m:Linkable) WHERE m.uid IN $uids AND type(r) IN $link_types AND r.status = 'active'
    AND coalesce(m.deleted, false) = false AND {scopes.link_readable("r")} AND {geo.dated("r.created_at")}
  RETURN 'link' AS kind, r.created_at AS at
}}
"""

_AREA_EVENTS = f"""
CALL () {{
  {geo.AREA_SIGHTINGS}
  RETURN 'sighting' AS kind, s.seen_at AS at
  UNION ALL
  MATCH (d:Document) WHERE point.withinBBox(d.location, $sw, $ne) AND (d:ArrestReport OR d:SeizureReport)
    AND {_DOC_OK} {_DOC_ROW}
  UNION ALL
  MATCH (cs:CellSite) WHERE point.withinBBox(cs.location, $sw, $ne)
  MATCH (c:CallRecord)-[:VIA_CELL]->(cs) WHERE {_CALL_OK}
  RETURN 'call' AS kind, c.start_at AS at
}}
"""

EVENTS = {"case": _CASE_EVENTS, "selection": _SELECTION_EVENTS, "area": _AREA_EVENTS}

_PER_DAY = """
WITH kind, at WHERE at IS NOT NULL
RETURN kind, date(at) AS day, count(*) AS n
"""


def timeline(graph: Graph, actor: Actor, case_uid: str | None = None, uids=None, bbox=None, since=None,
             until=None, bucket: str = "auto") -> dict:
    """Counts per bucket and kind of what the viewer may read, for a case, a selection or an area.

    {scope, bucket, kinds, totals: {kind: n}, first, last, buckets: [{start, end, counts: {kind: n}}]}
    with every bucket from the first event's to the last's (or the period's bounds when given)."""
    if bucket not in BUCKETS:
        raise ValidationFailed({"bucket": [f"use one of {', '.join(BUCKETS)}"]})
    box = geo.check_bbox(bbox)
    start, end = geo.period(since, until)
    mode, uids = geo.check_scope(case_uid, uids, box)
    what = {**geo.criteria(mode, case_uid, uids, box, start, end), "bucket": bucket}
    guard(graph, actor, "timeline", [case_uid] if mode == "case" else [], criteria=what)
    base = {**geo.params(actor, mode, case_uid, uids, box, start, end), "link_types": _LINK_TYPES}

    def work(tx):
        error = geo.open_scope(tx, actor, mode, case_uid, "timeline")
        if error is not None:
            return None, error
        rows = [r.data() for r in tx.run(EVENTS[mode] + _PER_DAY, **geo.readable_selection(tx, actor, mode, base))]
        out = fold(rows, bucket, start.date() if start else None,
                   (end - timedelta(microseconds=1)).date() if end else None)
        out["scope"] = what
        audit.record(tx, actor, "view", [case_uid] if mode == "case" else uids[:50],
                     details={"op": "timeline", "criteria": what, "totals": out["totals"]})
        return out, None

    out, error = graph.write(work)
    if error is not None:
        raise error
    return out


def _floor(day: date, unit: str) -> date:
    if unit == "week":
        return day - timedelta(days=day.weekday())
    if unit == "month":
        return day.replace(day=1)
    return day


def _next(day: date, unit: str) -> date:
    if unit == "week":
        return day + timedelta(days=7)
    if unit == "month":
        return (day.replace(day=28) + timedelta(days=4)).replace(day=1)
    return day + timedelta(days=1)


def fold(rows: list[dict], bucket: str, first: date | None, last: date | None) -> dict:
    """Per-day counts [{kind, day, n}] folded into contiguous buckets from `first` to `last` (each
    defaulting to the earliest and latest day counted). Pure."""
    days = [r["day"].to_native() if hasattr(r["day"], "to_native") else r["day"] for r in rows]
    totals = dict.fromkeys(KINDS, 0)
    for r in rows:
        totals[r["kind"]] += r["n"]
    first = first or (min(days) if days else None)
    last = last or (max(days) if days else None)
    out = {"kinds": list(KINDS), "totals": totals, "first": iso(first), "last": iso(last), "buckets": []}
    if first is None or last is None or last < first:
        return {**out, "bucket": "day" if bucket == "auto" else bucket}
    unit = bucket
    if bucket == "auto":
        span = (last - first).days + 1
        unit = "day" if span <= MAX_BUCKETS else "week" if span <= MAX_BUCKETS * 7 else "month"
    elif (last - first).days // {"day": 1, "week": 7, "month": 28}[unit] > LIMIT_BUCKETS:
        raise ValidationFailed({"bucket": [f"more than {LIMIT_BUCKETS} {unit}s: narrow the period or use auto"]})
    counts: dict[date, dict[str, int]] = {}
    for r, day in zip(rows, days, strict=True):
        slot = counts.setdefault(_floor(day, unit), dict.fromkeys(KINDS, 0))
        slot[r["kind"]] += r["n"]
    at = _floor(first, unit)
    while at <= last:
        following = _next(at, unit)
        out["buckets"].append({"start": at.isoformat(), "end": following.isoformat(),
                               "counts": counts.get(at, dict.fromkeys(KINDS, 0))})
        at = following
    return {**out, "bucket": unit}
