"""Owner notifications: an in-app inbox written with the action, and email digests sent after commit.

`notify(tx, ...)` writes a Notification in the caller's transaction, so it exists exactly when the
action (and its audit entry) does. `deliver_pending` runs later, outside any action: it claims the
notifications not yet emailed, sends ONE digest per recipient, and marks them emailed.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable

from ...db import Graph
from ...errors import ValidationFailed
from ...mailer import Mail, enabled, send_all
from ...policy.actor import Actor
from ...policy.rules import require_active
from ...settings import Settings
from ..common import plain

#: Every kind of notification, declared once.
KINDS = frozenset({
    "view",               # another user opened one of your records, documents or cases
    "query",              # another user's search matched one of your records (displayed or not)
    "deconfliction_hit",  # a new record matches one of yours
    "case_deconfliction",  # someone is about to open a case on a subject and violation of your open case
    "telecom_alert",      # a number you follow appeared in new call records
    "account_alert",      # a bank account, wallet or payment handle in your case is held in another case
    "lpr_hit",            # a plate on your case's hot list was sighted (or sighted for another case too)
    "approval_needed",    # a subordinate's item waits for your decision
    "approval_decided",   # your item was approved or returned
    "access_request",     # someone asks for access to your case
    "access_decided",     # your access request was granted, refused or revoked
    "system",             # a message from the service itself
})

#: Roles whose access never notifies owners (internal-affairs auditors; the service itself).
SILENT_ROLES = ("auditor", "system")

#: Minutes after which a claim by a delivery run that never finished is taken over.
CLAIM_MINUTES = 15

_CREATE = """
UNWIND $rows AS props
CREATE (n:Notification)
SET n = props, n.created_at = datetime(), n.read = false
"""

_RESERVED = frozenset({"uid", "recipient_uid", "kind", "created_at", "read", "emailed_at", "email_claim"})


def _value(v):
    if v is None or isinstance(v, (str, int, float, bool)):
        return v
    if isinstance(v, (list, tuple)) and all(isinstance(x, (str, int, float, bool)) for x in v):
        return list(v)
    return json.dumps(v, sort_keys=True, default=str)


def _props(recipient_uid: str, kind: str, fields: dict) -> dict:
    if kind not in KINDS:
        raise ValueError(f"undeclared notification kind {kind!r}")
    if not recipient_uid:
        raise ValueError("a notification needs a recipient")
    clash = sorted(_RESERVED & set(fields))
    if clash:
        raise ValueError(f"notification fields set by the service: {clash}")
    props = {k: _value(v) for k, v in fields.items() if v is not None}
    props.update(uid=uuid.uuid4().hex, recipient_uid=recipient_uid, kind=kind)
    return props


def notify_all(tx, items: Iterable[tuple[str, str, dict]]) -> list[str]:
    """Write one Notification per (recipient_uid, kind, fields) in transaction `tx`, in one statement
    (a search that tells the owners of hundreds of hits makes one round trip, not hundreds); returns
    their uids. Every item is checked before anything is written."""
    rows = [_props(recipient, kind, fields) for recipient, kind, fields in items]
    if rows:
        tx.run(_CREATE, rows=rows).consume()
    return [r["uid"] for r in rows]


def notify(tx, recipient_uid: str, kind: str, **fields) -> str:
    """Write one Notification for `recipient_uid` in transaction `tx`; returns its uid.

    Common fields: actor_uid, actor_name, record_uid, record_type, record_caption, criteria (dict,
    stored as JSON), displayed (bool), message. Nested values are stored as JSON text.
    """
    return notify_all(tx, [(recipient_uid, kind, fields)])[0]


def _tells(actor: Actor, owner_uid: str | None) -> bool:
    return bool(owner_uid) and owner_uid != actor.uid and actor.role not in SILENT_ROLES


def actor_fields(actor: Actor) -> dict:
    """The fields that name who did what a notification is about."""
    return {"actor_uid": actor.uid, "actor_name": actor.name, "actor_office": actor.office_code}


def notify_owners(tx, actor: Actor, kind: str, entries: Iterable[tuple[str | None, dict]],
                  limit: int | None = None) -> int:
    """Tell each owner in `entries` ((owner_uid, fields) pairs) that `actor` reached their record, in one
    statement; skips the actor's own records and every entry when the actor is an auditor, and writes at
    most `limit`. Returns how many notifications were written."""
    items = [(owner, kind, {**actor_fields(actor), **fields}) for owner, fields in entries
             if owner and _tells(actor, owner)]
    return len(notify_all(tx, items[:limit]))


def notify_owner(tx, actor: Actor, owner_uid: str | None, kind: str, **fields) -> str | None:
    """Tell an owner that `actor` reached their record — unless it is their own, or the actor is an auditor."""
    if owner_uid is None or not _tells(actor, owner_uid):
        return None
    return notify(tx, owner_uid, kind, **actor_fields(actor), **fields)


_TOLD_TODAY = """
MATCH (n:Notification {recipient_uid: $to})
WHERE n.kind = $kind AND n.actor_uid = $actor AND n.record_uid = $record
  AND n.created_at > datetime() - duration('P1D')
