"""Deconfliction use cases: hits on create, update and import, query before create, and hit review.

What a user learns about a matching record depends on whether they may read it (the policy's
`scopes.subject_readable`, evaluated inside the candidate query):

* readable: the hit's score, decision, explanation, the record's caption, its case numbers (those
  the user may read) and the owning agent's name, office, phone and e-mail;
* not readable (a restricted case the user is not on, another office's record): only that a match
  exists and whom to contact — `{"hit_uid", "type", "restricted": True, "owner": {...}}`, with no
  uid, name, score, case number or explanation.

`hit_view` is the ONE function that makes that choice: every answer that carries a hit or a candidate
(create, update and import hits, query before create, the check of records not stored, the list of hits,
a review's answer, a hit's judgements) is built by it, so a new answer cannot forget the redaction. A
stored hit is seen from the actor's side (`_stored_views`): their record, and the other side through
`hit_view`; a review's reason is shown where the other side is readable or the reviewer is the actor
(or someone below them), since a reviewer on the hidden side may have written about their record.

The owner of each matched record is notified (kind "deconfliction_hit") when a new hit is raised,
unless the owner is the one who created the record. Everything happens in the caller's transaction,
audited as "deconflict" (hits and checks of records that are not stored), "search" (query before
create), "view" (the list of hits to review) or "resolve" (a judgement on a hit); a refusal is
audited as "deny".
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from ... import metrics
from ...db import Graph
from ...errors import ValidationFailed
from ...matching import blocking, deconflict, frequencies
from ...nodes.vocabulary import ENTITY_TYPES, caption
from ...policy import rules, scopes
from ...policy.actor import Actor
from ...policy.rules import actor_params
from ...validation import validate_record
from ..common import plain
from ..oversight import audit, checks, notifications

#: Candidates per record when records are stored (create, update, import): the best-ranked ones.
#: Identifier, phone, e-mail and evidence-key hits rank first, then shared dates of birth and each
#: index's best seats; the long tail of common-surname look-alikes scored no_match at 1M anyway.
BATCH_CAP = 40
#: Decisions a reviewer may record on a hit.
REVIEW_DECISIONS = ("confirmed_same", "dismissed")
#: At most this many uids are named in one audit entry of a check (its counts are always complete).
AUDIT_UID_CAP = 1000

_CONTACTS = f"""
UNWIND $uids AS uid
MATCH (n:SubjectRecord {{uid: uid}})
OPTIONAL MATCH (u:User {{uid: n.owner_uid}})
OPTIONAL MATCH (o:Office {{code: u.office_code}})
RETURN uid,
       CASE WHEN u IS NULL THEN null ELSE
         {{uid: u.uid, name: u.name, office_code: u.office_code, office: o.name, phone: u.phone,
          email: u.email}} END AS owner,
       [(n)-[:SUBJECT_IN {{status: 'active'}}]->(c:Case) WHERE {scopes.case_readable("c")} | c.case_number]
         AS cases
