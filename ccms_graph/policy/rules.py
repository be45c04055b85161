"""Access rules: the Python `can()` twin of the read scopes, and the write and training guards.

`scopes` holds the Cypher predicates every read query composes; this module holds the same rules in
Python (`can`) for decisions about one record already loaded (`load_facts`), and the `require_*`
guards the logic layer calls inside its transactions. `require_*` raise; they never audit, because a
raise rolls the transaction back — `logic.oversight.audit.refuse` audits a refusal in its own transaction.
"""

from __future__ import annotations

from collections.abc import Iterable

from ..errors import Forbidden, NotFound, TrainingExpired
from ..nodes.vocabulary import HEADQUARTERS
from . import scopes
from .actor import Actor

#: Roles that read case content, and roles that change it: allow-lists, so a role nobody listed (a typo,
#: a role added to the vocabulary later, an account still pending approval) reads and writes nothing.
#: An OPLA attorney reads as an agent of their office does and writes nothing, not even a comment: "OPLA
#: users have read-only access to the system. They are not able to create or modify records" (ICM PIA
#: 2016, Overview).
READERS = ("agent", "analyst", "supervisor", "attorney", "auditor", "system")
WRITERS = ("agent", "analyst", "supervisor", "system")


def is_active(actor: Actor) -> bool:
    """Whether the actor may use the system at all now (the system itself always may)."""
    return actor.role == "system" or actor.training_current()


def require_active(actor: Actor) -> None:
    """Refuse every read and write of a user whose training or certification has expired."""
    if not is_active(actor):
        when = actor.training_expires or "never recorded"
        raise TrainingExpired(
            f"your training or certification expired ({when}); renew it to use CCMS-Graph again",
            training_expires=actor.training_expires)


#: The parameters of `actor_params` that always hold lists (the saved-query guard relies on it).
LIST_PARAMS = frozenset({"subordinates", "offices", "granted"})


#: What an empty list parameter is sent as. The lists are matched against user uids, case uids and office
#: codes, which the application generates or validates (letters, digits, '-' and '_'), so no stored value is
#: a NUL character and `x IN [NONE]` is false where `x IN []` is (null where x is null, as there). Why: Neo4j
#: keys its plan cache on the parameters' types and takes an empty list for another type than a list of
#: strings, so an agent (no subordinates) and a supervisor each planned every policy-composed query anew
#: (pending_items: 2-4 s apiece at 1M), and the start-up EXPLAIN of the catalogue, run as the system (all
#: three empty), warmed a plan no user's query could use. `tests/policy/test_plan_sharing.py` shows it.
NONE = "\x00"


def _listed(values: Iterable[str]) -> list[str]:
    return list(values) or [NONE]


def actor_params(actor: Actor) -> dict:
    """The parameters every policy predicate expects (see `scopes` for what each one means). The lists
    are never empty (`NONE` stands in), so every actor's queries share one plan."""
    active = is_active(actor)
    return {"me": actor.uid, "subordinates": _listed(actor.subordinates), "offices": _listed(actor.offices),
            "granted": _listed(actor.granted_cases),
            "auditor": active and actor.role in ("auditor", "system"),
            "reader": active and actor.role in READERS,
            "writer": active and actor.role in WRITERS}


# ---------------------------------------------------------------------------------------------
# The Python twin: decisions about one loaded record
# ---------------------------------------------------------------------------------------------

_FACTS = f"""
MATCH (n:Linkable {{uid: $uid}})
OPTIONAL MATCH (n)-[:SUBJECT_IN|PART_OF {{status: 'active'}}]->(c:Case)
WITH n, collect(DISTINCT c) AS cases
OPTIONAL MATCH (k:Case {{uid: n.case_uid}})
WITH n, cases + CASE WHEN k IS NULL OR k IN cases THEN [] ELSE [k] END AS cases
RETURN n, labels(n) AS labels,
       [c IN cases | c {{.uid, .owner_uid, .office_code, .restricted, .team_uids,
                        linked: EXISTS {{ (n)-[:SUBJECT_IN|PART_OF {{status: 'active'}}]->(c) }}}}] AS cases,
       {scopes.hidden("n")} AS hidden
"""


def statistics_offices(actor: Actor) -> list[str] | None:
    """The offices whose figures the actor's statistics cover: their own organisational subtree (their office
    and every port or unit within it); None (every office) for headquarters and the auditor. Figures are
    numbers only, restricted cases included; roles that read no case content get none."""
    require_active(actor)
    if actor.role not in READERS:
        raise Forbidden(f"the {actor.role} role reads no case figures")
    if actor.role in ("auditor", "system") or HEADQUARTERS in actor.offices:
        return None
    return list(actor.offices)


