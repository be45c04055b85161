"""Identity resolution: compare two records side by side, merge one under a master, dismiss a pair, unmerge.

Merging never deletes: the other record gets `master_uid` and a `SUB_RECORD_OF` link (with who,
when, why and who approved) to the master, and every query that wants "everything about this
individual" follows SUB_RECORD_OF. Unmerging removes exactly
that link and that property, so the graph is as it was before the merge; the who/when/why of both
steps stays in the audit log (which only grows).

Merging a record owned by someone else (who is neither the actor nor one of the actor's
subordinates) needs the approval of that owner's supervisor: `merge` then files a pending
`(:ApprovalRequest {kind: 'merge'})` and `approve_merge` carries it out.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Hashable, Mapping
from typing import TypeVar

from ...db import Graph
from ...errors import Conflict, Forbidden, NotFound, ValidationFailed
from ...matching import deconflict
from ...matching.blocking import matching_record
from ...nodes.vocabulary import ENTITY_TYPES, caption
from ...policy import rules
from ...policy.actor import Actor, load_actor
from ...policy.rules import require_active
from ..common import iso
from ..oversight import audit, checks, notifications

K = TypeVar("K", bound=Hashable)

#: The kind of ApprovalRequest a merge of another owner's record files (decided through `approvals`).
MERGE_KIND = "merge"


def _reason(reason: str | None) -> str:
    text = (reason or "").strip()
    if len(text) < 3 or len(text) > 2000:
        raise ValidationFailed({"reason": ["say why, in 3 to 2000 characters"]})
    return text


_RECORD = """
MATCH (n:SubjectRecord {uid: $uid})
RETURN properties(n) AS props, labels(n) AS labels,
       [(n)-[:USES_PHONE {status: 'active'}]->(x:Phone) | x.e164] AS phones,
       [(n)-[:USES_EMAIL {status: 'active'}]->(x:Email) | x.address] AS emails,
       [(n)-[:RESIDES_AT|LOCATED_AT {status: 'active'}]->(x:Address)
          | x {.line1, .line2, .city, .state, .postcode, .country}] AS addresses,
       [(n)-[r:SUB_RECORD_OF {status: 'active'}]->(m) | m.uid] AS masters,
       [(m)-[r:SUB_RECORD_OF {status: 'active'}]->(n) | m.uid] AS subs
