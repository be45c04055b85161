"""A large synthetic graph on top of the sandbox: `ccms-graph seed --scale N` (N persons, N/10 cases).

For load and benchmark runs at production size (issue 16: 1M persons), not for demos. It grows the
sandbox that is already loaded (its offices, users and sequences) and is reproducible (a fixed random
seed) and set-based: persons go through the product's own create statement (`records.build_row` and
`records.insert_rows`, so every stored match key, selector node and case membership is exactly what a
create writes), cases, links, documents and calls in `UNWIND` batches.

What a run adds, for N persons:
  - N/10 cases spread over the sandbox's agents of the three field offices and five fiscal years:
    about 75% open, 20% closed, 5% referred; 3% restricted to their team; an approved ROI each, a
    seizure report every third case and an arrest report every fourth;
  - N persons, ten per case, with names drawn by US census share plus a long tail of rare names,
    a date of birth, an SSN on 30%, a phone on 40% (drawn from a pool of N/3 numbers, so numbers
    are shared across cases as in life), an address on half, an e-mail on a fifth;
  - an ASSOCIATE_OF chain among each case's persons, and N/2 call records between stored phones.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

from ccms_graph.db import Graph
from ccms_graph.logic.casework.cases import fiscal_year
from ccms_graph.logic.entities import records
from ccms_graph.matching import frequencies
from ccms_graph.policy.actor import SYSTEM, Actor

from .sandbox import CITIES, STREETS, VIOLATIONS, make_ssn

SEED = 20261
PERSONS_PER_CASE = 10
BATCH = 1000
_SYLLABLES = ["ka", "lo", "mi", "ra", "ten", "vo", "zu", "bel", "dar", "esk", "fin", "gor", "hal", "ish",
              "jor", "kel", "lun", "mar", "nov", "ost", "pra", "quin", "ros", "sar", "tov", "ul", "ven", "wyn"]

_AGENTS = """
MATCH (u:User {role: 'agent', active: true})
RETURN u.uid AS uid, u.username AS username, u.name AS name, u.office_code AS office_code
ORDER BY u.username
"""

_SEQUENCE = "MATCH (s:Sequence {name: $name}) RETURN s.value AS value"

_CASES = """
UNWIND $rows AS r
CREATE (c:Case:Linkable) SET c = r,
  c.created_at = datetime(r.created_at), c.updated_at = datetime(r.created_at),
  c.last_activity_at = datetime(r.created_at), c.opened_at = datetime(r.created_at),
  c.closed_at = CASE WHEN r.closed_at IS NULL THEN null ELSE datetime(r.closed_at) END
WITH c MATCH (u:User {uid: c.owner_uid}) CREATE (c)-[:OWNED_BY]->(u)
"""

_SEQUENCES = "UNWIND $rows AS r MERGE (s:Sequence {name: r.name}) SET s.value = r.value"

_ASSOCIATES = """
UNWIND $cases AS uid
MATCH (c:Case {uid: uid})<-[:SUBJECT_IN]-(p:Person)
WITH c, p ORDER BY p.uid
WITH c, collect(p) AS ps
UNWIND range(0, size(ps) - 2) AS i
WITH c, ps[i] AS a, ps[i + 1] AS b
CREATE (a)-[:ASSOCIATE_OF {uid: randomUUID(), created_at: datetime(), created_by: c.owner_uid,
       reason: 'seen together during surveillance', source: 'seed-scale', status: 'active', case_uid: c.uid}]->(b)
"""

# Labels come from this file's own list (`DOCUMENT_LABELS`), never from input.
_DOCUMENTS = """
UNWIND $rows AS r
MATCH (c:Case {{uid: r.case_uid}})
CREATE (d:{label}:Document:Linkable) SET d = r.props, d.created_at = datetime(), d.updated_at = datetime(),
  d.approval_status = 'approved', d.source = 'seed-scale', d.version = 1, d.deleted = false
CREATE (d)-[:PART_OF {{uid: randomUUID(), created_at: datetime(), created_by: r.props.author_uid,
       source: 'seed-scale', status: 'active'}}]->(c)
"""
DOCUMENT_LABELS = ("ReportOfInvestigation", "SeizureReport", "ArrestReport")

_CALLS = """
UNWIND $rows AS r
MATCH (a:Phone {e164: r.a}) MATCH (b:Phone {e164: r.b})
MERGE (a)-[c:CALLED]->(b)
ON CREATE SET c.uid = randomUUID(), c.count = 0, c.total_seconds = 0, c.status = 'active',
              c.source = 'seed-scale', c.created_at = datetime(), c.created_by = 'system',
              c.first_at = datetime(r.first), c.last_at = datetime(r.last)
