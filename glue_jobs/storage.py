"""Where the job reads the raw zone and writes the build: a local directory or an S3 prefix.

Both stores are small, picklable value objects (Spark ships them to Python workers); the S3 one
creates its boto3 client lazily in each process. Keys are always `/`-separated and relative to
the store's root.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

__all__ = ["LocalStore", "S3Store", "StorageError", "Store", "open_store"]


class StorageError(Exception):
    """Reading or writing the raw zone or the build failed (the message names the location)."""


class Store(Protocol):
    """A key -> bytes store rooted at one location."""

    @property
    def root(self) -> str:
        """The location as the user gave it (a directory or `s3://bucket/prefix`)."""
        ...

    def list(self, prefix: str) -> Iterator[tuple[str, int]]:
        """(key, size) of every object under `prefix`, in key order."""
        ...

    def read(self, key: str) -> bytes:
        """The bytes of one object; StorageError if missing."""
        ...

    def write(self, key: str, data: bytes) -> None:
        """Write one object, replacing it whole."""
        ...

    def delete_prefix(self, prefix: str) -> int:
        """Delete every object under `prefix`; returns how many."""
        ...


@dataclass(frozen=True)
class LocalStore:
    """A directory on this machine."""

    path: str

    @property
    def root(self) -> str:
        return self.path

    def list(self, prefix: str) -> Iterator[tuple[str, int]]:
        base = Path(self.path)
        start = base / prefix
        if not start.exists():
            return
        found: list[tuple[str, int]] = []
        for dirpath, dirnames, filenames in os.walk(start):
            dirnames.sort()
            rel = Path(dirpath).relative_to(base).as_posix()
            for name in filenames:
                full = os.path.join(dirpath, name)
                found.append((f"{rel}/{name}" if rel != "." else name, os.path.getsize(full)))
        yield from sorted(found)

    def read(self, key: str) -> bytes:
        try:
            return (Path(self.path) / key).read_bytes()
        except OSError as exc:
            raise StorageError(f"cannot read {self.path}/{key}: {exc.strerror}") from exc

    def write(self, key: str, data: bytes) -> None:
        target = Path(self.path) / key
        target.parent.mkdir(parents=True, exist_ok=True)
        # Write then rename: a retried Spark task or a crash never leaves half a file.
        tmp = target.with_name(f".{target.name}.tmp-{os.getpid()}")
        try:
            tmp.write_bytes(data)
            os.replace(tmp, target)
        except OSError as exc:
            raise StorageError(f"cannot write {target}: {exc.strerror}") from exc

    def delete_prefix(self, prefix: str) -> int:
        target = Path(self.path) / prefix
        if not target.exists():
            return 0
        if target.is_file():
            target.unlink()
            return 1
        count = sum(len(files) for _, _, files in os.walk(target))
        shutil.rmtree(target)
        return count


@dataclass(frozen=True)
class S3Store:
    """An S3 prefix (`s3://bucket/prefix`); needs boto3, which AWS Glue provides."""

    bucket: str
    prefix: str
    _client: list[Any] = field(default_factory=list, compare=False, repr=False)

    @property
    def root(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}".rstrip("/")

    def __getstate__(self) -> dict[str, str]:
        return {"bucket": self.bucket, "prefix": self.prefix}

    def __setstate__(self, state: dict[str, str]) -> None:
        object.__setattr__(self, "bucket", state["bucket"])
        object.__setattr__(self, "prefix", state["prefix"])
        object.__setattr__(self, "_client", [])

    def client(self) -> Any:
        """One boto3 S3 client per process (created on first use)."""
        if not self._client:
            import boto3  # only S3 runs need it; imported here so local runs never do

            self._client.append(boto3.client("s3"))
        return self._client[0]

    def _key(self, key: str) -> str:
        return f"{self.prefix.rstrip('/')}/{key}" if self.prefix else key

    def list(self, prefix: str) -> Iterator[tuple[str, int]]:
        from botocore.exceptions import BotoCoreError, ClientError

        strip = len(self._key(""))
        try:
            pages = self.client().get_paginator("list_objects_v2")
            for page in pages.paginate(Bucket=self.bucket, Prefix=self._key(prefix)):
                for item in page.get("Contents", []):
                    yield item["Key"][strip:], int(item["Size"])
        except (BotoCoreError, ClientError) as exc:
            raise StorageError(f"cannot list {self.root}/{prefix}: {exc}") from exc

    def read(self, key: str) -> bytes:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            body = self.client().get_object(Bucket=self.bucket, Key=self._key(key))["Body"]
            return bytes(body.read())
        except (BotoCoreError, ClientError) as exc:
            raise StorageError(f"cannot read {self.root}/{key}: {exc}") from exc

    def write(self, key: str, data: bytes) -> None:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            self.client().put_object(Bucket=self.bucket, Key=self._key(key), Body=data)
        except (BotoCoreError, ClientError) as exc:
            raise StorageError(f"cannot write {self.root}/{key}: {exc}") from exc

    def delete_prefix(self, prefix: str) -> int:
        from botocore.exceptions import BotoCoreError, ClientError

        keys = [self._key(k) for k, _ in self.list(prefix)]
        try:
            for start in range(0, len(keys), 1000):
                chunk = [{"Key": k} for k in keys[start : start + 1000]]
                self.client().delete_objects(Bucket=self.bucket, Delete={"Objects": chunk})
        except (BotoCoreError, ClientError) as exc:
            raise StorageError(f"cannot delete {self.root}/{prefix}: {exc}") from exc
        return len(keys)


def open_store(location: str) -> LocalStore | S3Store:
    """A store for `s3://bucket/prefix` (also s3a/s3n) or a local directory."""
    for scheme in ("s3://", "s3a://", "s3n://"):
        if location.startswith(scheme):
            bucket, _, prefix = location[len(scheme) :].partition("/")
            if not bucket:
                raise StorageError(f"no bucket in {location!r}")
            return S3Store(bucket, prefix.strip("/"))
    if location.startswith("file://"):
        location = location[len("file://") :]
    return LocalStore(str(Path(location).resolve()))
