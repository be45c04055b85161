"""Search benchmark: the search over everything (`logic.entities.search.search`) over a large graph (issue 18:
search p95 over 100k documents and 1M persons).

Starts a benchmark Neo4j (its own port, 17742), loads the sandbox grown with `seed --scale N` (N persons
through the product's create statement, N/10 cases, their reports; kept between runs unless the instance
holds fewer persons), then adds reports whose narratives are drawn from a synthetic vocabulary (UNWIND batches through the
scale seed's document statement), a tenth of them with an attachment carrying extracted `text`, until
the graph holds --documents documents and --narratives such reports (the scale seed's own reports share
one template). Then times, as an agent and as the auditor, one search of
each kind:

  name        a stored person's given and family name
  phone       a stored phone number typed as (305) 555-0123
  ssn         a stored SSN typed with dashes
  email       a stored e-mail in capitals
  address     a street word
  case        a case number
  narrative   a rare word of the documents' vocabulary
  attachment  a word found only in attachments' text
  common      a word in every scale report (every index's cap of hits reached)

Each is run --repeats times after one unreported warm-up run; p50/p95 in ms. Every run is audited and
tells owners, as in the product.

    .venv/bin/python benchmarks/search.py --persons 1000000 --documents 100000   # stops Neo4j at the end
    .venv/bin/python benchmarks/search.py --persons 100000 --documents 10000 --keep
"""

from __future__ import annotations

import argparse
import os
import random
import statistics as stats
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("CCMS_NEO4J_BOLT_PORT", "17742")

from bench_common import cli, timed  # noqa: E402

from ccms_graph.db import Graph  # noqa: E402
from ccms_graph.logic.entities import search  # noqa: E402
from ccms_graph.policy.actor import load_actor  # noqa: E402
from ccms_graph.settings import load_settings  # noqa: E402
from seed import scale  # noqa: E402

USERS = ("agent_garcia", "auditor")
BATCH = 1000
_ATTACHMENTS = """
UNWIND $rows AS r
MATCH (d:Document {uid: r.doc})
CREATE (a:Attachment {uid: r.uid, filename: r.filename, content_type: 'application/pdf', size: 1000,
                      sha256: r.uid, uploaded_by: d.author_uid, uploaded_at: datetime(), text: r.text})
CREATE (d)-[:HAS_ATTACHMENT]->(a)
"""


def _vocabulary(rng: random.Random, size: int = 5000) -> list[str]:
    syllables = ["ka", "lo", "mi", "ra", "ten", "vo", "zu", "bel", "dar", "esk", "fin", "gor", "hal", "ish", "jor"]
    return sorted({"".join(rng.choice(syllables) for _ in range(rng.randint(2, 4))) for _ in range(size)})


def top_up_documents(graph: Graph, target: int, narratives: int, rng: random.Random) -> int:
    """Add reports with vocabulary narratives (and attachments on a tenth) until the graph holds `target`
    documents and at least `narratives` of these reports (the scale seed's own reports share one template,
    so the narrative and attachment searches need these); returns how many were added."""
    held, ours = graph.query("""MATCH (d:Document)
                                RETURN count(d) AS n, count(CASE WHEN d.uid STARTS WITH 'doc-bench-' THEN 1 END) AS b""")[0].values()
    missing = max(0, target - held, narratives - ours)
    if not missing:
        return 0
    cases = graph.query("""MATCH (c:Case) WHERE c.source = 'seed-scale' OR c.case_number IS NOT NULL
                           RETURN c.uid AS uid, c.owner_uid AS owner, c.office_code AS office LIMIT 200000""")
    words = _vocabulary(rng)
    label = "ArrestReport"
    statement = scale._DOCUMENTS.format(label=label)
    for k in range(ours, ours + missing, BATCH):
        rows, attachments = [], []
        for i in range(k, min(ours + missing, k + BATCH)):
            c = cases[rng.randrange(len(cases))]
            uid = f"doc-bench-{i:07d}"
            rows.append({"case_uid": c["uid"], "props": {
                "uid": uid, "author_uid": c["owner"], "owner_uid": c["owner"], "office_code": c["office"],
                "status": "approved", "case_uid": c["uid"], "title": f"Arrest report {i}",
                "narrative": " ".join(rng.choice(words) for _ in range(rng.randint(40, 200)))}})
            if i % 10 == 0:
                attachments.append({"doc": uid, "uid": f"att-bench-{i:07d}", "filename": f"scan-{i}.pdf",
                                    "text": " ".join(rng.choice(words) for _ in range(300))
                                    + (" quetzalcoatl" if i % 1000 == 0 else "")})
        graph.write(lambda tx, b=rows: tx.run(statement, rows=b).consume())
        if attachments:
            graph.write(lambda tx, b=attachments: tx.run(_ATTACHMENTS, rows=b).consume())
    return missing


