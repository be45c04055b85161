"""Create, update, read and retire Subject Records, with their selectors and identifiers, in batches."""

from __future__ import annotations

import json

from neo4j.exceptions import ConstraintError
from unidecode import unidecode

from ...db import Graph
from ...errors import Conflict, NotFound, ValidationFailed
from ...matching import blocking, deconflict
from ...matching import identifiers as ids
from ...matching.addresses import address_key, place_key
from ...nodes.vocabulary import ENTITY_TYPES, FINANCIAL_SELECTORS, USER_LINK_TYPES, RecordType
from ...policy import rules
from ...policy.actor import Actor
from ...validation import parse_dob, validate_record
from ..casework.pending import lock
from ..common import new_uid, node_dict, now
from ..identity import deconfliction, financial, resolution
from ..oversight import audit, checks
from . import access

#: The first identifier of these types must be unique per record type (schema constraints).
UNIQUE_KEYS = {"Vehicle": ("vin", "vin_key"), "Vessel": ("imo", "imo_key"), "Aircraft": ("tail_number", "tail_key")}


def identifier_key(kind: str, value: str) -> str | None:
    """The indexed lookup key of an identifier, e.g. "ssn:123456789"; None when the value is not valid."""
    return ids.identifier_key(kind, value)


def normalize_phone(raw: str) -> str | None:
    """E.164 form of a phone number (US by default), or None if it is not a possible number."""
    return ids.normalize_identifier("phone", raw)


def address_display(addr: dict) -> str:
    return ", ".join(str(addr[k]) for k in ("line1", "line2", "city", "state", "postcode", "country")
                     if addr.get(k))


def _search_text(rtype: RecordType, props: dict) -> str:
    words: list[str] = []
    for f in rtype.fields:
        v = props.get(f.name)
        if v in (None, "", []):
            continue
        if f.kind == "json":
            words.extend(str(x.get("value", "")) for x in v)
        elif isinstance(v, list):
            words.extend(str(x) for x in v)
        else:
            words.append(str(v))
    return unidecode(" ".join(words)).lower()


def prepare(rtype: RecordType, clean: dict, uid: str) -> tuple[dict, dict]:
    """Split validated input into node properties and the selectors/identifiers to merge beside it, for the
    record `uid` (an address known without a street is that record's own place: `place_key`)."""
    props = {k: v for k, v in clean.items() if k in rtype.field_names}
    if rtype.name == "Person":
        props.update(parse_dob(props.get("dob")))
        props["name_text"] = unidecode(" ".join(
            props.get(k) or "" for k in ("given_name", "middle_name", "family_name"))).strip()
        props["aliases_text"] = unidecode(" | ".join(props.get("aliases") or []))
    if rtype.name == "Business":
        props["dbas_text"] = unidecode(" | ".join(props.get("dbas") or []))
    props["search_text"] = _search_text(rtype, props)
    # Blocking keys for deconfliction candidates, indexed by the `match_keys` full-text index.
    props[blocking.MATCH_KEYS_PROP] = blocking.match_keys_text(rtype.name, clean)
    idents: list[dict] = []
    errors: dict = {}
    for f in rtype.identifier_fields:
        value = props.get(f.name)
        if value and f.identifier:
            key = identifier_key(f.identifier, value)
            if key is None:
                hint = ids.FORMAT_HINTS.get(f.identifier)
                errors[f.name] = [f"{value!r} is not a valid {f.label}" + (f": {hint}" if hint else "")]
            else:
                idents.append({"key": key, "kind": f.identifier, "value": str(value)})
    for i, x in enumerate(props.get("identifiers") or []):
        key = identifier_key(ids.canonical_kind(x["type"]) or "other", x["value"])
        if key is None:
            errors.setdefault("identifiers", {})[i] = [f"{x['value']!r} is not a valid {x['type']}"]
        else:
            idents.append({"key": key, "kind": x["type"], "value": x["value"]})
    if "identifiers" in props:
        props["identifiers"] = json.dumps(props["identifiers"] or [])
    if rtype.name in UNIQUE_KEYS:
        field_name, key_prop = UNIQUE_KEYS[rtype.name]
        value, kind = props.get(field_name), rtype.field(field_name).identifier
        props[key_prop] = ids.normalize_identifier(kind, value) if value and kind else None
    selectors = {"phones": [], "emails": [], "addresses": [], "handles": [], "identifiers": idents}
    for i, raw in enumerate(clean.get("phones") or []):
        e164 = normalize_phone(raw)
        if e164 is None:
            errors.setdefault("phones", {})[i] = [f"{raw!r} is not a valid phone number"]
        else:
            selectors["phones"].append({"e164": e164, "display": raw})
    for raw in clean.get("emails") or []:
        selectors["emails"].append({"address": raw.strip().lower()})
    for i, addr in enumerate(clean.get("addresses") or []):
        key = address_key(addr) or place_key(uid, addr)
        if not key:
            errors.setdefault("addresses", {})[i] = ["an address needs a street line (line1), a city or a postcode"]
            continue
        selectors["addresses"].append({**{k: addr.get(k) for k in
                                          ("line1", "line2", "city", "state", "postcode", "country", "location")},
                                       "key": key, "display": address_display(addr)})
    for h in clean.get("social_handles") or []:
        platform = h["platform"].strip().lower()
        handle = h["handle"].strip().lstrip("@").lower()
        selectors["handles"].append({"key": f"{platform}:{handle}", "platform": platform, "handle": handle})
    for type_name, (_, name) in FINANCIAL_SELECTORS.items():
        selectors[name] = []
        for i, item in enumerate(clean.get(name) or []):
            try:
                parsed = ids.financial_selector(type_name, item)
            except ids.BadValue as exc:
                errors.setdefault(name, {})[i] = {exc.part: [str(exc)]}
                continue
            if parsed["key"] not in {x["key"] for x in selectors[name]}:
                selectors[name].append(parsed)
    props["search_text"] = " ".join([props["search_text"], *financial.search_words(selectors)]).strip()
    if errors:
        raise ValidationFailed(errors)
    return props, selectors