"""


def contacts(tx, actor: Actor, uids: list[str]) -> dict[str, dict]:
    """uid -> {"owner": contact of the record's owner, "cases": case numbers the actor may read}."""
    if not uids:
        return {}
    rows = tx.run(_CONTACTS, uids=sorted(set(uids)), **actor_params(actor))
    return {r["uid"]: {"owner": r["owner"], "cases": sorted(c for c in r["cases"] if c)} for r in rows}


def hit_view(type_name: str, cand: dict, contact: dict | None, hit_uid: str | None = None) -> dict:
    """What the actor is shown about one matching record (see the module doc for the two shapes).

    The one redaction of hits: `cand` is {uid, props, readable, score, decision, explanation}, with
    `readable` decided by the policy inside the query that found it; nothing of an unreadable record but
    its type and its owner's contact leaves here."""
    contact = contact or {"owner": None, "cases": []}
    if not cand["readable"]:
        return {"hit_uid": hit_uid, "type": type_name, "restricted": True, "owner": contact["owner"]}
    props = cand["props"]
    return {
        "hit_uid": hit_uid, "type": type_name, "restricted": False, "uid": cand["uid"],
        "caption": caption(type_name, props), "source_ref": props.get("source_ref"),
        "score": round(float(cand["score"]), 6), "decision": cand["decision"],
        "decisive": cand.get("decisive", []), "explanation": cand["explanation"],
        "cases": contact["cases"], "owner": contact["owner"],
    }


def _actor_contact(actor: Actor) -> dict:
    return {"name": actor.name, "office_code": actor.office_code, "phone": actor.phone, "email": actor.email}


def search_before_write(tx, actor: Actor, type_name: str, records: list[dict],
                        probes: list[dict] | None = None, writing: Iterable[str] = ()) -> list[list[dict]]:
    """The stored records' candidates for records about to be written in `tx`, for `after_write(gathered=)`:
    found light and `screen`ed (the ones worth scoring completed), so the write only scores them.

    The batch path asks here before it writes: Lucene answers a transaction that already holds
    changes to indexed nodes from an index of those changes built per query, several times slower.
    `writing` names the records another transaction is writing meanwhile (the batch before): they
    are left out, seen or not, and the caller finds them in memory (`blocking.within`).
    """
    params, readable = actor_params(actor), scopes.subject_readable("n")
    found = deconflict.gather(tx, type_name, records, params=params, readable=readable, cap=BATCH_CAP, light=True,
                              probes=probes, hidden=writing)
    return deconflict.screen(tx, type_name, records, found, params=params, readable=readable)


def after_write(tx, actor: Actor, type_name: str, uids: list[str], config: deconflict.Config, *,
                operation: str = "create", fresh: dict[str, dict] | None = None,
                gathered: list[list[dict]] | None = None,
                seen: frequencies.NameCounts | None = None) -> dict[str, list]:
    """Deconflict records just created or updated in `tx`: store hits, notify owners, audit; uid -> hits.

    Called by `records.create_entity`, `records.update_entity` and the import, in their transaction.
    `fresh` (uid -> matching record) gives records just created, as the caller built them, so they
    are not read back (a new record has no sub-records to leave out). `gathered` (the import, with
    `fresh`) gives their candidates already found, in `uids` order: the stored records'
    (`search_before_write`) and the import's own (`blocking.within`); `seen` then counts the names of
    the import's whole file (`deconflict.context`).
    """
    if type_name not in ENTITY_TYPES or not uids:
        return {}
    if fresh is None:
        loaded = blocking.load_records(tx, type_name, uids)
    else:
        loaded = {u: {"record": fresh[u], "family": []} for u in uids if u in fresh}
    order = [u for u in uids if u in loaded]
    batch = [loaded[u]["record"] for u in order]
    with metrics.DECONFLICTION_SECONDS.labels(operation).time():
        if gathered is not None:
            if fresh is None or len(gathered) != len(uids) or len(order) != len(uids):
                raise ValueError("gathered candidates must cover every fresh record, in order")
            ctx = deconflict.context(tx, type_name, config, seen=seen)
            found = deconflict.judge(tx, type_name, batch, gathered, config=config, hits_only=True, explain=False,
                                     ctx=ctx)
        else:
            found = deconflict.find(
                tx, type_name, batch, excludes=[[u, *loaded[u]["family"]] for u in order],
                params=actor_params(actor), readable=scopes.subject_readable("n"), config=config, hits_only=True,
                cap=BATCH_CAP, explain=False)
        deconflict.explain(c for scored in found for c in scored if c["decision"] in deconflict.HIT_DECISIONS)
    stored = deconflict.store_hits_of(tx, actor.uid, type_name, dict(zip(order, found, strict=True)))
    per_record: dict[str, list[tuple[dict, dict]]] = {}
    for uid, scored in zip(order, found, strict=True):
        by_uid = {c["uid"]: c for c in scored}
        per_record[uid] = [(h, by_uid[h["existing_uid"]]) for h in stored[uid]]
    everyone = sorted({c["uid"] for pairs in per_record.values() for _, c in pairs})
    info = contacts(tx, actor, everyone)
    out: dict[str, list] = {}
    told = []
    for uid, pairs in per_record.items():
        out[uid] = [hit_view(type_name, c, info.get(c["uid"]), h["uid"]) for h, c in pairs]
        for h, c in pairs:
            owner = (info.get(c["uid"]) or {}).get("owner")
            if h["created"] and owner and owner["uid"] != actor.uid:
                told.append((owner["uid"], "deconfliction_hit", {
                    "hit_uid": h["uid"], "record_uid": c["uid"], "record_type": type_name, "decision": c["decision"],
                    **notifications.actor_fields(actor), "contact": _actor_contact(actor),
                    "message": f"{actor.name} ({actor.office_code or 'no office'}) created a {type_name} record "
                               f"that matches your record; contact them to deconflict"}))
    notified = len(notifications.notify_all(tx, told))
    hit_uids = sorted({h["uid"] for pairs in per_record.values() for h, _ in pairs})
    audit.record(tx, actor, "deconflict", [*order, *hit_uids],
                 details={"type": type_name, "operation": operation, "records": len(order),
                          "hits": len(hit_uids), "owners_notified": notified})
    return out


#: How long before a write another may have begun and still commit after it: the server's longest
#: transaction (`db.transaction.timeout`, `neo4j_server`), in seconds.
RACE_WINDOW_SECONDS = 120

# What was written to subject records since a moment, from the subject_updated range index alone (no
# record is read): how many records carry each millisecond of `updated_at`. A write's rows share its
# statement's moment and an edit moves its record to a later one, so of two such counts, one taken
# before a write's search and one after its commit, every millisecond that differs holds all the
# records committed in between (and may hold others, which only costs a closer look at them). One
# row of two lists: the driver's cost is per row, and the window may hold thousands of milliseconds.
_WRITTEN = """
MATCH (n:SubjectRecord) WHERE n.updated_at >= datetime($since)
WITH n.updated_at.epochMillis AS at, count(*) AS n
RETURN collect(at) AS at, collect(n) AS n
"""
_SINCE = "RETURN toString(datetime() - duration({seconds: $window})) AS since"
# The records of a type written in those milliseconds, but for the writer's own: a create's or an
# edit's record (`mine`), an import run's rows (their `import_run` is `run`).
_WRITTEN_AT = """
UNWIND $times AS t
MATCH (n:SubjectRecord) WHERE datetime({epochMillis: t}) <= n.updated_at < datetime({epochMillis: t + 1})
                          AND $label IN labels(n) AND NOT n.uid IN $mine
                          AND ($run IS NULL OR coalesce(n.import_run, '') <> $run)
RETURN collect(n.uid) AS uids
"""

#: `written_beside`'s answer: (a moment RACE_WINDOW_SECONDS ago, records written since per millisecond).
Beside = tuple[str, dict[int, int]]


def written_beside(tx) -> Beside:
    """A write's view of the subject records written lately, taken before it searches for candidates
    (in a create's or an edit's transaction, in an import batch's read). `recheck` and `recheck_batch`
    look again after the commit."""
    since = tx.run(_SINCE, window=RACE_WINDOW_SECONDS).single()["since"]
    return since, _written(tx, since)


def _written(tx, since: str) -> dict[int, int]:
    r = tx.run(_WRITTEN, since=since).single()
    return dict(zip(r["at"], r["n"], strict=True))


def _written_since(tx, type_name: str, beside: Beside, mine: Iterable[str] = (), run: str | None = None
                   ) -> list[str]:
    """The records of the type others committed since `beside` was taken (a superset: see `_WRITTEN`)."""
    since, before = beside
    now = _written(tx, since)
    times = sorted(t for t, n in now.items() if before.get(t) != n)
    if not times:
        return []
    return tx.run(_WRITTEN_AT, times=times, label=type_name, mine=list(mine), run=run).single()["uids"]


def recheck(graph: Graph, actor: Actor, type_name: str, uid: str, config: deconflict.Config,
            beside: Beside) -> dict[str, list] | None:
    """Deconflict a just-committed record again when another write of its type committed while it was
    written: uid -> every hit, as `after_write` answers; None when none did (the usual case).

    Two writes of one individual at once (creates, updates, imports' batches) each search the store
    before the other commits, so neither sees the other unless they share a selector node (whose MERGE
    serialises them). A record the search could not see was created or changed within
    RACE_WINDOW_SECONDS, so after the commit it is among those written in a millisecond whose count
    differs from `beside` (`written_beside`, taken before the search). Of two such writes the later
    to commit finds the earlier here: the pair becomes a hit, its owners are told and it is audited
    ("deconflict", operation "recheck"), as any hit is; hits already raised are neither stored nor
    notified again.
    """
    others = graph.read(lambda tx: _written_since(tx, type_name, beside, mine=[uid]))
    return _search_again(graph, actor, type_name, [uid], config) if others else None


def recheck_batch(graph: Graph, actor: Actor, type_name: str, fresh: dict[str, dict], run: str,
                  config: deconflict.Config, beside: Beside) -> dict[str, list] | None:
    """`recheck` for an import's batch (`fresh`: uid -> matching record; `run`: its rows' `import_run`,
    `beside` from `written_beside`): it knows which records others wrote or changed since its search,
    and searches again only its lines that would be a hit on one of those (`_touched`)."""

    def changed(tx) -> list[str]:
        others = _written_since(tx, type_name, beside, run=run)
        return _touched(tx, type_name, list(fresh), fresh, others, config) if others else []

    uids = graph.read(changed)
    return _search_again(graph, actor, type_name, uids, config) if uids else None


def _search_again(graph: Graph, actor: Actor, type_name: str, uids: list[str], config: deconflict.Config
                  ) -> dict[str, list]:
    return graph.write(lambda tx: after_write(tx, actor, type_name, uids, config, operation="recheck"))


def _touched(tx, type_name: str, uids: list[str], fresh: dict[str, dict], others: list[str],
             config: deconflict.Config) -> list[str]:
    """Those of `uids` (`fresh`: their matching records) that would be a hit (`possible` or better) on
    one of the stored records `others`: paired by the index's keys in memory (`blocking.within`) and
    scored. Only these need the full search again (which also shapes each hit for the actor's scope)."""
    loaded = blocking.load_records(tx, type_name, others)
    order = [u for u in others if u in loaded]
    if not order:
        return []
    found = blocking.within(type_name, [*(loaded[u]["record"] for u in order), *(fresh[u] for u in uids)],
                            [*order, *uids], [*(loaded[u]["props"] for u in order), *({} for _ in uids)],
                            start=len(order))
    theirs = set(order)
    paired = [[c for c in cands if c["uid"] in theirs] for cands in found]
    if not any(paired):
        return []
    scored = deconflict.judge(tx, type_name, [fresh[u] for u in uids], paired, config=config, hits_only=True,
                              explain=False)
    return [u for u, cands in zip(uids, scored, strict=True)
            if any(c["decision"] in deconflict.HIT_DECISIONS for c in cands)]


# ---------------------------------------------------------------------------------------------
# Query before create
# ---------------------------------------------------------------------------------------------


def _partial_record(type_name: str, partial: dict) -> dict:
    if type_name not in ENTITY_TYPES:
        raise ValidationFailed({"type": [f"unknown entity type {type_name!r}"]})
    clean = validate_record(type_name, partial, partial=True, dob_as_written=True)  # what is typed so far
    clean.pop("ref", None)
    return blocking.matching_record(type_name, clean, clean.get("phones") or (), clean.get("emails") or (),
                                    clean.get("addresses") or (), clean.get("social_handles") or (),
                                    blocking.account_keys(clean))


def search_candidates(graph: Graph, actor: Actor, entity_type: str, partial_record: dict, limit: int = 20) -> list[dict]:
    """Query before create: ranked candidates for partial details, best first, audited as a search.

    Readable candidates come with score, decision and explanation; a record the actor may not read
    is listed (contact only) when it scores `possible` or better, and left out otherwise. The owner of
    each candidate at `possible` or better is told (kind "query"), once a day per searcher and record,
    since the form asks again at every pause in typing.
    """
    checks.guard(graph, actor, "query_before_create")
    if not 1 <= int(limit) <= 100:
        raise ValidationFailed({"limit": ["use 1 to 100"]})
    record = _partial_record(entity_type, partial_record)

    def work(tx):
        (scored,) = deconflict.find(tx, entity_type, [record], params=actor_params(actor),
                                    readable=scopes.subject_readable("n"), prefix=True,
                                    config=deconflict.Config.of(graph.settings), explain=False)
        shown = [c for c in scored if c["readable"] or c["decision"] in deconflict.HIT_DECISIONS][:int(limit)]
        deconflict.explain(shown)
        info = contacts(tx, actor, [c["uid"] for c in shown])
        out = [hit_view(entity_type, c, info.get(c["uid"])) for c in shown]
        audit.record(tx, actor, "search", [c["uid"] for c in shown],
                     details={"kind": "query_before_create", "type": entity_type,
                              "criteria": sorted(k for k, v in partial_record.items() if v not in (None, "", [])),
                              "results": len(out), "restricted": sum(1 for h in out if h["restricted"])})
        for c in shown:
            if c["decision"] in deconflict.HIT_DECISIONS:
                notifications.notify_owner_daily(
                    tx, actor, c["props"].get("owner_uid"), "query", c["uid"], record_type=entity_type,
                    record_caption=caption(entity_type, c["props"]), displayed=c["readable"],
                    message="a record being created looks like yours (query before create)")
        return out

    return graph.write(work)


def check_records(graph: Graph, actor: Actor, entity_type: str, records: list[dict], cap: int = 20, *,
                  include_no_match: bool = True, checked: dict | None = None) -> list[list[dict]]:
    """Candidates for records that are not stored (the `deconflict` command): scored, best first.

    Nothing is stored, but what is returned is audited: the candidate query and one "deconflict"
    entry run in ONE write transaction, so no candidate leaves unless its entry committed. The entry
    names the candidates returned (readable and restricted alike; the first `AUDIT_UID_CAP` uids, with
    complete counts) and what was checked (how many records, plus the caller's `checked`, e.g. the
    lines and refs of a file). A candidate the actor may not read is returned only at `possible` or
    better (contact only); `include_no_match=False` drops readable no-match ones too, and then only the
    candidates that could reach `possible` are scored (`deconflict.worth_scoring`, the import's first
    stage: a file is checked as its import would judge it, without scoring a hundred candidates a
    line). Each candidate is answered as `hit_view` shapes it. Owners are not notified: nothing was
    created, as in query before create.
    """
    if entity_type not in ENTITY_TYPES:
        raise ValidationFailed({"type": [f"unknown entity type {entity_type!r}"]})
    checks.guard(graph, actor, "deconflict")
    matching = [blocking.matching_record(entity_type, r, r.get("phones") or (), r.get("emails") or (),
                                         r.get("addresses") or (), r.get("social_handles") or (),
                                         blocking.account_keys(r)) for r in records]

    def kept(c: dict) -> bool:
        if c["decision"] in deconflict.HIT_DECISIONS:
            return True
        return c["readable"] and include_no_match

    def work(tx):
        found = deconflict.find(tx, entity_type, matching, params=actor_params(actor),
                                readable=scopes.subject_readable("n"), config=deconflict.Config.of(graph.settings),
                                hits_only=not include_no_match, explain=False)
        out = [[c for c in scored if kept(c)][:cap] for scored in found]
        deconflict.explain(c for cands in out for c in cands)
        uids = [c["uid"] for cands in out for c in cands]
        unique = list(dict.fromkeys(uids))
        audit.record(tx, actor, "deconflict", unique[:AUDIT_UID_CAP],
                     details={**(checked or {}), "kind": "check", "type": entity_type, "records": len(records),
                              "records_with_candidates": sum(1 for cands in out if cands),
                              "candidates": len(uids), "candidate_records": len(unique),
                              "restricted": sum(1 for cands in out for c in cands if not c["readable"]),
                              "uids_named": min(len(unique), AUDIT_UID_CAP)})
        info = contacts(tx, actor, unique)
        return [[hit_view(entity_type, c, info.get(c["uid"])) for c in cands] for cands in out]

    return graph.write(work)


# ---------------------------------------------------------------------------------------------
# Hit review: confirm the pair is the same individual, or dismiss it — with who, when and why
# ---------------------------------------------------------------------------------------------

_HIT = """
MATCH (h:DeconflictionHit {uid: $uid})
OPTIONAL MATCH (h)-[:HIT_ON]->(n:SubjectRecord)
RETURN properties(h) AS h, collect(n {.uid, .owner_uid}) AS records
"""

_REVIEW = """
MATCH (h:DeconflictionHit {uid: $uid})
SET h._lock = true REMOVE h._lock
WITH h
CREATE (j:Judgement {uid: randomUUID(), hit_uid: h.uid, pair_key: h.pair_key, decision: $decision,
                     previous_status: h.status, reason: $reason, by: $actor, at: datetime()})
SET h.status = $decision, h.reviewed_by = $actor, h.reviewed_at = datetime(), h.review_reason = $reason
"""

_STORED = f"""
UNWIND $pairs AS x
MATCH (h:DeconflictionHit {{uid: x.hit}})-[:HIT_ON]->(mine:SubjectRecord {{uid: x.mine}})
MATCH (h)-[:HIT_ON]->(other:SubjectRecord) WHERE other <> mine
WITH x, h, mine, other, {scopes.subject_readable("other")} AS readable
RETURN x.hit AS hit, properties(h) AS h, CASE WHEN {scopes.subject_readable("mine")} THEN mine.uid END AS mine,
       other.uid AS other, readable, CASE WHEN readable THEN properties(other) END AS props
ORDER BY x.i
"""


def _hit(props: dict) -> dict:
    """A stored hit's properties, its explanation decoded (never an answer by itself: see `_stored_views`)."""
    out = plain(props)
    if isinstance(out.get("explanation_json"), str):
        out["explanation"] = json.loads(out.pop("explanation_json"))
    return out


def _may_review(actor: Actor, hit: dict, owners: list[str]) -> bool:
    return any(rules.owns_or_supervises(actor, p) for p in {hit.get("created_by"), *owners} if p)


def _mine(actor: Actor, hit: dict, records: list[dict]) -> str | None:
    """The side of a hit the actor stands on: a record they own or supervise, else the new record."""
    owned = sorted(r["uid"] for r in records if rules.owns_or_supervises(actor, r["owner_uid"]))
    return owned[0] if owned else hit.get("new_uid")


def _reason_shown(actor: Actor, other_readable: bool, by: str | None) -> bool:
    """A reviewer's words are shown where the other side is readable, or where the actor (or someone
    below them) wrote them: a reviewer on a hidden side may have written about their own record."""
    return other_readable or rules.owns_or_supervises(actor, by)


def _stored_views(tx, actor: Actor, pairs: list[tuple[str, str]]) -> list[dict]:
    """Stored hits [(hit uid, the actor's record uid)] as the actor sees them: `hit_view` of the other
    side, plus the hit's status, the actor's record (where readable) and its review."""
    rows = list(tx.run(_STORED, pairs=[{"i": i, "hit": h, "mine": m} for i, (h, m) in enumerate(pairs)],
                       **actor_params(actor)))
    info = contacts(tx, actor, [r["other"] for r in rows])
    out = []
    for r in rows:
        h = _hit(r["h"])
        readable = bool(r["readable"])
        cand = {"uid": r["other"], "props": r["props"] or {}, "readable": readable,
                "score": h.get("score") or 0.0, "decision": h.get("decision"),
                "explanation": h.get("explanation") or []}
        view = hit_view(h.get("entity_type") or "Person", cand, info.get(r["other"]), h["uid"])
        view.update(status=h.get("status"), record_uid=r["mine"], created_at=h.get("created_at"))
        if h.get("reviewed_at"):
            view.update(reviewed_by=h.get("reviewed_by"), reviewed_at=h.get("reviewed_at"))
            if _reason_shown(actor, readable, h.get("reviewed_by")):
                view["review_reason"] = h.get("review_reason")
        out.append(view)
    return out


def _reviewable(tx, actor: Actor, hit_uid: str) -> tuple[dict, list[dict]]:
    """The hit and its records, if the actor stands on either side of it (or above someone who does);
    NotFound otherwise, in the words of a missing hit."""
    rec = tx.run(_HIT, uid=hit_uid).single()
    if rec is None or rec["h"] is None:
        raise rules.not_found("deconfliction hit", hit_uid)
    if not _may_review(actor, rec["h"], [r["owner_uid"] for r in rec["records"]]):
        # A hit joins two records; to anyone not on either side it is no hit at all (the same answer as
        # a missing one), so a hit id never tells that a match exists.
        raise rules.not_found("deconfliction hit", hit_uid)
    return rec["h"], rec["records"]


def review_hit(graph: Graph, actor: Actor, hit_uid: str, decision: str, reason: str) -> dict:
    """Record a judgement on a hit: confirmed_same or dismissed, with who, when and why (kept as history).

    Only the people on either side of the hit, or their supervisors, may; a refusal (no such hit,
    not theirs) is audited ("deny"). The answer is the hit as the list of hits shows it to the
    reviewer (`_stored_views`, through `hit_view`): nothing of a side they may not read.
    """
    checks.guard(graph, actor, "review_hit", [hit_uid])
    if decision not in REVIEW_DECISIONS:
        raise ValidationFailed({"decision": [f"one of {', '.join(REVIEW_DECISIONS)}"]})
    if not (reason or "").strip() or len(reason) > 2000:
        raise ValidationFailed({"reason": ["say why (up to 2000 characters)"]})

    def work(tx):
        hit, records = _reviewable(tx, actor, hit_uid)
        tx.run(_REVIEW, uid=hit_uid, decision=decision, reason=reason.strip(), actor=actor.uid).consume()
        audit.record(tx, actor, "resolve", [hit_uid, *(r["uid"] for r in records)],
                     details={"hit": hit_uid, "decision": decision, "reason": reason.strip(),
                              "previous_status": hit.get("status")})
        (view,) = _stored_views(tx, actor, [(hit_uid, _mine(actor, hit, records))])
        return view

    return audit.write_or_refuse(graph, actor, "review_hit", [hit_uid], work)


_JUDGEMENTS = """
MATCH (j:Judgement {hit_uid: $uid}) RETURN properties(j) AS j ORDER BY j.at, j.uid
"""


def judgements(graph: Graph, actor: Actor, hit_uid: str) -> list[dict]:
    """Every judgement recorded on a hit, oldest first (who, when, the status before, and why where
    `_reason_shown` allows), for those who may review it; audited as a view (op "judgements"), a refusal
    as a denial."""
    checks.guard(graph, actor, "judgements", [hit_uid])

    def work(tx):
        hit, records = _reviewable(tx, actor, hit_uid)
        (view,) = _stored_views(tx, actor, [(hit_uid, _mine(actor, hit, records))])
        out = []
        for r in tx.run(_JUDGEMENTS, uid=hit_uid):
            j = plain(r["j"])
            shown = {k: j.get(k) for k in ("uid", "hit_uid", "decision", "previous_status", "by", "at")}
            if _reason_shown(actor, not view["restricted"], j.get("by")):
                shown["reason"] = j.get("reason")
            out.append(shown)
        audit.record(tx, actor, "view", [hit_uid], details={"op": "judgements", "judgements": len(out)})
        return out

    return audit.write_or_refuse(graph, actor, "judgements", [hit_uid], work)


_LIST = """
MATCH (h:DeconflictionHit)-[:HIT_ON]->(mine:SubjectRecord)
WHERE (mine.owner_uid = $me OR mine.owner_uid IN $subordinates) AND ($record IS NULL OR mine.uid = $record)
  AND ($status IS NULL OR h.status = $status)
MATCH (h)-[:HIT_ON]->(other:SubjectRecord) WHERE other <> mine
RETURN DISTINCT h.uid AS hit, mine.uid AS mine, h.created_at AS at
ORDER BY at DESC LIMIT 500
"""


def list_hits(graph: Graph, actor: Actor, record_uid: str | None = None, status: str | None = "open") -> list[dict]:
    """Hits on records the actor owns (or supervises), for review; the other side redacted as for the creator.

    The list shows the other side of each hit (its record, score and owner where the actor may read
    it, the owner's contact only where not), so it is an audited view: the query and one "view"
    entry (details op "hits") run in ONE write transaction. The entry names the hits shown and the
    records whose content was shown (the actor's own and the readable other sides); restricted hits
    are counted and named by hit only. An empty list shows nothing and writes no entry. The owners of
    the other records are NOT notified here: they were told when the hit was raised, and a reviewer
    opening their queue again is not news to them.
    """
    checks.guard(graph, actor, "hits", [record_uid] if record_uid else [])
    if status is not None and status not in deconflict.STATUSES:
        raise ValidationFailed({"status": [f"one of {', '.join(deconflict.STATUSES)}"]})

    def work(tx):
        rows = tx.run(_LIST, record=record_uid, status=status, **actor_params(actor))
        out = _stored_views(tx, actor, [(r["hit"], r["mine"]) for r in rows])
        if out:
            hits = list(dict.fromkeys(v["hit_uid"] for v in out))
            shown = list(dict.fromkeys([*(v["record_uid"] for v in out if v["record_uid"]),
                                        *(v["uid"] for v in out if not v["restricted"])]))
            restricted = list(dict.fromkeys(v["hit_uid"] for v in out if v["restricted"]))
            audit.record(tx, actor, "view", [*hits, *shown],
                         details={"op": "hits", "record_uid": record_uid, "status": status, "hits": len(hits),
                                  "records_shown": shown, "restricted_hits": restricted})
        return out

    return graph.write(work)


def record_blocked_create(graph: Graph, actor: Actor, type_name: str, matches: list[dict]) -> None:
    """A create refused for want of a decision (`resolution.NeedsDecision`) showed its matches: audit
    that as a search naming them, and tell their owners as query before create does (once a day per
    creator and record), in a transaction of its own, since the create's rolled back with its hits.
    The matches no longer name a hit (none was kept)."""
    for m in matches:
        m["hit_uid"] = None

    def work(tx):
        audit.record(tx, actor, "search", [m["uid"] for m in matches],
                     details={"kind": "create_needs_decision", "type": type_name, "results": len(matches)})
        for m in matches:
            notifications.notify_owner_daily(
                tx, actor, (m.get("owner") or {}).get("uid"), "query", m["uid"], record_type=type_name,
                record_caption=m.get("caption"), displayed=True,
                message="a record being created matches yours; its creator was asked to link it to yours")

    graph.write(work)
