"""The one place that maps producer and payload errors to HTTP answers."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

from lambdas.producer.errors import (
    BrokenGzipError,
    RequestTooLargeError,
    UnsupportedEncodingError,
)
from lineage.errors import LineageError
from lineage.spline import PayloadError, UnsupportedContentTypeError
from lineage.store import StorageError

log = logging.getLogger(__name__)

_STATUS: tuple[tuple[type[LineageError], int], ...] = (
    (PayloadError, 400),  # malformed JSON, not a plan, not an event array, broken structure
    (BrokenGzipError, 400),
    (UnsupportedContentTypeError, 415),
    (UnsupportedEncodingError, 415),
    (RequestTooLargeError, 413),
    (StorageError, 503),  # the raw zone is unavailable: the operator must see it, the agent too
)


def status_for(exc: LineageError) -> int:
    """The HTTP status for an error; 500 for anything not expected from a request."""
    for error_type, status in _STATUS:
        if isinstance(exc, error_type):
            return status
    return 500


async def _answer(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, LineageError)  # registered for LineageError only
    status = status_for(exc)
    body: dict[str, str] = {"error": type(exc).__name__, "message": str(exc)}
    if status >= 500:
        # The full message names files and buckets: it goes to the operator's log, never to
        # the client (which may be any host that reaches the producer).
        body["message"] = (
            f"the raw zone is unavailable ({exc.cause}); the payload was not stored"
            if isinstance(exc, StorageError)
            else "internal error; the payload was not stored"
        )
    if isinstance(exc, PayloadError):
        body["path"] = exc.path
    if status >= 500:
        log.error("%s %s failed: %s", request.method, request.url.path, exc, exc_info=exc)
    else:
        log.info("%s %s rejected (%d): %s", request.method, request.url.path, status, exc)
    return JSONResponse(body, status_code=status)


def install_error_handlers(app: FastAPI) -> None:
    """Answer every `LineageError` with its status and a JSON body naming what is wrong."""
    app.add_exception_handler(LineageError, _answer)
