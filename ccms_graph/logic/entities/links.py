"""Draw and retire typed links between records, checked against the link vocabulary.

Only the hand-drawn link types (`HAND_DRAWN_LINK_TYPES`) pass here. A merge (SUB_RECORD_OF) comes only
from identity resolution, after a supervisor's approval, and a call (CALLED) only from the telecom import;
drawing or retiring either by hand is refused by field (`type`), naming the path that owns it.
"""

from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate

from ...db import Graph
from ...errors import Conflict, NotFound, ValidationFailed
from ...nodes.vocabulary import HAND_DRAWN_LINK_TYPES, LINK_TYPES, SELECTOR_TYPES
from ...policy import rules
from ...policy.actor import Actor
from ..casework.pending import lock
from ..common import load_input, record_type_of
from ..identity import financial
from ..oversight import audit


def _drawn_by_hand(value: str) -> None:
    """Refuse a link type that only its own path draws (a merge, an imported call), naming that path."""
    lt = LINK_TYPES.get(value)
    if lt is not None and lt.drawn_by:
        raise ValidationError(f"{value} links are not drawn or retired by hand; they come only from {lt.drawn_by}")
    validate.OneOf(HAND_DRAWN_LINK_TYPES)(value)


class UnlinkInput(Schema):
    source_uid = fields.String(required=True, validate=validate.Length(min=1, max=64))
    target_uid = fields.String(required=True, validate=validate.Length(min=1, max=64))
    type = fields.String(required=True, validate=_drawn_by_hand,
                         metadata={"enum": list(HAND_DRAWN_LINK_TYPES)})
    reason = fields.String(required=True, validate=validate.Length(min=3, max=2000))


class LinkInput(UnlinkInput):
    """A link names what an unlink names, plus its properties and the case it was drawn in."""

    properties = fields.Dict(keys=fields.String(), values=fields.Raw(), load_default=dict)
    case_uid = fields.String(load_default=None, allow_none=True)


def _check_write(tx, actor: Actor, link_type: str, a: str, a_type: str, b: str, b_type: str) -> None:
    if link_type in ("SUBJECT_IN", "PART_OF"):
        rules.require_case_write(tx, actor, b)
    elif a_type in SELECTOR_TYPES:
        rules.require_record_write(tx, actor, b)
    elif a_type == "Case":  # RELATED_CASE: the first case's writers draw it
        rules.require_case_write(tx, actor, a)
    else:
        rules.require_record_write(tx, actor, a)


def _endpoint_types(tx, actor: Actor, link_type: str, a: str, b: str) -> tuple[str, str]:
    """The policy on both endpoints, before anything is said about them: each must be readable (one the
    actor may not read answers exactly like a missing one) and the side the link belongs to writable.
    Only then their types, which the caller checks against the link vocabulary."""
    a_type = record_type_of(rules.require_read(tx, actor, a)["labels"])
    b_type = record_type_of(rules.require_read(tx, actor, b)["labels"])
    _check_write(tx, actor, link_type, a, a_type, b, b_type)
    return a_type, b_type


def link(graph: Graph, actor: Actor, data: dict) -> dict:
    """Create an active link after checking the policy on both endpoints, then that its type allows their
    types; audited, and a refusal audited as "deny"."""
    clean = load_input(LinkInput(), data)
    lt = LINK_TYPES[clean["type"]]
    extra = clean["properties"]
    unknown = sorted(set(extra) - set(lt.properties))
    if unknown:
        raise ValidationFailed({"properties": [f"{clean['type']} takes no property {k!r}" for k in unknown]})
    if clean["source_uid"] == clean["target_uid"]:
        raise ValidationFailed({"target_uid": ["a record cannot be linked to itself"]})

    def work(tx):
        # Both ends' locks first (in one order: no deadlock between two): the same link asked for at once,
        # or a delete of an end, waits here, and what follows reads what it committed.
        for uid in sorted((clean["source_uid"], clean["target_uid"])):
            lock(tx, "Linkable", uid)
        a_type, b_type = _endpoint_types(tx, actor, lt.name, clean["source_uid"], clean["target_uid"])
        if not lt.allows(a_type, b_type):
            raise ValidationFailed({"type": [f"{lt.name} does not link a {a_type} to a {b_type}"]})
        pattern = f"-[r:{lt.name} {{status: 'active'}}]->" if lt.directed else f"-[r:{lt.name} {{status: 'active'}}]-"
        exists = tx.run(f"MATCH (a:Linkable {{uid: $a}}){pattern}(b:Linkable {{uid: $b}}) RETURN r.uid AS uid",
                        a=clean["source_uid"], b=clean["target_uid"]).single()
        if exists:
            raise Conflict(f"an active {lt.name} link between these records already exists")
        rec = tx.run(
            f"""MATCH (a:Linkable {{uid: $a}}) MATCH (b:Linkable {{uid: $b}})
            CREATE (a)-[r:{lt.name}]->(b)
            SET r += $extra, r.uid = randomUUID(), r.created_at = datetime(), r.created_by = $actor,
                r.reason = $reason, r.source = 'manual', r.status = 'active', r.case_uid = $case_uid
            WITH a, b, r
            OPTIONAL MATCH (c:Case) WHERE c.uid IN [a.uid, b.uid, $case_uid]
            SET c.last_activity_at = datetime()
            RETURN DISTINCT r.uid AS uid""",
            a=clean["source_uid"], b=clean["target_uid"], extra=extra, actor=actor.uid,
            reason=clean["reason"], case_uid=clean["case_uid"]).single()
        audit.record(tx, actor, "link", [clean["source_uid"], clean["target_uid"]],
                     details={"type": lt.name, "reason": clean["reason"], "link_uid": rec["uid"]})
        if lt.name == "SUBJECT_IN" or lt.name in financial.LINKS:  # a record's accounts now tie another case
            financial.alert_shared_accounts(tx, actor, [clean["source_uid"]])
        return {"uid": rec["uid"], "type": lt.name, "source_uid": clean["source_uid"],
                "target_uid": clean["target_uid"], "status": "active"}

    return audit.write_or_refuse(graph, actor, "link", [clean["source_uid"], clean["target_uid"]], work)


def unlink(graph: Graph, actor: Actor, data: dict) -> dict:
    """Retire an active link with who, when and why, under the same policy as `link` (refusals audited);
    the edge stays as history."""
    clean = load_input(UnlinkInput(), data)
    lt = LINK_TYPES[clean["type"]]
    arrow = "-[r:%s {status: 'active'}]->" if lt.directed else "-[r:%s {status: 'active'}]-"

    def work(tx):
        _endpoint_types(tx, actor, lt.name, clean["source_uid"], clean["target_uid"])
        rec = tx.run(
            f"""MATCH (a:Linkable {{uid: $a}}){arrow % lt.name}(b:Linkable {{uid: $b}})
            SET r.status = 'retired', r.retired_at = datetime(), r.retired_by = $actor, r.retired_reason = $reason
            RETURN r.uid AS uid""",
            a=clean["source_uid"], b=clean["target_uid"], actor=actor.uid, reason=clean["reason"]).single()
        if rec is None:
            raise NotFound(f"no active {lt.name} link between these records")
        audit.record(tx, actor, "unlink", [clean["source_uid"], clean["target_uid"]],
                     details={"type": lt.name, "reason": clean["reason"], "link_uid": rec["uid"]})
        return {"uid": rec["uid"], "type": lt.name, "status": "retired"}

    return audit.write_or_refuse(graph, actor, "unlink", [clean["source_uid"], clean["target_uid"]], work)
