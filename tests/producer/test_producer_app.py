"""The producer API over a real local raw zone: what the agent sends and how it can go wrong."""

from __future__ import annotations

import asyncio
import gzip
import json
import shutil
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from lambdas.producer.app import create_app
from lambdas.producer.config import ProducerSettings
from lineage.raw_zone_layout import RawObjectMetadata, sha256_hex
from stores import LocalStore

pytestmark = pytest.mark.unit

SAMPLES = Path(__file__).resolve().parents[1] / "events" / "producer"
V1 = "application/json"
V11 = "application/vnd.absa.spline.producer.v1.1+json"
V12 = "application/vnd.absa.spline.producer.v1.2+json"
PLAN = (SAMPLES / "plan-v1.2-orders-daily.json").read_bytes()
PLAN_ID = "5b0e1c74-8f0e-5b8a-9a45-1d2c3e4f5a6b"
EVENTS = (SAMPLES / "events-v1.2-orders-daily.json").read_bytes()
NOW = datetime(2026, 11, 22, 1, 2, 3, 456000, tzinfo=UTC)


def make_client(lake: Path, settings: ProducerSettings | None = None) -> TestClient:
    app = create_app(LocalStore(lake, fsync=False), settings, clock=lambda: NOW)
    return TestClient(app)


def files(lake: Path) -> list[str]:
    return sorted(p.relative_to(lake).as_posix() for p in lake.rglob("*") if p.is_file())


@pytest.fixture
def lake(tmp_path: Path) -> Path:
    return tmp_path / "lake"


@pytest.fixture
def client(lake: Path) -> TestClient:
    return make_client(lake)


@pytest.mark.parametrize("method", ["HEAD", "GET"])
def test_status_advertises_versions_one_line_each_and_gzip(client: TestClient, method: str) -> None:
    response = client.request(method, "/status")
    assert response.status_code == 200
    assert response.headers.get_list("ABSA-Spline-API-Version") == ["1.2", "1.1", "1"]
    assert response.headers["ABSA-Spline-Accept-Request-Encoding"] == "gzip"


@pytest.mark.parametrize(
    ("sample", "content_type", "plan_id"),
    [
        ("plan-v1.2-orders-daily.json", V12, PLAN_ID),
        ("plan-v1.1-customer-orders.json", V11, "0f6b7c1e-2d3a-5e4f-8a9b-0c1d2e3f4a5b"),
        ("plan-v1-raw-to-curated.json", V1, "7d6c5b4a-3928-5170-8e9f-a0b1c2d3e4f5"),
    ],
)
@pytest.mark.parametrize("compress", [False, True])
def test_plan_lands_verbatim(
    lake: Path, client: TestClient, sample: str, content_type: str, plan_id: str, compress: bool
) -> None:
    body = (SAMPLES / sample).read_bytes()
    headers = {"Content-Type": content_type}
    if compress:
        headers["Content-Encoding"] = "gzip"
    response = client.post(
        "/execution-plans", content=gzip.compress(body) if compress else body, headers=headers
    )
    assert response.status_code == 201
    assert response.json() == plan_id
    key = f"plans/date=2026-11-22/{plan_id}.json"
    assert (lake / key).read_bytes() == body
    meta = RawObjectMetadata.from_json((lake / f"{key}.meta").read_bytes())
    assert meta.content_type == content_type
    assert meta.sha256 == sha256_hex(body)
    assert meta.received_at == "2026-11-22T01:02:03.456Z"
    assert meta.content_encoding == ("gzip" if compress else None)


def test_repeat_plan_is_a_201_no_op(lake: Path, client: TestClient) -> None:
    for _ in range(3):
        response = client.post("/execution-plans", content=PLAN, headers={"Content-Type": V12})
        assert (response.status_code, response.json()) == (201, PLAN_ID)
    assert [f for f in files(lake) if f.startswith("plans/")] == [
        f"plans/date=2026-11-22/{PLAN_ID}.json",
        f"plans/date=2026-11-22/{PLAN_ID}.json.meta",
    ]


