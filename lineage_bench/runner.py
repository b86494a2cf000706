"""One benchmark run: which sizes each stage is measured at, in what order, into one report."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from glue_jobs.local_spark import local_spark, stop_local_spark
from lineage_bench.graph import graph_server
from lineage_bench.machine import describe_machine, load_average
from lineage_bench.results import BenchReport, StageResult, check_targets
from lineage_bench.stages import (
    measure_delta,
    measure_follow,
    measure_load,
    measure_normalize,
    measure_producer,
    measure_read_api,
    measure_read_concurrency,
    scale_label,
    summary_dict,
    workload_lake,
)

__all__ = ["STAGES", "BenchOptions", "planned_sizes", "run_bench"]

STAGES = (
    "producer",
    "normalize",
    "load",
    "read_api",
    "read_concurrency",
    "end_to_end",
    "delta",
    "follow",
)


@dataclass(frozen=True)
class BenchOptions:
    """Sizes and switches of one run; `quick()` and `full()` are the two presets."""

    quick: bool
    work: Path
    seed: int = 1
    normalize_sizes: tuple[int, ...] = (1_000, 2_000, 10_000, 20_000, 100_000)
    graph_sizes: tuple[int, ...] = (10_000, 100_000)
    # Delta builds of 1 % and 10 % new payloads against the full rebuild (lineage_bench.delta).
    delta_sizes: tuple[int, ...] = (10_000, 100_000)
    delta_shares: tuple[float, ...] = (0.01, 0.1)
    # Landed -> visible with `serve --follow` (lineage_bench.follow), one new run per round.
    follow_sizes: tuple[int, ...] = (10_000, 100_000)
    follow_rounds: int = 5
    api_requests: int = 40
    concurrency_clients: tuple[int, ...] = (1, 8, 32)
    concurrency_seconds: float = 20.0
    heap: str = "auto"
    master: str = "local[*]"
    skip: frozenset[str] = field(default_factory=frozenset)

    @classmethod
    def preset(cls, quick: bool, work: Path, **changes: object) -> BenchOptions:
        """The quick smoke run (well under 2 minutes) or the full run."""
        if quick:
            base = cls(
                quick=True,
                work=work,
                normalize_sizes=(100, 400),
                graph_sizes=(400,),
                delta_sizes=(),  # three more Spark builds: the full run measures deltas
                follow_sizes=(100,),
                follow_rounds=2,
                api_requests=5,
                concurrency_clients=(1, 8),
                concurrency_seconds=2.0,
            )
        else:
            base = cls(quick=False, work=work)
        values = {k: v for k, v in changes.items() if v is not None}
        return cls(**{**base.__dict__, **values})


def planned_sizes(options: BenchOptions) -> tuple[list[int], list[int]]:
    """The sizes normalize is measured at, and the sizes that need a generated workload.

    Normalize runs at its own sizes and at the graph stages' (they load its builds), unless it
    is skipped: then the graph stages have no builds either. The delta and follow stages make
    their own builds, so their sizes need a workload only when they run."""
    normalize = (
        []
        if "normalize" in options.skip
        else sorted(set(options.normalize_sizes) | set(options.graph_sizes))
    )
    delta = () if "delta" in options.skip else options.delta_sizes
    follow = () if "follow" in options.skip else options.follow_sizes
    return normalize, sorted(set(normalize) | set(delta) | set(follow))


def _wanted_heap_gib(plans: int) -> int:
    """The heap a graph of `plans` plans is sized for: about 0.8 GiB per 10k plans (the
    generated workload's 93 elements per plan at about 800 bytes each), plus 2."""
    return -(-plans * 8 // 100_000) + 2


def _heap_for(plans: int, setting: str) -> str:
    """The Gremlin Server heap: the whole graph lives in it; `auto` is capped by free memory."""
    if setting != "auto":
        return setting
    available_gib = 8.0
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                available_gib = int(line.split()[1]) / 2**20
    except (OSError, ValueError):
        pass
    return f"{max(1, min(_wanted_heap_gib(plans), int(available_gib * 0.6)))}g"


def _measure_graph(
    options: BenchOptions,
    plans: int,
    build: Path,
    heap: str,
    normalize: StageResult | None,
    load: StageResult,
    read_api: StageResult,
    concurrency: StageResult,
    e2e: StageResult,
    say: Callable[[str], None],
) -> None:
    """Load one build into a fresh Gremlin Server, time the read API on it, add end to end."""
    scale = scale_label(plans)
    with graph_server(heap, say) as url:
        say(f"load {scale}: loading {build} into {url}")
        load_s = measure_load(build, url, scale, load, reload=not options.quick and plans <= 10_000)
        load.inputs[f"heap_{scale}"] = heap
        first = time.perf_counter()
        if "read_api" not in options.skip:
            measure_read_api(url, scale, options.api_requests, read_api, say)
        answered_s = time.perf_counter() - first
        if "read_concurrency" not in options.skip:
            measure_read_concurrency(
                url,
                scale,
                options.concurrency_clients,
                options.concurrency_seconds,
                concurrency,
                say,
            )
    normalize_s = normalize.get("seconds", scale) if normalize else None
    if normalize_s is not None:
        total = normalize_s + load_s
        e2e.add("seconds", total, "s", scale)
        e2e.add("plans_per_s", plans / total, "plans/s", scale)
        e2e.notes.append(
            f"{scale}: normalize {normalize_s:.1f} s + load {load_s:.1f} s; the read API then "
            f"answered every sampled request within {answered_s:.1f} s"
        )


def run_bench(
    options: BenchOptions,
    say: Callable[[str], None],
    checkpoint: Callable[[BenchReport], None] = lambda _report: None,
) -> BenchReport:
    """Measure every stage that is not skipped and return the report (targets checked).

    `checkpoint` receives the report after every stage, so a run stopped halfway (a long load
    on a busy machine) still leaves the figures measured so far."""
    began = time.perf_counter()
    report = BenchReport(
        started_at=dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        quick=options.quick,
        machine=describe_machine(),
    )
    options.work.mkdir(parents=True, exist_ok=True)
    if "producer" not in options.skip:
        say("producer: driving lineage serve with gzip v1.2 plans")
        report.stages.append(measure_producer(options.quick))
        checkpoint(report)

    sizes, lake_sizes = planned_sizes(options)
    lakes: dict[int, Path] = {}
    for plans in lake_sizes:
        lakes[plans], summary = workload_lake(options.work, plans, options.seed, say)
        report.workloads.append(summary_dict(summary))

    builds: dict[int, Path] = {}
    normalize: StageResult | None = None
    if "normalize" not in options.skip:
        spark = local_spark(options.master)
        try:
            normalize, builds = measure_normalize(
                spark, [(p, lakes[p]) for p in sizes], options.work, say
            )
        finally:
            stop_local_spark(spark)
        report.stages.append(normalize)
        checkpoint(report)

    graph_stages = {"load", "read_api", "read_concurrency", "end_to_end"} - options.skip
    if graph_stages and "normalize" in options.skip:
        say(f"not measured: {', '.join(sorted(graph_stages))} (they load normalize's builds)")
    if graph_stages and builds:
        load = StageResult("load")
        read_api = StageResult("read_api")
        concurrency = StageResult("read_concurrency")
        e2e = StageResult("end_to_end")
        for plans in options.graph_sizes:
            if plans not in builds:
                continue
            scale = scale_label(plans)
            heap = _heap_for(plans, options.heap)
            if options.heap == "auto" and heap != f"{_wanted_heap_gib(plans)}g":
                # A graph that outgrows its heap crawls in full collections: say why.
                load.notes.append(
                    f"{scale}: server heap {heap}, capped by free memory below the "
                    f"{_wanted_heap_gib(plans)}g this graph is sized for"
                )
            try:
                _measure_graph(
                    options,
                    plans,
                    builds[plans],
                    heap,
                    normalize,
                    load,
                    read_api,
                    concurrency,
                    e2e,
                    say,
                )
            except Exception as exc:  # one size failing (e.g. out of memory) keeps the others
                note = f"{scale}: not measured, {type(exc).__name__}: {exc}"
                say(f"graph stages {note}")
                (load if not load.get("seconds", scale) else read_api).notes.append(note)
            checkpoint(replace(report, stages=[*report.stages, load, read_api, concurrency, e2e]))
        for stage in (load, read_api, concurrency, e2e):
            if stage.stage in graph_stages and (stage.measurements or stage.notes):
                report.stages.append(stage)

    if "delta" not in options.skip and options.delta_sizes:
        report.stages.append(measure_delta(options, lakes, say))
        checkpoint(report)

    if "follow" not in options.skip and options.follow_sizes:
        report.stages.append(measure_follow(options, lakes, say))
        checkpoint(report)

    report.targets = check_targets(report.stages)
    report.finished_at = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    report.seconds = round(time.perf_counter() - began, 1)
    report.load_average_end = load_average()
    return report
