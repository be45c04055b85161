"""Bearer tokens checked on every API request: what a check writes."""

from __future__ import annotations

import threading

from ccms_graph import db
from ccms_graph.logic.people import tokens

_LAST_USED = "MATCH (t:ApiToken {uid: $uid}) RETURN t.last_used_at AS at, t.revoked_at AS revoked"


def _write(graph, statement: str, **params) -> None:
    graph.write(lambda tx: tx.run(statement, **params).consume())


def _commits_of(graph, call) -> bool:
    """Whether `call()` committed a transaction: the bookmarks the context follows move only then."""
    followed = db.follow([])
    try:
        graph.query("RETURN 1", {})  # a bookmark of the store as it is now
        before = db.followed()
        call()
        return db.followed() != before
    finally:
        db.unfollow(followed)


def test_a_tokens_check_writes_only_its_last_use_once_a_minute_or_its_revocation(graph, org):
    made = tokens.create_token(graph, org.agent_a, {"name": "laptop"})

    def check():
        actor, uid = tokens.resolve_token(graph, made["token"])
        assert (actor.uid, uid) == (org.agent_a.uid, made["uid"])

    assert _commits_of(graph, check)  # the first use is recorded
    (first,) = graph.query(_LAST_USED, {"uid": made["uid"]})
    assert first["at"] is not None and first["revoked"] is None
    # every check within the minute commits nothing: no lock on the token for its other requests to wait on
    assert not _commits_of(graph, check) and not _commits_of(graph, check)
    assert graph.query(_LAST_USED, {"uid": made["uid"]}) == [first]
    _write(graph, "MATCH (t:ApiToken {uid: $uid}) SET t.last_used_at = t.last_used_at - duration({minutes: 2})",
           uid=made["uid"])
    assert _commits_of(graph, check)  # a minute on, the use is recorded again
    (again,) = graph.query(_LAST_USED, {"uid": made["uid"]})
    assert again["at"] > first["at"]
    # a user who may no longer sign in: the check revokes the token, and says no
    _write(graph, "MATCH (u:User {uid: $uid}) SET u.active = false", uid=org.agent_a.uid)
    assert tokens.resolve_token(graph, made["token"]) is None
    assert graph.query(_LAST_USED, {"uid": made["uid"]})[0]["revoked"] is not None


def test_a_tokens_check_does_not_wait_for_another_transaction_holding_the_token(graph, org):
    # Concurrent requests of one client: while one transaction holds the token's lock (here a write
    # left open), another request's check still answers, since a check within the minute takes no lock.
    made = tokens.create_token(graph, org.agent_a, {"name": "laptop"})
    assert tokens.resolve_token(graph, made["token"]) is not None  # the first use, recorded
    answered = threading.Event()

    def check():
        if tokens.resolve_token(graph, made["token"]) is not None:
            answered.set()

    with graph.driver.session(database=graph.settings.neo4j_database) as session:
        tx = session.begin_transaction()
        try:
            tx.run("MATCH (t:ApiToken {uid: $uid}) SET t.note = 'held'", uid=made["uid"]).consume()
            other = threading.Thread(target=check, daemon=True)
            other.start()
            other.join(20)
            held_while_answered = answered.is_set()
        finally:
            tx.rollback()
    other.join(20)
    assert held_while_answered and answered.is_set()