RETURN count(n) > 0 AS told
"""


def notify_owner_daily(tx, actor: Actor, owner_uid: str | None, kind: str, record_uid: str, **fields) -> str | None:
    """`notify_owner`, unless this owner was already told of the same actor and record (and kind) in
    the last 24 hours: a query typed letter by letter tells the owner once, not once per letter."""
    if not _tells(actor, owner_uid):
        return None
    if tx.run(_TOLD_TODAY, to=owner_uid, kind=kind, actor=actor.uid, record=record_uid).single()["told"]:
        return None
    return notify_owner(tx, actor, owner_uid, kind, record_uid=record_uid, **fields)


def _out(props: dict) -> dict:
    out = plain(props)
    if isinstance(out.get("criteria"), str):
        try:
            out["criteria"] = json.loads(out["criteria"])
        except ValueError:
            pass
    out.pop("email_claim", None)
    out.pop("email_claimed_at", None)
    return out


def inbox(graph: Graph, actor: Actor, unread_only: bool = False, limit: int = 50) -> list[dict]:
    """The actor's notifications, newest first."""
    require_active(actor)
    if not 1 <= int(limit) <= 500:
        raise ValidationFailed({"limit": ["use 1 to 500"]})
    rows = graph.query(
        """MATCH (n:Notification {recipient_uid: $me})
        WHERE NOT $unread OR n.read = false
        RETURN properties(n) AS n ORDER BY n.created_at DESC, n.uid LIMIT $limit""",
        {"me": actor.uid, "unread": bool(unread_only), "limit": int(limit)})
    return [_out(r["n"]) for r in rows]


def unread_count(graph: Graph, actor: Actor) -> int:
    """How many of the actor's notifications are unread (for a badge)."""
    return graph.query("MATCH (n:Notification {recipient_uid: $me}) WHERE n.read = false RETURN count(n) AS n",
                       {"me": actor.uid})[0]["n"]


def mark_read(graph: Graph, actor: Actor, uids: Iterable[str]) -> int:
    """Mark the actor's own notifications read (others' are ignored); returns how many changed."""
    require_active(actor)
    uids = [str(u) for u in uids]

    def work(tx):
        return tx.run("""MATCH (n:Notification {recipient_uid: $me}) WHERE n.uid IN $uids AND n.read = false
                         SET n.read = true, n.read_at = datetime() RETURN count(n) AS n""",
                      me=actor.uid, uids=uids).single()["n"]

    return graph.write(work)


# ---------------------------------------------------------------------------------------------
# Email digests, after commit
# ---------------------------------------------------------------------------------------------

_CLAIM = """
MATCH (n:Notification)
WHERE n.emailed_at IS NULL
  AND (n.email_claim IS NULL OR n.email_claimed_at < datetime() - duration({minutes: $stale}))
WITH n ORDER BY n.created_at LIMIT $max
SET n.email_claim = $run, n.email_claimed_at = datetime()
WITH n
OPTIONAL MATCH (u:User {uid: n.recipient_uid})
WITH n.recipient_uid AS recipient, u, collect(properties(n)) AS items
RETURN recipient, u.email AS email, u.name AS name, coalesce(u.active, true) AS active, items
"""

