"""Sign-in security: password checks with lockout, refusal of inactive or untrained users, all audited.

Five consecutive failures lock an account for ten minutes (`failed_logins`, `locked_until` on the User);
an administrator may release it early. Every attempt leaves an audit entry — the failures too, which is
why a failed attempt commits its transaction and only then raises.

A refused sign-in answers one sentence (`BAD_CREDENTIALS`), with one status and nothing else, whatever
the reason: an unknown username, a locked account, a wrong password, an inactive or separated account, an
account whose role still waits for a supervisor's approval. Any difference (a lockout notice, a locked-until
time, "not active") would tell a stranger which usernames exist. The password is checked in every
case, against a decoy hash when there is no account, so the time taken tells nothing either. The audit
entry records the real reason. Only a right password to an active account whose training has expired is
told so, since only its owner can get that far.
"""

from __future__ import annotations

from ...db import Graph
from ...errors import DomainError, Forbidden, NotFound, TrainingExpired
from ...policy.actor import Actor, load_actor
from ...policy.rules import can, require_active
from ..common import iso
from ..oversight import audit
from .users import password_matches

#: Consecutive failures that lock an account, and for how long.
MAX_FAILURES = 5
LOCK_MINUTES = 10

#: What a failed sign-in tells the user; it never says whether the username exists.
BAD_CREDENTIALS = "the username or password is not correct"

_USER = """
MATCH (u:User {username: $username})
RETURN u.uid AS uid, u.username AS username, u.name AS name, u.role AS role, u.office_code AS office_code,
       u.password_hash AS password_hash, coalesce(u.active, true) AND u.separated_at IS NULL AS active,
       u.locked_until IS NOT NULL AND u.locked_until > datetime() AS locked, u.locked_until AS locked_until
"""

_FAILED = """
MATCH (u:User {uid: $uid})
SET u.failed_logins = coalesce(u.failed_logins, 0) + 1, u.last_failed_login_at = datetime()
WITH u, u.failed_logins >= $max AS lock
SET u.locked_until = CASE WHEN lock THEN datetime() + duration({minutes: $minutes}) ELSE u.locked_until END,
    u.failed_logins = CASE WHEN lock THEN 0 ELSE u.failed_logins END
RETURN lock, u.locked_until AS locked_until
"""

#: An account created for a content role that a supervisor has not yet approved (see `users.create_user`).
_PENDING = "MATCH (p:PendingUser {username: $username, status: 'pending'}) RETURN p.uid AS uid"

_SUCCEEDED = """
MATCH (u:User {uid: $uid})
SET u.failed_logins = 0, u.locked_until = null, u.last_login_at = datetime()
"""


def _attempt_actor(row: dict | None, username: str, client_address: str | None) -> Actor:
    """Who an audit entry names for an attempt: the account if it exists, else the attempted name."""
    if row is None:
        return Actor(uid="anonymous", username=username[:100], name="unknown user", role="anonymous",
                     office_code=None, client_address=client_address)
    return Actor(uid=row["uid"], username=row["username"], name=row["name"], role=row["role"],
                 office_code=row["office_code"], client_address=client_address)


def _sign_in(graph: Graph, username: str, client_address: str | None, method: str, check) -> Actor:
    username = (username or "").strip().lower()

    def work(tx):
        # Re-read inside the write transaction after taking the user's lock, so parallel guesses count.
        tx.run("MATCH (u:User {username: $username}) SET u.sign_in_lock = true REMOVE u.sign_in_lock",
               username=username).consume()
        row = tx.run(_USER, username=username).single()
        row = row.data() if row else None
        who = _attempt_actor(row, username, client_address)

        def fail(reason: str, error: DomainError | None = None, **extra):
            audit.record(tx, who, "sign_in_failed", [who.uid] if row else [], outcome="failure",
                         details={"username": username, "reason": reason, "method": method, **extra})
            return None, error or Forbidden(BAD_CREDENTIALS)  # one answer for every refusal: see above

        # Checked first and always, so every refusal below costs the same (a decoy hash when no account).
        right = check(row or {"password_hash": None})
        if row is None:
            pending = tx.run(_PENDING, username=username).single()
            return fail("role_pending" if pending else "unknown_user")
        if row["locked"]:
            return fail("locked", locked_until=iso(row["locked_until"]))
        if not right:
            rec = tx.run(_FAILED, uid=row["uid"], max=MAX_FAILURES, minutes=LOCK_MINUTES).single()
            return fail("bad_password", **({"locked_until": iso(rec["locked_until"]), "locked_now": True}
                                           if rec["lock"] else {}))
        if not row["active"]:
            return fail("inactive")
        actor = load_actor(tx, row["uid"]).with_request(client_address)
        try:
            require_active(actor)
        except TrainingExpired as exc:
            tx.run(_SUCCEEDED, uid=row["uid"]).consume()  # the password was right: the count starts again
            return fail("training_expired", exc, training_expires=actor.training_expires)
        tx.run(_SUCCEEDED, uid=row["uid"]).consume()
        audit.record(tx, actor, "sign_in", [actor.uid], details={"method": method})
        return actor, None

    actor, error = graph.write(work)
    if error is not None:
        raise error
    return actor


def authenticate(graph: Graph, username: str, password: str, client_address: str | None = None) -> Actor:
    """The signed-in Actor for a username and password; Forbidden (or TrainingExpired) otherwise, audited."""
    return _sign_in(graph, username, client_address, "password",
                    lambda row: password_matches(row["password_hash"], password or ""))


def authenticate_trusted(graph: Graph, username: str, client_address: str | None = None) -> Actor:
    """Sign in a user a trusted reverse proxy has already authenticated (PIV SSO header); same guards."""
    return _sign_in(graph, username, client_address, "sso", lambda row: True)


def sign_out(graph: Graph, actor: Actor) -> None:
    """Record a sign-out (the web layer ends the session itself)."""
    graph.write(lambda tx: audit.record(tx, actor, "sign_out", [actor.uid]))


def release_lockout(graph: Graph, admin: Actor, username: str) -> dict:
    """Let an administrator end a lockout and reset the failure count; audited."""
    try:
        require_active(admin)
        if not can(admin, "admin"):
            raise Forbidden("only an administrator may release a locked account")
    except DomainError as exc:
        raise audit.refuse(graph, admin, exc, "release_lockout", username=username) from None

    def work(tx):
        rec = tx.run("""MATCH (u:User {username: $username})
                        WITH u, u.locked_until IS NOT NULL AND u.locked_until > datetime() AS was_locked
                        SET u.failed_logins = 0, u.locked_until = null
                        RETURN u.uid AS uid, was_locked""", username=username).single()
        if rec is None:
            return None
        audit.record(tx, admin, "admin", [rec["uid"]], details={"op": "release_lockout", "username": username,
                                                                "was_locked": rec["was_locked"]})
        return {"uid": rec["uid"], "username": username, "was_locked": rec["was_locked"]}

    out = graph.write(work)
    if out is None:
        raise NotFound(f"no user {username}")
    return out


def lock_state(graph: Graph, username: str) -> dict:
    """Failure count and lock expiry of an account (for administrators' screens)."""
    rows = graph.query("""MATCH (u:User {username: $username})
                          RETURN u.failed_logins AS failed_logins, u.locked_until AS locked_until,
                                 u.locked_until IS NOT NULL AND u.locked_until > datetime() AS locked""",
                       {"username": username})
    if not rows:
        raise NotFound(f"no user {username}")
    row = rows[0]
    row["locked_until"] = iso(row["locked_until"])
    row["failed_logins"] = row["failed_logins"] or 0
    return row
