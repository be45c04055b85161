"""`ccms-graph case-file`: print a case's file to a PDF, as a given user (audited as an export)."""

from __future__ import annotations

import sys
from pathlib import Path

from ..db import get_graph
from ..logic.casework import case_file
from ..policy.actor import load_actor
from .output import emit


def _case_file(args) -> int:
    """The file is opened before the case is read, so an unwritable --out costs no export; a refusal leaves no file."""
    graph = get_graph()
    actor = graph.read(load_actor, args.as_user).with_request("cli")
    out = Path(args.out)
    try:
        fh = out.open("wb")
    except OSError as exc:
        print(f"error: --out {args.out}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    with fh:
        try:
            pdf, meta = case_file.case_file(graph, actor, args.case)
        except BaseException:
            out.unlink(missing_ok=True)
            raise
        fh.write(pdf)
    emit({**meta, "out": args.out, "bytes": len(pdf)})
    return 0


def register(sub) -> None:
    p = sub.add_parser("case-file", help="the printable case file as PDF, as a user allowed to read the whole "
                                         "case (audited as an export; the owners are told)")
    p.add_argument("case", metavar="CASE_NUMBER", help="the case number (or uid)")
    p.add_argument("--as", dest="as_user", required=True, help="the username printing the file")
    p.add_argument("--out", required=True, help="where to write the PDF")
    p.set_defaults(func=_case_file)
