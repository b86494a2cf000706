"""The Glue job's load hook: arguments, and the alarm marker on failure."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import pytest

from lineage.manifest import Manifest, OutputFile
from loader.errors import LoaderError
from loader.glue_hook import LOAD_FAILED_MARKER, load_build, neptune_target_from_args

pytestmark = pytest.mark.unit

GLUE_ARGV = [
    "--JOB_NAME",
    "lineage-nightly",
    "--lake",
    "s3://raw/zone",
    "--neptune_endpoint",
    "db.cluster-abc.eu-west-1.neptune.amazonaws.com",
    "--loader_role_arn",
    "arn:aws:iam::123456789012:role/loader",
]


@dataclass(frozen=True)
class Built:
    load_source: str
    marker_source: str
    manifest: Manifest = field(default_factory=lambda: manifest_of("csv/vertices/Job-00000.csv"))


def manifest_of(*paths: str) -> Manifest:
    outputs = tuple(OutputFile(p, "vertex", "L", 1, 1, "0" * 64) for p in paths)
    return Manifest("code", {}, (), outputs, {}, {})


def test_target_from_glue_arguments(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_REGION", "eu-west-1")
    target = neptune_target_from_args(GLUE_ARGV)
    assert target.endpoint == "db.cluster-abc.eu-west-1.neptune.amazonaws.com"
    assert target.iam_role_arn == "arn:aws:iam::123456789012:role/loader"
    assert target.region == "eu-west-1"


def test_missing_arguments_are_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_REGION", raising=False)
    monkeypatch.delenv("AWS_DEFAULT_REGION", raising=False)
    with pytest.raises(LoaderError, match=r"--loader_role_arn, --region"):
        neptune_target_from_args(["--neptune_endpoint", "db.example"])


def test_failure_logs_the_alarm_marker(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.delenv("AWS_REGION", raising=False)
    monkeypatch.delenv("AWS_DEFAULT_REGION", raising=False)
    with caplog.at_level(logging.ERROR), pytest.raises(LoaderError):
        load_build(
            Built("s3://build/2026-11-22/csv/", "s3://build/2026-11-22/marker/"),
            argv=["--neptune_endpoint", "db"],
        )
    assert any(LOAD_FAILED_MARKER in record.getMessage() for record in caplog.records)


@pytest.mark.parametrize(
    ("paths", "expected"),
    [
        (
            ("csv/vertices/Job-00000.csv", "marker/Build-00000.csv"),
            ("s3://build/2026-11-22/csv/", "s3://build/2026-11-22/marker/"),
        ),
        # Nothing normalized: no csv/ at all, the marker alone names the (empty) build.
        (("marker/Build-00000.csv",), ("s3://build/2026-11-22/marker/", None)),
    ],
)
def test_the_hook_loads_the_graph_files_then_the_marker(
    monkeypatch: pytest.MonkeyPatch, paths: tuple[str, ...], expected: tuple[str, str | None]
) -> None:
    from loader.report import LoadReport

    calls: list[tuple[str, str | None]] = []

    def fake_run_load(source: str, target: object, *, marker: str | None = None) -> LoadReport:
        calls.append((source, marker))
        return LoadReport(target="neptune", source=source, status="LOAD_COMPLETED", started_at="")

    monkeypatch.setattr("loader.glue_hook.run_load", fake_run_load)
    monkeypatch.setenv("AWS_REGION", "eu-west-1")
    built = Built(
        "s3://build/2026-11-22/csv/", "s3://build/2026-11-22/marker/", manifest_of(*paths)
    )
    load_build(built, argv=GLUE_ARGV)
    assert calls == [expected]
