"""A deterministic benchmark workload: a raw zone of Spline v1.2 payloads from a simulated lake.

The lake has raw, curated, aggregated and reference datasets; jobs chain them (ingest raw ->
curated, enrich curated + reference -> curated, aggregate curated -> aggregated, daily appends),
so dataset and column lineage run many hops deep. Schemas are mostly narrow with a tail of wide
ones (up to `MAX_COLUMNS`). Every plan runs one or more times (the agent resends the same plan
id; the producer stores it once and every run's event batch beside it), a few runs fail.

Files are laid out exactly as the producer stores them (`lineage.raw_zone_layout`): payload,
metadata sidecar and, for plans, the `_index` entry. The same `plans` and `seed` give
byte-identical files. A hidden `.workload.json` at the root records what was generated (the
normalize job lists only `plans/` and `events/`, so it never reads it).
"""

from __future__ import annotations

import datetime as dt
import os
import random
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import orjson

from lineage.raw_zone_layout import (
    PlanIndexEntry,
    RawObjectMetadata,
    events_key,
    format_received_at,
    plan_index_key,
    plan_key,
    sha256_hex,
    sidecar_key,
)
from lineage.spline import (
    ApiVersion,
    ExecutionEvent,
    content_type_for,
    events_document,
    plan_document,
)
from lineage_bench import plan_shapes
from lineage_bench.errors import WorkloadError
from lineage_bench.plan_builder import Col, PlanBuilder
from lineage_bench.plan_shapes import MAX_COLUMNS, Dataset

__all__ = [
    "GENERATOR_VERSION",
    "MANIFEST_NAME",
    "WorkloadError",
    "WorkloadSummary",
    "check_folder",
    "generate_workload",
    "read_summary",
    "shuffles",
]

GENERATOR_VERSION = 2  # 2: shaped on the real agent's payloads
MANIFEST_NAME = ".workload.json"
_CONTENT_TYPE = content_type_for(ApiVersion.V1_2)
_GZIP_OVER = 2048  # the agent compresses JSON over 2,048 chars once the producer offers gzip
_START = dt.datetime(2026, 10, 1, tzinfo=dt.UTC)
_DAY_MS = 86_400_000
_SPREAD_DAYS = 30  # first runs spread over a month; reruns follow daily
_PLAN_NAMESPACE = uuid.UUID("0b6c5a5e-8f0e-5c43-a1d4-3c1f9a7d2e10")
_FAILED_SHARE = 0.03
# Operators that make Spark shuffle: with adaptive query execution on (the Spark 3.5 default) the
# agent then reports empty row metrics (`{}`), as the recorded real payloads show.
_SHUFFLING = frozenset({"Aggregate", "Deduplicate", "Join", "Sort", "Window", "Repartition"})
_USER_AGENT = "scalaj-http/2.4.0"  # the HTTP client inside the agent
_SPLINE_TIMEOUT = "120000"  # the agent's X-SPLINE-TIMEOUT header
_DOMAINS = (
    "sales", "finance", "marketing", "logistics", "customers", "products", "payments",
    "inventory", "web", "support", "hr", "risk",
)  # fmt: skip
_ENTITIES = (
    "orders", "order_lines", "customers", "invoices", "shipments", "clicks", "sessions",
    "payments", "refunds", "products", "stock", "tickets", "accounts", "contracts", "leads",
)  # fmt: skip
_COLUMNS = (
    "customer_id", "order_id", "product_id", "account_id", "amount", "unit_price", "quantity",
    "order_date", "created_at", "updated_at", "status", "country_code", "currency", "email",
    "channel", "region", "discount_rate", "total", "shipped_at", "is_active", "score",
    "category", "segment", "city", "postal_code", "payment_method", "device", "campaign",
    "cost", "weight", "latitude", "longitude", "invoice_number", "description", "name",
)  # fmt: skip
_REFERENCE = (
    ("countries", ("country_code", "country_name", "region", "currency")),
    ("currencies", ("currency", "currency_name", "fx_rate")),
    ("channels", ("channel", "channel_name", "channel_group")),
    ("calendar", ("order_date", "fiscal_week", "fiscal_month", "is_holiday")),
)
_ERROR = (
    "org.apache.spark.SparkException: Job aborted due to stage failure: Task {task} in stage "
    "{stage}.0 failed 4 times, most recent failure: Lost task {task}.3 in stage {stage}.0: "
    "org.apache.spark.SparkException: [TASK_WRITE_FAILED] Task failed while writing rows to "
    "{uri}.\n\tat org.apache.spark.sql.errors.QueryExecutionErrors$.taskFailedWhileWritingRowsError"
    "(QueryExecutionErrors.scala:775)\n\tat org.apache.spark.sql.execution.datasources."
    "FileFormatWriter$.executeTask(FileFormatWriter.scala:420)\n\tat org.apache.spark.scheduler."
    "ResultTask.runTask(ResultTask.scala:93)\nCaused by: java.io.IOException: {cause}\n"
)
_CAUSES = (
    "Slow Down (Service: Amazon S3; Status Code: 503)",
    "No space left on device",
    "[MALFORMED_RECORD_IN_PARSING] Malformed records are detected in record parsing.",
)

