"""AWS Lambda entry point: the producer app behind API Gateway (REST API or HTTP API).

Environment: `RAW_ZONE_URI` (`s3://bucket/prefix`, required), `PRODUCER_MAX_REQUEST_BYTES`,
`PRODUCER_MAX_PAYLOAD_BYTES`, `API_GATEWAY_BASE_PATH` (a stage or mapping prefix to strip).

HTTP API payload format 2.0 has no multi-value response headers: API Gateway (and Mangum)
join repeated headers with commas, so the agent would read `ABSA-Spline-API-Version` as the
single value `1.2,1.1,1`, which it cannot parse as a version, and give up on lineage for the
whole Spark session. For 2.0 events the handler therefore answers only the highest version, the
one an agent picks anyway. REST APIs and HTTP API payload format 1.0 carry `multiValueHeaders`
and keep one line per version.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI
from mangum import Mangum

from lambdas.producer.app import API_VERSION_HEADER, create_app
from lambdas.producer.config import ProducerSettings
from lambdas.producer.errors import ProducerError
from lineage.store import RawZoneStore, UnsupportedLocationError

LambdaHandler = Callable[[dict[str, Any], Any], dict[str, Any]]

PRODUCER_PATH = "/producer"


def build_handler(
    store: RawZoneStore, settings: ProducerSettings, *, api_gateway_base_path: str = "/"
) -> LambdaHandler:
    """A Lambda handler serving the producer under `/producer`, as `lineage serve` does."""
    root = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
    root.mount(PRODUCER_PATH, create_app(store, settings))
    adapter = Mangum(root, lifespan="off", api_gateway_base_path=api_gateway_base_path)
    highest = max(settings.api_versions, key=_version_key)

    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        response: dict[str, Any] = adapter(event, context)
        if event.get("version") == "2.0":
            _one_version_line(response, highest)
        return response

    return handler


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


def _one_version_line(response: dict[str, Any], highest: str) -> None:
    headers = response.get("headers") or {}
    for name in list(headers):
        if name.lower() == API_VERSION_HEADER.lower():
            headers[name] = highest


_handler: LambdaHandler | None = None


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """The Lambda entry point; the app is built once per container from the environment."""
    global _handler
    if _handler is None:
        location = os.environ.get("RAW_ZONE_URI", "")
        from stores import S3Store, open_store

        try:
            store = open_store(location)
        except UnsupportedLocationError:
            store = None
        # A Lambda's disk is not a raw zone: only an S3 location (any S3 spelling) will do.
        if not isinstance(store, S3Store):
            raise ProducerError(f"RAW_ZONE_URI must be s3://bucket/prefix, got {location!r}")
        _handler = build_handler(
            store,
            ProducerSettings.from_env(),
            api_gateway_base_path=os.environ.get("API_GATEWAY_BASE_PATH", "/"),
        )
    return _handler(event, context)
