"""`lineage bench --quick` as CI runs it: every stage measured, every figure sane. No timings."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import orjson
import pytest

pytestmark = pytest.mark.e2e

LINEAGE = Path(sys.executable).with_name("lineage")

# Figures that must be measured and positive in every stage (per scale where a stage has several).
REQUIRED = {
    "producer": ("requests_per_s", "p50_ms", "p99_ms"),
    "normalize": (
        "seconds",
        "plans_per_s",
        "peak_memory_mib",
        "peak_driver_python_mib",
        "peak_jvm_mib",
        "peak_python_workers_mib",
        "parse_floor_s",
        "floor_ratio",
    ),
    "load": ("elements", "seconds", "elements_per_s"),
    "read_api": ("dataset_lineage_depth5_p50_ms", "dataset_lineage_depth5_p95_ms"),
    "read_concurrency": ("requests_per_s", "p50_ms", "p95_ms", "p99_ms", "computed_p95_ms"),
    "end_to_end": ("seconds", "plans_per_s"),
    # serve --follow's first build, then runs landed one at a time until the read API lists them
    "follow": ("first_build_s", "lag_median_s", "lag_max_s"),
}


@pytest.mark.timeout(900)
def test_quick_bench_measures_every_stage(tmp_path: Path) -> None:
    out = tmp_path / "results.json"
    done = subprocess.run(
        [str(LINEAGE), "bench", "--quick", "--out", str(out), "--work", str(tmp_path / "work")],
        capture_output=True,
        text=True,
        timeout=840,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    report = orjson.loads(out.read_bytes())

    assert report["machine"]["logical_cores"] >= 1
    assert report["machine"]["memory_gib"] > 0
    assert report["machine"]["python"] and report["machine"]["spark"]
    assert [w["plans"] for w in report["workloads"]] == [100, 400]

    stages = {s["stage"]: s for s in report["stages"]}
    assert set(stages) == set(REQUIRED)
    for stage, names in REQUIRED.items():
        found = {(m["name"], m["scale"]): m["value"] for m in stages[stage]["measurements"]}
        for name in names:
            values = [v for (n, _scale), v in found.items() if n == name]
            assert values, f"{stage}: {name} not measured"
            assert all(v > 0 for v in values), f"{stage}: {name} = {values}"
    producer = {m["name"]: m["value"] for m in stages["producer"]["measurements"]}
    assert producer["errors"] == 0
    assert producer["p99_ms"] >= producer["p50_ms"]
    normalize = stages["normalize"]["measurements"]
    assert {m["scale"] for m in normalize} >= {"100 plans", "400 plans"}
    assert all(m["value"] == 0 for m in normalize if m["name"] == "quarantined")
    # Every read endpoint answered: a p50 and a p95 each, none slower at p50 than at p95.
    api = {m["name"]: m["value"] for m in stages["read_api"]["measurements"]}
    endpoints = {n.removesuffix("_p50_ms") for n in api if n.endswith("_p50_ms")}
    assert len(endpoints) >= 5
    for endpoint in endpoints:
        assert 0 < api[f"{endpoint}_p50_ms"] <= api[f"{endpoint}_p95_ms"]
    assert not stages["read_api"]["notes"], stages["read_api"]["notes"]  # no non-200 answers
    # The end-to-end time is the normalize and load times of the same build.
    e2e = {m["name"]: m["value"] for m in stages["end_to_end"]["measurements"]}
    load = {m["name"]: m["value"] for m in stages["load"]["measurements"]}
    norm_400 = next(
        m["value"] for m in normalize if (m["name"], m["scale"]) == ("seconds", "400 plans")
    )
    assert e2e["seconds"] == pytest.approx(norm_400 + load["seconds"], abs=0.01)
    assert {t["target"] for t in report["targets"]}  # targets are checked (met or not)

    # Concurrent clients: a real `lineage serve` answered every request of the UI's mix, the
    # hub datasets' lineage among them, and repeated views came from its cache.
    conc = {(m["name"], m["scale"]): m["value"] for m in stages["read_concurrency"]["measurements"]}
    for clients in ("1 client", "8 clients"):
        at = f"400 plans, {clients}"
        assert conc[("errors", at)] == 0
        assert conc[("p50_ms", at)] <= conc[("p95_ms", at)] <= conc[("p99_ms", at)]
        for endpoint in ("overview", "dataset_lineage_hub", "column_lineage", "plan", "runs"):
            assert conc[(f"{endpoint}_p95_ms", at)] > 0, endpoint
    # Eight clients ask for the same views within two seconds: some answers come from the cache.
    assert conc[("cached_p95_ms", "400 plans, 8 clients")] > 0

    # Each round's run reached the read API, within two minutes (no timing claim at this size).
    follow = {(m["name"], m["scale"]): m["value"] for m in stages["follow"]["measurements"]}
    assert not [n for n in stages["follow"]["notes"] if "not measured" in n]
    assert follow[("lag_median_s", "100 plans")] <= follow[("lag_max_s", "100 plans")] < 120
