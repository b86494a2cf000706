"""Producer settings from the Lambda environment, Content-Encoding parsing, handler start-up."""

from __future__ import annotations

import pytest

from lambdas.producer import handler as handler_module
from lambdas.producer.body import content_coding
from lambdas.producer.config import ProducerSettings
from lambdas.producer.errors import ProducerError, UnsupportedEncodingError

pytestmark = pytest.mark.unit


def test_settings_from_env() -> None:
    settings = ProducerSettings.from_env(
        {"PRODUCER_MAX_REQUEST_BYTES": "1000", "PRODUCER_MAX_PAYLOAD_BYTES": ""}
    )
    assert settings.max_request_bytes == 1000
    assert settings.max_payload_bytes == ProducerSettings().max_payload_bytes
    with pytest.raises(ProducerError, match="PRODUCER_MAX_REQUEST_BYTES='ten' is not an integer"):
        ProducerSettings.from_env({"PRODUCER_MAX_REQUEST_BYTES": "ten"})
    with pytest.raises(ProducerError, match="must be positive"):
        ProducerSettings(max_payload_bytes=0)


@pytest.mark.parametrize(
    ("header", "coding"),
    [(None, None), ("", None), ("identity", None), ("GZIP", "gzip"), ("x-gzip", "gzip"),
     ("gzip, identity", "gzip")],
)  # fmt: skip
def test_content_coding(header: str | None, coding: str | None) -> None:
    assert content_coding(header) == coding


@pytest.mark.parametrize("header", ["br", "deflate", "gzip, gzip", "gzip, br"])
def test_unsupported_content_coding(header: str) -> None:
    with pytest.raises(UnsupportedEncodingError, match="accepts gzip or none"):
        content_coding(header)


def test_lambda_handler_requires_an_s3_raw_zone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RAW_ZONE_URI", "/tmp/lake")
    monkeypatch.setattr(handler_module, "_handler", None)
    with pytest.raises(ProducerError, match="RAW_ZONE_URI must be s3://bucket/prefix"):
        handler_module.handler({}, None)
