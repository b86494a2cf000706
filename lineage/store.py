"""The one interface of every place the pipeline keeps objects: the raw zone and the build folder.

A store is a key -> bytes map under one root (an S3 prefix or a local directory; the backends
are the `stores` package). Keys are `/`-separated and relative to the root, and follow one rule
on every backend (`check_key`). Two roles, one contract:

- `RawZoneStore`: what the producer, the nightly job, `lineage verify` and the benchmarks need
  of the raw zone. Objects are created once (`create` never overwrites), read whole (a missing
  key raises `MissingObjectError`, never returns a placeholder) and listed by key prefix (a
  receive-date partition is the prefix `plans/date=YYYY-MM-DD/`). Nothing is updated or deleted.
- `BuildStore`: the build folder the nightly job rewrites on every run; adds replacing writes
  and deleting by prefix.

Every backend failure surfaces as a `StorageError` whose message names the location and key.
Keys that name both an object and a folder (`a` and `a/b`) are not portable: S3 holds both, a
directory cannot; no layout of this project produces them.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import NamedTuple, Protocol

from lineage.errors import LineageError

__all__ = [
    "BuildStore",
    "InvalidKeyError",
    "MissingObjectError",
    "RawZoneStore",
    "StorageError",
    "StoredObject",
    "UnsupportedLocationError",
    "check_key",
    "check_prefix",
    "read_optional",
]


class StorageError(LineageError):
    """A store could not be read or written; the message names the location and key.

    `cause` is the failure alone (an S3 error code, an OS error text), without paths or bucket
    names: what an HTTP answer may show to a client.
    """

    def __init__(self, message: str, *, cause: str = "unavailable") -> None:
        super().__init__(message)
        self.cause = cause


class MissingObjectError(StorageError):
    """The key names no object (a read of something never stored, or since removed)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, cause="missing")


class InvalidKeyError(StorageError):
    """A key or prefix is not a plain relative path under the store's root."""

    def __init__(self, message: str) -> None:
        super().__init__(message, cause="invalid key")


class UnsupportedLocationError(StorageError):
    """A location string names no store this code can open (an unknown scheme, no bucket)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, cause="unsupported location")


class StoredObject(NamedTuple):
    """One listed object: its key (relative to the store's root) and its size in bytes."""

    key: str
    size: int


class RawZoneStore(Protocol):
    """Write-once objects under one root: create, read, list; no update, no delete."""

    @property
    def root(self) -> str:
        """Where the store lives (`s3://bucket/prefix` or a directory), for messages."""
        ...

    def list(self, prefix: str) -> Iterator[StoredObject]:
        """Every object whose key starts with `prefix` (plain string prefix), in key order."""
        ...

    def read(self, key: str) -> bytes:
        """The whole object; `MissingObjectError` when the key names none."""
        ...

    def create(self, key: str, body: bytes, content_type: str) -> bool:
        """Store `body` under `key` unless the key exists; True when this call created it.

        Atomic and exclusive: of concurrent creates of one key exactly one returns True, and a
        reader never sees a partial object.
        """
        ...


class BuildStore(RawZoneStore, Protocol):
    """A raw-zone store that may also replace and delete: the build folder of a rebuild."""

    def write(self, key: str, data: bytes) -> None:
        """Store `data` under `key`, replacing any object there whole (never half-written)."""
        ...

    def delete_prefix(self, prefix: str) -> int:
        """Delete every object whose key starts with `prefix`; returns how many."""
        ...


def check_key(key: str, *, writing: bool = False) -> str:
    """`key` when it is a plain relative path; else `InvalidKeyError` naming it.

    Refused: empty keys, a leading `/`, empty, `.` or `..` segments, NUL and backslash (which
    a local directory would read as something else than S3 does). A key being written may not
    name a hidden file either: a leading `.` marks a writer's temporary file.
    """
    parts = key.split("/")
    if (
        not key
        or "\x00" in key
        or "\\" in key
        or any(part in ("", ".", "..") for part in parts)
        or (writing and parts[-1].startswith("."))
    ):
        raise InvalidKeyError(f"store key {key!r} is not a plain relative path")
    return key


def check_prefix(prefix: str) -> str:
    """`prefix` when empty or the start of a key `check_key` accepts; else `InvalidKeyError`."""
    try:
        # Any plain key may start with a valid prefix; one character completes it to a key.
        return check_key(prefix + "_")[:-1] if prefix else prefix
    except InvalidKeyError:
        raise InvalidKeyError(f"store prefix {prefix!r} is not a plain relative path") from None


def read_optional(store: RawZoneStore, key: str) -> bytes | None:
    """The object's bytes, or None when `key` names none (any other failure still raises)."""
    try:
        return store.read(key)
    except MissingObjectError:
        return None
