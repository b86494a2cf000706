"""One gremlinpython connection per process, with timeouts and errors mapped to ours.

Traversals are built as bytecode against an unbound source (`source()`), then sent here; the
connection is opened lazily (cold starts stay cheap) and reopened after a failure (a Gremlin
Server or Neptune restart must not wedge a warm Lambda).
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import threading
from typing import Any

from lambdas.consumer.errors import GraphQueryFailed, GraphTimeout, GraphUnavailable

__all__ = ["GraphClient"]

# Gremlin Server's status for "evaluationTimeout exceeded"; Neptune names the exception instead.
_SERVER_TIMEOUT = 598
_NEPTUNE_TIMEOUT = "TimeLimitExceededException"


class GraphClient:
    """Runs traversals against one Gremlin endpoint (Gremlin Server or Neptune)."""

    def __init__(
        self,
        url: str,
        timeout_ms: int,
        traversal_source: str = "g",
        iam_auth_region: str | None = None,
        pool_size: int = 8,
    ) -> None:
        self.url = url
        self.timeout_ms = timeout_ms
        self.traversal_source = traversal_source
        self.iam_auth_region = iam_auth_region
        self.pool_size = pool_size
        self._lock = threading.Lock()
        self._connection: Any = None

    def source(self) -> Any:
        """A traversal source carrying the server-side timeout; not bound to any connection."""
        from gremlin_python.structure.graph import Graph

        return Graph().traversal().with_("evaluationTimeout", self.timeout_ms)

    def run(self, t: Any) -> list[Any]:
        """Send one traversal's bytecode and return its results (bulk expanded)."""
        from gremlin_python.driver.driver_remote_connection import DriverRemoteConnection
        from gremlin_python.driver.protocol import GremlinServerError

        client = self._connect()
        wait = self.timeout_ms / 1000 + 2.0
        # The `with_('evaluationTimeout')` of the source travels as a request option, exactly as
        # DriverRemoteConnection sends it. That class's own submit_async may block the caller
        # (its callback runs inline once the write has finished), so the Client is used directly.
        options = DriverRemoteConnection._extract_request_options(t.bytecode)
        try:
            result_set = client.submit_async(t.bytecode, request_options=options).result(wait)
            traversers = result_set.all().result(wait)
        except concurrent.futures.TimeoutError as exc:
            self._reset()
            raise GraphTimeout(f"graph at {self.url} gave no answer in {wait:.0f} s") from exc
        except GremlinServerError as exc:
            if exc.status_code == _SERVER_TIMEOUT or _NEPTUNE_TIMEOUT in str(exc):
                raise GraphTimeout(
                    f"graph at {self.url} timed out after {self.timeout_ms} ms"
                ) from exc
            raise GraphQueryFailed(f"graph at {self.url} rejected the query: {exc}") from exc
        except Exception as exc:  # the transport raises many types (aiohttp, OSError, RuntimeError)
            self._reset()
            raise GraphUnavailable(f"graph at {self.url} is unavailable: {exc}") from exc
        results: list[Any] = []
        for traverser in traversers:
            results.extend([traverser.object] * int(traverser.bulk))
        return results

    def close(self) -> None:
        """Close the connection, if one is open."""
        self._reset()

    def _connect(self) -> Any:
        with self._lock:
            if self._connection is None:
                from gremlin_python.driver.client import Client

                from lambdas.consumer.graphbinary import FastGraphBinarySerializer

                try:
                    headers = None
                    if self.iam_auth_region is not None:
                        from lambdas.consumer.neptune_auth import sigv4_headers

                        headers = sigv4_headers(self.url, self.iam_auth_region)
                    self._connection = Client(
                        self.url,
                        self.traversal_source,
                        message_serializer=FastGraphBinarySerializer(),
                        headers=headers,
                        pool_size=self.pool_size,
                        max_workers=self.pool_size,
                    )
                except GraphUnavailable:
                    raise
                except Exception as exc:  # connection refused, DNS, TLS: all mean unavailable
                    raise GraphUnavailable(f"graph at {self.url} is unavailable: {exc}") from exc
            return self._connection

    def _reset(self) -> None:
        with self._lock:
            connection, self._connection = self._connection, None
        if connection is not None:
            # Closing a broken connection may fail; it is dropped either way.
            with contextlib.suppress(Exception):
                connection.close()
