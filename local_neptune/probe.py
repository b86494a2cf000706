"""Asks a Gremlin Server for its element counts: the proof that it answers traversals."""

from __future__ import annotations

import contextlib
import logging
import socket
import threading
from dataclasses import dataclass
from urllib.parse import urlsplit

from local_neptune.errors import GraphServerError

__all__ = ["GraphCounts", "ProbeFailed", "port_accepts", "query_counts"]


class ProbeFailed(GraphServerError):
    """The server did not answer the probe traversal (yet); the message says why."""

    def __init__(self, message: str, *, answered: bool = False) -> None:
        super().__init__(message)
        self.answered = answered
        """True when a Gremlin Server answered with an error: retrying will not help."""


@dataclass(frozen=True)
class GraphCounts:
    """Number of vertices and edges in the graph bound to `g`."""

    vertices: int
    edges: int


def port_accepts(host: str, port: int, timeout_s: float = 0.5) -> bool:
    """True when a TCP connection to host:port succeeds."""
    try:
        with socket.create_connection((host, port), timeout=timeout_s):
            return True
    except OSError:
        return False


def query_counts(endpoint: str, timeout_s: float = 10.0) -> GraphCounts:
    """Run `g.V().count()` and `g.E().count()` as bytecode over GraphBinary; raises ProbeFailed.

    Gives up after `timeout_s` even when the peer accepts TCP but never completes the WebSocket
    handshake (gremlinpython would wait for aiohttp's 5-minute default).
    """
    parts = urlsplit(endpoint)
    # gremlinpython logs a full traceback per refused connection; a refused port is expected
    # while the server boots, so test it cheaply first.
    if not port_accepts(parts.hostname or "localhost", parts.port or 80):
        raise ProbeFailed(f"nothing accepts connections at {endpoint}")
    outcome: list[GraphCounts | BaseException] = []
    # A daemon thread: one stuck in a handshake must not keep the process alive at exit.
    worker = threading.Thread(
        target=_count_into, args=(endpoint, timeout_s, outcome), daemon=True, name="graph-probe"
    )
    worker.start()
    worker.join(timeout_s)
    if not outcome:
        raise ProbeFailed(f"no answer from {endpoint} within {timeout_s:g} s")
    result = outcome[0]
    if isinstance(result, BaseException):
        from gremlin_python.driver.protocol import GremlinServerError

        message = f"{type(result).__name__}: {result}".splitlines()[0]
        raise ProbeFailed(message, answered=isinstance(result, GremlinServerError)) from result
    return result


def _count_into(
    endpoint: str, timeout_s: float, outcome: list[GraphCounts | BaseException]
) -> None:
    from gremlin_python.driver.driver_remote_connection import DriverRemoteConnection
    from gremlin_python.process.anonymous_traversal import traversal

    logging.getLogger("gremlinpython").setLevel(logging.CRITICAL)
    connection = None
    try:
        connection = DriverRemoteConnection(
            endpoint, "g", read_timeout=timeout_s, write_timeout=timeout_s
        )
        g = traversal().with_remote(connection)
        vertices = int(g.V().count().next())
        edges = int(g.E().count().next())
        outcome.append(GraphCounts(vertices=vertices, edges=edges))
    except Exception as exc:  # gremlinpython raises many unrelated types for one failure
        outcome.append(exc)
    finally:
        if connection is not None:
            with contextlib.suppress(Exception):
                connection.close()
