"""Open the raw-zone store a location string names: `s3://bucket/prefix` or a directory."""

from __future__ import annotations

from pathlib import Path

from lambdas.producer.errors import StoreError
from lambdas.producer.local_store import LocalRawZoneStore
from lambdas.producer.s3_store import S3RawZoneStore
from lambdas.producer.store import RawZoneStore


def open_store(location: str, *, fsync: bool = False) -> RawZoneStore:
    """A store for `s3://bucket[/prefix]` (default boto3 credentials) or a local directory."""
    if location.startswith("s3://"):
        bucket, _, prefix = location[len("s3://") :].partition("/")
        if not bucket:
            raise StoreError(f"raw-zone location {location!r} names no bucket")
        import boto3  # imported here so a local lake never pays boto3's start-up time

        return S3RawZoneStore(boto3.client("s3"), bucket, prefix)
    if "://" in location:
        raise StoreError(
            f"raw-zone location {location!r}: only s3:// and directories are supported"
        )
    return LocalRawZoneStore(Path(location), fsync=fsync)
