"""The seed graph read into Python once, to compute what each catalogue query should return independently.

Readability comes from the policy's Python twin (`rules.can`) over facts built here from the snapshot,
not from the Cypher predicates the queries use; paths come from a plain breadth-first search. Saved
queries read selectors (phones, e-mails, addresses, handles, identifiers) more strictly than the twin:
only through a live record the user may read that uses them (`selector_readable` below).
"""

from __future__ import annotations

from collections import defaultdict, deque
from dataclasses import dataclass, field

from ccms_graph.policy import rules

SELECTORS = ("Phone", "Email", "Address", "SocialHandle", "Identifier", "BankAccount", "CryptoWallet", "PaymentHandle")
#: The links by which a record uses a selector (a selector's readers are the readers of those records).
USES = ("USES_PHONE", "USES_EMAIL", "USES_HANDLE", "HOLDS_ACCOUNT", "USES_WALLET", "USES_PAYMENT_HANDLE",
        "RESIDES_AT", "LOCATED_AT", "MENTIONS", "HAS_IDENTIFIER")


def _native(v):
    return v.to_native() if hasattr(v, "to_native") else v


@dataclass
class Snapshot:
    nodes: dict[str, dict] = field(default_factory=dict)  #: uid -> {"labels": set, "props": dict}
    edges: list[dict] = field(default_factory=list)  #: {"type", "a", "b", "props"} between Linkables
    requests: list[dict] = field(default_factory=list)
    _facts: dict = field(default_factory=dict)

    @classmethod
    def load(cls, graph) -> Snapshot:
        snap = cls()
        for r in graph.query("MATCH (n:Linkable) RETURN n.uid AS uid, labels(n) AS labels, properties(n) AS props"):
            snap.nodes[r["uid"]] = {"labels": set(r["labels"]),
                                    "props": {k: _native(v) for k, v in r["props"].items()}}
        for r in graph.query("""MATCH (a:Linkable)-[r]->(b:Linkable)
                                RETURN type(r) AS type, a.uid AS a, b.uid AS b, properties(r) AS props"""):
            snap.edges.append({"type": r["type"], "a": r["a"], "b": r["b"],
                               "props": {k: _native(v) for k, v in r["props"].items()}})
        snap.requests = [{k: _native(v) for k, v in r["r"].items()}
                         for r in graph.query("MATCH (r:ApprovalRequest) RETURN properties(r) AS r")]
        return snap

    # --- structure -------------------------------------------------------------------------------

    def has(self, uid: str, label: str) -> bool:
        return label in self.nodes[uid]["labels"]

    def p(self, uid: str) -> dict:
        return self.nodes[uid]["props"]

    def active(self, *types: str):
        return [e for e in self.edges if e["type"] in types and e["props"].get("status") == "active"]

    def cases_of(self, uid: str) -> set[str]:
        if "_member" not in self._facts:
            member: dict[str, set[str]] = defaultdict(set)
            for e in self.active("SUBJECT_IN", "PART_OF"):
                member[e["a"]].add(e["b"])
            self._facts["_member"] = member
        return set(self._facts["_member"].get(uid, ()))

    def live(self, uid: str) -> bool:
        return not self.p(uid).get("deleted")

    # --- the policy's Python twin ------------------------------------------------------------------

    def facts(self, uid: str) -> dict:
        if uid not in self._facts:
            labels, props = self.nodes[uid]["labels"], self.p(uid)
            kind = next((k for k in ("Case", "SubjectRecord", "Document") if k in labels), "Selector")
            linked = self.cases_of(uid)
            case_uids = [(c, True) for c in sorted(linked)]
            if props.get("case_uid") and props["case_uid"] not in linked and props["case_uid"] in self.nodes:
                case_uids.append((props["case_uid"], False))
            self._facts[uid] = {
                "uid": uid, "kind": kind, "labels": sorted(labels), "owner_uid": props.get("owner_uid"),
                "author_uid": props.get("author_uid"), "office_code": props.get("office_code"),
                "restricted": bool(props.get("restricted")), "team_uids": list(props.get("team_uids") or []),
                "status": props.get("status"), "deleted": bool(props.get("deleted")), "hidden": False,
                "cases": [{"uid": c, "owner_uid": self.p(c).get("owner_uid"),
                           "office_code": self.p(c).get("office_code"),
                           "restricted": bool(self.p(c).get("restricted")),
                           "team_uids": list(self.p(c).get("team_uids") or []), "linked": ln}
                          for c, ln in case_uids],
            }
        return self._facts[uid]

    def readable(self, actor, uid: str) -> bool:
        if not self.live(uid):
            return False
        if any(self.has(uid, s) for s in SELECTORS):
            return self.selector_readable(actor, uid)
        return rules.can(actor, "read", self.facts(uid))

    def selector_readable(self, actor, uid: str) -> bool:
        """An auditor reads every selector; anyone else one used (by an active link) by a live record they
        may read."""
        if rules.can(actor, "audit"):
            return True
        if "_users" not in self._facts:
            users: dict[str, set[str]] = defaultdict(set)
            for e in self.edges:
                if e["type"] in USES and e["props"].get("status", "active") == "active":
                    users[e["b"]].add(e["a"])
            self._facts["_users"] = users
        return any((self.has(u, "SubjectRecord") or self.has(u, "Document")) and self.live(u)
                   and rules.can(actor, "read", self.facts(u)) for u in self._facts["_users"].get(uid, ()))

    def restricted_subjects(self) -> set[str]:
        """Every subject record with an active SUBJECT_IN link to a restricted case."""
        restricted = {u for u, n in self.nodes.items() if "Case" in n["labels"] and n["props"].get("restricted")}
        return {e["a"] for e in self.active("SUBJECT_IN") if e["b"] in restricted}

    # --- paths --------------------------------------------------------------------------------------

    def adjacency(self, actor) -> dict[str, set[str]]:
        """Undirected adjacency over active links between records the actor may read."""
        ok = {u for u in self.nodes if self.readable(actor, u)}
        adj: dict[str, set[str]] = defaultdict(set)
        for e in self.edges:
            if e["props"].get("status") == "active" and e["a"] in ok and e["b"] in ok:
                adj[e["a"]].add(e["b"])
                adj[e["b"]].add(e["a"])
        return adj

    @staticmethod
    def distances(adj: dict[str, set[str]], start: str, limit: int) -> dict[str, int]:
        dist = {start: 0}
        queue = deque([start])
        while queue:
            u = queue.popleft()
            if dist[u] >= limit:
                continue
            for v in adj.get(u, ()):
                if v not in dist:
                    dist[v] = dist[u] + 1
                    queue.append(v)
        return dist
