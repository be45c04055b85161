"""Read scopes: Cypher predicate fragments saying which cases, records and documents an actor may read.

Every read query composes these fragments into its WHERE clause and passes `rules.actor_params(actor)`
as parameters. The fragments use only these parameters:

    $me            the actor's uid
    $subordinates  uids of everyone who reports to the actor, directly or through others
    $offices       the actor's office code and every port/unit WITHIN it
    $granted       case uids an active AccessGrant opens to the actor, to the actor's office, or to an
                   office the actor's office lies within (a grant reaches down, never up: `actor`)
    $auditor       true for the auditor (and the system): reads everything
    $reader        false for roles that never see case content (admin) and for expired training

An empty list is sent as `[rules.NONE]` (a NUL character no uid or office code holds), so every actor's
parameters have one type and share one plan.

The rules (the Python twin is `rules.can`; `tests/policy` checks both against a reference model):

* Case: readable by its owner and team (`team_uids`), by the supervisor chain above any of them, and,
  when not restricted, by anyone whose offices include the case's office or who holds an active grant
  on it. A grant does NOT open a restricted case: share a restricted case by adding to its team.
* Subject Record: readable by its owner and the owner's supervisors; by anyone who may read a case it
  is an active subject in; and by its office (`$offices`) unless it is in a restricted case (then only
  through a readable case, restricted or not).
* Document: a document in draft (status draft, submitted or returned; unset counts as draft for a
  Report of Investigation and as filed for any other type, the status documents had before every type
  was approved) is readable only by its author (`author_uid`, else `owner_uid`) and the author's
  supervisors: CCMS PIA §2.4, case documents "must be reviewed and approved by a supervisor prior to
  being available for use in an investigation". Any other document follows
  the Subject Record rule with PART_OF instead of SUBJECT_IN (and `case_uid` also counts as membership
  when deciding whether it lies in a restricted case).
* Selectors (Phone, Email, Address, SocialHandle, Identifier) are shared, carry no case content, and are
  readable by every reader; the records behind them are filtered when a query reaches them.

Derived data is as secret as what it derives from (`link_shown`, `link_props`, `link_readable`, and the
pointer rule `rules.redact_pointers`):

* A link's properties are shown only where both its ends are readable. A record's link to something it
  may not read is shown as a locked placeholder (uid withheld where the existence is hidden); a
  selector's link to a record whose existence is hidden is not shown at all, since "this number is used
  by a hidden record" is itself that record's content.
* A link derived from case material (CALLED, from the call detail records of `case_uids`) is readable
  only as far as those cases are: it shows the calls of the cases the actor may read, aggregated over
  those alone, with `case_uids` narrowed to them; its provenance (created_by, created_at, updated_at)
  only when every case it came from is readable; and it is not shown at all when none is. A CALLED link
  with no case (loaded directly, as the sandbox seed does) derives from no case and shows as stored.
* Properties that name another record (`POINTERS`: master_uid, combined_into, combined_from, case_uid,
  case_uids) are shown only where the named record is readable; a list of uids is narrowed to those.

Denial answers (`hidden`): a refused read of something whose existence is itself protected answers
NotFound; a refused read of something whose existence is known answers Forbidden. Existence is
protected for restricted cases, for records and documents that lie only in restricted cases, and for
drafts. An unrestricted record of another office is not secret (deconfliction reports such hits and
names the owner to contact), so reading it answers Forbidden.
"""

from __future__ import annotations

import re

from ..nodes.vocabulary import LINK_TYPES, SELECTOR_TYPES

#: Document statuses in which only the author and the author's supervisors see it: a document (a
#: Report of Investigation or any other type) reaches other readers only once a supervisor has approved it
#: (CCMS PIA §2.4, supervisor approval).
DRAFT_STATUSES = ("draft", "submitted", "returned")

_IDENT = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,30}$")


def _v(var: str) -> str:
    """A Cypher variable name, checked: fragments are code, so their variable must be too."""
    if not _IDENT.match(var):
        raise ValueError(f"not a Cypher variable name: {var!r}")
    return var


def _owned(var: str, owner: str = "owner_uid") -> str:
    return f"({var}.{owner} = $me OR {var}.{owner} IN $subordinates)"


