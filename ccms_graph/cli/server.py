"""`ccms-graph neo4j fetch|start|stop|status` and `ccms-graph init-db`: the database server and schema (with
the backfill of data a new schema's readers rely on: call records' KEPT_FOR, `telecom.keep_calls_for_cases`)."""

from __future__ import annotations

from .. import neo4j_server
from ..db import get_graph, install_schema
from ..logic.identity import telecom
from ..matching import blocking, deconflict, frequencies, prevalence, weights
from ..nodes.vocabulary import ENTITY_TYPES
from ..settings import load_settings
from .arguments import at_least
from .output import emit


def _neo4j(args) -> int:
    settings = load_settings()
    if args.action != "status" and not settings.uses_local_server:
        print(f"CCMS_NEO4J_URI is set ({settings.neo4j_uri}); the local server is not used.")
        return 0
    if args.action == "fetch":
        print(neo4j_server.fetch(settings, quiet=False))
    elif args.action == "start":
        pid = neo4j_server.start(settings)
        print(f"Neo4j is answering on {settings.local_bolt_uri} (pid {pid})")
    elif args.action == "stop":
        print("stopped" if neo4j_server.stop(settings) else "not running")
    else:
        st = neo4j_server.status(settings)
        emit(st)
        return 0 if st["bolt"] else 1
    return 0


def _init_db(args) -> int:
    graph = get_graph()
    n = install_schema(graph)
    print(f"schema installed ({n} statements)")
    # Data the schema's readers rely on, for records written before it existed (idempotent).
    kept = telecom.keep_calls_for_cases(graph)
    print(f"call records linked to their cases: {kept} KEPT_FOR added")
    return 0


def _reindex(args) -> int:
    graph = get_graph()
    if not args.names_only:
        for type_name in ENTITY_TYPES:
            n = blocking.recompute_keys(graph, batch=args.batch, type_name=type_name)
            print(f"blocking keys rewritten on {n} {type_name} records")
    counts = frequencies.recount(graph)
    print(f"name frequencies counted over {counts.total} people "
          f"({len(counts.family)} family-name and {len(counts.given)} given-name tokens)")
    if args.fit_weights:
        for type_name in ENTITY_TYPES:
            fit = weights.refit(graph, type_name)
            print(f"{type_name} field weights " + (
                f"estimated from {fit['pairs']} candidate and {fit['random_pairs']} random pairs" if fit
                else f"left as set (fewer than {weights.MIN_RECORDS} records)"))
    if not args.names_only:
        found = deconflict.refresh_prior(graph, "Person", deconflict.Config.of(graph.settings), force=True)
        print("Person prior " + (
            f"estimated: {found.duplicates:.3g} other records of the same individual per record, from "
            f"{found.pairs} candidate pairs of {found.sample} sampled people" if found
            else f"left as set (fewer than {prevalence.MIN_RECORDS} people)"))
    return 0


def register(sub) -> None:
    p = sub.add_parser("neo4j", help="fetch, start, stop or report the local Neo4j server")
    p.add_argument("action", choices=["fetch", "start", "stop", "status"])
    p.set_defaults(func=_neo4j)
    p = sub.add_parser("init-db", help="install constraints and indexes, and backfill the links their readers "
                                        "rely on (idempotent)")
    p.set_defaults(func=_init_db)
    p = sub.add_parser("reindex-matching",
                       help="recompute the deconfliction blocking keys (after the key set changes), recount the name "
                            "frequencies, re-estimate the person prior from the duplicates stored and, with --fit-weights, the field "
                            "weights matching scores by")
    p.add_argument("--batch", type=at_least(1), default=5000)
    p.add_argument("--names-only", action="store_true", help="only recount the name frequencies")
    p.add_argument("--fit-weights", action="store_true",
                   help="also re-estimate the field weights from the store (EM; see matching/weights.py)")
    p.set_defaults(func=_reindex)
