"""Comments that annotate records — e.g. a correction that a target was later found to be a victim."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from ...db import Graph
from ...errors import Forbidden, NotFound
from ...policy import rules
from ...policy.actor import Actor
from ..common import Text, load_input, new_uid
from ..oversight import audit, notifications

KINDS = ("note", "correction")


class CommentInput(Schema):
    text = Text(required=True, validate=validate.Length(min=2, max=5000))
    kind = fields.String(load_default="note", validate=validate.OneOf(KINDS))


_ADD = """
MATCH (n:Linkable {uid: $uid})
CREATE (m:Comment {uid: $cuid, text: $text, kind: $kind, author_uid: $me, author_name: $name,
                   created_at: datetime()})-[:ANNOTATES]->(n)
RETURN coalesce(n.owner_uid, n.author_uid) AS owner, m.created_at AS at
"""

_LIST = """
MATCH (m:Comment)-[:ANNOTATES]->(:Linkable {uid: $uid})
RETURN m ORDER BY m.created_at
"""


def add_comment(graph: Graph, actor: Actor, uid: str, data: dict) -> dict:
    """Annotate a record the actor may read. Comments are never edited: a correction is a new comment."""
    clean = load_input(CommentInput(), data)
    try:
        rules.require_writer(actor)  # auditors and administrators annotate nothing
    except Forbidden as exc:
        raise audit.refuse(graph, actor, exc, "comment", [uid]) from None

    def work(tx):
        rules.require_read(tx, actor, uid)
        cuid = new_uid()
        row = tx.run(_ADD, uid=uid, cuid=cuid, text=clean["text"].strip(), kind=clean["kind"], me=actor.uid,
                     name=actor.name).single()
        audit.record(tx, actor, "comment", [uid, cuid], details={"kind": clean["kind"]})
        notifications.notify_owner(tx, actor, row["owner"], "view", record_uid=uid, displayed=True,
                                   message=f"{actor.name} added a {clean['kind']} to your record")
        return {"uid": cuid, "text": clean["text"].strip(), "kind": clean["kind"], "author_uid": actor.uid,
                "author_name": actor.name, "created_at": row["at"].iso_format()}

    try:
        return graph.write(work)
    except (NotFound, Forbidden) as exc:
        raise audit.refuse(graph, actor, exc, "comment", [uid]) from None


def comments_for(graph: Graph, actor: Actor, uid: str, *, audit_view: bool = True) -> list[dict]:
    """The comments on a record the actor may read, oldest first; the read is audited as a view.

    `audit_view=False` is for a page that has just audited its own view of this very record (the entity
    page's `access.view_record`), so one page load stays one view entry; a refusal is audited regardless.
    """

    def work(tx):
        rules.require_read(tx, actor, uid)
        out = []
        for r in tx.run(_LIST, uid=uid):
            m = dict(r["m"])
            m["created_at"] = m["created_at"].iso_format()
            out.append(m)
        if audit_view:
            audit.record(tx, actor, "view", [uid], details={"op": "comments", "count": len(out)})
        return out

    return audit.write_or_refuse(graph, actor, "comments", [uid], work)
