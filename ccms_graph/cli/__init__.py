"""The `ccms-graph` command line: one module per command group, each exposing `register(subparsers)`."""

from __future__ import annotations

import argparse
import json
import sys

from neo4j.exceptions import AuthError, ServiceUnavailable

from ..errors import DomainError
from . import (
    audit,
    backup,
    case_file,
    imports,
    lpr,
    notifications,
    queries,
    seed,
    server,
    stats,
    users,
    worker,
    workflow,
)

#: Every command group, each registering its sub-commands.
COMMANDS = (audit, backup, case_file, imports, lpr, notifications, queries, seed, server, stats, users, worker,
            workflow)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ccms-graph", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    for module in COMMANDS:
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except DomainError as exc:
        errors = getattr(exc, "errors", None)
        print(f"error: {exc.detail}" + (f"\n{json.dumps(errors, indent=2)}" if errors else ""), file=sys.stderr)
        return 2
    except (ServiceUnavailable, AuthError) as exc:  # the database is away, or refuses the credentials
        why = " ".join(str(exc.message or exc).split())
        print(f"error: Neo4j did not answer ({why}); is it running (`ccms-graph neo4j start`), and are "
              "CCMS_NEO4J_URI and its credentials right?", file=sys.stderr)
        return 3
    except LookupError as exc:  # --encoding naming no codec
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:  # a file named on the command line that cannot be read or written
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"error: {where}{exc.strerror or exc}", file=sys.stderr)
        return 2
    except EOFError as exc:  # a compressed input file cut short
        print(f"error: the input file ends early ({exc})", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
