"""A delta build: only the payloads landed since a parent build, as CSVs to load onto its graph.

`run_delta` reads the parent's manifest and state (lineage.delta_selection), lists only the
partitions that can hold newer payloads, and runs the same passes as a full build over them:
the new event batches (plus older batches pending on a plan that has now landed), the new plan
payloads, and the older plans the new events name (re-read so their runs can be built; their
own rows come out as they were, so loading them again changes nothing). Rows of the labels
payloads share (`Job`, `Dataset`, `Column`, `Run`) are merged on the driver with the parent's
state (lineage.delta_state), so the delta carries the value a full rebuild would give, and the
new cumulative state is written for the next delta. docs/architecture.md has the whole design.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
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
from glue_jobs.normalize.events import EVENT_SCHEMA, EventRowKind, parse_events
from glue_jobs.normalize.marker import count_graph, write_marker
from glue_jobs.normalize.params import NormalizeParams
from glue_jobs.normalize.plans import transform
from glue_jobs.normalize.rows import ROW_SCHEMA
from glue_jobs.normalize.write import Written, collect_written, load, store_state
from lineage.delta_selection import (
    DeltaError,
    DeltaSelection,
    ParentBuild,
    check_parent,
    read_parent,
    select_delta,
)
from lineage.delta_state import (
    STATEFUL_GROUPS,
    StateFile,
    chosen_plan_keys,
    index_files,
    merge_state,
)
from lineage.graph_csv import LOAD_PREFIX
from lineage.manifest import InputObject, OutputFile, code_fingerprint
from lineage.quarantine import EventBatch, Outcome, reconcile
from lineage.store import BuildStore, RawZoneStore

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

__all__ = ["DeltaError", "ParentReader", "prepare_delta", "run_delta"]

ParentReader = Callable[[RawZoneStore], ParentBuild]
"""How a delta reads its parent: `read_parent`, or a cache of it (`lineage serve --follow` looks
at the same parent every few seconds)."""


def run_delta(
    spark: SparkSession,
    lake: RawZoneStore,
    parent_store: RawZoneStore,
    out: BuildStore,
    params: NormalizeParams,
    progress: Progress = quiet,
    read: ParentReader = read_parent,
) -> BuildResult:
    """Build the delta from the parent in `parent_store` up to `params.landed_before_ms`.

    Raises a `DeltaError` (not a build, another lake, not older) or `FullRebuildNeededError`
    (named objects or a vertex the raw zone changed); `out` then holds no manifest.
    """
    started = time.time()
    parent, selection, params = prepare_delta(lake, parent_store, out, params, progress, read)
    retire_previous_build(out)
    event_keys = (*selection.event_keys, *selection.pending_keys)
    events = _events(spark, lake, event_keys, params, selection, progress)
    try:
        written, state_files = _write_graph(spark, lake, out, parent, selection, events, params)
    finally:
        if events.frame is not None:
            events.frame.unpersist()
    accounts = reconcile(written.statuses, events.batches, event_keys, selection.unknown_keys)
    report_file = write_report(out, accounts.report, params.max_bad_share)
    # The marker changes with every load that changes the graph (the read API's caches key on
    # it); a delta with nothing to load leaves the graph, and so the marker, as it was.
    graph_counts, counted = count_graph(out, (*written.files, *state_files), parent)
    marker = (
        (
            write_marker(
                out,
                written.files,
                gzip=params.gzip,
                base=parent.manifest_sha256,
                counts=graph_counts,
            ),
        )
        if written.files
        else ()
    )
    index = _write_index(out, parent, written, events, accounts.inputs, params)
    outputs = (*written.files, *marker, *state_files, *counted, *index, report_file)
    manifest = write_manifest(out, params, accounts, outputs)
    run_info = write_run_info(spark, out, started)
    counts = manifest.counts()
    progress(
        f"delta: {sum(counts['vertices'].values())} vertices and "
        f"{sum(counts['edges'].values())} edges to load onto {parent_store.root}"
    )
    return BuildResult(out.root, manifest, accounts.report, run_info)


def prepare_delta(
    lake: RawZoneStore,
    parent_store: RawZoneStore,
    out: BuildStore,
    params: NormalizeParams,
    progress: Progress = quiet,
    read: ParentReader = read_parent,
) -> tuple[ParentBuild, DeltaSelection, NormalizeParams]:
    """The parent, what the delta reads, and its parameters; every refusal, before Spark runs."""
    cutoff = params.landed_before_ms
    if cutoff is None:
        raise DeltaError("a delta build needs its own cut-off (landed_before)")
    if out.root.rstrip("/") == parent_store.root.rstrip("/"):
        raise DeltaError(f"--out {out.root} is the parent build; write the delta elsewhere")
    parent = read(parent_store)
    rules_sha = NormalizeParams("", "", layer_rules=params.layer_rules).manifest_parameters()
    check_parent(
        parent,
        cutoff,
        rules_sha["layer_rules_sha256"],
        code_fingerprint(["lineage", "glue_jobs"]),
    )
    progress(f"listing raw zone {lake.root} since {parent_store.root}")
    selection = select_delta(lake, parent, cutoff)
    progress(
        f"selected {len(selection.plan_keys)} new plan and {len(selection.event_keys)} new "
        f"event payloads, {len(selection.pending_keys)} earlier batches now resolvable"
    )
    return parent, selection, _with_parent(params, parent)


def _with_parent(params: NormalizeParams, parent: ParentBuild) -> NormalizeParams:
    from dataclasses import replace

    return replace(
        params,
        since_manifest_sha256=parent.manifest_sha256,
        since_landed_before_ms=parent.cutoff_ms,
    )


@dataclass(frozen=True)
class _DeltaEvents:
    """The delta's events pass: its rows (kept events stay in Spark), each batch's account, and
    the plan ids whose kept events become runs now."""

    frame: DataFrame | None
    batches: Mapping[str, EventBatch]
    plans: frozenset[str]


def _events(
    spark: SparkSession,
    lake: RawZoneStore,
    keys: tuple[str, ...],
    params: NormalizeParams,
    selection: DeltaSelection,
    progress: Progress,
) -> _DeltaEvents:
    """The events pass over the delta's batches.

    Of an earlier (pending) batch only the events of plans that landed now are kept for runs:
    its other events became runs in an earlier build. The filter runs in Spark; the driver sees
    only the batch accounts, as in a full build.
    """
    from pyspark import StorageLevel
    from pyspark.sql import functions as F

    if not keys:
        return _DeltaEvents(None, {}, frozenset())
    rows = parse_events(keys_frame(spark, keys, EVENT_KEYS_PER_PARTITION), lake, params)
    pending = set(keys) - set(selection.event_keys)
    # The same rule twice: in Spark for the events, on the driver for the plans they name.
    kept = (
        (F.col("kind") != EventRowKind.EVENT.value)
        | ~F.col("key").isin(sorted(pending))
        | F.col("plan_id").isin(sorted(selection.new_plans))
    )
    frame = rows.where(kept).persist(StorageLevel.MEMORY_AND_DISK)
    batches = account_batches(frame, progress)
    plans = frozenset(
        plan
        for key, batch in batches.items()
        for plan in batch.plans
        if key not in pending or plan in selection.new_plans
    )
    return _DeltaEvents(frame, batches, plans)


def _plan_keys(parent: ParentBuild, selection: DeltaSelection, events: _DeltaEvents) -> list[str]:
    """New plan payloads, and the earlier plans whose new events must become runs."""
    keys = set(selection.plan_keys)
    for plan_id in events.plans:
        if plan_id not in selection.new_plans and plan_id in parent.plans:
            keys.add(parent.plans[plan_id])
    return sorted(keys)


def _write_graph(
    spark: SparkSession,
    lake: RawZoneStore,
    out: BuildStore,
    parent: ParentBuild,
    selection: DeltaSelection,
    events: _DeltaEvents,
    params: NormalizeParams,
) -> tuple[Written, tuple[OutputFile, ...]]:
    """The plan pass; the shared labels merged with the parent's state; the write."""
    from pyspark.sql import functions as F

    out.delete_prefix(LOAD_PREFIX)
    plan_keys = _plan_keys(parent, selection, events)
    new_values: dict[str, dict[str, list[str]]] = {group: {} for group in STATEFUL_GROUPS}
    written = collect_written([])
    if plan_keys:
        keys = plan_keys_frame(spark, plan_keys)
        frame = events.frame if events.frame is not None else _no_events(spark)
        # The earlier plans re-read for their new runs: the parent's state holds their jobs,
        # datasets and columns already.
        settled = set(plan_keys) - set(selection.plan_keys)
        rows = transform(keys, lake, frame, params, selection.duplicates, settled=settled).persist()
        try:
            stateful = F.col("group").isin(list(STATEFUL_GROUPS))
            for row in rows.filter(stateful).collect():
                new_values[row["group"]].setdefault(row["id"], []).append(row["line"])
            merged = [_merge(parent, group, new_values[group]) for group in STATEFUL_GROUPS]
            emitted = [(group, i, v) for group, m in merged for i, v in m[0]]
            extra = spark.createDataFrame(emitted, ROW_SCHEMA)
            loaded = rows.filter(~stateful).unionByName(extra)
            written = collect_written(load(loaded, out, params).collect())
        finally:
            rows.unpersist()
        state = [m[1] for _, m in merged]
    else:
        state = [_merge(parent, group, {})[1][1] for group in STATEFUL_GROUPS]
    return written, store_state(out, [s for s in state if s.rows])


