"""Batch import of Subject Records from JSON Lines, deconflicted as they load, and the create-nothing check.

One JSON object per line, read by `lines.parse_line` (the API schema's fields plus `ref`, and the
forms other systems' files hold). A line is refused only when it is not a JSON object or has nothing
to identify it by; a bad field is dropped, or for an identifier kept unverified, with a warning.
Records are created in UNWIND batches (`records.build_row` + `records.insert_rows`), each batch in
one transaction with its audit entry and its deconfliction (hits stored, owners notified).

An import can resume: `checkpoint` is called inside each batch's transaction with the counts so far
and the batch's last line, so whoever records it (`logic.jobs.imports`: the job's progress) commits
exactly when the batch does; `after_line` and `so_far` then start a new run after that line with those
counts, and after a crash exactly the committed lines are skipped.
"""

from __future__ import annotations

import dataclasses
import json
import random
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from ...db import Graph
from ...errors import ValidationFailed
from ...matching import blocking, deconflict, frequencies, model, prevalence
from ...nodes.vocabulary import ENTITY_TYPES
from ...policy import rules
from ...policy.actor import Actor
from ...validation import surrogate_problem
from ..casework import protection
from ..common import new_uid
from ..identity import deconfliction, financial, resolution
from ..oversight import audit, checks
from . import records
from .lines import flatten, parse_line, person_names
from .tabular import UNREADABLE

BATCH = 1000
#: Hits an answer lists with the lines that met records (an import job's, the API's), whole lines at a time:
#: a line may meet up to `deconfliction.BATCH_CAP` records, each hit carrying its explanation (about a kilobyte),
#: so the budget counts hits rather than lines. Some hundreds of lines of a file sent by hand, small enough for a
#: job page's poll; past it the counts go on, and the CLI's hits file lists every line.
KEPT_HITS = 500

#: `checkpoint(tx, counts, last_line, met)`: called in each batch's write transaction (a transaction of its own
#: when every line of the batch was refused) with the counts including that batch, and the batch's lines that
#: met stored or earlier records (what `on_hits` is given once it commits). The driver may run a transaction
#: twice, so it must write the same thing each time it is called with the same arguments.
Checkpoint = Callable[[Any, dict, int, list[dict]], None]


def first_lines(met: list[dict], room: int = KEPT_HITS) -> list[dict]:
    """The first lines of `met` (`on_hits` entries) whose hits, taken whole lines at a time, fit in `room`."""
    kept: list[dict] = []
    for line in met:
        room -= len(line["hits"])
        if room < 0:
            break
        kept.append(line)
    return kept


class Reread:
    """Lines read afresh on each pass (`open_lines()` called per pass): a file or a job's stored chunks,
    which a person import reads twice without holding them in memory."""

    def __init__(self, open_lines: Callable[[], Iterable[str]]):
        self._open = open_lines

    def __iter__(self) -> Iterator[str]:
        return iter(self._open())


def _case_uid(graph: Graph, actor: Actor, case_key: str | None) -> str | None:
    if not case_key:
        return None

    def work(tx):  # a missing and a hidden case answer alike (`rules.require_case`)
        return rules.require_case(tx, actor, case_key, write=True)["uid"]

    return audit.read_or_refuse(graph, actor, "import", [case_key], work)


def _batches(lines: Iterable[str], size: int, after_line: int = 0) -> Iterator[list[tuple[int, str]]]:
    chunk: list[tuple[int, str]] = []
    for number, text in enumerate(lines, start=1):
        if number > after_line and text.strip():
            chunk.append((number, text))
            if len(chunk) >= size:
                yield chunk
                chunk = []
    if chunk:
        yield chunk


def _prepare(type_name: str, chunk: list[tuple[int, str]], actor: Actor, case_uid: str | None,
             source: str = "import") -> list[tuple]:
    """(line, row or None, refusal or None, warning) for each line of a batch."""
    return [(number, *parse_line(type_name, text, actor, case_uid=case_uid, source=source)) for number, text in chunk]


