"""Argument types the commands share: a count refused by argparse, naming the option, when it is too small."""

from __future__ import annotations

import argparse
from collections.abc import Callable


def at_least(low: int) -> Callable[[str], int]:
    """An argparse type: a whole number no smaller than `low` ("--batch: at least 1; got 0")."""
    def whole(text: str) -> int:
        try:
            n = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"a whole number, at least {low}; got {text!r}") from None
        if n < low:
            raise argparse.ArgumentTypeError(f"at least {low}; got {n}")
        return n

    return whole
