"""Producer settings: size limits and the API versions the status endpoint advertises."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from lambdas.producer.errors import ProducerError

MIB = 1024 * 1024


@dataclass(frozen=True)
class ProducerSettings:
    """Limits and advertised versions; the defaults suit API Gateway (10 MB) and Lambda (6 MB)."""

    # Bytes as sent (compressed or not). API Gateway caps requests at 10 MB anyway.
    max_request_bytes: int = 10 * MIB
    # Bytes after removing gzip; checked while decompressing, so a bomb never inflates past it.
    max_payload_bytes: int = 64 * MIB
    # One `ABSA-Spline-API-Version` header line each; the agent picks the highest it supports.
    api_versions: tuple[str, ...] = ("1.2", "1.1", "1")

    def __post_init__(self) -> None:
        if self.max_request_bytes <= 0 or self.max_payload_bytes <= 0:
            raise ProducerError(
                f"size limits must be positive, got max_request_bytes={self.max_request_bytes}, "
                f"max_payload_bytes={self.max_payload_bytes}"
            )
        if not self.api_versions:
            raise ProducerError("at least one API version must be advertised")

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> ProducerSettings:
        """Settings from `PRODUCER_MAX_REQUEST_BYTES` / `PRODUCER_MAX_PAYLOAD_BYTES` (Lambda)."""
        env = os.environ if env is None else env
        defaults = cls()
        return cls(
            max_request_bytes=_int(env, "PRODUCER_MAX_REQUEST_BYTES", defaults.max_request_bytes),
            max_payload_bytes=_int(env, "PRODUCER_MAX_PAYLOAD_BYTES", defaults.max_payload_bytes),
        )


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ProducerError(f"{name}={raw!r} is not an integer") from None
