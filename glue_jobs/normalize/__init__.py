"""Nightly normalize job: raw zone -> Neptune Gremlin bulk-load CSVs, manifest, quarantine report.

Shape (each step is a module; `job.run_normalize` composes them):

1. `selection` (driver): list `plans/` and `events/` under the raw zone, keep the date range.
2. `events` (Spark, `mapInArrow`, persisted): event batches -> one row per kept event, plus one
   account per batch (its status and the plan ids it names). Only the accounts reach the driver.
3. `plans` (Spark, `mapInArrow`, pure given its inputs): plan keys, joined to their events by
   plan id in Spark (a sort-merge join: no side is held whole) -> graph rows `(group, id, line)`
   with every CSV line already encoded by lineage.graph_csv, plus one status per plan payload.
   Runs are emitted beside their plan, from the joined events.
4. `write` (Spark): one shuffle by group, a sort by id within it, and each task writes the
   files itself (no `_SUCCESS`, no `.crc`), deduplicating ids (a `Dataset` id's claims are
   merged by lineage.dataset_properties), rolling files at a size limit.
   Files and their order depend only on the rows, never on partitioning: byte-identical rebuilds.
5. The driver reconciles every payload's status (lineage.quarantine), writes `quarantine.json`,
   `manifest.json` and `run-info.json`, and checks the bad share.

Each payload is read and decoded exactly once (`payloads`, the job's one door to the Spline
model). Measured facts that shaped it (docs/benchmarks.md): per-row Python <-> JVM conversion and
per-file overhead dominate, so Python sees whole Arrow batches.
"""

from glue_jobs.normalize.build_steps import (
    QUARANTINE_FILE,
    BuildResult,
    OutputFolderError,
    check_output_folder,
)
from glue_jobs.normalize.events import EVENT_SCHEMA, EventRef, parse_events
from glue_jobs.normalize.job import run_normalize
from glue_jobs.normalize.params import NormalizeParams
from glue_jobs.normalize.plans import plan_rows, transform
from glue_jobs.normalize.rows import ROW_SCHEMA
from glue_jobs.normalize.selection import Selection, select_inputs
from glue_jobs.normalize.write import OUT_SCHEMA, load, write_partition
from lineage.graph_csv import EDGES_PREFIX, LOAD_PREFIX, VERTICES_PREFIX

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
    "plan_rows",
    "run_normalize",
    "select_inputs",
    "transform",
    "write_partition",
]
