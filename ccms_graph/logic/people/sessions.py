"""Server-side sign-in sessions: started at sign-in, checked on every request, ended or revoked at once.

A session id is 32 random bytes carried in the user's signed cookie. The graph keeps only its SHA-256
(in `sid`), so whoever can read Session nodes (a saved query, a backup, a database console) learns no id
that would resume a session; each session also has a public `uid`, unrelated to the id, by which it
is listed and ended.

Every request resumes its session (`resume_session`), which reads the session and the user again:
- a session ended by sign-out or revocation, or idle past the limit, does not resume;
- a deactivated or separated user's session is ended there and then (audited as a denial);
- a user whose training has expired is refused with the training message (`TrainingExpired`, audited
  as a denial), and the session is ended: the user signs in again once the training is renewed.

Who may end a user's sessions and revoke their tokens (`may_revoke_for`): the user, an administrator,
or a supervisor above the user. Supervisors are included because they are the first to learn that a
subordinate's laptop is lost or their conduct is under review, and ending sessions at once should not
wait for an administrator. Ending access grants nothing and reveals nothing but that the user exists,
and every revocation is audited ("revoke", naming the sessions and tokens it ended).
"""

from __future__ import annotations

import hashlib
import secrets

from marshmallow import Schema, fields, validate

from ...db import Graph
from ...errors import Conflict, Forbidden, NotFound, TrainingExpired
from ...policy.actor import Actor, load_actor
from ...policy.rules import can, is_active, require_active
from ..common import load_input, new_uid, plain
from ..oversight import audit
from . import tokens


def sid_hash(sid: str) -> str:
    """What the graph keeps of a session id: its SHA-256 (the id has 256 random bits; no salt needed)."""
    return hashlib.sha256(sid.encode()).hexdigest()


def may_revoke_for(actor: Actor, user_uid: str) -> bool:
    """May `actor` end `user_uid`'s sessions and revoke their tokens? Themself, an administrator, or a
    supervisor above them (see the module's docstring for why supervisors may)."""
    if actor.uid == user_uid:
        return True
    return can(actor, "admin") or (is_active(actor) and user_uid in actor.subordinates)


def start_session(graph: Graph, actor: Actor) -> str:
    """A new session id for a signed-in actor (a fresh id every sign-in, so none can be fixed in advance)."""
    sid = secrets.token_urlsafe(32)
    graph.write(lambda tx: tx.run(
        """CREATE (s:Session {sid: $hash, uid: $uid, user_uid: $user, created_at: datetime(),
                              last_seen: datetime(), client_address: $addr})""",
        hash=sid_hash(sid), uid=new_uid(), user=actor.uid, addr=actor.client_address).consume())
    return sid


_RESUME = """
MATCH (s:Session {sid: $hash}) WHERE s.ended_at IS NULL
WITH s, s.last_seen < datetime() - duration({minutes: $idle}) AS idle
FOREACH (_ IN CASE WHEN idle THEN [1] ELSE [] END | SET s.ended_at = datetime(), s.end_reason = 'idle')
FOREACH (_ IN CASE WHEN NOT idle AND s.last_seen < datetime() - duration({seconds: 30}) THEN [1] ELSE [] END |
         SET s.last_seen = datetime())
WITH s, idle
OPTIONAL MATCH (u:User {uid: s.user_uid})
RETURN s.uid AS uid, s.user_uid AS user_uid, idle, u IS NOT NULL AS exists,
       coalesce(u.active, true) AND u.separated_at IS NULL AS active
"""

_END = """
MATCH (s:Session {sid: $hash}) WHERE s.ended_at IS NULL
SET s.ended_at = datetime(), s.end_reason = $reason
RETURN s.uid AS uid
"""


