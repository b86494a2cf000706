"""Raw-zone stores (local directory, S3 via moto) and the writer: write-once, also under races."""

from __future__ import annotations

import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from lambdas.producer.raw_zone_writer import RawZoneWriter, Receipt
from lineage.raw_zone_layout import PlanIndexEntry, RawObjectMetadata, sha256_hex
from lineage.spline import ApiVersion, load_execution_events, load_execution_plan
from lineage.store import MissingObjectError, RawZoneStore, StorageError, read_optional
from stores import LocalStore, S3Store

pytestmark = pytest.mark.unit

SAMPLES = Path(__file__).resolve().parents[1] / "events" / "producer"
PLAN = (SAMPLES / "plan-v1.2-orders-daily.json").read_bytes()
EVENTS = (SAMPLES / "events-v1.2-orders-daily.json").read_bytes()
PLAN_ID = "5b0e1c74-8f0e-5b8a-9a45-1d2c3e4f5a6b"
DAY1 = datetime(2026, 11, 21, 23, 59, 59, 999000, tzinfo=UTC)
DAY2 = DAY1 + timedelta(hours=1)


def receipt(at: datetime = DAY1) -> Receipt:
    return Receipt(
        received_at=at,
        api_version=ApiVersion.V1_2,
        content_type="application/vnd.absa.spline.producer.v1.2+json",
        content_encoding="gzip",
        client_address="10.0.0.7",
        headers={"user-agent": "spline-agent"},
    )


