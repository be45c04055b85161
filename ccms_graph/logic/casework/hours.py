"""Work hours: each user logs the hours they spent on a case on a date (ICM PIA: "summaries of hours ... per
office per fiscal year").

An entry is `(:WorkHours {uid, case_uid, user_uid, user_name, office_code, date, hours, activity})` linked
`[:LOGGED_ON]` to its case; `office_code` is the logging user's office at the time. Anyone who may write
the case logs their own hours on it, in quarter hours, for a day not in the future, and never more than 24
hours in one day across all their cases. Entries are never edited: a correction is a new entry with
negative hours (it may not take the day or the case below zero). Readers of the case list its entries.
Both are audited; statistics sum the hours per office of the case.
"""

from __future__ import annotations

from datetime import UTC, datetime

from marshmallow import Schema, fields, validate, validates
from marshmallow import ValidationError as SchemaError

from ...db import Graph
from ...errors import ValidationFailed
from ...policy import rules
from ...policy.actor import Actor
from ..common import load_input, new_uid, plain
from ..oversight import audit

MAX_DAY_HOURS = 24.0


class HoursInput(Schema):
    date = fields.Date(required=True, metadata={"label": "Date worked"})
    hours = fields.Float(required=True, allow_nan=False, validate=validate.Range(min=-24, max=24),
                         metadata={"label": "Hours (quarter hours; negative to correct an entry)"})
    activity = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=500))

    @validates("date")
    def _not_future(self, value, **kwargs):
        if value > datetime.now(UTC).date():
            raise SchemaError("hours cannot be logged for a day in the future")
        if value.year < 2000:
            raise SchemaError("a date from 2000 on")

    @validates("hours")
    def _quarters(self, value, **kwargs):
        if value == 0 or round(value * 4) != value * 4:
            raise SchemaError("a non-zero number of quarter hours, e.g. 1.75")


_TOTALS = """
MATCH (h:WorkHours {user_uid: $me, date: $date})
RETURN coalesce(sum(h.hours), 0.0) AS day,
       coalesce(sum(CASE WHEN h.case_uid = $case_uid THEN h.hours ELSE 0 END), 0.0) AS on_case
"""

_CREATE = """
MATCH (c:Case {uid: $case_uid})
CREATE (h:WorkHours)
SET h = $props, h.created_at = datetime()
CREATE (h)-[:LOGGED_ON]->(c)
SET c.last_activity_at = datetime()
RETURN h
"""

_LIST = """
MATCH (h:WorkHours)-[:LOGGED_ON]->(:Case {uid: $case_uid})
RETURN h ORDER BY h.date DESC, h.created_at DESC
"""


def log_hours(graph: Graph, actor: Actor, case_uid: str, data: dict) -> dict:
    """Log the actor's own hours on a case they may write; audited as a create."""
    clean = load_input(HoursInput(), data)
    day = clean["date"].isoformat()
    props = {"uid": new_uid(), "case_uid": case_uid, "user_uid": actor.uid, "user_name": actor.name,
             "office_code": actor.office_code, "date": day, "hours": float(clean["hours"]),
             "activity": clean.get("activity")}

    def work(tx):
        rules.require_read(tx, actor, case_uid, ("Case",), "case")
        rules.require_case_write(tx, actor, case_uid)
        totals = tx.run(_TOTALS, me=actor.uid, date=day, case_uid=case_uid).single()
        if totals["day"] + props["hours"] > MAX_DAY_HOURS:
            raise ValidationFailed({"hours": [f"you have logged {totals['day']:g} hours on {day} already; "
                                              f"a day holds at most {MAX_DAY_HOURS:g}"]})
        if totals["on_case"] + props["hours"] < 0:
            raise ValidationFailed({"hours": [f"a correction may not take your hours on this case on {day} "
                                              f"below zero (logged: {totals['on_case']:g})"]})
        rec = tx.run(_CREATE, case_uid=case_uid, props={k: v for k, v in props.items() if v is not None}).single()
        audit.record(tx, actor, "create", [props["uid"], case_uid],
                     details={"type": "WorkHours", "date": day, "hours": props["hours"]})
        return plain(dict(rec["h"]))

    return audit.write_or_refuse(graph, actor, "log_hours", [case_uid], work)


def hours_of_case(graph: Graph, actor: Actor, case_uid: str) -> dict:
    """The case's hour entries (newest first) and totals per user, for anyone who may read the case; audited."""

    def work(tx):
        rules.require_read(tx, actor, case_uid, ("Case",), "case")
        entries = [plain(dict(r["h"])) for r in tx.run(_LIST, case_uid=case_uid)]
        audit.record(tx, actor, "view", [case_uid], details={"op": "case_hours", "entries": len(entries)})
        return entries

    entries = audit.write_or_refuse(graph, actor, "case_hours", [case_uid], work)
    per_user: dict[str, dict] = {}
    for e in entries:
        row = per_user.setdefault(e["user_uid"], {"user_uid": e["user_uid"], "user_name": e.get("user_name"),
                                                  "hours": 0.0})
        row["hours"] += e["hours"]
    return {"case_uid": case_uid, "entries": entries, "total_hours": sum(e["hours"] for e in entries),
            "by_user": sorted(per_user.values(), key=lambda r: -r["hours"])}
