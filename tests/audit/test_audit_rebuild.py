"""Auditors rebuild history: as-of and landed-before rebuilds, provenance, determinism."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from audit_lake import REPORT_ID, SALES_ID, TimedLake, build_timed_lake, ms, vertices

from glue_jobs.normalize import BuildResult, NormalizeParams, run_normalize
from stores import LocalStore

pytestmark = pytest.mark.spark


@pytest.fixture(scope="module")
def lake(tmp_path_factory: pytest.TempPathFactory) -> TimedLake:
    return build_timed_lake(tmp_path_factory.mktemp("timed-lake"))


_AT_0130 = {"as_of_ms": ms("01:30:00"), "landed_before_ms": ms("01:30:00")}


@pytest.fixture(scope="module")
def landed(spark: Any, lake: TimedLake, tmp_path_factory: pytest.TempPathFactory) -> BuildResult:
    """The graph as it could have been built at 01:30: what had happened and landed by then."""
    return _rebuild(spark, lake, tmp_path_factory.mktemp("landed"), **_AT_0130)


def _rebuild(spark: Any, lake: TimedLake, out: Path, **when: Any) -> BuildResult:
    params = NormalizeParams(lake=str(lake.root), out=str(out), **when)
    return run_normalize(spark, LocalStore(str(lake.root)), LocalStore(str(out)), params)


def _runs(out: Path) -> set[tuple[str, str, str]]:
    """(plan id, event time, raw key) of every Run vertex."""
    return {(r["plan_id"], r["ended_at"], r["raw_key"]) for r in vertices(out, "Run").values()}


def _plans(out: Path) -> set[str]:
    return {p["plan_id"] for p in vertices(out, "Plan").values()}


def _event_time(hhmm: str) -> str:
    # How the CSV reader gives a Date back (a datetime in UTC).
    return f"2025-11-22 {hhmm}:00+00:00"


def test_as_of_two_instants(spark: Any, lake: TimedLake, tmp_path: Path) -> None:
    early = _rebuild(spark, lake, tmp_path / "early", as_of_ms=ms("00:45:00"))
    # Event time decides, not landing: the late sales run (event 00:30, landed 03:00) is in.
    assert _runs(tmp_path / "early") == {
        (SALES_ID, _event_time("00:00"), lake.sales_run),
        (SALES_ID, _event_time("00:30"), lake.sales_late),
    }
    # The report plan had no execution yet: left out, with its job.
    assert _plans(tmp_path / "early") == {SALES_ID}
    assert set(vertices(tmp_path / "early", "Job")) == {"job:sales_by_country"}

    later = _rebuild(spark, lake, tmp_path / "later", as_of_ms=ms("01:30:00"))
    assert _runs(tmp_path / "later") == {
        (SALES_ID, _event_time("00:00"), lake.sales_run),
        (SALES_ID, _event_time("00:30"), lake.sales_late),
        (REPORT_ID, _event_time("01:00"), lake.report_run),
    }
    assert _plans(tmp_path / "later") == {SALES_ID, REPORT_ID}
    # The failed run (02:00) is after both instants.
    assert "FAILED" not in {r["status"] for r in vertices(tmp_path / "later", "Run").values()}
    assert early.manifest.parameters["as_of_ms"] == ms("00:45:00")
    assert later.manifest.parameters["as_of_ms"] == ms("01:30:00")


def test_landed_before_leaves_out_what_had_not_landed(landed: BuildResult, lake: TimedLake) -> None:
    out, result = Path(landed.out), landed
    # What the graph showed at 01:30: the late sales run had not landed yet.
    assert _runs(out) == {
        (SALES_ID, _event_time("00:00"), lake.sales_run),
        (REPORT_ID, _event_time("01:00"), lake.report_run),
    }
    assert result.manifest.parameters["landed_before_ms"] == ms("01:30:00")
    named = {i.key for i in result.manifest.inputs}
    assert lake.sales_late not in named and lake.report_failed not in named
    # Not landed = not read: the counts (and so the manifest) do not grow with the lake.
    assert (result.report.read, result.report.excluded, result.report.quarantined) == (4, 0, 0)


def test_runs_and_plans_carry_the_key_and_hash_of_their_raw_object(
    spark: Any, lake: TimedLake, tmp_path: Path
) -> None:
    out = tmp_path / "all"
    result = _rebuild(spark, lake, out)
    plans = {p["plan_id"]: p for p in vertices(out, "Plan").values()}
    for plan_id, key in ((SALES_ID, lake.sales), (REPORT_ID, lake.report)):
        assert (plans[plan_id]["raw_key"], plans[plan_id]["raw_sha256"]) == (key, lake.sha256(key))
    runs = vertices(out, "Run").values()
    assert len(runs) == 4
    for run in runs:
        assert run["raw_sha256"] == lake.sha256(run["raw_key"])
    # ...and the manifest names the same objects with the same hashes.
    recorded = {i.key: i.sha256 for i in result.manifest.inputs}
    for vertex in (*plans.values(), *runs):
        assert recorded[vertex["raw_key"]] == vertex["raw_sha256"]


def test_two_as_of_rebuilds_are_byte_identical(
    spark: Any, lake: TimedLake, landed: BuildResult, tmp_path: Path
) -> None:
    first, second = landed, _rebuild(spark, lake, tmp_path / "two", **_AT_0130)

    def files(root: Path) -> dict[str, bytes]:
        return {
            p.relative_to(root).as_posix(): p.read_bytes()
            for p in sorted(root.rglob("*"))
            if p.is_file() and p.name != "run-info.json"
        }

    one, two = files(Path(first.out)), files(Path(second.out))
    assert "manifest.json" in one and any(k.endswith(".csv") for k in one)
    assert one == two
    # Wall-clock facts live beside the manifest, never in it.
    assert (Path(first.out) / "run-info.json").read_bytes() != b""
    assert b"started_at" not in one["manifest.json"]
