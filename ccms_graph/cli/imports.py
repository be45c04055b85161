"""`ccms-graph import`, `ccms-graph deconflict` and `ccms-graph telecom`: batch loading and checking from files."""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Iterator

from ..db import Graph, get_graph
from ..logic.entities.imports import Reread, deconflict_jsonl, import_jsonl
from ..logic.entities.lines import column_map_of
from ..logic.entities.tabular import json_lines
from ..logic.identity import telecom
from ..nodes.vocabulary import ENTITY_TYPES
from ..policy.actor import SYSTEM, load_actor
from ..settings import load_settings
from .arguments import at_least
from .files import add_encoding, encoding_of, open_text

TYPES = {t.lower(): t for t in ENTITY_TYPES}


def _actor(graph: Graph, username: str | None):
    return graph.read(load_actor, username) if username else SYSTEM


def _import(args) -> int:
    graph = get_graph(load_settings())
    actor = _actor(graph, args.owner)
    t0 = time.perf_counter()

    encoding = encoding_of(args.file, args.encoding)
    columns = _columns(args)

    def read() -> Iterator[str]:  # the file afresh on each pass: counted, its names counted, loaded
        with open_text(args.file, encoding) as f:
            yield from json_lines(f, args.file, columns)

    total = sum(1 for line in read() if line.strip())

    def progress(counts: dict) -> None:
        elapsed = max(time.perf_counter() - t0, 1e-9)
        rate = counts["lines"] / elapsed
        done = counts["lines"] / max(total, 1)
        bar = "#" * int(done * 30)
        left = (total - counts["lines"]) / rate if rate else 0.0
        print(f"\r[{bar:<30}] {done:4.0%} {counts['lines']:,}/{total:,} lines, {counts['created']:,} created, "
              f"{len(counts['refused']):,} refused, {counts['hits']:,} hits, {counts['sub_records']:,} sub-records "
              f"({rate:,.0f}/s, {left:,.0f} s left)", end="", file=sys.stderr, flush=True)

    hits_file = args.hits or f"{args.file}.hits.jsonl"
    report = args.report or f"{args.file}.report.jsonl"
    # Both opened before the first line loads: an output that cannot be written stops the run before it
    # changes anything, never after it has loaded records whose refusals it then could not report.
    with open(hits_file, "w", encoding="utf-8") as found, open(report, "w", encoding="utf-8") as out:
        def on_hits(lines: list[dict]) -> None:  # written as each batch commits
            found.writelines(json.dumps(line) + "\n" for line in lines)
            found.flush()

        counts = import_jsonl(graph, actor, TYPES[args.type], Reread(read), case_key=args.case,
                              batch=args.batch,
                              progress=progress, source=args.source, on_hits=on_hits)
        print(file=sys.stderr)
        for note in unknown_columns(counts["warnings"], TYPES[args.type]):
            print(f"note: {note}", file=sys.stderr)
        for item in sorted(counts["refused"] + [{**w, "warning": True} for w in counts["warnings"]],
                           key=lambda x: x["line"]):
            out.write(json.dumps(item) + "\n")
    print(json.dumps({"type": TYPES[args.type], "lines": counts["lines"], "created": counts["created"],
                      "refused": len(counts["refused"]), "warnings": len(counts["warnings"]), "hits": counts["hits"],
                      "records_with_hits": counts["records_with_hits"], "sub_records": counts["sub_records"],
                      "separate": counts["separate"], "report": report, "hits_file": hits_file,
                      "seconds": round(time.perf_counter() - t0, 2)}))
    return 0


#: What marshmallow says of a field the schema does not have.
_UNKNOWN = "Unknown field."


def unknown_columns(warnings: list[dict], type_name: str) -> list[str]:
    """One line per column an import left out as unknown, with how many lines it was on and the `--map`
    that would read it or leave it out quietly (the report names it on every line)."""
    lines: dict[str, int] = {}
    for w in warnings:
        for name, problem in (w.get("problems") or {}).items():
            if problem == _UNKNOWN:
                lines[name] = lines.get(name, 0) + 1
    return [f"column {name!r} is no {type_name} field: left out of {n:,} line{'s' if n != 1 else ''}; "
            f"--map {name}=FIELD reads it as a field, --map {name}= leaves it out without a warning"
            for name, n in sorted(lines.items())]


def _columns(args) -> dict[str, str | None]:
    """The file's columns `--map` renames (`lines.column_map_of`), checked before anything is read or written."""
    return column_map_of(TYPES[args.type], args.map or [])


