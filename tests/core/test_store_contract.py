"""The one store contract (`lineage.store`), held by both backends: a local directory and S3.

Every test runs against `LocalStore` and against `S3Store` over moto's in-process S3 (the real
boto3 client, the real botocore request path), so both answer the same keys the same way.
"""

from __future__ import annotations

import pickle
import re
import tempfile
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import boto3
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from moto import mock_aws

from lineage.store import (
    BuildStore,
    InvalidKeyError,
    MissingObjectError,
    StoredObject,
    UnsupportedLocationError,
    read_optional,
)
from stores import LocalStore, S3Store, open_store

pytestmark = pytest.mark.unit

BUCKET = "contract"
Fresh = Callable[[], BuildStore]


@pytest.fixture(params=["local", "s3"])
def fresh(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[Fresh]:
    """A factory of empty stores of one backend (a new folder or prefix per call)."""
    if request.param == "local":
        with tempfile.TemporaryDirectory(prefix="store-contract-") as root:
            yield lambda: LocalStore(Path(root, uuid.uuid4().hex))
        return
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    with mock_aws():
        client = boto3.client("s3")
        client.create_bucket(Bucket=BUCKET)
        yield lambda: S3Store(BUCKET, f"runs/{uuid.uuid4().hex}", client=client)


# Each example takes a fresh store from the factory, so nothing leaks between examples.
each_example = settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)

# Segments as the raw zone and build folder name them (`date=`, `~`, `-`), plus non-ASCII
# letters: S3 lists in UTF-8 byte order, a directory is sorted here, and both must agree.
_segment = st.from_regex(r"[a-zA-Z0-9=_~é日-][a-zA-Z0-9=_~.é日-]{0,7}", fullmatch=True)
_key = st.lists(_segment, min_size=1, max_size=3).map("/".join)


def _portable(keys: list[str]) -> bool:
    """No key is also a folder of another: a directory cannot hold both `a` and `a/b`."""
    return not any(other.startswith(key + "/") for key in keys for other in keys)


_key_sets = st.lists(_key, min_size=1, max_size=8, unique=True).filter(_portable)


def test_create_is_write_once_and_a_missing_key_raises(fresh: Fresh) -> None:
    store = fresh()
    assert store.create("plans/date=2026-11-21/p.json", b"first", "application/json") is True
    assert store.create("plans/date=2026-11-21/p.json", b"second", "application/json") is False
    assert store.read("plans/date=2026-11-21/p.json") == b"first"
    with pytest.raises(MissingObjectError, match=r"plans/date=2026-11-21/q\.json"):
        store.read("plans/date=2026-11-21/q.json")
    assert read_optional(store, "plans/date=2026-11-21/q.json") is None
    # A folder (a common prefix in S3) is no object on either backend.
    with pytest.raises(MissingObjectError):
        store.read("plans/date=2026-11-21")


@each_example
@given(keys=_key_sets, data=st.data())
def test_list_is_a_string_prefix_in_key_order_with_sizes(
    fresh: Fresh, keys: list[str], data: st.DataObject
) -> None:
    store = fresh()
    sizes = {key: data.draw(st.integers(0, 40), label=key) for key in keys}
    for key, size in sizes.items():
        assert store.create(key, b"x" * size, "application/octet-stream")
    # Prefixes that end inside a segment, at a `/`, at a whole key, or match nothing.
    candidates = [k[:cut] for k in keys for cut in range(len(k) + 1)] + ["zz/", "none"]
    prefix = data.draw(st.sampled_from(candidates), label="prefix")
    expected = sorted(StoredObject(k, s) for k, s in sizes.items() if k.startswith(prefix))
    assert list(store.list(prefix)) == expected
    assert list(store.list("")) == sorted(StoredObject(k, s) for k, s in sizes.items())


@each_example
@given(keys=_key_sets, data=st.data())
def test_write_replaces_and_delete_prefix_removes_exactly_the_prefix(
    fresh: Fresh, keys: list[str], data: st.DataObject
) -> None:
    store = fresh()
    for key in keys:
        store.write(key, b"old")
        store.write(key, key.encode())
    assert all(store.read(key) == key.encode() for key in keys)
    prefix = data.draw(st.sampled_from([k[:cut] for k in keys for cut in range(1, len(k) + 1)]))
    doomed = [k for k in keys if k.startswith(prefix)]
    assert store.delete_prefix(prefix) == len(doomed)
    assert [o.key for o in store.list("")] == sorted(set(keys) - set(doomed))
    for key in doomed:
        assert read_optional(store, key) is None
        assert store.create(key, b"again", "text/plain")  # the name is free again


_OUTSIDE = ["", "/abs.json", "../up.json", "a/../b.json", "a//b.json", "a/./b", "a\\b", "a\x00b"]


@pytest.mark.parametrize("key", _OUTSIDE)
def test_every_backend_refuses_a_key_outside_its_root(fresh: Fresh, key: str) -> None:
    store = fresh()
    for attempt in (
        lambda: store.create(key, b"", "text/plain"),
        lambda: store.write(key, b""),
        lambda: store.read(key),
    ):
        with pytest.raises(InvalidKeyError, match="not a plain relative path"):
            attempt()
    with pytest.raises(InvalidKeyError, match="prefix"):
        list(store.list("../"))


def test_no_backend_writes_a_hidden_name(fresh: Fresh) -> None:
    # A leading `.` marks a writer's temporary file, which every reader skips.
    store = fresh()
    with pytest.raises(InvalidKeyError):
        store.create("plans/.p.json", b"{}", "application/json")
    with pytest.raises(InvalidKeyError):
        store.write(".manifest.json", b"{}")


def test_a_store_pickles_to_the_same_objects(fresh: Fresh) -> None:
    # Spark ships stores to its Python workers; an S3 store leaves its client behind.
    store = fresh()
    store.write("csv/vertices/Job-00000.csv", b"~id\n")
    copy = pickle.loads(pickle.dumps(store))
    assert copy == store and copy.root == store.root
    assert list(copy.list("csv/")) == [StoredObject("csv/vertices/Job-00000.csv", 4)]


@given(
    bucket=st.from_regex(r"[a-z0-9][a-z0-9.-]{2,20}", fullmatch=True),
    prefix=st.lists(_segment, max_size=3).map("/".join),
    slashes=st.sampled_from(["", "/", "//"]),
)
def test_every_s3_spelling_opens_the_same_store(bucket: str, prefix: str, slashes: str) -> None:
    spellings = [f"{scheme}://{bucket}/{prefix}{slashes}" for scheme in ("s3", "s3a", "s3n")]
    opened = {open_store(s) for s in spellings}
    assert opened == {S3Store(bucket, prefix)}
    (store,) = opened
    assert store.root == f"s3://{bucket}/{prefix}".rstrip("/")


def test_a_directory_opens_the_same_as_its_file_uri(tmp_path: Path) -> None:
    assert open_store(str(tmp_path)) == open_store(f"file://{tmp_path}") == LocalStore(tmp_path)
    assert open_store(str(tmp_path)).root == str(tmp_path.resolve())


@pytest.mark.parametrize("location", ["s3://", "s3a:///raw", "gs://b/raw", "http://b/raw"])
def test_an_unknown_location_is_refused_by_name(location: str) -> None:
    with pytest.raises(UnsupportedLocationError, match=re.escape(repr(location))):
        open_store(location)
