"""The loader's exception family: one base, one class per way a load can go wrong."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lineage.errors import LineageError

if TYPE_CHECKING:
    from loader.report import LoadReport


class LoaderError(LineageError):
    """Base of every error raised by the `loader` package."""


class SourceError(LoaderError):
    """The source folder or S3 prefix is missing, empty, or holds a file that is not a load file."""


class LoadUsageError(LoaderError):
    """The load's arguments contradict each other or lack a required confirmation."""


class GraphConnectionError(LoaderError):
    """The Gremlin Server (local) or the Neptune endpoint could not be reached or answered badly."""


class NeptuneApiError(LoaderError):
    """Neptune refused a request; carries the service's own error code and message."""

    def __init__(self, operation: str, code: str, message: str) -> None:
        self.operation = operation
        self.code = code
        self.message = message
        super().__init__(f"{operation}: {code}: {message}")


class LoadCancelledError(LoaderError):
    """The load was cancelled (Ctrl-C or deadline) before it reached a final status."""

    def __init__(self, message: str, report: LoadReport | None = None) -> None:
        super().__init__(message)
        self.report = report


class FastResetError(LoaderError):
    """The fast-reset handshake (initiate, then perform with the token) did not complete."""
