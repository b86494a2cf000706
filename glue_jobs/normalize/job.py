"""The nightly normalize job as one composition of named steps (`run_normalize`)."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import TYPE_CHECKING

from glue_jobs.normalize.build_steps import (
    EVENT_KEYS_PER_PARTITION,
    BuildResult,
    Progress,
    account_batches,
    keys_frame,
    plan_keys_frame,
    quiet,
    retire_previous_build,
    write_manifest,
    write_report,
    write_run_info,
)
from glue_jobs.normalize.events import parse_events
from glue_jobs.normalize.marker import count_graph, write_marker
from glue_jobs.normalize.params import NormalizeParams
from glue_jobs.normalize.plans import transform
from glue_jobs.normalize.selection import Selection, plans_to_read, select_inputs
from glue_jobs.normalize.write import Written, collect_written, load, store_state
from lineage.delta_state import chosen_plan_keys, index_files
from lineage.graph_csv import LOAD_PREFIX
from lineage.manifest import OutputFile
from lineage.quarantine import Accounts, EventBatch, Outcome, reconcile
from lineage.store import BuildStore, RawZoneStore

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

__all__ = ["run_normalize"]


def run_normalize(
    spark: SparkSession,
    lake: RawZoneStore,
    out: BuildStore,
    params: NormalizeParams,
    progress: Progress = quiet,
) -> BuildResult:
    """Run the whole job; raises TooManyBadPayloadsError (after writing the report) when too
    many payloads are bad, in which case no CSV files are left under the load prefixes."""
    started = time.time()
    retire_previous_build(out)
    selection = _select(lake, params, progress)
    events = _parse_events(spark, lake, selection, params)
    try:
        batches = account_batches(events, progress)
        written = _write_graph(spark, lake, out, selection, events, batches, params, progress)
    finally:
        events.unpersist()
    accounts = reconcile(written.statuses, batches, selection.event_keys, selection.unknown_keys)
    report_file = write_report(out, accounts.report, params.max_bad_share)
    graph_counts, counted = count_graph(out, written.files)
    marker = write_marker(out, written.files, gzip=params.gzip, counts=graph_counts)
    index = _write_index(out, written, batches, accounts, params)
    outputs = (*written.files, *counted, marker, *index, report_file)
    manifest = write_manifest(out, params, accounts, outputs)
    run_info = write_run_info(spark, out, started)
    counts = manifest.counts()
    progress(
        f"wrote {sum(counts['vertices'].values())} vertices and "
        f"{sum(counts['edges'].values())} edges; "
        f"{accounts.report.quarantined} of {accounts.report.read} payloads quarantined"
    )
    return BuildResult(out.root, manifest, accounts.report, run_info)


def _select(lake: RawZoneStore, params: NormalizeParams, progress: Progress) -> Selection:
    progress(f"listing raw zone {lake.root}")
    selection = select_inputs(lake, params)
    progress(
        f"selected {len(selection.plan_keys)} plan and {len(selection.event_keys)} event payloads"
    )
    return selection


def _parse_events(
    spark: SparkSession, lake: RawZoneStore, selection: Selection, params: NormalizeParams
) -> DataFrame:
    """The events pass as a persisted DataFrame: its batch accounts are collected, its events
    joined to their plans, and neither use parses the batches again."""
    from pyspark import StorageLevel

    keys = keys_frame(spark, selection.event_keys, EVENT_KEYS_PER_PARTITION)
    return parse_events(keys, lake, params).persist(StorageLevel.MEMORY_AND_DISK)


def _write_graph(
    spark: SparkSession,
    lake: RawZoneStore,
    out: BuildStore,
    selection: Selection,
    events: DataFrame,
    batches: Mapping[str, EventBatch],
    params: NormalizeParams,
    progress: Progress,
) -> Written:
    """The plan pass (each plan joined to its events in Spark) and the write."""
    named = {plan for batch in batches.values() for plan in batch.plans}
    plan_keys = plans_to_read(selection, params, named)
    del named
    progress(f"normalizing {len(plan_keys)} plans and writing CSV files to {out.root}")
    out.delete_prefix(LOAD_PREFIX)
    if not plan_keys:
        return collect_written([])
    keys = plan_keys_frame(spark, plan_keys)
    rows = transform(keys, lake, events, params, selection.duplicates)
    return collect_written(load(rows, out, params, state=True).collect())


def _write_index(
    out: BuildStore,
    written: Written,
    batches: Mapping[str, EventBatch],
    accounts: Accounts,
    params: NormalizeParams,
) -> tuple[OutputFile, ...]:
    """Write the plan index, pending events and recent objects a delta build starts from."""
    landed = [s.key for s in written.statuses if s.outcome is not Outcome.NOT_LANDED]
    named = {
        key: batch.plans
        for key, batch in batches.items()
        if batch.status.outcome is not Outcome.NOT_LANDED
    }
    read = [(item.key, item.size) for item in accounts.inputs]
    return store_state(
        out, index_files(chosen_plan_keys(landed), named, read, params.landed_before_ms)
    )
