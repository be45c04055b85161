"""Case deconfliction: before a case is opened, the open cases on the same subject and violation, and whom to call.

CBP's CCMS privacy impact assessment (§2.4): before creating a case, users query the system for an existing
case on the subject; if there is one, the system gives the name and contact of the owning agent, so the two
can decide whether to open a related case or a unique one, and never run two concurrent cases on the same
subject for the same suspected criminal activity.

**What is asked** (`CaseCheckInput`): the subject, as stored Person or Business records the asker may read
(`subject_uids`) and/or partial details (`subjects`: `{"type", "fields"}`, as query before create takes
them), and the `violations` the new case would charge.

**What is found**, whatever the asker may read (a hidden case on the subject is what deconfliction exists for):

1. records: each given record, and every stored record `deconflict.find` scores `possible` or better against
   a given record or the details; then each one's merged family (active SUB_RECORD_OF links);
2. cases: the live cases (`LIVE_STATUSES`: requested, open, referred; not closed, combined or deleted) those
   records are active subjects in. A requested case counts: its owner is opening it right now;
3. a case *conflicts* when it charges one of the violations (`violation_key`: case and spacing folded, and a
   statute citation reduced to title, code and section, so "18 U.S.C. § 545" is "18 USC 545 (smuggling)").
   Cases on the same subject with none of the violations are listed too, with `conflict: false`: an agent
   wants to know that a colleague investigates the same person for something else, and who holds what on
   them. Their owners are not notified: nobody is about to duplicate their investigation.

**What the asker is told**, decided by `scopes.case_readable` inside the query:

* a case they may read: its uid, case number, title, status, violations and the shared ones, the matching
  subjects (uid, type, caption, and how they matched: given, match or possible), and the owner's contact;
* cases they may not read (restricted, another office's): `{"restricted": True, "conflict", "owner"}` —
  and one such entry per owner (a conflict if any of them conflicts): how many hidden cases an owner holds
  on the subject is those cases' content, and whom to call is all the asker needs.

The answer is ordered by what it shows only: conflicts first; within each, readable cases by case number,
then the hidden ones by their owner's office and name.

**What is kept**: a `(:CaseDeconflictionCheck)` with who asked, when, the violations and the cases found,
which `cases.create_case` takes as `deconfliction_check` (`use_check`), and a supervisor deciding the
opening reads as counts (`summary_for_case`). Everything is written in one transaction: the check, the audit
entry ("search", details kind "case_deconfliction", naming the check, the given records, every case found
and its matching subjects) and a notification (kind "case_deconfliction", once a day per asker and case) to
the owner of each conflicting case with the asker's contact. The answer does not say who was told.

**Not required to open a case** (a decision): the logic and the API take the check when given, and the
browser's "open a case" form asks for it (`create_case(..., require_check=True)`). The seed, imports, the
CLI and API clients of other systems open cases without one, and the supervisor who approves the opening sees
"no check recorded" instead of a summary: the approval is where the PIA's "required to query" is enforced.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from ...db import Graph
from ...errors import DomainError, ValidationFailed
from ...matching import blocking, deconflict
from ...nodes.vocabulary import caption
from ...policy import rules, scopes
from ...policy.actor import Actor
from ...policy.rules import actor_params
from ...validation import validate_record
from ..common import Text, load_input, new_uid, plain, record_type_of
from ..oversight import audit, checks, notifications

#: The kinds of subject a case is opened on: a person or an organisation. Vehicles, vessels, aircraft and
#: things are reached through their links to these; adding a type here is all it takes to deconflict it.
SUBJECT_TYPES = ("Person", "Business")
#: Case statuses that are a live investigation (nodes.vocabulary.CASE_STATUSES less closed and combined).
LIVE_STATUSES = ("requested", "open", "referred")
#: How many subjects one check takes (records and details each).
MAX_SUBJECTS = 10
#: A check opens a case only this many days after it ran: an older one may miss a case opened since.
CHECK_VALID_DAYS = 7
#: At most this many uids are named in the audit entry of a check (its counts are always complete).
AUDIT_UID_CAP = 1000
#: How a subject record came into the check, strongest first.
HOW = ("given", *deconflict.HIT_DECISIONS)


class SubjectDetails(Schema):
    type = fields.String(required=True, validate=validate.OneOf(SUBJECT_TYPES))
    # Validated by the type's own record schema (`validation.validate_record`), as query before create does.
    details = fields.Dict(keys=fields.String(), required=True, data_key="fields")


class CaseCheckInput(Schema):
    subject_uids = fields.List(fields.String(validate=validate.Length(min=1, max=64)), load_default=list,
                               validate=validate.Length(max=MAX_SUBJECTS))
    subjects = fields.List(fields.Nested(SubjectDetails), load_default=list,
                           validate=validate.Length(max=MAX_SUBJECTS))
    violations = fields.List(Text(validate=validate.Length(min=1, max=120)), required=True,
                             validate=validate.Length(min=1, max=50))

    @validates_schema
    def _some_subject(self, data, **kwargs):
        if not data.get("subject_uids") and not data.get("subjects"):
            raise ValidationError("name the subject: give subject_uids, subjects, or both", field_name="subjects")


_CITATION = re.compile(r"^(\d+)\s*u\.?\s*s\.?\s*c\.?\s*(\d+[a-z]?)\b")


def violation_key(text: str) -> str:
    """The form two violations are compared in: case-folded and spaced once, and a statute citation at the
    start reduced to title, code and section ("18 U.S.C. § 545(a)" and "18 USC 545 (smuggling)" are both
    "18 usc 545"). Free text is compared whole: "smuggling" is not taken for "18 USC 545"."""
    folded = " ".join(text.casefold().replace("§", " ").split())
    m = _CITATION.match(folded)
    return f"{m.group(1)} usc {m.group(2)}" if m else folded


def _keys(violations: Iterable[str]) -> set[str]:
    return {k for k in (violation_key(v) for v in violations) if k}


# ---------------------------------------------------------------------------------------------
# The subject: given records (readable ones only) and partial details
# ---------------------------------------------------------------------------------------------

_GIVEN = f"""
UNWIND range(0, size($uids) - 1) AS i
OPTIONAL MATCH (n:SubjectRecord {{uid: $uids[i]}}) WHERE coalesce(n.deleted, false) = false
RETURN i, $uids[i] AS uid, n IS NOT NULL AS found,
       CASE WHEN n IS NULL THEN false ELSE {scopes.subject_readable("n")} END AS readable,
       CASE WHEN n IS NULL THEN [] ELSE labels(n) END AS labels