#: An identifier selector `x` ({key, kind, value}) merged on its key: the create's, the update's and the
#: unique-key lock's (`_HOLD`) statements all write it so.
MERGE_IDENTIFIER = "MERGE (i:Identifier {key: x.key}) ON CREATE SET i:Linkable, i.uid = randomUUID(), i.kind = x.kind, i.value = x.value"

# One statement creates a batch of records of one type with their selectors and case membership.
# Labels come from the vocabulary (an allow-list), never from input.
_CREATE = """
UNWIND $rows AS row
CREATE (n:{labels}:Linkable)
SET n = row.props, n.created_at = datetime(), n.updated_at = datetime()
WITH n, row
CALL (n, row) {{
  UNWIND row.sel.identifiers AS x
  {merge_identifier}
  MERGE (n)-[:HAS_IDENTIFIER]->(i)
}}
CALL (n, row) {{
  UNWIND row.sel.phones AS x
  MERGE (p:Phone {{e164: x.e164}}) ON CREATE SET p:Linkable, p.uid = randomUUID(), p.display = x.display
  CREATE (n)-[:USES_PHONE {{uid: randomUUID(), created_at: datetime(), created_by: $actor,
                            source: row.props.source, status: 'active'}}]->(p)
}}
CALL (n, row) {{
  UNWIND row.sel.emails AS x
  MERGE (e:Email {{address: x.address}}) ON CREATE SET e:Linkable, e.uid = randomUUID()
  CREATE (n)-[:USES_EMAIL {{uid: randomUUID(), created_at: datetime(), created_by: $actor,
                            source: row.props.source, status: 'active'}}]->(e)
}}
CALL (n, row) {{
  UNWIND row.sel.addresses AS x
  MERGE (a:Address {{key: x.key}}) ON CREATE SET a += x, a:Linkable, a.uid = randomUUID()
  CREATE (n)-[:{address_link} {{uid: randomUUID(), created_at: datetime(), created_by: $actor,
                               source: row.props.source, status: 'active'}}]->(a)
}}
CALL (n, row) {{
  UNWIND row.sel.handles AS x
  MERGE (h:SocialHandle {{key: x.key}}) ON CREATE SET h += x, h:Linkable, h.uid = randomUUID()
  CREATE (n)-[:USES_HANDLE {{uid: randomUUID(), created_at: datetime(), created_by: $actor,
                            source: row.props.source, status: 'active'}}]->(h)
}}
CALL (n, row) {{
  WITH n, row WHERE row.case_uid IS NOT NULL
  MATCH (c:Case {{uid: row.case_uid}})
  CREATE (n)-[:SUBJECT_IN {{uid: randomUUID(), created_at: datetime(), created_by: $actor,
                            source: row.props.source, status: 'active'}}]->(c)
  SET c.last_activity_at = datetime()
}}
"""

