"""`ccms-graph queries list|run`: the saved-query catalogue and running one query as a user, printing JSON."""

from __future__ import annotations

import sys

from .. import queries
from ..db import Graph, get_graph
from ..errors import ValidationFailed
from ..policy.actor import load_actor
from .output import emit


def _actor(graph: Graph, username: str):
    return graph.read(load_actor, username).with_request("cli")


def _list(args) -> int:
    if args.as_user:
        graph = get_graph()
        infos = queries.catalogue(_actor(graph, args.as_user), graph)
    else:
        infos = [queries.QueryInfo(q.name, q.description, q.kind, q.roles, q.params)
                 for q in queries.loader.catalogue_queries().values()]
    emit([i.to_dict() for i in infos])
    return 0


def _params(pairs: list[str]) -> dict:
    out: dict = {}
    for pair in pairs or ():
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise ValidationFailed({"param": [f"{pair!r}: write --param name=value"]})
        if key in out:  # a repeated name makes a list (for list parameters)
            out[key] = (out[key] if isinstance(out[key], list) else [out[key]]) + [value]
        else:
            out[key] = value
    return out


def _run(args) -> int:
    graph = get_graph()
    actor = _actor(graph, args.as_user)
    result = queries.run_query(graph, actor, args.name, _params(args.param), version=args.version,
                              export="csv" if args.csv else None)
    if args.sort:
        result = result.sorted(args.sort, descending=args.desc)
    if args.csv:
        sys.stdout.write(queries.to_csv(result))
    else:
        emit(result.to_dict())
    return 0


def register(sub) -> None:
    p = sub.add_parser("queries", help="list or run saved link-analysis queries")
    qsub = p.add_subparsers(dest="queries_command", required=True)
    ls = qsub.add_parser("list", help="the catalogue as JSON (with --as: what that user may run)")
    ls.add_argument("--as", dest="as_user", help="username: list what this user may run, saved queries too")
    ls.set_defaults(func=_list)
    run = qsub.add_parser("run", help="run a query as a user and print the result as JSON")
    run.add_argument("name")
    run.add_argument("--param", action="append", default=[], metavar="NAME=VALUE",
                     help="a parameter value; repeat the option for more (or for a list parameter)")
    run.add_argument("--as", dest="as_user", required=True, help="the username to run it as")
    run.add_argument("--version", type=int, help="a saved query's version (authors only)")
    run.add_argument("--sort", help="sort a table by this column")
    run.add_argument("--desc", action="store_true", help="sort descending")
    run.add_argument("--csv", action="store_true", help="print CSV instead of JSON")
    run.set_defaults(func=_run)
