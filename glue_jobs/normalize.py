"""Nightly normalize job: raw zone -> Neptune Gremlin bulk-load CSVs, manifest, quarantine report.

Shape (every step is a plain function; `run_normalize` composes them):

1. `select_inputs` (driver): list `plans/` and `events/` under the raw zone, keep the date range.
2. `parse_events` (Spark, `mapInArrow`): event batches -> one compact row per event (or a
   quarantine row). The driver collects them (events are small) and broadcasts them by plan id.
3. `transform` (Spark, `mapInArrow`, pure given its inputs): plan keys -> graph rows
   `(group, id, line)` with every CSV line already encoded by lineage.neptune_csv, plus one
   status row per plan payload. Runs are emitted beside their plan, so no join is needed.
4. `load` (Spark): one shuffle by group, a sort by id within it, and `write_partition` writes the
   files itself (no `_SUCCESS`, no `.crc`), deduplicating ids (a `Dataset` id's claims are
   merged by lineage.dataset_properties), rolling files at a size limit.
   Files and their order depend only on the rows, never on partitioning: byte-identical rebuilds.
5. The driver writes `quarantine.json`, `manifest.json` and `run-info.json`, checks the bad share.

Measured facts that shaped it (docs/benchmarks.md): per-row Python <-> JVM conversion and per-file
overhead dominate, so Python sees whole Arrow batches, and each payload is read exactly once.
"""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import io
import math
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import orjson

from glue_jobs.storage import StorageError, Store
from lineage import integrity
from lineage import spline_model as sm
from lineage.dataset_identity import LayerRules
from lineage.dataset_properties import DatasetClaims
from lineage.errors import LineageError
from lineage.graph_schema import (
    EDGE_CLASSES,
    VERTEX_CLASSES,
    DatasetVertex,
    GraphRow,
    csv_header,
    csv_line,
)
from lineage.manifest import (
    MANIFEST_FILE,
    RUN_INFO_FILE,
    InputObject,
    Manifest,
    OutputFile,
    RunInfo,
    code_fingerprint,
    is_build_file,
)
from lineage.neptune_csv import LINE_END, header_line
from lineage.plan_graph import RawSource, plan_graph, run_rows
from lineage.quarantine import QuarantineEntry, QuarantineReport, Reason, classify
from lineage.raw_zone_layout import (
    EVENTS_PREFIX,
    PLANS_PREFIX,
    SIDECAR_SUFFIX,
    InvalidMetadataError,
    RawObjectMetadata,
    RawZoneKeyError,
    is_temporary,
    parse_raw_key,
)

if TYPE_CHECKING:
    import pyarrow as pa  # type: ignore[import-untyped]
    from pyspark.sql import DataFrame, SparkSession

__all__ = [
    "EDGES_PREFIX",
    "EVENT_SCHEMA",
    "LOAD_PREFIX",
    "OUT_SCHEMA",
    "QUARANTINE_FILE",
    "ROW_SCHEMA",
    "VERTICES_PREFIX",
    "BuildResult",
    "EventRef",
    "NormalizeParams",
    "OutputFolderError",
    "Selection",
    "check_output_folder",
    "load",
    "parse_events",
    "run_normalize",
    "select_inputs",
    "transform",
    "write_partition",
]

# Everything the loader loads lives under LOAD_PREFIX and nothing else does: Neptune's bulk loader
# and the local loader read every object under the prefix they are given.
LOAD_PREFIX = "csv/"
VERTICES_PREFIX = LOAD_PREFIX + "vertices/"
EDGES_PREFIX = LOAD_PREFIX + "edges/"
QUARANTINE_FILE = "quarantine.json"
STATUS_GROUP = "~status"
# Labels whose rows recur across plans; a task keeps the smallest line per id before the shuffle.
_SHARED = frozenset({"v/Job", "v/Dataset", "v/Column", "e/OF", "e/HAS_PLAN"})
# Dataset rows travel as their plans' claims (lineage.dataset_properties), not as CSV lines: the
# writer merges every claim on one id by the documented precedence, whatever the order.
_DATASETS = "v/Dataset"
_OUT_ROWS_PER_BATCH = 20_000
_ENCODED_CACHE_ROWS = 200_000

Progress = Callable[[str], None]