def _refuse_unsettleable(graph: Graph, actor: Actor, type_name: str, prepared: list[tuple]) -> list[tuple]:
    """`prepared` with the lines whose `sub_record_of` cannot take them refused, each with its reason
    (`resolution.chosen_masters`: no such readable record, another type, a hidden master's sub-record), so
    one such line is refused alone instead of failing its batch; the rest as they were."""
    chosen = {number: row["settle"][0] for number, row, _, _ in prepared
              if row is not None and row["settle"][0] and not row["settle"][1]}
    if not chosen:
        return prepared
    _, problems = graph.read(lambda tx: resolution.chosen_masters(tx, actor, type_name, chosen))
    return [(number, None, f"sub_record_of: {problems[number]}", {}) if number in problems else (number, row, *rest)
            for number, row, *rest in prepared]


def _names_of(type_name: str, lines: Iterable[str]) -> frequencies.NameCounts | None:
    """People: the names of every line of the input (read once more, all of it wherever a run resumes),
    counted as `frequencies.count_names` counts stored people; None for other types."""
    if type_name != "Person":
        return None
    return frequencies.count_names(n for n in map(person_names, filter(str.strip, lines)) if n is not None)


def _sampled_lines(lines: Iterable[str], size: int = prevalence.FILE_SAMPLE, seed: int = 7) -> tuple[int, list[tuple[int, str]]]:
    """(how many lines are not blank, a random sample of `size` of them as (line number, text), in file
    order): one pass, reservoir sampling, the same sample for the same file whatever run reads it."""
    rng = random.Random(seed)
    kept: list[tuple[int, str]] = []
    n = 0
    for number, text in enumerate(lines, start=1):
        if not text.strip():
            continue
        n += 1
        if len(kept) < size:
            kept.append((number, text))
        else:
            j = rng.randrange(n)
            if j < size:
                kept[j] = (number, text)
    return n, sorted(kept)


def _file_prior(graph: Graph, actor: Actor, type_name: str, lines: Iterable[str], config: deconflict.Config,
                seen: frequencies.NameCounts | None, loaded: int) -> tuple[deconflict.Config, prevalence.Estimate | None]:
    """`config` with the prior the file's own duplicates call for (`prevalence.of_lines`, over a sample of
    its lines paired with each other), for people, when the file is at least `prevalence.FILE_SHARE` of
    the store it joins (without the `loaded` records a resumed run already stored) and shows enough
    duplicates; otherwise `config`. Read before the first batch, the whole file, wherever a run resumes.
    Also the estimate, when the file makes most of the store (`prevalence.COVERS`): it is then the store's."""
    if type_name != "Person" or not config.estimate_prior:
        return config, None
    total, sample = _sampled_lines(lines)
    stored = graph.read(frequencies.population) - loaded
    if total < prevalence.MIN_RECORDS or total < prevalence.FILE_SHARE * stored:
        return config, None
    rows = [row for _, row, _, _ in _prepare(type_name, sample, actor, None) if row is not None]
    ctx = graph.read(lambda tx: deconflict.context(tx, type_name, config, seen=seen))
    records_read = round(total * len(rows) / max(len(sample), 1))  # the lines that will be records, as sampled
    found = prevalence.of_lines(type_name, [records.matching_record_of(type_name, row) for row in rows],
                                [row["props"] for row in rows], records_read, ctx.name_frequency, ctx.weights)
    covers = found if stored <= prevalence.COVERS * total else None
    return (dataclasses.replace(config, prior=found.prior(0)) if found.usable() else config), covers


