"""Delta build benchmark: a delta of 1 % (and 10 %) new payloads against a full rebuild.

On a generated history (the `lineage bench` workload: plans landing over a month, each rerun
daily), the cut-off `T1` is put where the given share of payloads is still to land; then, in one
run, on one Gremlin Server:

- full: a full rebuild at the end `T2`, loaded into an empty graph;
- per share: a full rebuild at `T1` loaded into an emptied graph (preparation, not timed), then
  the delta `T1 -> T2` and its load onto that graph (timed); the graph must then have the full
  rebuild's counts.

Times are wall seconds and CPU seconds of this process and its children (Spark's JVM and Python
workers), beside the load average.

    .venv/bin/python -m lineage_bench.delta --plans 10000 --shares 0.01,0.1 [--work .cache/bench]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import orjson

from glue_jobs.local_spark import local_spark
from glue_jobs.normalize import BuildResult, NormalizeParams, run_normalize
from glue_jobs.normalize.delta import run_delta
from lineage.raw_zone_layout import SIDECAR_SUFFIX, RawObjectMetadata
from lineage_bench.errors import StageError
from lineage_bench.graph import clear_graph, graph_counts, graph_server, url_port
from lineage_bench.machine import listener_cpu_seconds, load_average, process_tree_cpu_seconds
from stores import LocalStore

__all__ = ["DeltaFigures", "cutoff_for_share", "main", "measure"]

Say = Callable[[str], None]


@dataclass(frozen=True, slots=True)
class Timed:
    """One timed step: wall and CPU seconds, and the load average after it."""

    seconds: float
    cpu_seconds: float
    load_average: str


@dataclass(frozen=True, slots=True)
class DeltaFigures:
    """One share's delta against the full rebuild of the same history."""

    plans: int
    share: float
    new_payloads: int
    delta_build: Timed
    delta_load: Timed
    full_build: Timed
    full_load: Timed

    @property
    def delta_over_full(self) -> float:
        """(delta build + load) / (full build + load), in wall seconds."""
        full = self.full_build.seconds + self.full_load.seconds
        return (self.delta_build.seconds + self.delta_load.seconds) / full


@contextmanager
def _timed(into: list[Timed], url: str, spark_tree: bool) -> Iterator[None]:
    """Wall and CPU seconds of one step, CPU being the graph server's plus, for a build, this
    process tree's (Spark's JVM and Python workers) or, for a load, this process's own (the
    loader client). Spark's idle Python workers may exit during a load, and a tree's total
    would then drop by what they had used."""
    port = url_port(url)

    def cpu() -> float:
        own = process_tree_cpu_seconds(os.getpid()) if spark_tree else time.process_time()
        return own + (listener_cpu_seconds(port) or 0.0)

    before, began = cpu(), time.perf_counter()
    yield
    seconds = round(time.perf_counter() - began, 2)
    into.append(Timed(seconds, round(cpu() - before, 2), load_average()))


def _received(lake: Path) -> list[int]:
    """Every payload's receive instant (ms), from its sidecar, sorted."""
    times = []
    for kind in ("plans", "events"):
        for path in (lake / kind).rglob(f"*{SIDECAR_SUFFIX}"):
            times.append(RawObjectMetadata.from_json(path.read_bytes()).received_ms)
    return sorted(times)


def cutoff_for_share(received: list[int], share: float) -> tuple[int, int]:
    """The cut-off that leaves `share` of the payloads to land after it, and how many that is."""
    if not received or not 0 < share < 1:
        raise StageError(f"share {share} must be between 0 and 1, on a non-empty lake")
    index = max(1, min(len(received) - 1, round(len(received) * (1 - share))))
    return received[index - 1] + 1, len(received) - index


def _params(lake: Path, out: Path, cutoff: int) -> NormalizeParams:
    return NormalizeParams(str(lake), str(out), landed_before_ms=cutoff, max_bad_share=1.0)


