"""Server-side sign-in sessions: created at sign-in, ended at sign-out or after the idle limit."""

from __future__ import annotations

import secrets

from ...db import Graph
from ...policy.actor import Actor, load_actor
from ..oversight import audit


def start_session(graph: Graph, actor: Actor) -> str:
    """A new session id for a signed-in actor (a fresh id every sign-in, so none can be fixed in advance)."""
    sid = secrets.token_urlsafe(32)
    graph.write(lambda tx: tx.run(
        """CREATE (s:Session {sid: $sid, user_uid: $uid, created_at: datetime(), last_seen: datetime(),
                              client_address: $addr})""",
        sid=sid, uid=actor.uid, addr=actor.client_address).consume())
    return sid


_RESUME = """
MATCH (s:Session {sid: $sid}) WHERE s.ended_at IS NULL
WITH s, s.last_seen < datetime() - duration({minutes: $idle}) AS idle
FOREACH (_ IN CASE WHEN idle THEN [1] ELSE [] END | SET s.ended_at = datetime(), s.end_reason = 'idle')
FOREACH (_ IN CASE WHEN NOT idle AND s.last_seen < datetime() - duration({seconds: 30}) THEN [1] ELSE [] END |
         SET s.last_seen = datetime())
RETURN s.user_uid AS uid, idle
"""


def resume_session(graph: Graph, sid: str, idle_minutes: int) -> Actor | None:
    """The actor of a live session, or None if it ended, idled out, or its user may no longer sign in."""

    def work(tx):
        rec = tx.run(_RESUME, sid=sid, idle=idle_minutes).single()
        if rec is None or rec["idle"]:
            return None
        user = tx.run("MATCH (u:User {uid: $uid}) RETURN u.active AS active", uid=rec["uid"]).single()
        if user is None or user["active"] is False:
            return None
        return load_actor(tx, rec["uid"])

    return graph.write(work)


def end_session(graph: Graph, actor: Actor, sid: str, reason: str = "sign_out") -> None:
    """End a session on the server and audit the sign-out in the same transaction."""

    def work(tx):
        tx.run("MATCH (s:Session {sid: $sid}) WHERE s.ended_at IS NULL "
               "SET s.ended_at = datetime(), s.end_reason = $reason", sid=sid, reason=reason).consume()
        audit.record(tx, actor, "sign_out", [actor.uid], details={"reason": reason})

    graph.write(work)
