"""Raw zone in S3: conditional writes (`If-None-Match: *`) so nothing is ever overwritten."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from botocore.exceptions import BotoCoreError, ClientError

from lambdas.producer.errors import StoreError

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

# S3 answers 409 ConditionalRequestConflict while another conditional write of the same key is
# in flight; a retry then sees 412 (the other write won) or succeeds.
_CONFLICT_RETRIES = 5
_CONFLICT_BACKOFF_S = 0.05


class S3RawZoneStore:
    """Keys live under `s3://bucket/prefix/`; boto3 failures are wrapped in `StoreError` here."""

    def __init__(self, client: S3Client, bucket: str, prefix: str = "") -> None:
        self._client = client
        self._bucket = bucket
        self._prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""

    @property
    def location(self) -> str:
        """`s3://bucket/prefix/`."""
        return f"s3://{self._bucket}/{self._prefix}"

    def create(self, key: str, body: bytes, content_type: str) -> bool:
        """PUT with `If-None-Match: *`; False when the key already exists (412)."""
        full_key = self._prefix + key
        for attempt in range(_CONFLICT_RETRIES + 1):
            try:
                self._client.put_object(
                    Bucket=self._bucket,
                    Key=full_key,
                    Body=body,
                    ContentType=content_type,
                    IfNoneMatch="*",
                )
                return True
            except ClientError as exc:
                code = _code(exc)
                if code in ("PreconditionFailed", "412"):
                    return False
                if code in ("ConditionalRequestConflict", "409") and attempt < _CONFLICT_RETRIES:
                    time.sleep(_CONFLICT_BACKOFF_S * (attempt + 1))
                    continue
                raise StoreError(
                    f"cannot write s3://{self._bucket}/{full_key}: {code}", cause=code
                ) from exc
            except BotoCoreError as exc:
                raise StoreError(
                    f"cannot write s3://{self._bucket}/{full_key}: {exc}",
                    cause=type(exc).__name__,
                ) from exc
        raise AssertionError("unreachable: the loop returns or raises")

    def read(self, key: str) -> bytes | None:
        """GET the object; None when it does not exist."""
        full_key = self._prefix + key
        try:
            response = self._client.get_object(Bucket=self._bucket, Key=full_key)
            return response["Body"].read()
        except ClientError as exc:
            code = _code(exc)
            if code in ("NoSuchKey", "404", "NotFound"):
                return None
            # Without s3:ListBucket, S3 answers 403 (not 404) for a key that does not exist.
            hint = " (a missing key reads as 403 unless the role may s3:ListBucket)"
            raise StoreError(
                f"cannot read s3://{self._bucket}/{full_key}: {code}"
                + (hint if code in ("AccessDenied", "403") else ""),
                cause=code,
            ) from exc
        except BotoCoreError as exc:
            raise StoreError(
                f"cannot read s3://{self._bucket}/{full_key}: {exc}", cause=type(exc).__name__
            ) from exc

    def list_keys(self, prefix: str) -> list[str]:
        """Keys under `prefix` (relative to the store's prefix), sorted."""
        full_prefix = self._prefix + prefix
        keys: list[str] = []
        try:
            paginator = self._client.get_paginator("list_objects_v2")
            for page in paginator.paginate(Bucket=self._bucket, Prefix=full_prefix):
                keys.extend(obj["Key"][len(self._prefix) :] for obj in page.get("Contents", []))
        except ClientError as exc:
            raise StoreError(
                f"cannot list s3://{self._bucket}/{full_prefix}: {_code(exc)}",
                cause=_code(exc),
            ) from exc
        except BotoCoreError as exc:
            raise StoreError(
                f"cannot list s3://{self._bucket}/{full_prefix}: {exc}", cause=type(exc).__name__
            ) from exc
        return sorted(keys)


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", "unknown"))
