"""The local Gremlin Server as a hostile web page, or a careless client, would reach it.

Any page the user opens can send HTTP requests to a localhost port and open WebSockets to it
(browsers do not apply the same-origin policy to either). These tests speak raw HTTP and raw
WebSocket handshakes, the way such a page would, to the real server of the session.
"""

from __future__ import annotations

import base64
import os
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import pytest
from gremlin_python.driver.client import Client
from gremlin_python.driver.protocol import GremlinServerError
from gremlin_python.process.graph_traversal import GraphTraversalSource
from gremlin_python.process.traversal import Cardinality, T
from gremlin_python.statics import GremlinType

from local_neptune import GraphServerError, ServerLayout, ServerSettings, start, stop

pytestmark = pytest.mark.graph

REPO = Path(__file__).resolve().parents[2]


def _address(endpoint: str) -> tuple[str, int]:
    parts = urlsplit(endpoint)
    return parts.hostname or "localhost", parts.port or 80


def _raw(endpoint: str, request: bytes) -> tuple[int, dict[str, str], str]:
    """Send `request` as is; the status, headers (lower-case names) and body of the answer."""
    with socket.create_connection(_address(endpoint), timeout=10) as sock:
        sock.sendall(request)
        chunks = []
        while True:
            try:
                chunk = sock.recv(65536)
            except TimeoutError:
                break
            if not chunk:
                break
            chunks.append(chunk)
            if b"\r\n\r\n" in b"".join(chunks) and b" 101 " in chunks[0][:20]:
                break  # an accepted handshake keeps the connection open
    answer = b"".join(chunks).decode("utf-8", errors="replace")
    head, _, body = answer.partition("\r\n\r\n")
    status_line, *header_lines = head.split("\r\n")
    headers = {}
    for line in header_lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return int(status_line.split()[1]), headers, body