def checked(variables: list[str], predicate: str, column: str) -> str:
    """A subquery keeping the rows for which `predicate` holds, printed right after the MATCH whose rows it
    checks: `CALL (<variables>) { WITH * WHERE <predicate> RETURN 0 AS <column> }`. The rows are those of
    the predicate in that MATCH's WHERE; the plan is not: in a WHERE, Neo4j plans the predicate's EXISTS
    subqueries again for every join order it weighs, here once. `variables` are printed names (every one
    the predicate reads); `column` is the one it adds, unique in its query part."""
    return f"CALL ({', '.join(variables)}) {{ WITH * WHERE {predicate} RETURN 0 AS {column} }}"


def case_readable(c: str = "c") -> str:
    """Predicate: may the actor read Case `c`?"""
    c = _v(c)
    return (
        f"($auditor OR ($reader AND ({_owned(c)} "
        f"OR any(_tm IN coalesce({c}.team_uids, []) WHERE _tm = $me OR _tm IN $subordinates) "
        f"OR (coalesce({c}.restricted, false) = false "
        f"AND ({c}.office_code IN $offices OR {c}.uid IN $granted)))))"
    )


def _in_restricted(n: str, rel: str) -> str:
    extra = ""
    if rel == "PART_OF":
        extra = f" OR EXISTS {{ MATCH ({n}_rk:Case {{uid: {n}.case_uid}}) WHERE {n}_rk.restricted = true }}"
    return (f"(EXISTS {{ MATCH ({n})-[:{rel} {{status: 'active'}}]->({n}_rc:Case) "
            f"WHERE {n}_rc.restricted = true }}{extra})")


def _member_readable(n: str, rel: str) -> str:
    c = f"{n}_mc"
    return f"EXISTS {{ MATCH ({n})-[:{rel} {{status: 'active'}}]->({c}:Case) WHERE {case_readable(c)} }}"


def _membership_readable(n: str, rel: str) -> str:
    return (f"({_owned(n)} OR {_member_readable(n, rel)} "
            f"OR ({n}.office_code IN $offices AND NOT {_in_restricted(n, rel)}))")


def subject_readable(n: str = "n") -> str:
    """Predicate: may the actor read SubjectRecord `n`?"""
    n = _v(n)
    return f"($auditor OR ($reader AND {_membership_readable(n, 'SUBJECT_IN')}))"


def is_draft(d: str = "d") -> str:
    """Predicate: is `d` a document still in draft, not yet approved (author and supervisors only)?"""
    d = _v(d)
    return (f"({d}:Document AND coalesce({d}.status, CASE WHEN {d}:ReportOfInvestigation THEN 'draft' "
            f"ELSE 'filed' END) IN [{', '.join(repr(s) for s in DRAFT_STATUSES)}])")


def document_readable(d: str = "d") -> str:
    """Predicate: may the actor read Document `d`?"""
    d = _v(d)
    return (f"($auditor OR ($reader AND CASE WHEN {is_draft(d)} "
            f"THEN (coalesce({d}.author_uid, {d}.owner_uid) = $me "
            f"OR coalesce({d}.author_uid, {d}.owner_uid) IN $subordinates) "
            f"ELSE {_membership_readable(d, 'PART_OF')} END))")


#: Links from a record to a selector: a selector is readable through a readable record at their other end.
SELECTOR_LINKS = tuple(name for name, lt in LINK_TYPES.items()
                       if lt.targets & set(SELECTOR_TYPES) and not lt.sources <= set(SELECTOR_TYPES))


def selector_readable(n: str = "n") -> str:
    """Predicate: may the actor read selector `n` (Phone, Email, Address, SocialHandle, Identifier)?

    A selector is as secret as what it comes from: readable through a live record the actor may read
    that uses it (an active link), for a phone through the call or subscriber records of a case the
    actor may read, and for any selector through a telecom record (subscriber or miscellaneous: IMSI,
    IMEI, IP) of a case the actor may read. A phone, e-mail or SSN used only by hidden records is itself hidden."""
    n = _v(n)
    r, o, c, s, k, t = f"{n}_su", f"{n}_so", f"{n}_sc", f"{n}_ss", f"{n}_sk", f"{n}_st"
    return (f"($auditor OR ($reader AND (EXISTS {{ MATCH ({n})<-[{r}:{'|'.join(SELECTOR_LINKS)}]-({o}) "
            f"WHERE coalesce({r}.status, 'active') = 'active' AND coalesce({o}.deleted, false) = false "
            f"AND (({o}:SubjectRecord AND {subject_readable(o)}) "
            f"OR ({o}:Document AND {document_readable(o)})) }} "
            f"OR ({n}:Phone AND (EXISTS {{ MATCH ({c}:CallRecord) WHERE {c}.orig = {n}.e164 "
            f"AND {any_readable_case(c)} }} "
            f"OR EXISTS {{ MATCH ({c}:CallRecord) WHERE {c}.term = {n}.e164 AND {any_readable_case(c)} }} "
            f"OR EXISTS {{ MATCH ({s}:SubscriberRecord {{e164: {n}.e164}}) MATCH ({k}:Case {{uid: {s}.case_uid}}) "
            f"WHERE {case_readable(k)} }})) "
            f"OR EXISTS {{ MATCH ({n})<-[:NAMES_SELECTOR]-({t}:TelecomRecord) "
            f"WHERE {any_readable_case(t)} }})))")


