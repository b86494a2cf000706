"""The demo's sample jobs: the lake-format job gets its jars; missing jars are named early."""

from __future__ import annotations

from pathlib import Path

import pytest

from lineage_cli.commands import demo

pytestmark = pytest.mark.unit


def test_the_merge_job_runs_with_the_delta_jars_and_the_others_without(tmp_path: Path) -> None:
    jobs = {job.script.name: job for job in demo.sample_jobs(tmp_path)}
    assert set(jobs) == {script for script, _args, _fails in demo.SAMPLE_JOBS}
    assert all((demo.EXAMPLES / name).is_file() for name in jobs)
    (jars,) = jobs["merge_order_book.py"].conf
    assert jars.startswith("spark.jars=")
    assert [Path(j).name for j in jars.removeprefix("spark.jars=").split(",")] == list(
        demo.DELTA_JARS
    )
    assert all(not job.conf for name, job in jobs.items() if name != "merge_order_book.py")


def test_missing_lake_format_jars_are_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(demo, "LAKE_FORMAT_JARS", tmp_path)
    (tmp_path / demo.DELTA_JARS[0]).write_bytes(b"PK")
    with pytest.raises(demo.LakeFormatJarsMissingError, match=demo.DELTA_JARS[1]) as raised:
        demo.sample_jobs(tmp_path)
    assert demo.DELTA_JARS[0] not in str(raised.value)
    assert "make install" in str(raised.value)
