"""The doctor's relay: what passes through is unchanged, what the producer answered is recorded."""

from __future__ import annotations

import gzip
import json
import urllib.error
import urllib.request

import pytest
from spline_capture import CaptureServer

from lineage.spline import ApiVersion
from lineage_cli.producer_handshake import handshake
from lineage_cli.producer_relay import ProducerRelay
from local_neptune.ports import free_port

pytestmark = pytest.mark.unit

V12 = "application/vnd.absa.spline.producer.v1.2+json"


def _post(url: str, body: bytes, headers: dict[str, str]) -> int:
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return int(answer.status)
    except urllib.error.HTTPError as exc:
        return exc.code


def test_the_status_reply_keeps_every_version_line() -> None:
    with CaptureServer() as producer, ProducerRelay(producer.url) as relay:
        answer = handshake(relay.url)
        (head,) = relay.requests("HEAD")
    assert answer.versions == ("1.2", "1.1", "1")
    assert answer.api_version is ApiVersion.V1_2 and answer.gzip
    assert (head.status, head.path) == (200, "/producer/status")
    assert relay.url.endswith("/producer") and relay.url != producer.url


def test_a_gzip_plan_goes_through_unchanged_and_its_answer_is_recorded() -> None:
    plan = {"id": "8e3c7f2a-1b2c-5d3e-9f40-0123456789ab", "name": "job"}
    raw = gzip.compress(json.dumps(plan).encode())
    headers = {"Content-Type": V12, "Content-Encoding": "gzip", "Authorization": "Bearer t"}
    with CaptureServer() as producer, ProducerRelay(producer.url) as relay:
        status = _post(relay.url + "/execution-plans", raw, headers)
        (sent,) = producer.posts("execution-plans")
        (seen,) = relay.requests("POST", "/execution-plans")
    assert status == 201
    assert sent.raw_body == raw
    assert sent.headers["Authorization"] == "Bearer t"
    assert (seen.status, seen.content_type, seen.json()) == (201, V12, plan)
    assert seen.accepted
    assert seen.reply_line() == json.dumps(plan["id"])


def test_a_refusal_is_recorded_with_its_answer() -> None:
    with CaptureServer(post_status=400) as producer, ProducerRelay(producer.url) as relay:
        status = _post(relay.url + "/execution-events", b"[]", {"Content-Type": V12})
        (seen,) = relay.requests("POST")
    assert status == 400
    assert not seen.accepted
    assert seen.reply_line() == "rejected by the capture server"


def test_a_producer_that_is_gone_shows_as_no_status() -> None:
    with ProducerRelay(f"http://127.0.0.1:{free_port()}/producer") as relay:
        status = _post(relay.url + "/execution-plans", b"{}", {"Content-Type": V12})
        (seen,) = relay.requests("POST")
    assert status == 502
    assert seen.status is None and not seen.accepted
    assert "Connection refused" in seen.reply_line()
