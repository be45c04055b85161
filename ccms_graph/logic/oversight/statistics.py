"""Statistics: what supervisors and management report from (ICM PIA: "summaries of hours, arrests, or seized
items per office per fiscal year").

Counts and sums per office, US federal fiscal year (1 October to 30 September), month and violation:
cases opened and closed, arrests and the charges they list, seizures (count, and value by category: the
report's own `value_usd` and `category` where it gives them, else the seized Things it names), hours
logged on cases (`casework.hours`), and deconfliction hits.

Who sees what (`rules.statistics_offices`): a user's totals cover their own organisational subtree
(their office and every port or unit within it); headquarters and the auditor see every office.
Restricted cases count in the totals, and only numbers leave them: `totals` never names a case. The
drill-down (`cases`) lists only the cases the viewer may read (`scopes.case_readable`) and says how many
it withheld. Every run is audited with its criteria (action `statistics`), in the transaction that reads.

Dates: a case counts as opened on `opened_at` (a case past its request with no opening date recorded, on
`created_at`) and closed on `closed_at`; an arrest or seizure on its
report's `incident_date` (its filing date when none was given); a hit on its `created_at`. Reports in
draft, drafts returned or deleted reports never count. A hit counts in the office of the record that
was created (`new_uid`); it belongs to no case, so a violation filter leaves hits out.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from datetime import date

from ...db import Graph
from ...errors import Forbidden, ValidationFailed
from ...policy import rules, scopes
from ...policy.actor import Actor
from ..casework.cases import fiscal_year
from . import audit, notifications
from .checks import guard

METRICS = ("cases_opened", "cases_closed", "arrests", "charges", "seizures", "seized_value_usd",
           "warrants", "warrants_served", "indictments", "convictions", "sentences", "hours", "deconfliction_hits")
#: Court proceedings (a court record's `proceeding`) -> the metric that counts them.
PROSECUTION = {"indictment": "indictments", "information": "indictments", "conviction": "convictions",
               "plea": "convictions", "sentence": "sentences"}
#: Fiscal years the trend covers, ending with the one asked for.
TREND_YEARS = 5
#: Cases the drill-down lists at most (the rest are counted, never named).
DRILL_LIMIT = 500

# Every counted event: (metric, case or null, office, day, n, value, category). Statuses in which a
# report does not count yet come from the policy's draft list (a report no one approved is not an outcome).
_EVENTS = """
CALL () {
  MATCH (c:Case) WHERE coalesce(c.deleted, false) = false AND c.status <> 'requested'
  WITH c, coalesce(c.opened_at, c.created_at) AS opened
  WHERE opened >= datetime($start) AND opened < datetime($end)
  RETURN 'cases_opened' AS metric, c, c.office_code AS office, date(opened) AS day, 1 AS n, 0.0 AS value,
         null AS category
  UNION ALL
  MATCH (c:Case) WHERE c.closed_at >= datetime($start) AND c.closed_at < datetime($end)
    AND coalesce(c.deleted, false) = false
  RETURN 'cases_closed' AS metric, c, c.office_code AS office, date(c.closed_at) AS day, 1 AS n, 0.0 AS value,
         null AS category
  UNION ALL
  MATCH (d:ArrestReport)-[:PART_OF {status: 'active'}]->(c:Case)
  WHERE coalesce(d.deleted, false) = false AND NOT coalesce(d.status, 'filed') IN $drafts
    AND coalesce(c.deleted, false) = false
  WITH d, c, CASE WHEN d.incident_date IS NULL THEN date(d.created_at) ELSE date(d.incident_date) END AS day
  WHERE day >= date($start) AND day < date($end)
  RETURN 'arrests' AS metric, c, c.office_code AS office, day, 1 AS n, toFloat(size(coalesce(d.charges, []))) AS value,
         null AS category
  UNION ALL
  MATCH (d:SeizureReport)-[:PART_OF {status: 'active'}]->(c:Case)
  WHERE coalesce(d.deleted, false) = false AND NOT coalesce(d.status, 'filed') IN $drafts
    AND coalesce(c.deleted, false) = false
  WITH d, c, CASE WHEN d.incident_date IS NULL THEN date(d.created_at) ELSE date(d.incident_date) END AS day
  WHERE day >= date($start) AND day < date($end)
  OPTIONAL MATCH (d)-[:MENTIONS {status: 'active'}]->(t:Thing) WHERE d.value_usd IS NULL
  WITH d, c, day, collect(t) AS things
  UNWIND [{metric: 'seizures', value: 0.0}] +
         CASE WHEN d.value_usd IS NOT NULL
              THEN [{metric: 'seized', value: toFloat(d.value_usd), category: coalesce(d.category, 'unspecified')}]
              ELSE [t IN things | {metric: 'seized', value: toFloat(coalesce(t.value, 0)),
                                   category: coalesce(d.category, t.category, 'unspecified')}] END AS e
  RETURN e.metric AS metric, c, c.office_code AS office, day, 1 AS n, e.value AS value, e.category AS category
  UNION ALL
  MATCH (d:Warrant)-[:PART_OF {status: 'active'}]->(c:Case)
  WHERE coalesce(d.deleted, false) = false AND NOT coalesce(d.status, 'filed') IN $drafts
    AND coalesce(c.deleted, false) = false
  UNWIND [['warrants', coalesce(d.issued_date, toString(date(d.created_at)))], ['warrants_served', d.served_date]] AS e
  WITH c, e[0] AS metric, date(e[1]) AS day WHERE day >= date($start) AND day < date($end)
  RETURN metric, c, c.office_code AS office, day, 1 AS n, 0.0 AS value, null AS category
  UNION ALL
  MATCH (d:CourtRecord)-[:PART_OF {status: 'active'}]->(c:Case)
  WHERE d.proceeding IN keys($prosecution) AND coalesce(d.deleted, false) = false
    AND NOT coalesce(d.status, 'filed') IN $drafts AND coalesce(c.deleted, false) = false
  WITH d, c, CASE WHEN d.filed_date IS NULL THEN date(d.created_at) ELSE date(d.filed_date) END AS day
  WHERE day >= date($start) AND day < date($end)
  RETURN $prosecution[d.proceeding] AS metric, c, c.office_code AS office, day, 1 AS n, 0.0 AS value,
         null AS category
  UNION ALL
  MATCH (h:WorkHours)-[:LOGGED_ON]->(c:Case) WHERE h.date >= $start AND h.date < $end
    AND coalesce(c.deleted, false) = false
  RETURN 'hours' AS metric, c, c.office_code AS office, date(h.date) AS day, 0 AS n, toFloat(h.hours) AS value,
         null AS category
  UNION ALL
  MATCH (h:DeconflictionHit) WHERE h.created_at >= datetime($start) AND h.created_at < datetime($end)
  OPTIONAL MATCH (r:Linkable {uid: h.new_uid})
  RETURN 'deconfliction_hits' AS metric, null AS c, r.office_code AS office, date(h.created_at) AS day, 1 AS n,
         0.0 AS value, null AS category
}
WITH metric, c, office, day, n, value, category
WHERE office IS NOT NULL AND ($scope IS NULL OR office IN $scope)
  AND ($violation IS NULL OR (c IS NOT NULL AND $violation IN coalesce(c.violations, [])))
