"""Case hot lists: plates a case's agents want to hear of, each with a reason and an expiry.

A writer of the case (its owner, team or their supervisors: `rules.require_case(write=True)`) puts a plate
and its state on the case's hot list, with why and until when (at most `MAX_DAYS` ahead). An entry is a
`(:HotListEntry {uid, case_uid, plate, plate_state, plate_key, reason, expires_at, created_by})`; taking a
plate off marks the entry removed (who, when, why) rather than deleting it, so the list's history stays.

While an entry is live (not removed, not expired), an LPR sighting of its plate is kept for its case
(ICM PIA: LPR data "related to the immediate case", `lpr`) and alerts the agent who put it there
(`alert_hits`, through the inbox and the email digest). Each change is audited in its transaction.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from marshmallow import Schema, ValidationError, fields, validate, validates

from ...db import Graph
from ...errors import Conflict, NotFound, ValidationFailed
from ...policy import rules
from ...policy.actor import Actor
from ..casework.pending import lock
from ..common import Text, load_input, new_uid, plain
from ..oversight import audit, notifications
from . import plates

#: The furthest ahead an entry may expire: a hot list is for an investigation's present, not forever.
MAX_DAYS = 365


class HotListInput(Schema):
    plate = fields.String(required=True, validate=validate.Length(min=1, max=40),
                          metadata={"description": "the licence plate, as read (spaces and dashes ignored)"})
    state = fields.String(required=True, validate=validate.Length(min=1, max=plates.STATE_MAX),
                          metadata={"description": "the plate's state or province, e.g. FL"})
    reason = Text(required=True, validate=validate.Length(min=3, max=2000),
                  metadata={"description": "why the case wants to hear of this plate (audited)"})
    expires_at = fields.AwareDateTime(required=True, default_timezone=UTC,
                                      metadata={"description": f"when the entry lapses (ISO 8601; within {MAX_DAYS} "
                                                               "days)"})

    @validates("expires_at")
    def _future(self, value: datetime, **_kwargs) -> None:
        now = datetime.now(UTC)
        if value <= now:
            raise ValidationError("the expiry must be in the future")
        if value > now + timedelta(days=MAX_DAYS):
            raise ValidationError(f"the expiry may be at most {MAX_DAYS} days ahead")


class RemoveInput(Schema):
    reason = Text(validate=validate.Length(max=2000), load_default=None,
                  metadata={"description": "why the plate comes off the list (audited)"})


_LIVE_ON_CASE = """
MATCH (h:HotListEntry {case_uid: $case, plate_key: $key}) WHERE h.removed_at IS NULL AND h.expires_at > datetime()
RETURN count(h) > 0 AS exists
"""

_ADD = """
CREATE (h:HotListEntry)
SET h = $props, h.created_at = datetime(), h.expires_at = datetime($expires)
RETURN properties(h) AS h
"""

_REMOVE = """
MATCH (h:HotListEntry {uid: $uid, case_uid: $case}) WHERE h.removed_at IS NULL
SET h.removed_at = datetime(), h.removed_by = $actor, h.removed_by_name = $name, h.removed_reason = $reason
RETURN properties(h) AS h
"""

_LIST = """
MATCH (h:HotListEntry {case_uid: $case}) WHERE $removed OR h.removed_at IS NULL
RETURN properties(h) AS h, h.expires_at <= datetime() AS expired, h.removed_at IS NOT NULL AS removed
ORDER BY h.expires_at, h.plate_key, h.uid
"""


def add_entry(graph: Graph, actor: Actor, case_key: str, data: dict) -> dict:
    """Put a plate on the case's hot list (a writer of the case); Conflict if a live entry has it already."""
    clean = load_input(HotListInput(), data)
    bad = plates.problems(clean["plate"], clean["state"])
    if bad:
        raise ValidationFailed(bad)
    plate, state = plates.plate(clean["plate"]), plates.state(clean["state"])
    assert plate and state  # problems() found none

    def work(tx):
        case = rules.require_case(tx, actor, case_key, write=True)
        lock(tx, "Case", case["uid"])  # a second add of the plate at once waits here, then finds this one
        props = {"uid": new_uid(), "case_uid": case["uid"], "plate": plate, "plate_state": state,
                 "plate_key": plates.key(plate, state), "reason": clean["reason"], "created_by": actor.uid,
                 "created_by_name": actor.name}
        if tx.run(_LIVE_ON_CASE, case=case["uid"], key=props["plate_key"]).single()["exists"]:
            raise Conflict(f"{state} {plate} is already on the hot list of case {case['case_number']}")
        rec = tx.run(_ADD, props=props, expires=clean["expires_at"].isoformat()).single()
        audit.record(tx, actor, "create", [case["uid"]], details={
            "op": "hot_list_add", "plate_key": props["plate_key"], "reason": clean["reason"],
            "expires_at": clean["expires_at"].isoformat()})
        return plain(rec["h"])

    return audit.write_or_refuse(graph, actor, "hot_list_add", [case_key], work)