def _quiet(_: str) -> None:
    return None


@dataclass(frozen=True)
class NormalizeParams:
    """Everything that determines a build's output (recorded in the manifest)."""

    lake: str
    out: str
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    max_bad_share: float = 0.05
    gzip: bool = False
    target_file_bytes: int = 64 * 1024 * 1024
    layer_rules: LayerRules = field(default_factory=LayerRules.default)
    layer_rules_source: str = "default"
    as_of_ms: int | None = None  # audits: only executions whose event time is <= this
    landed_before_ms: int | None = None  # audits: only payloads received before this

    def manifest_parameters(self) -> dict[str, str | int | float | bool | None]:
        """Parameters that shape the output (locations excluded: a copied lake builds the same)."""
        return {
            "date_from": self.date_from.isoformat() if self.date_from else None,
            "date_to": self.date_to.isoformat() if self.date_to else None,
            "max_bad_share": self.max_bad_share,
            "gzip": self.gzip,
            "target_file_bytes": self.target_file_bytes,
            "layer_rules": self.layer_rules_source,
            "layer_rules_sha256": hashlib.sha256(repr(self.layer_rules).encode()).hexdigest(),
            "as_of_ms": self.as_of_ms,
            "landed_before_ms": self.landed_before_ms,
        }


# ------------------------------------------------------------------------------------ selection


@dataclass(frozen=True)
class Selection:
    """The raw-zone keys one build considers."""

    plan_keys: tuple[str, ...]
    event_keys: tuple[str, ...]
    # Objects under plans/ or events/ that the layout does not produce (never read).
    unknown_keys: tuple[str, ...]
    # Plan keys whose plan id has an earlier stored body: key -> the key that is used.
    duplicates: Mapping[str, str]


def _in_range(day: str, first: dt.date | None, last: dt.date | None) -> bool:
    return (first is None or day >= first.isoformat()) and (last is None or day <= last.isoformat())


def select_inputs(store: Store, params: NormalizeParams) -> Selection:
    """List the raw zone and keep what the date range selects.

    Events: those received in the range. Plans: those received in the range, plus (found later
    from the events) plans received earlier that the selected events name; every plan received
    after the range is left out. One body per plan id is used: the first one stored.
    """
    event_keys: list[str] = []
    unknown: list[str] = []
    for key, _ in store.list(EVENTS_PREFIX):
        if key.endswith(SIDECAR_SUFFIX) or is_temporary(key):
            continue
        try:
            raw = parse_raw_key(key)
        except RawZoneKeyError:
            unknown.append(key)
            continue
        if _in_range(raw.date, params.date_from, params.date_to):
            event_keys.append(key)
    by_plan: dict[str, list[tuple[bool, str, str]]] = {}
    for key, _ in store.list(PLANS_PREFIX):
        if key.endswith(SIDECAR_SUFFIX) or is_temporary(key):
            continue
        try:
            raw = parse_raw_key(key)
        except RawZoneKeyError:
            unknown.append(key)
            continue
        if not _in_range(raw.date, None, params.date_to):
            continue
        assert raw.plan_id is not None
        # The first stored body is the one without a `~variant`; among variants, the earliest day.
        by_plan.setdefault(raw.plan_id, []).append((raw.sha256_prefix is not None, raw.date, key))
    plan_keys: list[str] = []
    duplicates: dict[str, str] = {}
    for variants in by_plan.values():
        variants.sort()
        chosen = variants[0][2]
        plan_keys.append(chosen)
        for _, _, key in variants[1:]:
            plan_keys.append(key)
            duplicates[key] = chosen
    return Selection(
        tuple(sorted(plan_keys)), tuple(sorted(event_keys)), tuple(sorted(unknown)), duplicates
    )


# ------------------------------------------------------------------------------ reading payloads


@dataclass(frozen=True)
class _Loaded:
    key: str
    body: bytes
    meta: RawObjectMetadata
    meta_size: int
    meta_sha256: str

    @property
    def source(self) -> RawSource:
        return RawSource(self.key, hashlib.sha256(self.body).hexdigest())


class _LoadError(Exception):
    def __init__(self, reason: Reason, detail: str, inputs: list[dict[str, Any]]) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail
        self.inputs = inputs


