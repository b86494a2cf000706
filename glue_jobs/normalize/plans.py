"""The plan pass: plan payloads -> graph rows (with their runs) and one status per payload.

Pure given its inputs: each plan is read, decoded once (`payloads.decode_plan`), turned into rows
by lineage.plan_graph, and every row encoded by the one CSV writer (lineage.graph_csv). Runs come
from the events pass's validated events, joined to their plan in Spark by plan id (`transform`):
a task holds one plan's events at a time, never the lake's.
"""

from __future__ import annotations

import itertools
from collections.abc import Collection, Iterable, Iterator, Mapping
from typing import TYPE_CHECKING

from glue_jobs.normalize import payloads
from glue_jobs.normalize.events import EventRef, event_refs, events_by_plan
from glue_jobs.normalize.params import NormalizeParams
from glue_jobs.normalize.prefetch import prefetched
from glue_jobs.normalize.rows import (
    DATASETS,
    ROW_SCHEMA,
    SHARED,
    STATUS_GROUP,
    dedup_key,
    group_of,
)
from glue_jobs.normalize.statements import statement_line
from lineage.catalog import catalog_rows
from lineage.dataset_properties import DatasetClaims
from lineage.delta_state import PLAN_STATE_GROUPS
from lineage.graph_csv import csv_line
from lineage.graph_schema import DatasetVertex, GraphRow
from lineage.manifest import InputObject
from lineage.plan_graph import PlanGraph, plan_graph, run_rows
from lineage.quarantine import Outcome, PayloadStatus, QuarantinedError, Reason
from lineage.statements import split_member
from lineage.store import RawZoneStore

if TYPE_CHECKING:
    import pyarrow as pa  # type: ignore[import-untyped]
    from pyspark.sql import DataFrame

__all__ = ["Row", "plan_rows", "transform"]

Row = tuple[str, str, str]
"""(group, id, line) of ROW_SCHEMA."""

_OUT_ROWS_PER_BATCH = 20_000
# Recurring rows (jobs, datasets, columns) a task dedups before the shuffle, at most.
_SHARED_ROWS_PER_TASK = 100_000
# Encoded recurring rows a task reuses (cleared when full): 200k held 100 MiB more per worker
# at 20k plans than 50k, for no measurable speed.
_ENCODED_CACHE_ROWS = 50_000
_SHOWN_UNRESOLVED = 10


def plan_rows(
    store: RawZoneStore,
    key: str,
    events: Mapping[str, tuple[EventRef, ...]],
    params: NormalizeParams,
    duplicate_of: str | None,
    encoded: dict[GraphRow, Row] | None = None,
) -> tuple[list[Row], PayloadStatus]:
    """Graph rows of one plan payload (with its runs) and its status.

    `encoded` caches the encoding of rows that recur across plans (datasets, columns, jobs): many
    plans of a lake read the same tables, and equal rows always encode to the same line. Never
    raises: whatever goes wrong with this payload quarantines this payload only.
    """
    inputs: list[InputObject] = []
    try:
        payload = payloads.read(store, key, params.landed_before_ms, inputs)
        if payload is None:
            return [], PayloadStatus(key, Outcome.NOT_LANDED)
        if duplicate_of is not None:
            raise QuarantinedError(
                Reason.DUPLICATE_PLAN,
                f"another body of this plan id is stored at {duplicate_of}; that one is used",
            )
        plan = payloads.decode_plan(payload)
        graph = plan_graph(plan, payload.source, params.layer_rules)
        runs = _runs(graph, plan, events.get(plan.id, ()))
        if params.as_of_ms is not None and not runs:
            # Read and judged: the manifest names it (verify can then tell a plan slipped in later).
            return [], PayloadStatus(key, Outcome.EXCLUDED, tuple(inputs))
        # A possible half of a statement reported twice: its mode-dependent rows go to the write
        # as one member row, decided there with the other half (glue_jobs.normalize.statements).
        kept, member = split_member(plan.operations.write.name, (*graph.rows, *runs))
        listed = [c for row in (*graph.rows, *runs) for c in catalog_rows(row)]
        rows = _encode(graph, [*kept, *listed], {} if encoded is None else encoded)
        if member is not None:
            rows.append(statement_line(member))
    except Exception as exc:  # isolation: one payload's failure, whatever it is, is its own
        return [], PayloadStatus.quarantined(key, exc, inputs)
    status = PayloadStatus(
        key,
        Outcome.NORMALIZED,
        tuple(inputs),
        plan_id=plan.id,
        runs=len(runs) // 3,
        partial=_partial(graph.unresolved),
        notes=graph.notes,
    )
    return rows, status


def _runs(
    graph: PlanGraph, plan: payloads.ExecutionPlan, refs: Iterable[EventRef]
) -> list[GraphRow]:
    runs: list[GraphRow] = []
    for ref in refs:
        runs.extend(run_rows(plan.id, graph.job, ref.event, ref.source, plan.app_name))
    return runs