SET c.count = c.count + r.count, c.total_seconds = c.total_seconds + r.seconds
"""

def _rare(rng: random.Random) -> str:
    return "".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 3))).capitalize()


class _Names:
    """Names by census share, with 40% of surnames and 25% of given names from a long tail."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.family = [n.capitalize() for n in frequencies.SURNAMES]
        self.family_w = list(frequencies.SURNAMES.values())
        self.given = [n.capitalize() for n in frequencies.GIVEN_NAMES]
        self.given_w = list(frequencies.GIVEN_NAMES.values())

    def person(self) -> tuple[str, str]:
        rng = self.rng
        given = _rare(rng) if rng.random() < 0.25 else rng.choices(self.given, self.given_w)[0]
        family = _rare(rng) if rng.random() < 0.4 else rng.choices(self.family, self.family_w)[0]
        return given, family


def _case_rows(rng: random.Random, agents: list[dict], count: int, now: datetime,
               sequences: dict[str, int]) -> list[dict]:
    rows = []
    for i in range(count):
        owner = agents[i % len(agents)]
        fo = owner["office_code"].split("-")[0]
        opened = now - timedelta(days=rng.randint(1, 5 * 365))
        fy = fiscal_year(opened.date())
        key = f"case:{fo}:{fy}"
        sequences[key] = sequences.get(key, 0) + 1
        roll = rng.random()
        status = "open" if roll < 0.75 else ("closed" if roll < 0.95 else "referred")
        closed = status == "closed"
        violations = rng.sample(VIOLATIONS, rng.randint(1, 2))
        row = {
            "uid": f"case-scale-{i:07d}", "case_number": f"{fo}-FY{fy % 100:02d}-{sequences[key]:05d}",
            "title": f"Operation {_rare(rng)} {i}", "violations": violations, "violations_text": " ".join(violations),
            "predication": "Synthetic case for load testing", "status": status, "owner_uid": owner["uid"],
            "office_code": owner["office_code"], "team_uids": [owner["uid"]], "restricted": rng.random() < 0.03,
            "approval_status": "approved", "created_by": owner["uid"], "updated_by": owner["uid"],
            "source": "seed-scale", "version": 1, "deleted": False, "created_at": opened.isoformat(),
            "closed_at": (opened + timedelta(days=rng.randint(30, 300))).isoformat() if closed else None,
            "close_reason": "prosecution_complete" if closed else None,
        }
        rows.append({k: v for k, v in row.items() if v is not None})
    return rows


def _person(rng: random.Random, names: _Names, i: int, phones: list[str]) -> dict:
    given, family = names.person()
    p: dict = {"given_name": given, "family_name": family, "sex": rng.choice("MF"), "ref": f"SCALE-P{i:07d}",
               "dob": f"{rng.randint(1940, 2006)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"}
    if rng.random() < 0.3:
        p["ssn"] = make_ssn(rng)
    if rng.random() < 0.4:
        p["phones"] = [rng.choice(phones)]
    if rng.random() < 0.5:
        city, state, zip3 = rng.choice(list(CITIES.values()))
        p["addresses"] = [{"line1": f"{rng.randint(1, 9999)} {rng.choice(STREETS)}", "city": city,
                           "state": state, "postcode": f"{zip3}{rng.randint(10, 99)}"}]
    if rng.random() < 0.2:
        p["emails"] = [f"{given.lower()}.{family.lower()}{i}@mail.example.com"]
    return p


def _documents(case: dict, i: int) -> list[dict]:
    author = {"author_uid": case["owner_uid"], "owner_uid": case["owner_uid"], "office_code": case["office_code"],
              "status": "approved", "case_uid": case["uid"]}
    docs = [{"label": "ReportOfInvestigation", "case_uid": case["uid"], "props": {
        **author, "uid": f"doc-scale-roi-{i:07d}", "title": f"ROI #1 - {case['title']}",
        "narrative": "Investigation opened on a synthetic predication; subjects identified through records checks."}}]
    if i % 3 == 0:
        docs.append({"label": "SeizureReport", "case_uid": case["uid"], "props": {
            **author, "uid": f"doc-scale-seiz-{i:07d}", "title": "Seizure at port of entry",
            "narrative": "Items seized during secondary inspection.", "incident_date": case["created_at"][:10]}})
    if i % 4 == 1:
        docs.append({"label": "ArrestReport", "case_uid": case["uid"], "props": {
            **author, "uid": f"doc-scale-arr-{i:07d}", "title": "Arrest of principal subject",
            "narrative": "Subject arrested without incident.", "incident_date": case["created_at"][:10]}})
    return docs