"""

# One pass over the trend's years: one row per (metric, office, month, category), and for the fiscal year
# asked for also per list of violations its cases carry (`vs`; null before it), folded per violation here.
# Numbers only, few rows: grouping by the case's violation lists only within the one year keeps the rows
# to a few thousand, where scanning the events twice (totals, then violations) cost twice the time.
_FIGURES = _EVENTS + """
RETURN metric, office, day.year * 100 + day.month AS ym, category,
       CASE WHEN c IS NOT NULL AND day >= date($fy_start) THEN coalesce(c.violations, []) END AS vs,
       sum(n) AS n, sum(value) AS value
"""

# The drill-down: which cases make up one figure, split into those the viewer may read and the rest.
_CASES = _EVENTS + f"""
  AND c IS NOT NULL AND metric IN $metrics AND ($month IS NULL OR day.year * 100 + day.month = $month)
WITH DISTINCT c
WITH c, {scopes.case_readable("c")} AS readable
WITH collect(CASE WHEN readable THEN c END) AS shown, count(CASE WHEN NOT readable THEN 1 END) AS withheld
UNWIND CASE WHEN size(shown) = 0 THEN [null] ELSE shown END AS c
WITH c, withheld ORDER BY c.case_number
RETURN collect(CASE WHEN c IS NULL THEN null ELSE c {{.uid, .case_number, .title, .status, .office_code,
       .owner_uid, .violations}} END) AS shown, withheld