@pytest.fixture(params=["local", "s3"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[RawZoneStore]:
    """Each backend, empty."""
    if request.param == "local":
        yield LocalStore(tmp_path / "lake", fsync=True)
        return
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket="raw-zone")
        yield S3Store("raw-zone", "lineage/raw", client=client)


def keys(store: RawZoneStore, prefix: str) -> list[str]:
    return [item.key for item in store.list(prefix)]


def test_create_is_write_once(store: RawZoneStore) -> None:
    assert store.create("a/b/one.json", b"first", "application/json") is True
    assert store.create("a/b/one.json", b"second", "application/json") is False
    assert store.read("a/b/one.json") == b"first"
    assert read_optional(store, "a/b/missing.json") is None
    with pytest.raises(MissingObjectError, match=r"a/b/missing\.json"):
        store.read("a/b/missing.json")


def test_list_keys_by_prefix(store: RawZoneStore) -> None:
    for key in ("x/2.json", "x/1.json", "x/sub/3.json", "xy/4.json", "y/5.json"):
        store.create(key, b"{}", "application/json")
    assert keys(store, "x/") == ["x/1.json", "x/2.json", "x/sub/3.json"]
    assert keys(store, "x") == ["x/1.json", "x/2.json", "x/sub/3.json", "xy/4.json"]
    assert keys(store, "nothing/") == []


def test_concurrent_creates_of_one_key_have_one_winner(store: RawZoneStore) -> None:
    bodies = [f"body-{i}".encode() for i in range(24)]
    with ThreadPoolExecutor(max_workers=12) as pool:
        results = list(pool.map(lambda b: store.create("race/k.json", b, "text/plain"), bodies))
    assert results.count(True) == 1
    assert store.read("race/k.json") == bodies[results.index(True)]


def test_writer_stores_plan_once_with_sidecar_and_index(store: RawZoneStore) -> None:
    writer = RawZoneWriter(store)
    plan = load_execution_plan(PLAN, ApiVersion.V1_2)
    first = writer.store_plan(PLAN, plan, receipt(DAY1))
    again = writer.store_plan(PLAN, plan, receipt(DAY2))  # next UTC day: still a no-op
    key = f"plans/date=2026-11-21/{PLAN_ID}.json"
    assert (first.key, first.created, first.variant) == (key, True, False)
    assert (again.key, again.created) == (key, False)
    assert store.read(key) == PLAN
    meta = RawObjectMetadata.from_json(store.read(key + ".meta"))
    assert meta.sha256 == sha256_hex(PLAN) and meta.size == len(PLAN)
    assert (meta.kind, meta.plan_id, meta.api_version) == ("plan", PLAN_ID, "1.2")
    assert meta.received_at == "2026-11-21T23:59:59.999Z"
    assert (meta.client_address, meta.content_encoding) == ("10.0.0.7", "gzip")
    assert keys(store, "plans/") == [key, key + ".meta"]
    assert keys(store, "_index/") == [f"_index/plans/{PLAN_ID}"]
    assert PlanIndexEntry.from_json(store.read(f"_index/plans/{PLAN_ID}")) == (
        PlanIndexEntry(key, sha256_hex(PLAN))
    )


def test_different_bytes_under_same_plan_id_are_kept(
    store: RawZoneStore, caplog: pytest.LogCaptureFixture
) -> None:
    writer = RawZoneWriter(store)
    plan = load_execution_plan(PLAN, ApiVersion.V1_2)
    other = json.loads(PLAN)
    other["extraInfo"]["appName"] = "renamed"
    other_body = json.dumps(other).encode()
    writer.store_plan(PLAN, plan, receipt(DAY1))
    variant = writer.store_plan(other_body, plan, receipt(DAY2))
    digest = sha256_hex(other_body)
    assert variant.key == f"plans/date=2026-11-22/{PLAN_ID}~{digest[:16]}.json"
    assert variant.created and variant.variant
    assert store.read(variant.key) == other_body
    assert store.read(f"plans/date=2026-11-21/{PLAN_ID}.json") == PLAN
    assert "different bytes" in caplog.text
    assert keys(store, "_index/") == [
        f"_index/plans/{PLAN_ID}",
        f"_index/plans/{PLAN_ID}~{digest[:16]}",
    ]
    repeat = writer.store_plan(other_body, plan, receipt(DAY2 + timedelta(days=3)))
    assert (repeat.key, repeat.created, repeat.variant) == (variant.key, False, True)
    assert writer.store_plan(PLAN, plan, receipt(DAY2)).created is False


def test_same_day_different_bytes_race_keeps_both(store: RawZoneStore) -> None:
    # The index is written last: a second body arriving before it (same day) finds the
    # first body's payload key taken and must fall back to a variant, not overwrite.
    plan = load_execution_plan(PLAN, ApiVersion.V1_2)
    store.create(f"plans/date=2026-11-21/{PLAN_ID}.json", b"{}", "application/json")
    stored = RawZoneWriter(store).store_plan(PLAN, plan, receipt(DAY1))
    assert stored.variant and stored.created
    assert store.read(stored.key) == PLAN


def test_concurrent_identical_plans_store_exactly_one_object(store: RawZoneStore) -> None:
    writer = RawZoneWriter(store)
    plan = load_execution_plan(PLAN, ApiVersion.V1_2)
    with ThreadPoolExecutor(max_workers=16) as pool:
        results = list(pool.map(lambda _: writer.store_plan(PLAN, plan, receipt()), range(32)))
    assert sum(r.created for r in results) == 1
    assert {r.key for r in results} == {f"plans/date=2026-11-21/{PLAN_ID}.json"}
    assert keys(store, "plans/") == [results[0].key, results[0].key + ".meta"]
    assert len(keys(store, "_index/")) == 1


def test_event_batch_once_per_hash(store: RawZoneStore) -> None:
    writer = RawZoneWriter(store)
    events = load_execution_events(EVENTS, ApiVersion.V1_2)
    first = writer.store_events(EVENTS, events, receipt())
    second = writer.store_events(EVENTS, events, receipt())
    assert first.key == f"events/date=2026-11-21/{sha256_hex(EVENTS)}.json"
    assert (first.created, second.created) == (True, False)
    meta = RawObjectMetadata.from_json(store.read(first.key + ".meta"))
    assert (meta.kind, meta.event_count) == ("events", 1)


def test_crash_between_payload_and_sidecar_is_repaired(store: RawZoneStore) -> None:
    # Simulate a crash after the payload write: only the payload exists.
    key = f"plans/date=2026-11-21/{PLAN_ID}.json"
    store.create(key, PLAN, "application/json")
    stored = RawZoneWriter(store).store_plan(
        PLAN, load_execution_plan(PLAN, ApiVersion.V1_2), receipt()
    )
    assert (stored.key, stored.created, stored.variant) == (key, False, False)
    assert store.read(key + ".meta")
    assert store.read(f"_index/plans/{PLAN_ID}") == PlanIndexEntry(key, sha256_hex(PLAN)).to_json()


def test_local_store_failure_is_a_storage_error(tmp_path: Path) -> None:
    store = LocalStore(tmp_path / "lake", fsync=False)
    (tmp_path / "lake").write_text("not a directory")
    with pytest.raises(StorageError, match="cannot write"):
        store.create("plans/x.json", b"{}", "application/json")


@pytest.mark.parametrize("key", ["../escape.json", "/abs.json", "a/../b.json", "a//b.json", ""])
def test_local_store_refuses_keys_outside_its_root(tmp_path: Path, key: str) -> None:
    with pytest.raises(StorageError, match="not a plain relative path"):
        LocalStore(tmp_path, fsync=False).create(key, b"", "text/plain")


def test_s3_store_wraps_missing_bucket() -> None:
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        store = S3Store("no-such-bucket", "p", client=client)
        with pytest.raises(StorageError, match=r"s3://no-such-bucket/p/k.json: NoSuchBucket"):
            store.create("k.json", b"{}", "application/json")
        with pytest.raises(StorageError, match="NoSuchBucket"):
            store.read("k.json")


def test_s3_objects_carry_prefix_and_content_type() -> None:
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket="raw-zone")
        store = S3Store("raw-zone", "/lineage/raw/", client=client)
        store.create("plans/k.json", b"{}", "application/json")
        head = client.head_object(Bucket="raw-zone", Key="lineage/raw/plans/k.json")
        assert head["ContentType"] == "application/json"
        assert store.root == "s3://raw-zone/lineage/raw"