def _no_events(spark: SparkSession) -> DataFrame:
    """An empty events pass (a delta whose new payloads are plans only)."""
    return spark.createDataFrame([], EVENT_SCHEMA)


def _merge(
    parent: ParentBuild, group: str, new: Mapping[str, list[str]]
) -> tuple[str, tuple[tuple[tuple[str, str], ...], StateFile]]:
    merged = merge_state(
        group, parent.state_data(group), new, parent.state_source(group), parent.state_rows(group)
    )
    return group, merged


def _write_index(
    out: BuildStore,
    parent: ParentBuild,
    written: Written,
    events: _DeltaEvents,
    inputs: Iterable[InputObject],
    params: NormalizeParams,
) -> tuple[OutputFile, ...]:
    """The cumulative plan index, pending events and recent objects: the parent's and this
    delta's."""
    landed = [s.key for s in written.statuses if s.outcome is not Outcome.NOT_LANDED]
    # Only the plan ids this delta saw can change their chosen key: ranking the parent's
    # other keys again (every plan of history) would give the parent's choice.
    seen = chosen_plan_keys(landed)
    plans = dict(parent.plans)
    plans.update(chosen_plan_keys([*(plans[p] for p in seen if p in plans), *landed]))
    named: dict[str, list[str]] = {}
    for plan_id, batches in parent.pending.items():
        for batch_key in batches:
            named.setdefault(batch_key, []).append(plan_id)
    for key, batch in events.batches.items():
        if batch.status.outcome is not Outcome.NOT_LANDED:
            named.setdefault(key, []).extend(batch.plans)
    read = [*parent.recent.items(), *((i.key, i.size) for i in inputs)]
    return store_state(out, index_files(plans, named, read, params.landed_before_ms))
