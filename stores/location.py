"""`open_store(uri)`: the one reading of a store location, for every command and job."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lineage.store import UnsupportedLocationError
from stores.local import LocalStore

if TYPE_CHECKING:
    from stores.s3 import S3Store

__all__ = ["S3_SCHEMES", "open_store"]

# `s3a://` is how Spark and Hadoop spell S3 (and `s3n://` their older client): a job's
# arguments often carry them, and they name the same objects as `s3://`.
S3_SCHEMES = ("s3://", "s3a://", "s3n://")


def open_store(location: str, *, fsync: bool = False, create: bool = False) -> LocalStore | S3Store:
    """The store `location` names: `s3://bucket[/prefix]` (or `s3a://`, `s3n://`), a
    `file://` URI or a directory path.

    S3 uses the default boto3 credentials. `fsync` makes every local write durable before it
    returns; `create` makes the local directory now (a writer should fail at start-up, not at
    its first request). Any other scheme, or S3 without a bucket, is an
    `UnsupportedLocationError` naming the location.
    """
    for scheme in S3_SCHEMES:
        if location.startswith(scheme):
            bucket, _, prefix = location[len(scheme) :].partition("/")
            if not bucket:
                raise UnsupportedLocationError(f"store location {location!r} names no bucket")
            from stores.s3 import S3Store  # botocore only for S3 locations

            return S3Store(bucket, prefix)
    path = location.removeprefix("file://")
    if "://" in path:
        raise UnsupportedLocationError(
            f"store location {location!r}: only s3:// and directories are supported "
            "(also s3a://, s3n:// and file://)"
        )
    store = LocalStore(path or ".", fsync=fsync)
    if create:
        store.make_root()
    return store
