"""The Lambda path: real API Gateway event shapes through Mangum, into S3 (moto).

What matters is what the agent sees: it reads every `ABSA-Spline-API-Version` header line as
one version (`Version.asSimple`: dot-separated components) and picks the highest in 1..1.2.
"""

from __future__ import annotations

import base64
import copy
import gzip
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from fastapi import FastAPI
from mangum import Mangum
from moto import mock_aws

from lambdas.producer.app import create_app
from lambdas.producer.config import ProducerSettings
from lambdas.producer.handler import LambdaHandler, build_handler
from lineage.raw_zone_layout import RawObjectMetadata, sha256_hex
from stores import S3Store

pytestmark = pytest.mark.unit

SAMPLES = Path(__file__).resolve().parents[1] / "events" / "producer"
PLAN = (SAMPLES / "plan-v1.2-orders-daily.json").read_bytes()
PLAN_ID = "5b0e1c74-8f0e-5b8a-9a45-1d2c3e4f5a6b"
EVENTS = (SAMPLES / "events-v1.2-orders-daily.json").read_bytes()
V12 = "application/vnd.absa.spline.producer.v1.2+json"
SHAPES = {
    "rest-v1": "apigw-rest-v1.json",
    "http-v1.0": "apigw-http-v1.0.json",
    "http-v2.0": "apigw-http-v2.json",
}


def api_gateway_event(
    shape: str,
    method: str,
    path: str,
    body: bytes = b"",
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    """A sample event of `shape` rewritten for one request, as API Gateway would build it."""
    event: dict[str, Any] = copy.deepcopy(json.loads((SAMPLES / SHAPES[shape]).read_text()))
    binary = bool(body) and headers is not None and "Content-Encoding" in headers
    event["body"] = base64.b64encode(body).decode() if binary else (body.decode() or None)
    event["isBase64Encoded"] = binary
    extra = {k.lower() if shape == "http-v2.0" else k: v for k, v in (headers or {}).items()}
    extra["content-length" if shape == "http-v2.0" else "Content-Length"] = str(len(body))
    if shape == "http-v2.0":
        event["rawPath"] = path
        event["requestContext"]["http"].update(method=method, path=path)
        event["headers"].update(extra)
    else:
        event["path"] = path
        event["httpMethod"] = method
        event["requestContext"]["httpMethod"] = method
        event["headers"].update(extra)
        event["multiValueHeaders"].update({k: [v] for k, v in extra.items()})
    return event


def header_lines(response: dict[str, Any], name: str) -> list[str]:
    """Header lines as API Gateway sends them to the client (one per multi-value entry)."""
    lines: list[str] = []
    for key, values in (response.get("multiValueHeaders") or {}).items():
        if key.lower() == name.lower():
            lines.extend(values)
    for key, value in (response.get("headers") or {}).items():
        if key.lower() == name.lower():
            lines.append(value)
    return lines


def agent_api_version(lines: list[str]) -> str | None:
    """The version the agent would choose, or None when it gives up (no parseable version)."""
    candidates: list[tuple[int, ...]] = []
    for line in lines:
        if not re.fullmatch(r"\d+(\.\d+)*", line):
            return None  # a non-numeric component sorts above 1.2: "versions don't match"
        candidates.append(tuple(int(p) for p in line.split(".")))
    supported = [v for v in candidates if (1,) <= v <= (1, 2)]
    return ".".join(map(str, max(supported))) if supported else None


@pytest.fixture
def s3() -> Iterator[Any]:
    with mock_aws():
        client = boto3.client("s3", region_name="eu-west-1")
        client.create_bucket(
            Bucket="raw-zone", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}
        )
        yield client


@pytest.fixture
def handler(s3: Any) -> LambdaHandler:
    return build_handler(S3Store("raw-zone", "lineage", client=s3), ProducerSettings())