Progress = Callable[[int, int], None]


@dataclass
class WorkloadSummary:
    """What a generated raw zone holds."""

    plans: int
    seed: int
    generator_version: int = GENERATOR_VERSION
    event_batches: int = 0
    failed_runs: int = 0
    jobs: int = 0
    datasets: dict[str, int] = field(default_factory=dict)
    plans_by_shape: dict[str, int] = field(default_factory=dict)
    plan_bytes: int = 0
    event_bytes: int = 0
    files: int = 0
    max_columns: int = 0
    mean_plan_bytes: int = 0
    max_plan_bytes: int = 0
    first_day: str = ""
    last_day: str = ""
    seconds: float = 0.0

    def to_json(self) -> bytes:
        """Sorted JSON (the timing makes it differ between runs; it lives outside the payloads)."""
        return orjson.dumps(asdict(self), option=orjson.OPT_SORT_KEYS | orjson.OPT_INDENT_2)


def read_summary(root: Path) -> WorkloadSummary | None:
    """The summary of the workload generated in `root`, or None when there is none."""
    try:
        data = orjson.loads((root / MANIFEST_NAME).read_bytes())
        return WorkloadSummary(**data)
    except (OSError, orjson.JSONDecodeError, TypeError):
        return None


@dataclass
class _Job:
    name: str
    shape: str
    target: Dataset
    source: Dataset | None = None  # append jobs: the raw table whose daily partitions they read
    partitions: int = 0


