"""The steps a full build (`job.run_normalize`) and a delta build (`delta.run_delta`) share:
the output folder's check, the key frames, the batch accounts, and the report, manifest and
run-info files."""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from glue_jobs.normalize.events import EventRowKind, batch_accounts
from glue_jobs.normalize.params import NormalizeParams
from lineage.delta_state import STATE_PREFIX
from lineage.errors import LineageError
from lineage.graph_csv import EDGES_PREFIX, LOAD_PREFIX, MARKER_PREFIX, VERTICES_PREFIX
from lineage.manifest import (
    MANIFEST_FILE,
    RUN_INFO_FILE,
    Manifest,
    OutputFile,
    RunInfo,
    code_fingerprint,
    is_build_file,
)
from lineage.quarantine import Accounts, EventBatch, QuarantineReport
from lineage.raw_zone_layout import parse_raw_key
from lineage.store import BuildStore

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

__all__ = [
    "EVENT_KEYS_PER_PARTITION",
    "PLAN_KEYS_PER_PARTITION",
    "QUARANTINE_FILE",
    "BuildResult",
    "OutputFolderError",
    "Progress",
    "account_batches",
    "check_output_folder",
    "keys_frame",
    "plan_keys_frame",
    "quiet",
    "retire_previous_build",
    "write_manifest",
    "write_report",
    "write_run_info",
]

QUARANTINE_FILE = "quarantine.json"
# Keys per Spark partition: event batches are small and many, plans larger.
EVENT_KEYS_PER_PARTITION = 4000
PLAN_KEYS_PER_PARTITION = 2000

Progress = Callable[[str], None]


def quiet(_: str) -> None:
    """The progress callback that says nothing (the default)."""
    return None


@dataclass(frozen=True)
class BuildResult:
    """What one rebuild produced."""

    out: str
    manifest: Manifest
    report: QuarantineReport
    run_info: RunInfo

    @property
    def load_source(self) -> str:
        """The folder to hand the loader: vertex and edge files only."""
        return f"{self.out.rstrip('/')}/{LOAD_PREFIX}"

    @property
    def marker_source(self) -> str:
        """The build marker's folder, loaded after `load_source` (lineage.build_marker)."""
        return f"{self.out.rstrip('/')}/{MARKER_PREFIX}"

    @property
    def vertex_prefix(self) -> str:
        """Where the vertex files are (load these first)."""
        return f"{self.out.rstrip('/')}/{VERTICES_PREFIX}"

    @property
    def edge_prefix(self) -> str:
        """Where the edge files are."""
        return f"{self.out.rstrip('/')}/{EDGES_PREFIX}"


class OutputFolderError(LineageError):
    """The output folder holds files no rebuild writes: it is not (only) a previous build."""


def check_output_folder(out: BuildStore) -> None:
    """Raise `OutputFolderError` when `out` holds anything but a previous build (or nothing)."""
    foreign = [key for key, _ in out.list("") if not is_build_file(key)]
    if foreign:
        shown = ", ".join(foreign[:5]) + (
            f" and {len(foreign) - 5} more" if len(foreign) > 5 else ""
        )
        raise OutputFolderError(
            f"{out.root} holds {len(foreign)} files no rebuild writes ({shown}); give --out an "
            "empty folder or a previous build's, nothing there is deleted"
        )


def retire_previous_build(out: BuildStore) -> None:
    """Refuse an output folder holding anything but a build; remove the old manifest first.

    The manifest is the build's seal: removed before a single file changes and written last, a
    failed or killed rebuild leaves no manifest naming files that are gone.
    """
    check_output_folder(out)
    for name in (MANIFEST_FILE, RUN_INFO_FILE, QUARANTINE_FILE, STATE_PREFIX, MARKER_PREFIX):
        out.delete_prefix(name)


