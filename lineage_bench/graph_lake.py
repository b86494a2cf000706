"""A layered lake written straight as a Neptune Gremlin CSV build folder, for the read API bench.

Rows come from `lineage.graph_schema`, so the graph is what the normalize job would write, without
generating raw payloads and running Spark first (`lineage_bench.workload` does that).

The lake: tier 0 holds raw datasets nobody writes; each job of tier t (1..6) writes one dataset
of its tier, reading 2-3 datasets of tier t-1 (sometimes t-2) near its own position in the tier
(one domain's pipelines feed each other); every job has two plans (code versions), each with one
run; every dataset has six columns and every written column derives from one or two read columns
in each plan.
"""

from __future__ import annotations

import datetime as dt
import json
import random
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lineage import graph_schema as gs
from lineage.catalog import catalog_rows
from lineage.graph_csv import csv_line, file_header

__all__ = ["COLUMNS", "Lake", "generate"]

TIERS = 7
LAYERS = ["raw", "staging", "curated", "curated", "aggregated", "aggregated", "aggregated"]
COLUMNS = ["id", "key", "amount", "quantity", "country", "updated_at"]
KINDS = ["direct", "direct", "cast", "expression", "aggregate"]


@dataclass
class Lake:
    """What the generator wrote, kept for drawing request targets."""

    datasets: list[list[str]] = field(default_factory=lambda: [[] for _ in range(TIERS)])
    jobs: list[str] = field(default_factory=list)
    plans: list[str] = field(default_factory=list)
    rows: int = 0


def _uri(tier: int, index: int) -> str:
    return f"s3://bench-lake/{LAYERS[tier]}/t{tier}/ds{index:06d}"