def _deconflict(args) -> int:
    graph = get_graph(load_settings())
    actor = _actor(graph, args.as_user)
    encoding = encoding_of(args.file, args.encoding)
    columns = _columns(args)
    with open_text(args.file, encoding) as f:  # a table's header, as mapped, before any output is opened
        next(json_lines(f, args.file, columns), None)
    out = open(args.out, "w", encoding="utf-8") if args.out else sys.stdout
    n = with_candidates = 0
    try:
        with open_text(args.file, encoding) as f:
            for item in deconflict_jsonl(graph, actor, TYPES[args.type], json_lines(f, args.file, columns),
                                         limit=args.limit, include_no_match=args.all):
                out.write(json.dumps(item, default=str) + "\n")
                n += 1
                with_candidates += bool(item.get("candidates"))
                if n % 100 == 0:
                    print(f"\r{n:,} lines checked", end="", file=sys.stderr, flush=True)
    finally:
        if args.out:
            out.close()
    print(f"\r{n:,} lines checked, {with_candidates:,} with candidates", file=sys.stderr)
    return 0


def _telecom(args) -> int:
    graph = get_graph(load_settings())
    actor = _actor(graph, args.owner)
    fn = {"import-cdr": telecom.import_cdr, "import-subscribers": telecom.import_subscribers,
          "import-misc": telecom.import_misc}[args.telecom_command]
    with open_text(args.file, encoding_of(args.file, args.encoding)) as f:
        result = fn(graph, actor, args.case, f, filename=os.path.basename(args.file))
    print(json.dumps(result, indent=2, default=str))
    return 0


def _add_map(p) -> None:
    p.add_argument("--map", action="append", metavar="COLUMN=FIELD",
                   help="read the file's COLUMN as FIELD (a field of the type, or a column name an import knows, "
                        "e.g. postcode_fake=postcode, first_and_surname=full_name); COLUMN= leaves it out "
                        "without a warning (a benchmark's cluster id). Repeat for each column")


def register(sub) -> None:
    p = sub.add_parser("import", help="create Subject Records from a JSON Lines, CSV or TSV file, deconflicting each")
    p.add_argument("--type", required=True, choices=sorted(TYPES), help="entity type of every line")
    p.add_argument("file", help="one JSON object per line (API schema fields, plus `ref`), or a .csv/.tsv file "
                                "with a header row")
    p.add_argument("--owner", help="username who owns the records (default: the system)")
    p.add_argument("--case", help="case number (or uid) the records become subjects in")
    p.add_argument("--source", help="the system the lines come from (e.g. FinCEN); a protected one restricts --case")
    p.add_argument("--report", help="where refused lines go (default: FILE.report.jsonl)")
    p.add_argument("--hits", help="where the lines that met existing records go, with each record's owner to "
                                  "contact (default: FILE.hits.jsonl)")
    p.add_argument("--batch", type=at_least(1), default=1000, help="records per transaction")
    _add_map(p)
    add_encoding(p)
    p.set_defaults(func=_import)

    d = sub.add_parser("deconflict", help="check each line of a JSON Lines, CSV or TSV file against the graph; "
                                          "creates nothing")
    d.add_argument("--type", required=True, choices=sorted(TYPES))
    d.add_argument("file")
    d.add_argument("--out", help="write {ref, candidates} lines here (default: stdout)")
    d.add_argument("--as", dest="as_user", help="check as this username (restricted records then show contact only)")
    d.add_argument("--limit", type=at_least(1), default=20, help="candidates per line")
    d.add_argument("--all", action="store_true", help="also list candidates scored no_match")
    _add_map(d)
    add_encoding(d)
    d.set_defaults(func=_deconflict)

    t = sub.add_parser("telecom", help="import call detail, subscriber or miscellaneous records (CSV) against a case")
    tsub = t.add_subparsers(dest="telecom_command", required=True)
    for name, what in (("import-cdr", "call detail records"), ("import-subscribers", "subscriber records"),
                       ("import-misc", "miscellaneous records (number/imsi/imei/ip, record_type, time, details)")):
        c = tsub.add_parser(name, help=f"load {what} from a CSV file into a case")
        c.add_argument("--case", required=True, help="case number (or uid)")
        c.add_argument("file")
        c.add_argument("--owner", help="username to import as (default: the system)")
        add_encoding(c)
        c.set_defaults(func=_telecom)
