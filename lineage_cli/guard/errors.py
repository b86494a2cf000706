"""Errors of the request guards of `lineage serve`."""

from __future__ import annotations

from lineage.errors import LineageError

__all__ = ["AuthConfigError", "GuardError", "Unauthorized"]


class GuardError(LineageError):
    """Base of the guards' errors."""


class AuthConfigError(GuardError):
    """`--auth` is configured wrongly, or the issuer's keys cannot be fetched (exit 2)."""


class Unauthorized(GuardError):
    """A request's bearer token is missing or invalid (401), or lacks the route's scope (403)."""

    def __init__(self, message: str, *, status: int = 401, scopes: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.status = status
        self.scopes = scopes
