"""Settings of the read API: where the graph is and how far a request may reach."""

from __future__ import annotations

import os
from dataclasses import dataclass

from lineage.limits import MAX_PROPERTY_BYTES

__all__ = ["MAX_DEPTH", "MAX_NAME_CHARS", "ReadApiConfig"]

# Documented maximum of `depth` for dataset and column lineage (docs/read-api.md). Deeper
# requests are refused with 400 rather than silently truncated.
MAX_DEPTH = 20

# Longest job, column or dataset name (and URI) a request may name. The producer accepts names
# of any length and the normalize job cuts a graph property at the core's property limit (UTF-8
# bytes, with a marker), so every name stored in the graph has at most this many characters: the
# read API can open anything the producer accepted.
MAX_NAME_CHARS = MAX_PROPERTY_BYTES


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
    # WebSocket connections to the graph, each carrying one traversal at a time: the most
    # traversals one process runs at once. A Lambda container serves one request at a time,
    # so `from_env` asks for one; `lineage serve` keeps the default per worker process.
    graph_pool_size: int = 8
    # In-process answer cache (lambdas.consumer.answer_cache): most answers and bytes kept.
    cache_entries: int = 4_096
    cache_bytes: int = 64 * 1024 * 1024
    # How often the loaded build's marker is read again; an answer can trail a finished load
    # by at most this long. 0 reads it for every request.
    build_check_s: float = 2.0
    # Sign the WebSocket handshake with SigV4 (Neptune with IAM authentication) in this region.
    iam_auth_region: str | None = None

    @property
    def client_timeout_s(self) -> float:
        """Client-side wait: the server's budget plus slack for the round trip."""
        return self.evaluation_timeout_ms / 1000 + 2.0

    @classmethod
    def from_env(cls) -> ReadApiConfig:
        """Build from the Lambda's environment.

        `LINEAGE_GRAPH_URL`, `LINEAGE_GRAPH_TIMEOUT_MS`, `LINEAGE_GRAPH_POOL_SIZE` (default 1),
        and `LINEAGE_GRAPH_IAM_AUTH=true` to sign for Neptune in `AWS_REGION` (set by Lambda).
        """
        url = os.environ.get("LINEAGE_GRAPH_URL", "ws://localhost:8182/gremlin")
        timeout = int(os.environ.get("LINEAGE_GRAPH_TIMEOUT_MS", "10000"))
        iam = os.environ.get("LINEAGE_GRAPH_IAM_AUTH", "").lower() in ("1", "true", "yes")
        region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
        if iam and not region:
            raise ValueError("LINEAGE_GRAPH_IAM_AUTH is set but AWS_REGION is not")
        raw_pool = os.environ.get("LINEAGE_GRAPH_POOL_SIZE", "1")
        if not (raw_pool.isdigit() and len(raw_pool) <= 2 and 1 <= int(raw_pool) <= 64):
            raise ValueError(f"LINEAGE_GRAPH_POOL_SIZE={raw_pool!r} is not a number in 1..64")
        pool = int(raw_pool)
        return cls(
            graph_url=url,
            evaluation_timeout_ms=timeout,
            iam_auth_region=region if iam else None,
            graph_pool_size=pool,
        )
