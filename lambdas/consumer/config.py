"""Settings of the read API: where the graph is and how far a request may reach."""

from __future__ import annotations

import os
from dataclasses import dataclass

__all__ = ["MAX_DEPTH", "ReadApiConfig"]

# Documented maximum of `depth` for dataset and column lineage (docs/read-api.md). Deeper
# requests are refused with 400 rather than silently truncated.
MAX_DEPTH = 20


@dataclass(frozen=True)
class ReadApiConfig:
    """Connection and bounds; every traversal the API sends respects these."""

    graph_url: str
    traversal_source: str = "g"
    # Server-side budget per traversal (`with_('evaluationTimeout', ...)`); well under API
    # Gateway's 30 s integration timeout so the client sees our 504, not the gateway's.
    evaluation_timeout_ms: int = 10_000
    # Most nodes a graph response carries before it is cut and flagged `capped`.
    max_nodes: int = 2_000
    # Most rows a list endpoint returns in one response.
    max_list: int = 1_000
    # Runs listed inline by the job view.
    job_runs: int = 50

    @property
    def client_timeout_s(self) -> float:
        """Client-side wait: the server's budget plus slack for the round trip."""
        return self.evaluation_timeout_ms / 1000 + 2.0

    @classmethod
    def from_env(cls) -> ReadApiConfig:
        """Build from `LINEAGE_GRAPH_URL` and `LINEAGE_GRAPH_TIMEOUT_MS` (the Lambda's settings)."""
        url = os.environ.get("LINEAGE_GRAPH_URL", "ws://localhost:8182/gremlin")
        timeout = int(os.environ.get("LINEAGE_GRAPH_TIMEOUT_MS", "10000"))
        return cls(graph_url=url, evaluation_timeout_ms=timeout)