def _tally(counts: dict, prepared: list[tuple]) -> dict:
    """New counts: `counts` plus a batch's lines, refusals and warnings (the lists copied, never shared)."""
    out = {**counts, "lines": counts["lines"] + len(prepared), "refused": list(counts["refused"]),
           "warnings": list(counts["warnings"])}
    for number, row, reason, warning in prepared:
        if row is None:
            out["refused"].append({"line": number, "reason": reason})
        elif warning:
            out["warnings"].append({"line": number, **warning})
    return out


def import_jsonl(graph: Graph, actor: Actor, type_name: str, lines: Iterable[str], *, case_key: str | None = None,
                 batch: int = BATCH, progress: Callable[[dict], None] | None = None, after_line: int = 0,
                 so_far: dict | None = None, checkpoint: Checkpoint | None = None, source: str | None = None,
                 on_hits: Callable[[list[dict]], None] | None = None) -> dict:
    """Create the records of a JSONL stream; {lines, created, refused, warnings, hits, records_with_hits,
    sub_records, separate}.

    `refused` and `warnings` list {line, reason} / {line, dropped}; line numbers count from 1.
    Each batch is one transaction: the records, their audit entry, their deconfliction (candidates
    found set-wise for the whole batch, hits stored, owners notified) and their settlement
    (`resolution.settle_batch`: a line matching a record the importer may read becomes its
    sub-record, unless the line says `separate_reason`).

    People's names are weighed by how common they are among the stored people and the lines of this
    input, all of them (`_names_of`, read before the first batch): a file whose common names the store
    has never counted does not score them as rare, and a resumed run weighs them as an uninterrupted
    one does. `lines` is therefore read twice for people; a one-pass iterator is first kept as a list,
    so a caller with a large input passes something that reads it afresh (`Reread`).

    The next batch is validated and its stored candidates are found (a read transaction, before
    anything of it is written: `deconfliction.search_before_write`) while this one is written. That
    read may not see the batch being written, nor can it see its own batch, so those records find
    each other in memory (`blocking.within`), by the same keys. Another write of the type that commits
    between that read and the batch's commit is found after it (`deconfliction.recheck_batch`: the run's rows
    carry `import_run`, so the records others wrote meanwhile are told apart; the lines that would be a
    hit on one are searched again, and their hits are added to the counts).

    Resuming: lines numbered up to `after_line` are read past (numbering still counts them), and the
    counts start from `so_far` (a previous run's counts through that line). `checkpoint` (see
    `Checkpoint`) records progress inside each batch's transaction; an exception it raises rolls the
    batch back and stops the import. A resumed run's batches find the records of the batch before
    in the store rather than in memory, by the same keys, so its counts equal an uninterrupted run's.

    `on_hits` is called after each batch commits with its lines that met stored (or earlier) records:
    [{line, ref, uid, hits, and `sub_record_of` or `separate_reason` when the line was settled}], each
    hit shaped as the `deconflict` command's candidates (`_candidate`, plus `hit_uid`): a record the
    importer may not read is only its owner's contact. This is what tells the importer whom to call;
    `checkpoint` is given the same lines inside the batch's transaction, so a job keeps them with its progress.

    `source` names the system the lines come from (e.g. "FinCEN"); the records carry it as their `source`.
    Lines from a protected source restrict the case they are imported into, in the first batch's
    transaction (`casework.protection`).
    """
    if type_name not in ENTITY_TYPES:
        raise ValidationFailed({"type": [f"unknown entity type {type_name!r}; one of {', '.join(ENTITY_TYPES)}"]})
    checks.writer_guard(graph, actor, "import", [case_key])  # only writers import case content
    case_uid = _case_uid(graph, actor, case_key)
    protected = protection.protected(graph.settings, [source]) if case_uid else []
    counts: dict[str, Any] = {"lines": 0, "created": 0, "refused": [], "warnings": [], "hits": 0,
                              "records_with_hits": 0, "sub_records": 0, "separate": 0}
    if so_far:
        counts.update({**so_far, "refused": list(so_far.get("refused", [])),
                       "warnings": list(so_far.get("warnings", []))})
    match_config = deconflict.Config.of(graph.settings)
    if type_name == "Person" and isinstance(lines, Iterator):
        lines = list(lines)
    seen = _names_of(type_name, lines)
    match_config, covering = _file_prior(graph, actor, type_name, lines, match_config, seen, counts["created"])
    earlier: list[tuple[str, dict, dict, dict]] = []  # the batch before: (uid, matching record, props, probe)
    run = new_uid()  # this run's rows carry it (`import_run`): what others wrote meanwhile is told apart

    def work(tx, rows, batch, probes, stored, tallied, last_line):
        uids = [row["props"]["uid"] for _, row in rows]
        window = [*earlier, *((u, rec, row["props"], p) for u, rec, (_, row), p in zip(uids, batch, rows, probes,
                                                                                    strict=True))]
        own = blocking.within(type_name, [w[1] for w in window], [w[0] for w in window], [w[2] for w in window],
                              start=len(earlier), probes=[w[3] for w in window])
        created = records.insert_rows(tx, type_name, [row for _, row in rows], actor.uid)
        audit.record(tx, actor, "import", [*created, *([case_uid] if case_uid else [])],
                     details={"type": type_name, "records": len(created), "first_line": rows[0][0],
                              "last_line": rows[-1][0]})
        if protected:
            protection.restrict_for_sources(tx, actor, case_uid, protected)
        financial.alert_shared_accounts(tx, actor, created)
        hits = deconfliction.after_write(tx, actor, type_name, uids, match_config, operation="import",
                                         fresh=dict(zip(uids, batch, strict=True)),
                                         gathered=deconflict.merged(stored, own), seen=seen)
        choices = {u: row["settle"] for u, (_, row) in zip(uids, rows, strict=True)}
        settled = resolution.settle_batch(tx, actor, type_name, uids, hits, choices)
        # Computed afresh from `tallied` on each run of this function, so a retried transaction counts once.
        after = {**tallied, "created": tallied["created"] + len(rows),
                 "hits": tallied["hits"] + sum(len(h) for h in hits.values()),
                 "records_with_hits": tallied["records_with_hits"] + sum(1 for h in hits.values() if h),
                 "sub_records": tallied["sub_records"] + sum(1 for s in settled.values() if "sub_record_of" in s),
                 "separate": tallied["separate"] + sum(1 for s in settled.values() if "separate_reason" in s)}
        met = [{"line": number, "ref": row["props"].get("source_ref"), "uid": uid,
                "hits": [{**_candidate(h), "hit_uid": h.get("hit_uid")} for h in hits.get(uid, [])],
                **settled.get(uid, {})}
               for (number, row), uid in zip(rows, uids, strict=True) if hits.get(uid) or settled.get(uid)]
        if checkpoint:
            checkpoint(tx, after, last_line, met)
        return after, met

    def search(chunk, writing):
        """Validate a batch and find its stored candidates (a read, while the batch before, whose uids are
        `writing`, is written: those are left to `within`, so the answer does not depend on whether the
        read sees that write commit)."""
        prepared = _refuse_unsettleable(graph, actor, type_name,
                                        _prepare(type_name, chunk, actor, case_uid, (source or "").strip() or "import"))
        rows = [(number, row) for number, row, _, _ in prepared if row is not None]
        for _, row in rows:
            row["props"]["import_run"] = run
        batch = [records.matching_record_of(type_name, row) for _, row in rows]
        probes = [blocking.probe(type_name, rec) for rec in batch]

        def read(tx):
            beside = deconfliction.written_beside(tx)  # before the search: see `recheck_batch`
            return deconfliction.search_before_write(tx, actor, type_name, batch, probes, writing), beside

        stored, beside = graph.read(read) if rows else ([], None)
        return prepared, rows, batch, probes, stored, beside

    def write(searched):
        prepared, rows, batch, probes, stored, beside = searched
        tallied, last_line = _tally(counts, prepared), prepared[-1][0]
        met: list[dict] = []
        if rows:
            after, met = graph.write(work, rows, batch, probes, stored, tallied, last_line)
            uids = [row["props"]["uid"] for _, row in rows]
            late = deconfliction.recheck_batch(graph, actor, type_name, dict(zip(uids, batch, strict=True)), run,
                                               match_config, beside)
            if late is not None:
                after, met, newly = _with_late_hits(after, met, rows, late)
                if checkpoint and newly:  # the job keeps these lines and counts as it keeps the batch's
                    graph.write(checkpoint, after, last_line, newly)
            earlier[:] = [(row["props"]["uid"], rec, row["props"], p) for (_, row), rec, p in zip(rows, batch, probes,
                                                                                                 strict=True)]
        else:
            after = tallied
            if checkpoint:  # a batch of refusals only: its progress still commits
                graph.write(checkpoint, after, last_line, [])
        counts.update(after)
        if on_hits and met:
            on_hits(met)
        if progress:
            progress(counts)

    with ThreadPoolExecutor(max_workers=1) as pool:
        pending = None
        for chunk in _batches(lines, batch, after_line):
            if pending is not None:
                searched = pending.result()
                writing = [row["props"]["uid"] for _, row in searched[1]]
                pending = pool.submit(search, chunk, writing)  # overlaps the write below
                write(searched)
            else:
                pending = pool.submit(search, chunk, [])
        if pending is not None:
            write(pending.result())
    if type_name == "Person" and counts["created"]:
        frequencies.refresh(graph)  # name weights follow the population the import has grown
        if covering is not None:  # and so does the prior: the duplicates the store now holds
            prevalence.keep(graph, type_name, dataclasses.replace(covering,
                                                                  records=graph.read(blocking.live_count, type_name)))
        elif match_config.estimate_prior:
            deconflict.refresh_prior(graph, type_name, match_config)
    return counts


