"""The local graph server's exception family: one base, one class per way it can fail."""

from __future__ import annotations

from lineage.errors import LineageError

__all__ = [
    "GraphServerError",
    "PortInUseError",
    "PrerequisiteError",
    "ServerStartError",
    "ServerStopError",
]


class GraphServerError(LineageError):
    """Base of every error raised while managing the local Gremlin Server."""


class PrerequisiteError(GraphServerError):
    """Java, javac or the Gremlin Server jars are missing."""


class PortInUseError(GraphServerError):
    """Something already listens on the port the server should take."""


class ServerStartError(GraphServerError):
    """The server died, refused to start, or did not answer a traversal in time."""

    def __init__(self, message: str, log_tail: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.log_tail = log_tail


class ServerStopError(GraphServerError):
    """The server process could not be stopped."""
