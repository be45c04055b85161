"""`ccms-graph lpr`: load licence-plate-reader sightings from a CSV, and read a case's hot list."""

from __future__ import annotations

import json

from ..db import get_graph
from ..logic.location import hotlists, lpr
from ..settings import load_settings
from .arguments import at_least
from .files import add_encoding, encoding_of, open_text
from .imports import _actor


def _import(args) -> int:
    graph = get_graph(load_settings())
    actor = _actor(graph, args.as_user)
    with open_text(args.file, encoding_of(args.file, args.encoding)) as f:
        result = lpr.import_sightings(graph, actor, f, case_key=args.case, batch=args.batch)
    print(json.dumps(result, indent=2, default=str))
    return 0


def _hot_list(args) -> int:
    graph = get_graph(load_settings())
    print(json.dumps(hotlists.entries(graph, _actor(graph, args.as_user), args.case), indent=2, default=str))
    return 0


def register(sub) -> None:
    p = sub.add_parser("lpr", help="licence-plate-reader sightings (kept only when tied to a case) and hot lists")
    psub = p.add_subparsers(dest="lpr_command", required=True)
    i = psub.add_parser("import", help="load sightings from a CSV: plate, state, seen_at, latitude, longitude"
                                       "[, camera, source]; reads tied to no case are dropped and counted")
    i.add_argument("file")
    i.add_argument("--case", help="the case (number or uid) the file is imported for; omitted: a feed")
    i.add_argument("--as", dest="as_user", help="username to import as (default: the system)")
    i.add_argument("--batch", type=at_least(1), default=lpr.BATCH, help="reads per transaction")
    add_encoding(i)
    i.set_defaults(func=_import)
    h = psub.add_parser("hot-list", help="print a case's hot list")
    h.add_argument("case", help="case number or uid")
    h.add_argument("--as", dest="as_user", help="username to read as (default: the system)")
    h.set_defaults(func=_hot_list)
