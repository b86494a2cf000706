"""The Spline producer REST API as a FastAPI app; mount it at `/producer`."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime

import orjson
from fastapi import FastAPI, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from lambdas.producer.body import content_coding, read_body
from lambdas.producer.config import ProducerSettings
from lambdas.producer.http_errors import install_error_handlers
from lambdas.producer.raw_zone_writer import RawZoneWriter, Receipt, StoredPayload
from lineage import limits
from lineage.raw_zone_layout import sha256_hex
from lineage.spline import (
    ApiVersion,
    JsonValue,
    api_version_from_content_type,
    decode_json,
    load_execution_events,
    parse_execution_plan,
)
from lineage.store import RawZoneStore

API_VERSION_HEADER = "ABSA-Spline-API-Version"
ACCEPT_ENCODING_HEADER = "ABSA-Spline-Accept-Request-Encoding"

# Request headers worth keeping in the sidecar. An allow-list of exact names (no prefixes), so
# credentials (Authorization, cookies, an API key in any custom header, even one named
# ABSA-Spline-*) are never written to the raw zone; each value is cut to a bounded size.
_RECORDED_HEADERS = frozenset(
    {
        "user-agent",
        "content-length",
        "x-forwarded-for",
        "x-amzn-trace-id",
        "x-spline-timeout",
        "absa-spline-agent-version",
        "absa-spline-api-version",
    }
)


def _utc_now() -> datetime:
    return datetime.now(UTC)


def create_app(
    store: RawZoneStore,
    settings: ProducerSettings | None = None,
    *,
    clock: Callable[[], datetime] = _utc_now,
) -> FastAPI:
    """The producer API over `store`: `/status`, `/execution-plans`, `/execution-events`."""
    settings = settings or ProducerSettings()
    writer = RawZoneWriter(store)
    app = FastAPI(
        title="Spline producer API",
        description=f"Lands Spline payloads verbatim in {store.root}",
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    install_error_handlers(app)

    @app.api_route("/status", methods=["GET", "HEAD"])
    def status() -> Response:
        """What the agent asks at start-up: API versions (one header line each) and gzip."""
        response = Response(status_code=200)
        for version in settings.api_versions:
            response.headers.append(API_VERSION_HEADER, version)
        response.headers[ACCEPT_ENCODING_HEADER] = "gzip"
        return response

    async def _receive(request: Request) -> tuple[bytes, Receipt]:
        # Content-Type and Content-Encoding are judged before a byte of the body is read.
        content_type = request.headers.get("content-type")
        version = api_version_from_content_type(content_type)
        encoding_header = request.headers.get("content-encoding")
        coding = content_coding(encoding_header)
        body = await read_body(
            request.stream(),
            content_length=request.headers.get("content-length"),
            coding=coding,
            settings=settings,
        )
        receipt = Receipt(
            received_at=clock(),
            api_version=version,
            content_type=content_type or "",
            content_encoding=encoding_header,
            client_address=request.client.host if request.client else None,
            headers=_agent_headers(request.headers),
        )
        return body, receipt

    @app.post("/execution-plans", status_code=201)
    async def execution_plans(request: Request) -> Response:
        """Validate one execution plan, store it once per plan id, answer its id."""
        body, receipt = await _receive(request)
        plan_id, _stored = await run_in_threadpool(_store_plan, writer, body, receipt)
        return Response(orjson.dumps(plan_id), status_code=201, media_type="application/json")

    @app.post("/execution-events", status_code=201)
    async def execution_events(request: Request) -> Response:
        """Validate an array of execution events and store the batch once."""
        body, receipt = await _receive(request)
        await run_in_threadpool(_store_events, writer, body, receipt)
        return Response(status_code=201)

    return app


def _store_plan(writer: RawZoneWriter, body: bytes, receipt: Receipt) -> tuple[str, StoredPayload]:
    # Parsing and storing run in a worker thread: a large plan or a slow S3 call must not stall
    # the event loop that serves other agents.
    doc = decode_json(body)
    plan_id = _plan_id_of(doc)
    if plan_id is not None:
        # The agent resends the same plan on every run. Bytes already stored were validated
        # when they first arrived, so a repeat costs one index read, not a full validation.
        known = writer.known_plan(plan_id, sha256_hex(body))
        if known is not None:
            return plan_id, known
    # Structure only: references the plan does not resolve are the nightly job's to report
    # (the agent never retries, so a 400 here would lose that lineage for good).
    plan = parse_execution_plan(doc, receipt.api_version, check_references=False)
    return plan.id, writer.store_plan(body, plan, receipt)


def _plan_id_of(doc: JsonValue) -> str | None:
    plan_id = doc.get("id") if isinstance(doc, dict) else None
    if isinstance(plan_id, str) and limits.is_uuid(plan_id):
        return plan_id.lower()
    return None


def _store_events(writer: RawZoneWriter, body: bytes, receipt: Receipt) -> StoredPayload | None:
    events = load_execution_events(body, receipt.api_version)
    if not events:
        return None  # an empty batch carries nothing to record
    return writer.store_events(body, events, receipt)


def _agent_headers(headers: Mapping[str, str]) -> dict[str, str]:
    return {
        name: limits.cut_text(value, limits.MAX_HEADER_VALUE_BYTES)
        for name, value in ((n.lower(), v) for n, v in headers.items())
        if name in _RECORDED_HEADERS
    }


__all__ = ["ACCEPT_ENCODING_HEADER", "API_VERSION_HEADER", "ApiVersion", "create_app"]
