"""A store under an S3 prefix: conditional creates (`If-None-Match: *`), so nothing is overwritten
in the raw zone; plain PUTs and batched deletes for the build folder."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from lineage.store import (
    MissingObjectError,
    StorageError,
    StoredObject,
    check_key,
    check_prefix,
)

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_s3.type_defs import ObjectIdentifierTypeDef

__all__ = ["S3Store"]

# S3 answers 409 ConditionalRequestConflict while another conditional write of the same key is
# in flight; a retry then sees 412 (the other write won) or succeeds.
_CONFLICT_RETRIES = 5
_CONFLICT_BACKOFF_S = 0.05
_DELETE_BATCH = 1000  # DeleteObjects' limit per request
# boto3's default session is not thread-safe: `lineage verify` reads with a thread pool.
_CLIENT_LOCK = threading.Lock()


@dataclass(frozen=True)
class S3Store:
    """Objects under `s3://bucket/prefix/`; every boto3 failure becomes one `StorageError` here.

    A small value object: it pickles without its client (Spark ships it to Python workers),
    and each process creates its own client on first use unless one is given.
    """

    bucket: str
    prefix: str = ""
    client: S3Client | None = field(default=None, compare=False, repr=False)
    _made: list[Any] = field(default_factory=list, init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "prefix", self.prefix.strip("/"))

    def __getstate__(self) -> dict[str, str]:
        return {"bucket": self.bucket, "prefix": self.prefix}

    def __setstate__(self, state: dict[str, str]) -> None:
        object.__setattr__(self, "bucket", state["bucket"])
        object.__setattr__(self, "prefix", state["prefix"])
        object.__setattr__(self, "client", None)
        object.__setattr__(self, "_made", [])

    @property
    def root(self) -> str:
        """`s3://bucket/prefix` (no trailing slash)."""
        return f"s3://{self.bucket}/{self.prefix}".rstrip("/")

    def _s3(self) -> S3Client:
        """The given client, else one boto3 S3 client per process (created on first use)."""
        if self.client is not None:
            return self.client
        with _CLIENT_LOCK:
            if not self._made:
                import boto3  # only S3 runs need it; imported here so local runs never do

                self._made.append(boto3.client("s3"))
        made: S3Client = self._made[0]
        return made

    def _full(self, key: str) -> str:
        return f"{self.prefix}/{key}" if self.prefix else key

    def list(self, prefix: str) -> Iterator[StoredObject]:
        """ListObjectsV2 pages under `prefix`, in key order (S3 lists in UTF-8 byte order)."""
        full_prefix = self._full(check_prefix(prefix))
        strip = len(self._full(""))
        try:
            pages = self._s3().get_paginator("list_objects_v2")
            for page in pages.paginate(Bucket=self.bucket, Prefix=full_prefix):
                for item in page.get("Contents", []):
                    yield StoredObject(item["Key"][strip:], int(item["Size"]))
        except (BotoCoreError, ClientError) as exc:
            raise _failure("list", f"{self.root}/{prefix}", exc) from exc

    def read(self, key: str) -> bytes:
        """GET the object; `MissingObjectError` when there is none."""
        where = f"{self.root}/{check_key(key)}"
        try:
            body = self._s3().get_object(Bucket=self.bucket, Key=self._full(key))["Body"]
            return bytes(body.read())
        except ClientError as exc:
            if _code(exc) in ("NoSuchKey", "404", "NotFound"):
                raise MissingObjectError(f"cannot read {where}: {_code(exc)}") from exc
            raise _failure("read", where, exc) from exc
        except BotoCoreError as exc:
            raise _failure("read", where, exc) from exc

    def create(self, key: str, body: bytes, content_type: str) -> bool:
        """PUT with `If-None-Match: *`; False when the key already exists (412)."""
        where = f"{self.root}/{check_key(key, writing=True)}"
        for attempt in range(_CONFLICT_RETRIES + 1):
            try:
                self._s3().put_object(
                    Bucket=self.bucket,
                    Key=self._full(key),
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
                raise _failure("write", where, exc) from exc
            except BotoCoreError as exc:
                raise _failure("write", where, exc) from exc
        raise AssertionError("unreachable: the loop returns or raises")

    def write(self, key: str, data: bytes) -> None:
        """PUT, replacing the object (S3 never shows half an object)."""
        where = f"{self.root}/{check_key(key, writing=True)}"
        try:
            self._s3().put_object(Bucket=self.bucket, Key=self._full(key), Body=data)
        except (BotoCoreError, ClientError) as exc:
            raise _failure("write", where, exc) from exc

    def delete_prefix(self, prefix: str) -> int:
        """DeleteObjects in batches of 1000; a key S3 refuses to delete fails the call."""
        keys = [self._full(item.key) for item in self.list(prefix)]
        try:
            for start in range(0, len(keys), _DELETE_BATCH):
                chunk: list[ObjectIdentifierTypeDef] = [
                    {"Key": k} for k in keys[start : start + _DELETE_BATCH]
                ]
                answer = self._s3().delete_objects(
                    Bucket=self.bucket, Delete={"Objects": chunk, "Quiet": True}
                )
                refused = answer.get("Errors", [])
                if refused:
                    first = refused[0]
                    code = str(first.get("Code", "unknown"))
                    raise StorageError(
                        f"cannot delete s3://{self.bucket}/{first.get('Key', '?')}: {code} "
                        f"({len(refused)} of {len(chunk)} keys refused)",
                        cause=code,
                    )
        except (BotoCoreError, ClientError) as exc:
            raise _failure("delete", f"{self.root}/{prefix}", exc) from exc
        return len(keys)


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", "unknown"))


def _failure(action: str, where: str, exc: BotoCoreError | ClientError) -> StorageError:
    """One message shape for every S3 failure: what, where, S3's code and its words."""
    if isinstance(exc, BotoCoreError):
        return StorageError(f"cannot {action} {where}: {exc}", cause=type(exc).__name__)
    code = _code(exc)
    words = str(exc.response.get("Error", {}).get("Message", "") or "")
    hint = ""
    if action == "read" and code in ("AccessDenied", "403"):
        # Without s3:ListBucket, S3 answers 403 (not 404) for a key that does not exist.
        hint = "a missing key reads as 403 unless the role may s3:ListBucket"
    said = "; ".join(part for part in (words, hint) if part)
    detail = f" ({said})" if said else ""
    return StorageError(f"cannot {action} {where}: {code}{detail}", cause=code)