"""


def _given(graph: Graph, actor: Actor, uids: list[str]) -> dict[str, str]:
    """uid -> type of the given records; a record the actor may not read answers like a missing one (by
    field and position), the refusal audited; a readable record that is no person or business is named."""
    if not uids:
        return {}
    rows = graph.read(lambda tx: [r.data() for r in tx.run(_GIVEN, uids=uids, **actor_params(actor))])
    errors: dict[int, list[str]] = {}
    out: dict[str, str] = {}
    for r in rows:
        type_name = record_type_of(r["labels"])
        if not r["readable"]:
            errors[r["i"]] = [f"no record {r['uid']}"]
        elif type_name not in SUBJECT_TYPES:
            errors[r["i"]] = [f"record {r['uid']} is a {type_name}; a case is deconflicted on a "
                              f"{' or '.join(SUBJECT_TYPES)}"]
        else:
            out[r["uid"]] = type_name
    if errors:
        error = ValidationFailed({"subject_uids": errors})
        hidden = [r["uid"] for r in rows if r["found"] and not r["readable"]]
        if hidden:
            raise audit.refuse(graph, actor, error, "case_deconfliction", hidden)
        raise error
    return out


def _details(subjects: list[dict]) -> list[tuple[str, dict]]:
    """(type, matching record) of each subject given by details, checked by its type's record schema (a
    subject names at least one identifying field); a refusal names `subjects.<i>.fields.<field>`."""
    out, errors = [], {}
    for i, s in enumerate(subjects):
        try:
            clean = validate_record(s["type"], s["details"])
        except ValidationFailed as exc:
            errors[i] = {"fields": exc.errors}
            continue
        clean.pop("ref", None)
        out.append((s["type"], blocking.matching_record(s["type"], clean, clean.get("phones") or (),
                                                        clean.get("emails") or (), clean.get("addresses") or ())))
    if errors:
        raise ValidationFailed({"subjects": errors})
    return out


def _matching_records(tx, given: dict[str, str], details: list[tuple[str, dict]],
                      config: deconflict.Config) -> dict[str, str]:
    """uid -> how it came in (`HOW`), for the given records and every record scored `possible` or better
    against one of them or the details, readable or not."""
    how = dict.fromkeys(given, "given")
    for type_name in SUBJECT_TYPES:
        uids = [u for u, t in given.items() if t == type_name]
        loaded = blocking.load_records(tx, type_name, uids)
        stored = [u for u in uids if u in loaded]
        probes = [loaded[u]["record"] for u in stored] + [r for t, r in details if t == type_name]
        if not probes:
            continue
        excludes: list[Iterable[str]] = [[u, *loaded[u]["family"]] for u in stored]
        excludes += [[] for t, _ in details if t == type_name]
        for scored in deconflict.find(tx, type_name, probes, excludes=excludes, config=config, explain=False):
            for c in scored:
                if c["decision"] in deconflict.HIT_DECISIONS and _stronger(c["decision"], how.get(c["uid"])):
                    how[c["uid"]] = c["decision"]
    return how


def _stronger(how: str, than: str | None) -> bool:
    """Whether `how` a record came in is stronger evidence than `than` (None: it had not come in)."""
    return than is None or HOW.index(how) < HOW.index(than)


# ---------------------------------------------------------------------------------------------
# The cases, and what the actor is shown of them
# ---------------------------------------------------------------------------------------------

#: The owning agent's contact, for `c`: users' names, offices, phones and e-mails are not case content.
_OWNER = """
OPTIONAL MATCH (u:User {uid: c.owner_uid})
OPTIONAL MATCH (o:Office {code: u.office_code})
WITH *, CASE WHEN u IS NULL THEN null ELSE {uid: u.uid, name: u.name, office_code: u.office_code, office: o.name,
                                            phone: u.phone, email: u.email} END AS owner