class _Lake:
    """The simulated lake: datasets by layer, appended to as jobs are generated."""

    def __init__(self, rng: random.Random, plans: int) -> None:
        self.rng = rng
        self.counter = 0
        self.raw: list[Dataset] = []
        self.curated: list[Dataset] = []
        self.aggregated: list[Dataset] = []
        self.reference: list[Dataset] = []
        self.append_jobs: list[_Job] = []
        for copy in range(max(1, plans // 2000)):
            for name, columns in _REFERENCE:
                schema = tuple(Col(c, plan_shapes.intended_type(c)) for c in columns)
                suffix = "" if copy == 0 else f"_{copy}"
                uri = f"s3://acme-lake/reference/{name}{suffix}"
                self.reference.append(Dataset(uri, "csv", "reference", schema))

    def _name(self, layer: str) -> tuple[str, str]:
        self.counter += 1
        domain = self.rng.choice(_DOMAINS)
        entity = self.rng.choice(_ENTITIES)
        return f"s3://acme-lake/{layer}/{domain}/{entity}_{self.counter:06d}", entity

    def width(self) -> int:
        roll = self.rng.random()
        if roll < 0.85:
            return self.rng.randint(4, 16)
        if roll < 0.97:
            return self.rng.randint(17, 60)
        return self.rng.randint(61, 300)

    def new_raw(self) -> Dataset:
        uri, entity = self._name("raw")
        width = self.width()
        names = [f"{entity.rstrip('s')}_id"]
        for column in self.rng.sample(_COLUMNS, min(width - 1, len(_COLUMNS))):
            if column not in names:
                names.append(column)
        names.extend(f"{entity}_attr_{i:03d}" for i in range(len(names), width))
        fmt = self.rng.choice(("csv", "csv", "json"))
        # CSV columns arrive as strings; JSON keeps numbers and booleans.
        schema = tuple(
            Col(n, "string" if fmt == "csv" or plan_shapes.intended_type(n) in ("date", "timestamp")
                else plan_shapes.intended_type(n))
            for n in names
        )  # fmt: skip
        dataset = Dataset(uri, fmt, "raw", schema)
        self.raw.append(dataset)
        return dataset

    def new_written(self, layer: str, schema: tuple[Col, ...]) -> Dataset:
        uri, _ = self._name(layer)
        dataset = Dataset(uri, "parquet", layer, schema[:MAX_COLUMNS])
        (self.curated if layer == "curated" else self.aggregated).append(dataset)
        return dataset

    def pick(self, pool: list[Dataset]) -> Dataset:
        """Recent datasets more often than old ones: jobs build on what was built lately."""
        if self.rng.random() < 0.5:
            return pool[-1 - self.rng.randrange(min(len(pool), 40))]
        return pool[self.rng.randrange(len(pool))]


def _shape(rng: random.Random, lake: _Lake) -> str:
    if len(lake.curated) < 3:
        return "ingest"
    roll = rng.random()
    if roll < 0.30:
        return "ingest"
    if roll < 0.40:
        return "append"
    if roll < 0.72:
        return "enrich"
    return "aggregate"


def _plan(
    rng: random.Random, lake: _Lake, index: int, seed: int
) -> tuple[dict[str, Any], _Job, str]:
    """One plan document, its job and its shape."""
    shape = _shape(rng, lake)
    b = PlanBuilder()
    append = False
    if shape == "append" and lake.append_jobs and rng.random() < 0.7:
        job = rng.choice(lake.append_jobs)
        assert job.source is not None
        job.partitions += 1
        source = Dataset(
            f"{job.source.uri}/day={(_START + dt.timedelta(days=job.partitions)).date()}",
            job.source.format,
            "raw",
            job.source.schema,
        )
        top, _schema = plan_shapes.append(b, rng, source)
        append = True
    elif shape == "append":
        raw = lake.new_raw()
        source = Dataset(f"{raw.uri}/day={_START.date()}", raw.format, "raw", raw.schema)
        top, schema = plan_shapes.append(b, rng, source)
        target = lake.new_written("curated", schema)
        job = _Job(f"append_{target.uri.rsplit('/', 1)[-1]}", shape, target, raw)
        lake.append_jobs.append(job)
        append = True
    elif shape == "ingest":
        raw = lake.new_raw()
        top, schema = plan_shapes.ingest(b, rng, raw)
        target = lake.new_written("curated", schema)
        job = _Job(f"ingest_{target.uri.rsplit('/', 1)[-1]}", shape, target)
    elif shape == "enrich":
        left = lake.pick(lake.curated)
        rights: list[Dataset] = []
        for _ in range(rng.choice((1, 1, 2))):
            pool = lake.reference if rng.random() < 0.3 else lake.curated
            candidate = lake.pick(pool)
            if candidate is not left and candidate not in rights:
                rights.append(candidate)
        if not rights:
            rights.append(rng.choice(lake.reference))
        top, schema = plan_shapes.enrich(b, rng, left, rights)
        target = lake.new_written("curated", schema)
        job = _Job(f"enrich_{target.uri.rsplit('/', 1)[-1]}", shape, target)
    else:
        pool = lake.aggregated if lake.aggregated and rng.random() < 0.2 else lake.curated
        source = lake.pick(pool)
        top, schema = plan_shapes.aggregate(b, rng, source)
        target = lake.new_written("aggregated", schema)
        job = _Job(f"aggregate_{target.uri.rsplit('/', 1)[-1]}", shape, target)
    # The agent derives the id from the plan's content; a seeded name is as stable here.
    plan_id = str(uuid.uuid5(_PLAN_NAMESPACE, f"{seed}:{index}:{job.name}"))
    doc = plan_document(
        b.build(
            plan_id=plan_id,
            app_name=job.name,
            top=top,
            write_uri=job.target.uri,
            write_format="parquet",
            append=append,
        )
    )
    return doc, job, shape


def _runs(rng: random.Random) -> int:
    roll = rng.random()
    if roll < 0.6:
        return 1
    if roll < 0.85:
        return 2
    if roll < 0.95:
        return 3
    return rng.randint(4, 7)


def shuffles(doc: dict[str, Any]) -> bool:
    """Whether a plan document has an operator that makes Spark shuffle."""
    return any(op["name"] in _SHUFFLING for op in doc["operations"].get("other", []))


def _metrics(rng: random.Random, shuffled: bool) -> tuple[dict[str, int], dict[str, int]]:
    """Read and write metrics as the agent reports them: none at all after a shuffle."""
    if shuffled:
        return {}, {}
    rows = rng.randint(10, 50_000_000)
    reads = {
        "numFiles": rng.randint(1, 400),
        "filesSize": rows * rng.randint(40, 400),
        "numOutputRows": rows,
    }
    writes = {
        "numFiles": rng.randint(1, 200),
        "numOutputRows": rows,
        "numOutputBytes": rows * rng.randint(20, 200),
        "numParts": 0,
    }
    return reads, writes


def _event(
    rng: random.Random, plan_id: str, target: str, timestamp_ms: int, shuffled: bool
) -> ExecutionEvent:
    app_id = f"spark-application-{timestamp_ms - rng.randint(20_000, 900_000)}"
    reads, writes = _metrics(rng, shuffled)
    extra: dict[str, Any] = {
        "appId": app_id,
        "user": "glue",
        "readMetrics": reads,
        "writeMetrics": writes,
    }
    if rng.random() < _FAILED_SHARE:
        error = _ERROR.format(
            task=rng.randint(0, 63), stage=rng.randint(0, 9), uri=target, cause=rng.choice(_CAUSES)
        )
        if writes:  # nothing was committed: the agent reports zero counts
            extra["writeMetrics"] = dict.fromkeys(writes, 0)
        # A failed write: the stack trace as one string, and no `durationNs`.
        return ExecutionEvent(plan_id, timestamp_ms, ApiVersion.V1_2, error=error, extra=extra)
    return ExecutionEvent(
        plan_id,
        timestamp_ms,
        ApiVersion.V1_2,
        duration_ns=rng.randint(2_000, 1_800_000) * 1_000_000,
        extra=extra,
    )


class _RawZone:
    """Writes payloads, sidecars and index entries under a local raw-zone root."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.folders: set[str] = set()
        self.files = 0

    def write(self, key: str, body: bytes) -> None:
        folder, _, _ = key.rpartition("/")
        if folder not in self.folders:
            (self.root / folder).mkdir(parents=True, exist_ok=True)
            self.folders.add(folder)
        with open(self.root / key, "wb") as out:
            out.write(body)
        self.files += 1

    def payload(
        self,
        key: str,
        body: bytes,
        digest: str,
        received: dt.datetime,
        *,
        plan_id: str | None = None,
        event_count: int | None = None,
    ) -> None:
        self.write(key, body)
        meta = RawObjectMetadata(
            kind="plan" if plan_id else "events",
            received_at=format_received_at(received),
            api_version=ApiVersion.V1_2.value,
            content_type=_CONTENT_TYPE,
            sha256=digest,
            size=len(body),
            # The agent compresses only JSON longer than 2,048 characters (ASCII here: bytes).
            content_encoding="gzip" if len(body) > _GZIP_OVER else None,
            client_address="10.0.12.34",
            plan_id=plan_id,
            event_count=event_count,
            headers={"user-agent": _USER_AGENT, "x-spline-timeout": _SPLINE_TIMEOUT},
        )
        self.write(sidecar_key(key), meta.to_json())


def check_folder(root: Path) -> None:
    """Raise WorkloadError unless `root` is absent, empty or holds a generated workload."""
    if root.exists():
        if not root.is_dir():
            raise WorkloadError(f"{root} exists and is not a directory")
        if any(root.iterdir()) and not (root / MANIFEST_NAME).exists():
            raise WorkloadError(
                f"{root} is not empty and holds no generated workload; choose an empty folder"
            )


def _prepare(root: Path) -> None:
    check_folder(root)
    if root.exists():
        # A previous workload: regenerate from scratch so no stale file survives.
        for directory, _subdirs, files in os.walk(root, topdown=False):
            for name in files:
                os.unlink(os.path.join(directory, name))
            if directory != str(root):
                os.rmdir(directory)
    root.mkdir(parents=True, exist_ok=True)


def generate_workload(
    root: Path, plans: int, seed: int, progress: Progress | None = None
) -> WorkloadSummary:
    """Write a raw zone of `plans` plans (and their runs' event batches) under `root`.

    Deterministic: the same `plans` and `seed` give byte-identical files. An existing workload in
    `root` is replaced; any other non-empty folder is refused (WorkloadError).
    """
    if plans < 1:
        raise WorkloadError(f"--plans must be at least 1, got {plans}")
    began = time.perf_counter()
    _prepare(root)
    rng = random.Random(seed)
    lake = _Lake(rng, plans)
    zone = _RawZone(root)
    summary = WorkloadSummary(plans=plans, seed=seed)
    jobs: set[str] = set()
    day_span_ms = _SPREAD_DAYS * _DAY_MS
    first_ms = last_ms = int(_START.timestamp() * 1000)
    for index in range(plans):
        doc, job, shape = _plan(rng, lake, index, seed)
        body = orjson.dumps(doc)
        plan_id = doc["id"]
        shuffled = shuffles(doc)
        jobs.add(job.name)
        summary.plans_by_shape[shape] = summary.plans_by_shape.get(shape, 0) + 1
        summary.max_columns = max(summary.max_columns, len(job.target.schema))
        summary.plan_bytes += len(body)
        summary.max_plan_bytes = max(summary.max_plan_bytes, len(body))
        # Runs: the first within the month (in plan order), then daily with some jitter.
        base_ms = first_ms + index * day_span_ms // plans + rng.randint(0, 3_600_000)
        received = dt.datetime.fromtimestamp((base_ms - 40) / 1000, tz=dt.UTC)
        digest = sha256_hex(body)
        key = plan_key(plan_id, received)
        zone.payload(key, body, digest, received, plan_id=plan_id)
        zone.write(plan_index_key(plan_id), PlanIndexEntry(key, digest).to_json())
        for run in range(_runs(rng)):
            timestamp = base_ms + run * _DAY_MS + rng.randint(0, 600_000)
            event = _event(rng, plan_id, job.target.uri, timestamp, shuffled)
            summary.failed_runs += event.failed
            batch = orjson.dumps(events_document([event]))
            arrived = dt.datetime.fromtimestamp((timestamp + 25) / 1000, tz=dt.UTC)
            batch_digest = sha256_hex(batch)
            zone.payload(
                events_key(batch_digest, arrived), batch, batch_digest, arrived, event_count=1
            )
            summary.event_batches += 1
            summary.event_bytes += len(batch)
            last_ms = max(last_ms, timestamp)
        if progress is not None and (index + 1) % 1000 == 0:
            progress(index + 1, plans)
    summary.jobs = len(jobs)
    summary.datasets = {
        "raw": len(lake.raw) + sum(j.partitions + 1 for j in lake.append_jobs),
        "curated": len(lake.curated),
        "aggregated": len(lake.aggregated),
        "reference": len(lake.reference),
    }
    summary.files = zone.files
    summary.mean_plan_bytes = summary.plan_bytes // plans
    summary.first_day = _START.date().isoformat()
    summary.last_day = dt.datetime.fromtimestamp(last_ms / 1000, tz=dt.UTC).date().isoformat()
    summary.seconds = round(time.perf_counter() - began, 2)
    (root / MANIFEST_NAME).write_bytes(summary.to_json())
    if progress is not None and plans % 1000:
        progress(plans, plans)
    return summary
