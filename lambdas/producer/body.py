"""Read a request body within limits, removing `Content-Encoding: gzip` while counting bytes."""

from __future__ import annotations

import zlib
from collections.abc import AsyncIterator

from lambdas.producer.config import ProducerSettings
from lambdas.producer.errors import BrokenGzipError, RequestTooLargeError, UnsupportedEncodingError

_GZIP_WBITS = 16 + zlib.MAX_WBITS  # expect a gzip header and trailer, not raw deflate


def content_coding(header: str | None) -> str | None:
    """`"gzip"` or None (identity); raises `UnsupportedEncodingError` for anything else."""
    codings = [c.strip().lower() for c in (header or "").split(",")]
    codings = [c for c in codings if c and c != "identity"]
    if not codings:
        return None
    if codings in (["gzip"], ["x-gzip"]):
        return "gzip"
    raise UnsupportedEncodingError(
        f"unsupported Content-Encoding {header!r}; the producer accepts gzip or none"
    )


class _Gunzip:
    """Incremental gzip decoder that never inflates beyond `limit` bytes (decompression bombs)."""

    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._decoder = zlib.decompressobj(_GZIP_WBITS)
        self._out = bytearray()

    def feed(self, data: bytes) -> None:
        while data:
            try:
                # Never ask for more than one byte past the limit: memory stays bounded.
                self._out += self._decoder.decompress(data, self._limit - len(self._out) + 1)
            except zlib.error as exc:
                raise BrokenGzipError(f"body is not valid gzip: {exc}") from exc
            if len(self._out) > self._limit:
                raise RequestTooLargeError(
                    f"body inflates to more than {self._limit} bytes (limit after decompression)"
                )
            if self._decoder.eof:
                data = self._decoder.unused_data
                if data:  # a further gzip member follows (RFC 1952 allows concatenation)
                    self._decoder = zlib.decompressobj(_GZIP_WBITS)
            else:
                data = self._decoder.unconsumed_tail

    def finish(self) -> bytes:
        if not self._decoder.eof:
            raise BrokenGzipError("body is not valid gzip: the stream is truncated")
        return bytes(self._out)


async def read_body(
    chunks: AsyncIterator[bytes],
    *,
    content_length: str | None,
    coding: str | None,
    settings: ProducerSettings,
) -> bytes:
    """The payload bytes: the body as sent, gunzipped when `coding` is gzip, within both limits."""
    limit = settings.max_request_bytes
    if content_length is not None and content_length.strip().isdigit():
        declared = int(content_length)
        if declared > limit:
            raise RequestTooLargeError(
                f"Content-Length {declared} exceeds the limit of {limit} bytes"
            )
    received = 0
    if coding == "gzip":
        gunzip = _Gunzip(settings.max_payload_bytes)
        async for chunk in chunks:
            received += len(chunk)
            if received > limit:
                raise RequestTooLargeError(f"body exceeds the limit of {limit} bytes")
            gunzip.feed(chunk)
        return gunzip.finish()
    plain_limit = min(limit, settings.max_payload_bytes)
    parts: list[bytes] = []
    async for chunk in chunks:
        received += len(chunk)
        if received > plain_limit:
            raise RequestTooLargeError(f"body exceeds the limit of {plain_limit} bytes")
        parts.append(chunk)
    return b"".join(parts)