def audit_scope(actor: Actor) -> list[str] | None:
    """Whose audit entries the actor may read: everyone's (None) for the auditor; a supervisor, the entries
    of the people who report to them, directly or through others (CCMS PIA: supervisors view "the
    actions of their subordinate users"); anyone else, none (Forbidden)."""
    require_active(actor)
    if can(actor, "audit"):
        return None
    if actor.role == "supervisor":
        return list(actor.subordinates)
    raise Forbidden("only auditors, and supervisors for the people who report to them, read the audit log")


def load_facts(tx, uid: str) -> dict | None:
    """What the rules need to know about one Linkable: kind, owner, office, restriction, its cases."""
    rec = tx.run(_FACTS, uid=uid).single()
    if rec is None:
        return None
    n, labels = rec["n"], rec["labels"]
    kind = next((k for k in ("Case", "SubjectRecord", "Document") if k in labels), "Selector")
    return {
        "uid": n.get("uid"), "kind": kind, "labels": list(labels), "owner_uid": n.get("owner_uid"),
        "case_number": n.get("case_number"),
        "author_uid": n.get("author_uid"), "office_code": n.get("office_code"),
        "restricted": bool(n.get("restricted")), "team_uids": list(n.get("team_uids") or []),
        "status": n.get("status"), "deleted": bool(n.get("deleted")), "hidden": rec["hidden"],
        "cases": [{**c, "restricted": bool(c["restricted"]), "team_uids": list(c["team_uids"] or [])}
                  for c in rec["cases"]],
    }


def _owns(actor: Actor, uid: str | None) -> bool:
    return uid is not None and (uid == actor.uid or uid in actor.subordinates)


def owns_or_supervises(actor: Actor, owner_uid: str | None) -> bool:
    """Whether `owner_uid` is the actor or someone below them; the system owns everything,
    auditors and administrators nothing."""
    if actor.role == "system":
        return True
    return actor.role in WRITERS and _owns(actor, owner_uid)


def require_supervisor_of(actor: Actor, person_uid: str | None, message: str) -> None:
    """Refuse (Forbidden, with `message`) unless the actor is a supervisor above `person_uid`."""
    require_active(actor)
    if actor.role not in WRITERS:
        raise Forbidden(f"the {actor.role} role approves nothing")
    if person_uid not in actor.subordinates:
        raise Forbidden(message)


def require_approver(actor: Actor, requester_uid: str | None, what: str = "this item") -> None:
    """Refuse unless the actor is a supervisor above the requester; nobody approves their own items."""
    require_active(actor)
    if actor.role not in WRITERS:
        raise Forbidden(f"the {actor.role} role approves nothing")
    if actor.uid == requester_uid:
        raise Forbidden(f"you may not approve or return your own request ({what}): no self-approval")
    require_supervisor_of(actor, requester_uid, f"only a supervisor in the requester's chain may decide {what}")


def _case_read(actor: Actor, case: dict) -> bool:
    if _owns(actor, case.get("owner_uid")) or any(_owns(actor, t) for t in case.get("team_uids") or ()):
        return True
    return not case.get("restricted") and (case.get("office_code") in actor.offices
                                           or case.get("uid") in actor.granted_cases)


def _case_write(actor: Actor, case: dict) -> bool:
    return _owns(actor, case.get("owner_uid")) or any(_owns(actor, t) for t in case.get("team_uids") or ())


def _is_draft(facts: dict) -> bool:
    """`scopes.is_draft`: any document not yet approved (no status: a draft ROI, another type filed)."""
    if "Document" not in facts["labels"]:
        return False
    unset = "draft" if "ReportOfInvestigation" in facts["labels"] else "filed"
    return (facts.get("status") or unset) in scopes.DRAFT_STATUSES


def _drafted_by(actor: Actor, record: dict) -> bool:
    """A draft is its author's (and their supervisors') alone, for reading and for changing."""
    return _owns(actor, record.get("author_uid") or record.get("owner_uid"))


def _member_read(actor: Actor, facts: dict) -> bool:
    linked = [c for c in facts["cases"] if c.get("linked", True)]
    if _owns(actor, facts.get("owner_uid")) or any(_case_read(actor, c) for c in linked):
        return True
    return facts.get("office_code") in actor.offices and not any(c.get("restricted") for c in facts["cases"])


