"""Answer only requests addressed to this server by a name it was told it has.

A web page on `evil.example` can make its own name resolve to 127.0.0.1 after the page loaded
(DNS rebinding); the browser then sends the page's requests, same-origin, to the local server
with `Host: evil.example`. Refusing unknown `Host` values defeats that. Starlette's
`TrustedHostMiddleware` cuts the port at the first colon, which breaks `[::1]:8080`, and
answers a bare "Invalid host header"; this one parses IPv6 literals and names the header.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from starlette.types import ASGIApp, Receive, Scope, Send

__all__ = ["DEFAULT_HOSTS", "TrustedHosts", "host_of"]

DEFAULT_HOSTS = ("localhost", "127.0.0.1", "::1")
"""What `lineage serve` answers to without `--allowed-host`."""


def host_of(header: str) -> str:
    """The host part of a `Host` header value, lower-cased, without port or IPv6 brackets."""
    value = header.strip().lower()
    if value.startswith("["):
        end = value.find("]")
        if end > 0 and (end == len(value) - 1 or value[end + 1] == ":"):
            return value[1:end]
        return value
    name = value.rsplit(":", 1)[0] if value.count(":") == 1 else value
    # One trailing dot is the same DNS name (fully qualified).
    return name[:-1] if name.endswith(".") else name


class TrustedHosts:
    """ASGI middleware: 400 for a request whose `Host` is not one of `hosts`."""

    def __init__(self, app: ASGIApp, hosts: Iterable[str]) -> None:
        self.app = app
        self.hosts = frozenset(host_of(host) for host in hosts)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or ())
        raw = headers.get(b"host", b"").decode("latin-1")
        if host_of(raw) in self.hosts:
            await self.app(scope, receive, send)
            return
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008})
            return
        shown = raw if len(raw) <= 100 else raw[:100] + "..."
        detail = (
            f"Host header {shown!r} is not a name this server answers to "
            f"({', '.join(sorted(self.hosts))}); start `lineage serve` with "
            "--allowed-host NAME to add one"
            if raw
            else "the request has no Host header"
        )
        body = json.dumps({"error": "UntrustedHost", "message": detail}).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 400,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
