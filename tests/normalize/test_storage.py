"""The job's stores: a local directory and an S3 prefix (moto, in process)."""

from __future__ import annotations

import pickle
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from lineage.store import MissingObjectError, UnsupportedLocationError
from stores import LocalStore, S3Store, open_store

pytestmark = pytest.mark.unit


@pytest.fixture
def s3(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    from moto import mock_aws

    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        import boto3

        client = boto3.client("s3")
        client.create_bucket(Bucket="lake")
        yield client


def test_open_store_picks_the_backend(tmp_path: Path) -> None:
    assert open_store("s3a://lake/raw/") == S3Store("lake", "raw")
    assert open_store("s3://lake") == S3Store("lake", "")
    assert open_store("s3n://lake/raw") == S3Store("lake", "raw")
    assert open_store(f"file://{tmp_path}") == LocalStore(str(tmp_path))
    assert open_store(str(tmp_path / "x" / "..")) == LocalStore(tmp_path)
    with pytest.raises(UnsupportedLocationError, match="names no bucket"):
        open_store("s3a:///nobucket")
    with pytest.raises(UnsupportedLocationError, match="only s3:// and directories"):
        open_store("gs://lake/raw")
    assert not (tmp_path / "fresh").exists()
    open_store(str(tmp_path / "fresh"))  # opening to read creates nothing
    assert not (tmp_path / "fresh").exists()
    open_store(str(tmp_path / "fresh"), create=True)
    assert (tmp_path / "fresh").is_dir()


def test_local_store_round_trip(tmp_path: Path) -> None:
    store = LocalStore(str(tmp_path))
    store.write("csv/vertices/Job-00000.csv", b"a")
    store.write("csv/edges/E-00000.csv", b"bb")
    store.write("manifest.json", b"{}")
    assert list(store.list("csv/")) == [
        ("csv/edges/E-00000.csv", 2),
        ("csv/vertices/Job-00000.csv", 1),
    ]
    assert store.read("csv/edges/E-00000.csv") == b"bb"
    assert store.delete_prefix("csv/") == 2
    assert list(store.list("")) == [("manifest.json", 2)]
    assert not [p for p in tmp_path.rglob("*") if p.name.startswith(".")]  # no temp files left
    with pytest.raises(MissingObjectError, match="nope"):
        store.read("nope")


def test_s3_store_round_trip_and_pickles_without_its_client(s3: Any) -> None:
    store = S3Store("lake", "builds/x")
    for i in range(3):
        store.write(f"csv/vertices/Job-{i:05d}.csv", b"x" * (i + 1))
    store.write("manifest.json", b"{}")
    assert [k for k, _ in store.list("csv/")] == [f"csv/vertices/Job-{i:05d}.csv" for i in range(3)]
    assert store.read("csv/vertices/Job-00002.csv") == b"xxx"
    copy = pickle.loads(pickle.dumps(store))
    assert copy == store and copy.read("manifest.json") == b"{}"
    assert store.delete_prefix("csv/") == 3
    assert [k for k, _ in store.list("")] == ["manifest.json"]
    with pytest.raises(MissingObjectError, match="s3://lake/builds/x/missing"):
        store.read("missing")