# One block per financial selector type (label and link from the vocabulary's allow-list).
_CREATE_FINANCIAL = """
CALL (n, row) {
  UNWIND row.sel.%(name)s AS x
  MERGE (s:%(label)s {key: x.key}) ON CREATE SET s += x, s:Linkable, s.uid = randomUUID()
  CREATE (n)-[:%(link)s {uid: randomUUID(), created_at: datetime(), created_by: $actor,
                        source: row.props.source, status: 'active'}]->(s)
}
"""


def create_statement(type_name: str) -> str:
    rtype = ENTITY_TYPES[type_name]
    return (_CREATE.format(labels=":".join(rtype.labels), merge_identifier=MERGE_IDENTIFIER,
                           address_link="RESIDES_AT" if type_name == "Person" else "LOCATED_AT")
            + "".join(_CREATE_FINANCIAL % {"name": name, "label": label, "link": link}
                      for label, (link, name) in FINANCIAL_SELECTORS.items())
            + "RETURN n.uid AS uid\n")


def build_row(type_name: str, data: dict, actor: Actor, *, case_uid: str | None = None,
              source: str = "manual", imported: bool = False, dob_as_written: bool = False) -> dict:
    """Validate one record's input and turn it into a row for the batch create statement. `dob_as_written`
    keeps a date of birth the forms would refuse, flagged (`validation.record_schema`): a file's line or
    a migrated record says what another system held."""
    rtype = ENTITY_TYPES[type_name]
    clean = validate_record(type_name, data, dob_as_written=dob_as_written)
    uid = new_uid()
    props, sel = prepare(rtype, clean, uid)
    props.update(
        uid=uid, created_by=actor.uid, updated_by=actor.uid, owner_uid=actor.uid,
        office_code=actor.office_code, approval_status="pending", source=source,
        source_ref=clean.get("ref"), version=1, deleted=False,
    )
    if imported:
        props["imported_at"] = now().isoformat()
    return {"props": {k: v for k, v in props.items() if v is not None}, "sel": sel, "case_uid": case_uid}


_TAKEN = "UNWIND $keys AS k MATCH (n:{label} {{{prop}: k}}) WHERE n.uid <> $own RETURN DISTINCT k"
# The identifier nodes of the keys, merged (as the create statement merges them) before `_TAKEN` reads:
# MERGE on the constraint's key takes its lock, so a concurrent transaction writing the same VIN waits
# here until this one commits and then finds the holder, instead of failing on the constraint.
_HOLD = f"""
UNWIND $idents AS x
{MERGE_IDENTIFIER}
"""


def _leave_taken_keys(tx, type_name: str, rows: list[dict], own: str = "") -> None:
    """One record per vehicle, vessel or aircraft holds its unique key (VIN, IMO, tail number): a row
    whose key a stored record (or an earlier row) already holds is created without it, so a copy
    from another case is stored, deconflicted (the equal identifier is a decisive match) and settled
    as a sub-record of the holder, instead of failing its whole batch on the constraint. An update of
    record `own` (one row) to a key another record holds likewise leaves it without one (its own
    earlier key cleared: the row says None), and is deconflicted against the holder."""
    if type_name not in UNIQUE_KEYS:
        return
    field_name, prop = UNIQUE_KEYS[type_name]
    keys = sorted({r["props"][prop] for r in rows if r["props"].get(prop)})
    if not keys:
        return
    kind = ENTITY_TYPES[type_name].field(field_name).identifier
    held = {identifier_key(kind, k) for k in keys} if kind else set()
    idents = {x["key"]: x for r in rows for x in r["sel"]["identifiers"] if x["key"] in held}
    tx.run(_HOLD, idents=[idents[k] for k in sorted(idents)]).consume()  # in one order: no deadlock between two
    taken = {rec["k"] for rec in tx.run(_TAKEN.format(label=type_name, prop=prop), keys=keys, own=own)}
    for r in rows:
        key = r["props"].get(prop)
        if key in taken:
            r["props"] = {k: v for k, v in r["props"].items() if k != prop} | ({prop: None} if own else {})
        elif key:
            taken.add(key)


def insert_rows(tx, type_name: str, rows: list[dict], actor_uid: str) -> list[str]:
    """Create a batch of prepared rows in `tx` (one UNWIND statement); returns their uids."""
    if not rows:
        return []
    _leave_taken_keys(tx, type_name, rows)
    try:
        result = tx.run(create_statement(type_name), rows=rows, actor=actor_uid)
        return [r["uid"] for r in result]
    except ConstraintError:  # a unique identifier already taken becomes a clear Conflict
        raise Conflict(f"a {type_name} with the same unique identifier already exists") from None


