"""The `ccms-graph` command line: one module per command group, each exposing `register(subparsers)`."""

from __future__ import annotations

import argparse
import importlib
import json
import pkgutil
import sys

from ..errors import DomainError


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ccms-graph", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    for mod in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if mod.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{mod.name}")
        module.register(sub)
    return parser


def emit(value) -> None:
    """Print a result as indented JSON."""
    print(json.dumps(value, indent=2, default=str))


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except DomainError as exc:
        errors = getattr(exc, "errors", None)
        print(f"error: {exc.detail}" + (f"\n{json.dumps(errors, indent=2)}" if errors else ""), file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
