"""`ccms-graph users provision ROSTER.json`: a deployment's offices and accounts, in one transaction."""

from __future__ import annotations

import json

from ..db import get_graph
from ..errors import ValidationFailed
from ..logic.people import roster
from ..policy.actor import SYSTEM
from ..settings import load_settings
from .output import emit


def _provision(args) -> int:
    try:
        with open(args.file, encoding="utf-8") as f:
            data = json.load(f)
    except (OSError, UnicodeDecodeError) as exc:
        raise ValidationFailed({"file": [f"cannot read {args.file}: {exc}"]}) from None
    except json.JSONDecodeError as exc:
        raise ValidationFailed({"file": [f"not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}"]}) from None
    emit(roster.provision(get_graph(load_settings()), SYSTEM, data))
    return 0


def register(sub) -> None:
    p = sub.add_parser("users", help="provision a deployment's offices and accounts from a roster (the system)")
    usub = p.add_subparsers(dest="users_command", required=True)
    prov = usub.add_parser(
        "provision", help='create every office and account of a JSON roster ({"offices": [...], "users": '
                          '[...]}) in one transaction, or none; accounts are active at once (audited)')
    prov.add_argument("file", help="the roster, JSON")
    prov.set_defaults(func=_provision)
