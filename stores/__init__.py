"""The backends of `lineage.store`: a local directory and an S3 prefix, opened from one URI.

The producer, the nightly job, `lineage verify` and the benchmarks all open their raw zone and
build folder here, so a location means the same thing everywhere. It sits beside the core, not
inside an adapter, so `lambdas/producer` and `glue_jobs` share it without depending on each
other; it depends on the core only (and boto3 for S3).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from stores.local import LocalStore
from stores.location import open_store

if TYPE_CHECKING:
    from stores.s3 import S3Store

__all__ = ["LocalStore", "S3Store", "open_store"]


def __getattr__(name: str) -> Any:
    # botocore takes about 0.1 s to import: a local run (and every Spark worker unpickling a
    # LocalStore) never pays it.
    if name == "S3Store":
        from stores.s3 import S3Store

        return S3Store
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
