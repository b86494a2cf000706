"""`lineage verify --skip-rerun` against S3 locations (moto): hash checks read S3 like a lake."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from audit_lake import build_timed_lake

from glue_jobs.audit import run_verify
from lineage.manifest import MANIFEST_FILE, Manifest, OutputFile
from lineage.verification import Area, Outcome, Problem, observe

pytestmark = pytest.mark.unit

BUCKET = "acme-lineage-raw"


@pytest.fixture
def s3(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    import boto3
    from moto import mock_aws

    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.setenv(name, "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    with mock_aws():
        client = boto3.client("s3")
        client.create_bucket(
            Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}
        )
        yield client


def _upload_lake_and_build(s3: Any, tmp_path: Path) -> dict[str, bytes]:
    """A raw zone under raw/ and a hand-made build under builds/ whose manifest names it."""
    lake = build_timed_lake(tmp_path / "lake")
    objects = {
        p.relative_to(lake.root).as_posix(): p.read_bytes()
        for p in sorted(lake.root.rglob("*"))
        if p.is_file()
    }
    for key, data in objects.items():
        s3.put_object(Bucket=BUCKET, Key=f"raw/{key}", Body=data)
    csv = b"~id,~label\njob:x,Job\n"
    out = observe("csv/vertices/Job-00000.csv", csv)
    manifest = Manifest(
        code_version="0" * 64,
        parameters={},
        inputs=tuple(observe(k, d) for k, d in objects.items()),
        outputs=(OutputFile(out.key, "vertex", "Job", 1, out.size, out.sha256),),
        payloads={},
        quarantine_by_reason={},
    )
    s3.put_object(Bucket=BUCKET, Key=f"builds/{out.key}", Body=csv)
    s3.put_object(Bucket=BUCKET, Key=f"builds/{MANIFEST_FILE}", Body=manifest.to_json())
    return objects


def _no_spark() -> Any:
    raise AssertionError("--skip-rerun must not start Spark")


def test_hash_checks_over_s3(s3: Any, tmp_path: Path) -> None:
    objects = _upload_lake_and_build(s3, tmp_path)
    lake, build = f"s3://{BUCKET}/raw", f"s3://{BUCKET}/builds"

    clean = run_verify(_no_spark, lake, build, rerun=False)
    assert clean.findings == () and clean.inputs_checked == len(objects)

    plan = next(k for k in objects if k.startswith("plans/") and k.endswith(".json"))
    event = next(k for k in objects if k.startswith("events/") and k.endswith(".json"))
    # On the versioned, locked bucket this PUT would add a new current version (the old one
    # stays); verify reads the current version, as the job does.
    s3.put_object(Bucket=BUCKET, Key=f"raw/{plan}", Body=objects[plan] + b" ")
    s3.delete_object(Bucket=BUCKET, Key=f"raw/{event}")

    report = run_verify(_no_spark, lake, build, rerun=False)
    assert [(f.area, f.problem, f.key) for f in report.findings] == [
        (Area.RAW_ZONE, Problem.ALTERED, plan),
        (Area.RAW_ZONE, Problem.MISSING, event),
    ]
    assert report.outcome is Outcome.RAW_ZONE_DIFFERS