def _by_kind(n: str, otherwise: str) -> str:
    """Predicate: `n` read by its kind's rule (Case, Subject Record, Document), else `otherwise`."""
    return (f"(CASE WHEN {n}:Case THEN {case_readable(n)} "
            f"WHEN {n}:SubjectRecord THEN {subject_readable(n)} "
            f"WHEN {n}:Document THEN {document_readable(n)} "
            f"ELSE {otherwise} END)")


def record_readable(n: str = "n") -> str:
    """Predicate: may the actor read `n`, whatever it is (Case, Subject Record, Document, selector)?"""
    n = _v(n)
    return _by_kind(n, selector_readable(n))


def content_readable(n: str = "n") -> str:
    """Predicate: is `n` a Case, Subject Record or Document the actor may read? (`record_readable` false
    for a selector: for a query whose nodes are never selectors, it leaves Neo4j the selector rule's
    dozen subqueries to plan.)"""
    return _by_kind(_v(n), "false")


def hidden(n: str = "n") -> str:
    """Predicate: is the very existence of `n` protected (a refusal must answer NotFound)?"""
    n = _v(n)
    return (f"(CASE WHEN {n}:Case THEN coalesce({n}.restricted, false) "
            f"WHEN {n}:SubjectRecord THEN {_in_restricted(n, 'SUBJECT_IN')} AND NOT EXISTS {{ "
            f"MATCH ({n})-[:SUBJECT_IN {{status: 'active'}}]->({n}_uc:Case) "
            f"WHERE coalesce({n}_uc.restricted, false) = false }} "
            f"WHEN {n}:Document THEN {is_draft(n)} OR {_in_restricted(n, 'PART_OF')} "
            f"ELSE true END)")  # a selector the actor may not read answers like a missing one


# ---------------------------------------------------------------------------------------------
# Derived data: links, the call data behind CALLED, selectors' links
# ---------------------------------------------------------------------------------------------

#: Properties of records and links that name another record; `rules.redact_pointers` withholds each
#: one that names a record the actor may not read (a list is narrowed to the readable uids).
POINTERS = ("master_uid", "combined_into", "combined_from", "case_uid", "case_uids")

#: Link types whose data is derived from the material of the cases in their `case_uids`: CALLED (its counts
#: recomputed from the readable cases' calls) and IDENTIFIED_AS (a number's IMSI, IMEI or IP address, from
#: the cases' subscriber and miscellaneous records: shown with `case_uids` narrowed, never with provenance).
CASE_DERIVED = ("CALLED", "IDENTIFIED_AS")


def is_record(n: str = "n") -> str:
    """Predicate: is `n` case content (a Case, Subject Record or Document) rather than a shared selector?"""
    n = _v(n)
    return f"({n}:Case OR {n}:SubjectRecord OR {n}:Document)"


def readable_case_uids(holder: str, prop: str = "case_uids") -> str:
    """Expression: the uids in the list `holder.prop` naming cases the actor may read, in order."""
    h, p = _v(holder), _v(prop)
    cu, k = f"{h}_cu", f"{h}_ck"
    return (f"[{cu} IN coalesce({h}.{p}, []) WHERE EXISTS {{ MATCH ({k}:Case {{uid: {cu}}}) "
            f"WHERE {case_readable(k)} }}]")


def any_readable_case(holder: str, prop: str = "case_uids") -> str:
    """Predicate: does the list `holder.prop` name a case the actor may read? (`size(readable_case_uids(..)) >
    0`, written as one subquery: the list comprehension's subquery within a subquery took Neo4j half as
    long again to plan, in every statement the selector and link rules are part of.)"""
    h, p = _v(holder), _v(prop)
    k = f"{h}_ak"
    return f"EXISTS {{ MATCH ({k}:Case) WHERE {k}.uid IN {h}.{p} AND {case_readable(k)} }}"


def _from_cases(r: str) -> str:
    return (f"(type({r}) IN [{', '.join(repr(t) for t in CASE_DERIVED)}] "
            f"AND size(coalesce({r}.case_uids, [])) > 0)")


