"""How `lineage bench` splits memory by role and judges its growth, without running Spark."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from lineage_bench.machine import DRIVER_PYTHON, OTHER, process_tree_rss, process_tree_rss_by_role
from lineage_bench.results import StageResult, check_targets
from lineage_bench.stages import _memory_growth, scale_label

pytestmark = pytest.mark.unit


def test_the_tree_is_split_into_the_driver_and_its_children() -> None:
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        deadline = time.monotonic() + 10
        by_role = process_tree_rss_by_role(os.getpid())
        while OTHER not in by_role and time.monotonic() < deadline:
            time.sleep(0.05)
            by_role = process_tree_rss_by_role(os.getpid())
        assert by_role[DRIVER_PYTHON] > 0 and by_role[OTHER] > 0
        # The whole tree is the sum of its parts (within what moved between two samples).
        assert process_tree_rss(os.getpid()) == pytest.approx(sum(by_role.values()), rel=0.2)
    finally:
        child.kill()
        child.wait()


def test_memory_growth_is_judged_per_10x_pair_against_its_targets() -> None:
    result = StageResult("normalize")
    mib = 2**20
    peaks = {
        2_000: (1000 * mib, 100 * mib),
        20_000: (1400 * mib, 110 * mib),
        10_000: (1200 * mib, 100 * mib),
        100_000: (4000 * mib, 400 * mib),
    }
    _memory_growth(result, peaks)
    assert result.get("peak_growth", "2k->20k plans") == pytest.approx(1.4)
    assert result.get("driver_growth", "10k->100k plans") == pytest.approx(4.0)
    checks = {c.target: c for c in check_targets([result])}
    assert checks["normalize peak memory at 20k plans <= 1.5x the peak at 2k"].met is True
    driver = checks["normalize driver (Python) peak memory at 100k plans <= 1.5x the peak at 10k"]
    assert driver.met is False and "2.67x" in driver.margin


def test_a_million_plans_is_labelled_as_such() -> None:
    assert scale_label(1_000_000) == "1m plans"
    assert scale_label(100_000) == "100k plans"