"""


def fiscal_year_bounds(fy: int) -> tuple[str, str]:
    """FY2026 runs from 1 October 2025 up to (not including) 1 October 2026."""
    return date(fy - 1, 10, 1).isoformat(), date(fy, 10, 1).isoformat()


def _fy_of(ym: int) -> int:
    year, month = divmod(ym, 100)
    return year + 1 if month >= 10 else year


def _criteria(fy, office, violation, default_fy: int) -> dict:
    errors: dict[str, list[str]] = {}
    try:
        fy = default_fy if fy in (None, "") else int(fy)
        if not 1990 <= fy <= 2100:
            raise ValueError
    except (TypeError, ValueError):
        errors["fy"] = [f"a fiscal year such as {default_fy} (1990-2100); got {fy!r}"]
    if office is not None and (not isinstance(office, str) or not office.strip() or len(office) > 40):
        errors["office"] = ["an office code such as MIA"]
    if violation is not None and (not isinstance(violation, str) or not violation.strip() or len(violation) > 200):
        errors["violation"] = ["a violation as cases record it, e.g. 18 USC 545 (smuggling)"]
    if errors:
        raise ValidationFailed(errors)
    return {"fy": fy, "office": office.strip() if office else None,
            "violation": violation.strip() if violation else None}


def _scope(tx, actor: Actor, office: str | None) -> list[str] | None:
    """The offices the figures cover: the actor's subtree (None: every office), narrowed to `office`."""
    allowed = rules.statistics_offices(actor)
    if office is None:
        return allowed
    subtree = [r["code"] for r in tx.run(
        "MATCH (o:Office)-[:WITHIN*0..]->(:Office {code: $code}) RETURN o.code AS code", code=office)]
    if not subtree:
        raise ValidationFailed({"office": [f"no office {office!r}"]})
    if allowed is not None and office not in allowed:
        raise Forbidden(f"office {office} lies outside your organisational subtree ({', '.join(sorted(allowed))})")
    return subtree


def _empty() -> dict:
    return {m: 0.0 if m in ("seized_value_usd", "hours") else 0 for m in METRICS}


def _add(bucket: dict, metric: str, n: int, value: float) -> None:
    if metric == "seized":  # one row per valued seizure or seized Thing (a report is also one "seizures" row)
        bucket["seized_value_usd"] += value
        return
    if metric == "hours":
        bucket["hours"] += value
        return
    bucket[metric] += n
    if metric == "arrests":
        bucket["charges"] += int(value)


def _month(ym: int) -> str:
    return f"{ym // 100}-{ym % 100:02d}"


def _roll_up(rows: list[dict], fy: int) -> dict:
    """Fold the queries' rows into totals, breakdowns and the trend (all numbers)."""
    trend: dict[int, dict] = defaultdict(_empty)
    totals = _empty()
    by_office: dict[str, dict] = defaultdict(_empty)
    by_violation: dict[str, dict] = defaultdict(_empty)
    by_month = {_month((fy - 1 if m >= 10 else fy) * 100 + m): _empty() for m in (*range(10, 13), *range(1, 10))}
    categories: dict[str, dict] = defaultdict(lambda: {"items": 0, "value_usd": 0.0})
    for r in rows:
        year = _fy_of(r["ym"])
        _add(trend[year], r["metric"], r["n"], r["value"])
        if year != fy:
            continue
        for b in (totals, by_office[r["office"]], by_month[_month(r["ym"])]):
            _add(b, r["metric"], r["n"], r["value"])
        if r["metric"] == "seized":
            categories[r["category"]]["items"] += r["n"]
            categories[r["category"]]["value_usd"] += r["value"]
        for violation in r["vs"] or ():
            _add(by_violation[violation], r["metric"], r["n"], r["value"])
    return {"totals": totals, "by_office": dict(by_office), "by_month": by_month, "by_violation": dict(by_violation),
            "seized_by_category": dict(categories), "trend": trend}


def statistics(graph: Graph, actor: Actor, fy=None, office: str | None = None, violation: str | None = None,
               today: date | None = None) -> dict:
    """The figures for fiscal year `fy` (default: the current one) within the actor's subtree; audited."""
    criteria = _criteria(fy, office, violation, fiscal_year(today or date.today()))
    guard(graph, actor, "statistics", criteria=criteria)
    start, _ = fiscal_year_bounds(criteria["fy"] - TREND_YEARS + 1)
    fy_start, end = fiscal_year_bounds(criteria["fy"])

    def work(tx):
        offices = _scope(tx, actor, criteria["office"])
        params = {"start": start, "end": end, "fy_start": fy_start, "scope": offices,
                  "violation": criteria["violation"], "drafts": list(scopes.DRAFT_STATUSES), "prosecution": PROSECUTION}
        rows = [r.data() for r in tx.run(_FIGURES, **params)]
        audit.record(tx, actor, "statistics", details={"criteria": criteria, "offices": offices})
        return offices, rows

    offices, rows = _run(graph, actor, work, criteria)
    out = _roll_up(rows, criteria["fy"])
    trend = out.pop("trend")
    return {"fiscal_year": criteria["fy"], "office": criteria["office"], "violation": criteria["violation"],
            "offices": sorted(offices) if offices is not None else "all",
            "period": {"from": fiscal_year_bounds(criteria["fy"])[0], "to": fiscal_year_bounds(criteria["fy"])[1]},
            **out,
            "trend": [{"fiscal_year": y, **trend.get(y, _empty())}
                      for y in range(criteria["fy"] - TREND_YEARS + 1, criteria["fy"] + 1)]}


