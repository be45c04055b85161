"""Tiny factories for tests: offices, users and records built through the same logic as the app."""

from __future__ import annotations

import threading
from datetime import date, timedelta
from types import SimpleNamespace

from ccms_graph.errors import DomainError, NotFound
from ccms_graph.logic.common import node_dict, plain
from ccms_graph.logic.entities import records
from ccms_graph.logic.people.roster import provision
from ccms_graph.nodes.vocabulary import USER_LINK_TYPES
from ccms_graph.policy.actor import SYSTEM, load_actor

PASSWORD = "correct-horse-battery"


def make_org(graph) -> SimpleNamespace:
    """The org chart, provisioned in one transaction (`roster.provision`, as `ccms-graph users provision`)."""
    provision(graph, SYSTEM, ORG_ROSTER)
    return SimpleNamespace(**graph.read(lambda tx: {u: load_actor(tx, u) for u in ORG_USERS}))


ORG_OFFICES = [
    {"code": "MIA", "name": "Miami Field Office", "kind": "field_office"},
    {"code": "MIA-PEV", "name": "Port Everglades", "kind": "port", "parent_code": "MIA"},
    {"code": "NYC", "name": "New York Field Office", "kind": "field_office"},
]
ORG_CHART = [  # username, role, office, supervisor
    ("chief", "supervisor", "MIA", None),
    ("sup_mia", "supervisor", "MIA", "chief"),
    ("agent_a", "agent", "MIA", "sup_mia"),
    ("agent_b", "agent", "MIA", "sup_mia"),
    ("agent_port", "agent", "MIA-PEV", "sup_mia"),
    ("analyst_mia", "analyst", "MIA", "sup_mia"),
    ("sup_nyc", "supervisor", "NYC", None),
    ("agent_nyc", "agent", "NYC", "sup_nyc"),
    ("auditor", "auditor", "NYC", None),
    ("admin", "admin", "NYC", None),
]
ORG_USERS = tuple(username for username, *_ in ORG_CHART)
ORG_ROSTER = {"offices": ORG_OFFICES, "users": [
    {"username": username, "name": username.replace("_", " ").title(), "role": role, "office_code": office,
     "supervisor": sup, "password": PASSWORD, "phone": "+13055550100", "email": f"{username}@example.gov",
     "training_expires": "2099-12-31"}
    for username, role, office, sup in ORG_CHART]}


def actor(graph, username: str):
    return graph.read(load_actor, username)


def record_uid(graph, who, type_name: str, data: dict) -> str:
    """The uid of a new record of `type_name` that `who` creates from `data`."""
    return records.create_entity(graph, who, type_name, data)["uid"]


def make_person(graph, who, case_uid=None, **fields):
    fields.setdefault("given_name", "John")
    fields.setdefault("family_name", "Smith")
    return records.create_entity(graph, who, "Person", fields, case_uid=case_uid)


def a_readable_and_a_hidden_match(graph, org) -> tuple[dict, dict, list[dict]]:
    """What agent_a's import meets: agent_b's Lucia Ferreira (ref MIA-9; agent_a's office, so readable) and
    agent_nyc's Viktor Orlov (ref NYC-SECRET-5; another office, so only whom to call), and three lines: L1
    meets the first, L2 nothing, L3 the second."""
    mine = make_person(graph, org.agent_b, given_name="Lucia", family_name="Ferreira", dob="1982-07-09", ref="MIA-9")
    hidden = make_person(graph, org.agent_nyc, given_name="Viktor", family_name="Orlov", dob="1975-03-14",
                         ref="NYC-SECRET-5")
    return mine, hidden, [{"ref": "L1", "given_name": "Lucia", "family_name": "Ferreira", "dob": "1982-07-09"},
                          {"ref": "L2", "given_name": "Nobody", "family_name": "Zzyzx", "dob": "2001-01-01"},
                          {"ref": "L3", "given_name": "Viktor", "family_name": "Orlov", "dob": "1975-03-14"}]


_STORED = """
MATCH (n:Linkable {uid: $uid}) WHERE coalesce(n.deleted, false) = false
OPTIONAL MATCH (n)-[:SUBJECT_IN {status: 'active'}]->(c:Case)
RETURN n, labels(n) AS labels, [x IN collect(c) | {uid: x.uid, case_number: x.case_number, title: x.title}] AS cases
"""


def stored_record(graph, uid: str) -> dict:
    """A record as stored, {uid, type, caption, props, cases}, read past the policy: what tests check."""
    (row,) = graph.query(_STORED, {"uid": uid})
    return {**node_dict(row["n"], row["labels"]), "cases": row["cases"]}