def test_events_land_verbatim_once(lake: Path, client: TestClient) -> None:
    for _ in range(2):
        response = client.post(
            "/execution-events",
            content=gzip.compress(EVENTS),
            headers={"Content-Type": V12, "Content-Encoding": "gzip"},
        )
        assert response.status_code == 201
    key = f"events/date=2026-11-22/{sha256_hex(EVENTS)}.json"
    assert files(lake) == [key, f"{key}.meta"]
    assert (lake / key).read_bytes() == EVENTS


def test_sidecar_records_agent_headers_but_never_credentials(
    lake: Path, client: TestClient
) -> None:
    client.post(
        "/execution-plans",
        content=PLAN,
        headers={
            "Content-Type": V12,
            "User-Agent": "scalaj-http/2.4.2",
            "ABSA-Spline-Agent-Version": "2.2.1",
            "Authorization": "Bearer secret-token",
            "Cookie": "session=secret",
            "X-Api-Key": "secret-key",
        },
    )
    sidecar = (lake / f"plans/date=2026-11-22/{PLAN_ID}.json.meta").read_text()
    meta = RawObjectMetadata.from_json(sidecar.encode())
    assert meta.headers["user-agent"] == "scalaj-http/2.4.2"
    assert meta.headers["absa-spline-agent-version"] == "2.2.1"
    assert "secret" not in sidecar
    assert meta.client_address == "testclient"


def _broken_gzip() -> bytes:
    return gzip.compress(PLAN)[:-12]


BAD_REQUESTS = [
    ("malformed JSON", "/execution-plans", b'{"id": ', {}, 400, "MalformedJsonError", "$"),
    ("not UTF-8", "/execution-plans", b"\xff\xfe\x00", {}, 400, "MalformedJsonError", "$"),
    (
        "broken gzip",
        "/execution-plans",
        _broken_gzip(),
        {"Content-Encoding": "gzip"},
        400,
        "BrokenGzipError",
        None,
    ),
    (
        "gzip of nothing",
        "/execution-plans",
        b"",
        {"Content-Encoding": "gzip"},
        400,
        "BrokenGzipError",
        None,
    ),
    (
        "garbage after gzip",
        "/execution-plans",
        gzip.compress(PLAN) + b"junk",
        {"Content-Encoding": "gzip"},
        400,
        "BrokenGzipError",
        None,
    ),
    ("events posted as plan", "/execution-plans", EVENTS, {}, 400, "WrongTypeError", "$"),
    ("plan posted as events", "/execution-events", PLAN, {}, 400, "WrongTypeError", "$"),
    (
        "plan without write",
        "/execution-plans",
        json.dumps({**json.loads(PLAN), "operations": {"reads": []}}).encode(),
        {},
        400,
        "MissingFieldError",
        "$.operations.write",
    ),
    (
        "event without planId",
        "/execution-events",
        b'[{"timestamp": 1}]',
        {},
        400,
        "MissingFieldError",
        "$[0].planId",
    ),
    (
        "unknown content type",
        "/execution-plans",
        PLAN,
        {"Content-Type": "text/plain"},
        415,
        "UnsupportedContentTypeError",
        None,
    ),
    (
        "unknown version",
        "/execution-plans",
        PLAN,
        {"Content-Type": "application/vnd.absa.spline.producer.v9+json"},
        415,
        "UnsupportedContentTypeError",
        None,
    ),
    (
        "brotli",
        "/execution-plans",
        PLAN,
        {"Content-Encoding": "br"},
        415,
        "UnsupportedEncodingError",
        None,
    ),
]


@pytest.mark.parametrize(
    ("path", "body", "headers", "status", "error", "json_path"),
    [case[1:] for case in BAD_REQUESTS],
    ids=[case[0] for case in BAD_REQUESTS],
)
def test_bad_request_is_answered_and_nothing_is_written(
    lake: Path,
    client: TestClient,
    path: str,
    body: bytes,
    headers: dict[str, str],
    status: int,
    error: str,
    json_path: str | None,
) -> None:
    response = client.post(path, content=body, headers={"Content-Type": V12, **headers})
    assert response.status_code == status
    answer = response.json()
    assert answer["error"] == error
    assert answer["message"]
    assert answer.get("path") == json_path
    assert files(lake) == []


