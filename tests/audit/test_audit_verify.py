"""`lineage verify` on real builds: untouched, a changed byte, missing, unexpected."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from audit_lake import TimedLake, at, build_timed_lake, events_at, ms
from raw_zone_builder import put
from typer.testing import CliRunner

from glue_jobs.audit import run_verify
from glue_jobs.normalize import BuildResult, NormalizeParams, run_normalize
from lineage.verification import Area, Outcome, Problem
from lineage_cli.main import app
from stores import LocalStore

pytestmark = pytest.mark.spark


@pytest.fixture(scope="module")
def lake(tmp_path_factory: pytest.TempPathFactory) -> TimedLake:
    return build_timed_lake(tmp_path_factory.mktemp("verify-lake"))


@pytest.fixture(scope="module")
def build(spark: Any, lake: TimedLake, tmp_path_factory: pytest.TempPathFactory) -> BuildResult:
    """The graph as of 01:30, built only from what had landed by then (the late run had not)."""
    out = tmp_path_factory.mktemp("verify-build")
    params = NormalizeParams(
        lake=str(lake.root),
        out=str(out),
        as_of_ms=ms("01:30:00"),
        landed_before_ms=ms("01:30:00"),
    )
    return run_normalize(spark, LocalStore(str(lake.root)), LocalStore(str(out)), params)


def _copy(lake: TimedLake, target: Path) -> TimedLake:
    shutil.copytree(lake.root, target)
    return TimedLake(
        target,
        lake.sales,
        lake.sales_run,
        lake.report,
        lake.report_run,
        lake.report_failed,
        lake.sales_late,
    )


def _change_one_byte(path: Path) -> None:
    """Turn the first space of a JSON document into a tab: still valid, other bytes."""
    data = bytearray(path.read_bytes())
    data[data.index(b" ")] = ord("\t")
    path.write_bytes(bytes(data))


def test_untouched_build_verifies(spark: Any, lake: TimedLake, build: BuildResult) -> None:
    report = run_verify(lambda: spark, str(lake.root), build.out)
    assert report.findings == ()
    assert report.outcome is Outcome.VERIFIED
    assert report.manifest_identical is True
    assert report.inputs_checked == len(build.manifest.inputs) > 0
    # Payloads left out by --landed-before are not "unexpected": they had not landed.
    assert {lake.sales_late, lake.report_failed}.isdisjoint(i.key for i in build.manifest.inputs)


def test_one_changed_byte_is_named(
    spark: Any, lake: TimedLake, build: BuildResult, tmp_path: Path
) -> None:
    tampered = _copy(lake, tmp_path / "lake")
    _change_one_byte(tampered.root / tampered.report)

    report = run_verify(lambda: spark, str(tampered.root), build.out)

    raw = report.of(Area.RAW_ZONE)
    assert [(f.problem, f.key) for f in raw] == [(Problem.ALTERED, lake.report)]
    assert lake.sha256(lake.report)[:12] in raw[0].detail
    # The plan's provenance (raw_sha256) is in the graph, so the re-run's Plan file differs too.
    rerun = {(f.problem, f.key) for f in report.of(Area.RERUN)}
    # A plan that may be one half of a statement is written with the statement rows (50000 up).
    assert {(Problem.ALTERED, "csv/vertices/Plan-50000.csv")} <= rerun, rerun
    assert report.manifest_identical is False
    assert report.outcome is Outcome.RAW_ZONE_DIFFERS


def test_missing_and_unexpected_objects_are_named(
    spark: Any, lake: TimedLake, build: BuildResult, tmp_path: Path
) -> None:
    changed = _copy(lake, tmp_path / "lake")
    (changed.root / changed.report_run).unlink()
    (changed.root / f"{changed.report_run}.meta").unlink()
    # A run slipped in afterwards, dated inside the build's window (event 01:10, "landed" 01:10).
    slipped = put(
        changed.root,
        events_at("events_country_report.v1_2.json", "01:10:00"),
        kind="events",
        received_at=at("01:10:00"),
    )

    report = run_verify(lambda: spark, str(changed.root), build.out)

    assert {(f.problem, f.key) for f in report.of(Area.RAW_ZONE)} == {
        (Problem.MISSING, lake.report_run),
        (Problem.MISSING, f"{lake.report_run}.meta"),
        (Problem.UNEXPECTED, slipped),
        (Problem.UNEXPECTED, f"{slipped}.meta"),
    }
    assert report.outcome is Outcome.RAW_ZONE_DIFFERS


def test_payloads_landing_after_the_instant_do_not_disturb_it(
    spark: Any, lake: TimedLake, build: BuildResult, tmp_path: Path
) -> None:
    grown = _copy(lake, tmp_path / "lake")
    # The next day's runs land: a later as-of build sees them, this one must not.
    put(
        grown.root,
        events_at("events_country_report.v1_2.json", "01:20:00"),
        kind="events",
        received_at=at("04:00:00"),
    )
    report = run_verify(lambda: spark, str(grown.root), build.out)
    assert report.findings == ()
    assert report.manifest_identical is True


def test_an_altered_build_file_is_named(
    spark: Any, lake: TimedLake, build: BuildResult, tmp_path: Path
) -> None:
    copied = tmp_path / "build"
    shutil.copytree(build.out, copied)
    run_csv = copied / "csv" / "vertices" / "Run-00000.csv"
    run_csv.write_bytes(run_csv.read_bytes().replace(b"SUCCEEDED", b"FAILED", 1))
    (copied / "csv" / "edges" / "EXTRA-00000.csv").write_bytes(b"~id,~from,~to,~label\n")

    report = run_verify(lambda: spark, str(lake.root), str(copied), rerun=False)

    assert {(f.area, f.problem, f.key) for f in report.findings} == {
        (Area.BUILD, Problem.ALTERED, "csv/vertices/Run-00000.csv"),
        (Area.BUILD, Problem.UNEXPECTED, "csv/edges/EXTRA-00000.csv"),
    }
    assert report.outcome is Outcome.OUTPUTS_DIFFER


def test_cli_exit_codes_and_report(lake: TimedLake, build: BuildResult, tmp_path: Path) -> None:
    runner = CliRunner()
    ok = runner.invoke(
        app, ["verify", "--lake", str(lake.root), "--build", build.out, "--skip-rerun", "--quiet"]
    )
    assert ok.exit_code == 0, ok.output
    assert "VERIFIED" in ok.stdout

    tampered = _copy(lake, tmp_path / "lake")
    _change_one_byte(tampered.root / tampered.sales_run)
    bad = runner.invoke(
        app,
        ["verify", "--lake", str(tampered.root), "--build", build.out, "--skip-rerun", "--quiet"],
    )
    assert bad.exit_code == 1
    altered = [line for line in bad.stdout.splitlines() if line.startswith("ALTERED")]
    assert len(altered) == 1 and lake.sales_run in altered[0]

    empty = tmp_path / "no-build"
    empty.mkdir()
    missing = runner.invoke(app, ["verify", "--lake", str(lake.root), "--build", str(empty)])
    assert missing.exit_code == 2
    assert missing.stderr.strip().count("\n") == 0
    assert "manifest.json" in missing.stderr