"""

_CASES = f"""
UNWIND $records AS x
MATCH (:SubjectRecord {{uid: x.uid}})-[:SUB_RECORD_OF*0..5 {{status: 'active'}}]-(s:SubjectRecord)
WHERE coalesce(s.deleted, false) = false
MATCH (s)-[:SUBJECT_IN {{status: 'active'}}]->(c:Case)
WHERE c.status IN $live AND coalesce(c.deleted, false) = false
WITH c, {scopes.case_readable("c")} AS readable, collect({{s: s, how: x.how}}) AS via
{_OWNER}
RETURN c.uid AS uid, readable, coalesce(c.violations, []) AS violations, c.case_number AS number, owner,
       CASE WHEN readable THEN c {{.case_number, .title, .status}} END AS shown,
       [v IN via | {{uid: v.s.uid, how: v.how,
                     labels: CASE WHEN readable THEN labels(v.s) END,
                     props: CASE WHEN readable THEN properties(v.s) END}}] AS subjects
ORDER BY uid
"""

_CASES_BY_UID = f"""
UNWIND $uids AS uid
MATCH (c:Case {{uid: uid}})
WITH c, {scopes.case_readable("c")} AND coalesce(c.deleted, false) = false AS readable
{_OWNER}
RETURN c.uid AS uid, readable, owner, CASE WHEN readable THEN c {{.case_number, .title, .status}} END AS shown
ORDER BY uid
"""


def _found(rows, keys: set[str]) -> list[dict]:
    """One dict a case, as the logic holds it (never an answer: see `_entries`)."""
    out = []
    for r in rows:
        subjects: dict[str, dict] = {}
        for v in r["subjects"]:
            if _stronger(v["how"], (subjects.get(v["uid"]) or {}).get("how")):
                subjects[v["uid"]] = v
        shared = [v for v in r["violations"] if violation_key(v) in keys]
        out.append({"uid": r["uid"], "readable": r["readable"], "number": r["number"], "shown": r["shown"],
                    "owner": r["owner"], "violations": list(r["violations"]), "shared": shared,
                    "conflict": bool(shared), "subjects": list(subjects.values())})
    return out


def _subject_view(v: dict) -> dict:
    type_name = record_type_of(v["labels"])
    return {"uid": v["uid"], "type": type_name, "caption": caption(type_name, v["props"]), "match": v["how"]}


def _entries(found: list[dict]) -> list[dict]:
    """What the actor is shown (see the module doc): the ONE redaction of this use case's answers."""
    shown: list[dict] = []
    hidden: dict[str | None, dict] = {}
    for f in found:
        if f["readable"]:
            shown.append({"restricted": False, "conflict": f["conflict"], "uid": f["uid"], **f["shown"],
                          "violations": f["violations"], "shared_violations": f["shared"],
                          "subjects": sorted((_subject_view(v) for v in f["subjects"]),
                                             key=lambda s: (HOW.index(s["match"]), s["caption"], s["uid"])),
                          "owner": f["owner"]})
            continue
        owner = f["owner"] or {}
        entry = hidden.setdefault(owner.get("uid"), {"restricted": True, "conflict": False, "owner": f["owner"]})
        entry["conflict"] = entry["conflict"] or f["conflict"]
    shown.sort(key=lambda e: str(e.get("case_number") or ""))
    others = sorted(hidden.values(), key=lambda e: tuple(str((e["owner"] or {}).get(k) or "")
                                                          for k in ("office_code", "name", "uid")))
    return [e for flag in (True, False) for e in (*shown, *others) if e["conflict"] is flag]