def account_batches(events: DataFrame, progress: Progress) -> dict[str, EventBatch]:
    """Each event batch's account, on the driver (one small record per batch, no events)."""
    from pyspark.sql import functions as F

    progress("parsing execution events")
    accounts = events.where(F.col("kind") == EventRowKind.BATCH.value).select("payload")
    # Partition by partition: the rows in transit are one partition's, never the lake's.
    return batch_accounts(accounts.toLocalIterator(prefetchPartitions=True))


def write_report(out: BuildStore, report: QuarantineReport, max_bad_share: float) -> OutputFile:
    """Write quarantine.json; with too many bad payloads, remove the CSV files and raise."""
    data = report.to_json()
    out.write(QUARANTINE_FILE, data)
    try:
        report.check_share(max_bad_share)
    except Exception:
        out.delete_prefix(LOAD_PREFIX)
        raise
    return OutputFile(
        QUARANTINE_FILE,
        "report",
        "quarantine",
        report.quarantined,
        len(data),
        hashlib.sha256(data).hexdigest(),
    )


def write_manifest(
    out: BuildStore, params: NormalizeParams, accounts: Accounts, outputs: Iterable[OutputFile]
) -> Manifest:
    """Write manifest.json, the build's seal, last but for run-info.json."""
    report = accounts.report
    manifest = Manifest(
        code_version=code_fingerprint(["lineage", "glue_jobs"]),
        parameters=params.manifest_parameters(),
        inputs=accounts.inputs,
        outputs=tuple(sorted(outputs)),
        payloads={
            "read": report.read,
            "normalized": report.normalized,
            "quarantined": report.quarantined,
            "excluded": report.excluded,
        },
        quarantine_by_reason=report.by_reason(),
    )
    out.write(MANIFEST_FILE, manifest.to_json())
    return manifest


def write_run_info(spark: SparkSession, out: BuildStore, started: float) -> RunInfo:
    """Write run-info.json: the wall-clock facts the manifest leaves out."""
    finished = time.time()
    run_info = RunInfo(
        started_at=_utc_iso(started),
        finished_at=_utc_iso(finished),
        duration_s=finished - started,
        spark_version=spark.version,
        master=str(spark.sparkContext.master),
    )
    out.write(RUN_INFO_FILE, run_info.to_json())
    return run_info


def _utc_iso(seconds: float) -> str:
    return dt.datetime.fromtimestamp(seconds, tz=dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def keys_frame(spark: SparkSession, keys: Sequence[str], per_partition: int) -> DataFrame:
    """A one-column DataFrame of keys, built in the JVM from Arrow (no Python worker round trip)."""
    return _frame(spark, {"key": keys}, "key string", per_partition)


def plan_keys_frame(spark: SparkSession, keys: Sequence[str]) -> DataFrame:
    """Plan keys beside the plan id each names (what the plan pass joins their events on)."""
    plan_ids = [str(parse_raw_key(key).plan_id) for key in keys]
    return _frame(
        spark,
        {"key": keys, "plan_id": plan_ids},
        "key string, plan_id string",
        PLAN_KEYS_PER_PARTITION,
    )


def _frame(
    spark: SparkSession, columns: Mapping[str, Sequence[str]], schema: str, per_partition: int
) -> DataFrame:
    import pandas as pd

    count = len(next(iter(columns.values())))
    parallelism = spark.sparkContext.defaultParallelism
    # No cap on the task count: a task's memory follows its share of keys, never the lake's.
    slices = max(parallelism, math.ceil(count / per_partition))
    # A whole number of rounds: 5 equal tasks on 2 cores leave one core idle for the last fifth
    # of the pass, 6 keep both busy to the end (the tasks are uniform: keys in equal shares).
    slices = math.ceil(slices / parallelism) * parallelism
    spark.conf.set("spark.sql.execution.arrow.pyspark.enabled", "true")
    frame = spark.createDataFrame(
        pd.DataFrame({name: pd.Series(values, dtype="object") for name, values in columns.items()}),
        schema,
    )
    return frame.repartition(max(1, min(slices, count)))
