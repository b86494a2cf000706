"""The events pass: event batches -> one row per validated event, plus one status per batch.

Each batch is decoded once (`payloads.decode_events`); the validated events travel on as they
are (pickled), so the plan pass builds runs from them without decoding anything again.
"""

from __future__ import annotations

import pickle
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from glue_jobs.normalize import payloads
from glue_jobs.normalize.params import NormalizeParams
from lineage.manifest import InputObject
from lineage.plan_graph import RawSource
from lineage.quarantine import EventBatch, Outcome, PayloadStatus
from lineage.store import RawZoneStore

if TYPE_CHECKING:
    import pyarrow as pa  # type: ignore[import-untyped]
    from pyspark.sql import DataFrame, Row

__all__ = ["EVENT_SCHEMA", "EventRef", "EventRowKind", "Events", "collect_events", "parse_events"]

EVENT_SCHEMA = "key string, plan_id string, timestamp long, kind string, payload binary"


class EventRowKind(StrEnum):
    """What an EVENT_SCHEMA row carries in `payload`."""

    STATUS = "status"  # a PayloadStatus (JSON), one per batch
    EVENT = "event"  # an EventRef (pickled), one per event


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
    """EVENT_SCHEMA rows of one event batch: one per event, then its status.

    Never raises: whatever goes wrong with this batch quarantines this batch only.
    """
    inputs: list[InputObject] = []
    try:
        payload = payloads.read(store, key, params.landed_before_ms, inputs)
        if payload is None:
            status = PayloadStatus(key, Outcome.NOT_LANDED)
            return [(key, None, None, EventRowKind.STATUS.value, status.to_json())]
        events = payloads.decode_events(payload)
        rows: list[tuple[Any, ...]] = [
            (
                key,
                event.plan_id,
                event.timestamp,
                EventRowKind.EVENT.value,
                pickle.dumps(EventRef(key, payload.sha256, index, event)),
            )
            for index, event in enumerate(events)
        ]
        status = PayloadStatus(key, Outcome.PARSED, tuple(inputs))
    except Exception as exc:  # isolation: one payload's failure, whatever it is, is its own
        rows = []
        status = PayloadStatus.quarantined(key, exc, inputs)
    rows.append((key, None, None, EventRowKind.STATUS.value, status.to_json()))
    return rows


def _keys(batch: pa.RecordBatch) -> list[str]:
    return [str(k) for k in batch.column(0).to_pylist()]


def parse_events(keys: DataFrame, store: RawZoneStore, params: NormalizeParams) -> DataFrame:
    """Event batch keys -> EVENT_SCHEMA rows (one per event, one status per batch)."""
    import pyarrow as pa

    def run(batches: Iterable[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for batch in batches:
            rows = [row for key in _keys(batch) for row in event_rows(store, key, params)]
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


@dataclass(frozen=True)
class Events:
    """What the events pass found: each batch's account, and the kept events by plan id."""

    batches: Mapping[str, EventBatch]
    by_plan: Mapping[str, tuple[EventRef, ...]]


def collect_events(rows: Iterable[Row], as_of_ms: int | None) -> Events:
    """Gather the rows on the driver; events after `as_of_ms` are left out (and counted)."""
    statuses: dict[str, PayloadStatus] = {}
    plans: dict[str, list[str]] = {}
    excluded: dict[str, int] = {}
    by_plan: dict[str, list[EventRef]] = {}
    for row in rows:
        key = row["key"]
        if row["kind"] == EventRowKind.STATUS:
            statuses[key] = PayloadStatus.from_json(row["payload"])
            continue
        if as_of_ms is not None and row["timestamp"] > as_of_ms:
            excluded[key] = excluded.get(key, 0) + 1
            continue
        ref: EventRef = pickle.loads(row["payload"])  # written by `event_rows` in this job
        by_plan.setdefault(ref.event.plan_id, []).append(ref)
        plans.setdefault(key, []).append(ref.event.plan_id)
    batches = {
        key: EventBatch(status, tuple(plans.get(key, ())), excluded.get(key, 0))
        for key, status in statuses.items()
    }
    ordered = {
        plan: tuple(sorted(refs, key=lambda r: (r.key, r.index))) for plan, refs in by_plan.items()
    }
    return Events(batches, ordered)