def resume_session(graph: Graph, sid: str, idle_minutes: int, client_address: str | None = None) -> Actor | None:
    """The actor of a live session, checked now; None if the session ended, idled out, or its user may no
    longer sign in (then it is ended). TrainingExpired, audited, if the user's training has expired."""

    def work(tx):
        rec = tx.run(_RESUME, hash=sid_hash(sid), idle=idle_minutes).single()
        if rec is None or rec["idle"]:
            return None, None
        if not rec["exists"] or not rec["active"]:
            tx.run(_END, hash=sid_hash(sid), reason="user_inactive").consume()
            if rec["exists"]:
                who = load_actor(tx, rec["user_uid"]).with_request(client_address)
                audit.record(tx, who, "deny", [who.uid, rec["uid"]], outcome="denied",
                             details={"op": "resume_session", "reason": "inactive", "ended": "Session"})
            return None, None
        actor = load_actor(tx, rec["user_uid"]).with_request(client_address)
        try:
            require_active(actor)
        except TrainingExpired as exc:
            tx.run(_END, hash=sid_hash(sid), reason="training_expired").consume()
            audit.record(tx, actor, "deny", [actor.uid, rec["uid"]], outcome="denied",
                         details={"op": "resume_session", "answer": exc.status, "reason": type(exc).__name__,
                                  "detail": exc.detail, "ended": "Session"})
            return None, exc
        return actor, None

    actor, refusal = graph.write(work)
    if refusal is not None:
        raise refusal
    return actor


def end_session(graph: Graph, actor: Actor, sid: str, reason: str = "sign_out") -> None:
    """End a session on the server and audit the sign-out in the same transaction."""

    def work(tx):
        tx.run(_END, hash=sid_hash(sid), reason=reason).consume()
        audit.record(tx, actor, "sign_out", [actor.uid], details={"reason": reason})

    graph.write(work)


def current_session_uid(graph: Graph, sid: str | None) -> str | None:
    """The public uid of the session a session id names (None for none)."""
    if not sid:
        return None
    rows = graph.query("MATCH (s:Session {sid: $hash}) RETURN s.uid AS uid", {"hash": sid_hash(sid)})
    return rows[0]["uid"] if rows else None


_LIVE = """
MATCH (s:Session {user_uid: $user})
WHERE s.ended_at IS NULL AND s.last_seen >= datetime() - duration({minutes: $idle})
RETURN s {.uid, .created_at, .last_seen, .client_address} AS s, s.sid = $hash AS current
ORDER BY s.last_seen DESC, s.uid
"""


def list_sessions(graph: Graph, actor: Actor, idle_minutes: int, current_sid: str | None = None) -> list[dict]:
    """The actor's own live sessions, newest activity first; `current` marks the one asking."""
    rows = graph.query(_LIVE, {"user": actor.uid, "idle": idle_minutes,
                               "hash": sid_hash(current_sid) if current_sid else None})
    return [{**plain(r["s"]), "current": bool(r["current"])} for r in rows]


_REVOKE_ONE = """
MATCH (s:Session {uid: $uid}) WHERE s.ended_at IS NULL
SET s.ended_at = datetime(), s.end_reason = 'revoked', s.ended_by = $by
RETURN s {.uid, .user_uid, .created_at, .last_seen, .client_address, .ended_at, .end_reason} AS s
"""


def revoke_session(graph: Graph, actor: Actor, session_uid: str, reason: str | None = None) -> dict:
    """End one session by its public uid: the actor's own, or (see `may_revoke_for`) another user's.
    NotFound, audited, for a session the actor may not end (its existence is not told); Conflict if it
    has already ended. It stops working on its next request."""

    def work(tx):
        # Take the session's write lock before reading it, so two revocations cannot both see it live.
        owner = tx.run("MATCH (s:Session {uid: $uid}) SET s.revoke_lock = true REMOVE s.revoke_lock "
                       "RETURN s.user_uid AS user, s.ended_at IS NOT NULL AS ended, s.end_reason AS why",
                       uid=session_uid).single()
        if owner is None or not may_revoke_for(actor, owner["user"]):
            raise NotFound(f"no session {session_uid}")
        if owner["ended"]:
            raise Conflict(f"session {session_uid} has already ended ({owner['why'] or 'ended'})",
                           session_status="ended")
        rec = tx.run(_REVOKE_ONE, uid=session_uid, by=actor.uid).single()
        audit.record(tx, actor, "revoke", [owner["user"], session_uid],
                     details={"type": "Session", "reason": reason or "revoked"})
        return plain(rec["s"])

    return audit.write_or_refuse(graph, actor, "revoke_session", [session_uid], work)


