"""`lineage rebuild` as a user runs it: a subprocess, its exit codes and its build folder."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from normalize_fixtures import SALES_PLAN, payload
from raw_zone_builder import day, put

LINEAGE = [sys.executable, "-m", "lineage_cli.main"]


def _lineage(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*LINEAGE, *args], capture_output=True, text=True, timeout=600)


@pytest.mark.unit
def test_reversed_date_range_is_one_line_and_exit_2(tmp_path: Path) -> None:
    done = _lineage(
        "rebuild",
        "--lake",
        str(tmp_path),
        "--out",
        str(tmp_path / "o"),
        "--from",
        "2026-11-20",
        "--to",
        "2026-11-01",
        "--no-load",
    )
    assert done.returncode == 2
    assert done.stderr.strip().splitlines()[-1].startswith("lineage rebuild: --from 2026-11-20")


@pytest.mark.spark
def test_rebuild_writes_a_build_and_fails_loudly_on_bad_share(tmp_path: Path) -> None:
    lake = tmp_path / "lake"
    put(lake, payload(SALES_PLAN), kind="plan", received_at=day("2026-11-20"))
    put(
        lake,
        payload("events_sales_by_country.v1_2.json"),
        kind="events",
        received_at=day("2026-11-20"),
    )
    put(lake, b"not json", kind="events", received_at=day("2026-11-20"))
    out = tmp_path / "build"
    done = _lineage(
        "rebuild",
        "--lake",
        str(lake),
        "--out",
        str(out),
        "--no-load",
        "--quiet",
        "--master",
        "local[1]",
        "--driver-memory",
        "1g",
        "--max-bad-share",
        "0.5",
    )
    assert done.returncode == 0, done.stderr
    assert "2 payloads normalized, 1 quarantined" in done.stderr
    assert (out / "manifest.json").exists() and list((out / "csv" / "vertices").glob("*.csv"))
    strict = _lineage(
        "rebuild",
        "--lake",
        str(lake),
        "--out",
        str(out),
        "--no-load",
        "--quiet",
        "--master",
        "local[1]",
        "--driver-memory",
        "1g",
        "--max-bad-share",
        "0.1",
    )
    assert strict.returncode == 3
    assert "1 of 3 payloads quarantined" in strict.stderr.strip().splitlines()[-1]
    assert not list(out.rglob("*.csv"))


@pytest.mark.unit
def test_an_out_folder_holding_other_files_is_refused_before_spark_and_kept(
    tmp_path: Path,
) -> None:
    out = tmp_path / "out"
    (out / "csv").mkdir(parents=True)
    (out / "csv" / "notes.txt").write_text("mine")
    done = _lineage("rebuild", "--lake", str(tmp_path / "lake"), "--out", str(out), "--no-load")
    assert done.returncode == 2
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("lineage rebuild: ") and "csv/notes.txt" in last
    assert "Traceback" not in done.stderr
    assert (out / "csv" / "notes.txt").read_text() == "mine"


@pytest.mark.unit
def test_a_parent_path_with_a_newline_is_refused_on_one_line(tmp_path: Path) -> None:
    parent = tmp_path / "par\nent\x1b[2J"
    parent.mkdir()
    done = _lineage(
        "rebuild",
        "--lake",
        str(tmp_path),
        "--out",
        str(tmp_path / "o"),
        "--since-build",
        str(parent),
        "--no-load",
    )
    assert done.returncode == 4, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("lineage rebuild: ")
    assert "par\\nent\\x1b[2J is not a build" in lines[0]


@pytest.mark.unit
@pytest.mark.parametrize(
    "memory", ["banana", "1.5g", "-1g", "0", "1g ", "", "2gb", "300m", "1000k"]
)
def test_a_driver_memory_spark_cannot_start_with_is_refused_before_any_jvm(memory: str) -> None:
    from glue_jobs.local_spark import DriverMemoryError, local_spark

    with pytest.raises(DriverMemoryError, match="driver memory"):
        local_spark("local[1]", memory)


@pytest.mark.unit
def test_a_bad_driver_memory_is_one_line_naming_it(tmp_path: Path) -> None:
    done = _lineage(
        "rebuild",
        "--lake",
        str(tmp_path),
        "--out",
        str(tmp_path / "o"),
        "--no-load",
        "--driver-memory",
        "banana",
    )
    assert done.returncode == 2
    assert done.stderr.strip().splitlines()[-1] == (
        "lineage rebuild: driver memory 'banana' is not a JVM size: give a number with k, m, g "
        "or t (e.g. 1g, 1536m)"
    )
    assert "Traceback" not in done.stderr
