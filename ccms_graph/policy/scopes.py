"""Read scopes: Cypher predicate fragments saying which cases, records and documents an actor may read.

Every read query composes these fragments into its WHERE clause and passes `rules.actor_params(actor)`
as parameters. The fragments use only these parameters:

    $me            the actor's uid
    $subordinates  uids of everyone who reports to the actor, directly or through others
    $offices       the actor's office code and every port/unit WITHIN it
    $granted       case uids an active AccessGrant opens to the actor or the actor's office
    $auditor       true for the auditor (and the system): reads everything
    $reader        false for roles that never see case content (admin) and for expired training

The rules (the Python twin is `rules.can`; `tests/policy` checks both against a reference model):

* Case: readable by its owner and team (`team_uids`), by the supervisor chain above any of them, and,
  when not restricted, by anyone whose offices include the case's office or who holds an active grant
  on it. A grant does NOT open a restricted case: share a restricted case by adding to its team.
* Subject Record: readable by its owner and the owner's supervisors; by anyone who may read a case it
  is an active subject in; and by its office (`$offices`) unless it is in a restricted case (then only
  through a readable case, restricted or not).
* Document: a Report of Investigation in draft (status draft, returned or unset) is readable only by
  its author (`author_uid`, else `owner_uid`) and the author's supervisors. Any other document follows
  the Subject Record rule with PART_OF instead of SUBJECT_IN (and `case_uid` also counts as membership
  when deciding whether it lies in a restricted case).
* Selectors (Phone, Email, Address, SocialHandle, Identifier) are shared, carry no case content, and are
  readable by every reader; the records behind them are filtered when a query reaches them.

Denial answers (`hidden`): a refused read of something whose existence is itself protected answers
NotFound; a refused read of something whose existence is known answers Forbidden. Existence is
protected for restricted cases, for records and documents that lie only in restricted cases, and for
drafts. An unrestricted record of another office is not secret (deconfliction reports such hits and
names the owner to contact), so reading it answers Forbidden.
"""

from __future__ import annotations

import re

#: Report of Investigation statuses in which only the author and the author's supervisors see it:
#: a report reaches other readers only once a supervisor has approved it (CCMS PIA, supervisor approval).
DRAFT_STATUSES = ("draft", "submitted", "returned")

_IDENT = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,30}$")


def _v(var: str) -> str:
    """A Cypher variable name, checked: fragments are code, so their variable must be too."""
    if not _IDENT.match(var):
        raise ValueError(f"not a Cypher variable name: {var!r}")
    return var


def _owned(var: str, owner: str = "owner_uid") -> str:
    return f"({var}.{owner} = $me OR {var}.{owner} IN $subordinates)"


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
    """Predicate: is `d` a Report of Investigation still in draft (author and supervisors only)?"""
    d = _v(d)
    return (f"({d}:ReportOfInvestigation AND coalesce({d}.status, 'draft') IN "
            f"[{', '.join(repr(s) for s in DRAFT_STATUSES)}])")


def document_readable(d: str = "d") -> str:
    """Predicate: may the actor read Document `d`?"""
    d = _v(d)
    return (f"($auditor OR ($reader AND CASE WHEN {is_draft(d)} "
            f"THEN (coalesce({d}.author_uid, {d}.owner_uid) = $me "
            f"OR coalesce({d}.author_uid, {d}.owner_uid) IN $subordinates) "
            f"ELSE {_membership_readable(d, 'PART_OF')} END))")


def record_readable(n: str = "n") -> str:
    """Predicate: may the actor read `n`, whatever it is (Case, Subject Record, Document, selector)?"""
    n = _v(n)
    return (f"(CASE WHEN {n}:Case THEN {case_readable(n)} "
            f"WHEN {n}:SubjectRecord THEN {subject_readable(n)} "
            f"WHEN {n}:Document THEN {document_readable(n)} "
            f"ELSE ($auditor OR $reader) END)")


def hidden(n: str = "n") -> str:
    """Predicate: is the very existence of `n` protected (a refusal must answer NotFound)?"""
    n = _v(n)
    return (f"(CASE WHEN {n}:Case THEN coalesce({n}.restricted, false) "
            f"WHEN {n}:SubjectRecord THEN {_in_restricted(n, 'SUBJECT_IN')} AND NOT EXISTS {{ "
            f"MATCH ({n})-[:SUBJECT_IN {{status: 'active'}}]->({n}_uc:Case) "
            f"WHERE coalesce({n}_uc.restricted, false) = false }} "
            f"WHEN {n}:Document THEN {is_draft(n)} OR {_in_restricted(n, 'PART_OF')} "
            f"ELSE false END)")
