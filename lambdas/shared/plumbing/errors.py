"""Domain errors. Their messages are safe to show to clients; the API layer maps them to status
codes (see `lambdas.shared.plumbing.api`), so domain code never deals in HTTP."""

from __future__ import annotations


class DomainError(Exception):
    """Base of the errors a client caused and may be told about."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class BadRequest(DomainError):
    """The request is well-formed JSON but cannot be served as asked (400)."""


class NotFound(DomainError):
    """The addressed resource does not exist (404)."""


class Conflict(DomainError):
    """The request conflicts with the current state of the resource (409)."""


class Unauthorized(DomainError):
    """The request carries no caller the API can act for (401)."""


class Forbidden(DomainError):
    """The caller is known but may not do this (403)."""
