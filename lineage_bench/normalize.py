"""Normalize benchmark: plans per second at 1k / 10k (/100k) realistic plans, in Spark local mode.

Realistic plans: the payloads recorded from real Spark jobs (tests/events/spline) used as templates,
each copy with its own plan id, job name and table locations (so datasets, columns and ids grow
with the input as in a real lake), one event batch per plan, every payload with its sidecar,
laid out exactly as the producer stores them. Generated lakes are cached under `--work`.

Also measures the parse floor: orjson over the same plan bytes in one process (bytes in memory),
and reading + parsing the same files in one process.

    .venv/bin/python -m lineage_bench.normalize --sizes 1000,10000 [--work .cache/bench]
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import json
import os
import shutil
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import orjson

from glue_jobs.local_spark import local_spark
from glue_jobs.normalize import NormalizeParams, run_normalize
from lineage import raw_zone_layout as rz
from local_neptune import project_root
from stores import LocalStore

REPO = project_root()

TEMPLATES = [
    "aggregate_sales",
    "enrich_orders",
    "ingest_orders",
    "append_daily_orders_day21",
    "ingest_customers",
]
RECORDED = REPO / "tests" / "events" / "spline"
OLD_ROOT = "file:/tmp/lineage-example-lake/"
DOMAINS = 1000  # 5,000 distinct jobs; datasets and columns are shared within a domain


@dataclass(frozen=True, slots=True)
class NormalizeFigures:
    """What one normalize run measured, beside the parse floor of the same raw zone."""

    plans: int
    seconds: float
    plans_per_second: float
    vertices: int
    edges: int
    output_mb: float
    plan_mb: float
    parse_floor_s: float  # orjson over the plan bytes already in memory
    read_parse_floor_s: float  # reading and parsing the same files
    quarantined: int
    python_cpu_ms_per_plan: float
    load_average_1m: float


def _templates() -> list[tuple[str, str]]:
    return [
        (
            orjson.dumps(orjson.loads((RECORDED / f"{t}.plan.json").read_bytes())).decode(),
            orjson.dumps(orjson.loads((RECORDED / f"{t}.events.json").read_bytes())).decode(),
        )
        for t in TEMPLATES
    ]


def _sidecar(
    kind: rz.PayloadKind, body: bytes, received: dt.datetime, plan_id: str | None
) -> bytes:
    return rz.RawObjectMetadata(
        kind=kind,
        received_at=rz.format_received_at(received),
        api_version="1.2",
        content_type="application/vnd.absa.spline.producer.v1.2+json",
        sha256=rz.sha256_hex(body),
        size=len(body),
        plan_id=plan_id,
    ).to_json()


def generate(root: Path, count: int) -> None:
    """A raw zone with `count` plans and `count` event batches over 10 days."""
    if (root / ".complete").exists():
        return
    shutil.rmtree(root, ignore_errors=True)
    templates = _templates()
    start = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
    for i in range(count):
        template = TEMPLATES[i % len(TEMPLATES)]
        plan_text, events_text = templates[i % len(templates)]
        old_id = json.loads(plan_text)["id"]
        plan_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"bench-plan-{i}"))
        # Plans come in domains of five jobs that feed each other (ingest -> enrich -> aggregate),
        # as in a lake; later copies of a domain are new versions of the same jobs.
        domain = (i // len(templates)) % DOMAINS
        plan_text_i = (
            plan_text.replace(old_id, plan_id)
            .replace(OLD_ROOT, f"s3a://bench-lake/d{domain:04d}/")
            .replace(
                '"name":"' + json.loads(plan_text)["name"] + '"',
                f'"name":"{template}_{domain:04d}"',
            )
        )
        body = plan_text_i.encode()
        received = start + dt.timedelta(seconds=i * 864_000 // max(count, 1))
        key = rz.plan_key(plan_id, received)
        (root / key).parent.mkdir(parents=True, exist_ok=True)
        (root / key).write_bytes(body)
        (root / rz.sidecar_key(key)).write_bytes(_sidecar("plan", body, received, plan_id))
        ev = events_text.replace(old_id, plan_id).encode()
        ekey = rz.events_key(rz.sha256_hex(ev), received)
        (root / ekey).parent.mkdir(parents=True, exist_ok=True)
        (root / ekey).write_bytes(ev)
        (root / rz.sidecar_key(ekey)).write_bytes(_sidecar("events", ev, received, None))
    (root / ".complete").write_text(str(count))


def python_cpu_per_plan(root: Path, sample: int = 2000) -> float:
    """CPU milliseconds per plan of the job's per-plan Python work, in this one process.

    Steadier than wall time on a shared machine: what one core spends per plan to read, parse,
    walk and encode it (the work inside the `transform` task, without Spark's share).
    """
    from glue_jobs.normalize import plan_rows

    store = LocalStore(str(root))
    keys = sorted(str(p.relative_to(root)) for p in (root / "plans").rglob("*.json"))[:sample]
    params = NormalizeParams(lake=str(root), out="unused")
    cache: dict = {}  # type: ignore[type-arg]
    started = time.process_time()
    for key in keys:
        plan_rows(store, key, {}, params, None, cache)
    return (time.process_time() - started) * 1000 / max(len(keys), 1)


def _raw_files(root: Path, folders: tuple[str, ...], pattern: str) -> list[Path]:
    return sorted(f for folder in folders for f in (root / folder).rglob(pattern))


def read_parse_floor(root: Path, folders: tuple[str, ...], pattern: str) -> tuple[float, int]:
    """(seconds to read and orjson-parse every file of `folders` matching `pattern`, bytes).

    One file at a time, so that this process never holds the lake: `lineage bench` runs it
    between normalize runs whose driver memory it samples.
    """
    files = _raw_files(root, folders, pattern)
    total = 0
    started = time.perf_counter()
    for f in files:
        body = f.read_bytes()
        orjson.loads(body)
        total += len(body)
    return time.perf_counter() - started, total


def parse_floor(
    root: Path, folders: tuple[str, ...] = ("plans",), pattern: str = "*.json"
) -> tuple[float, float, int]:
    """(seconds to orjson-parse all plan bytes in memory, seconds to read + parse, bytes).

    `folders` and `pattern` widen it, e.g. to every payload and sidecar the job reads.
    """
    files = _raw_files(root, folders, pattern)
    started = time.perf_counter()
    bodies = [f.read_bytes() for f in files]
    for body in bodies:
        orjson.loads(body)
    read_parse = time.perf_counter() - started
    started = time.perf_counter()
    for body in bodies:
        orjson.loads(body)
    parse = time.perf_counter() - started
    return parse, read_parse, sum(len(b) for b in bodies)


@dataclass(frozen=True, slots=True)
class JobRun:
    """One run of the normalize job alone: its wall time and what its manifest counts."""

    seconds: float
    vertices: int
    edges: int
    output_bytes: int
    quarantined: int


def run_job(spark: Any, lake: Path, out: Path) -> JobRun:
    """Normalize the raw zone `lake` into `out` (emptied first), and nothing else.

    `lineage bench` samples memory around this call only: the parse floors hold every raw
    byte in this process, which is the benchmark's own memory, not the job's.
    """
    shutil.rmtree(out, ignore_errors=True)
    params = NormalizeParams(lake=str(lake), out=str(out))
    t0 = time.perf_counter()
    result = run_normalize(spark, LocalStore(str(lake)), LocalStore(str(out)), params, _stamp(t0))
    elapsed = time.perf_counter() - t0
    counts = result.manifest.counts()
    return JobRun(
        seconds=elapsed,
        vertices=sum(counts["vertices"].values()),
        edges=sum(counts["edges"].values()),
        output_bytes=sum(o.size for o in result.manifest.outputs),
        quarantined=result.report.quarantined,
    )


def measure(spark: Any, lake: Path, out: Path, size: int) -> NormalizeFigures:
    """Normalize the raw zone `lake` into `out` (emptied first); the job's figures beside the
    parse floors of the same raw zone."""
    job = run_job(spark, lake, out)
    parse, read_parse, total_bytes = parse_floor(lake)
    cpu_ms = python_cpu_per_plan(lake)
    load_avg = os.getloadavg()[0]
    return NormalizeFigures(
        plans=size,
        seconds=round(job.seconds, 2),
        plans_per_second=round(size / job.seconds, 1),
        vertices=job.vertices,
        edges=job.edges,
        output_mb=round(job.output_bytes / 2**20, 1),
        plan_mb=round(total_bytes / 2**20, 1),
        parse_floor_s=round(parse, 2),
        read_parse_floor_s=round(read_parse, 2),
        quarantined=job.quarantined,
        python_cpu_ms_per_plan=round(cpu_ms, 3),
        load_average_1m=round(load_avg, 1),
    )


def _stamp(t0: float) -> Callable[[str], None]:
    def show(message: str) -> None:
        print(f"  {time.perf_counter() - t0:7.2f}s  {message}", flush=True)

    return show


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--sizes", default="1000,10000")
    parser.add_argument("--work", default=str(REPO / ".cache" / "bench" / "normalize"))
    parser.add_argument("--master", default="local[2]")
    parser.add_argument("--json", default=None, help="Write the results here as JSON.")
    args = parser.parse_args()

    spark = local_spark(args.master)
    results: list[dict[str, Any]] = []
    work = Path(args.work)
    for size in (int(s) for s in args.sizes.split(",")):
        lake = work / f"lake-{size}"
        t0 = time.perf_counter()
        generate(lake, size)
        gen = time.perf_counter() - t0
        figures = measure(spark, lake, work / f"out-{size}", size)
        row = {**asdict(figures), "generate_s": round(gen, 1)}
        results.append(row)
        print(json.dumps(row), flush=True)
    for before, after in itertools.pairwise(results):
        ratio = after["seconds"] / before["seconds"]
        growth = after["plans"] / before["plans"]
        print(f"{before['plans']} -> {after['plans']} plans ({growth:.0f}x): time x{ratio:.2f}")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2) + "\n")
    spark.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
