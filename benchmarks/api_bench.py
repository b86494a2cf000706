"""Benchmark of the read API: p50/p95 per endpoint on a generated lake, and the import time.

Generates a layered lake of N plans as a Neptune Gremlin CSV build folder (rows from
lineage.graph_schema, so the graph is what the normalize job would write), starts a private
Gremlin Server on a free port, loads the folder with the project's local loader (`run_load`),
then calls every endpoint of `create_app` in-process (FastAPI + gremlinpython over loopback),
each with targets drawn at random from the generated graph. The consumer's import time (the
Lambda cold-start proxy) is measured in fresh interpreters.

    .venv/bin/python benchmarks/api_bench.py [--plans 10000] [--requests 60] [--heap 4g]
    .venv/bin/python benchmarks/api_bench.py --url ws://localhost:8182/gremlin --no-load ...

The lake: tier 0 holds raw datasets nobody writes; each job of tier t (1..6) writes one dataset
of its tier, reading 2-3 datasets of tier t-1 (sometimes t-2) near its own position in the tier
(one domain's pipelines feed each other); every job has two plans (code
versions), each with one run; every dataset has six columns and every written column derives
from one or two read columns in each plan.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lineage import graph_schema as gs
from lineage.neptune_csv import header_line

REPO = Path(__file__).resolve().parent.parent
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

    def emit(row: gs.GraphRow) -> None:
        cls = type(row)
        if cls not in writers:
            folder = out / ("vertices" if isinstance(row, gs.VertexRow) else "edges")
            folder.mkdir(parents=True, exist_ok=True)
            handle = (folder / f"{row.LABEL.value}-00000.csv").open("w", encoding="utf-8")
            handle.write(header_line(gs.csv_header(cls)) + "\n")
            writers[cls] = handle
        writers[cls].write(gs.csv_line(row) + "\n")
        counts[cls] += 1

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


# ---- measuring ----


def percentile(samples: list[float], q: float) -> float:
    """The q-quantile (0..1) by nearest rank."""
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]


def endpoints(
    lake: Lake, rng: random.Random
) -> dict[str, Callable[[], tuple[str, dict[str, Any]]]]:
    """Endpoint label -> a function drawing one request (path, params) at random."""
    top = [u for tier in (5, 6) for u in lake.datasets[tier]]
    raw = lake.datasets[0]
    every = [u for tier in lake.datasets for u in tier]
    return {
        "status": lambda: ("/status", {}),
        "status?counts=true": lambda: ("/status", {"counts": "true"}),
        "overview (500 jobs)": lambda: ("/overview", {"limit": 500}),
        "jobs": lambda: ("/jobs", {"limit": 500}),
        "jobs/{name}": lambda: (f"/jobs/{rng.choice(lake.jobs)}", {}),
        "runs?job=": lambda: ("/runs", {"job": rng.choice(lake.jobs)}),
        "runs?status=FAILED&limit=100": lambda: ("/runs", {"status": "FAILED", "limit": 100}),
        "plans/{id}": lambda: (f"/plans/{rng.choice(lake.plans)}", {}),
        "datasets?q=": lambda: ("/datasets", {"q": rng.choice(every)[-4:], "limit": 50}),
        "datasets/detail": lambda: ("/datasets/detail", {"uri": rng.choice(top)}),
        "datasets/lineage upstream depth 5": lambda: (
            "/datasets/lineage",
            {"uri": rng.choice(top), "direction": "upstream", "depth": 5},
        ),
        "datasets/lineage downstream depth 5": lambda: (
            "/datasets/lineage",
            {"uri": rng.choice(raw), "direction": "downstream", "depth": 5},
        ),
        "datasets/lineage both depth 2": lambda: (
            "/datasets/lineage",
            {"uri": rng.choice(lake.datasets[3]), "direction": "both", "depth": 2},
        ),
        "columns/lineage upstream depth 5": lambda: (
            "/columns/lineage",
            {
                "uri": rng.choice(top),
                "column": rng.choice(COLUMNS),
                "direction": "upstream",
                "depth": 5,
            },
        ),
        "columns/lineage downstream depth 5": lambda: (
            "/columns/lineage",
            {
                "uri": rng.choice(raw),
                "column": rng.choice(COLUMNS),
                "direction": "downstream",
                "depth": 5,
            },
        ),
    }


@dataclass
class Figures:
    label: str
    p50: float
    p95: float
    nodes: float
    capped: int


def measure(url: str, lake: Lake, requests: int, seed: int) -> list[Figures]:
    """Call every endpoint `requests` times (after 3 warm-ups) and time each call."""
    from fastapi.testclient import TestClient

    from lambdas.consumer.app import create_app

    rng = random.Random(seed)
    app = create_app(url)
    client = TestClient(app)
    results = []
    for label, draw in endpoints(lake, rng).items():
        for _ in range(3):
            path, params = draw()
            client.get(path, params=params)
        times, nodes, capped = [], [], 0
        for _ in range(requests):
            path, params = draw()
            started = time.perf_counter()
            response = client.get(path, params=params)
            times.append((time.perf_counter() - started) * 1000)
            if response.status_code != 200:
                raise SystemExit(
                    f"{label}: {path} {params} -> {response.status_code} {response.text}"
                )
            body = response.json()
            nodes.append(len(body.get("nodes", body.get("items", []))))
            capped += bool(body.get("capped"))
        results.append(
            Figures(
                label,
                percentile(times, 0.5),
                percentile(times, 0.95),
                statistics.mean(nodes),
                capped,
            )
        )
        print(
            f"  {label:40s} p50 {results[-1].p50:7.1f} ms  p95 {results[-1].p95:7.1f} ms",
            flush=True,
        )
    app.state.graph_client.close()
    return results


def import_time(runs: int = 5) -> dict[str, float]:
    """Medians over fresh interpreters: wall and CPU ms to import the Lambda handler, and the
    extra CPU ms gremlinpython costs on the first request. CPU time is the steadier figure on a
    shared machine; wall time is what a cold start waits."""
    code = (
        "import time; w, c = time.perf_counter(), time.process_time(); "
        "import lambdas.consumer.handler; "
        "w1, c1 = time.perf_counter(), time.process_time(); "
        "import gremlin_python.driver.client, gremlin_python.process.graph_traversal; "
        "print((w1 - w) * 1000, (c1 - c) * 1000, (time.process_time() - c1) * 1000)"
    )
    samples: dict[str, list[float]] = {"wall": [], "cpu": [], "gremlin_cpu": []}
    for _ in range(runs):
        out = subprocess.run(
            [sys.executable, "-c", code], check=True, capture_output=True, text=True, cwd=REPO
        ).stdout.split()
        for key, value in zip(samples, out, strict=True):
            samples[key].append(float(value))
    return {key: statistics.median(values) for key, values in samples.items()}


def _server(heap: str) -> Iterator[str]:
    from local_neptune import ServerLayout, ServerSettings, start, stop

    cache = REPO / ".cache" / "gremlin-server"
    with tempfile.TemporaryDirectory(prefix="api-bench-server-") as state:
        layout = ServerLayout(lib_dir=cache / "lib", build_dir=cache / "ext", state_dir=Path(state))
        started = start(ServerSettings(port=0, heap=heap), layout)
        try:
            yield started.state.endpoint
        finally:
            stop(layout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--plans", type=int, default=10_000, help="plans to generate")
    parser.add_argument("--requests", type=int, default=60, help="timed calls per endpoint")
    parser.add_argument("--heap", default="4g", help="Gremlin Server heap")
    parser.add_argument("--url", help="use this Gremlin endpoint instead of starting a server")
    parser.add_argument("--no-load", action="store_true", help="graph already loaded (with --url)")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
        f"load average {os.getloadavg()[0]:.1f}; Python {platform.python_version()}"
    )
    cold = import_time()
    print(
        f"import lambdas.consumer.handler (median of 5 fresh interpreters): "
        f"{cold['wall']:.0f} ms wall, {cold['cpu']:.0f} ms CPU; "
        f"gremlinpython on the first request: +{cold['gremlin_cpu']:.0f} ms CPU"
    )

    with tempfile.TemporaryDirectory(prefix="api-bench-build-") as build:
        started = time.perf_counter()
        lake = generate(args.plans, Path(build), args.seed)
        print(
            f"generated {len(lake.plans)} plans, {len(lake.jobs)} jobs, "
            f"{sum(map(len, lake.datasets))} datasets: {lake.rows} rows "
            f"in {time.perf_counter() - started:.1f} s"
        )
        servers = iter([args.url]) if args.url else _server(args.heap)
        url = next(servers)
        try:
            if not args.no_load:
                from gremlin_python.driver.driver_remote_connection import DriverRemoteConnection
                from gremlin_python.process.anonymous_traversal import traversal

                from loader import LocalTarget, run_load

                connection = DriverRemoteConnection(url, "g")
                traversal().with_remote(connection).V().drop().iterate()
                connection.close()
                started = time.perf_counter()
                report = run_load(build, LocalTarget(url=url))
                if not report.succeeded:
                    raise SystemExit(report.summary())
                print(f"loaded in {time.perf_counter() - started:.1f} s")
            figures = measure(url, lake, args.requests, args.seed)
        finally:
            for _ in servers:  # finishes the generator: stops the server it started
                pass
    print()
    title = f"endpoint ({len(lake.plans):,} plans, {args.requests} calls)"
    print(f"| {title} | p50 ms | p95 ms | mean nodes/items | capped |")
    print("|---|---|---|---|---|")
    for f in figures:
        print(f"| {f.label} | {f.p50:.1f} | {f.p95:.1f} | {f.nodes:.0f} | {f.capped} |")


if __name__ == "__main__":
    main()