def links_of(graph, uid: str, include_retired: bool = False) -> list[dict]:
    """Every link touching a record, newest first, with the other end's properties, read past the policy."""
    rows = graph.query(
        """MATCH (n:Linkable {uid: $uid})-[r]-(m)
        WHERE type(r) IN $types AND ($all OR r.status = 'active')
        RETURN type(r) AS type, startNode(r) = n AS outgoing, properties(r) AS props,
               m.uid AS other_uid, labels(m) AS other_labels, properties(m) AS other
        ORDER BY r.created_at DESC""",
        {"uid": uid, "types": list(USER_LINK_TYPES), "all": include_retired})
    for row in rows:
        row["props"] = plain(row["props"])
    return rows


_FAMILY = """
MATCH (n:SubjectRecord {uid: $uid})
OPTIONAL MATCH (n)-[:SUB_RECORD_OF* {status: 'active'}]->(top:SubjectRecord)
WHERE NOT (top)-[:SUB_RECORD_OF {status: 'active'}]->()
WITH coalesce(top, n) AS root
OPTIONAL MATCH (sub:SubjectRecord)-[:SUB_RECORD_OF* {status: 'active'}]->(root)
RETURN root.uid AS root, collect(DISTINCT sub.uid) AS subs
"""


def family_uids(tx, uid: str) -> tuple[str, list[str]]:
    """(master uid, sub-record uids) of the individual `uid` belongs to; (uid, []) when it is unmerged."""
    rec = tx.run(_FAMILY, uid=uid).single()
    if rec is None:
        raise NotFound(f"no record {uid}")
    return rec["root"], sorted(u for u in rec["subs"] if u)


def links_via_master(graph, master_uid: str) -> list[dict]:
    """Every active link of the master and of its sub-records: what the merged individual is linked to."""
    root, subs = graph.read(family_uids, master_uid)
    out = []
    for uid in [root, *subs]:
        for link in links_of(graph, uid):
            if link.get("type") != "SUB_RECORD_OF":
                out.append({**link, "via_uid": uid})
    return out


def stored_case(graph, uid_or_number: str) -> dict:
    """A case as stored, with its active subjects and documents, read past the policy: what tests check."""

    def work(tx):
        return tx.run(
            """MATCH (c:Case) WHERE c.uid = $key OR c.case_number = $key
            OPTIONAL MATCH (s:SubjectRecord)-[r:SUBJECT_IN {status: 'active'}]->(c)
            WITH c, collect({node: s, labels: labels(s)}) AS subjects
            OPTIONAL MATCH (d:Document)-[:PART_OF {status: 'active'}]->(c)
            RETURN c, subjects, collect({node: d, labels: labels(d)}) AS documents""",
            key=uid_or_number).single()

    rec = graph.read(work)
    if rec is None:
        raise NotFound(f"no case {uid_or_number}")
    out = node_dict(rec["c"], ["Case"])
    out["subjects"] = [node_dict(x["node"], x["labels"]) for x in rec["subjects"] if x["node"] is not None]
    out["documents"] = [node_dict(x["node"], x["labels"]) for x in rec["documents"] if x["node"] is not None]
    return out


def set_attachment_text(graph, attachment_uid: str, text: str) -> None:
    """Store an attachment's extracted text in `text`, the property text extraction writes (test-only
    stand-in until the extraction path lands); the `attachment_text` full-text index reads it."""
    graph.query("MATCH (a:Attachment {uid: $uid}) SET a.text = $text", {"uid": attachment_uid, "text": text},
                write=True)


class DaysFromToday(int):
    """A date given as days from today in a test's parameters, made a date by `on_the_day` when the test
    runs, not when pytest collects it: "tomorrow" collected before midnight is today after it."""


def on_the_day(data: dict) -> dict:
    """`data` with each `DaysFromToday` value as the ISO date it names today."""
    return {k: (date.today() + timedelta(days=v)).isoformat() if isinstance(v, DaysFromToday) else v
            for k, v in data.items()}


def race(calls):
    """Run the calls from separate threads released together; returns each one's result or exception."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(i, fn):
        barrier.wait()
        try:
            results[i] = fn()
        except DomainError as exc:
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i, fn)) for i, fn in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return results


def wait_until_blocked(graph, tries=600):
    """Poll the server until some transaction is waiting for a lock (what the second decider must do)."""
    for _ in range(tries):
        rows = graph.query("SHOW TRANSACTIONS YIELD status RETURN collect(status) AS s")
        if any(str(s).startswith("Blocked") for s in rows[0]["s"]):
            return True
        threading.Event().wait(0.05)
    return False
