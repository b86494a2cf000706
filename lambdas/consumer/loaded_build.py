"""Which build the graph holds: the digest of the `Build` marker vertex (lineage.build_marker).

Read with one lookup by id, at most once per `check_every_s` per process; every answer's ETag
and the answer cache are keyed by it. A graph without a marker (loaded by an older build) or
one that cannot be asked gives None: then nothing is cached and no tag is sent.
"""

from __future__ import annotations

import threading
import time

from lambdas.consumer.errors import ConsumerError
from lambdas.consumer.graph_client import GraphClient
from lineage.graph_schema import BUILD_MARKER_DIGEST, BUILD_MARKER_ID

__all__ = ["LoadedBuild"]


class LoadedBuild:
    """The loaded build's digest, re-read from the graph at most every `check_every_s`."""

    def __init__(self, client: GraphClient, check_every_s: float) -> None:
        self._client = client
        self._every = check_every_s
        self._lock = threading.Lock()
        self._digest: str | None = None
        self._checked_at = float("-inf")

    def current(self) -> str | None:
        """The digest, or None when the graph has no marker or did not answer."""
        with self._lock:
            if time.monotonic() - self._checked_at < self._every:
                return self._digest
        t = self._client.source().V(BUILD_MARKER_ID).values(BUILD_MARKER_DIGEST)
        try:
            values = sorted(str(v) for v in self._client.run(t))
        except ConsumerError:
            return None  # asked again on the next request; the route reports the outage
        # A `set` property (a graph loaded without single cardinality) may hold several digests;
        # their join still changes whenever a load adds one.
        digest = "+".join(values) or None
        with self._lock:
            self._digest, self._checked_at = digest, time.monotonic()
        return digest
