"""The one interface of every raw-zone backend: create-once, read, list; no update, no delete."""

from __future__ import annotations

from typing import Protocol


class RawZoneStore(Protocol):
    """A write-once key/value store under one root; keys come from `lineage.raw_zone_layout`.

    Backends wrap their own failures in `StoreError` exactly once.
    """

    @property
    def location(self) -> str:
        """Where the raw zone lives (`s3://bucket/prefix/` or a directory), for messages."""
        ...

    def create(self, key: str, body: bytes, content_type: str) -> bool:
        """Store `body` under `key` unless the key exists; True when this call created it.

        Atomic and exclusive: of concurrent creates of one key exactly one returns True, and a
        reader never sees a partial object.
        """
        ...

    def read(self, key: str) -> bytes | None:
        """The object's bytes, or None when the key does not exist."""
        ...

    def list_keys(self, prefix: str) -> list[str]:
        """Every key starting with `prefix`, sorted."""
        ...