def remove_entry(graph: Graph, actor: Actor, case_key: str, entry_uid: str, data: dict | None = None) -> dict:
    """Take a plate off the case's hot list (a writer of the case); the entry is kept, marked removed."""
    clean = load_input(RemoveInput(), data or {})

    def work(tx):
        case = rules.require_case(tx, actor, case_key, write=True)
        rec = tx.run(_REMOVE, uid=entry_uid, case=case["uid"], actor=actor.uid, name=actor.name,
                     reason=clean["reason"]).single()
        if rec is None:
            raise NotFound(f"no hot list entry {entry_uid} in case {case['case_number']}")
        audit.record(tx, actor, "delete", [case["uid"]], details={
            "op": "hot_list_remove", "entry": entry_uid, "plate_key": rec["h"]["plate_key"], "reason": clean["reason"]})
        return plain(rec["h"])

    return audit.write_or_refuse(graph, actor, "hot_list_remove", [case_key], work)


def entries(graph: Graph, actor: Actor, case_key: str, include_removed: bool = False) -> list[dict]:
    """The case's hot list, soonest expiry first, each with `expired` and `removed`: the entries not removed,
    or with `include_removed` also those taken off (who, when, why: the list's history); a reader of the
    case. Audited as a view (op "hot_list") in the transaction that reads."""

    def work(tx):
        case = rules.require_case(tx, actor, case_key)
        out = [{**plain(r["h"]), "expired": r["expired"], "removed": r["removed"]}
               for r in tx.run(_LIST, case=case["uid"], removed=bool(include_removed))]
        audit.record(tx, actor, "view", [case["uid"]], details={"op": "hot_list", "entries": len(out),
                                                                "include_removed": bool(include_removed)})
        return out

    return audit.write_or_refuse(graph, actor, "hot_list", [case_key], work)


# ---------------------------------------------------------------------------------------------
# Live entries and their alerts (called by the LPR import, in its batch's transaction)
# ---------------------------------------------------------------------------------------------

_LIVE = """
UNWIND $keys AS k
MATCH (h:HotListEntry {plate_key: k}) WHERE h.removed_at IS NULL AND h.expires_at > datetime()
MATCH (c:Case {uid: h.case_uid}) WHERE coalesce(c.deleted, false) = false
RETURN k, h.uid AS entry, h.case_uid AS case_uid, h.created_by AS agent, c.case_number AS case_number
"""


def live(tx, keys: list[str]) -> list[dict]:
    """The live hot list entries on these plate keys: {k, entry, case_uid, agent, case_number}."""
    return [r.data() for r in tx.run(_LIVE, keys=sorted(set(keys)))] if keys else []


def _imported(actor: Actor, for_case: dict | None, case_uid: str) -> tuple[str, str | None]:
    """How an alert names the import: who made it, and the case it was made for unless that is the alert's
    own case or a restricted one (the telecom alerts' rule: never a restricted case's number)."""
    who = f"{actor.name or 'the service'}{' (' + actor.office_code + ')' if actor.office_code else ''}"
    shown = (for_case["number"] if for_case and for_case["uid"] != case_uid and not for_case["restricted"]
             else None)
    return f"imported by {who}" + (f" for case {shown}" if shown else ""), shown


def alert_hits(tx, actor: Actor, hits: list[dict], for_case: dict | None = None) -> int:
    """Tell each entry's agent of the new sightings of its plate (kind "lpr_hit"), one alert per entry: how
    many, the latest one's time, place and camera, and who imported them, for which case only when that
    case is not restricted (`for_case`: {uid, number, restricted}, or None for a feed). Returns alerts sent."""
    by_entry: dict[str, list[dict]] = {}
    for h in hits:
        by_entry.setdefault(h["entry"], []).append(h)
    for seen in by_entry.values():
        last = max(seen, key=lambda s: s["seen_at"])
        where = f"{last['latitude']:.5f}, {last['longitude']:.5f}"
        count = f"{len(seen)} sighting{'s' if len(seen) != 1 else ''}"
        imported, other_case = _imported(actor, for_case, last["case_uid"])
        notifications.notify(
            tx, last["agent"], "lpr_hit", record_uid=last["case_uid"], record_type="Case",
            record_caption=last["case_number"], case_uid=last["case_uid"], case_number=last["case_number"],
            hot_list_entry=last["entry"], plate=last["plate"], plate_state=last["plate_state"], sightings=len(seen),
            seen_at=last["seen_at"], latitude=last["latitude"], longitude=last["longitude"], camera=last["camera"],
            source=last["source"], actor_uid=actor.uid, actor_name=actor.name, actor_office=actor.office_code,
            other_case_number=other_case,
            message=(f"hot list hit: {last['plate_state']} {last['plate']} of your case {last['case_number']}, "
                     f"{count}, latest {last['seen_at'][:16].replace('T', ' ')} UTC at {where}"
                     f"{' (camera ' + last['camera'] + ')' if last['camera'] else ''}; {imported}"))
    return len(by_entry)
