"""Synthetic person records with realistic clerical corruptions and ground truth, for the deconfliction benchmark.

Stored people: surnames and given names drawn by US census share (the table in
`ccms_graph.matching.frequencies`, so thousands of Smiths and hundreds of John Smiths at 1M) plus
a long tail of generated rare names; 6% hyphenated double surnames, 3% particle surnames ("de la
Cruz"), transliterated Arabic/Slavic/Chinese names in several spellings; dates of birth 1940-2006;
SSN on 30%, a phone on 40%.

Queries: a corrupted copy of a stored person (the ground truth is its `ref`), or a new person
drawn the same way (ground truth: no match). Each copy gets one to three corruptions: a typo in
either name (substitution, deletion, insertion or transposition), a nickname, swapped given and
family names, day/month transposed, a date off by one day or year, a missing date of birth, a
missing given name, one half of a hyphenated surname, a transliteration variant; it keeps the
SSN/phone the stored record has at the rates a clerk would copy them. The "clerical" profile
instead gives each kind of corruption a 3% chance, so most copies are exact (`PROFILES`).

Some copies carry no identifying evidence: no SSN, no phone, and a name (plus the date of birth,
where the copy still has one) that two or more stored people share exactly, e.g. "James Gonzalez"
with the date of birth missing when the population holds a dozen James Gonzalezes. No analyst
could tell which one is meant, so a system that flags one of them is guessing. `queries` marks
these `_indistinguishable` (see `evidence_key`); the benchmark reports them apart and leaves them
out of recall (a `match` on one of them still counts against precision when it is the wrong one).

Run `python benchmarks/generate_persons.py --count 1000 --queries 100 --out /tmp/p` to write
`/tmp/p.persons.jsonl` and `/tmp/p.queries.jsonl` (one JSON object per line, the import format).
"""

from __future__ import annotations

import argparse
import json
import random
import string
from collections import Counter
from collections.abc import Iterator

from nicknames import NickNamer

from ccms_graph.matching.frequencies import GIVEN_NAMES, SURNAMES
from ccms_graph.matching.names import tokens

#: Spellings of one name that transliteration produces.
VARIANTS = [
    ["Mohammed", "Muhammad", "Mohamed", "Mohammad"], ["Hussein", "Husain", "Hussain"], ["Yusuf", "Yousef", "Youssef"],
    ["Aleksandr", "Alexander", "Aleksander"], ["Sergei", "Sergey"], ["Dmitri", "Dmitry", "Dmitriy"],
    ["Abdulrahman", "Abdul Rahman", "Abdelrahman"], ["Zhang", "Chang"], ["Tchaikovsky", "Chaikovsky"],
    ["Gonzalez", "Gonzales"], ["Mueller", "Muller", "Müller"], ["Olga", "Olha"], ["Ahmed", "Ahmad"],
]
_VARIANT_OF = {v: group for group in VARIANTS for v in group}
_PARTICLES = ["de la", "del", "van der", "de", "al"]


def _tail_name(rng: random.Random) -> str:
    """A rare, pronounceable name (the long tail beyond the census table)."""
    consonants, vowels = "bcdfghjklmnprstvwz", "aeiou"
    n = rng.choice((2, 2, 3, 3, 4))
    return "".join(rng.choice(consonants) + rng.choice(vowels) + (rng.choice(consonants) if rng.random() < .3 else "")
                   for _ in range(n)).capitalize()