def _with_late_hits(counts: dict, met: list[dict], rows: list[tuple[int, dict]], late: dict[str, list]
                    ) -> tuple[dict, list[dict], list[dict]]:
    """A batch's counts and lines that met records, with the hits `deconfliction.recheck` raised after
    its commit added (those the batch's transaction raised are already there); and the lines that met
    records only then."""
    by_uid = {m["uid"]: m for m in met}
    hits, with_hits = counts["hits"], counts["records_with_hits"]
    out, newly = [], []
    for number, row in rows:
        uid = row["props"]["uid"]
        entry = by_uid.get(uid)
        known = {h["hit_uid"] for h in entry["hits"]} if entry else set()
        new = [{**_candidate(h), "hit_uid": h.get("hit_uid")} for h in late.get(uid) or []
               if h.get("hit_uid") not in known]
        if new:
            hits += len(new)
            with_hits += not known
            entry = {"line": number, "ref": row["props"].get("source_ref"), "uid": uid, **(entry or {}),
                     "hits": [*(entry["hits"] if entry else []), *new]}
            if not known:
                newly.append(entry)
        if entry:
            out.append(entry)
    return {**counts, "hits": hits, "records_with_hits": with_hits}, out, newly


def deconflict_jsonl(graph: Graph, actor: Actor, type_name: str, lines: Iterable[str], *, batch: int = 200,
                     limit: int = 20, include_no_match: bool = False) -> Iterator[dict]:
    """For each line: {"ref", "candidates": [{uid, source_ref, score, decision, explanation}]}, best first.

    A stored record that is the line itself (a file checked after it was imported: its `source_ref` is
    the line's `ref`, and it is a `match`) is no candidate: its uid is listed under "stored_as" instead.

    Creates nothing. A line that cannot be read yields {"line", "ref", "error"}. Candidates the actor
    may not read appear (at `possible` or better) as {"uid": None, "restricted": True, "owner": contact},
    as `deconfliction.hit_view` redacts them.
    Each batch is one `deconfliction.check_records` call: its candidate query and its "deconflict"
    audit entry (the lines and refs checked, the candidates returned) share one transaction, so the
    log holds one entry per batch with real counts rather than one entry before anything was read.
    """
    if type_name not in ENTITY_TYPES:
        raise ValidationFailed({"type": [f"unknown entity type {type_name!r}; one of {', '.join(ENTITY_TYPES)}"]})
    checks.guard(graph, actor, "deconflict")
    chunk: list[tuple[int, object, dict]] = []

    def emit() -> Iterator[dict]:
        refs = [ref for _, ref, _ in chunk if ref is not None]
        checked = {"source": "check_file", "first_line": chunk[0][0], "last_line": chunk[-1][0],
                   "refs": [str(r) for r in refs[:deconfliction.AUDIT_UID_CAP]], "refs_total": len(refs)}
        found = deconfliction.check_records(graph, actor, type_name, [rec for _, _, rec in chunk], cap=limit,
                                            include_no_match=include_no_match, checked=checked)
        for (_, ref, _), cands in zip(chunk, found, strict=True):
            shown: list[dict] = []
            own: list[dict] = []
            for c in map(_candidate, cands):
                itself = ref is not None and c.get("uid") and c.get("source_ref") == str(ref) \
                    and c["decision"] == model.MATCH
                (own if itself else shown).append(c)
            yield {"ref": ref, "candidates": shown, **({"stored_as": [c["uid"] for c in own]} if own else {})}
        chunk.clear()

    for number, text in enumerate(lines, start=1):
        if not text.strip():
            continue
        try:
            obj = json.loads(text)
            if not isinstance(obj, dict):
                raise ValueError("not a JSON object")
            if UNREADABLE in obj:
                raise ValueError(str(obj[UNREADABLE]))
            if problem := surrogate_problem(obj):
                raise ValueError(problem)
        except ValueError as exc:
            yield {"line": number, "ref": None, "error": str(exc)}
            continue
        data = flatten(type_name, obj)
        chunk.append((number, data.get("ref"), {k: v for k, v in data.items() if k != "ref"}))
        if len(chunk) >= batch:
            yield from emit()
    if chunk:
        yield from emit()