def _require_case_write(tx, actor: Actor, case_uid: str | None) -> None:
    if case_uid is None:
        return
    rules.require_case_write(tx, actor, case_uid)


def create_entity(graph: Graph, actor: Actor, type_name: str, data: dict, *, case_uid: str | None = None,
                  source: str = "manual") -> dict:
    """Create one Subject Record (pending approval), its selectors, and its audit entry, in one transaction.

    The record is deconflicted in the same transaction: the answer carries `hits` (see
    `logic.identity.deconfliction`), and the owners of matching records are notified. A record
    that `match`es one the creator may read is settled as `resolution.settle` says: `data` may
    carry `sub_record_of` (the master's uid) or `separate_reason`; with neither, NeedsDecision
    (409, with the matches) is raised, nothing is created, and the matches shown are audited
    (`deconfliction.record_blocked_create`). A record of one individual that another user commits
    while this one is written is found just after the commit (`deconfliction.recheck`): a hit, not a
    decision, since this record is stored by then.
    """
    if type_name not in ENTITY_TYPES:
        raise ValidationFailed({"type": [f"unknown entity type {type_name!r}"]})
    checks.writer_guard(graph, actor, "create", [case_uid])  # only writers create case content
    fields, master_uid, reason = resolution.settle_choice(data)
    row = build_row(type_name, fields, actor, case_uid=case_uid, source=source)
    match_config = deconflict.Config.of(graph.settings)

    def work(tx):
        _require_case_write(tx, actor, case_uid)
        beside = deconfliction.written_beside(tx)
        (uid,) = insert_rows(tx, type_name, [row], actor.uid)
        audit.record(tx, actor, "create", [uid] + ([case_uid] if case_uid else []),
                     details={"type": type_name})
        financial.alert_shared_accounts(tx, actor, [uid])
        hits = deconfliction.after_write(tx, actor, type_name, [uid], match_config,
                                         fresh={uid: matching_record_of(type_name, row)}).get(uid, [])
        settled = resolution.settle(tx, actor, uid, hits, master_uid, reason)
        return {**answer(tx, actor, uid), "hits": hits, **settled}, beside

    try:
        created, beside = audit.write_or_refuse(graph, actor, "create", [case_uid], work)
    except resolution.NeedsDecision as exc:
        deconfliction.record_blocked_create(graph, actor, type_name, exc.extra["matches"])
        raise
    return _with_recheck(graph, actor, created, match_config, beside)


def _with_recheck(graph: Graph, actor: Actor, written: dict, config: deconflict.Config, beside) -> dict:
    """A create's or update's answer, its hits those `deconfliction.recheck` finds when another write of
    the type committed beside it."""
    late = deconfliction.recheck(graph, actor, written["type"], written["uid"], config, beside)
    return {**written, "hits": late.get(written["uid"], written["hits"])} if late is not None else written


def matching_record_of(type_name: str, row: dict) -> dict:
    """The matching module's view of a row built by `build_row` (no read-back of what was just written)."""
    sel = row["sel"]
    return blocking.matching_record(type_name, row["props"], [p["e164"] for p in sel["phones"]],
                                    [e["address"] for e in sel["emails"]], sel["addresses"],
                                    [h["key"] for h in sel["handles"]],
                                    [x["key"] for name in financial.INPUTS for x in sel[name]])


_BUMP = """
MATCH (n:SubjectRecord {uid: $uid})
WHERE coalesce(n.deleted, false) = false
SET n.version = n.version + 1
RETURN n.version - 1 AS before
"""

_UPDATE = """
MATCH (n:SubjectRecord {uid: $uid})
SET n += $props, n.updated_at = datetime(), n.updated_by = $actor,
    n.approval_status = CASE n.approval_status WHEN 'approved' THEN 'pending' ELSE n.approval_status END
WITH n
OPTIONAL MATCH (n)-[r:HAS_IDENTIFIER]->(:Identifier)
DELETE r
WITH DISTINCT n
UNWIND $identifiers AS x
""" + MERGE_IDENTIFIER + """
MERGE (n)-[:HAS_IDENTIFIER]->(i)
"""


_ADDRESSES = """
MATCH (:SubjectRecord {uid: $uid})-[:RESIDES_AT|LOCATED_AT {status: 'active'}]->(a:Address)
RETURN a {.line1, .line2, .city, .state, .postcode, .country} AS a
"""


