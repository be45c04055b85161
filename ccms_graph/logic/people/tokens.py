"""Personal API tokens: a user creates, lists and revokes their own; only a hash of each is stored.

A token is `ccms_` followed by 32 random bytes (URL-safe base64). It is shown once, at creation; the
graph keeps its SHA-256 (a fast hash is enough for a secret of 256 random bits, unlike a password).
A request carrying `Authorization: Bearer <token>` acts as the token's user with exactly the user's
own rights at that moment: the Actor is rebuilt from the graph on every request, so a change of role,
office, supervisor or training applies at once. A token whose user's training has expired is refused
with the training message (audited as a denial) and works again once the training is renewed; a token
of a deactivated or separated user is revoked the first time it is presented, so reactivating the user
does not bring it back. A revoked token stops working on the very next request.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta

from marshmallow import Schema, fields, validate

from ...db import Graph
from ...errors import Conflict, NotFound, TrainingExpired
from ...policy.actor import Actor, load_actor
from ...policy.rules import require_active
from ..casework.pending import lock
from ..common import load_input, new_uid, plain
from ..oversight import audit

PREFIX = "ccms_"
#: At most this many live (unrevoked, unexpired) tokens per user.
MAX_LIVE_TOKENS = 20
#: Longest lifetime a token may be given, in days.
MAX_DAYS = 365


class TokenInput(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=100),
                         metadata={"description": "what the token is for, e.g. the script's name"})
    expires_in_days = fields.Integer(load_default=90, validate=validate.Range(min=1, max=MAX_DAYS))


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _out(props: dict) -> dict:
    out = plain(props)
    out.pop("token_hash", None)
    return out


_LIVE = """
MATCH (t:ApiToken {user_uid: $me})
WHERE t.revoked_at IS NULL AND t.expires_at > datetime()
RETURN count(t) AS n
"""

_CREATE = """
MERGE (t:ApiToken {uid: $uid})
ON CREATE SET t += $props, t.created_at = datetime(), t.expires_at = datetime($expires)
RETURN properties(t) AS t
"""


def create_token(graph: Graph, actor: Actor, data: dict) -> dict:
    """A new token for the actor; the secret is in `token` of the answer and nowhere else, ever."""
    clean = load_input(TokenInput(), data)
    require_active(actor)
    secret = PREFIX + secrets.token_urlsafe(32)
    uid = new_uid()
    expires = (datetime.now(UTC) + timedelta(days=clean["expires_in_days"])).isoformat()
    props = {"name": clean["name"], "user_uid": actor.uid, "token_hash": token_hash(secret),
             "hint": secret[:len(PREFIX) + 4]}

    def work(tx):
        lock(tx, "User", actor.uid)  # two tokens made at once are counted one after the other
        if tx.run(_LIVE, me=actor.uid).single()["n"] >= MAX_LIVE_TOKENS:
            raise Conflict(f"you have {MAX_LIVE_TOKENS} live tokens already; revoke one first")
        rec = tx.run(_CREATE, uid=uid, props=props, expires=expires).single()
        audit.record(tx, actor, "create", [uid], details={"type": "ApiToken", "name": clean["name"],
                                                          "expires_at": expires})
        return _out(rec["t"])

    return {**graph.write(work), "token": secret}


def list_tokens(graph: Graph, actor: Actor) -> list[dict]:
    """The actor's own tokens (never anyone else's, never the secret), newest first."""
    rows = graph.query("""MATCH (t:ApiToken {user_uid: $me})
                          RETURN properties(t) AS t ORDER BY t.created_at DESC, t.uid""", {"me": actor.uid})
    return [_out(r["t"]) for r in rows]


def revoke_token(graph: Graph, actor: Actor, token_uid: str) -> dict:
    """Revoke one of the actor's own tokens; NotFound for anyone else's (their existence is not told),
    Conflict if it is already revoked. An administrator or supervisor ends another user's tokens with
    `sessions.revoke_access`."""

    def work(tx):
        rec = tx.run("""MATCH (t:ApiToken {uid: $uid, user_uid: $me})
                        SET t.revoke_lock = true REMOVE t.revoke_lock
                        RETURN t.revoked_at IS NOT NULL AS revoked""", uid=token_uid, me=actor.uid).single()
        if rec is None:
            raise NotFound(f"no token {token_uid}")
        if rec["revoked"]:
            raise Conflict(f"token {token_uid} is already revoked", token_status="revoked")
        rec = tx.run("""MATCH (t:ApiToken {uid: $uid})
                        SET t.revoked_at = datetime(), t.revoked_by = $me, t.revoke_reason = 'revoked'
                        RETURN properties(t) AS t""", uid=token_uid, me=actor.uid).single()
        audit.record(tx, actor, "revoke", [token_uid], details={"type": "ApiToken"})
        return _out(rec["t"])

    return graph.write(work)


_REVOKE_ALL = """
MATCH (t:ApiToken {user_uid: $user}) WHERE t.revoked_at IS NULL
SET t.revoked_at = datetime(), t.revoked_by = $by, t.revoke_reason = $reason
RETURN collect(t.uid) AS uids
"""


def revoke_all_tokens(tx, user_uid: str, reason: str, by: str) -> list[str]:
    """In transaction `tx`: revoke every unrevoked token of a user; the uids revoked. The caller audits."""
    return list(tx.run(_REVOKE_ALL, user=user_uid, reason=reason, by=by).single()["uids"])


#: A token's use writes only when something changes: its `last_used_at`, at most once a minute, or its
#: revocation when its user may no longer sign in. Every other request's check commits nothing (a `SET`
#: of an unchanged value is still a write: it locked the token, so concurrent requests of one client
#: queued on it, and each committed a transaction).
_RESOLVE = """
MATCH (t:ApiToken {token_hash: $hash})
WHERE t.revoked_at IS NULL AND t.expires_at > datetime()
OPTIONAL MATCH (u:User {uid: t.user_uid})
WITH t, u, u IS NOT NULL AND coalesce(u.active, true) AND u.separated_at IS NULL AS active
FOREACH (_ IN CASE WHEN active AND (t.last_used_at IS NULL OR t.last_used_at < datetime() - duration({minutes: 1}))
                   THEN [1] ELSE [] END | SET t.last_used_at = datetime())
