"""The write: one shuffle by group, a sort by id, and each task writes its labels' files.

Files and their order depend only on the rows, never on partitioning: byte-identical rebuilds.
Ids are deduplicated (the smallest line of an id wins; rows that add different `set` values to
one vertex are all kept, `rows.dedup_key`); a `Dataset` id's claims are merged by
lineage.dataset_properties. Lines become files through the one CSV writer (lineage.graph_csv).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from glue_jobs.normalize.params import NormalizeParams
from glue_jobs.normalize.rows import DATASETS, GROUPS, STATUS_GROUP
from glue_jobs.normalize.statements import STATEMENT_GROUP, StatementFiles
from lineage.dataset_properties import DatasetClaims
from lineage.delta_state import STATE_PREFIX, STATEFUL_GROUPS, StateFile, StateLines, state_path
from lineage.graph_csv import EDGES_PREFIX, VERTICES_PREFIX, CsvFile, LabelFiles, csv_line
from lineage.manifest import OutputFile
from lineage.quarantine import PayloadStatus
from lineage.store import BuildStore

if TYPE_CHECKING:
    import pyarrow as pa  # type: ignore[import-untyped]
    from pyspark.sql import DataFrame, Row

__all__ = [
    "OUT_SCHEMA",
    "OutRowKind",
    "Written",
    "collect_written",
    "load",
    "store_state",
    "write_partition",
]

OUT_SCHEMA = (
    "kind string, label string, path string, rows long, size long, sha256 string, status string"
)


class OutRowKind(StrEnum):
    """What an OUT_SCHEMA row reports."""

    FILE = "file"  # one file written
    STATUS = "status"  # one plan payload's PayloadStatus (JSON)


def _stored(store: BuildStore, written: CsvFile) -> tuple[Any, ...]:
    """Write one finished file to `store`; its OUT_SCHEMA row."""
    store.write(written.path, written.data)
    return (
        OutRowKind.FILE.value,
        written.label,
        written.path,
        written.rows,
        len(written.data),
        written.sha256,
        None,
    )


def write_partition(
    store: BuildStore, params: NormalizeParams, state: bool = False
) -> Callable[..., Iterator[Any]]:
    """The `mapInArrow` function that writes the sorted rows of its partition to files.

    Rows arrive sorted by (group, id, line); the first line of each (group, id) wins (the
    smallest), so a vertex or edge seen in several payloads is written once. `Dataset` rows are
    claims instead: all claims on one id merge into the one line written. With `state`, the
    value kept for each id of a stateful label is also written to its state file (the next
    delta build's input, lineage.delta_state); a group lives in one partition, so one file each.
    """
    import pyarrow as pa

    def run(batches: Iterable[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        files: LabelFiles | None = None
        files_group: str | None = None
        last: tuple[str, str] | None = None
        pending: DatasetClaims | None = None
        results: list[tuple[Any, ...]] = []
        # Streamed, compressed as they come: a group's values are never all held at once.
        kept: dict[str, StateLines] = {}

        def keep(group: str, row_id: str, value: str) -> None:
            if state and group in STATEFUL_GROUPS:
                lines = kept.get(group)
                if lines is None:
                    lines = kept[group] = StateLines(state_path(group))
                lines.add(row_id, value)

        statements = StatementFiles(params.target_file_bytes, params.gzip)

        def close() -> None:
            finished = files.close() if files is not None else None
            if finished is not None:
                results.append(_stored(store, finished))

        def emit(group: str, line: str) -> None:
            nonlocal files, files_group
            if files is None or files_group != group:
                close()
                files = LabelFiles(
                    GROUPS[group], target_bytes=params.target_file_bytes, gzip=params.gzip
                )
                files_group = group
            finished = files.add(line)
            if finished is not None:
                results.append(_stored(store, finished))

        def flush_dataset() -> None:
            nonlocal pending
            if pending is not None:
                emit(DATASETS, csv_line(pending.vertex()))
                assert last is not None
                keep(DATASETS, last[1], pending.to_json())
                pending = None

        for batch in batches:
            groups = batch.column(0).to_pylist()
            ids = batch.column(1).to_pylist()
            lines = batch.column(2).to_pylist()
            for group, row_id, line in zip(groups, ids, lines, strict=True):
                if group == STATEMENT_GROUP:  # members of one statement: decided together
                    results.extend(_stored(store, f) for f in statements.add(row_id, line))
                    continue
                if group == DATASETS:
                    made = DatasetClaims.from_json(line)
                    if (group, row_id) == last and pending is not None:
                        pending = pending.merge(made)
                        continue
                    flush_dataset()
                    last = (group, row_id)
                    pending = made
                    continue
                flush_dataset()
                if (group, row_id) == last:
                    continue
                last = (group, row_id)
                if group == STATUS_GROUP:
                    results.append((OutRowKind.STATUS.value, None, None, None, None, None, line))
                    continue
                emit(group, line)
                keep(group, row_id, line)
        flush_dataset()
        close()
        for group, lines in kept.items():
            kept_file = lines.close()
            store.write(kept_file.path, kept_file.data)
            row = (OutRowKind.FILE.value, group, kept_file.path, kept_file.rows)
            results.append((*row, len(kept_file.data), kept_file.sha256, None))
        results.extend(_stored(store, f) for f in statements.close())
        cols: list[Any] = list(zip(*results, strict=True)) if results else [[]] * 7
        yield pa.RecordBatch.from_arrays(
            [
                pa.array(cols[0], pa.string()),
                pa.array(cols[1], pa.string()),
                pa.array(cols[2], pa.string()),
                pa.array(cols[3], pa.int64()),
                pa.array(cols[4], pa.int64()),
                pa.array(cols[5], pa.string()),
                pa.array(cols[6], pa.string()),
            ],
            names=["kind", "label", "path", "rows", "size", "sha256", "status"],
        )

    return run


def load(
    rows: DataFrame, store: BuildStore, params: NormalizeParams, state: bool = False
) -> DataFrame:
    """Shuffle rows by label, sort by id, and write them: one OUT_SCHEMA row per file or status
    (with `state`, also the stateful labels' state files)."""
    # Fewer, larger tasks: each one writes whole labels, so this changes speed, never bytes.
    parallelism = rows.sparkSession.sparkContext.defaultParallelism
    partitions = max(1, min(len(GROUPS) + 1, parallelism * 2))
    ordered = rows.repartition(partitions, "group").sortWithinPartitions("group", "id", "line")
    return ordered.mapInArrow(write_partition(store, params, state), OUT_SCHEMA)


@dataclass(frozen=True)
class Written:
    """What the write reported: the files, and the status of every plan payload."""

    files: tuple[OutputFile, ...]
    statuses: tuple[PayloadStatus, ...]


def collect_written(rows: Iterable[Row]) -> Written:
    """Gather the OUT_SCHEMA rows on the driver."""
    files: list[OutputFile] = []
    statuses: dict[str, PayloadStatus] = {}
    for row in rows:
        if row["kind"] == OutRowKind.FILE:
            path = row["path"]
            kind = (
                "vertex"
                if path.startswith(VERTICES_PREFIX)
                else "edge"
                if path.startswith(EDGES_PREFIX)
                else "state"
            )
            assert kind != "state" or path.startswith(STATE_PREFIX), path
            files.append(
                OutputFile(row["path"], kind, row["label"], row["rows"], row["size"], row["sha256"])
            )
        else:
            status = PayloadStatus.from_json(row["status"])
            statuses[status.key] = status
    return Written(tuple(files), tuple(statuses.values()))


def store_state(out: BuildStore, files: Iterable[StateFile]) -> tuple[OutputFile, ...]:
    """Store state files made on the driver (the index, a delta's merged state, the counted
    edge ids) in `out`; their manifest entries."""
    stored: list[OutputFile] = []
    for made in files:
        out.write(made.path, made.data)
        stored.append(
            OutputFile(made.path, "state", made.path, made.rows, len(made.data), made.sha256)
        )
    return tuple(stored)
