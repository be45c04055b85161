"""Financial selectors shared across cases: bank accounts, cryptocurrency wallets, payment handles.

CBP CCMS PIA §2.1 lists financial data among what a case holds; an account two cases share is exactly
the link the system exists to show. Each account is one shared node (`vocabulary.FINANCIAL_SELECTORS`),
merged on its normalised key (`matching.identifiers.financial_selector`), like a phone. When a record
that holds one is written into a case (created, updated, imported, or linked to the case or the
account), the agents of every other case whose subjects hold the same account are alerted, both sides,
once per case pair and account (`telecom.alert_case_pair`: a restricted case's number is never named).
The alerts are written in the caller's transaction and audited there as "notify".
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from unidecode import unidecode

from ...nodes.vocabulary import FINANCIAL_SELECTORS
from ...policy.actor import Actor
from ..oversight import audit
from . import telecom

#: The record inputs that carry financial selectors ("bank_accounts", ...).
INPUTS = tuple(name for _, name in FINANCIAL_SELECTORS.values())
#: The links a record holds a financial selector by.
LINKS = tuple(link for link, _ in FINANCIAL_SELECTORS.values())
_LABELS = " OR ".join(f"s:{label}" for label in FINANCIAL_SELECTORS)

#: Properties of a financial selector a search for the record should find it by.
_SEARCHED = ("institution", "routing_number", "account_number", "address", "handle")


def words_of(props: Mapping) -> list[str]:
    """The search words of one financial selector (its stored properties), lower case ASCII."""
    return [unidecode(str(props[k])).lower() for k in _SEARCHED if props.get(k)]


def search_words(selectors: Mapping) -> list[str]:
    """The search words of the financial selectors `records.prepare` parsed (input name -> list)."""
    return [w for name in INPUTS for s in selectors.get(name) or () for w in words_of(s)]


_HELD = f"""
MATCH (:SubjectRecord {{uid: $uid}})-[h]->(s)
WHERE type(h) IN $links AND h.status = 'active' AND ({_LABELS})
RETURN properties(s) AS props
"""


def held_search_words(tx, uid: str) -> list[str]:
    """The search words of the financial selectors record `uid` already holds (an update keeps them searchable)."""
    return [w for r in tx.run(_HELD, uid=uid, links=list(LINKS)) for w in words_of(r["props"])]


_SHARED = f"""
UNWIND $uids AS uid
MATCH (n:SubjectRecord {{uid: uid}})-[h]->(s)
WHERE type(h) IN $links AND h.status = 'active' AND ({_LABELS}) AND coalesce(n.deleted, false) = false
MATCH (n)-[:SUBJECT_IN {{status: 'active'}}]->(mine:Case)
MATCH (s)<-[h2]-(o:SubjectRecord)-[:SUBJECT_IN {{status: 'active'}}]->(c:Case)
WHERE type(h2) IN $links AND h2.status = 'active' AND o <> n AND coalesce(o.deleted, false) = false
  AND c <> mine AND coalesce(c.deleted, false) = false
RETURN DISTINCT mine.uid AS mine, c.uid AS other, s.key AS key, coalesce(s.display, s.key) AS shown
ORDER BY mine, other, key
"""


def alert_shared_accounts(tx, actor: Actor, uids: Iterable[str]) -> int:
    """Alert both agents of each pair of cases that the financial selectors of records `uids` tie together
    (kind "account_alert"), once per case pair and account; audited as "notify". Returns the alerts sent."""
    uids = sorted(set(uids))
    if not uids:
        return 0
    sent = 0
    cases: set[str] = set()
    for r in tx.run(_SHARED, uids=uids, links=list(LINKS)).data():
        n = telecom.alert_case_pair(tx, actor, r["mine"], r["other"], "account_alert", r["shown"], selector=r["key"])
        if n:
            sent += n
            cases |= {r["mine"], r["other"]}
    if sent:
        audit.record(tx, actor, "notify", sorted(cases), details={"kind": "account_alert", "alerts": sent})
    return sent