def generate(plans: int, out: Path, seed: int) -> Lake:
    """Write the build folder for about `plans` plans; return what it holds."""
    rng = random.Random(seed)
    lake = Lake()
    writers: dict[type[Any], Any] = {}
    counts: dict[type[Any], int] = defaultdict(int)
    shards: set[gs.GraphRow] = set()

    def emit(row: gs.GraphRow) -> None:
        cls = type(row)
        if cls not in writers:
            folder = out / ("vertices" if isinstance(row, gs.VertexRow) else "edges")
            folder.mkdir(parents=True, exist_ok=True)
            handle = (folder / f"{row.LABEL.value}-00000.csv").open("w", encoding="utf-8")
            handle.write(file_header(cls) + "\n")
            writers[cls] = handle
        writers[cls].write(csv_line(row) + "\n")
        counts[cls] += 1
        for listed in catalog_rows(row):  # what the normalize job adds for a job, dataset, run
            # Equal rows once (a shard, a run hour's edge from the root); rows that differ by
            # member text all add a search value.
            member_edge = isinstance(listed, gs.EdgeRow) and listed.to_id == row.id
            if member_edge or listed not in shards:
                if not member_edge:
                    shards.add(listed)
                emit(listed)

    def dataset(tier: int, index: int) -> str:
        uri = _uri(tier, index)
        emit(
            gs.DatasetVertex(
                uri=uri,
                name=f"ds{index:06d}",
                format="parquet",
                layer=LAYERS[tier],
                catalog_table=None,
            )
        )
        for col in COLUMNS:
            emit(gs.ColumnVertex(dataset_uri=uri, name=col, data_type="string"))
            emit(gs.OfEdge(gs.column_id(uri, col), gs.dataset_id(uri)))
        lake.datasets[tier].append(uri)
        return uri

    jobs = max(TIERS - 1, plans // 2)
    per_tier = max(1, jobs // (TIERS - 1))
    for i in range(max(3, per_tier)):
        dataset(0, i)
    start = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    job_index = 0
    for tier in range(1, TIERS):
        written = [dataset(tier, i) for i in range(per_tier)]
        for out_uri in written:
            name = f"job_t{tier}_{job_index:06d}"
            job_index += 1
            lake.jobs.append(name)
            emit(gs.JobVertex(name=name, glue_job_name=name))
            position = (len(lake.jobs) - 1) % per_tier / per_tier
            base = [_near(rng, lake.datasets[tier - 1], position) for _ in range(2)]
            for version in range(2):
                inputs = list(base)
                extra_tier = tier - 2 if tier >= 2 and rng.random() < 0.3 else tier - 1
                inputs.append(_near(rng, lake.datasets[extra_tier], position))
                inputs = list(dict.fromkeys(inputs))
                plan_id = f"{rng.getrandbits(128):032x}"
                lake.plans.append(plan_id)
                _plan(emit, rng, name, plan_id, inputs, out_uri, start, job_index, version)
    for handle in writers.values():
        handle.close()
    lake.rows = sum(counts.values())
    return lake


def _near(rng: random.Random, tier: list[str], position: float) -> str:
    """A dataset of `tier` close to relative `position`: pipelines of one domain read each
    other's outputs, so provenance cones widen with depth instead of covering the lake."""
    centre = int(position * len(tier))
    return tier[max(0, min(len(tier) - 1, centre + rng.randint(-3, 3)))]


def _plan(
    emit: Callable[[gs.GraphRow], None],
    rng: random.Random,
    job: str,
    plan_id: str,
    inputs: list[str],
    out_uri: str,
    start: dt.datetime,
    job_index: int,
    version: int,
) -> None:
    """One plan: its vertex, reads/writes, operation DAG, one run and its column derivations."""
    pid, jid = gs.plan_vertex_id(plan_id), gs.job_id(job)
    emit(
        gs.PlanVertex(
            plan_id=plan_id,
            job_name=job,
            spline_version="1.2",
            spark_version="3.5.4",
            agent_version="2.2.1",
            write_mode="overwrite",
            raw_key=f"plans/date=2026-01-01/{plan_id}.json",
            raw_sha256=f"{rng.getrandbits(256):064x}",
        )
    )
    emit(gs.HasPlanEdge(jid, pid))
    for uri in inputs:
        emit(gs.ReadsEdge(pid, gs.dataset_id(uri)))
    emit(gs.WritesEdge(pid, gs.dataset_id(out_uri), append=False))
    schema = json.dumps([{"name": c, "type": "string"} for c in COLUMNS])
    ops = [("0", "write", "InsertIntoHadoopFsRelationCommand", 0, ["1"])]
    ops.append(("1", "transform", "Project", 1, ["2"]))
    reads = [str(3 + i) for i in range(len(inputs))]
    ops.append(("2", "transform", "Join", 2, reads))
    ops += [(r, "read", "LogicalRelation", 3, []) for r in reads]
    for op_id, kind, operator, level, children in ops:
        oid = gs.operation_id(plan_id, op_id)
        emit(
            gs.OperationVertex(
                plan_id=plan_id,
                op_id=op_id,
                kind=kind,
                operator=operator,
                params=json.dumps({"operator": operator}),
                schema=schema,
                level=level,
            )
        )
        emit(gs.HasOperationEdge(pid, oid))
        for child in children:
            emit(gs.FollowsEdge(oid, gs.operation_id(plan_id, child)))
    ended = start + dt.timedelta(minutes=job_index, days=version)
    run = gs.RunVertex(
        plan_id=plan_id,
        timestamp_ms=int(ended.timestamp() * 1000),
        discriminator=None,
        job_name=job,
        status="FAILED" if rng.random() < 0.05 else "SUCCEEDED",
        error=None,
        started_at=ended - dt.timedelta(seconds=30),
        ended_at=ended,
        duration_ms=30_000,
        rows_read=rng.randint(1, 10**6),
        rows_written=rng.randint(1, 10**6),
        bytes_written=None,
        app_id=None,
        user=None,
        glue_job_run_id=None,
        raw_key=f"events/date=2026-01-01/{plan_id}.json",
        raw_sha256=f"{rng.getrandbits(256):064x}",
    )
    emit(run)
    emit(gs.HasRunEdge(jid, run.id))
    emit(gs.ExecutedEdge(run.id, pid))
    for col in COLUMNS:
        for source_uri in rng.sample(inputs, min(len(inputs), rng.choice((1, 2)))):
            source_col = col if rng.random() < 0.8 else rng.choice(COLUMNS)
            emit(
                gs.DerivesFromEdge(
                    gs.column_id(out_uri, col),
                    gs.column_id(source_uri, source_col),
                    plan_id=plan_id,
                    kind=rng.choice(KINDS),
                    expression=source_col,
                )
            )
