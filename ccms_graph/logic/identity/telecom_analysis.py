"""The TLS tab of a case: what its telecom returns hold, read as an analyst reads them.

`summary` answers, for one case the actor may read:

* `imports`: each call, subscriber or miscellaneous file loaded into it (when, by whom, rows loaded,
  refused and already loaded);
* `totals`: calls, distinct numbers, seconds, first and last call;
* `pairs`: the call-frequency table, one row per (caller, called) with count, total seconds, first and last;
* `top_contacts`: per target number (a number of the case's subjects or subscriber records; else the
  busiest numbers), the numbers it talks to most, both directions counted;
* `per_day`: calls per UTC day (the chart);
* `subscribers`, `misc` (records per type and the latest ones), `identifiers` (IMSI, IMEI and IP
  selectors its records name) and `cell_sites` (with their WGS84 points, for the map).

Everything is counted from the material of this case alone: a call shared with another case counts here
because this case holds it, never because the other one does, so the figures say nothing about any other
case. The case is found by `rules.require_case` (a missing and a hidden case answer in the same words, and
nothing is counted before that check); the read, its "view" audit entry and the owner's notification
share one transaction, and a refusal is audited as a denial.
"""

from __future__ import annotations

from ...db import Graph
from ...policy import rules
from ...policy.actor import Actor
from ..common import plain
from ..oversight import audit, checks, notifications
from .telecom_selectors import KINDS

#: Rows of the frequency table, subscriber and miscellaneous lists returned at most (the rest are counted).
MAX_PAIRS = 500
MAX_ROWS = 200
#: Target numbers shown, and contacts per target.
MAX_TARGETS = 10
TOP_CONTACTS = 10
#: Busiest numbers taken as targets when the case names none of its own.
FALLBACK_TARGETS = 5

_IMPORTS = """
MATCH (t:TelecomImport {case_uid: $case})
RETURN t {.uid, .kind, .filename, .imported_at, .imported_by, .imported_by_name, .rows, .loaded, .duplicates,
          .refused} AS row
ORDER BY t.imported_at DESC, t.uid
"""

_PAIRS = """
MATCH (:Case {uid: $case})<-[:KEPT_FOR]-(c:CallRecord)
RETURN c.orig AS orig, c.term AS term, count(*) AS calls, sum(c.duration) AS seconds,
       min(c.start_at) AS first_at, max(c.start_at) AS last_at
ORDER BY calls DESC, seconds DESC, orig, term
"""

_PER_DAY = """
MATCH (:Case {uid: $case})<-[:KEPT_FOR]-(c:CallRecord)
RETURN toString(date(c.start_at)) AS day, count(*) AS calls, sum(c.duration) AS seconds
ORDER BY day
"""

_TARGETS = """
CALL () {
  MATCH (:Case {uid: $case})<-[:SUBJECT_IN {status: 'active'}]-(n:SubjectRecord)-[:USES_PHONE {status: 'active'}]->(p:Phone)
  WHERE coalesce(n.deleted, false) = false
  RETURN p.e164 AS e164
  UNION
  MATCH (s:SubscriberRecord {case_uid: $case}) RETURN s.e164 AS e164
}
RETURN collect(DISTINCT e164) AS targets
"""

_SUBSCRIBERS = """
MATCH (s:SubscriberRecord {case_uid: $case})
RETURN s {.e164, .subscriber_name, .address, .city, .state, .postcode, .dob, .email, .imsi, .imei, .source,
          .created_at} AS row
ORDER BY s.e164, s.created_at
"""

_MISC = """
MATCH (m:MiscRecord {case_uid: $case})
RETURN m {.e164, .record_type, .at, .details, .selector_keys} AS row
ORDER BY m.at DESC
"""

_IDENTIFIERS = f"""
CALL () {{
  MATCH (t:SubscriberRecord {{case_uid: $case}}) RETURN t
  UNION
  MATCH (t:MiscRecord {{case_uid: $case}}) RETURN t
}}
MATCH (t)-[:NAMES_SELECTOR]->(s:{'|'.join(KINDS)})
RETURN [x IN labels(s) WHERE x IN $kinds][0] AS type, s.uid AS uid, s.display AS value, count(t) AS records,
       [e IN collect(DISTINCT t.e164) WHERE e IS NOT NULL] AS numbers
ORDER BY type, value
"""

_CELLS = """
MATCH (:Case {uid: $case})<-[:KEPT_FOR]-(c:CallRecord)-[:VIA_CELL]->(s:CellSite)
RETURN s.site_id AS site_id, s.location AS location, count(c) AS calls, min(c.start_at) AS first_at,
       max(c.start_at) AS last_at
ORDER BY calls DESC, site_id
"""


def _point(value) -> dict | None:
    """A Neo4j WGS84 point as {latitude, longitude}; None for none."""
    return None if value is None else {"latitude": value.y, "longitude": value.x}