def queries(graph: Graph) -> dict[str, str]:
    """One text per kind of search, drawn from what the graph holds."""
    one = graph.query("""MATCH (p:Person {source: 'seed-scale'})-[:USES_PHONE]->(ph:Phone)
                         MATCH (p)-[:HAS_IDENTIFIER]->(i:Identifier) WHERE i.key STARTS WITH 'ssn:'
                         RETURN p.given_name + ' ' + p.family_name AS name, ph.e164 AS phone, i.value AS ssn
                         LIMIT 1""")[0]
    email = graph.query("MATCH (e:Email) RETURN e.address AS a LIMIT 1")[0]["a"]
    case_number = graph.query("MATCH (c:Case) WHERE c.case_number IS NOT NULL RETURN c.case_number AS n LIMIT 1")[0]["n"]
    word = graph.query("""MATCH (d:Document) WHERE d.uid STARTS WITH 'doc-bench-'
                          RETURN split(d.narrative, ' ')[3] AS w LIMIT 1""")
    digits = "".join(ch for ch in one["phone"] if ch.isdigit())[-10:]
    ssn = "".join(ch for ch in one["ssn"] if ch.isdigit())
    return {"name": one["name"], "phone": f"({digits[:3]}) {digits[3:6]}-{digits[6:]}",
            "ssn": f"{ssn[:3]}-{ssn[3:5]}-{ssn[5:]}", "email": email.upper(), "address": "Biscayne",
            "case": case_number, "narrative": word[0]["w"] if word else "predication",
            "attachment": "quetzalcoatl", "common": "subjects"}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--persons", type=int, default=1_000_000, help="persons to grow the sandbox by (cases: a tenth)")
    ap.add_argument("--documents", type=int, default=100_000, help="documents the graph holds at least")
    ap.add_argument("--narratives", type=int, default=20_000,
                    help="reports with vocabulary narratives (a tenth with attachments) it holds at least")
    ap.add_argument("--repeats", type=int, default=20)
    ap.add_argument("--keep", action="store_true", help="leave the benchmark Neo4j running")
    args = ap.parse_args()
    settings = load_settings()
    print(f"Neo4j on bolt port {settings.neo4j_bolt_port}", file=sys.stderr)
    cli("neo4j", "start")
    cli("init-db")
    graph = Graph(settings)
    try:
        held = graph.query("MATCH (p:Person) RETURN count(p) AS n")[0]["n"]
        if held < args.persons:
            print(f"the instance holds {held} persons: seed --yes-wipe --scale {args.persons}", file=sys.stderr)
            t0 = time.perf_counter()
            cli("seed", "--yes-wipe", "--scale", str(args.persons))
            print(f"seeded in {time.perf_counter() - t0:.0f} s", file=sys.stderr)
        t0 = time.perf_counter()
        added = top_up_documents(graph, args.documents, args.narratives, random.Random(18))
        print(f"{added} documents added in {time.perf_counter() - t0:.0f} s", file=sys.stderr)
        graph.query("CALL db.awaitIndexes(600)")
        sizes = graph.query("""MATCH (p:Person) WITH count(p) AS persons MATCH (d:Document)
                               WITH persons, count(d) AS documents OPTIONAL MATCH (a:Attachment)
                               RETURN persons, documents, count(a) AS attachments""")[0]
        texts = queries(graph)
        rows = []
        for username in USERS:
            actor = graph.read(load_actor, username)
            for kind, text in texts.items():
                found: dict = {}

                def run(a=actor, t=text, out=found):
                    out.update(search.search(graph, a, {"text": t}))

                ms = timed(run, args.repeats)
                rows.append((username, kind, text, found["total"], stats.median(ms),
                             sorted(ms)[max(0, int(len(ms) * 0.95) - 1)]))
    finally:
        graph.close()
        if not args.keep:
            cli("neo4j", "stop")
    print(f"search over {sizes['persons']:,} persons, {sizes['documents']:,} documents and "
          f"{sizes['attachments']:,} attachments (ms; {args.repeats} runs after a warm-up)")
    print(f"  {'user':<9} {'kind':<11} {'text':<26} {'hits':>6} {'p50':>7} {'p95':>7}")
    for username, kind, text, total, p50, p95 in rows:
        print(f"  {username:<9} {kind:<11} {text[:26]:<26} {total:>6} {p50:>7.0f} {p95:>7.0f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
