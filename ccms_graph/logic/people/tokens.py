"""Personal API tokens: a user creates, lists and revokes their own; only a hash of each is stored.

A token is `ccms_` followed by 32 random bytes (URL-safe base64). It is shown once, at creation; the
graph keeps its SHA-256 (a fast hash is enough for a secret of 256 random bits, unlike a password).
A request carrying `Authorization: Bearer <token>` acts as the token's user with exactly the user's
own rights at that moment: the Actor is rebuilt from the graph on every request, so a change of role,
office, supervisor or training applies at once, and a deactivated user's tokens stop working.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta

from marshmallow import Schema, fields, validate

from ...db import Graph
from ...errors import Conflict, NotFound
from ...policy.actor import Actor, load_actor
from ...policy.rules import require_active
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
    """Revoke one of the actor's own tokens; NotFound for anyone else's (their existence is not told)."""

    def work(tx):
        rec = tx.run("""MATCH (t:ApiToken {uid: $uid, user_uid: $me})
                        SET t.revoked_at = coalesce(t.revoked_at, datetime())
                        RETURN properties(t) AS t""", uid=token_uid, me=actor.uid).single()
        if rec is None:
            raise NotFound(f"no token {token_uid}")
        audit.record(tx, actor, "revoke", [token_uid], details={"type": "ApiToken"})
        return _out(rec["t"])

    return graph.write(work)


_RESOLVE = """
MATCH (t:ApiToken {token_hash: $hash})
WHERE t.revoked_at IS NULL AND t.expires_at > datetime()
MATCH (u:User {uid: t.user_uid}) WHERE coalesce(u.active, true)
SET t.last_used_at = CASE WHEN t.last_used_at IS NULL OR t.last_used_at < datetime() - duration({minutes: 1})
                          THEN datetime() ELSE t.last_used_at END
RETURN t.uid AS uid, u.uid AS user_uid
"""


def resolve_token(graph: Graph, token: str) -> tuple[Actor, str] | None:
    """The (Actor, token uid) a presented bearer token stands for, or None if it is unknown, revoked or expired."""
    if not token or not token.startswith(PREFIX) or len(token) > 200:
        return None

    def work(tx):
        rec = tx.run(_RESOLVE, hash=token_hash(token)).single()
        if rec is None:
            return None
        return load_actor(tx, rec["user_uid"]), rec["uid"]

    return graph.write(work)
