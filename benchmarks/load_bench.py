"""Load benchmark: elements per second from Neptune Gremlin CSVs into the local Gremlin Server.

Generates a graph shaped like the normalize job's output (Run, Operation, Column vertices with
typed `(single)` properties; HAS_RUN, FOLLOWS, DERIVES_FROM edges with properties), written
with `lineage.neptune_csv`, then times `loader.local_gremlin.load_folder` on it. Prints the
input size and the machine. Target: at least 20,000 elements/s.

    .venv/bin/python benchmarks/load_bench.py --elements 100000 1000000
    .venv/bin/python benchmarks/load_bench.py --graph ws://localhost:8182/gremlin --elements 100000

Without --graph it starts a throwaway Gremlin Server on a free port (local_neptune).
Every run loads into an emptied graph, then reloads the same folder (idempotent path).
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import os
import platform
import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from lineage.neptune_csv import (
    LINE_END,
    Cardinality,
    Column,
    EdgeHeader,
    PropertyType,
    VertexHeader,
    edge_line,
    header_line,
    vertex_line,
)

S = Cardinality.SINGLE
RUN = VertexHeader(
    (
        Column("job_name", PropertyType.STRING, S),
        Column("status", PropertyType.STRING, S),
        Column("started_at", PropertyType.DATE, S),
        Column("duration_ms", PropertyType.LONG, S),
        Column("rows_written", PropertyType.LONG, S),
        Column("raw_key", PropertyType.STRING, S),
    )
)
OPERATION = VertexHeader(
    (
        Column("plan_id", PropertyType.STRING, S),
        Column("kind", PropertyType.STRING, S),
        Column("operator", PropertyType.STRING, S),
        Column("params", PropertyType.STRING, S),
        Column("level", PropertyType.INT, S),
    )
)
EDGE = EdgeHeader((Column("kind", PropertyType.STRING), Column("plan_id", PropertyType.STRING)))


def generate(folder: Path, elements: int, files: int = 4) -> tuple[int, int, int]:
    """Write ~`elements` elements (40% vertices, 60% edges); return (vertices, edges, bytes)."""
    vertices = elements * 2 // 5
    edges = elements - vertices
    start = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    per_file = -(-vertices // files)
    for part in range(files):
        lo, hi = part * per_file, min(vertices, (part + 1) * per_file)
        with gzip.open(folder / f"vertices-{part:03d}.csv.gz", "wt", encoding="utf-8") as out:
            header = RUN if part % 2 == 0 else OPERATION
            out.write(header_line(header) + LINE_END)
            for i in range(lo, hi):
                if header is RUN:
                    line = vertex_line(
                        RUN,
                        f"v:{i:012d}",
                        "Run",
                        {
                            "job_name": f"job_{i % 97}",
                            "status": "SUCCEEDED" if i % 13 else "FAILED",
                            "started_at": start + dt.timedelta(seconds=i),
                            "duration_ms": 1000 + i % 5000,
                            "rows_written": i * 7,
                            "raw_key": f"raw/plans/2026/01/01/{i:012d}.json.gz",
                        },
                    )
                else:
                    line = vertex_line(
                        OPERATION,
                        f"v:{i:012d}",
                        "Operation",
                        {
                            "plan_id": f"plan-{i // 10}",
                            "kind": "transform",
                            "operator": "Project",
                            "params": '{"projectList": ["a", "b, c"]}',
                            "level": i % 10,
                        },
                    )
                out.write(line + LINE_END)
    per_file = -(-edges // files)
    for part in range(files):
        lo, hi = part * per_file, min(edges, (part + 1) * per_file)
        with gzip.open(folder / f"edges-{part:03d}.csv.gz", "wt", encoding="utf-8") as out:
            out.write(header_line(EDGE) + LINE_END)
            for i in range(lo, hi):
                source, target = i % vertices, (i * 7919 + 1) % vertices
                line = edge_line(
                    EDGE,
                    f"e:{i:012d}",
                    f"v:{source:012d}",
                    f"v:{target:012d}",
                    "FOLLOWS" if i % 3 else "DERIVES_FROM",
                    {"kind": "direct", "plan_id": f"plan-{i // 10}"},
                )
                out.write(line + LINE_END)
    size = sum(p.stat().st_size for p in folder.iterdir())
    return vertices, edges, size


def machine() -> str:
    """CPU model, core count, memory: what the figures were measured on."""
    model = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = ""
    try:
        kib = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f", {kib / 1024 / 1024:.1f} GiB RAM"
    except (OSError, ValueError, IndexError):
        pass
    return f"{model}, {os.cpu_count()} cores{memory}, Python {platform.python_version()}"


@contextmanager
def server(url: str | None, heap: str) -> Iterator[str]:
    """The given Gremlin Server URL, or a throwaway server on a free port."""
    if url:
        yield url
        return
    from local_neptune import ServerLayout, ServerSettings, start, stop

    cache = Path(__file__).resolve().parent.parent / ".cache" / "gremlin-server"
    with tempfile.TemporaryDirectory(prefix="load-bench-server-") as state:
        layout = ServerLayout(lib_dir=cache / "lib", build_dir=cache / "ext", state_dir=Path(state))
        started = start(ServerSettings(port=0, heap=heap), layout)
        try:
            yield started.state.endpoint
        finally:
            stop(layout)


def server_cpu_seconds(url: str) -> float | None:
    """CPU seconds used so far by the Java process listening on the URL's port (Linux only)."""
    port = int(url.rsplit(":", 1)[1].split("/", 1)[0])
    try:
        inodes = set()
        for table in ("/proc/net/tcp", "/proc/net/tcp6"):
            for line in Path(table).read_text().splitlines()[1:]:
                fields = line.split()
                if int(fields[1].rsplit(":", 1)[1], 16) == port and fields[3] == "0A":
                    inodes.add(fields[9])
        for proc in Path("/proc").iterdir():
            if not proc.name.isdigit():
                continue
            try:
                links = {os.readlink(fd) for fd in (proc / "fd").iterdir()}
            except OSError:
                continue
            if any(f"socket:[{inode}]" in links for inode in inodes):
                stat = (proc / "stat").read_text().rsplit(")", 1)[1].split()
                return (int(stat[11]) + int(stat[12])) / os.sysconf("SC_CLK_TCK")
    except OSError:
        return None
    return None