class NameSource:
    """Draws names: census-weighted common names (by their share) or a tail name (the rest)."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.surnames, self.s_weights = list(SURNAMES), list(SURNAMES.values())
        self.given, self.g_weights = list(GIVEN_NAMES), list(GIVEN_NAMES.values())
        self.s_share, self.g_share = sum(self.s_weights), sum(self.g_weights)
        # A bounded tail so rare names still repeat a little (as real rare surnames do).
        self.tail = [_tail_name(rng) for _ in range(60_000)]
        self.given_tail = [_tail_name(rng) for _ in range(8_000)]

    def surname(self) -> str:
        r = self.rng.random()
        if r < 0.04:
            return self.rng.choice([g for g in VARIANTS if len(g[0]) > 4])[0 if self.rng.random() < .5 else -1]
        if r < 0.04 + self.s_share * 1.2:
            return self.rng.choices(self.surnames, self.s_weights)[0].capitalize()
        return self.rng.choice(self.tail)

    def given_name(self) -> str:
        r = self.rng.random()
        if r < 0.03:
            return self.rng.choice(VARIANTS[:8])[0]
        if r < 0.03 + self.g_share * 1.5:
            return self.rng.choices(self.given, self.g_weights)[0].capitalize()
        return self.rng.choice(self.given_tail)


def _ssn(i: int) -> str:
    """A valid SSN unique to person i (real SSNs are issued once)."""
    n = (i * 7_919 + 12_345) % (665 * 99 * 9_999)
    area, rest = divmod(n, 99 * 9_999)
    group, serial = divmod(rest, 9_999)
    return f"{area + 1:03d}-{group + 1:02d}-{serial + 1:04d}"


def person(rng: random.Random, names: NameSource, i: int) -> dict:
    """One stored person, `ref` = "P<i>"."""
    family = names.surname()
    r = rng.random()
    if r < 0.06:
        family = f"{family}-{names.surname()}"
    elif r < 0.09:
        family = f"{rng.choice(_PARTICLES)} {family}".title().replace("De La", "de la")
    rec = {"ref": f"P{i}", "given_name": names.given_name(), "family_name": family,
           "dob": f"{rng.randint(1940, 2006)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
           "sex": rng.choice("MF")}
    if rng.random() < 0.3:
        rec["middle_name"] = names.given_name()
    if rng.random() < 0.3:
        rec["ssn"] = _ssn(i)
    if rng.random() < 0.4:
        rec["phones"] = [f"+1{rng.randint(201, 989)}{rng.randint(200, 999)}{rng.randint(0, 9999):04d}"]
    return rec


def persons(count: int, seed: int = 7) -> Iterator[dict]:
    """The stored population, deterministic for a seed: the first N of a larger run are the same N."""
    rng = random.Random(seed)
    names = NameSource(random.Random(seed + 1))
    for i in range(count):
        yield person(rng, names, i)


# ---------------------------------------------------------------------------------------------
# Corruptions
# ---------------------------------------------------------------------------------------------


def typo(rng: random.Random, word: str) -> str:
    """One keyboard-style edit: substitute, delete, insert or transpose a letter (never the first)."""
    if len(word) < 4:
        return word + rng.choice(string.ascii_lowercase)
    i = rng.randint(1, len(word) - 2)
    op = rng.choice(("sub", "del", "ins", "swap"))
    c = rng.choice(string.ascii_lowercase)
    if op == "sub":
        return word[:i] + c + word[i + 1:]
    if op == "del":
        return word[:i] + word[i + 1:]
    if op == "ins":
        return word[:i] + c + word[i:]
    return word[:i] + word[i + 1] + word[i] + word[i + 2:]


_NICK = NickNamer()


def _dob_shift(rng: random.Random, dob: str, what: str) -> str:
    y, m, d = (int(x) for x in dob.split("-"))
    if what == "transpose" and d <= 12 and d != m:
        m, d = d, m
    elif what == "year":
        y += rng.choice((-1, 1))
    else:
        d = d + 1 if d < 28 else d - 1
    return f"{y}-{m:02d}-{d:02d}"


CORRUPTIONS = ("family_typo", "given_typo", "nickname", "swap", "dob_transpose", "dob_day", "dob_year",
               "dob_missing", "given_missing", "hyphen_half", "variant")


#: Query profiles: "benchmark" (the default) puts one to three corruptions on every copy, far more
#: than clerks make; "clerical" gives each kind of corruption its own chance, CLERICAL_RATE, the 2-5%
#: per field the record-linkage literature reports (so most copies are exact), for comparison.
PROFILES = ("benchmark", "clerical")
CLERICAL_RATE = 0.03


def corrupt(rng: random.Random, rec: dict, profile: str = "benchmark") -> tuple[dict, list[str]]:
    """A clerk's copy of `rec` (one to three corruptions, or per `profile`); returns (copy, corruption names)."""
    q = {k: v for k, v in rec.items() if k in ("given_name", "middle_name", "family_name", "dob", "sex")}
    if rec.get("ssn") and rng.random() < 0.5:
        q["ssn"] = rec["ssn"]
    if rec.get("phones") and rng.random() < 0.4:
        q["phones"] = rec["phones"]
    if rng.random() < 0.5:
        q.pop("middle_name", None)
    applied: list[str] = []
    if profile == "clerical":
        kinds = [what for what in CORRUPTIONS if rng.random() < CLERICAL_RATE]
        rng.shuffle(kinds)
    else:
        kinds = rng.sample(CORRUPTIONS, rng.choice((1, 1, 2, 2, 3)))
    for what in kinds:
        if what == "family_typo":
            q["family_name"] = typo(rng, q["family_name"])
        elif what == "given_typo" and q.get("given_name"):
            q["given_name"] = typo(rng, q["given_name"])
        elif what == "nickname" and q.get("given_name"):
            nicks = sorted(_NICK.nicknames_of(q["given_name"].lower()))
            if not nicks:
                continue
            q["given_name"] = rng.choice(nicks).capitalize()
        elif what == "swap" and q.get("given_name"):
            q["given_name"], q["family_name"] = q["family_name"], q["given_name"]
        elif what.startswith("dob_") and q.get("dob"):
            if what == "dob_missing":
                q.pop("dob")
            else:
                q["dob"] = _dob_shift(rng, q["dob"], what[4:])
        elif what == "given_missing" and q.get("given_name") and q.get("dob"):
            q.pop("given_name")
        elif what == "hyphen_half" and "-" in q["family_name"]:
            q["family_name"] = rng.choice(q["family_name"].split("-"))
        elif what == "variant":
            for field in ("given_name", "family_name"):
                group = _VARIANT_OF.get(q.get(field) or "")
                if group:
                    q[field] = rng.choice([v for v in group if v != q[field]])
                    break
            else:
                continue
        else:
            continue
        applied.append(what)
    return q, applied