def _input(key: str, data: bytes) -> dict[str, Any]:
    return {"key": key, "size": len(data), "sha256": hashlib.sha256(data).hexdigest()}


def _load(
    store: Store, key: str, inputs: list[dict[str, Any]], params: NormalizeParams
) -> _Loaded | None:
    """Read a payload and its sidecar and check one against the other; None when the payload
    had not landed by `params.landed_before_ms`. Appends both objects to `inputs` (the
    manifest's record) as they are read, so a quarantined payload is named with its bytes."""
    try:
        body = store.read(key)
    except StorageError as exc:
        raise _LoadError(Reason.NORMALIZE_FAILED, f"cannot read the payload: {exc}", []) from exc
    inputs.append(_input(key, body))
    try:
        meta_bytes = store.read(key + SIDECAR_SUFFIX)
    except StorageError as exc:
        raise _LoadError(
            Reason.MISSING_METADATA, f"no sidecar {key}{SIDECAR_SUFFIX}", inputs
        ) from exc
    inputs.append(_input(key + SIDECAR_SUFFIX, meta_bytes))
    try:
        meta = RawObjectMetadata.from_json(meta_bytes)
    except InvalidMetadataError as exc:
        raise _LoadError(Reason.INVALID_METADATA, f"invalid sidecar: {exc}", inputs) from exc
    except RawZoneKeyError as exc:
        raise _LoadError(Reason.MISSING_METADATA, f"unreadable sidecar: {exc}", inputs) from exc
    # A payload that had not landed by then is out of the picture, whatever is wrong with it.
    if params.landed_before_ms is not None and meta.received_ms >= params.landed_before_ms:
        return None
    # Trust nothing read back: the bytes must be those the producer acknowledged.
    integrity.check_payload(key, body, meta)
    return _Loaded(key, body, meta, len(meta_bytes), inputs[1]["sha256"])


def _quarantined(key: str, exc: Exception, inputs: list[dict[str, Any]]) -> dict[str, Any]:
    """The status document of a payload that one error stopped (any error: isolation)."""
    if isinstance(exc, _LoadError):
        reason, detail = exc.reason, exc.detail
        inputs = exc.inputs or inputs
    else:
        reason, detail = classify(exc)
    return {
        "key": key,
        "status": "quarantined",
        "reason": reason.value,
        "detail": detail,
        "inputs": inputs,
    }


def _version(meta: RawObjectMetadata, key: str, inputs: list[dict[str, Any]]) -> sm.ApiVersion:
    try:
        return sm.ApiVersion(meta.api_version)
    except ValueError as exc:
        raise _LoadError(
            Reason.UNKNOWN_VERSION,
            f"producer API version {meta.api_version!r} in the sidecar of {key} "
            "is not 1, 1.1 or 1.2",
            inputs,
        ) from exc


def _keys(batch: pa.RecordBatch) -> list[str]:
    return [str(k) for k in batch.column(0).to_pylist()]


# --------------------------------------------------------------------------------- events (pass 1)

EVENT_SCHEMA = "key string, plan_id string, timestamp long, status string, payload binary"


@dataclass(frozen=True)
class EventRef:
    """One event, as broadcast to the plan pass: where it came from and its JSON."""

    key: str
    sha256: str
    version: str
    event_json: bytes


def _event_rows(store: Store, key: str, params: NormalizeParams) -> list[tuple[Any, ...]]:
    """Rows of EVENT_SCHEMA for one event batch: one `event` row per event, plus one `status`.

    Never raises: whatever goes wrong with this batch quarantines this batch only.
    """
    inputs: list[dict[str, Any]] = []
    try:
        loaded = _load(store, key, inputs, params)
        if loaded is None:
            status: dict[str, Any] = {"key": key, "status": "not_landed", "inputs": []}
            return [(key, None, None, "status", orjson.dumps(status))]
        version = _version(loaded.meta, key, inputs)
        doc = sm.decode_json(loaded.body)
        parsed = sm.parse_execution_events(doc, version)
        assert isinstance(doc, list)
        sha = inputs[0]["sha256"]
        parsed_status = {"key": key, "status": "parsed", "inputs": inputs}
        rows: list[tuple[Any, ...]] = [(key, None, None, "status", orjson.dumps(parsed_status))]
        for raw_event, event in zip(doc, parsed, strict=True):
            ref = orjson.dumps([sha, version.value, raw_event])
            rows.append((key, event.plan_id, event.timestamp, "event", ref))
        return rows
    except Exception as exc:  # isolation: one payload's failure, whatever it is, is its own
        return [(key, None, None, "status", orjson.dumps(_quarantined(key, exc, inputs)))]


