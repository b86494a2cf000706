"""A Python worker killed in the middle of a real build: the task fails, Spark's retry completes
the build, and every output file is byte-identical to an undisturbed build of the same lake."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from normalize_fixtures import REPORT_PLAN, SALES_PLAN, payload
from raw_zone_builder import day, put

pytestmark = pytest.mark.spark

RUNNER = Path(__file__).with_name("worker_loss_run.py")
ROOT = Path(__file__).resolve().parents[2]


def _files(root: Path) -> dict[str, bytes]:
    # run-info.json records wall-clock times; everything else must match byte for byte.
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.name != "run-info.json"
    }


@pytest.mark.timeout(300)
def test_a_killed_worker_is_retried_and_the_build_is_identical(tmp_path: Path) -> None:
    lake = tmp_path / "lake"
    put(lake, payload(SALES_PLAN), kind="plan", received_at=day("2025-11-21"))
    put(
        lake,
        payload("events_sales_by_country.v1_2.json"),
        kind="events",
        received_at=day("2025-11-21"),
    )
    killed_key = put(lake, payload(REPORT_PLAN), kind="plan", received_at=day("2025-11-22"))
    put(
        lake,
        payload("events_country_report.v1_2.json"),
        kind="events",
        received_at=day("2025-11-22"),
    )
    plain, killed, marker = tmp_path / "plain", tmp_path / "killed", tmp_path / "killed-pid"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "tests/support")])}
    done = subprocess.run(
        [sys.executable, str(RUNNER), str(lake), str(plain), str(killed), str(marker), killed_key],
        capture_output=True,
        text=True,
        timeout=280,
        check=False,
        env=env,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["attempts_killed"] == 1
    # The process that died was a Python worker, not the driver that went on to finish.
    assert int(marker.read_text()) != report["driver_pid"]
    assert _files(killed) == _files(plain)
    assert any(name.endswith(".csv") for name in _files(plain))