def evidence_key(rec: dict, with_dob: bool, with_given: bool = True) -> int:
    """A hash of what identifies `rec` to a reader: normalized first given name, family name and
    (when `with_dob`) the date of birth. Two stored people with equal keys cannot be told apart by
    a copy that carries only those fields."""
    given = tokens(rec.get("given_name"))[:1] if with_given else ()
    return hash((given, tokens(rec.get("family_name")), rec.get("dob") if with_dob else None))


def _evidence_keys(rec: dict) -> tuple[int, ...]:
    return tuple(evidence_key(rec, d, g) for d in (True, False) for g in (True, False))


#: Share of queries that are copies of a stored person (the rest are new people).
MATCH_SHARE = 0.85


def queries(count: int, population: int, seed: int = 11, match_share: float = MATCH_SHARE,
            profile: str = "benchmark") -> tuple[list[dict], list[int]]:
    """`count` query records over a population of `population`: (queries, truth), truth[i] = stored index or -1.

    Regenerates the population stream to pick up the targets (cheap); it also counts every stored
    person's evidence keys (hashes only) to mark copies that are `_indistinguishable`.
    """
    rng = random.Random(seed)
    targets = {}
    for qi in range(count):
        if rng.random() < match_share:
            targets.setdefault(rng.randrange(population), []).append(qi)
    out: list[dict | None] = [None] * count
    truth = [-1] * count
    seen: Counter[int] = Counter()
    kept: dict[int, dict] = {}
    for i, rec in enumerate(persons(population)):
        seen.update(_evidence_keys(rec))
        for qi in targets.get(i, ()):
            q, applied = corrupt(random.Random(seed * 1_000_003 + qi), rec, profile)
            out[qi] = {**q, "ref": f"Q{qi}", "_corruptions": applied}
            truth[qi] = i
            kept[qi] = rec
    for qi, rec in kept.items():
        q = out[qi]
        if q.get("ssn") or q.get("phones"):
            continue
        key = evidence_key(rec, with_dob=bool(q.get("dob")), with_given=bool(q.get("given_name")))
        q["_indistinguishable"] = seen[key] > 1
    fresh = NameSource(random.Random(seed + 99))
    frng = random.Random(seed + 98)
    for qi in range(count):
        if out[qi] is None:
            rec = person(frng, fresh, population + qi)  # its own SSN, held by no stored person
            out[qi] = {**{k: v for k, v in rec.items() if k != "ref"}, "ref": f"Q{qi}", "_corruptions": ["new"]}
    return out, truth  # type: ignore[return-value]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--count", type=int, default=1000)
    ap.add_argument("--queries", type=int, default=100)
    ap.add_argument("--out", required=True, help="path prefix for <out>.persons.jsonl and <out>.queries.jsonl")
    args = ap.parse_args()
    with open(f"{args.out}.persons.jsonl", "w") as f:
        for rec in persons(args.count):
            f.write(json.dumps(rec) + "\n")
    qs, truth = queries(args.queries, args.count)
    with open(f"{args.out}.queries.jsonl", "w") as f:
        for q, t in zip(qs, truth, strict=True):
            f.write(json.dumps({**q, "_truth": f"P{t}" if t >= 0 else None}) + "\n")


if __name__ == "__main__":
    main()
