"""Load benchmark: elements per second from Neptune Gremlin CSVs into the local Gremlin Server.

Generates a graph of the normalize job's own rows (`Run` and `Operation` vertices with typed
`(single)` properties; `FOLLOWS` and `DERIVES_FROM` edges), written with the job's writer
(`lineage.graph_csv`), then times `loader.run.run_load` on it: the boto3 `neptunedata` client
drives the local Gremlin Server's loader API, which reads the files itself. Prints the input size,
the machine and the server's heap after the load. Target: at least 200,000 elements/s at 100k
plans.

    .venv/bin/python -m lineage_bench.load --elements 100000 1000000
    .venv/bin/python -m lineage_bench.load --graph ws://localhost:8182/gremlin --elements 100000

Without --graph it starts a throwaway Gremlin Server on a free port (local_neptune).
Every run loads into an emptied graph, then reloads the same folder (idempotent path).
"""

from __future__ import annotations

import argparse
import datetime as dt
import shutil
import tempfile
import time
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from lineage import graph_schema as gs
from lineage.graph_csv import csv_files
from lineage_bench.errors import StageError
from lineage_bench.graph import (
    clear_graph,
    graph_counts,
    graph_server,
    server_heap_bytes,
    url_port,
)
from lineage_bench.machine import listener_cpu_seconds, summary_line

if TYPE_CHECKING:
    from loader.neptune_bulk import Parallelism

_START = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
TARGET_ELEMENTS_PER_S = 200_000.0


def _vertex(i: int) -> gs.VertexRow:
    """Vertex `i`: a `Run` when even, an `Operation` when odd (both typed)."""
    plan = f"plan-{i // 10}"
    if i % 2 == 0:
        at = _START + dt.timedelta(seconds=i)
        return gs.RunVertex(
            plan_id=plan,
            timestamp_ms=i,
            discriminator=None,
            job_name=f"job_{i % 97}",
            status="SUCCEEDED" if i % 13 else "FAILED",
            error=None,
            started_at=at,
            ended_at=at + dt.timedelta(milliseconds=1000 + i % 5000),
            duration_ms=1000 + i % 5000,
            rows_read=None,
            rows_written=i * 7,
            bytes_written=None,
            app_id=None,
            user=None,
            glue_job_run_id=None,
            raw_key=f"raw/plans/2026/01/01/{i:012d}.json.gz",
            raw_sha256=f"{i:064x}",
        )
    return gs.OperationVertex(
        plan_id=plan,
        op_id=str(i),
        kind="transform",
        operator="Project",
        params='{"projectList": ["a", "b, c"]}',
        schema="[]",
        level=i % 10,
    )


@dataclass(frozen=True, slots=True)
class LoadFigures:
    """What one load of a build folder measured."""

    elements: int
    vertices: int
    edges: int
    seconds: float  # the first load, into an empty graph
    elements_per_s: float
    loader_cpu_s: float
    server_cpu_s: float | None  # None where the server's process cannot be read (not Linux)
    reload_s: float | None  # the same folder again (every element a duplicate); None: not run
    server_heap_bytes: int | None  # used heap after a full GC, once loaded; None: not readable