# ---------------------------------------------------------------------------------------------
# The check
# ---------------------------------------------------------------------------------------------

_STORE = """
MERGE (k:CaseDeconflictionCheck {uid: $uid})
ON CREATE SET k += $props, k.asked_at = datetime()
RETURN k.asked_at AS asked_at
"""


def _contact(actor: Actor) -> dict:
    return {"name": actor.name, "office_code": actor.office_code, "phone": actor.phone, "email": actor.email}


def _notify(tx, actor: Actor, f: dict) -> bool:
    """Tell the owner of a conflicting case that `actor` is about to open one on its subject and violation."""
    owner = (f["owner"] or {}).get("uid")
    told = notifications.notify_owner_daily(
        tx, actor, owner, "case_deconfliction", f["uid"], record_type="Case", record_caption=f["number"],
        violations=f["shared"], subject_uids=[v["uid"] for v in f["subjects"]], displayed=f["readable"],
        contact=_contact(actor),
        message=f"{actor.name} ({actor.office_code or 'no office'}) is about to open a case on a subject of your "
                f"case, for the same violation ({'; '.join(f['shared'])}); contact them to deconflict")
    return told is not None


def check(graph: Graph, actor: Actor, data: dict) -> dict:
    """Run the check before opening a case (see the module doc): {check_uid, violations, conflict, cases}.

    Writers only, with current training (refusals audited); bad input is refused by field."""
    checks.guard(graph, actor, "case_deconfliction")
    try:
        rules.require_writer(actor)
    except DomainError as exc:
        raise audit.refuse(graph, actor, exc, "case_deconfliction") from None
    clean = load_input(CaseCheckInput(), data)
    details = _details(clean["subjects"])
    given = _given(graph, actor, list(dict.fromkeys(clean["subject_uids"])))
    violations = list(dict.fromkeys(clean["violations"]))
    keys = _keys(violations)
    check_uid = new_uid()  # chosen before the transaction, so a retried one MERGEs the same check
    config = deconflict.Config.of(graph.settings)

    def work(tx):
        how = _matching_records(tx, given, details, config)
        rows = tx.run(_CASES, records=[{"uid": u, "how": h} for u, h in sorted(how.items())],
                      live=list(LIVE_STATUSES), **actor_params(actor))
        found = _found(rows, keys)
        entries = _entries(found)
        conflicts = [f["uid"] for f in found if f["conflict"]]
        tx.run(_STORE, uid=check_uid, props={
            "asked_by": actor.uid, "asked_by_name": actor.name, "office_code": actor.office_code,
            "violations": violations, "violation_keys": sorted(keys), "subject_uids": sorted(given),
            "subject_types": [t for t, _ in details], "conflict_case_uids": conflicts,
            "other_case_uids": [f["uid"] for f in found if not f["conflict"]]}).consume()
        notified = sum(_notify(tx, actor, f) for f in found if f["conflict"])
        named = list(dict.fromkeys([check_uid, *given, *(f["uid"] for f in found),
                                    *(v["uid"] for f in found for v in f["subjects"])]))
        audit.record(tx, actor, "search", named[:AUDIT_UID_CAP], details={
            "kind": "case_deconfliction", "check_uid": check_uid, "violations": violations,
            "subject_uids": sorted(given),
            "subjects": [{"type": s["type"], "criteria": sorted(k for k, v in s["details"].items()
                                                                 if v not in (None, "", []))}
                         for s in clean["subjects"]],
            "records_matched": len(how), "cases": len(found), "conflicts": len(conflicts),
            "restricted": sum(1 for f in found if not f["readable"]), "entries": len(entries),
            "owners_notified": notified, "uids_named": min(len(named), AUDIT_UID_CAP)})
        return {"check_uid": check_uid, "violations": violations, "conflict": bool(conflicts), "cases": entries}

    return graph.write(work)


