"""The events pass: event batches -> one row per kept event, plus one account per batch.

Each batch is decoded once (`payloads.decode_events`); the validated events travel on as they
are (pickled), so the plan pass builds runs from them without decoding anything again. Events
never reach the driver: they join their plans in Spark (`events_by_plan`, partitioned by plan id);
the driver collects only each batch's account (`EventBatch`: its status, the distinct plan ids its
kept events name, how many an as-of selection left out), which the manifest and the quarantine
report need anyway.
"""

from __future__ import annotations

import pickle
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from glue_jobs.normalize import payloads
from glue_jobs.normalize.params import NormalizeParams
from glue_jobs.normalize.prefetch import prefetched
from lineage.manifest import InputObject
from lineage.plan_graph import RawSource
from lineage.quarantine import EventBatch, Outcome, PayloadStatus
from lineage.store import RawZoneStore

if TYPE_CHECKING:
    import pyarrow as pa  # type: ignore[import-untyped]
    from pyspark.sql import DataFrame, Row

__all__ = [
    "EVENT_SCHEMA",
    "EventRef",
    "EventRowKind",
    "batch_accounts",
    "event_refs",
    "event_rows",
    "events_by_plan",
    "parse_events",
]

EVENT_SCHEMA = "key string, plan_id string, timestamp long, kind string, payload binary"


class EventRowKind(StrEnum):
    """What an EVENT_SCHEMA row carries in `payload`."""

    BATCH = "batch"  # an EventBatch (pickled), one per batch: its status and the plans it names
    EVENT = "event"  # an EventRef (pickled), one per event kept in the build


@dataclass(frozen=True, slots=True)
class EventRef:
    """One validated event and where it came from (its batch's key, SHA-256, position)."""

    key: str
    sha256: str
    index: int
    event: payloads.ExecutionEvent

    @property
    def source(self) -> RawSource:
        """The batch the event came from, as the `Run` row records it."""
        return RawSource(self.key, self.sha256)


def event_rows(store: RawZoneStore, key: str, params: NormalizeParams) -> list[tuple[Any, ...]]:
    """EVENT_SCHEMA rows of one event batch: one per event kept, then the batch's account.

    Events after `params.as_of_ms` are left out here (and counted in the account). Never raises:
    whatever goes wrong with this batch quarantines this batch only.
    """
    inputs: list[InputObject] = []
    rows: list[tuple[Any, ...]] = []
    named: dict[str, None] = {}  # the distinct plan ids, in event order
    excluded = 0
    try:
        payload = payloads.read(store, key, params.landed_before_ms, inputs)
        if payload is None:
            return [_batch_row(EventBatch(PayloadStatus(key, Outcome.NOT_LANDED)))]
        events = payloads.decode_events(payload)
        for index, event in enumerate(events):
            if params.as_of_ms is not None and event.timestamp > params.as_of_ms:
                excluded += 1
                continue
            named[event.plan_id] = None
            ref = EventRef(key, payload.sha256, index, event)
            rows.append(
                (key, event.plan_id, event.timestamp, EventRowKind.EVENT.value, pickle.dumps(ref))
            )
        batch = EventBatch(
            PayloadStatus(key, Outcome.PARSED, tuple(inputs)), tuple(named), excluded
        )
    except Exception as exc:  # isolation: one payload's failure, whatever it is, is its own
        rows = []
        batch = EventBatch(PayloadStatus.quarantined(key, exc, inputs))
    rows.append(_batch_row(batch))
    return rows


def _batch_row(batch: EventBatch) -> tuple[Any, ...]:
    return (batch.status.key, None, None, EventRowKind.BATCH.value, pickle.dumps(batch))


def _keys(batch: pa.RecordBatch) -> list[str]:
    return [str(k) for k in batch.column(0).to_pylist()]


def parse_events(keys: DataFrame, store: RawZoneStore, params: NormalizeParams) -> DataFrame:
    """Event batch keys -> EVENT_SCHEMA rows (one per event, one status per batch)."""
    import pyarrow as pa

    def run(batches: Iterable[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for batch in batches:
            rows = [
                row
                for key, ahead in prefetched(store, _keys(batch))
                for row in event_rows(ahead, key, params)
            ]
            cols: list[Any] = list(zip(*rows, strict=True)) if rows else [[], [], [], [], []]
            yield pa.RecordBatch.from_arrays(
                [
                    pa.array(cols[0], pa.string()),
                    pa.array(cols[1], pa.string()),
                    pa.array(cols[2], pa.int64()),
                    pa.array(cols[3], pa.string()),
                    pa.array(cols[4], pa.binary()),
                ],
                names=["key", "plan_id", "timestamp", "kind", "payload"],
            )

    return keys.mapInArrow(run, EVENT_SCHEMA)


def batch_accounts(rows: Iterable[Row]) -> dict[str, EventBatch]:
    """The `EventBatch` rows of the events pass, by batch key (collected on the driver)."""
    batches: dict[str, EventBatch] = {}
    for row in rows:
        batch: EventBatch = pickle.loads(row["payload"])  # written by `event_rows` in this job
        batches[batch.status.key] = batch
    return batches


def events_by_plan(events: DataFrame, partitions: int) -> DataFrame:
    """EVENT_SCHEMA rows -> `plan_id string, events array<binary>`: kept events by plan, in Spark,
    hash-partitioned by plan id into `partitions`.

    The order within a plan is left to `event_refs` (Spark's collect order is not stable).
    """
    from pyspark.sql import functions as F

    kept = events.where(F.col("kind") == EventRowKind.EVENT.value).select("plan_id", "payload")
    by_plan = kept.repartition(partitions, "plan_id")
    return by_plan.groupBy("plan_id").agg(F.collect_list("payload").alias("events"))


def event_refs(pickled: Iterable[bytes] | None) -> tuple[EventRef, ...]:
    """One plan's events from `events_by_plan`, in batch key then position order."""
    refs: list[EventRef] = [pickle.loads(p) for p in pickled or ()]  # written by `event_rows`
    return tuple(sorted(refs, key=lambda r: (r.key, r.index)))