_DONE = """
MATCH (n:Notification) WHERE n.uid IN $uids AND n.email_claim = $run
SET n.emailed_at = datetime(), n.email_status = $status
REMOVE n.email_claim, n.email_claimed_at
"""

_RELEASE = """
MATCH (n:Notification) WHERE n.email_claim = $run
REMOVE n.email_claim, n.email_claimed_at
"""

_WHAT = {
    "view": "viewed", "query": "searched and matched", "deconfliction_hit": "deconfliction hit on",
    "case_deconfliction": "is about to open a case like",
    "telecom_alert": "telecom alert on", "account_alert": "shared account alert on", "lpr_hit": "hot list hit on", "approval_needed": "approval needed for",
    "approval_decided": "decision on", "access_request": "access requested to",
    "access_decided": "access decided for", "system": "notice about",
}


def _line(item: dict) -> str:
    item = _out(item)
    when = str(item.get("created_at", ""))[:19].replace("T", " ")
    who = item.get("actor_name") or item.get("actor_uid") or "CCMS-Graph"
    what = _WHAT.get(item["kind"], item["kind"])
    record = " ".join(str(x) for x in (item.get("record_type"), item.get("record_caption"),
                                       f"({item['record_uid']})" if item.get("record_uid") else None) if x)
    parts = [f"- {when} UTC  {who} {what} {record or 'your item'}".rstrip()]
    if item.get("criteria"):
        parts.append(f"    search criteria: {json.dumps(item['criteria'], sort_keys=True)}")
    if "displayed" in item:
        parts.append(f"    record displayed: {'yes' if item['displayed'] else 'no'}")
    if item.get("message"):
        parts.append(f"    {item['message']}")
    return "\n".join(parts)


def digest(name: str | None, items: list[dict]) -> tuple[str, str]:
    """Subject and body of one digest email covering `items` (oldest first)."""
    items = sorted(items, key=lambda i: str(i.get("created_at")))
    n = len(items)
    subject = f"CCMS-Graph: {n} new notification{'s' if n != 1 else ''}"
    body = "\n".join([
        f"{name or 'Hello'},", "",
        f"{n} thing{'s' if n != 1 else ''} happened to your records in CCMS-Graph:", "",
        *(_line(i) for i in items), "",
        "If an access looks wrong, ask the user why, or report it to your supervisor or internal affairs.",
        "Your inbox in CCMS-Graph has the details.",
    ])
    return subject, body


def deliver_pending(graph: Graph, settings: Settings, max_notifications: int = 10_000) -> int:
    """Email every undelivered notification as one digest per recipient; returns emails sent.

    Without an SMTP host this does nothing (in-app inbox only). A failed relay releases the claim so
    the next run tries again.
    """
    if not enabled(settings):
        return 0
    run = uuid.uuid4().hex
    groups = graph.write(lambda tx: [r.data() for r in tx.run(_CLAIM, run=run, max=int(max_notifications),
                                                                stale=CLAIM_MINUTES)])
    mails: list[Mail] = []
    uids_of: dict[int, list[str]] = {}
    unmailable: list[str] = []
    for g in groups:
        uids = [i["uid"] for i in g["items"]]
        if not g["email"] or not g["active"]:
            unmailable += uids
            continue
        subject, body = digest(g["name"], g["items"])
        mail = Mail(to=g["email"], subject=subject, body=body)
        uids_of[id(mail)] = uids
        mails.append(mail)
    def finish(tx, sent_uids):
        tx.run(_DONE, uids=sent_uids, run=run, status="sent").consume()
        tx.run(_DONE, uids=unmailable, run=run, status="no_address").consume()
        tx.run(_RELEASE, run=run).consume()

    sent: list[Mail] = []
    try:
        sent = send_all(settings, mails)
    finally:  # mark what went, release the rest for the next run, even if the relay failed
        graph.write(finish, [u for m in sent for u in uids_of[id(m)]])
    return len(sent)