@pytest.mark.parametrize("shape", ["rest-v1", "http-v1.0"])
def test_multi_value_shapes_keep_one_line_per_version(handler: LambdaHandler, shape: str) -> None:
    response = handler(api_gateway_event(shape, "HEAD", "/producer/status"), None)
    assert response["statusCode"] == 200
    assert header_lines(response, "ABSA-Spline-API-Version") == ["1.2", "1.1", "1"]
    assert header_lines(response, "ABSA-Spline-Accept-Request-Encoding") == ["gzip"]
    assert agent_api_version(header_lines(response, "ABSA-Spline-API-Version")) == "1.2"


def test_http_api_v2_answers_one_parseable_version(handler: LambdaHandler) -> None:
    response = handler(api_gateway_event("http-v2.0", "HEAD", "/producer/status"), None)
    assert response["statusCode"] == 200
    assert "multiValueHeaders" not in response  # payload format 2.0 has none
    assert header_lines(response, "ABSA-Spline-API-Version") == ["1.2"]
    assert agent_api_version(header_lines(response, "ABSA-Spline-API-Version")) == "1.2"
    assert header_lines(response, "ABSA-Spline-Accept-Request-Encoding") == ["gzip"]


def test_plain_mangum_on_http_api_v2_would_lose_the_agent(s3: Any) -> None:
    # Why the handler rewrites the header: Mangum joins repeated headers for format 2.0.
    root = FastAPI()
    root.mount("/producer", create_app(S3Store("raw-zone", "lineage", client=s3)))
    plain = Mangum(root, lifespan="off")
    response = plain(api_gateway_event("http-v2.0", "HEAD", "/producer/status"), None)
    lines = header_lines(response, "ABSA-Spline-API-Version")
    assert lines == ["1.2,1.1,1"]
    assert agent_api_version(lines) is None


@pytest.mark.parametrize("shape", list(SHAPES))
def test_gzip_plan_lands_in_s3_verbatim(handler: LambdaHandler, s3: Any, shape: str) -> None:
    event = api_gateway_event(
        shape,
        "POST",
        "/producer/execution-plans",
        gzip.compress(PLAN),
        {"Content-Type": V12, "Content-Encoding": "gzip"},
    )
    response = handler(event, None)
    assert response["statusCode"] == 201
    assert json.loads(response["body"]) == PLAN_ID
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket="raw-zone")["Contents"]]
    (payload,) = [k for k in keys if k.startswith("lineage/plans/") and k.endswith(".json")]
    assert s3.get_object(Bucket="raw-zone", Key=payload)["Body"].read() == PLAN
    meta = s3.get_object(Bucket="raw-zone", Key=payload + ".meta")["Body"].read()
    assert RawObjectMetadata.from_json(meta).client_address == "203.0.113.10"


@pytest.mark.parametrize("shape", list(SHAPES))
def test_events_and_errors_through_the_gateway(handler: LambdaHandler, s3: Any, shape: str) -> None:
    ok = handler(
        api_gateway_event(
            shape, "POST", "/producer/execution-events", EVENTS, {"Content-Type": V12}
        ),
        None,
    )
    assert ok["statusCode"] == 201
    key = f"lineage/events/{'date='}"
    listed = [o["Key"] for o in s3.list_objects_v2(Bucket="raw-zone", Prefix=key)["Contents"]]
    assert any(k.endswith(f"/{sha256_hex(EVENTS)}.json") for k in listed)
    bad = handler(
        api_gateway_event(
            shape,
            "POST",
            "/producer/execution-events",
            b'{"not": "an array"}',
            {"Content-Type": V12},
        ),
        None,
    )
    assert bad["statusCode"] == 400
    assert json.loads(bad["body"])["path"] == "$"


def test_storage_failure_through_the_gateway_is_503(s3: Any) -> None:
    broken = build_handler(S3Store("missing-bucket", client=s3), ProducerSettings())
    response = broken(
        api_gateway_event(
            "http-v2.0", "POST", "/producer/execution-plans", PLAN, {"Content-Type": V12}
        ),
        None,
    )
    assert response["statusCode"] == 503
    assert "NoSuchBucket" in json.loads(response["body"])["message"]