def still_readable(tx, actor: Actor, met: list[dict]) -> list[dict]:
    """Lines that met records (`on_hits` entries, kept earlier) as the actor may read them now: a record
    hidden from them since is only whom to call, as if it had been hidden at import, and neither the
    line's own record nor the master it settled under is named once hidden."""
    named = {h["uid"] for line in met for h in line["hits"] if not h["restricted"]}
    named |= {line[k] for line in met for k in ("uid", "sub_record_of") if line.get(k)}
    readable = rules.readable_uids(tx, actor, named)
    out = []
    for line in met:
        hits = [h if h["restricted"] or h["uid"] in readable
                else {**_candidate({"type": h.get("type"), "restricted": True, "owner": h.get("owner")}),
                      "hit_uid": h.get("hit_uid")} for h in line["hits"]]
        out.append({**line, "hits": hits, "uid": line.get("uid") if line.get("uid") in readable else None,
                    **({"sub_record_of": line["sub_record_of"] if line["sub_record_of"] in readable else None}
                       if "sub_record_of" in line else {})})
    return out


def _candidate(view: dict) -> dict:
    """One candidate of a check file, projected from `deconfliction.hit_view` (the one redaction of hits):
    a record the actor may not read is only {"uid": None, "type", "restricted": True, "owner": contact}
    (its caption, score, explanation and cases None)."""
    return {"uid": view.get("uid"), "type": view.get("type"), "caption": view.get("caption"),
            "source_ref": view.get("source_ref"), "score": view.get("score"), "decision": view.get("decision"),
            "explanation": view.get("explanation"), "cases": view.get("cases"), "restricted": view["restricted"],
            "owner": view.get("owner")}