"""


def _load(tx, uid: str) -> dict:
    rec = tx.run(_RECORD, uid=uid).single()
    if rec is None or rec["props"].get("deleted"):
        raise NotFound(f"no record {uid}")
    type_name = next(lbl for lbl in rec["labels"] if lbl in ENTITY_TYPES)
    return {"uid": uid, "type": type_name, "props": rec["props"], "phones": sorted(rec["phones"]),
            "emails": sorted(rec["emails"]), "addresses": rec["addresses"], "masters": rec["masters"],
            "subs": rec["subs"],
            "record": matching_record(type_name, rec["props"], rec["phones"], rec["emails"], rec["addresses"])}


def compare(graph: Graph, actor: Actor, a_uid: str, b_uid: str) -> dict:
    """Both records side by side, field by field, with `same` per field and the model's explanation.

    The actor must be able to read both records (NotFound/Forbidden otherwise, by the policy, and
    the refusal audited). Showing them is a view of both: audited in the same transaction, and
    each owner told as a record page tells them. The score is the one deconfliction gives the pair
    (the stored population's prior and counted name frequencies), with no other candidates.
    """
    config = deconflict.Config.of(graph.settings)

    def work(tx):
        error = _unreadable(tx, actor, [a_uid, b_uid], "compare")
        if error is not None:
            return None, error
        a, b = _load(tx, a_uid), _load(tx, b_uid)
        if a["type"] != b["type"]:
            return None, ValidationFailed({"b_uid": [f"a {a['type']} cannot be compared with a {b['type']}"]})
        audit.record(tx, actor, "view", [a_uid, b_uid], details={"op": "compare", "type": a["type"]})
        for rec in (a, b):
            notifications.notify_owner(tx, actor, rec["props"].get("owner_uid"), "view", record_uid=rec["uid"],
                                       record_type=rec["type"], record_caption=caption(rec["type"], rec["props"]),
                                       displayed=True)
        masters = rules.readable_uids(tx, actor, [r["props"].get("master_uid") for r in (a, b)])
        return (a, b, deconflict.context(tx, a["type"], config), masters), None

    a, b, ctx, masters = _checked(graph, actor, "compare", [a_uid, b_uid], work)
    rtype = ENTITY_TYPES[a["type"]]
    fields = []
    for f in rtype.fields:
        va, vb = a["props"].get(f.name), b["props"].get(f.name)
        if va in (None, "", []) and vb in (None, "", []):
            continue
        fields.append({"field": f.name, "label": f.label, "a": iso(va), "b": iso(vb), "same": va == vb})
    for name in ("phones", "emails", "addresses"):
        if a[name] or b[name]:
            fields.append({"field": name, "label": name.capitalize(), "a": a[name], "b": b[name],
                           "same": a[name] == b[name]})
    (scored,) = deconflict.score_candidates(a["type"], a["record"], [{"uid": b_uid, "record": b["record"]}],
                                            config.limits, ctx)
    return {
        "type": a["type"],
        "a": {"uid": a_uid, "caption": caption(a["type"], a["props"]), "owner_uid": a["props"].get("owner_uid"),
              "master_uid": _shown_master(a["props"].get("master_uid"), masters)},
        "b": {"uid": b_uid, "caption": caption(b["type"], b["props"]), "owner_uid": b["props"].get("owner_uid"),
              "master_uid": _shown_master(b["props"].get("master_uid"), masters)},
        "fields": fields,
        "differences": [f["field"] for f in fields if not f["same"]],
        "score": scored["score"], "decision": scored["decision"], "explanation": scored["explanation"],
    }


# ---------------------------------------------------------------------------------------------
# Merge and unmerge
# ---------------------------------------------------------------------------------------------

_LOCK = "MATCH (n:SubjectRecord) WHERE n.uid IN $uids SET n._lock = true REMOVE n._lock"

_MERGE = """
MATCH (o:SubjectRecord {uid: $other}) MATCH (m:SubjectRecord {uid: $master})
CREATE (o)-[r:SUB_RECORD_OF]->(m)
SET r.uid = $link_uid, r.created_at = datetime(), r.created_by = $actor, r.reason = $reason,
    r.source = 'resolution', r.status = 'active', r.approved_by = $approved_by, r.request_uid = $request_uid
SET o.master_uid = m.uid
RETURN r.uid AS uid
"""


def _owned_by(actor: Actor, props: dict) -> bool:
    return rules.owns_or_supervises(actor, props.get("owner_uid"))


def _shown_master(uid: str | None, readable: set[str]) -> str | None:
    """A master's uid where the actor may read that master; None where it is missing or hidden alike."""
    return uid if uid in readable else None


def _check_pair(tx, actor: Actor, master: dict, other: dict) -> None:
    """Refuse a pair that cannot be merged; a refusal names a record's master only where the actor may
    read that master (a hidden master is "another record", in the words a missing one would get)."""
    if master["uid"] == other["uid"]:
        raise ValidationFailed({"other_uid": ["a record cannot be merged with itself"]})
    if master["type"] != other["type"]:
        raise ValidationFailed({"other_uid": [f"a {other['type']} cannot be a sub-record of a {master['type']}"]})
    for rec, words in ((master, "is itself a sub-record of {}; merge into that master instead"),
                       (other, "is already a sub-record of {}")):
        if rec["masters"]:
            named = _shown_master(rec["masters"][0], rules.readable_uids(tx, actor, rec["masters"][:1]))
            extra = {"master_uid": named} if named else {}
            raise Conflict(f"record {rec['uid']} " + words.format(named or "another record"), **extra)


def _do_merge(tx, actor: Actor, master: dict, other: dict, reason: str, approved_by: str | None = None,
              request_uid: str | None = None) -> dict:
    link_uid = uuid.uuid4().hex
    tx.run(_MERGE, other=other["uid"], master=master["uid"], link_uid=link_uid, actor=actor.uid, reason=reason,
           approved_by=approved_by, request_uid=request_uid).consume()
    audit.record(tx, actor, "merge", [master["uid"], other["uid"]],
                 details={"master_uid": master["uid"], "other_uid": other["uid"], "reason": reason,
                          "link_uid": link_uid, "approved_by": approved_by, "request_uid": request_uid})
    return {"status": "merged", "master_uid": master["uid"], "other_uid": other["uid"], "link_uid": link_uid}


def _supervisors(tx, user_uid: str | None) -> list[str]:
    if not user_uid:
        return []
    return [r["uid"] for r in tx.run("MATCH (:User {uid: $u})-[:REPORTS_TO]->(s:User) RETURN s.uid AS uid",
                                     u=user_uid)]


_FILE = """
MERGE (r:ApprovalRequest {uid: $uid})
ON CREATE SET r.kind = 'merge', r.target_uid = $target, r.related_uid = $related, r.requested_by = $actor,
              r.requested_at = datetime(), r.status = 'pending', r.payload = $payload, r.comment = $reason,
              r.approver_uids = $approvers, r.target_owner_uid = $owner
RETURN properties(r) AS r
"""

_PENDING = """
MATCH (r:ApprovalRequest {kind: 'merge', status: 'pending'})
WHERE r.target_uid IN $uids OR r.related_uid IN $uids
RETURN r.uid AS uid LIMIT 1
"""


def _checked(graph: Graph, actor: Actor, op: str, targets: list[str], work):
    """Run `work(tx) -> (result, refusal)` in one write transaction, every refusal audited ("deny").

    `work` reads its records through `_unreadable` first (a hidden record answers as a missing one,
    and that refusal is committed with the transaction); a NotFound or Forbidden it raises later
    (an owner rule) is audited by `audit.write_or_refuse`. The training guard runs before either.
    """
    checks.guard(graph, actor, op, targets)
    result, error = audit.write_or_refuse(graph, actor, op, targets, work)
    if error is not None:
        raise error
    return result


def _unreadable(tx, actor: Actor, uids: list[str], op: str):
    """The refusal for the first record the actor may not read (deny entry written, owner told), or None."""
    for uid in uids:
        _, error = checks.check_record(tx, actor, uid, op)
        if error is not None:
            return error
    return None


def merge(graph: Graph, actor: Actor, master_uid: str, other_uid: str, reason: str) -> dict:
    """Make `other_uid` a sub-record of `master_uid`; or, for someone else's record, ask their supervisor.

    Answers {"status": "merged", ...} or {"status": "pending_approval", "request_uid": ...}.
    The actor must be able to read both records, checked before anything else (NotFound/Forbidden by
    the policy, so a hidden record answers as a missing one); every refusal is audited ("deny").
    """
    why = _reason(reason)

    def work(tx):
        rules.require_writer(actor)  # auditors and administrators merge nothing
        tx.run(_LOCK, uids=[master_uid, other_uid]).consume()
        error = _unreadable(tx, actor, [master_uid, other_uid], "merge")
        if error is not None:
            return None, error
        master, other = _load(tx, master_uid), _load(tx, other_uid)
        _check_pair(tx, actor, master, other)
        foreign = next((r for r in (other, master) if not _owned_by(actor, r["props"])), None)
        if foreign is None:
            return _do_merge(tx, actor, master, other, why), None
        if tx.run(_PENDING, uids=[master_uid, other_uid]).single():
            raise Conflict("a merge request for one of these records is already pending")
        owner = foreign["props"].get("owner_uid")
        approvers = _supervisors(tx, owner)
        if not approvers:
            raise Conflict("the record's owner has no supervisor who could approve this merge")
        payload = {"master_uid": master_uid, "other_uid": other_uid, "reason": why}
        req = tx.run(_FILE, uid=uuid.uuid4().hex, target=foreign["uid"],
                     related=master_uid if foreign["uid"] == other_uid else other_uid, actor=actor.uid,
                     payload=json.dumps(payload, sort_keys=True), reason=why, approvers=approvers,
                     owner=owner).single()["r"]
        audit.record(tx, actor, "request", [req["uid"], master_uid, other_uid],
                     details={"kind": MERGE_KIND, "payload": payload})
        for sup in approvers:
            notifications.notify(tx, sup, "approval_needed", item_kind=MERGE_KIND, item_uid=req["uid"],
                                 target_uid=foreign["uid"], requested_by=actor.uid, actor_name=actor.name)
        return {"status": "pending_approval", "request_uid": req["uid"], "approvers": approvers}, None

    return _checked(graph, actor, "merge", [master_uid, other_uid], work)


def _decide(graph: Graph, supervisor: Actor, request_uid: str, decision: str, comment: str | None) -> dict:
    """Decide a merge request in its own transaction; a refusal (no such request, not theirs) is audited."""
    op = "approve_merge" if decision == "approved" else "return_merge"
    checks.guard(graph, supervisor, op, [request_uid])
    return audit.write_or_refuse(graph, supervisor, op, [request_uid], decide_merge_in, supervisor, request_uid,
                                 decision, comment)


def decide_merge_in(tx, supervisor: Actor, request_uid: str, decision: str, comment: str | None) -> dict:
    """Decide a pending merge request inside the caller's transaction (also reached from the approval queue)."""
    require_active(supervisor)
    tx.run("MATCH (r:ApprovalRequest {uid: $uid}) SET r._lock = true REMOVE r._lock", uid=request_uid).consume()
    rec = tx.run("MATCH (r:ApprovalRequest {uid: $uid, kind: 'merge'}) RETURN properties(r) AS r",
                 uid=request_uid).single()
    if rec is None:
        raise NotFound(f"no merge request {request_uid}")
    req = rec["r"]
    if req["status"] != "pending":
        raise Conflict(f"request {request_uid} is already {req['status']}", status=req["status"])
    if supervisor.uid == req["requested_by"]:
        raise Forbidden("you may not decide your own merge request")
    rules.require_supervisor_of(supervisor, req.get("target_owner_uid"),
                                "only a supervisor of the record's owner may decide this merge")
    result = {"status": decision, "request_uid": request_uid}
    if decision == "approved":
        payload = json.loads(req["payload"])
        requester = _requester(tx, req["requested_by"])
        # Both records' locks before they are read, as `merge` takes them: a delete of either at the same
        # moment commits first (and the pair is refused) or waits for the merge (and refuses a master).
        tx.run(_LOCK, uids=[payload["master_uid"], payload["other_uid"]]).consume()
        master, other = _load(tx, payload["master_uid"]), _load(tx, payload["other_uid"])
        _check_pair(tx, supervisor, master, other)
        result.update(_do_merge(tx, requester, master, other, payload["reason"], approved_by=supervisor.uid,
                                request_uid=request_uid))
        result["status"] = "approved"
    tx.run("""MATCH (r:ApprovalRequest {uid: $uid})
              SET r.status = $decision, r.decided_by = $actor, r.decided_at = datetime(),
                  r.decision_comment = $comment""",
           uid=request_uid, decision=decision, actor=supervisor.uid, comment=comment).consume()
    audit.record(tx, supervisor, "approve" if decision == "approved" else "return",
                 [request_uid, req["target_uid"]], details={"kind": MERGE_KIND, "comment": comment})
    notifications.notify(tx, req["requested_by"], "approval_decided", item_kind=MERGE_KIND, item_uid=request_uid,
                         target_uid=req["target_uid"], decision=decision, comment=comment,
                         decided_by=supervisor.uid)
    return result


def _requester(tx, uid: str) -> Actor:
    return load_actor(tx, uid)


def approve_merge(graph: Graph, supervisor_actor: Actor, request_uid: str, comment: str | None = None) -> dict:
    """A supervisor of the record's owner approves a pending merge; the merge is made, credited to the requester."""
    return _decide(graph, supervisor_actor, request_uid, "approved", comment)


def return_merge(graph: Graph, supervisor_actor: Actor, request_uid: str, comment: str) -> dict:
    """A supervisor of the record's owner refuses a pending merge, saying why."""
    if not (comment or "").strip():
        raise ValidationFailed({"comment": ["say why the merge is refused"]})
    return _decide(graph, supervisor_actor, request_uid, "returned", comment)


_UNMERGE = """
MATCH (o:SubjectRecord {uid: $other})-[r:SUB_RECORD_OF {status: 'active'}]->(m:SubjectRecord)
WITH o, r, m, r.uid AS link_uid, properties(r) AS link
DELETE r
REMOVE o.master_uid
RETURN m.uid AS master_uid, link_uid, link
"""


def unmerge(graph: Graph, actor: Actor, other_uid: str, reason: str) -> dict:
    """Undo a merge: remove the SUB_RECORD_OF link and `master_uid`, restoring the graph exactly; audited.

    The actor must be able to read the sub-record, checked first: a record they may not read answers
    exactly as a missing one, never "is not a sub-record" or "only the owner...". Refusals are audited.
    """
    why = _reason(reason)

    def work(tx):
        tx.run(_LOCK, uids=[other_uid]).consume()
        error = _unreadable(tx, actor, [other_uid], "unmerge")
        if error is not None:
            return None, error
        other = _load(tx, other_uid)
        if not other["masters"]:
            raise Conflict(f"record {other_uid} is not a sub-record")
        master = _load(tx, other["masters"][0])
        if not (_owned_by(actor, other["props"]) or _owned_by(actor, master["props"])):
            raise Forbidden("only the owner of either record, or their supervisor, may unmerge")
        rec = tx.run(_UNMERGE, other=other_uid).single()
        link = {k: iso(v) for k, v in rec["link"].items()}
        audit.record(tx, actor, "unmerge", [rec["master_uid"], other_uid],
                     details={"master_uid": rec["master_uid"], "other_uid": other_uid, "reason": why,
                              "link": link})
        shown = _shown_master(rec["master_uid"], rules.readable_uids(tx, actor, [rec["master_uid"]]))
        return {"status": "unmerged", "master_uid": shown, "other_uid": other_uid}, None

    return _checked(graph, actor, "unmerge", [other_uid], work)


def dismiss(graph: Graph, actor: Actor, a_uid: str, b_uid: str, reason: str) -> dict:
    """Record that two records are NOT the same individual (the pair's hit becomes dismissed).

    The actor must be able to read both records, checked first (a hidden record answers as a missing
    one); then only the owner of either, or their supervisor, may dismiss. Refusals are audited.
    """
    why = _reason(reason)
    if a_uid == b_uid:
        raise ValidationFailed({"b_uid": ["a record cannot be dismissed against itself"]})

    def work(tx):
        error = _unreadable(tx, actor, [a_uid, b_uid], "dismiss")
        if error is not None:
            return None, error
        a, b = _load(tx, a_uid), _load(tx, b_uid)
        if not (_owned_by(actor, a["props"]) or _owned_by(actor, b["props"])):
            raise Forbidden("only the owner of either record, or their supervisor, may dismiss the pair")
        rec = tx.run("""
            MATCH (a:SubjectRecord {uid: $a}) MATCH (b:SubjectRecord {uid: $b})
            MERGE (h:DeconflictionHit {pair_key: $pair})
            ON CREATE SET h.uid = $uid, h.created_at = datetime(), h.created_by = $actor, h.entity_type = $type,
                          h.new_uid = $a, h.existing_uid = $b, h.status = 'open'
            MERGE (h)-[:HIT_ON]->(a) MERGE (h)-[:HIT_ON]->(b)
            WITH h
            CREATE (j:Judgement {uid: randomUUID(), hit_uid: h.uid, pair_key: h.pair_key, decision: 'dismissed',
                                 previous_status: h.status, reason: $reason, by: $actor, at: datetime()})
            SET h.status = 'dismissed', h.reviewed_by = $actor, h.reviewed_at = datetime(), h.review_reason = $reason
            RETURN h.uid AS uid""",
            a=a_uid, b=b_uid, pair=deconflict.pair_key(a_uid, b_uid), uid=uuid.uuid4().hex, actor=actor.uid,
            type=a["type"], reason=why).single()
        audit.record(tx, actor, "resolve", [rec["uid"], a_uid, b_uid],
                     details={"decision": "dismissed", "reason": why})
        return {"status": "dismissed", "hit_uid": rec["uid"]}, None

    return _checked(graph, actor, "dismiss", [a_uid, b_uid], work)


# ---------------------------------------------------------------------------------------------
# A create that matches: a sub-record of the master, or a separate record with a stated reason
# ---------------------------------------------------------------------------------------------

#: Input keys of a create (API, browser form, import line) that settle a match.
SETTLE_KEYS = ("sub_record_of", "separate_reason")


class NeedsDecision(Conflict):
    """A new record `match`es records the creator may read (CCMS PIA §2.4: "If there is an existing
    Subject Record, the user is only able to create sub-records and link the information to the
    master"): it is created as a sub-record of one (`sub_record_of`), or separately with a stated
    reason (`separate_reason`). Carries the matches, as `deconfliction.hit_view` shows them."""


def settle_choice(data: dict) -> tuple[dict, str | None, str | None]:
    """(the record's own fields, sub_record_of, separate_reason) from a create's input; validated."""
    rest = {k: v for k, v in data.items() if k not in SETTLE_KEYS}
    master = data.get("sub_record_of")
    reason = data.get("separate_reason")
    errors: dict = {}
    if master is not None and (not isinstance(master, str) or not 1 <= len(master.strip()) <= 64):
        errors["sub_record_of"] = ["the uid of the master record"]
    if reason is not None and (not isinstance(reason, str) or not 3 <= len(reason.strip()) <= 2000):
        errors["separate_reason"] = ["say why this is a separate record, in 3 to 2000 characters"]
    if master and reason:
        errors["separate_reason"] = ["give either sub_record_of or separate_reason, not both"]
    if errors:
        raise ValidationFailed(errors)
    return rest, (master.strip() if master else None), (reason.strip() if reason else None)


#: Records kept apart from their matches on purpose: [{uid, reason, others}] (one create, or an import batch).
_SEPARATE = """
UNWIND $rows AS x
MATCH (n:SubjectRecord {uid: x.uid})
SET n.separate_reason = x.reason, n.separate_from = x.others, n.separate_by = $actor, n.separate_at = datetime()
"""


def settle(tx, actor: Actor, uid: str, hits: list[dict], master_uid: str | None, reason: str | None) -> dict:
    """Settle a record just created in `tx` against its hits; {"sub_record_of"}, {"separate_reason"} or {}.

    CCMS PIA §2.4: "If there is an existing Subject Record, the user is only able to create
    sub-records and link the information to the master". `master_uid` links the new record under
    that master (or under its master, if it is itself a sub-record), audited as a merge; `reason`
    keeps it separate, stored on the record and audited. A record that `match`es records the
    creator may read and states neither raises NeedsDecision, and the caller's transaction rolls
    back: never a silent duplicate. A match the creator may not read does not block (it cannot be
    linked to): its owner was told, and the creator was told whom to contact.
    """
    matches = [h for h in hits if not h["restricted"] and h["decision"] == deconflict.model.MATCH]
    if master_uid:
        other = _load(tx, uid)
        # Under its own master, where the creator may read that one; a hidden master is never named.
        masters, problems = chosen_masters(tx, actor, other["type"], {uid: master_uid})
        if problems:
            raise ValidationFailed({"sub_record_of": [problems[uid]]})
        master = _load(tx, masters[uid])
        _check_pair(tx, actor, master, other)
        done = _do_merge(tx, actor, master, other, "created as a sub-record of an existing Subject Record")
        return {"sub_record_of": done["master_uid"]}
    if reason:
        others = sorted(h["uid"] for h in matches)
        tx.run(_SEPARATE, rows=[{"uid": uid, "reason": reason, "others": others}], actor=actor.uid).consume()
        audit.record(tx, actor, "create", [uid, *others],
                     details={"kind": "separate_record", "reason": reason, "matches": others})
        return {"separate_reason": reason}
    if matches:
        raise NeedsDecision(
            "a Subject Record for this individual already exists: create this one as its sub-record "
            "(sub_record_of) or say why it is a separate record (separate_reason)", matches=matches)
    return {}


_CHOSEN = """
UNWIND $uids AS uid
MATCH (n:SubjectRecord {uid: uid})
RETURN uid, [l IN labels(n) WHERE l IN $types][0] AS type,
       coalesce(head([(n)-[:SUB_RECORD_OF {status: 'active'}]->(m) | m.uid]), uid) AS master
"""


def chosen_masters(tx, actor: Actor, type_name: str, chosen: Mapping[K, str]) -> tuple[dict[K, str], dict[K, str]]:
    """For each key's chosen `sub_record_of`, the master a record of `type_name` goes under (the chosen
    record, or its own master where the chosen one is a sub-record), and why a choice cannot take it: a
    record the actor may not read or none ("no record X", the same words for both), one of another type,
    or a sub-record whose master the actor may not read (never named). ({key: master}, {key: problem})."""
    wanted = set(chosen.values())
    readable = rules.readable_uids(tx, actor, wanted) if wanted else set()
    found = {r["uid"]: r for r in tx.run(_CHOSEN, uids=sorted(readable), types=list(ENTITY_TYPES))} if readable else {}
    above = {r["master"] for r in found.values() if r["master"] != r["uid"]}
    shown = rules.readable_uids(tx, actor, above) if above else set()
    masters: dict[K, str] = {}
    problems: dict[K, str] = {}
    for key, uid in chosen.items():
        rec = found.get(uid)
        if rec is None:
            problems[key] = f"no record {uid}"
        elif rec["type"] != type_name:
            problems[key] = f"a {type_name} cannot be a sub-record of a {rec['type']}"
        elif rec["master"] != uid and rec["master"] not in shown:
            problems[key] = f"record {uid} is itself a sub-record of another record; merge into that master instead"
        else:
            masters[key] = rec["master"]
    return masters, problems


_MASTERS_OF = """
UNWIND $uids AS uid
MATCH (n:SubjectRecord {uid: uid})
RETURN uid, coalesce(head([(n)-[:SUB_RECORD_OF {status: 'active'}]->(m) | m.uid]), uid) AS master
"""

_ATTACH = """
UNWIND $pairs AS p
MATCH (o:SubjectRecord {uid: p.other}) MATCH (m:SubjectRecord {uid: p.master})
WHERE NOT (o)-[:SUB_RECORD_OF {status: 'active'}]->()
CREATE (o)-[r:SUB_RECORD_OF]->(m)
SET r.uid = p.link, r.created_at = datetime(), r.created_by = $actor, r.reason = p.reason,
    r.source = 'import', r.status = 'active'
SET o.master_uid = m.uid
RETURN o.uid AS other, m.uid AS master
"""


def settle_batch(tx, actor: Actor, type_name: str, order: list[str], hits: dict[str, list[dict]],
                 choices: dict[str, tuple[str | None, str | None]]) -> dict[str, dict]:
    """`settle` for a batch of records just imported in `tx`, set-wise; uid -> {"sub_record_of"} or
    {"separate_reason"} or {}.

    An import cannot ask, so a line that `match`es records the importer may read and states neither
    choice becomes a sub-record of its best such match's master (a match among the batch's own
    records counts only when it comes earlier in `order`, so the batch never links in a circle).
    A line's `sub_record_of` must name a record of its type the importer may read (`chosen_masters`).
    One audit entry names every link and every stated reason.
    """
    position = {u: i for i, u in enumerate(order)}
    choice = {u: choices.get(u, (None, None)) for u in order}
    matches = {u: [h for h in hits.get(u, []) if not h["restricted"] and h["decision"] == deconflict.model.MATCH
                   and position.get(h["uid"], -1) < position[u]] for u in order}
    separate: list[dict] = [{"uid": u, "reason": choice[u][1], "others": sorted(h["uid"] for h in matches[u])}
                            for u in order if choice[u][1]]
    explicit: dict[str, str] = {u: m for u in order if (m := choice[u][0]) and not choice[u][1]}
    _, problems = chosen_masters(tx, actor, type_name, explicit)
    if problems:  # the import refuses such lines before it writes (`chosen_masters`); this is the last guard
        raise ValidationFailed({"sub_record_of": [problems[u] for u in order if u in problems]})
    found = {u: ms for u, ms in matches.items() if ms and u not in explicit and not choice[u][1]}
    targets = set(explicit.values()) | {h["uid"] for ms in found.values() for h in ms}
    masters = {r["uid"]: r["master"] for r in tx.run(_MASTERS_OF, uids=sorted(targets))} if targets else {}
    # A record whose master the importer may not read cannot take the line: linked under that master, the
    # line would name it. Chosen by the line, it is refused in the words `_check_pair` uses; found by the
    # import, the line goes under its best match whose master is readable, or stays unsettled, as when its
    # matches are themselves unreadable (their owners are told).
    above = {m for t, m in masters.items() if m != t}
    hidden = above - (rules.readable_uids(tx, actor, above) if above else set())
    wanted = dict(explicit)
    for u, ms in found.items():
        open_ = [h for h in ms if masters.get(h["uid"]) not in hidden]
        if open_:
            wanted[u] = max(open_, key=lambda h: h["score"])["uid"]
    # A master named earlier in the batch was itself linked above: follow it to its own master.
    resolved: dict[str, str] = {}
    for uid in order:
        if uid in wanted:
            target = masters.get(wanted[uid], wanted[uid])
            resolved[uid] = resolved.get(target, target)
    pairs = [{"other": u, "master": m, "link": uuid.uuid4().hex,
              "reason": "imported: matches an existing Subject Record"} for u, m in resolved.items() if u != m]
    linked = {r["other"]: r["master"] for r in tx.run(_ATTACH, pairs=pairs, actor=actor.uid)} if pairs else {}
    if separate:
        tx.run(_SEPARATE, rows=separate, actor=actor.uid).consume()
    if linked or separate:
        audit.record(tx, actor, "merge", [*linked, *linked.values(), *(s["uid"] for s in separate)],
                     details={"kind": "import_settlement", "sub_records": [[o, m] for o, m in linked.items()],
                              "separate": [[s["uid"], s["reason"]] for s in separate]})
    out: dict[str, dict] = {u: {} for u in order}
    for o, m in linked.items():
        out[o] = {"sub_record_of": m}
    for s in separate:
        out[s["uid"]] = {"separate_reason": s["reason"]}
    return out