def _encode(
    graph: PlanGraph, graph_rows: Iterable[GraphRow], cache: dict[GraphRow, Row]
) -> list[Row]:
    rows: list[Row] = []
    for row in graph_rows:
        if isinstance(row, DatasetVertex):
            # Equal rows can carry different claims (a read's and a write's): not cached.
            row_id = row.id
            rows.append((DATASETS, row_id, graph.datasets[row_id].to_json()))
            continue
        hit = cache.get(row)
        if hit is None:
            row_id = row.id
            hit = (group_of(row), dedup_key(row, row_id), csv_line(row, row_id))
            if hit[0] in SHARED:
                if len(cache) >= _ENCODED_CACHE_ROWS:
                    cache.clear()  # bounded memory; a miss only costs a re-encode
                cache[row] = hit
        rows.append(hit)
    return rows


def _partial(unresolved: tuple[str, ...]) -> str | None:
    if not unresolved:
        return None
    shown = ", ".join(unresolved[:_SHOWN_UNRESOLVED])
    more = len(unresolved) - _SHOWN_UNRESOLVED
    return f"references the plan does not define: {shown}" + (
        f" and {more} more" if more > 0 else ""
    )


def transform(
    plan_keys: DataFrame,
    store: RawZoneStore,
    events: DataFrame,
    params: NormalizeParams,
    duplicates: Mapping[str, str],
    shared_rows: int = _SHARED_ROWS_PER_TASK,
    settled: Collection[str] = frozenset(),
) -> DataFrame:
    """Plan keys -> ROW_SCHEMA rows: every vertex/edge line, plus one status row per plan.

    A task dedups the recurring rows (jobs, datasets, columns) it makes, keeping at most
    `shared_rows` of them before it sends them on (the writer dedups across tasks).

    `settled`: plan keys a delta re-reads for their new runs, whose jobs, datasets and columns
    its parent's state already holds (the same bytes, the same code); their rows of those
    labels are left out (`PLAN_STATE_GROUPS`: merging them again would change nothing).

    `plan_keys` has a `key` and a `plan_id` column (the id the key names); `events` holds the
    events pass's EVENT_SCHEMA rows. The events join their plans through Spark (a shuffle by plan
    id, sort-merge so that neither side is held whole in memory, nor ever sent to the driver).
    """
    import pyarrow as pa

    settled_keys = frozenset(settled)

    def run(batches: Iterable[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        shared: dict[tuple[str, str], str] = {}
        claims: dict[str, DatasetClaims] = {}
        encoded: dict[GraphRow, Row] = {}
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

        def drain() -> Iterator[pa.RecordBatch]:
            # The recurring rows kept so far go on, in batches, and are forgotten: the writer
            # keeps the smallest line per id and merges claims whatever their order, so a task
            # holds a bounded number of them however many plans it has, and the bytes are the
            # same.
            recurring = itertools.chain(
                ((group, row_id, line) for (group, row_id), line in shared.items()),
                ((DATASETS, row_id, merged.to_json()) for row_id, merged in claims.items()),
            )
            for group, row_id, line in recurring:
                groups.append(group)
                ids.append(row_id)
                lines.append(line)
                if len(groups) >= _OUT_ROWS_PER_BATCH:
                    yield flush()
            shared.clear()
            claims.clear()

        for batch in batches:
            keys = batch.column(0).to_pylist()
            plan_ids = batch.column(1).to_pylist()
            pickled = batch.column(2).to_pylist()
            for (key, ahead), plan_id, plan_events in zip(
                prefetched(store, keys), plan_ids, pickled, strict=True
            ):
                by_plan = {plan_id: event_refs(plan_events)}
                rows, status = plan_rows(ahead, key, by_plan, params, duplicates.get(key), encoded)
                drop = PLAN_STATE_GROUPS if key in settled_keys else ()
                for group, row_id, line in rows:
                    if group in drop:
                        continue
                    if group == DATASETS:
                        made = DatasetClaims.from_json(line)
                        seen_claims = claims.get(row_id)
                        claims[row_id] = made if seen_claims is None else seen_claims.merge(made)
                        continue
                    if group in SHARED:
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
                lines.append(status.to_json().decode())
                if len(groups) >= _OUT_ROWS_PER_BATCH:
                    yield flush()
                if len(shared) + len(claims) >= shared_rows:
                    yield from drain()
        yield from drain()
        if groups:
            yield flush()

    # Both sides are partitioned by plan id into as many tasks as `plan_keys` has partitions, so
    # the join needs no further shuffle, and (a number the job chose) adaptive execution does
    # not coalesce them: the shuffled bytes are small, the Python work per plan is not.
    tasks = plan_keys.rdd.getNumPartitions()
    plans = plan_keys.select("key", "plan_id").repartition(tasks, "plan_id")
    by_plan = events_by_plan(events, tasks)
    joined = plans.join(by_plan.hint("merge"), "plan_id", "left")
    return joined.select("key", "plan_id", "events").mapInArrow(run, ROW_SCHEMA)
