"""ASGI middleware: ETag, Cache-Control and 304 for every read answer, from one cache per build.

An answer depends only on the loaded build and the request, so a `GET` is answered, in order:
304 when `If-None-Match` names the answer's tag (no graph query at all), the cached bytes when
this process answered it before under the same build, else by the route, whose successful answer
is then cached. `Cache-Control: no-cache` lets browsers keep answers but makes them ask again
(with `If-None-Match`) every time, so a client never shows an answer from an older build.
Without a marker in the graph nothing is cached or tagged (`no-store`).
"""

from __future__ import annotations

from typing import Any

import anyio.to_thread
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from lambdas.consumer.answer_cache import AnswerCache, CachedAnswer
from lambdas.consumer.etags import answer_etag, parse_if_none_match
from lambdas.consumer.loaded_build import LoadedBuild

__all__ = ["CACHE_CONTROL", "CACHE_STATE_HEADER", "CachingMiddleware"]

CACHE_CONTROL = b"no-cache"
# Says how an answer was made (hit, miss, off): for the bench and for whoever debugs a proxy.
CACHE_STATE_HEADER = b"x-lineage-cache"
# Paths whose answers are not a function of the build (or must not be remembered).
_UNCACHED = frozenset({"/status", "/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc"})


class CachingMiddleware:
    """Wraps the read API app (inside its error handling, outside the routes)."""

    def __init__(self, app: ASGIApp, build: LoadedBuild, cache: AnswerCache) -> None:
        self.app = app
        self.build = build
        self.cache = cache

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "GET":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        root: str = scope.get("root_path", "")
        relative = path[len(root) :] if root and path.startswith(root) else path
        if relative in _UNCACHED:
            await self.app(scope, receive, send)
            return
        build = await anyio.to_thread.run_sync(self.build.current)
        if build is None:
            await self.app(scope, receive, _with_headers(send, [(b"cache-control", b"no-store")]))
            return
        key = f"{relative}?{scope.get('query_string', b'').decode('latin-1')}"
        etag = answer_etag(build, key)
        # Repeated header lines are one comma-separated list.
        lines = [v.decode("latin-1") for k, v in scope.get("headers", ()) if k == b"if-none-match"]
        wanted = parse_if_none_match(",".join(lines)) if lines else None
        if wanted is not None and not wanted.any_tag and wanted.matches(etag):
            await _send_not_modified(send, etag, b"hit")
            return
        cached = self.cache.get(build, key)
        if cached is not None:
            if wanted is not None and wanted.matches(etag):
                await _send_not_modified(send, etag, b"hit")
            else:
                await _send_answer(send, cached, b"hit")
            return
        status, headers, body = await _collect(self.app, scope, receive)
        if status != 200:
            await _send_raw(send, status, [*headers, (b"cache-control", b"no-store")], body)
            return
        media = next((v for k, v in headers if k == b"content-type"), b"application/json")
        answer = CachedAnswer(etag=etag, body=body, media_type=media)
        self.cache.put(build, key, answer)
        if wanted is not None and wanted.matches(etag):
            await _send_not_modified(send, etag, b"miss")
        else:
            await _send_answer(send, answer, b"miss")


def _with_headers(send: Send, extra: list[tuple[bytes, bytes]]) -> Send:
    async def wrapped(message: Message) -> None:
        if message["type"] == "http.response.start":
            message = {**message, "headers": [*message.get("headers", ()), *extra]}
        await send(message)

    return wrapped


async def _collect(app: ASGIApp, scope: Scope, receive: Receive) -> tuple[int, list[Any], bytes]:
    """Run the route and gather its whole answer (answers are bounded by the API's caps)."""
    start: dict[str, Any] = {}
    chunks: list[bytes] = []

    async def capture(message: Message) -> None:
        if message["type"] == "http.response.start":
            start.update(message)
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    await app(scope, receive, capture)
    headers = [(bytes(k).lower(), bytes(v)) for k, v in start.get("headers", ())]
    return int(start.get("status", 500)), headers, b"".join(chunks)


def _tag_headers(etag: str, state: bytes) -> list[tuple[bytes, bytes]]:
    return [
        (b"etag", etag.encode("ascii")),
        (b"cache-control", CACHE_CONTROL),
        (CACHE_STATE_HEADER, state),
    ]


async def _send_answer(send: Send, answer: CachedAnswer, state: bytes) -> None:
    headers = [
        (b"content-type", answer.media_type),
        (b"content-length", str(len(answer.body)).encode("ascii")),
        *_tag_headers(answer.etag, state),
    ]
    await _send_raw(send, 200, headers, answer.body, length_set=True)


async def _send_not_modified(send: Send, etag: str, state: bytes) -> None:
    await send({"type": "http.response.start", "status": 304, "headers": _tag_headers(etag, state)})
    await send({"type": "http.response.body", "body": b""})


async def _send_raw(
    send: Send, status: int, headers: list[Any], body: bytes, *, length_set: bool = False
) -> None:
    if not length_set:
        headers = [(k, v) for k, v in headers if k != b"content-length"]
        headers.append((b"content-length", str(len(body)).encode("ascii")))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