def can(actor: Actor, action: str, record: dict | None = None) -> bool:
    """May `actor` do `action` ("read", "write", "audit", "admin") to `record` (a `load_facts` dict)?"""
    if not is_active(actor):
        return False
    if action == "audit":
        return actor.role in ("auditor", "system")
    if action == "admin":
        return actor.role in ("admin", "system")
    if record is None or action not in ("read", "write"):
        raise ValueError(f"cannot decide {action!r} without a record" if record is None
                         else f"unknown action {action!r}")
    if actor.role == "system":
        return True
    kind = record["kind"]
    if action == "read":
        if actor.is_auditor:
            return True
        if actor.role not in READERS:
            return False
        if kind == "Case":
            return _case_read(actor, record)
        if kind == "Document" and _is_draft(record):
            return _drafted_by(actor, record)
        if kind in ("SubjectRecord", "Document"):
            return _member_read(actor, record)
        return True
    if actor.role not in WRITERS:
        return False
    if kind == "Case":
        return _case_write(actor, record)
    if kind == "Document" and _is_draft(record):
        return _drafted_by(actor, record)
    if kind in ("SubjectRecord", "Document"):
        return _owns(actor, record.get("owner_uid")) or any(
            _case_write(actor, c) for c in record["cases"] if c.get("linked", True))
    return False


def not_found(what: str, key: str) -> NotFound:
    """THE answer for something missing and for something whose existence is hidden: the same words
    ("no case MIA-FY27-00013"), naming what the caller asked for and the key they gave, never what
    the policy found. Every refusal that protects existence is built here."""
    return NotFound(f"no {what} {key}".strip())


def refusal(record: dict | None, what: str, asked: str = "record") -> NotFound | Forbidden:
    """The answer to a refused `what`: NotFound if the record's existence is protected (in the words
    a missing `asked` gets, see `not_found`), else Forbidden."""
    if record is None or record.get("deleted") or record.get("hidden"):
        return not_found(asked, record["uid"] if record else "")
    noun = {"SubjectRecord": "record", "Case": "case", "Document": "document"}.get(record["kind"], "record")
    return Forbidden(f"you may not {what} {noun} {record['uid']}")


def require_read(tx, actor: Actor, uid: str, kinds: tuple[str, ...] = (), what: str | None = None) -> dict:
    """The record's facts if the actor may read it; else NotFound or Forbidden (see `scopes`).

    `kinds` ("Case", "SubjectRecord", "Document") narrows what counts as found; `what` names it in
    the NotFound message. Use cases call this before any rule of their own, so a later "only the
    owner may..." cannot admit that a restricted record exists.
    """
    require_active(actor)
    facts = load_facts(tx, uid)
    if facts is None or facts["deleted"] or (kinds and facts["kind"] not in kinds):
        raise not_found(what or "record", uid)
    if not can(actor, "read", facts):
        raise refusal(facts, "read", what or "record")
    return facts


_CASE_KEY = """
MATCH (c:Case) WHERE c.uid = $key OR c.case_number = $key
RETURN c.uid AS uid ORDER BY c.uid = $key DESC LIMIT 1
"""


def require_case(tx, actor: Actor, key: str, *, write: bool = False) -> dict:
    """The one way to find a case by uid or case number: its facts (`load_facts`, with `case_number`)
    if the actor may read it and, with `write`, change it.

    A missing, deleted or hidden case answers `not_found("case", key)` in the same words whichever it
    is, so a case number never tells that a restricted case exists; a readable case the actor may not
    change answers Forbidden. The system (seed, imports run without a user) finds any live case.
    """
    if actor.role != "system":
        require_active(actor)
    rec = tx.run(_CASE_KEY, key=key).single()
    facts = load_facts(tx, rec["uid"]) if rec is not None else None
    if facts is None or facts["kind"] != "Case" or facts["deleted"]:
        raise not_found("case", key)
    if actor.role == "system":
        return facts
    if not can(actor, "read", facts):  # a hidden case answers 404 whatever the role
        if facts["hidden"]:
            raise not_found("case", key)
        raise Forbidden(f"you may not {'change' if write else 'read'} case {key}")
    if write:
        _writer(actor)
        if not can(actor, "write", facts):
            raise Forbidden(f"you may not change case {key}")
    return facts


# ---------------------------------------------------------------------------------------------
# Write guards (names kept for the logic modules that already call them)
# ---------------------------------------------------------------------------------------------

