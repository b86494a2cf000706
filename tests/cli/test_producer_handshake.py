"""The agent's handshake done ahead of it: what a producer's status reply means for lineage."""

from __future__ import annotations

import json
import threading
import urllib.parse
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from spline_capture import CaptureServer

from lineage.spline import ApiVersion
from lineage_cli.producer_handshake import (
    AUTH_PREFIX,
    ProducerHandshakeError,
    handshake,
    negotiate,
)
from local_neptune.ports import free_port

pytestmark = pytest.mark.unit


def test_our_producer_defaults_make_the_agent_speak_v12_with_gzip() -> None:
    with CaptureServer() as producer:
        answer = handshake(producer.url)
        (head,) = producer.requests
    assert (head.method, head.path) == ("HEAD", "/producer/status")
    assert answer.api_version is ApiVersion.V1_2
    assert answer.versions == ("1.2", "1.1", "1")
    assert answer.gzip
    assert not answer.legacy_layout
    assert answer.summary() == (
        f"HEAD {producer.url}/status 200: 1.2, 1.1, 1 -> the agent sends v1.2, "
        "gzip for bodies over 2 KB"
    )


def test_only_v11_offered_means_v11_without_gzip() -> None:
    with CaptureServer(versions=("1.1",), gzip=False) as producer:
        answer = handshake(producer.url + "/")
    assert answer.api_version is ApiVersion.V1_1
    assert not answer.gzip
    assert answer.status_url == f"{producer.url}/status"


def test_no_version_header_is_the_old_v1_layout() -> None:
    with CaptureServer(versions=()) as producer:
        answer = handshake(producer.url)
    assert answer.api_version is ApiVersion.V1
    assert answer.legacy_layout
    assert "no ABSA-Spline-API-Version header -> the agent sends v1 (the old layout" in (
        answer.summary()
    )


@pytest.mark.parametrize("status", [404, 500, 503, 302, 401])
def test_a_non_2xx_status_disables_the_agent(status: int) -> None:
    with CaptureServer(status_code=status) as producer, pytest.raises(ProducerHandshakeError) as e:
        handshake(producer.url)
    message = str(e.value)
    assert "\n" not in message
    assert message.startswith(f"HEAD {producer.url}/status answered {status} ")
    assert "disables lineage for the whole job" in message


def test_a_producer_that_does_not_answer() -> None:
    url = f"http://127.0.0.1:{free_port()}/producer"
    with pytest.raises(ProducerHandshakeError) as caught:
        handshake(url)
    assert str(caught.value) == (
        f"producer does not answer: HEAD {url}/status: connection refused; the agent would "
        "disable lineage (start `lineage serve` or pass the right --producer-url)"
    )


def test_versions_joined_into_one_line_disable_the_agent() -> None:
    # Observed with the real agent: "versions don't match ... the server only provides: 1.2, 1.1, 1"
    with (
        CaptureServer(versions=("1.2, 1.1, 1",)) as producer,
        pytest.raises(ProducerHandshakeError) as caught,
    ):
        handshake(producer.url)
    message = str(caught.value)
    assert "offers ABSA-Spline-API-Version '1.2, 1.1, 1'" in message
    assert "several versions joined into one header line" in message
    assert "would disable lineage" in message


def test_only_newer_versions_disable_the_agent() -> None:
    with pytest.raises(ProducerHandshakeError, match=r"offers .* '2\.0'.* speaks only 1\.2"):
        negotiate(("2.0",))


@pytest.mark.parametrize("line", ["\u00b9", "1.\u00b2", "\u0661.\u0662x"])
def test_digits_that_are_not_decimal_are_no_version(line: str) -> None:
    # "¹" counts as a digit for str.isdigit but int() refuses it; it must refuse, not crash.
    with pytest.raises(ProducerHandshakeError, match="speaks only"):
        negotiate((line,))