def _http(
    endpoint: str, method: str, target: str, headers: dict[str, str], body: bytes = b""
) -> Any:
    host, port = _address(endpoint)
    lines = [f"{method} {target} HTTP/1.1", f"Host: {host}:{port}", "Connection: close"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    if body or method == "POST":
        lines.append(f"Content-Length: {len(body)}")
    return _raw(endpoint, ("\r\n".join(lines) + "\r\n\r\n").encode() + body)


def _handshake(endpoint: str, origin: str | None) -> tuple[int, dict[str, str], str]:
    headers = {
        "Upgrade": "websocket",
        "Connection": "Upgrade",
        "Sec-WebSocket-Key": base64.b64encode(os.urandom(16)).decode(),
        "Sec-WebSocket-Version": "13",
    }
    if origin is not None:
        headers["Origin"] = origin
    host, port = _address(endpoint)
    lines = ["GET /gremlin HTTP/1.1", f"Host: {host}:{port}"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    return _raw(endpoint, ("\r\n".join(lines) + "\r\n\r\n").encode())


@pytest.fixture
def marker(g: GraphTraversalSource) -> Iterator[str]:
    """A vertex a hostile request would delete; tests check it survives."""
    vid = f"marker:{uuid.uuid4().hex}"
    g.add_v("Marker").property(T.id, vid).iterate()
    yield vid
    g.V(vid).drop().iterate()


SCRIPT = "g.V().drop()"


@pytest.mark.parametrize(
    ("method", "target", "headers", "body"),
    [
        ("GET", f"/gremlin?gremlin={quote(SCRIPT)}", {}, b""),
        ("GET", f"/?gremlin={quote(SCRIPT)}", {"Origin": "http://localhost:3000"}, b""),
        # What a page sends with fetch(..., {mode: "no-cors"}): no preflight for text/plain.
        ("POST", "/gremlin", {"Content-Type": "text/plain", "Origin": "null"}, SCRIPT.encode()),
        ("POST", "/", {"Content-Type": "application/json"}, b'{"gremlin": "g.V().drop()"}'),
        (
            "OPTIONS",
            "/gremlin",
            {"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
            b"",
        ),
    ],
)
def test_no_scripts_over_http(
    gremlin_server: str,
    g: GraphTraversalSource,
    marker: str,
    method: str,
    target: str,
    headers: dict[str, str],
    body: bytes,
) -> None:
    status, answer_headers, text = _http(gremlin_server, method, target, headers, body)
    assert status in (400, 403), (status, text)
    assert "access-control-allow-origin" not in answer_headers
    assert "at org." not in text and "Exception" not in text
    assert g.V(marker).count().next() == 1


@pytest.mark.parametrize(
    "origin",
    [
        "https://evil.example",
        "http://localhost.evil.example",
        "null",
        "http://127.0.0.1.nip.io:8182",
        "file://",
    ],
)
def test_websockets_from_foreign_pages_are_refused(gremlin_server: str, origin: str) -> None:
    status, headers, text = _handshake(gremlin_server, origin)
    assert status == 403
    assert f"origin {origin} is not allowed" in text
    assert "access-control-allow-origin" not in headers


@pytest.mark.parametrize(
    "origin", [None, "http://localhost:5173", "http://127.0.0.1:8080", "https://[::1]:9443"]
)
def test_websockets_from_loopback_pages_and_drivers_are_served(
    gremlin_server: str, origin: str | None
) -> None:
    status, headers, _ = _handshake(gremlin_server, origin)
    assert status == 101
    assert headers["upgrade"].lower() == "websocket"


def test_io_cannot_touch_files(g: GraphTraversalSource, tmp_path: Path, marker: str) -> None:
    target = tmp_path / "stolen.json"
    with pytest.raises(GremlinServerError, match=r"io\(\) is not supported"):
        g.io(str(target)).write().iterate()
    assert not target.exists()
    source = tmp_path / "planted.xml"
    source.write_text("<graphml/>", encoding="utf-8")
    with pytest.raises(GremlinServerError, match=r"io\(\) is not supported"):
        g.io(str(source)).read().iterate()
    assert g.V(marker).count().next() == 1


ENFORCED_STRATEGIES = [
    "lineage.gremlinserver.NeptuneUnsupportedStepsStrategy",
    "lineage.gremlinserver.SetOrSingleCardinalityStrategy",
    "org.apache.tinkerpop.gremlin.process.traversal.strategy.verification.LambdaRestrictionStrategy",
]


@pytest.mark.parametrize("removed", ENFORCED_STRATEGIES)
def test_a_client_cannot_remove_the_neptune_refusals(
    g: GraphTraversalSource, tmp_path: Path, marker: str, removed: str
) -> None:
    # Bytecode may name any strategy class in withoutStrategies(); the refusals stay in force.
    unguarded = g.without_strategies(GremlinType(removed))
    target = tmp_path / "stolen.json"
    with pytest.raises(GremlinServerError, match=r"io\(\) is not supported"):
        unguarded.io(str(target)).write().iterate()
    assert not target.exists()
    with pytest.raises(GremlinServerError, match="list cardinality is not supported"):
        unguarded.V(marker).property(Cardinality.list_, "tag", "x").iterate()
    with pytest.raises(GremlinServerError, match="contains a lambda step"):
        unguarded.V(marker).map(lambda: "{ v -> v.get() }").to_list()
    # Other strategies can still be removed, as on any Gremlin server.
    optional = (
        "org.apache.tinkerpop.gremlin.process.traversal.strategy.optimization.FilterRankingStrategy"
    )
    assert g.without_strategies(GremlinType(optional)).V(marker).count().next() == 1


@pytest.mark.parametrize(
    ("script", "refused"),
    [
        ("g.io('{path}').write()", r"io\(\) is not supported"),
        (
            "g.io('{path}').with('~tinkerpop.io.writer', 'graphson').write()",
            r"io\(\) is not supported",
        ),
        ("g.V().io('{path}').write()", None),  # not even valid Gremlin: refused by the grammar
        ("g.call('--list')", r"call\(\) is not supported"),
        ("g.withoutStrategies(NeptuneUnsupportedStepsStrategy).io('{path}').write()", None),
        ("g.withComputer().V().program(x)", None),
    ],
)
def test_scripts_cannot_use_steps_neptune_lacks(
    gremlin_server: str, tmp_path: Path, script: str, refused: str | None
) -> None:
    target = tmp_path / "out.json"
    client = Client(gremlin_server, "g")
    try:
        with pytest.raises(GremlinServerError) as error:
            client.submit(script.format(path=target.as_posix())).all().result()
    finally:
        client.close()
    if refused is not None:
        assert error.match(refused)
    assert not target.exists()


def test_errors_carry_no_stack_trace(g: GraphTraversalSource) -> None:
    with pytest.raises(GremlinServerError) as error:
        g.add_v("Operation").property(T.id, 42).iterate()
    attributes = error.value.status_attributes
    assert "stackTrace" not in attributes
    assert "exceptions" not in attributes
    assert "\tat " not in str(error.value)
    # The message itself still says what was wrong.
    assert "Expected an id that is convertible to class java.lang.String" in str(error.value)


@pytest.mark.parametrize(
    "origin", ["https://lineage.example.com/", "lineage.example.com", "https://a b", "*"]
)
def test_allowed_origins_are_checked_before_start(tmp_path: Path, origin: str) -> None:
    from local_neptune.config import validate_origin

    layout = ServerLayout.under(tmp_path)
    with pytest.raises(GraphServerError, match="invalid origin"):
        start(ServerSettings(port=0, allowed_origins=(origin,)), layout)
    with pytest.raises(ValueError, match="scheme://host"):
        validate_origin(origin)


def test_a_configured_origin_is_served(tmp_path: Path) -> None:
    cache = REPO / ".cache" / "gremlin-server"
    layout = ServerLayout(cache / "lib", cache / "ext", tmp_path / "state")
    settings = ServerSettings(port=0, heap="256m", allowed_origins=("https://Lineage.example.com",))
    started = start(settings, layout)
    try:
        endpoint = started.state.endpoint
        assert _handshake(endpoint, "https://lineage.example.com")[0] == 101
        assert _handshake(endpoint, "https://lineage.example.com:444")[0] == 403
        assert _handshake(endpoint, "https://other.example.com")[0] == 403
    finally:
        stop(layout)
