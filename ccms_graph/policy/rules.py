"""Write rules: who may change a case or a record. Raised as Forbidden/NotFound inside the transaction."""

from __future__ import annotations

from ..errors import Forbidden, NotFound
from .actor import Actor

#: Cypher predicate: may `$me` (with `$subordinates`) write case `c`? Owner, team, or their supervisors.
CASE_WRITE = (
    "(c.owner_uid = $me OR $me IN coalesce(c.team_uids, []) "
    "OR c.owner_uid IN $subordinates "
    "OR any(t IN coalesce(c.team_uids, []) WHERE t IN $subordinates))"
)


def actor_params(actor: Actor) -> dict:
    """The parameters every policy predicate expects."""
    return {"me": actor.uid, "subordinates": list(actor.subordinates), "offices": list(actor.offices),
            "granted": list(actor.granted_cases), "auditor": actor.is_auditor}


def _writer(actor: Actor) -> None:
    if actor.role in ("auditor", "admin"):
        raise Forbidden(f"the {actor.role} role does not change case content")


def require_case_write(tx, actor: Actor, case_uid: str) -> None:
    """Refuse unless the actor owns, is on the team of, or supervises the team of the case."""
    if actor.role == "system":
        return
    _writer(actor)
    rec = tx.run(f"MATCH (c:Case {{uid: $uid}}) RETURN {CASE_WRITE} AS ok",
                 uid=case_uid, **actor_params(actor)).single()
    if rec is None:
        raise NotFound(f"no case {case_uid}")
    if not rec["ok"]:
        raise Forbidden(f"you may not change case {case_uid}")


def require_record_write(tx, actor: Actor, uid: str) -> None:
    """Refuse unless the actor owns the record, supervises its owner, or may write a case it is in."""
    if actor.role == "system":
        return
    _writer(actor)
    rec = tx.run(
        f"""MATCH (n:Linkable {{uid: $uid}}) WHERE n:SubjectRecord OR n:Document
        RETURN n.owner_uid = $me OR n.owner_uid IN $subordinates
            OR EXISTS {{ MATCH (n)-[:SUBJECT_IN|PART_OF {{status: 'active'}}]->(c:Case) WHERE {CASE_WRITE} }}
            AS ok""",
        uid=uid, **actor_params(actor)).single()
    if rec is None:
        raise NotFound(f"no record {uid}")
    if not rec["ok"]:
        raise Forbidden(f"you may not change record {uid}")