def top_contacts(pairs: list[dict], targets: list[str], limit: int = TOP_CONTACTS) -> list[dict]:
    """Per target number, its counterparts by calls (either direction), then seconds: [{number, calls,
    seconds, contacts: [{number, calls, seconds, outgoing, incoming, first_at, last_at}]}]. Pure."""
    out = []
    for target in targets:
        contacts: dict[str, dict] = {}
        for p in pairs:
            if target not in (p["orig"], p["term"]) or p["orig"] == p["term"]:
                continue
            other, direction = (p["term"], "outgoing") if p["orig"] == target else (p["orig"], "incoming")
            c = contacts.setdefault(other, {"number": other, "calls": 0, "seconds": 0, "outgoing": 0,
                                            "incoming": 0, "first_at": p["first_at"], "last_at": p["last_at"]})
            c["calls"] += p["calls"]
            c["seconds"] += p["seconds"]
            c[direction] += p["calls"]
            c["first_at"] = min(c["first_at"], p["first_at"])
            c["last_at"] = max(c["last_at"], p["last_at"])
        ranked = sorted(contacts.values(), key=lambda c: (-c["calls"], -c["seconds"], c["number"]))
        out.append({"number": target, "calls": sum(c["calls"] for c in ranked),
                    "seconds": sum(c["seconds"] for c in ranked), "contacts": ranked[:limit]})
    return out


def _targets(named: list[str], pairs: list[dict]) -> list[str]:
    """The case's own numbers that appear in its calls, busiest first; else its busiest numbers."""
    volume: dict[str, int] = {}
    for p in pairs:
        for n in (p["orig"], p["term"]):
            volume[n] = volume.get(n, 0) + p["calls"]
    busiest = sorted(volume, key=lambda n: (-volume[n], n))
    own = [n for n in busiest if n in set(named)]
    return (own or busiest[:FALLBACK_TARGETS])[:MAX_TARGETS]


def read_summary(tx, actor: Actor, case_key: str) -> dict:
    """The TLS figures of one case (see the module docstring), read in `tx` after the case check; no audit."""
    facts = rules.require_case(tx, actor, case_key)
    case = facts["uid"]
    pairs = [plain(r.data()) for r in tx.run(_PAIRS, case=case)]
    per_day = [r.data() for r in tx.run(_PER_DAY, case=case)]
    subscribers = [plain(r["row"]) for r in tx.run(_SUBSCRIBERS, case=case)]
    misc = [plain(r["row"]) for r in tx.run(_MISC, case=case)]
    by_type: dict[str, int] = {}
    for m in misc:
        by_type[m["record_type"]] = by_type.get(m["record_type"], 0) + 1
    cells = [{**plain({k: v for k, v in r.data().items() if k != "location"}), "location": _point(r["location"])}
             for r in tx.run(_CELLS, case=case)]
    numbers = {n for p in pairs for n in (p["orig"], p["term"])}
    targets = _targets(tx.run(_TARGETS, case=case).single()["targets"], pairs)
    return {
        "case_uid": case, "case_number": facts["case_number"], "owner_uid": facts["owner_uid"],
        "imports": [plain(r["row"]) for r in tx.run(_IMPORTS, case=case)],
        "totals": {"calls": sum(p["calls"] for p in pairs), "numbers": len(numbers), "pairs": len(pairs),
                   "seconds": sum(p["seconds"] for p in pairs),
                   "first_at": min((p["first_at"] for p in pairs), default=None),
                   "last_at": max((p["last_at"] for p in pairs), default=None),
                   "subscribers": len(subscribers), "misc": len(misc), "cell_sites": len(cells)},
        "pairs": pairs[:MAX_PAIRS], "pairs_more": max(0, len(pairs) - MAX_PAIRS),
        "top_contacts": top_contacts(pairs, targets),
        "per_day": per_day,
        "subscribers": subscribers[:MAX_ROWS],
        "misc_by_type": dict(sorted(by_type.items())), "misc": misc[:MAX_ROWS],
        "identifiers": [r.data() for r in tx.run(_IDENTIFIERS, case=case, kinds=list(KINDS))],
        "cell_sites": cells[:MAX_ROWS],
    }


def summary(graph: Graph, actor: Actor, case_key: str) -> dict:
    """The TLS tab of case `case_key` (uid or case number) for a reader of the case; audited as a view and
    its owner told, in the transaction that reads. NotFound for a missing or hidden case, Forbidden for a
    readable-by-existence one the actor may not read (both audited as denials)."""
    checks.guard(graph, actor, "telecom_summary", [case_key])

    def work(tx):
        out = read_summary(tx, actor, case_key)
        totals = out["totals"]
        audit.record(tx, actor, "view", [out["case_uid"]], details={
            "op": "telecom_summary", "calls": totals["calls"], "pairs": totals["pairs"],
            "subscribers": totals["subscribers"], "misc": totals["misc"], "imports": len(out["imports"])})
        notifications.notify_owner(tx, actor, out.pop("owner_uid"), "view", record_uid=out["case_uid"],
                                   record_type="Case", record_caption=out["case_number"], displayed=True,
                                   message=f"opened the telecom (TLS) tab of case {out['case_number']}")
        return out

    return audit.write_or_refuse(graph, actor, "telecom_summary", [case_key], work)
