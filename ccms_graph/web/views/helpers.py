"""Small helpers for page views: run one logic call from a form post and come back with its outcome."""

from __future__ import annotations

from collections.abc import Callable

from flask import flash, redirect

from ...errors import DomainError, ValidationFailed
from .forms import field_errors


def message_of(exc: DomainError) -> str:
    """A sentence for a refused action: the field problems of a validation failure, else the detail."""
    if isinstance(exc, ValidationFailed):
        return "; ".join(f"{k.replace('_', ' ')}: {v}" for k, v in field_errors(exc.errors).items())
    return exc.detail


def act(call: Callable[[], object], done: str | Callable[[object], str], back: str):
    """Run `call` (one logic call); flash `done` (or `done(result)`) or the refusal, and redirect to `back`."""
    try:
        result = call()
    except DomainError as exc:
        flash(f"Not done: {message_of(exc)}", "error")
    else:
        flash(done(result) if callable(done) else done, "ok")
    return redirect(back)