def grow(graph: Graph, persons: int, *, now: datetime | None = None,
         progress: Callable[[str], None] = lambda _msg: None) -> dict:
    """Add `persons` persons, persons/10 cases and their links, documents and calls; returns counts."""
    if persons < PERSONS_PER_CASE:
        raise ValueError(f"--scale: at least {PERSONS_PER_CASE} persons, got {persons}")
    rng = random.Random(SEED)
    now = now or datetime.now(UTC)
    agents = graph.query(_AGENTS)
    if not agents:
        raise ValueError("--scale grows the sandbox: load it first (ccms-graph seed --yes-wipe)")
    actors = {a["uid"]: Actor(uid=a["uid"], username=a["username"], name=a["name"], role="agent",
                              office_code=a["office_code"]) for a in agents}
    sequences = {r["name"]: r["value"] for r in graph.query("MATCH (s:Sequence) RETURN s.name AS name, s.value AS value")}
    cases = _case_rows(rng, agents, persons // PERSONS_PER_CASE, now, sequences)
    for k in range(0, len(cases), BATCH):
        graph.write(lambda tx, b=cases[k:k + BATCH]: tx.run(_CASES, rows=b).consume())
    graph.write(lambda tx: tx.run(_SEQUENCES, rows=[{"name": k, "value": v} for k, v in sequences.items()]).consume())
    progress(f"{len(cases)} cases")

    names = _Names(rng)
    phones = [f"+1{rng.choice(['305', '786', '212', '646', '713', '832'])}{rng.randint(200, 999)}"
              f"{rng.randint(1000, 9999)}" for _ in range(max(1, persons // 3))]
    # Building a batch's rows (validation, match keys) overlaps writing the one before, as the import does.
    with ThreadPoolExecutor(max_workers=1) as writer:
        pending: Future | None = None
        for k in range(0, persons, BATCH):
            rows = []
            for i in range(k, min(persons, k + BATCH)):
                case = cases[min(i // PERSONS_PER_CASE, len(cases) - 1)]
                row = records.build_row("Person", _person(rng, names, i, phones), actors[case["owner_uid"]],
                                        case_uid=case["uid"], source="seed-scale")
                row["props"]["approval_status"] = "approved"
                rows.append(row)
            if pending is not None:
                pending.result()
            pending = writer.submit(graph.write, lambda tx, b=rows: records.insert_rows(tx, "Person", b, SYSTEM.uid))
            if (k // BATCH) % 50 == 49:
                progress(f"{k + len(rows)} persons")
        if pending is not None:
            pending.result()
    progress(f"{persons} persons")
    for k in range(0, len(cases), BATCH):
        graph.write(lambda tx, b=[c["uid"] for c in cases[k:k + BATCH]]: tx.run(_ASSOCIATES, cases=b).consume())
    progress("associates")

    documents = [d for i, c in enumerate(cases) for d in _documents(c, i)]
    for label in DOCUMENT_LABELS:
        of_label, statement = [d for d in documents if d["label"] == label], _DOCUMENTS.format(label=label)
        for k in range(0, len(of_label), BATCH):
            graph.write(lambda tx, b=of_label[k:k + BATCH], q=statement: tx.run(q, rows=b).consume())
    progress(f"{len(documents)} documents")

    stored = [r["e164"] for r in graph.query("MATCH (p:Phone) WHERE p.e164 IN $n RETURN p.e164 AS e164",
                                             {"n": phones})]
    calls = []
    for _ in range(persons // 2 if len(stored) > 1 else 0):
        a, b = rng.sample(stored, 2)
        first = now - timedelta(days=rng.randint(30, 700))
        calls.append({"a": a, "b": b, "count": rng.randint(1, 60), "seconds": rng.randint(30, 9000),
                      "first": first.isoformat(), "last": (first + timedelta(days=rng.randint(0, 25))).isoformat()})
    for k in range(0, len(calls), BATCH * 5):
        graph.write(lambda tx, b=calls[k:k + BATCH * 5]: tx.run(_CALLS, rows=b).consume())
    progress(f"{len(calls)} calls")
    frequencies.recount(graph)
    return {"persons": persons, "cases": len(cases), "documents": len(documents), "calls": len(calls)}