def clear(url: str) -> None:
    """Drop every vertex (and so every edge) of the graph."""
    from gremlin_python.driver.driver_remote_connection import DriverRemoteConnection
    from gremlin_python.process.anonymous_traversal import traversal

    connection = DriverRemoteConnection(url, "g")
    try:
        traversal().with_remote(connection).V().drop().iterate()
    finally:
        connection.close()


def measure(
    folder: Path, url: str, batch_size: int = 2000, reload: bool = True
) -> dict[str, float | int | None]:
    """Load `folder` into the emptied graph at `url` (then reload it); return the figures."""
    from loader.local_gremlin import LocalLoadOptions, load_folder

    clear(url)
    options = LocalLoadOptions(batch_size=batch_size)
    server_before = server_cpu_seconds(url)
    cpu_before = time.process_time()
    began = time.perf_counter()
    report = load_folder(folder, url, options)
    first = time.perf_counter() - began
    loader_cpu = time.process_time() - cpu_before
    server_after = server_cpu_seconds(url)
    if not report.succeeded:
        raise SystemExit(f"load failed: {report.summary()} {report.errors[:3]}")
    elements = report.vertices_created + report.edges_created
    reload_s = None
    if reload:
        began = time.perf_counter()
        again = load_folder(folder, url, options)
        reload_s = time.perf_counter() - began
        if again.totals.duplicates != elements:
            raise SystemExit(f"reload was not idempotent: {again.summary()}")
    return {
        "elements": elements,
        "vertices": report.vertices_created,
        "edges": report.edges_created,
        "seconds": first,
        "elements_per_s": elements / first,
        "loader_cpu_s": loader_cpu,
        "server_cpu_s": (
            None if server_before is None or server_after is None else server_after - server_before
        ),
        "reload_s": reload_s,
    }


def main() -> None:
    """Run the benchmark for each requested size and print a Markdown table row per run."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--elements", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--graph", help="ws://HOST:PORT/gremlin of a running server")
    parser.add_argument("--heap", default="4g", help="heap of the throwaway server")
    parser.add_argument("--batch-size", type=int, default=2000)
    args = parser.parse_args()

    print(f"machine: {machine()}")
    print(
        "| elements | vertices | edges | input (gzip) | first load | elements/s "
        "| CPU: loader + server | reload (all duplicates) |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    with server(args.graph, args.heap) as url:
        for elements in args.elements:
            folder = Path(tempfile.mkdtemp(prefix="load-bench-"))
            try:
                vertices, edges, size = generate(folder, elements)
                figures = measure(folder, url, args.batch_size)
                if figures["elements"] != vertices + edges:
                    raise SystemExit(f"loaded {figures['elements']} of {vertices + edges} elements")
                server_cpu = (
                    "n/a" if figures["server_cpu_s"] is None else f"{figures['server_cpu_s']:.1f} s"
                )
                print(
                    f"| {vertices + edges:,} | {vertices:,} | {edges:,} | {size / 1e6:.1f} MB "
                    f"| {figures['seconds']:.1f} s | {figures['elements_per_s']:,.0f} "
                    f"| {figures['loader_cpu_s']:.1f} s + {server_cpu} "
                    f"| {figures['reload_s']:.1f} s |",
                    flush=True,
                )
            finally:
                shutil.rmtree(folder, ignore_errors=True)
        clear(url)


if __name__ == "__main__":
    main()
