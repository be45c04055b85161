"""How every command prints its result."""

from __future__ import annotations

import json


def emit(value) -> None:
    """Print a result as indented JSON."""
    print(json.dumps(value, indent=2, default=str))