def _load(result: BuildResult, url: str) -> None:
    from loader.run import LocalTarget, run_load

    if not any(o.kind in ("vertex", "edge") for o in result.manifest.outputs):
        return
    report = run_load(result.out, LocalTarget(url=url))  # the build: csv/, then marker/
    if not report.succeeded:
        raise StageError(f"load of {result.out} failed: {report.summary()}")


def measure(
    spark: Any, lake: Path, plans: int, shares: list[float], url: str, work: Path, say: Say
) -> list[DeltaFigures]:
    """Full rebuild + load at the end, and per share a delta + load onto the graph before it."""
    received = _received(lake)
    end = received[-1] + 1
    store = LocalStore(lake)
    steps: list[Timed] = []
    say(f"delta {plans} plans: full rebuild of {len(received):,} payloads")
    full_out = work / "full-end"
    full_out.mkdir()
    with _timed(steps, url, spark_tree=True):
        full = run_normalize(spark, store, LocalStore(full_out), _params(lake, full_out, end))
    clear_graph(url)
    with _timed(steps, url, spark_tree=False):
        _load(full, url)
    full_build, full_load = steps
    want = graph_counts(url)
    figures = []
    for share in shares:
        cutoff, new = cutoff_for_share(received, share)
        say(f"delta {plans} plans, {share:.0%}: preparing the graph as of the cut-off")
        base_out, delta_out = work / f"base-{share}", work / f"delta-{share}"
        base_out.mkdir()
        delta_out.mkdir()
        base = run_normalize(spark, store, LocalStore(base_out), _params(lake, base_out, cutoff))
        clear_graph(url)
        _load(base, url)
        say(f"delta {plans} plans, {share:.0%}: delta of {new:,} new payloads")
        timed: list[Timed] = []
        with _timed(timed, url, spark_tree=True):
            delta = run_delta(
                spark,
                store,
                LocalStore(base_out),
                LocalStore(delta_out),
                _params(lake, delta_out, end),
            )
        with _timed(timed, url, spark_tree=False):
            _load(delta, url)
        have = graph_counts(url)
        if have != want:
            raise StageError(f"after the delta the graph has {have}, the full rebuild {want}")
        figures.append(DeltaFigures(plans, share, new, timed[0], timed[1], full_build, full_load))
        say(
            f"delta {plans} plans, {share:.0%}: build {timed[0].seconds}s + load "
            f"{timed[1].seconds}s vs full {full_build.seconds}s + {full_load.seconds}s "
            f"({figures[-1].delta_over_full:.1%})"
        )
    return figures


def main(argv: list[str] | None = None) -> int:
    """Run the delta benchmark and print one JSON line per share."""
    from lineage_bench.stages import workload_lake

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--plans", default="10000", help="history sizes, comma-separated")
    parser.add_argument("--shares", default="0.01,0.1", help="shares of new payloads")
    parser.add_argument("--work", default=".cache/bench", type=Path)
    parser.add_argument("--heap", default="4g", help="Gremlin Server heap")
    parser.add_argument("--master", default="local[*]")
    args = parser.parse_args(argv)

    def say(message: str) -> None:
        stamp = dt.datetime.now(dt.UTC).strftime("%H:%M:%S")
        print(f"{stamp} {message} (load {load_average()})", file=sys.stderr, flush=True)

    shares = [float(s) for s in args.shares.split(",")]
    spark = local_spark(args.master)
    try:
        with graph_server(args.heap, say) as url:
            for plans in (int(p) for p in args.plans.split(",")):
                lake, _ = workload_lake(args.work, plans, 1, say)
                work = Path(tempfile.mkdtemp(prefix="lineage-bench-delta-", dir=args.work))
                try:
                    for figure in measure(spark, lake, plans, shares, url, work, say):
                        doc = asdict(figure) | {"delta_over_full": figure.delta_over_full}
                        print(orjson.dumps(doc).decode(), flush=True)
                finally:
                    shutil.rmtree(work, ignore_errors=True)
    finally:
        spark.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