_END_OTHERS = """
MATCH (s:Session {user_uid: $user}) WHERE s.ended_at IS NULL AND ($keep IS NULL OR s.sid <> $keep)
SET s.ended_at = datetime(), s.end_reason = $reason, s.ended_by = $by
RETURN collect(s.uid) AS uids
"""


def end_all_sessions(tx, user_uid: str, reason: str, by: str, keep_sid: str | None = None) -> list[str]:
    """In transaction `tx`: end every live session of a user (but `keep_sid`'s); the uids of those ended.
    The caller audits (deactivation, revocation)."""
    rec = tx.run(_END_OTHERS, user=user_uid, keep=sid_hash(keep_sid) if keep_sid else None, reason=reason,
                 by=by).single()
    return [u for u in rec["uids"] if u]


def end_other_sessions(graph: Graph, actor: Actor, current_sid: str | None) -> dict:
    """End every session of the actor's but the one asking (all of them, for a token request); audited."""

    def work(tx):
        ended = end_all_sessions(tx, actor.uid, "revoked", actor.uid, keep_sid=current_sid)
        audit.record(tx, actor, "revoke", [actor.uid, *ended],
                     details={"type": "Session", "scope": "others", "count": len(ended)})
        return {"sessions_ended": len(ended)}

    return graph.write(work)


class RevokeAccessInput(Schema):
    username = fields.String(required=True, validate=validate.Length(min=1, max=40),
                             metadata={"description": "whose sessions and tokens to end"})
    reason = fields.String(required=True, validate=validate.Length(min=3, max=500),
                           metadata={"description": "why (audited)"})


def revoke_access(graph: Graph, actor: Actor, data: dict) -> dict:
    """End every session and revoke every token of a user, at once and in one transaction, audited.

    For the user themself, an administrator, or a supervisor above the user (`may_revoke_for`); anyone
    else is refused (Forbidden, audited) whether or not the username exists. Use it when an account is
    suspected stolen, and whenever an account is deactivated.
    """
    clean = load_input(RevokeAccessInput(), data)
    username = clean["username"].strip().lower()

    def work(tx):
        row = tx.run("MATCH (u:User {username: $u}) RETURN u.uid AS uid", u=username).single()
        if row is None or not may_revoke_for(actor, row["uid"]):
            if can(actor, "admin"):
                raise NotFound(f"no user {username}")
            raise Forbidden("only the user, an administrator or a supervisor above the user may end "
                            "the user's sessions and tokens")
        ended = end_all_sessions(tx, row["uid"], "revoked", actor.uid)
        revoked = tokens.revoke_all_tokens(tx, row["uid"], "revoked", actor.uid)
        audit.record(tx, actor, "revoke", [row["uid"], *ended, *revoked],
                     details={"type": "access", "username": username, "reason": clean["reason"],
                              "sessions": len(ended), "tokens": len(revoked)})
        return {"username": username, "sessions_ended": len(ended), "tokens_revoked": len(revoked)}

    try:
        return graph.write(work)
    except (NotFound, Forbidden) as exc:
        raise audit.refuse(graph, actor, exc, "revoke_access", username=username) from None


def end_access_on_deactivation(tx, actor: Actor, user_uid: str) -> dict:
    """In the deactivating transaction `tx`: end the user's sessions and revoke their tokens, audited.
    `users.deactivate_user` (or whatever marks a user inactive) calls this."""
    ended = end_all_sessions(tx, user_uid, "user_inactive", actor.uid)
    revoked = tokens.revoke_all_tokens(tx, user_uid, "user_inactive", actor.uid)
    audit.record(tx, actor, "revoke", [user_uid, *ended, *revoked],
                 details={"type": "access", "reason": "deactivated", "sessions": len(ended),
                          "tokens": len(revoked)})
    return {"sessions_ended": len(ended), "tokens_revoked": len(revoked)}

