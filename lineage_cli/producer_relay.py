"""A loopback relay in front of a Spline producer that records what the agent sent and got back.

`lineage doctor` points the agent at the relay: every request goes on to the real producer
unchanged (headers, gzip body, auth) and every answer comes back unchanged (each
`ABSA-Spline-API-Version` line kept apart), so the agent behaves as it would without it while
the doctor learns the producer's own status code for the plan and the event. The agent never
reads those answers itself, so without the relay a refused payload is visible only as a log line.
"""

from __future__ import annotations

import gzip
import threading
import urllib.error
import urllib.parse
import urllib.request
import zlib
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType

from lineage.spline import JsonValue, decode_json

_HOP_BY_HOP = frozenset(
    {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade", "host"}
)
_REPLY_KEPT = 2000
UPSTREAM_TIMEOUT_S = 130.0  # the agent itself waits up to 120 s (X-SPLINE-TIMEOUT)


@dataclass(frozen=True)
class Exchange:
    """One request of the agent and the producer's answer to it."""

    method: str
    path: str
    content_type: str | None
    body: bytes
    """The request body with transport gzip removed."""
    status: int | None
    """The producer's status; None when it could not be reached."""
    reply: bytes
    """The start of the producer's answer (or why it could not be reached)."""

    @property
    def accepted(self) -> bool:
        return self.status is not None and 200 <= self.status < 300

    def json(self) -> JsonValue:
        return decode_json(self.body)

    def reply_line(self) -> str:
        """The answer's first line, for messages."""
        text = self.reply.decode("utf-8", errors="replace").strip()
        return text.splitlines()[0][:300] if text else "(empty answer)"


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


def _plain(body: bytes, encoding: str | None) -> bytes:
    if encoding and "gzip" in encoding.lower():
        try:
            return gzip.decompress(body)
        except (OSError, EOFError, zlib.error):
            return body
    return body


@dataclass
class ProducerRelay:
    """Relays to `upstream` (a producer base URL) on a free loopback port while in a `with`."""

    upstream: str
    exchanges: list[Exchange] = field(default_factory=list)
    _server: ThreadingHTTPServer | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        """The producer URL to give the agent: same path as upstream, on the relay's port."""
        assert self._server is not None
        path = urllib.parse.urlsplit(self.upstream).path.rstrip("/")
        return f"http://127.0.0.1:{self._server.server_address[1]}{path}"

    def requests(self, method: str, resource: str = "") -> list[Exchange]:
        """Exchanges with `method` whose path ends with `resource`, in arrival order."""
        with self._lock:
            return [x for x in self.exchanges if x.method == method and x.path.endswith(resource)]

    def _forward(
        self, method: str, path: str, headers: dict[str, str], body: bytes
    ) -> tuple[Exchange, list[tuple[str, str]], bytes]:
        base = urllib.parse.urlsplit(self.upstream)
        own_path = urllib.parse.urlsplit(self.url).path
        target = urllib.parse.urlunsplit(
            (base.scheme, base.netloc, base.path.rstrip("/") + path[len(own_path) :], "", "")
        )
        request = urllib.request.Request(
            target, data=body if method == "POST" else None, headers=headers, method=method
        )
        opener = urllib.request.build_opener(_NoRedirects)
        plain = _plain(body, headers.get("Content-Encoding"))
        content_type = headers.get("Content-Type")
        try:
            with opener.open(request, timeout=UPSTREAM_TIMEOUT_S) as answer:
                status, reply_headers, reply = answer.status, answer.headers, answer.read()
        except urllib.error.HTTPError as exc:
            status, reply_headers, reply = exc.code, exc.headers, exc.read()
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            return Exchange(method, path, content_type, plain, None, str(reason).encode()), [], b""
        exchange = Exchange(method, path, content_type, plain, status, reply[:_REPLY_KEPT])
        return exchange, [(k, v) for k, v in reply_headers.items()], reply

    def __enter__(self) -> ProducerRelay:
        relay = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:
                return

            def _relay(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP_BY_HOP}
                exchange, reply_headers, reply = relay._forward(
                    self.command, self.path, headers, body
                )
                with relay._lock:
                    relay.exchanges.append(exchange)
                if exchange.status is None:
                    self.send_response(502)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                self.send_response(exchange.status)
                for name, value in reply_headers:
                    if name.lower() not in _HOP_BY_HOP and name.lower() != "content-length":
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(reply)

            do_HEAD = _relay
            do_POST = _relay
            do_GET = _relay

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        assert self._server is not None
        self._server.shutdown()
        self._server.server_close()


__all__ = ["Exchange", "ProducerRelay"]
