"""Domain errors raised by the logic layer and mapped once, in the web layer, to HTTP answers."""

from __future__ import annotations


class DomainError(Exception):
    status = 400
    title = "Bad request"

    def __init__(self, detail: str = "", **extra):
        super().__init__(detail or self.title)
        self.detail = detail or self.title
        self.extra = extra


class ValidationFailed(DomainError):
    """Input was refused; `errors` maps each offending field to its problems."""

    status = 422
    title = "Validation failed"

    def __init__(self, errors: dict, detail: str = ""):
        self.errors = errors
        fields = ", ".join(sorted(str(k) for k in errors))
        super().__init__(detail or f"invalid fields: {fields}")


class NotFound(DomainError):
    status = 404
    title = "Not found"


class Forbidden(DomainError):
    status = 403
    title = "Forbidden"


class Conflict(DomainError):
    status = 409
    title = "Conflict"


class TrainingExpired(Forbidden):
    title = "Training expired"


class Unavailable(DomainError):
    status = 503
    title = "Service unavailable"