def _run(graph: Graph, actor: Actor, work, criteria: dict):
    try:
        return graph.write(work)
    except (Forbidden, ValidationFailed) as exc:
        raise audit.refuse(graph, actor, exc, "statistics", [], criteria=criteria) from None


def offices_covered(graph: Graph, actor: Actor) -> list[dict]:
    """The offices (code, name) the actor's figures cover, for a dashboard's office filter: their subtree,
    or every office for headquarters and the auditor. Roles that read no case figures are refused (audited)."""
    guard(graph, actor, "statistics")
    try:
        allowed = rules.statistics_offices(actor)
    except Forbidden as exc:
        raise audit.refuse(graph, actor, exc, "statistics", []) from None
    return graph.query("MATCH (o:Office) WHERE $scope IS NULL OR o.code IN $scope "
                       "RETURN o.code AS code, o.name AS name ORDER BY o.code", {"scope": allowed})


#: Which events make up each figure of the drill-down.
DRILL_METRICS = {"cases_opened": ["cases_opened"], "cases_closed": ["cases_closed"], "arrests": ["arrests"],
                 "charges": ["arrests"], "seizures": ["seizures"], "seized_value_usd": ["seized"], "hours": ["hours"],
                 **{m: [m] for m in ("warrants", "warrants_served", "indictments", "convictions", "sentences")}}


def cases(graph: Graph, actor: Actor, metric: str, fy=None, office: str | None = None,
          violation: str | None = None, month: str | None = None, today: date | None = None) -> dict:
    """The cases behind one figure: those the actor may read, and how many others it withheld. Audited;
    the owners of listed cases are told, as for a search."""
    criteria = _criteria(fy, office, violation, fiscal_year(today or date.today()))
    if metric not in DRILL_METRICS:
        raise ValidationFailed({"metric": [f"one of {', '.join(DRILL_METRICS)} (hits belong to no case)"]})
    ym = None
    if month:
        try:
            year, mon = (int(x) for x in str(month).split("-"))
            if not 1 <= mon <= 12:
                raise ValueError
            ym = year * 100 + mon
        except ValueError:
            raise ValidationFailed({"month": [f"a month as YYYY-MM; got {month!r}"]}) from None
        if _fy_of(ym) != criteria["fy"]:
            raise ValidationFailed({"month": [f"{month} is not in fiscal year {criteria['fy']}"]})
    criteria.update(metric=metric, month=month or None)
    guard(graph, actor, "statistics", criteria=criteria)
    start, end = fiscal_year_bounds(criteria["fy"])

    def work(tx):
        offices = _scope(tx, actor, criteria["office"])
        rec = tx.run(_CASES, start=start, end=end, scope=offices, violation=criteria["violation"],
                     drafts=list(scopes.DRAFT_STATUSES), prosecution=PROSECUTION, metrics=DRILL_METRICS[metric],
                     month=ym,
                     **rules.actor_params(actor)).single()
        shown = [c for c in rec["shown"] if c is not None]
        withheld = rec["withheld"]
        listed = shown[:DRILL_LIMIT]
        audit.record(tx, actor, "statistics", [c["uid"] for c in listed],
                     details={"criteria": criteria, "shown": len(listed), "withheld": withheld})
        notifications.notify_owners(tx, actor, "query", [
            (c["owner_uid"], {"record_uid": c["uid"], "record_type": "Case", "record_caption": c["case_number"],
                              "criteria": criteria, "displayed": True}) for c in listed])
        return listed, len(shown) - len(listed), withheld

    listed, beyond, withheld = _run(graph, actor, work, criteria)
    return {"metric": metric, "fiscal_year": criteria["fy"], "month": month or None, "office": criteria["office"],
            "violation": criteria["violation"], "cases": listed, "more": beyond, "withheld": withheld}


def to_csv(figures: dict) -> str:
    """The tables of a `statistics` answer as CSV: one row per office, month and violation, then the totals."""
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(["fiscal_year", "breakdown", "key", *METRICS])
    fy = figures["fiscal_year"]
    for section in ("by_office", "by_month", "by_violation"):
        for key, row in sorted(figures[section].items()):
            w.writerow([fy, section.removeprefix("by_"), key, *(_fmt(row[m]) for m in METRICS)])
    w.writerow([fy, "total", "", *(_fmt(figures["totals"][m]) for m in METRICS)])
    return out.getvalue()


def _fmt(v) -> str:
    return f"{v:.2f}" if isinstance(v, float) else str(v)

