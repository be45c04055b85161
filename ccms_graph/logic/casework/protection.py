"""Protected sources: data from them restricts the case it arrives in, at once and for good.

CBP CCMS PIA, Overview: "Cases with source data derived from copies of protected databases external to
DHS (i.e., FinCEN data and/or other agency criminal case management systems) to include LETC records,
will be restricted". Which source names count is configuration (`Settings.protected_sources`).

A case learns its sources two ways: the predication it is opened on names them (`cases.create_case`),
or an import into it names the source of its lines (`entities.imports.import_jsonl`). Either way the
restriction is written in the transaction that brings the data, with its audit entry, and it needs
no approval: a restriction taken because of the data is the PIA's rule, not the agent's choice. Such
a case keeps its restriction: lifting it is refused (`require_liftable`) while the data is there.
"""

from __future__ import annotations

from collections.abc import Iterable

from ...errors import Conflict
from ...policy.actor import Actor
from ...settings import Settings
from ..oversight import audit


def protected(settings: Settings, sources: Iterable[str | None]) -> list[str]:
    """The names among `sources` that the settings mark protected (compared without case), as configured."""
    wanted = {(s or "").strip().casefold() for s in sources}
    return sorted(n for n in settings.protected_sources if n.casefold() in wanted)


_RESTRICT = """
MATCH (c:Case {uid: $uid})
WITH c, coalesce(c.restricted, false) AS before, coalesce(c.protected_sources, []) AS known
SET c.restricted = true,
    c.protected_sources = known + [n IN $names WHERE NOT n IN known],
    c.updated_at = datetime(), c.last_activity_at = datetime()
RETURN before, [n IN $names WHERE NOT n IN known] AS added
"""


def restrict_for_sources(tx, actor: Actor, case_uid: str, names: list[str]) -> bool:
    """Restrict the case because data from the protected sources `names` arrived in it (in the caller's
    transaction, audited when something changed). Returns whether the case was restricted only now."""
    if not names:
        return False
    rec = tx.run(_RESTRICT, uid=case_uid, names=names).single()
    if rec is None:
        return False
    if rec["added"] or not rec["before"]:
        audit.record(tx, actor, "update", [case_uid], details={
            "field": "restricted", "from": rec["before"], "to": True, "protected_sources": rec["added"] or names,
            "reason": f"data from a protected source ({', '.join(names)})"})
    return not rec["before"]


def require_liftable(case: dict) -> None:
    """Refuse (Conflict) to lift the restriction of a case holding data from a protected source."""
    names = case.get("protected_sources") or []
    if names:
        raise Conflict(f"case {case.get('case_number')} holds data from a protected source ({', '.join(names)}); "
                       "it stays restricted", protected_sources=list(names))