def require_writer(actor: Actor) -> None:
    """Refuse roles that never change case content (auditor, administrator) and expired training."""
    _writer(actor)


def _writer(actor: Actor) -> None:
    require_active(actor)
    if actor.role not in WRITERS:
        raise Forbidden(f"the {actor.role} role does not change case content")


def require_case_write(tx, actor: Actor, case_uid: str) -> None:
    """Refuse unless the actor owns, is on the team of, or supervises the team of the case
    (`require_case(..., write=True)`: a missing and a hidden case answer alike)."""
    require_case(tx, actor, case_uid, write=True)


def require_record_write(tx, actor: Actor, uid: str) -> None:
    """Refuse unless the actor owns the record, supervises its owner, or may write a case it is in."""
    if actor.role == "system":
        return
    require_active(actor)
    facts = load_facts(tx, uid)
    if facts is None or facts["kind"] not in ("SubjectRecord", "Document") or facts["deleted"]:
        raise not_found("record", uid)
    if not can(actor, "read", facts):  # a hidden record answers 404 whatever the role
        raise refusal(facts, "change")
    _writer(actor)
    if not can(actor, "write", facts):
        raise Forbidden(f"you may not change record {uid}")


# ---------------------------------------------------------------------------------------------
# Derived data: properties that point at other records (see `scopes`, "Derived data")
# ---------------------------------------------------------------------------------------------

#: Which of a list of uids name live records the actor may read: cases, subject records and documents by
#: their kinds' rules (`scopes.content_readable`), and the selectors met, for `_READABLE_SELECTORS`.
_READABLE_CONTENT = f"""
UNWIND $uids AS u
MATCH (p:Linkable {{uid: u}})
WHERE coalesce(p.deleted, false) = false
WITH p, {scopes.is_record("p")} AS content, {scopes.content_readable("p")} AS ok
RETURN [x IN collect(CASE WHEN ok THEN p.uid END) WHERE x IS NOT NULL] AS uids,
       [x IN collect(CASE WHEN NOT content THEN p.uid END) WHERE x IS NOT NULL] AS selectors
"""

_READABLE_SELECTORS = f"""
UNWIND $uids AS u
MATCH (p:Linkable {{uid: u}})
WHERE {scopes.selector_readable("p")}
RETURN collect(DISTINCT p.uid) AS uids
"""


def readable_uids(tx, actor: Actor, uids: Iterable[str]) -> set[str]:
    """The uids among `uids` of live records (cases, subject records, documents, selectors) the actor may read.

    `scopes.record_readable` is not written out here: Neo4j plans every branch of it, the selector's a
    dozen nested subqueries (2.5 s on a warm server, 10 s on a cold one, and again each time the store's
    statistics move, as an import into a small store makes them do twice in 5,000 lines), where most
    lists name only cases and subject records. Selectors are asked about only when the list names one.
    `tests/policy/test_visibility.py` checks the two against the reference scopes."""
    wanted = sorted({u for u in uids if isinstance(u, str)})
    if not wanted:
        return set()
    params = actor_params(actor)
    rec = tx.run(_READABLE_CONTENT, uids=wanted, **params).single()
    ok = set(rec["uids"])
    if rec["selectors"]:
        ok |= set(tx.run(_READABLE_SELECTORS, uids=rec["selectors"], **params).single()["uids"])
    return ok


def shown(props: dict | None) -> dict | None:
    """A property map as the policy expressions return it, without the properties they withheld (null:
    Neo4j stores no null property, so a null there is always a withheld one)."""
    if props is None:
        return None
    return {k: v for k, v in props.items() if v is not None}


def redact_pointers(tx, actor: Actor, items: Iterable[dict | None]) -> None:
    """Withhold, in place, every pointer property (`scopes.POINTERS`) of the property maps `items` that
    names a record the actor may not read (missing and hidden alike); a list of uids is narrowed to the
    readable ones. Every answer that carries a record's or a link's properties passes through here."""
    maps = [m for m in items if m]
    named = {v for m in maps for k in scopes.POINTERS if k in m
             for v in (m[k] if isinstance(m[k], list) else [m[k]])}
    if not named:
        return
    ok = readable_uids(tx, actor, named)
    for m in maps:
        for k in scopes.POINTERS:
            if k not in m:
                continue
            if isinstance(m[k], list):
                m[k] = [v for v in m[k] if v in ok]
            elif m[k] not in ok:
                del m[k]
