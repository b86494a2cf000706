"""A tiny Spline producer that records every request, for real-agent tests and recordings.

It answers like our producer (the same status headers: the API versions `ProducerSettings`
advertises and gzip; 201 replies) and keeps each request's method, path, headers, body as sent
and body after gzip. It binds a free loopback port and runs on a thread.
"""

from __future__ import annotations

import gzip
import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from lambdas.producer.config import ProducerSettings

DEFAULT_VERSIONS = ProducerSettings().api_versions


@dataclass
class CapturedRequest:
    """One request as the producer saw it."""

    method: str
    path: str
    headers: dict[str, str]
    raw_body: bytes
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class CaptureServer:
    """Records requests; `status_code`, `versions` and `gzip` shape the status reply,
    `post_status` the reply to every POST. `head_statuses` answers the first HEADs differently
    (a producer that goes away between two status requests)."""

    status_code: int = 200
    head_statuses: tuple[int, ...] = ()
    post_status: int = 201
    versions: tuple[str, ...] = DEFAULT_VERSIONS
    gzip: bool = True
    requests: list[CapturedRequest] = field(default_factory=list)
    _server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}/producer"

    def __enter__(self) -> CaptureServer:
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                return

            def _record(self, body: bytes) -> None:
                raw = body
                if self.headers.get("Content-Encoding") == "gzip":
                    body = gzip.decompress(body)
                owner.requests.append(
                    CapturedRequest(self.command, self.path, dict(self.headers.items()), raw, body)
                )

            def do_HEAD(self) -> None:
                self._record(b"")
                heads = sum(1 for r in owner.requests if r.method == "HEAD")
                scripted = owner.head_statuses[heads - 1 : heads]
                self.send_response(scripted[0] if scripted else owner.status_code)
                for version in owner.versions:
                    self.send_header("ABSA-Spline-API-Version", version)
                if owner.gzip:
                    self.send_header("ABSA-Spline-Accept-Request-Encoding", "gzip")
                self.send_header("Content-Length", "0")
                self.end_headers()

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                self._record(self.rfile.read(length))
                reply = b""
                if owner.post_status != 201:
                    reply = b"rejected by the capture server"
                elif self.path.endswith("/execution-plans"):
                    reply = json.dumps(owner.requests[-1].json()["id"]).encode()
                self.send_response(owner.post_status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.shutdown()
        self._server.server_close()

    def posts(self, resource: str) -> list[CapturedRequest]:
        """POSTs to `/producer/{resource}`, in arrival order."""
        return [r for r in self.requests if r.method == "POST" and r.path.endswith(resource)]
