"""What a benchmark run measured, the targets it is held to, and how both become JSON."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

import orjson

__all__ = [
    "TARGETS",
    "BenchReport",
    "Measurement",
    "StageResult",
    "Target",
    "TargetCheck",
    "check_targets",
]

Scalar = str | int | float | bool | None


@dataclass(frozen=True, slots=True)
class Measurement:
    """One figure: `name` at `scale` (e.g. `plans_per_s` at `10k plans`)."""

    name: str
    value: float
    unit: str
    scale: str = ""


@dataclass
class StageResult:
    """Everything one stage measured, with the sizes of its input."""

    stage: str
    inputs: dict[str, Scalar] = field(default_factory=dict)
    measurements: list[Measurement] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def add(self, name: str, value: float, unit: str, scale: str = "") -> None:
        """Record a figure (rounded for the report; the raw timing has no more precision)."""
        self.measurements.append(Measurement(name, round(float(value), 3), unit, scale))

    def get(self, name: str, scale: str = "") -> float | None:
        """The figure `name` at `scale`, or None when it was not measured."""
        for m in self.measurements:
            if m.name == name and m.scale == scale:
                return m.value
        return None


@dataclass(frozen=True, slots=True)
class Target:
    """A figure a stage is held to: `value <op> threshold` on this machine."""

    stage: str
    name: str
    scale: str
    op: Literal[">=", "<="]
    threshold: float
    unit: str
    text: str


TARGETS: tuple[Target, ...] = (
    Target("producer", "requests_per_s", "", ">=", 500, "req/s", "producer >= 500 req/s"),
    Target("producer", "p99_ms", "", "<=", 50, "ms", "producer p99 <= 50 ms"),
    Target("normalize", "seconds", "100k plans", "<=", 90, "s", "normalize 100k plans <= 90 s"),
    Target(
        "normalize",
        "time_growth",
        "10k->100k plans",
        "<=",
        11,
        "x",
        "linear growth: 10x plans take <= 11x time",
    ),
    Target(
        "normalize",
        "floor_ratio",
        "100k plans",
        "<=",
        8,
        "x",
        "normalize within 8x of the parse floor",
    ),
    Target(
        "normalize",
        "peak_memory_mib",
        "100k plans",
        "<=",
        3072,
        "MiB",
        "normalize peak memory (whole process tree) at 100k plans <= 3 GiB",
    ),
    Target(
        "normalize",
        "peak_growth",
        "2k->20k plans",
        "<=",
        1.5,
        "x",
        "normalize peak memory at 20k plans <= 1.5x the peak at 2k",
    ),
    Target(
        "normalize",
        "driver_growth",
        "10k->100k plans",
        "<=",
        1.5,
        "x",
        "normalize driver (Python) peak memory at 100k plans <= 1.5x the peak at 10k",
    ),
    Target(
        "load",
        "elements_per_s",
        "100k plans",
        ">=",
        200_000,
        "elements/s",
        "load >= 200,000 elements/s through the loader API at 100k plans",
    ),
    Target(
        "load",
        "server_heap_mib",
        "100k plans",
        "<=",
        12 * 1024,
        "MiB",
        "server heap of the 100k-plan graph below the old loader's 12 GiB",
    ),
    Target(
        "end_to_end",
        "seconds",
        "100k plans",
        "<=",
        240,
        "s",
        "raw zone -> queryable graph (normalize + load) for 100k plans <= 4 min",
    ),
    *(
        Target(
            "read_api",
            f"{endpoint}_p95_ms",
            "100k plans",
            "<=",
            100,
            "ms",
            f"read API p95 <= 100 ms, {endpoint.replace('_', ' ')} at 100k plans, one client",
        )
        for endpoint in (
            "overview",
            "jobs",
            "dataset_search",
            "dataset_search_rare",
            "dataset_lineage_depth5",
            "column_lineage_depth5",
            "runs_all_jobs",
            "status_counts",
            "job_detail",
            "runs",
            "plan",
        )
    ),
    Target(
        "delta",
        "delta_over_full_pct",
        "100k plans, 1% new",
        "<=",
        5,
        "%",
        "delta of 1 % new payloads on a 100k-plan history: build + load <= 5 % of full",
    ),
    Target(
        "delta",
        "same_night_growth",
        "10k->100k plans",
        "<=",
        1.5,
        "x",
        "the same night's delta on 10k and 100k histories within 1.5x",
    ),
    Target(
        "follow",
        "lag_max_s",
        "100k plans",
        "<=",
        60,
        "s",
        "landed -> visible in the read API with serve --follow <= 60 s (slowest round, 100k)",
    ),
    Target(
        "read_concurrency",
        "p95_ms",
        "10k plans, 32 clients",
        "<=",
        250,
        "ms",
        "32 concurrent clients at 10k plans: p95 <= 250 ms across the UI's mix",
    ),
    Target(
        "read_concurrency",
        "errors",
        "10k plans, 32 clients",
        "<=",
        0,
        "requests",
        "32 concurrent clients at 10k plans: no errors",
    ),
    Target(
        "read_concurrency",
        "cached_p95_ms",
        "10k plans, 1 client",
        "<=",
        10,
        "ms",
        "warm cache: a repeated view (200 from cache or 304) p95 <= 10 ms, one client",
    ),
)


@dataclass(frozen=True, slots=True)
class TargetCheck:
    """A target and what was measured for it."""

    target: str
    measured: float | None
    unit: str
    met: bool | None  # None: not measured in this run
    margin: str


def check_targets(
    stages: list[StageResult], targets: tuple[Target, ...] = TARGETS
) -> list[TargetCheck]:
    """Each target against the run's figures; a miss says by how much."""
    by_stage = {s.stage: s for s in stages}
    checks = []
    for t in targets:
        stage = by_stage.get(t.stage)
        value = None if stage is None else stage.get(t.name, t.scale)
        if value is None and stage is not None and t.scale == "":
            # Stages measured at several sizes report the target figure at the largest one.
            scoped = [m for m in stage.measurements if m.name == t.name]
            value = scoped[-1].value if scoped else None
        if value is None:
            checks.append(TargetCheck(t.text, None, t.unit, None, "not measured in this run"))
            continue
        met = value >= t.threshold if t.op == ">=" else value <= t.threshold
        if met:
            margin = "met"
        elif t.op == ">=":
            margin = f"missed: {value / t.threshold:.2f}x of the target ({t.threshold:g} {t.unit})"
        else:
            margin = f"missed: {value / t.threshold:.2f}x the limit ({t.threshold:g} {t.unit})"
        checks.append(TargetCheck(t.text, value, t.unit, met, margin))
    return checks


@dataclass
class BenchReport:
    """One `lineage bench` run: when, where, on what input, and every stage's figures."""

    started_at: str
    quick: bool
    machine: dict[str, Scalar]
    workloads: list[dict[str, Any]] = field(default_factory=list)
    stages: list[StageResult] = field(default_factory=list)
    targets: list[TargetCheck] = field(default_factory=list)
    finished_at: str = ""
    seconds: float = 0.0
    load_average_end: str = ""

    def to_json(self) -> bytes:
        """Indented JSON with sorted keys."""
        return orjson.dumps(asdict(self), option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS)