def update_entity(graph: Graph, actor: Actor, uid: str, changes: dict, expected_version: int | None = None) -> dict:
    """Apply a partial update; refuse a stale one (version mismatch) with Conflict. Deconflicted like a create.

    The write policy is checked before the record is read at all, so a refusal (audited as "deny")
    tells nothing of the record's type or fields, and one the actor may not read answers like a missing one.
    An approved record that is edited is pending again until a supervisor approves the change
    (CCMS PIA §2.4: new and updated records are preliminary until approved); a returned one stays returned.
    """
    match_config = deconflict.Config.of(graph.settings)

    def work(tx):
        rules.require_record_write(tx, actor, uid)
        current = _subject(tx, uid)
        type_name = current["type"]
        rtype = ENTITY_TYPES[type_name]
        clean = validate_record(type_name, changes, partial=True)
        beside = deconfliction.written_beside(tx)
        merged = {k: v for k, v in current["props"].items() if k in rtype.field_names}
        if isinstance(merged.get("identifiers"), str):
            merged["identifiers"] = json.loads(merged["identifiers"])
        merged.update(clean)
        props, sel = prepare(rtype, merged, uid)
        row = {"props": props, "sel": sel}
        _leave_taken_keys(tx, type_name, [row], own=uid)
        props = row["props"]
        # Blocking keys also come from the addresses the record already has (they live on Address nodes).
        known = [r["a"] for r in tx.run(_ADDRESSES, uid=uid)]
        props["search_text"] = " ".join([props["search_text"], *financial.held_search_words(tx, uid)]).strip()
        props[blocking.MATCH_KEYS_PROP] = blocking.match_keys_text(
            rtype.name, {**merged, "addresses": known + list(clean.get("addresses") or [])})
        cleared = {f: None for f in rtype.field_names if f in clean and clean[f] in (None, "", [])}
        # Bumping the version first takes the node's write lock, so the check below cannot race.
        rec = tx.run(_BUMP, uid=uid).single()
        if rec is None:
            raise NotFound(f"no record {uid}")
        if expected_version is not None and rec["before"] != expected_version:
            raise Conflict(f"record {uid} was changed by someone else (version {rec['before']}, "
                           f"you had {expected_version})", current_version=rec["before"])
        tx.run(_UPDATE, uid=uid, props={**props, **cleared}, identifiers=sel["identifiers"],
               actor=actor.uid).consume()
        if any(sel[k] for k in ("phones", "emails", "addresses", "handles", *financial.INPUTS)):
            add_selectors(tx, actor, uid, type_name, sel)
        audit.record(tx, actor, "update", [uid], details={"fields": sorted(clean)})
        financial.alert_shared_accounts(tx, actor, [uid])
        hits = deconfliction.after_write(tx, actor, type_name, [uid], match_config, operation="update").get(uid, [])
        return {**answer(tx, actor, uid), "hits": hits}, beside

    updated, beside = audit.write_or_refuse(graph, actor, "update", [uid], work)
    return _with_recheck(graph, actor, updated, match_config, beside)


_ADD_SELECTORS = """
MATCH (n:SubjectRecord {uid: $uid})
CALL (n) {
  UNWIND $sel.phones AS x
  MERGE (p:Phone {e164: x.e164}) ON CREATE SET p:Linkable, p.uid = randomUUID(), p.display = x.display
  MERGE (n)-[r:USES_PHONE {status: 'active'}]->(p)
  ON CREATE SET r.uid = randomUUID(), r.created_at = datetime(), r.created_by = $actor, r.source = 'manual'
}
CALL (n) {
  UNWIND $sel.emails AS x
  MERGE (e:Email {address: x.address}) ON CREATE SET e:Linkable, e.uid = randomUUID()
  MERGE (n)-[r:USES_EMAIL {status: 'active'}]->(e)
  ON CREATE SET r.uid = randomUUID(), r.created_at = datetime(), r.created_by = $actor, r.source = 'manual'
}
CALL (n) {
  UNWIND $sel.addresses AS x
  MERGE (a:Address {key: x.key}) ON CREATE SET a += x, a:Linkable, a.uid = randomUUID()
  MERGE (n)-[r:%s {status: 'active'}]->(a)
  ON CREATE SET r.uid = randomUUID(), r.created_at = datetime(), r.created_by = $actor, r.source = 'manual'
}
CALL (n) {
  UNWIND $sel.handles AS x
  MERGE (h:SocialHandle {key: x.key}) ON CREATE SET h += x, h:Linkable, h.uid = randomUUID()
  MERGE (n)-[r:USES_HANDLE {status: 'active'}]->(h)
  ON CREATE SET r.uid = randomUUID(), r.created_at = datetime(), r.created_by = $actor, r.source = 'manual'
}
"""