def parse_events(keys: DataFrame, store: Store, params: NormalizeParams) -> DataFrame:
    """Event batch keys -> EVENT_SCHEMA rows (one per event, one status per batch)."""
    import pyarrow as pa

    def run(batches: Iterable[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for batch in batches:
            rows = [row for key in _keys(batch) for row in _event_rows(store, key, params)]
            cols: list[Any] = list(zip(*rows, strict=True)) if rows else [[], [], [], [], []]
            yield pa.RecordBatch.from_arrays(
                [
                    pa.array(cols[0], pa.string()),
                    pa.array(cols[1], pa.string()),
                    pa.array(cols[2], pa.int64()),
                    pa.array(cols[3], pa.string()),
                    pa.array(cols[4], pa.binary()),
                ],
                names=["key", "plan_id", "timestamp", "status", "payload"],
            )

    return keys.mapInArrow(run, EVENT_SCHEMA)


# ---------------------------------------------------------------------------------- plans (pass 2)

ROW_SCHEMA = "group string, id string, line string"


_GROUPS: dict[type, str] = {
    **{cls: f"v/{label.value}" for label, cls in VERTEX_CLASSES.items()},
    **{cls: f"e/{label.value}" for label, cls in EDGE_CLASSES.items()},
}


def _group(row: GraphRow) -> str:
    return _GROUPS[type(row)]


def _plan_rows(
    store: Store,
    key: str,
    events: Mapping[str, tuple[EventRef, ...]],
    params: NormalizeParams,
    duplicate_of: str | None,
    encoded: dict[GraphRow, tuple[str, str, str]] | None = None,
) -> tuple[list[tuple[str, str, str]], dict[str, Any]]:
    """Graph rows of one plan payload (with its runs) and its status document.

    `encoded` caches the encoding of rows that recur across plans (datasets, columns, jobs): many
    plans of a lake read the same tables, and equal rows always encode to the same line.
    """
    inputs: list[dict[str, Any]] = []
    try:
        return _plan_rows_of(store, key, events, params, duplicate_of, encoded, inputs)
    except Exception as exc:  # isolation: one payload's failure, whatever it is, is its own
        return [], _quarantined(key, exc, inputs)


def _plan_rows_of(
    store: Store,
    key: str,
    events: Mapping[str, tuple[EventRef, ...]],
    params: NormalizeParams,
    duplicate_of: str | None,
    encoded: dict[GraphRow, tuple[str, str, str]] | None,
    inputs: list[dict[str, Any]],
) -> tuple[list[tuple[str, str, str]], dict[str, Any]]:
    loaded = _load(store, key, inputs, params)
    if loaded is None:
        return [], {"key": key, "status": "not_landed", "inputs": []}
    if duplicate_of is not None:
        raise _LoadError(
            Reason.DUPLICATE_PLAN,
            f"another body of this plan id is stored at {duplicate_of}; that one is used",
            inputs,
        )
    version = _version(loaded.meta, key, inputs)
    plan = sm.load_execution_plan(loaded.body, version, check_references=False)
    integrity.check_plan_id(key, plan.id)
    sm.check_plan_references(plan, attributes=False)  # unresolved columns: partial lineage
    source = RawSource(key, inputs[0]["sha256"])
    graph = plan_graph(plan, source, params.layer_rules)
    runs: list[GraphRow] = []
    for ref in events.get(plan.id, ()):
        sha, ev_version, raw_event = orjson.loads(ref.event_json)
        (event,) = sm.parse_execution_events([raw_event], sm.ApiVersion(ev_version))
        runs.extend(run_rows(plan.id, graph.job, event, RawSource(ref.key, sha), plan.app_name))
    if params.as_of_ms is not None and not runs:
        # Read and judged: the manifest names it (verify can then tell a plan slipped in later).
        return [], {"key": key, "status": "excluded", "inputs": inputs}
    rows = []
    cache = {} if encoded is None else encoded
    for row in (*graph.rows, *runs):
        if isinstance(row, DatasetVertex):
            # Equal rows can carry different claims (a read's and a write's): not cached.
            row_id = row.id
            rows.append((_DATASETS, row_id, graph.datasets[row_id].to_json()))
            continue
        hit = cache.get(row)
        if hit is None:
            row_id = row.id
            hit = (_group(row), row_id, csv_line(row, row_id))
            if hit[0] in _SHARED:
                if len(cache) >= _ENCODED_CACHE_ROWS:
                    cache.clear()  # bounded memory; a miss only costs a re-encode
                cache[row] = hit
        rows.append(hit)
    status = {
        "key": key,
        "status": "normalized",
        "plan_id": plan.id,
        "runs": len(runs) // 3,
        "inputs": inputs,
    }
    if graph.unresolved:
        shown = ", ".join(graph.unresolved[:10])
        more = f" and {len(graph.unresolved) - 10} more" if len(graph.unresolved) > 10 else ""
        status["partial"] = f"references the plan does not define: {shown}{more}"
    return rows, status


def transform(
    plan_keys: DataFrame,
    store: Store,
    events: Any,
    params: NormalizeParams,
    duplicates: Mapping[str, str],
) -> DataFrame:
    """Plan keys -> ROW_SCHEMA rows: every vertex/edge line, plus one status row per plan.

    `events` is a broadcast (or any object with `.value`) of {plan id: (EventRef, ...)}.
    """
    import pyarrow as pa

    def run(batches: Iterable[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        by_plan: Mapping[str, tuple[EventRef, ...]] = events.value
        shared: dict[tuple[str, str], str] = {}
        claims: dict[str, DatasetClaims] = {}
        encoded: dict[GraphRow, tuple[str, str, str]] = {}
        groups: list[str] = []
        ids: list[str] = []
        lines: list[str] = []

        def flush() -> pa.RecordBatch:
            out = pa.RecordBatch.from_arrays(
                [
                    pa.array(groups, pa.string()),
                    pa.array(ids, pa.string()),
                    pa.array(lines, pa.string()),
                ],
                names=["group", "id", "line"],
            )
            groups.clear()
            ids.clear()
            lines.clear()
            return out

        for batch in batches:
            for key in _keys(batch):
                rows, status = _plan_rows(store, key, by_plan, params, duplicates.get(key), encoded)
                for group, row_id, line in rows:
                    if group == _DATASETS:
                        made = DatasetClaims.from_json(line)
                        seen_claims = claims.get(row_id)
                        claims[row_id] = made if seen_claims is None else seen_claims.merge(made)
                        continue
                    if group in _SHARED:
                        # Keep the smallest line per id: the same choice the writer makes, so the
                        # result does not depend on which task saw which plan.
                        seen = shared.get((group, row_id))
                        if seen is None or line < seen:
                            shared[(group, row_id)] = line
                        continue
                    groups.append(group)
                    ids.append(row_id)
                    lines.append(line)
                groups.append(STATUS_GROUP)
                ids.append(key)
                lines.append(orjson.dumps(status).decode())
                if len(groups) >= _OUT_ROWS_PER_BATCH:
                    yield flush()
        for (group, row_id), line in shared.items():
            groups.append(group)
            ids.append(row_id)
            lines.append(line)
        for row_id, merged in claims.items():
            groups.append(_DATASETS)
            ids.append(row_id)
            lines.append(merged.to_json())
        if groups:
            yield flush()

    return plan_keys.mapInArrow(run, ROW_SCHEMA)


# ------------------------------------------------------------------------------------- writing

OUT_SCHEMA = (
    "kind string, label string, path string, rows long, size long, sha256 string, status string"
)

_HEADERS: dict[str, str] = {
    **{f"v/{label.value}": header_line(csv_header(cls)) for label, cls in VERTEX_CLASSES.items()},
    **{f"e/{label.value}": header_line(csv_header(cls)) for label, cls in EDGE_CLASSES.items()},
}


class _FileRoller:
    """Accumulates the lines of one label into files of at most `limit` bytes (before gzip)."""

    def __init__(self, store: Store, group: str, params: NormalizeParams) -> None:
        self.store = store
        self.group = group
        self.params = params
        self.seq = 0
        self.buffer = io.StringIO()
        self.size = 0
        self.rows = 0
        self.header = _HEADERS[group] + LINE_END
        self.written: list[tuple[Any, ...]] = []

    def add(self, line: str) -> None:
        if self.rows and self.size + len(line) + 1 > self.params.target_file_bytes:
            self.close_file()
        if not self.rows:
            self.buffer.write(self.header)
            self.size = len(self.header)
        self.buffer.write(line)
        self.buffer.write(LINE_END)
        self.size += len(line) + 1
        self.rows += 1

    def close_file(self) -> None:
        if not self.rows:
            return
        kind, label = self.group.split("/", 1)
        folder = VERTICES_PREFIX if kind == "v" else EDGES_PREFIX
        data = self.buffer.getvalue().encode("utf-8")
        name = f"{folder}{label}-{self.seq:05d}.csv"
        if self.params.gzip:
            # mtime=0 and no file name in the gzip header: identical input, identical bytes.
            compressed = io.BytesIO()
            with gzip.GzipFile(filename="", mode="wb", fileobj=compressed, mtime=0) as zipped:
                zipped.write(data)
            data = compressed.getvalue()
            name += ".gz"
        self.store.write(name, data)
        self.written.append(
            ("file", label, name, self.rows, len(data), hashlib.sha256(data).hexdigest(), None)
        )
        self.seq += 1
        self.buffer = io.StringIO()
        self.size = 0
        self.rows = 0


def write_partition(store: Store, params: NormalizeParams) -> Callable[..., Iterator[Any]]:
    """The `mapInArrow` function that writes the sorted rows of its partition to files.

    Rows arrive sorted by (group, id, line); the first line of each (group, id) wins (the
    smallest), so a vertex or edge seen in several payloads is written once. `Dataset` rows are
    claims instead: all claims on one id merge into the one line written.
    """
    import pyarrow as pa

    def run(batches: Iterable[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        roller: _FileRoller | None = None
        last: tuple[str, str] | None = None
        pending: DatasetClaims | None = None
        results: list[tuple[Any, ...]] = []

        def emit(group: str, line: str) -> None:
            nonlocal roller
            if roller is None or roller.group != group:
                if roller is not None:
                    roller.close_file()
                    results.extend(roller.written)
                roller = _FileRoller(store, group, params)
            roller.add(line)

        def flush_dataset() -> None:
            nonlocal pending
            if pending is not None:
                emit(_DATASETS, csv_line(pending.vertex()))
                pending = None

        for batch in batches:
            groups = batch.column(0).to_pylist()
            ids = batch.column(1).to_pylist()
            lines = batch.column(2).to_pylist()
            for group, row_id, line in zip(groups, ids, lines, strict=True):
                if group == _DATASETS:
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
                    results.append(("status", None, None, None, None, None, line))
                    continue
                emit(group, line)
        flush_dataset()
        if roller is not None:
            roller.close_file()
            results.extend(roller.written)
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


def load(rows: DataFrame, store: Store, params: NormalizeParams) -> DataFrame:
    """Shuffle rows by label, sort by id, and write them: one OUT_SCHEMA row per file or status."""
    # Fewer, larger tasks: each one writes whole labels, so this changes speed, never bytes.
    parallelism = rows.sparkSession.sparkContext.defaultParallelism
    partitions = max(1, min(len(_HEADERS) + 1, parallelism * 2))
    ordered = rows.repartition(partitions, "group").sortWithinPartitions("group", "id", "line")
    return ordered.mapInArrow(write_partition(store, params), OUT_SCHEMA)


# ----------------------------------------------------------------------------------- the driver


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
    def vertex_prefix(self) -> str:
        """Where the vertex files are (load these first)."""
        return f"{self.out.rstrip('/')}/{VERTICES_PREFIX}"

    @property
    def edge_prefix(self) -> str:
        """Where the edge files are."""
        return f"{self.out.rstrip('/')}/{EDGES_PREFIX}"


def _keys_frame(spark: SparkSession, keys: Iterable[str], per_partition: int) -> DataFrame:
    """A one-column DataFrame of keys, built in the JVM from Arrow (no Python worker round trip)."""
    import pandas as pd

    listed = list(keys)
    parallelism = spark.sparkContext.defaultParallelism
    slices = max(parallelism, min(parallelism * 8, math.ceil(len(listed) / per_partition)))
    spark.conf.set("spark.sql.execution.arrow.pyspark.enabled", "true")
    frame = spark.createDataFrame(
        pd.DataFrame({"key": pd.Series(listed, dtype="object")}), "key string"
    )
    return frame.repartition(max(1, min(slices, len(listed))))


class OutputFolderError(LineageError):
    """The output folder holds files no rebuild writes: it is not (only) a previous build."""


def check_output_folder(out: Store) -> None:
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


def _retire_previous_build(out: Store) -> None:
    """Refuse an output folder holding anything but a build; remove the old manifest first.

    The manifest is the build's seal: removed before a single file changes and written last, a
    failed or killed rebuild leaves no manifest naming files that are gone.
    """
    check_output_folder(out)
    for name in (MANIFEST_FILE, RUN_INFO_FILE, QUARANTINE_FILE):
        out.delete_prefix(name)


def _utc_iso(seconds: float) -> str:
    return dt.datetime.fromtimestamp(seconds, tz=dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def run_normalize(
    spark: SparkSession,
    lake: Store,
    out: Store,
    params: NormalizeParams,
    progress: Progress = _quiet,
) -> BuildResult:
    """Run the whole job; raises TooManyBadPayloadsError (after writing the report) when too
    many payloads are bad, in which case no CSV files are left under the load prefixes."""
    started = time.time()
    _retire_previous_build(out)
    progress(f"listing raw zone {lake.root}")
    selection = select_inputs(lake, params)
    progress(
        f"selected {len(selection.plan_keys)} plan and {len(selection.event_keys)} event payloads"
    )

    # Pass 1: events, collected to the driver.
    progress("parsing execution events")
    event_rows = (
        parse_events(_keys_frame(spark, selection.event_keys, 4000), lake, params).collect()
        if selection.event_keys
        else []
    )
    batch_status: dict[str, dict[str, Any]] = {}
    events_by_plan: dict[str, list[EventRef]] = {}
    batch_plans: dict[str, list[str]] = {}
    excluded_events: dict[str, int] = {}
    for row in event_rows:
        if row["status"] == "status":
            batch_status[row["key"]] = orjson.loads(row["payload"])
            continue
        if params.as_of_ms is not None and row["timestamp"] > params.as_of_ms:
            excluded_events[row["key"]] = excluded_events.get(row["key"], 0) + 1
            continue
        sha, version, _ = orjson.loads(row["payload"])
        events_by_plan.setdefault(row["plan_id"], []).append(
            EventRef(row["key"], sha, version, bytes(row["payload"]))
        )
        batch_plans.setdefault(row["key"], []).append(row["plan_id"])
    for refs in events_by_plan.values():
        refs.sort(key=lambda r: (r.key, r.event_json))

    # Plans: those in the range, plus earlier ones that selected events name.
    wanted = set(events_by_plan)
    plan_keys = [
        k
        for k in selection.plan_keys
        if params.date_from is None
        or parse_raw_key(k).date >= params.date_from.isoformat()
        or parse_raw_key(k).plan_id in wanted
    ]
    broadcast = spark.sparkContext.broadcast({k: tuple(v) for k, v in events_by_plan.items()})

    # Pass 2 + write.
    progress(f"normalizing {len(plan_keys)} plans and writing CSV files to {out.root}")
    out.delete_prefix(LOAD_PREFIX)
    written = (
        load(
            transform(
                _keys_frame(spark, plan_keys, 2000), lake, broadcast, params, selection.duplicates
            ),
            out,
            params,
        ).collect()
        if plan_keys
        else []
    )
    broadcast.unpersist()

    outputs: list[OutputFile] = []
    plan_status: dict[str, dict[str, Any]] = {}
    for row in written:
        if row["kind"] == "file":
            kind = "vertex" if row["path"].startswith(VERTICES_PREFIX) else "edge"
            outputs.append(
                OutputFile(row["path"], kind, row["label"], row["rows"], row["size"], row["sha256"])
            )
        else:
            doc = orjson.loads(row["status"])
            plan_status[doc["key"]] = doc

    # Reconcile: every selected payload is normalized, quarantined or excluded.
    entries: list[QuarantineEntry] = []
    partial = [
        QuarantineEntry(d["key"], Reason.PARTIAL_LINEAGE, d["partial"])
        for d in plan_status.values()
        if d["status"] == "normalized" and d.get("partial")
    ]
    inputs: dict[str, InputObject] = {}
    normalized = excluded = 0
    normalized_plans = {d["plan_id"] for d in plan_status.values() if d["status"] == "normalized"}
    quarantined_plans = {
        str(parse_raw_key(k).plan_id): d
        for k, d in plan_status.items()
        if d["status"] == "quarantined"
    }

    def account(doc: Mapping[str, Any]) -> None:
        nonlocal normalized, excluded
        for item in doc.get("inputs", []):
            inputs[item["key"]] = InputObject(item["key"], item["size"], item["sha256"])
        if doc["status"] == "normalized":
            normalized += 1
        elif doc["status"] == "excluded":
            excluded += 1
        else:
            entries.append(QuarantineEntry(doc["key"], Reason(doc["reason"]), doc["detail"]))

    # Payloads that had not landed by --landed-before are outside the build altogether (neither
    # read nor counted), so a build as of a past instant stays byte-identical as the lake grows.
    not_landed = {
        k for k, d in (*plan_status.items(), *batch_status.items()) if d["status"] == "not_landed"
    }
    for doc in plan_status.values():
        if doc["key"] not in not_landed:
            account(doc)
    read = (
        len(plan_status) + len(selection.event_keys) + len(selection.unknown_keys) - len(not_landed)
    )
    for key in selection.unknown_keys:
        entries.append(
            QuarantineEntry(key, Reason.UNKNOWN_KEY, "not a key the raw-zone layout produces")
        )
    for key in selection.event_keys:
        if key in not_landed:
            continue
        doc = dict(
            batch_status.get(
                key,
                {
                    "key": key,
                    "status": "quarantined",
                    "reason": Reason.INVALID_PAYLOAD.value,
                    "detail": "event batch was not processed",
                },
            )
        )
        if doc["status"] == "parsed":
            named = batch_plans.get(key, [])
            if not named and excluded_events.get(key):
                doc["status"] = "excluded"
            elif any(p in normalized_plans for p in named):
                doc["status"] = "normalized"
            else:
                missing = sorted(set(named) - normalized_plans)
                bad = [p for p in missing if p in quarantined_plans]
                doc["status"] = "quarantined"
                if bad:
                    doc["reason"] = Reason.PLAN_QUARANTINED.value
                    doc["detail"] = (
                        f"plan {bad[0]} was quarantined ({quarantined_plans[bad[0]]['reason']})"
                    )
                else:
                    doc["reason"] = Reason.ORPHAN_EVENTS.value
                    doc["detail"] = (
                        f"names plan {missing[0] if missing else '?'}, which is not in the "
                        "raw zone "
                        "selection"
                    )
        account(doc)
    report = QuarantineReport.build(read, normalized, excluded, entries, partial)
    report_bytes = report.to_json()
    out.write(QUARANTINE_FILE, report_bytes)
    outputs.append(
        OutputFile(
            QUARANTINE_FILE,
            "report",
            "quarantine",
            report.quarantined,
            len(report_bytes),
            hashlib.sha256(report_bytes).hexdigest(),
        )
    )
    try:
        report.check_share(params.max_bad_share)
    except Exception:
        out.delete_prefix(LOAD_PREFIX)
        raise

    manifest = Manifest(
        code_version=code_fingerprint(["lineage", "glue_jobs"]),
        parameters=params.manifest_parameters(),
        inputs=tuple(sorted(inputs.values())),
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
    finished = time.time()
    run_info = RunInfo(
        started_at=_utc_iso(started),
        finished_at=_utc_iso(finished),
        duration_s=finished - started,
        spark_version=spark.version,
        master=str(spark.sparkContext.master),
    )
    out.write(RUN_INFO_FILE, run_info.to_json())
    progress(
        f"wrote {sum(manifest.counts()['vertices'].values())} vertices and "
        f"{sum(manifest.counts()['edges'].values())} edges; "
        f"{report.quarantined} of {report.read} payloads quarantined"
    )
    return BuildResult(out.root, manifest, report, run_info)