# ---------------------------------------------------------------------------------------------
# Opening a case with a check, and what the check found, for whoever reads the case
# ---------------------------------------------------------------------------------------------

_LOCK = """
MATCH (k:CaseDeconflictionCheck {uid: $uid}) SET k._lock = true REMOVE k._lock
WITH k
RETURN properties(k) AS k, k.asked_at > datetime() - duration({days: $days}) AS fresh
"""

_USE = """
MATCH (k:CaseDeconflictionCheck {uid: $uid})
SET k.case_uid = $case, k.used_at = datetime()
"""


def use_check(tx, actor: Actor, check_uid: str, case_uid: str, violations: list[str]) -> dict:
    """Record, in the opening's transaction, that the check `check_uid` preceded opening `case_uid`.

    Refused by field (`deconfliction_check`) unless the check is the actor's own (another's answers like a
    missing one), opened no case yet, ran at most `CHECK_VALID_DAYS` ago and covered every violation the case
    charges. Returns what the opening's audit entry says of it."""
    row = tx.run(_LOCK, uid=check_uid, days=CHECK_VALID_DAYS).single()
    k = plain(row["k"]) if row is not None else None
    problem = None
    if k is None or k.get("asked_by") != actor.uid:
        problem = f"no deconfliction check {check_uid} of yours"
    elif k.get("case_uid"):
        problem = "this check was used to open another case; check again for this one"
    elif not row["fresh"]:
        problem = f"this check is more than {CHECK_VALID_DAYS} days old; check again"
    else:
        missing = [v for v in violations if violation_key(v) not in set(k.get("violation_keys") or [])]
        if missing:
            problem = f"the check did not cover {'; '.join(missing)}; check again with every violation"
    if problem or k is None:
        raise ValidationFailed({"deconfliction_check": [problem]})
    tx.run(_USE, uid=check_uid, case=case_uid).consume()
    return {"deconfliction_check": check_uid, "conflicts": len(k.get("conflict_case_uids") or []),
            "other_cases": len(k.get("other_case_uids") or [])}


_CHECK_OF_CASE = """
MATCH (c:Case {uid: $case})
MATCH (k:CaseDeconflictionCheck {uid: c.deconfliction_check})
RETURN properties(k) AS k
"""


def summary_for_case(graph: Graph, actor: Actor, case_uid: str) -> dict:
    """What the check recorded on a case the actor may read found, as the actor may see it today: counts of
    conflicting and other cases and of entries they may not read (one per owner, as the asker was shown),
    with the readable cases named. `{"checked": False}` when the case was opened without a check. Audited as
    a view of the cases named; a case the actor may not read answers as `rules.require_case` does."""
    def work(tx):
        rules.require_case(tx, actor, case_uid)
        row = tx.run(_CHECK_OF_CASE, case=case_uid).single()
        if row is None:
            return {"checked": False}
        k = plain(row["k"])
        conflicting = set(k.get("conflict_case_uids") or [])
        uids = [*conflicting, *(k.get("other_case_uids") or [])]
        rows = tx.run(_CASES_BY_UID, uids=uids, **actor_params(actor))
        found = [{"uid": r["uid"], "readable": r["readable"], "shown": r["shown"], "owner": r["owner"],
                  "conflict": r["uid"] in conflicting, "violations": [], "shared": [], "subjects": []} for r in rows]
        entries = _entries(found)
        cases = [{k2: e[k2] for k2 in ("uid", "case_number", "title", "status", "conflict")}
                 for e in entries if not e["restricted"]]
        out = {"checked": True, "check_uid": k["uid"], "checked_at": k.get("asked_at"),
               "checked_by": {"uid": k.get("asked_by"), "name": k.get("asked_by_name"),
                              "office_code": k.get("office_code")},
               "violations": k.get("violations") or [],
               "conflicts": sum(1 for e in entries if e["conflict"]),
               "other_cases": sum(1 for e in entries if not e["conflict"]),
               "restricted": sum(1 for e in entries if e["restricted"]), "cases": cases}
        audit.record(tx, actor, "view", [case_uid, k["uid"], *(c["uid"] for c in cases)],
                     details={"op": "case_deconfliction_check", "check_uid": k["uid"], "conflicts": out["conflicts"],
                              "other_cases": out["other_cases"], "restricted": out["restricted"]})
        return out

    return audit.write_or_refuse(graph, actor, "case_deconfliction_check", [case_uid], work)
