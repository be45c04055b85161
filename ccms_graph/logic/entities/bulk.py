"""Set-based loading of many records: validate and prepare one batch while the previous one is written."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from itertools import islice

from ...db import Graph
from ...errors import DomainError, ValidationFailed
from ...policy import rules
from ...policy.actor import Actor
from ..oversight import audit
from . import records


def _batches(items: Iterable, size: int) -> Iterator[list]:
    it = iter(items)
    while chunk := list(islice(it, size)):
        yield chunk


def prepare_batch(type_name: str, items: list[tuple[int, dict]], actor: Actor, case_uid: str | None,
                  source: str) -> tuple[list[dict], list[tuple[int, dict]], list[tuple[int, dict]]]:
    """Rows ready to insert, the (line, input) pairs they came from, and (line, errors) for refused input."""
    rows, accepted, refused = [], [], []
    for line, data in items:
        try:
            rows.append(records.build_row(type_name, data, actor, case_uid=case_uid, source=source,
                                          imported=source != "manual"))
            accepted.append((line, data))
        except ValidationFailed as exc:
            refused.append((line, exc.errors))
    return rows, accepted, refused


def bulk_insert(graph: Graph, actor: Actor, type_name: str, items: Iterable[tuple[int, dict]], *,
                batch_size: int = 5000, case_uid: str | None = None, source: str = "manual",
                in_tx: Callable | None = None, progress: Callable[[int], None] | None = None) -> dict:
    """Insert (line, record) pairs in UNWIND batches, one transaction per batch.

    Preparing batch k+1 (validation, normalization) overlaps with writing batch k. `in_tx(tx, uids,
    accepted)` runs inside each batch's transaction (audit entries, deconfliction). Returns counts,
    the created uids in input order, and the refused lines with their reasons.
    Writers only (auditors and administrators load nothing); with `case_uid`, every batch's
    transaction first checks that the actor may change that case (a hidden case answers NotFound).
    Refusals are audited.
    """
    try:
        rules.require_writer(actor)
    except DomainError as exc:
        raise audit.refuse(graph, actor, exc, "bulk_insert", [case_uid] if case_uid else []) from None
    created: list[str] = []
    refused: list[tuple[int, dict]] = []
    done = 0
    with ThreadPoolExecutor(max_workers=1) as pool:
        pending = None
        for chunk in _batches(items, batch_size):
            nxt = pool.submit(prepare_batch, type_name, chunk, actor, case_uid, source)
            if pending is not None:
                done += _write(graph, actor, type_name, case_uid, pending.result(), created, refused, in_tx)
                if progress:
                    progress(done)
            pending = nxt
        if pending is not None:
            done += _write(graph, actor, type_name, case_uid, pending.result(), created, refused, in_tx)
            if progress:
                progress(done)
    return {"created": len(created), "refused": refused, "uids": created}


def _write(graph: Graph, actor: Actor, type_name: str, case_uid: str | None, prepared, created, refused,
           in_tx) -> int:
    rows, accepted, bad = prepared
    refused.extend(bad)

    def work(tx):
        if case_uid is not None:
            rules.require_case_write(tx, actor, case_uid)
        uids = records.insert_rows(tx, type_name, rows, actor.uid)
        if in_tx is not None:
            in_tx(tx, uids, accepted)
        return uids

    if rows:
        created.extend(audit.write_or_refuse(graph, actor, "bulk_insert", [case_uid], work))
    return len(rows) + len(bad)