def _calls(r: str) -> str:
    c = f"{r}_call"
    return (f"MATCH ({c}:CallRecord {{orig: startNode({r}).e164, term: endNode({r}).e164}}) "
            f"WITH {c}, {readable_case_uids(c)} AS {c}_ok WHERE size({c}_ok) > 0")


def link_readable(r: str = "r") -> str:
    """Predicate: may the actor see link `r` at all, its ends being readable? Every link may, but one
    derived from case material that holds nothing from a case the actor may read."""
    r = _v(r)
    c = f"{r}_call"
    return (f"(NOT {_from_cases(r)} OR CASE WHEN type({r}) = 'CALLED' THEN EXISTS {{ MATCH ({c}:CallRecord "
            f"{{orig: startNode({r}).e164, term: endNode({r}).e164}}) WHERE {any_readable_case(c)} }} "
            f"ELSE {any_readable_case(r)} END)")


def link_shown(n: str, r: str, m: str, readable: str | None = None, hidden_: str | None = None) -> str:
    """Predicate: may the actor learn that link `r` joins the readable `n` to `m` (as a link, or as a
    locked placeholder for `m`)? Drafts of others never show; a selector's links to hidden records never
    show; a case-derived link shows only with something from a readable case. `readable` and `hidden_`
    name variables already holding `record_readable(m)` and `hidden(m)`, for a query that returns them too
    (each written out is another copy for Neo4j to plan)."""
    n, r, m = _v(n), _v(r), _v(m)
    ok = _v(readable) if readable else record_readable(m)
    secret = _v(hidden_) if hidden_ else hidden(m)
    return (f"(CASE WHEN {ok} THEN {link_readable(r)} "
            f"ELSE NOT {is_draft(m)} AND ({is_record(n)} OR NOT {secret}) END)")


def link_props(r: str = "r") -> str:
    """Expression: the properties of link `r` the actor may see, its ends being readable (a map; a
    withheld property is null, and `rules.shown` drops it). A case-derived link is recomputed from the
    calls of the cases the actor may read; any other link shows as stored (pointers: `rules.redact_pointers`)."""
    r = _v(r)
    calls, x, acc = f"{r}_calls", f"{r}_x", f"{r}_acc"
    everything = f"size({readable_case_uids(r)}) = size(coalesce({r}.case_uids, []))"
    called = (
        f"[{calls} IN [COLLECT {{ {_calls(r)} RETURN {{start_at: {r}_call.start_at, "
        f"duration: {r}_call.duration, case_uids: {r}_call_ok}} }}] | {{"
        f"uid: {r}.uid, status: {r}.status, source: {r}.source, count: size({calls}), "
        f"total_seconds: reduce({acc} = 0, {x} IN {calls} | {acc} + coalesce({x}.duration, 0)), "
        f"first_at: reduce({acc} = null, {x} IN {calls} | "
        f"CASE WHEN {acc} IS NULL OR {x}.start_at < {acc} THEN {x}.start_at ELSE {acc} END), "
        f"last_at: reduce({acc} = null, {x} IN {calls} | "
        f"CASE WHEN {acc} IS NULL OR {x}.start_at > {acc} THEN {x}.start_at ELSE {acc} END), "
        f"case_uids: reduce({acc} = [], {x} IN {calls} | {acc} + [{r}_y IN {x}.case_uids WHERE NOT {r}_y IN {acc}]), "
        f"created_by: CASE WHEN {everything} THEN {r}.created_by END, "
        f"created_at: CASE WHEN {everything} THEN {r}.created_at END, "
        f"updated_at: CASE WHEN {everything} THEN {r}.updated_at END}}][0]"
    )
    return f"(CASE WHEN {_from_cases(r)} AND type({r}) = 'CALLED' THEN {called} ELSE properties({r}) END)"


def case_bound_readable(n: str = "n", prop: str = "case_uid") -> str:
    """Predicate: may the actor read `n`, material kept for one case (its `case_uid`: an LPR sighting, a hot
    list entry)? Exactly as far as that case is readable; with no live case, only the auditor (issue 20:
    LPR data is kept only when tied to a case, so it is as secret as the case it is tied to)."""
    n, prop, k = _v(n), _v(prop), f"{_v(n)}_bc"
    return (f"($auditor OR EXISTS {{ MATCH ({k}:Case {{uid: {n}.{prop}}}) "
            f"WHERE coalesce({k}.deleted, false) = false AND {case_readable(k)} }})")