@pytest.mark.parametrize("url", ["localhost:8080/producer", "ftp://h/producer", ""])
def test_a_url_that_is_not_http_is_refused(url: str) -> None:
    with pytest.raises(ProducerHandshakeError, match="is not an http"):
        handshake(url)


version_line = st.one_of(
    st.sampled_from(["1", "1.0", "1.1", "1.2", "1.2.0", "1.3", "2", "1.2, 1.1", " 1.2 "]),
    # Free text without digits: never a version the agent speaks.
    st.text(alphabet=st.characters(blacklist_categories=("Nd",)), max_size=12),
)


@given(st.lists(version_line, max_size=5))
def test_negotiation_picks_the_best_spoken_version_or_refuses(lines: list[str]) -> None:
    spoken = {"1": ApiVersion.V1, "1.0": ApiVersion.V1, "1.1": ApiVersion.V1_1}
    spoken |= {"1.2": ApiVersion.V1_2, "1.2.0": ApiVersion.V1_2}
    offered = {spoken[line.strip()] for line in lines if line.strip() in spoken}
    try:
        chosen = negotiate(tuple(lines))
    except ProducerHandshakeError:
        assert lines and not offered
        return
    if not lines:
        assert chosen is ApiVersion.V1
    else:
        best = max(
            offered, key=lambda v: [ApiVersion.V1, ApiVersion.V1_1, ApiVersion.V1_2].index(v)
        )
        assert chosen is best


class _TokenEndpoint:
    """A client-credentials token endpoint that knows one client."""

    def __init__(self, secret: str) -> None:
        self.secret = secret
        self.forms: list[dict[str, list[str]]] = []

    def __enter__(self) -> str:
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                return

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                form = urllib.parse.parse_qs(body.decode())
                owner.forms.append(form)
                good = form.get("client_secret") == [owner.secret]
                reply = json.dumps({"access_token": "tok-1", "token_type": "Bearer"}).encode()
                self.send_response(200 if good else 401)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(reply) if good else 0))
                self.end_headers()
                if good:
                    self.wfile.write(reply)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return f"http://127.0.0.1:{self.server.server_address[1]}/oauth2/token"

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def token_endpoint() -> Iterator[tuple[_TokenEndpoint, str]]:
    endpoint = _TokenEndpoint(secret="s3cret")
    with endpoint as url:
        yield endpoint, url


def _oauth_conf(token_url: str, secret: str) -> dict[str, str]:
    return {
        AUTH_PREFIX + "type": "OAUTH",
        AUTH_PREFIX + "grantType": "client_credentials",
        AUTH_PREFIX + "tokenUrl": token_url,
        AUTH_PREFIX + "clientId": "agents-1",
        AUTH_PREFIX + "clientSecret": secret,
        AUTH_PREFIX + "scope": "lineage/producer.write",
    }


def test_an_oauth_setup_authenticates_the_status_request(
    token_endpoint: tuple[_TokenEndpoint, str],
) -> None:
    endpoint, token_url = token_endpoint
    with CaptureServer() as producer:
        handshake(producer.url, conf=_oauth_conf(token_url, "s3cret"))
        (head,) = producer.requests
    assert head.headers["Authorization"] == "Bearer tok-1"
    (form,) = endpoint.forms
    assert form == {
        "grant_type": ["client_credentials"],
        "client_id": ["agents-1"],
        "client_secret": ["s3cret"],
        "scope": ["lineage/producer.write"],
    }


def test_a_wrong_client_secret_is_named_before_any_job(
    token_endpoint: tuple[_TokenEndpoint, str],
) -> None:
    _endpoint, token_url = token_endpoint
    with CaptureServer() as producer, pytest.raises(ProducerHandshakeError) as caught:
        handshake(producer.url, conf=_oauth_conf(token_url, "wrong"))
    assert str(caught.value).startswith(f"token endpoint {token_url} answered 401 ")
    assert producer.requests == []
