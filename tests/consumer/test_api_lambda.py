"""The read API as a Lambda: Mangum handler behind API Gateway, settings from the environment,
and the SigV4 handshake headers for Neptune IAM authentication."""

from __future__ import annotations

import importlib
import json
from typing import Any

import pytest

from lambdas.consumer.config import ReadApiConfig
from lambdas.consumer.neptune_auth import sigv4_headers
from local_neptune.ports import free_port


def _http_api_event(path: str, query: str = "") -> dict[str, Any]:
    """An API Gateway HTTP API (payload 2.0) event as Lambda receives it."""
    return {
        "version": "2.0",
        "routeKey": "GET /api/{proxy+}",
        "rawPath": path,
        "rawQueryString": query,
        "headers": {"host": "lineage.example.com", "accept": "application/json"},
        "requestContext": {
            "http": {"method": "GET", "path": path, "protocol": "HTTP/1.1", "sourceIp": "10.0.0.1"},
            "domainName": "lineage.example.com",
            "stage": "$default",
            "requestId": "r-1",
        },
        "isBase64Encoded": False,
    }


def _handler(monkeypatch: pytest.MonkeyPatch, url: str) -> Any:
    monkeypatch.setenv("LINEAGE_GRAPH_URL", url)
    monkeypatch.delenv("LINEAGE_GRAPH_IAM_AUTH", raising=False)
    import lambdas.consumer.handler as module

    return importlib.reload(module).handler


class _Context:
    function_name = "lineage-consumer"
    aws_request_id = "r-1"


@pytest.mark.unit
def test_handler_strips_api_prefix_and_maps_unreachable_graph_to_503(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    handler = _handler(monkeypatch, f"ws://127.0.0.1:{free_port()}/gremlin")
    reply = handler(_http_api_event("/api/status"), _Context())
    assert reply["statusCode"] == 503
    assert json.loads(reply["body"])["error"] == "GraphUnavailable"
    bad = handler(_http_api_event("/api/datasets/lineage", "uri=s3://b/k&depth=99"), _Context())
    assert bad["statusCode"] == 400
    assert "depth" in json.loads(bad["body"])["detail"]


@pytest.mark.graph
def test_handler_answers_from_the_graph(
    monkeypatch: pytest.MonkeyPatch, gremlin_server: str
) -> None:
    handler = _handler(monkeypatch, gremlin_server)
    reply = handler(_http_api_event("/api/status"), _Context())
    assert reply["statusCode"] == 200, reply["body"]
    assert json.loads(reply["body"])["status"] == "ok"


@pytest.mark.unit
def test_iam_auth_settings_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(
        "LINEAGE_GRAPH_URL", "wss://db.cluster-x.eu-west-1.neptune.amazonaws.com:8182/gremlin"
    )
    monkeypatch.setenv("LINEAGE_GRAPH_IAM_AUTH", "true")
    monkeypatch.setenv("AWS_REGION", "eu-west-1")
    assert ReadApiConfig.from_env().iam_auth_region == "eu-west-1"
    monkeypatch.delenv("AWS_REGION")
    monkeypatch.delenv("AWS_DEFAULT_REGION", raising=False)
    with pytest.raises(ValueError, match="AWS_REGION"):
        ReadApiConfig.from_env()
    monkeypatch.setenv("LINEAGE_GRAPH_IAM_AUTH", "false")
    assert ReadApiConfig.from_env().iam_auth_region is None


@pytest.mark.unit
def test_sigv4_headers_sign_the_handshake_for_neptune(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "session-token")
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
    url = "wss://db.cluster-x.eu-west-1.neptune.amazonaws.com:8182/gremlin"
    headers = sigv4_headers(url, "eu-west-1")
    auth = headers["Authorization"]
    assert auth.startswith("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/")
    assert "/eu-west-1/neptune-db/aws4_request" in auth
    assert "SignedHeaders=host;x-amz-date;x-amz-security-token" in auth
    assert headers["X-Amz-Security-Token"] == "session-token"
    assert len(headers["X-Amz-Date"]) == len("20260101T000000Z")


@pytest.mark.unit
def test_a_lambda_container_keeps_one_connection(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LINEAGE_GRAPH_POOL_SIZE", raising=False)
    assert ReadApiConfig.from_env().graph_pool_size == 1  # one request at a time per container
    monkeypatch.setenv("LINEAGE_GRAPH_POOL_SIZE", "4")
    assert ReadApiConfig.from_env().graph_pool_size == 4
    for bad in ("0", "65", "-1", "x", "1" * 100_000):
        monkeypatch.setenv("LINEAGE_GRAPH_POOL_SIZE", bad)
        with pytest.raises(ValueError, match="LINEAGE_GRAPH_POOL_SIZE"):
            ReadApiConfig.from_env()
