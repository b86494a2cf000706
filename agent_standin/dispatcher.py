"""HTTP dispatch of plans and events to a Spline producer, as the agent's HTTP dispatcher does it.

Start-up probes `HEAD {url}/status`; a non-2xx reply or no compatible API version disables lineage
for the session. Plans go to `POST {url}/execution-plans` (one plan), events to
`POST {url}/execution-events` (a JSON array, one event per request); bodies longer than 2048
characters are gzip-compressed when the server advertised gzip. Failed POSTs are never retried.
"""

from __future__ import annotations

import gzip
import json
import logging
import urllib.error
import urllib.request
from dataclasses import dataclass

from agent_standin.config import AgentConfig
from agent_standin.errors import DispatchError, ProducerUnavailableError
from agent_standin.model import ExecutionEvent, ExecutionPlan
from agent_standin.versions import (
    ACCEPT_ENCODING_HEADER,
    API_VERSION_HEADER,
    V1_1,
    ApiVersion,
    content_type,
    negotiate,
)

log = logging.getLogger("agent_standin")

# The agent compresses when the JSON text is longer than this many characters.
GZIP_THRESHOLD_CHARS = 2048


@dataclass(frozen=True)
class ServerCapabilities:
    """What the status probe told us: the version to speak and whether gzip bodies are accepted."""

    api_version: ApiVersion
    gzip: bool


def to_json_text(payload: object) -> str:
    """Compact JSON text, the way the agent's Jackson mapper writes it."""
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False)


class HttpDispatcher:
    """Sends plans and events to one producer URL; construct it to run the status probe."""

    def __init__(self, config: AgentConfig) -> None:
        self._url = config.producer_url.rstrip("/")
        self._connect_timeout = config.connect_timeout_s
        self._read_timeout = config.read_timeout_s
        self.capabilities = self._probe(config)
        log.info("Producer URL: %s", self._url)
        log.info("Using Producer API version: %s", self.capabilities.api_version.text)

    def _probe(self, config: AgentConfig) -> ServerCapabilities:
        request = urllib.request.Request(f"{self._url}/status", method="HEAD")
        try:
            with urllib.request.urlopen(request, timeout=self._connect_timeout) as reply:
                versions = reply.headers.get_all(API_VERSION_HEADER) or []
                encodings = reply.headers.get_all(ACCEPT_ENCODING_HEADER) or []
        except urllib.error.HTTPError as exc:
            kind = "the Gateway is not initialized properly" if exc.code >= 500 else "not reachable"
            raise ProducerUnavailableError(
                f"HEAD {self._url}/status answered HTTP {exc.code}: {kind}"
            ) from exc
        except (urllib.error.URLError, OSError) as exc:
            raise ProducerUnavailableError(
                f"Spark Agent was not able to establish connection to {self._url}/status: {exc}"
            ) from exc
        version = negotiate(versions, config.api_version)
        compress = config.request_compression
        if compress is None:
            compress = any(e.strip().lower() == "gzip" for e in encodings)
        return ServerCapabilities(api_version=version, gzip=compress)

    def send_plan(self, plan: ExecutionPlan) -> None:
        """POST one execution plan."""
        # The stand-in never sets labels, so the v1.1 and v1.2 plan bodies are the same.
        self._post("execution-plans", to_json_text(plan.to_json()))

    def send_event(self, event: ExecutionEvent) -> None:
        """POST one event as a one-element array; v1.1 drops failed runs, as the agent does."""
        if self.capabilities.api_version == V1_1 and event.error is not None:
            return
        self._post("execution-events", to_json_text([event.to_json()]))

    def _post(self, resource: str, text: str) -> None:
        url = f"{self._url}/{resource}"
        body = text.encode("utf-8")
        headers = {"Content-Type": content_type(self.capabilities.api_version)}
        if self.capabilities.gzip and len(text) > GZIP_THRESHOLD_CHARS:
            body = gzip.compress(body)
            headers["Content-Encoding"] = "gzip"
        request = urllib.request.Request(url, data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=self._read_timeout) as reply:
                reply.read()
        except urllib.error.HTTPError as exc:
            detail = exc.read().decode("utf-8", "replace")[:500]
            raise DispatchError(
                f"Cannot send lineage data to {url}. HTTP Response: {exc.code} {detail}"
            ) from exc
        except (urllib.error.URLError, OSError) as exc:
            raise DispatchError(f"Cannot send lineage data to {url}: {exc}") from exc