_ADD_FINANCIAL = """
CALL (n) {
  UNWIND $sel.%(name)s AS x
  MERGE (s:%(label)s {key: x.key}) ON CREATE SET s += x, s:Linkable, s.uid = randomUUID()
  MERGE (n)-[r:%(link)s {status: 'active'}]->(s)
  ON CREATE SET r.uid = randomUUID(), r.created_at = datetime(), r.created_by = $actor, r.source = 'manual'
}
"""


def add_selectors(tx, actor: Actor, uid: str, type_name: str, sel: dict) -> None:
    stmt = _ADD_SELECTORS % ("RESIDES_AT" if type_name == "Person" else "LOCATED_AT") + "".join(
        _ADD_FINANCIAL % {"name": name, "label": label, "link": link}
        for label, (link, name) in FINANCIAL_SELECTORS.items())
    sel = {**{name: [] for name in financial.INPUTS}, **sel}
    tx.run(stmt, uid=uid, sel=sel, actor=actor.uid).consume()


_SUBJECT = """
MATCH (n:SubjectRecord {uid: $uid}) WHERE coalesce(n.deleted, false) = false
RETURN n, labels(n) AS labels
"""


def _subject(tx, uid: str) -> dict:
    """A live Subject Record as {uid, type, caption, props}; NotFound if absent. Access checks are the caller's."""
    rec = tx.run(_SUBJECT, uid=uid).single()
    out = node_dict(rec["n"], rec["labels"]) if rec else None
    if out is None or out["type"] not in ENTITY_TYPES:
        raise NotFound(f"no subject record {uid}")
    return out


def answer(tx, actor: Actor, uid: str) -> dict:
    """A Subject Record as the actor who wrote it sees it, in `tx`: {uid, type, caption, props, cases},
    the cases filtered by the policy as `access.view_record` does (locked placeholders where unreadable),
    and pointers to records the actor may not read (a hidden master's `master_uid`) withheld."""
    out = {**_subject(tx, uid), "cases": access.record_cases(tx, actor, uid)}
    rules.redact_pointers(tx, actor, [out["props"]])
    return out


_DELETE = """
MATCH (n:SubjectRecord {uid: $uid}) WHERE coalesce(n.deleted, false) = false
OPTIONAL MATCH (n)-[r]-() WHERE type(r) IN $user_links AND r.status = 'active'
SET r.status = 'retired', r.retired_at = datetime(), r.retired_by = $me,
    r.retired_reason = 'record deleted: ' + $reason
WITH DISTINCT n
OPTIONAL MATCH (n)-[h:HAS_IDENTIFIER]->(:Identifier)
DELETE h
WITH DISTINCT n
SET n.deleted = true, n.deleted_at = datetime(), n.deleted_by = $me, n.deleted_reason = $reason,
    n.version = n.version + 1, n.match_keys = null
RETURN n.uid AS uid
"""


def delete_entity(graph: Graph, actor: Actor, uid: str, reason: str) -> dict:
    """Soft-delete a Subject Record: it leaves every read and every match, its links are retired
    with who/when/why, and the node stays as history. A master with sub-records must be unmerged first."""
    if not isinstance(reason, str) or len(reason.strip()) < 3:
        raise ValidationFailed({"reason": ["say why the record is deleted (at least 3 characters)"]})

    def work(tx):
        rules.require_record_write(tx, actor, uid)
        lock(tx, "SubjectRecord", uid)  # a merge under this record at the same moment commits first or waits
        if tx.run("MATCH (:SubjectRecord)-[:SUB_RECORD_OF {status: 'active'}]->(:SubjectRecord {uid: $uid}) "
                  "RETURN count(*) AS n", uid=uid).single()["n"]:
            raise Conflict("this record is the master of merged sub-records; unmerge them first")
        if tx.run(_DELETE, uid=uid, user_links=list(USER_LINK_TYPES), me=actor.uid,
                  reason=reason.strip()).single() is None:
            raise NotFound(f"no record {uid}")
        audit.record(tx, actor, "delete", [uid], details={"reason": reason.strip()})

    audit.write_or_refuse(graph, actor, "delete", [uid], work)
    return {"uid": uid, "deleted": True}
