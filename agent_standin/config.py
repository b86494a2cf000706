"""Settings of the stand-in agent, read the way the real agent reads its own."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

# `agentInfo` of every plan: names the stand-in so it is never mistaken for the real agent.
AGENT_NAME = "spline-agent-standin"
AGENT_VERSION = "0.1.0"
# The agent's `spline.*` settings, reached through Spark conf with a `spark.` prefix.
PRODUCER_URL_KEY = "spark.spline.producer.url"
MODE_KEY = "spark.spline.mode"
API_VERSION_KEY = "spark.spline.lineageDispatcher.http.apiVersion"
COMPRESSION_KEY = "spark.spline.lineageDispatcher.http.requestCompression"
# Stand-in convenience: `lineage spark-submit` passes the URL through the environment.
PRODUCER_URL_ENV = "SPLINE_PRODUCER_URL"


@dataclass(frozen=True)
class AgentConfig:
    """Where to send lineage and how; defaults follow the agent's `spline.default.yaml`."""

    producer_url: str
    enabled: bool = True
    connect_timeout_s: float = 2.0
    read_timeout_s: float = 120.0
    api_version: str | None = None
    request_compression: bool | None = None

    @classmethod
    def from_session(cls, session: Any) -> AgentConfig | None:
        """Read the Spark conf of `session` (then the environment); None when no URL is set."""
        conf = session.conf
        url = conf.get(PRODUCER_URL_KEY, None) or os.environ.get(PRODUCER_URL_ENV)
        if not url:
            return None
        mode = (conf.get(MODE_KEY, None) or "ENABLED").upper()
        compression = conf.get(COMPRESSION_KEY, None)
        return cls(
            producer_url=url.rstrip("/"),
            enabled=mode != "DISABLED",
            api_version=conf.get(API_VERSION_KEY, None),
            request_compression=None if compression is None else compression.lower() == "true",
        )