FOREACH (_ IN CASE WHEN active THEN [] ELSE [1] END | SET t.revoked_at = datetime(), t.revoke_reason = 'user_inactive')
RETURN t.uid AS uid, t.user_uid AS user_uid, active, u IS NOT NULL AS exists
"""


def resolve_token(graph: Graph, token: str, client_address: str | None = None) -> tuple[Actor, str] | None:
    """The (Actor, token uid) a presented bearer token stands for, checked now; None if it is unknown,
    revoked or expired, or its user is inactive (then it is revoked). TrainingExpired, audited as a
    denial, if the user's training has expired."""
    if not token or not token.startswith(PREFIX) or len(token) > 200:
        return None

    def work(tx):
        rec = tx.run(_RESOLVE, hash=token_hash(token)).single()
        if rec is None:
            return None, None
        if not rec["active"]:
            if rec["exists"]:
                who = load_actor(tx, rec["user_uid"]).with_request(client_address)
                audit.record(tx, who, "deny", [who.uid, rec["uid"]], outcome="denied",
                             details={"op": "use_token", "reason": "inactive", "ended": "ApiToken"})
            return None, None
        actor = load_actor(tx, rec["user_uid"]).with_request(client_address)
        try:
            require_active(actor)
        except TrainingExpired as exc:
            audit.record(tx, actor, "deny", [actor.uid, rec["uid"]], outcome="denied",
                         details={"op": "use_token", "answer": exc.status, "reason": type(exc).__name__,
                                  "detail": exc.detail})
            return None, exc
        return (actor, rec["uid"]), None

    found, refusal = graph.write(work)
    if refusal is not None:
        raise refusal
    return found