def generate(folder: Path, elements: int, files: int = 4) -> tuple[int, int, int]:
    """Write ~`elements` elements (40% vertices, 60% edges); return (vertices, distinct edges,
    bytes).

    Rows are the normalize job's own row classes, written by its writer (lineage.graph_csv),
    in about `files` gzip files per label.
    """
    vertices = elements * 2 // 5
    edges = elements - vertices
    ids: list[str] = []
    rows: list[gs.GraphRow] = []
    for i in range(vertices):
        row = _vertex(i)
        ids.append(row.id)
        rows.append(row)
    for i in range(edges):
        source, target = ids[i % vertices], ids[(i * 7919 + 1) % vertices]
        if i % 3:
            rows.append(gs.FollowsEdge(source, target))
        else:
            rows.append(gs.DerivesFromEdge(source, target, f"plan-{i // 10}", "direct", "a"))
    # About `files` files per label: the roller cuts at a size, so aim at a share of the text.
    per_row = 200
    file_bytes = max(1 << 16, per_row * len(rows) // (files * 4))
    for written in csv_files(rows, target_bytes=file_bytes, gzip=True):
        (folder / written.path.replace("/", "-")).write_bytes(written.data)
    size = sum(p.stat().st_size for p in folder.iterdir())
    # Some endpoint pairs repeat, and an edge's id is made of its label and endpoints: the
    # repeats are duplicates of one edge, so the graph holds the distinct ones.
    distinct_edges = len({row.id for row in rows[vertices:]})
    return vertices, distinct_edges, size


def measure(
    folder: Path, url: str, reload: bool = True, parallelism: Parallelism = "HIGH"
) -> LoadFigures:
    """Load `folder` into the emptied graph at `url` (then reload it); return the figures."""
    from loader.run import LocalTarget, run_load

    target = LocalTarget(url=url, parallelism=parallelism)
    clear_graph(url)
    port = url_port(url)
    server_before = listener_cpu_seconds(port)
    cpu_before = time.process_time()
    began = time.perf_counter()
    report = run_load(str(folder), target, update_single_cardinality=False)
    first = time.perf_counter() - began
    loader_cpu = time.process_time() - cpu_before
    server_after = listener_cpu_seconds(port)
    if not report.succeeded:
        raise StageError(f"load of {folder} failed: {report.summary()} {report.errors[:3]}")
    vertices, edges = graph_counts(url)
    elements = vertices + edges
    heap = server_heap_bytes(url)
    reload_s = None
    if reload:
        began = time.perf_counter()
        again = run_load(str(folder), target, update_single_cardinality=False)
        reload_s = time.perf_counter() - began
        if again.totals.duplicates != again.totals.records or graph_counts(url) != (
            vertices,
            edges,
        ):
            raise StageError(f"reload of {folder} was not idempotent: {again.summary()}")
    return LoadFigures(
        elements=elements,
        vertices=vertices,
        edges=edges,
        seconds=first,
        elements_per_s=elements / first,
        loader_cpu_s=loader_cpu,
        server_cpu_s=(
            None if server_before is None or server_after is None else server_after - server_before
        ),
        reload_s=reload_s,
        server_heap_bytes=heap,
    )


def main() -> None:
    """Run the benchmark for each requested size and print a Markdown table row per run."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--elements", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--graph", help="ws://HOST:PORT/gremlin of a running server")
    parser.add_argument("--heap", default="4g", help="heap of the throwaway server")
    parser.add_argument(
        "--parallelism",
        default="HIGH",
        choices=["LOW", "MEDIUM", "HIGH", "OVERSUBSCRIBE"],
        help="the load's threads per vCPU, as Neptune defines them",
    )
    args = parser.parse_args()

    print(f"machine: {summary_line()}")
    print(
        "| elements | vertices | edges | input (gzip) | first load | elements/s "
        "| CPU: loader + server | server heap | reload (all duplicates) |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    verdicts: list[str] = []
    with nullcontext(args.graph) if args.graph else graph_server(args.heap) as url:
        for elements in args.elements:
            folder = Path(tempfile.mkdtemp(prefix="load-bench-"))
            try:
                vertices, edges, size = generate(folder, elements)
                figures = measure(folder, url, parallelism=args.parallelism)
                if figures.elements != vertices + edges:
                    raise SystemExit(f"loaded {figures.elements} of {vertices + edges} elements")
                server_cpu = (
                    "n/a" if figures.server_cpu_s is None else f"{figures.server_cpu_s:.1f} s"
                )
                heap_bytes = figures.server_heap_bytes
                heap = "n/a" if heap_bytes is None else f"{heap_bytes / 2**20:,.0f} MiB"
                print(
                    f"| {vertices + edges:,} | {vertices:,} | {edges:,} | {size / 1e6:.1f} MB "
                    f"| {figures.seconds:.1f} s | {figures.elements_per_s:,.0f} "
                    f"| {figures.loader_cpu_s:.1f} s + {server_cpu} | {heap} "
                    f"| {figures.reload_s or 0:.1f} s |",
                    flush=True,
                )
                verdicts.append(f"{vertices + edges:,} elements: {verdict(figures.elements_per_s)}")
            finally:
                shutil.rmtree(folder, ignore_errors=True)
        clear_graph(url)
    print(f"target >= {TARGET_ELEMENTS_PER_S:,.0f} elements/s (the target holds at 100k plans):")
    for line in verdicts:
        print(f"  {line}")


def verdict(elements_per_s: float) -> str:
    """`met` or how far short of the load target a rate is."""
    if elements_per_s >= TARGET_ELEMENTS_PER_S:
        return f"{elements_per_s:,.0f} elements/s, met"
    return (
        f"{elements_per_s:,.0f} elements/s, missed: "
        f"{elements_per_s / TARGET_ELEMENTS_PER_S:.2f}x of the target"
    )


if __name__ == "__main__":
    try:
        main()
    except StageError as exc:  # a failed run ends with its message, not a traceback
        raise SystemExit(str(exc)) from None
