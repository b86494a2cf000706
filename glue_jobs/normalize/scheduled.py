"""A scheduled run: a delta build on top of the last one, or a full rebuild when asked or needed.

Each run writes its build into its own folder under the build prefix (lineage.build_pointer) and
returns the pointer to record once the build is loaded: `LATEST.json` names the last build the
graph holds, and the next run continues from it. Without a pointer, with `full`, or when the
delta finds that only a full rebuild reflects the raw zone (`FullRebuildNeededError`: changed
objects, new code), the run is a full rebuild.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from glue_jobs.normalize.build_steps import BuildResult, Progress, quiet
from glue_jobs.normalize.delta import ParentReader, run_delta
from glue_jobs.normalize.job import run_normalize
from glue_jobs.normalize.params import NormalizeParams
from lineage.build_pointer import POINTER_FILE, BuildKind, BuildPointer, build_folder
from lineage.delta_selection import read_parent
from lineage.delta_state import FullRebuildNeededError
from lineage.store import RawZoneStore, read_optional
from stores import open_store

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

__all__ = ["read_pointer", "record_pointer", "run_scheduled"]


def read_pointer(prefix: str) -> BuildPointer | None:
    """The last recorded build under `prefix`, or None before the first."""
    raw = read_optional(open_store(prefix), POINTER_FILE)
    return None if raw is None else BuildPointer.from_json(raw, f"{prefix}/{POINTER_FILE}")


def record_pointer(prefix: str, pointer: BuildPointer) -> None:
    """Make `pointer` the build the next scheduled run continues from."""
    open_store(prefix, create=True).write(POINTER_FILE, pointer.to_json())


def run_scheduled(
    spark: SparkSession,
    lake: RawZoneStore,
    prefix: str,
    params: NormalizeParams,
    *,
    full: bool = False,
    progress: Progress = quiet,
    read: ParentReader = read_parent,
) -> tuple[BuildResult, BuildPointer]:
    """Build into a new folder under `prefix`; the result and the pointer to record after it.

    `params.landed_before_ms` (the run's cut-off) is required; `params.out` is replaced;
    `read` reads the parent build (a caller looking often may cache it).
    """
    cutoff = params.landed_before_ms
    if cutoff is None:
        raise ValueError("a scheduled run needs its cut-off (landed_before)")
    prefix = prefix.rstrip("/")
    pointer = read_pointer(prefix)
    if pointer is not None and not full:
        folder = build_folder(cutoff, BuildKind.DELTA)
        out = f"{prefix}/{folder}"
        try:
            result = run_delta(
                spark,
                lake,
                open_store(f"{prefix}/{pointer.build}"),
                open_store(out, create=True),
                replace(params, out=out),
                progress,
                read,
            )
            return result, BuildPointer(folder, cutoff, BuildKind.DELTA)
        except FullRebuildNeededError as exc:
            progress(f"{exc}: running a full rebuild instead")
    folder = build_folder(cutoff, BuildKind.FULL)
    out = f"{prefix}/{folder}"
    result = run_normalize(
        spark, lake, open_store(out, create=True), replace(params, out=out), progress
    )
    return result, BuildPointer(folder, cutoff, BuildKind.FULL)