def test_size_limits_before_and_after_decompression(lake: Path) -> None:
    client = make_client(lake, ProducerSettings(max_request_bytes=4096, max_payload_bytes=8192))
    # Too large as sent, plain and declared.
    response = client.post("/execution-plans", content=b" " * 5000, headers={"Content-Type": V12})
    assert (response.status_code, response.json()["error"]) == (413, "RequestTooLargeError")
    # A decompression bomb: under 4 KB of gzip inflating to 1 MB is refused at 8 KB.
    small_bomb = gzip.compress(b" " * 1_000_000, compresslevel=9)
    assert len(small_bomb) < 4096
    response = client.post(
        "/execution-plans",
        content=small_bomb,
        headers={"Content-Type": V12, "Content-Encoding": "gzip"},
    )
    assert response.status_code == 413
    assert "inflates to more than 8192 bytes" in response.json()["message"]
    # Within both limits: accepted.
    response = client.post(
        "/execution-plans",
        content=gzip.compress(PLAN),
        headers={"Content-Type": V12, "Content-Encoding": "gzip"},
    )
    assert response.status_code == 201
    assert files(lake) != []


def test_storage_failure_is_503(lake: Path, client: TestClient) -> None:
    lake.mkdir(parents=True, exist_ok=True)
    shutil.rmtree(lake)
    lake.write_text("the raw zone vanished and a file took its place")
    response = client.post("/execution-plans", content=PLAN, headers={"Content-Type": V12})
    assert response.status_code == 503
    assert response.json()["error"] == "StorageError"


def test_multi_member_gzip_is_accepted(lake: Path, client: TestClient) -> None:
    half = len(PLAN) // 2
    body = gzip.compress(PLAN[:half]) + gzip.compress(PLAN[half:])
    response = client.post(
        "/execution-plans", content=body, headers={"Content-Type": V12, "Content-Encoding": "gzip"}
    )
    assert response.status_code == 201
    assert (lake / f"plans/date=2026-11-22/{PLAN_ID}.json").read_bytes() == PLAN


def test_empty_event_batch_is_accepted_and_stores_nothing(lake: Path, client: TestClient) -> None:
    response = client.post("/execution-events", content=b"[]", headers={"Content-Type": V12})
    assert response.status_code == 201
    assert files(lake) == []


def test_a_slow_client_does_not_block_others(lake: Path) -> None:
    asyncio.run(_slow_and_fast(lake))


async def _slow_and_fast(lake: Path) -> None:
    app = create_app(LocalStore(lake, fsync=False))
    release = asyncio.Event()

    async def trickle() -> AsyncIterator[bytes]:
        yield PLAN[:100]
        await release.wait()  # the body stalls mid-way until the other request is served
        yield PLAN[100:]

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://producer") as http:
        slow = asyncio.create_task(
            http.post("/execution-plans", content=trickle(), headers={"Content-Type": V12})
        )
        await asyncio.sleep(0.05)
        fast = await asyncio.wait_for(
            http.post("/execution-events", content=EVENTS, headers={"Content-Type": V12}), 5
        )
        assert fast.status_code == 201
        assert not slow.done()
        release.set()
        assert (await asyncio.wait_for(slow, 5)).status_code == 201


def test_concurrent_identical_plans_through_the_api(lake: Path) -> None:
    app = create_app(LocalStore(lake, fsync=False))

    async def burst() -> list[int]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://producer") as http:
            responses = await asyncio.gather(
                *(
                    http.post("/execution-plans", content=PLAN, headers={"Content-Type": V12})
                    for _ in range(24)
                )
            )
        return [r.status_code for r in responses]

    assert asyncio.run(burst()) == [201] * 24
    assert len([f for f in files(lake) if f.startswith("plans/")]) == 2  # payload + sidecar


def test_known_plan_id_with_broken_bytes_is_still_validated(lake: Path, client: TestClient) -> None:
    # Repeats skip validation only for bytes already stored; anything else is checked in full.
    assert client.post("/execution-plans", content=PLAN, headers={"Content-Type": V12}).is_success
    broken = json.loads(PLAN)
    broken["operations"]["write"]["append"] = "yes"
    response = client.post(
        "/execution-plans", content=json.dumps(broken).encode(), headers={"Content-Type": V12}
    )
    assert response.status_code == 400
    assert response.json()["path"] == "$.operations.write.append"
    assert len([f for f in files(lake) if f.startswith("plans/")]) == 2
