"""Each pipeline stage measured by its own module, turned into a `StageResult`.

The measurements live in one module per stage (`producer`, `normalize`, `load`, `read_api`,
each also runnable alone with `python -m lineage_bench.<stage>`); this module only adds what
spans stages: workloads, peak memory, the labels of each scale.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from lineage_bench.load import measure as load_build
from lineage_bench.machine import DRIVER_PYTHON, JVM, PYTHON_WORKERS, process_tree_rss_by_role
from lineage_bench.normalize import read_parse_floor, run_job
from lineage_bench.producer import run as run_producer
from lineage_bench.read_api import measure_endpoints
from lineage_bench.read_concurrency import measure_concurrency
from lineage_bench.results import StageResult
from lineage_bench.workload import (
    GENERATOR_VERSION,
    WorkloadSummary,
    generate_workload,
    read_summary,
)

if TYPE_CHECKING:
    from lineage_bench.delta import DeltaFigures

__all__ = [
    "PeakMemory",
    "measure_delta",
    "measure_follow",
    "measure_load",
    "measure_normalize",
    "measure_producer",
    "measure_read_api",
    "measure_read_concurrency",
    "same_night",
    "scale_label",
    "summary_dict",
    "workload_lake",
]

Say = Callable[[str], None]


def scale_label(plans: int) -> str:
    """`1k plans`, `100k plans`, `1m plans`, `250 plans`."""
    if plans >= 1_000_000 and plans % 1_000_000 == 0:
        return f"{plans // 1_000_000}m plans"
    if plans >= 1000 and plans % 1000 == 0:
        return f"{plans // 1000}k plans"
    return f"{plans} plans"


def _script_output() -> contextlib.redirect_stdout[TextIO]:
    """Stage modules print their own report: send it to stderr, beside our progress lines
    (stdout is the report table). A failed run raises `StageError`."""
    return contextlib.redirect_stdout(sys.stderr)


class PeakMemory:
    """Samples the resident memory of this process and its children (Spark's JVM, workers):
    the peak of the whole tree, and the peak of each role (`machine.process_tree_rss_by_role`)."""

    def __init__(self, interval_s: float = 0.2) -> None:
        self.interval_s = interval_s
        self.peak_bytes = 0
        self.peak_by_role: dict[str, int] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        pid = os.getpid()
        while True:
            by_role = process_tree_rss_by_role(pid)
            self.peak_bytes = max(self.peak_bytes, sum(by_role.values()))
            for role, rss in by_role.items():
                self.peak_by_role[role] = max(self.peak_by_role.get(role, 0), rss)
            if self._stop.wait(self.interval_s):
                return

    def peak_mib(self, role: str) -> float:
        """The peak of one role, in MiB (0 when it never ran)."""
        return self.peak_by_role.get(role, 0) / 2**20

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)


def workload_lake(work: Path, plans: int, seed: int, say: Say) -> tuple[Path, WorkloadSummary]:
    """The generated raw zone for (plans, seed) under `work`, generated unless already there."""
    root = work / f"lake-{plans}-seed{seed}"
    found = read_summary(root)
    if (
        found is not None
        and found.plans == plans
        and found.seed == seed
        and found.generator_version == GENERATOR_VERSION
    ):
        say(f"workload {scale_label(plans)}: reusing {root}")
        return root, found

    def progress(done: int, total: int) -> None:
        if done % 10_000 == 0 or done == total:
            say(f"workload {scale_label(plans)}: {done:,}/{total:,} plans written")

    say(f"workload {scale_label(plans)}: generating into {root}")
    return root, generate_workload(root, plans, seed, progress)


def measure_delta(options: Any, lakes: dict[int, Path], say: Say) -> StageResult:
    """Delta build + load against full rebuild + load, per history size and share
    (`lineage_bench.delta`), on one Spark session and one Gremlin Server."""
    import tempfile

    from glue_jobs.local_spark import local_spark, stop_local_spark
    from lineage_bench.delta import measure as measure_deltas
    from lineage_bench.graph import graph_server

    result = StageResult("delta")
    began = time.perf_counter()
    nights: list[DeltaFigures] = []
    spark = local_spark(options.master)
    try:
        for plans in options.delta_sizes:
            scale = scale_label(plans)
            heap = options.heap if options.heap != "auto" else f"{-(-plans // 10_000) + 2}g"
            work = Path(tempfile.mkdtemp(prefix="lineage-bench-delta-", dir=options.work))
            try:
                with graph_server(heap, say) as url:
                    figures = measure_deltas(
                        spark, lakes[plans], plans, list(options.delta_shares), url, work, say
                    )
            except Exception as exc:  # one size failing (e.g. out of memory) keeps the others
                result.notes.append(f"{scale}: not measured, {type(exc).__name__}: {exc}")
                continue
            finally:
                shutil.rmtree(work, ignore_errors=True)
            for f in figures:
                where = f"{scale}, {f.share:.0%} new"
                result.add("delta_build_s", f.delta_build.seconds, "s", where)
                result.add("delta_load_s", f.delta_load.seconds, "s", where)
                result.add(
                    "delta_cpu_s", f.delta_build.cpu_seconds + f.delta_load.cpu_seconds, "s", where
                )
                result.add("delta_over_full_pct", 100 * f.delta_over_full, "%", where)
                result.notes.append(
                    f"{where} ({f.new_payloads:,} payloads): delta {f.delta_build.seconds:.1f} s "
                    f"+ load {f.delta_load.seconds:.1f} s vs full {f.full_build.seconds:.1f} s + "
                    f"load {f.full_load.seconds:.1f} s (load average {f.delta_build.load_average})"
                )
            result.add("full_build_s", figures[0].full_build.seconds, "s", scale)
            result.add("full_load_s", figures[0].full_load.seconds, "s", scale)
            nights.extend(figures)
    finally:
        stop_local_spark(spark)
    same_night(result, nights)
    result.seconds = round(time.perf_counter() - began, 1)
    return result


def same_night(result: StageResult, nights: list[DeltaFigures]) -> None:
    """The same night (as many new payloads, within 1 %) on a smaller and a larger history:
    the larger one's delta build + load over the smaller one's (`same_night_growth`)."""
    for small in nights:
        for large in nights:
            if large.plans <= small.plans or abs(large.new_payloads - small.new_payloads) > (
                0.01 * small.new_payloads
            ):
                continue
            growth = (large.delta_build.seconds + large.delta_load.seconds) / max(
                small.delta_build.seconds + small.delta_load.seconds, 1e-9
            )
            where = f"{scale_label(small.plans).split()[0]}->{scale_label(large.plans)}"
            result.add("same_night_growth", growth, "x", where)
            result.notes.append(
                f"the same night on {where} of history: {small.new_payloads:,} and "
                f"{large.new_payloads:,} new payloads ({small.share:.0%} and {large.share:.0%}), "
                f"delta build + load x{growth:.2f}"
            )


def measure_follow(options: Any, lakes: dict[int, Path], say: Say) -> StageResult:
    """Landed -> visible in the read API with `lineage serve --follow`, per history size
    (`lineage_bench.follow`): the follower's first build, then one new run per round."""
    import tempfile

    from lineage_bench.follow import measure as measure_lags

    result = StageResult("follow")
    began = time.perf_counter()
    for plans in options.follow_sizes:
        scale = scale_label(plans)
        heap = options.heap if options.heap != "auto" else f"{-(-plans // 10_000) + 2}g"
        work = Path(tempfile.mkdtemp(prefix="lineage-bench-follow-", dir=options.work))
        try:
            figures = measure_lags(lakes[plans], plans, work, heap, options.follow_rounds, say)
        except Exception as exc:  # one size failing keeps the others
            result.notes.append(f"{scale}: not measured, {type(exc).__name__}: {exc}")
            continue
        finally:
            shutil.rmtree(work, ignore_errors=True)
        result.add("lag_median_s", figures.median_s, "s", scale)
        result.add("lag_max_s", figures.max_s, "s", scale)
        result.add("first_build_s", figures.first_build_s, "s", scale)
        result.add("lake_copy_s", figures.copy_s, "s", scale)
        result.notes.append(
            f"{scale}: {len(figures.lags_s)} runs landed one at a time, visible after "
            f"{', '.join(f'{s:.1f}' for s in figures.lags_s)} s (looks every "
            f"{figures.interval_s:g} s); the first, full build took {figures.first_build_s:.1f} s"
        )
    result.seconds = round(time.perf_counter() - began, 1)
    return result


def measure_producer(quick: bool) -> StageResult:
    """Requests/s and latency of `lineage serve` storing gzip plans (`lineage_bench.producer`)."""
    began = time.perf_counter()
    seconds = 2.0 if quick else 10.0
    argv = ["--seconds", str(seconds), "--connections", "8"]
    argv += ["--max-requests", "3000" if quick else "20000"]
    with _script_output():
        figures = run_producer(argv)
    result = StageResult("producer", seconds=time.perf_counter() - began)
    result.inputs.update(
        {
            "plan_bytes": figures.plan_bytes,
            "gzip_bytes": figures.gzip_bytes,
            "connections": 8,
            "measured_seconds": seconds,
            "requests": figures.requests,
        }
    )
    result.add("requests_per_s", figures.requests_per_s, "req/s")
    result.add("p50_ms", figures.p50_ms, "ms")
    result.add("p99_ms", figures.p99_ms, "ms")
    result.add("server_cpu_per_request_ms", figures.server_cpu_ms_per_request, "ms")
    result.add("errors", figures.errors, "requests")
    return result


def measure_normalize(
    spark: Any, lakes: list[tuple[int, Path]], work: Path, say: Say
) -> tuple[StageResult, dict[int, Path]]:
    """Plans/s, peak memory and parse-floor ratio at each size (`lineage_bench.normalize`)."""
    result = StageResult("normalize")
    builds: dict[int, Path] = {}
    began = time.perf_counter()
    previous: tuple[int, float] | None = None
    peaks: dict[int, tuple[int, int]] = {}  # plans -> (whole tree, Python driver) peak bytes
    for plans, lake in lakes:
        scale = scale_label(plans)
        out = work / f"build-{lake.name}"
        shutil.rmtree(out, ignore_errors=True)
        say(f"normalize {scale}: running the normalize job (Spark {spark.sparkContext.master})")
        with PeakMemory() as peak, _script_output():
            row = run_job(spark, lake, out)
        # The floor reads and parses every raw object the job reads: payloads and sidecars.
        read_parse_s, raw_bytes = read_parse_floor(lake, ("plans", "events"), "*.json*")
        builds[plans] = out  # a build folder: its graph files load first, then its marker
        seconds = row.seconds
        result.add("seconds", seconds, "s", scale)
        result.add("plans_per_s", plans / seconds, "plans/s", scale)
        result.add("peak_memory_mib", peak.peak_bytes / 2**20, "MiB", scale)
        # Local mode: one JVM is Spark's driver and its executor; the Python driver holds the
        # selection, the batch accounts and the manifest; the Python workers run the tasks.
        result.add("peak_driver_python_mib", peak.peak_mib(DRIVER_PYTHON), "MiB", scale)
        result.add("peak_jvm_mib", peak.peak_mib(JVM), "MiB", scale)
        result.add("peak_python_workers_mib", peak.peak_mib(PYTHON_WORKERS), "MiB", scale)
        peaks[plans] = (peak.peak_bytes, peak.peak_by_role.get(DRIVER_PYTHON, 0))
        result.add("parse_floor_s", read_parse_s, "s", scale)
        result.add("floor_ratio", seconds / max(read_parse_s, 1e-9), "x", scale)
        result.add("vertices", row.vertices, "vertices", scale)
        result.add("edges", row.edges, "edges", scale)
        result.add("quarantined", row.quarantined, "payloads", scale)
        result.inputs[f"raw_mib_{scale}"] = round(raw_bytes / 2**20, 1)
        say(
            f"normalize {scale}: {seconds:.1f} s ({plans / seconds:,.0f} plans/s), floor "
            f"{read_parse_s:.1f} s, peak {peak.peak_bytes / 2**20:,.0f} MiB (driver Python "
            f"{peak.peak_mib(DRIVER_PYTHON):,.0f}, JVM {peak.peak_mib(JVM):,.0f}, Python workers "
            f"{peak.peak_mib(PYTHON_WORKERS):,.0f})"
        )
        if previous is not None:
            growth = plans / previous[0]
            result.add(
                "time_growth",
                seconds / previous[1],
                "x",
                f"{scale_label(previous[0]).split()[0]}->{scale}",
            )
            result.notes.append(
                f"{scale_label(previous[0])} -> {scale} ({growth:g}x plans): "
                f"time x{seconds / previous[1]:.2f}"
            )
        previous = (plans, seconds)
    _memory_growth(result, peaks)
    result.inputs["spark_master"] = str(spark.sparkContext.master)
    result.seconds = time.perf_counter() - began
    return result, builds


def _memory_growth(result: StageResult, peaks: dict[int, tuple[int, int]]) -> None:
    """Peak memory at 10x the plans over the peak at 1x, for each measured 10x pair: of the
    whole tree (`peak_growth`) and of the Python driver (`driver_growth`)."""
    for small, (tree, driver) in sorted(peaks.items()):
        if small * 10 not in peaks:
            continue
        big_tree, big_driver = peaks[small * 10]
        pair = f"{scale_label(small).split()[0]}->{scale_label(small * 10)}"
        result.add("peak_growth", big_tree / max(tree, 1), "x", pair)
        result.add("driver_growth", big_driver / max(driver, 1), "x", pair)


def measure_load(build: Path, url: str, scale: str, result: StageResult, reload: bool) -> float:
    """Load a normalize build into an empty graph (`lineage_bench.load`); returns seconds."""
    with _script_output():
        figures = load_build(build, url, reload=reload)
    seconds = figures.seconds
    result.add("elements", figures.elements, "elements", scale)
    result.add("seconds", seconds, "s", scale)
    result.add("elements_per_s", figures.elements_per_s, "elements/s", scale)
    if figures.server_cpu_s is not None:
        result.add("server_cpu_s", figures.server_cpu_s, "s", scale)
    result.add("loader_cpu_s", figures.loader_cpu_s, "s", scale)
    if figures.reload_s is not None:
        result.add("reload_s", figures.reload_s, "s", scale)
    if figures.server_heap_bytes is not None:
        result.add("server_heap_mib", figures.server_heap_bytes / 2**20, "MiB", scale)
    return seconds


def measure_read_api(url: str, scale: str, requests: int, result: StageResult, say: Say) -> None:
    """p50/p95 per endpoint on the loaded graph (`lineage_bench.read_api`)."""
    for endpoint, endpoint_stats in measure_endpoints(url, requests, say).items():
        result.add(f"{endpoint}_p50_ms", endpoint_stats.p50_ms, "ms", scale)
        result.add(f"{endpoint}_p95_ms", endpoint_stats.p95_ms, "ms", scale)
        result.add(f"{endpoint}_answer_size", endpoint_stats.mean_items, "nodes or items", scale)
        if endpoint_stats.errors:
            result.notes.append(f"{endpoint} at {scale}: {endpoint_stats.errors} non-200 answers")
    result.inputs["requests_per_endpoint"] = requests


def measure_read_concurrency(
    url: str, scale: str, clients: tuple[int, ...], seconds: float, result: StageResult, say: Say
) -> None:
    """Throughput and latency of N concurrent clients (`lineage_bench.read_concurrency`)."""
    load_before = os.getloadavg()[0]
    for count, figures in measure_concurrency(url, clients, seconds, say).items():
        at = f"{scale}, {count} client{'' if count == 1 else 's'}"
        result.add("requests_per_s", figures["requests_per_s"], "req/s", at)
        result.add("errors", figures["errors"], "requests", at)
        for name in ("p50_ms", "p95_ms", "p99_ms", "computed_p95_ms", "cached_p95_ms"):
            result.add(name, figures[name], "ms", at)
        for endpoint, per in figures["endpoints"].items():
            result.add(f"{endpoint}_p95_ms", per["p95_ms"], "ms", at)
            result.add(f"{endpoint}_p99_ms", per["p99_ms"], "ms", at)
            if per["errors"]:
                result.add(f"{endpoint}_errors", per["errors"], "requests", at)
    result.inputs["seconds_per_client_count"] = seconds
    result.notes.append(
        f"{scale}: load average {load_before:.2f} before, {os.getloadavg()[0]:.2f} after"
    )


def summary_dict(summary: WorkloadSummary) -> dict[str, Any]:
    """A workload summary as plain JSON data."""
    return asdict(summary)
