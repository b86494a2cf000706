"""Raw-zone keys: deterministic, UTC-date partitioned, and parseable by the normalize job."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from lineage.raw_zone_layout import (
    RawKey,
    RawObjectMetadata,
    RawZoneKeyError,
    date_partition_prefixes,
    events_key,
    format_received_at,
    parse_raw_key,
    plan_index_key,
    plan_key,
    plan_variant_index_key,
    plan_variant_key,
    sha256_hex,
    sidecar_key,
)

pytestmark = pytest.mark.unit

PLAN_ID = "5b0e1c74-8f0e-5b8a-9a45-1d2c3e4f5a6b"
SHA = sha256_hex(b"[]")
LATE_EVENING_NEW_YORK = datetime(2026, 11, 21, 21, 30, tzinfo=timezone(timedelta(hours=-5)))


def test_keys_use_the_utc_date() -> None:
    assert plan_key(PLAN_ID, LATE_EVENING_NEW_YORK) == f"plans/date=2026-11-22/{PLAN_ID}.json"
    assert events_key(SHA, LATE_EVENING_NEW_YORK) == f"events/date=2026-11-22/{SHA}.json"
    assert plan_variant_key(PLAN_ID, SHA, LATE_EVENING_NEW_YORK) == (
        f"plans/date=2026-11-22/{PLAN_ID}~{SHA[:16]}.json"
    )
    assert sidecar_key("events/date=2026-11-22/x.json") == "events/date=2026-11-22/x.json.meta"
    assert plan_index_key(PLAN_ID) == f"_index/plans/{PLAN_ID}"
    assert plan_variant_index_key(PLAN_ID, SHA) == f"_index/plans/{PLAN_ID}~{SHA[:16]}"


def test_naive_times_and_unsafe_ids_are_refused() -> None:
    with pytest.raises(RawZoneKeyError, match="no time zone"):
        plan_key(PLAN_ID, datetime(2026, 11, 22))
    with pytest.raises(RawZoneKeyError, match="not a lower-case UUID"):
        plan_key("../../x", datetime.now(UTC))
    with pytest.raises(RawZoneKeyError, match="not a lower-case UUID"):
        plan_key(PLAN_ID.upper(), datetime.now(UTC))
    with pytest.raises(RawZoneKeyError, match="SHA-256"):
        events_key("abc", datetime.now(UTC))


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        (
            f"plans/date=2026-11-22/{PLAN_ID}.json",
            RawKey("plan", "2026-11-22", PLAN_ID, None, is_sidecar=False),
        ),
        (
            f"plans/date=2026-11-22/{PLAN_ID}~{SHA[:16]}.json.meta",
            RawKey("plan", "2026-11-22", PLAN_ID, SHA[:16], is_sidecar=True),
        ),
        (
            f"events/date=2026-01-02/{SHA}.json",
            RawKey("events", "2026-01-02", None, SHA, is_sidecar=False),
        ),
    ],
)
def test_parse_raw_key(key: str, expected: RawKey) -> None:
    assert parse_raw_key(key) == expected


@pytest.mark.parametrize(
    "key",
    [
        f"_index/plans/{PLAN_ID}",
        f"plans/date=2026-11-22/{PLAN_ID}.txt",
        f"events/date=2026-11-22/{PLAN_ID}.json",
        f"events/date=2026-11-22/{SHA}~{SHA[:16]}.json",
        "plans/2026-11-22/x.json",
    ],
)
def test_parse_raw_key_refuses_foreign_keys(key: str) -> None:
    with pytest.raises(RawZoneKeyError):
        parse_raw_key(key)


def test_date_partition_prefixes() -> None:
    assert date_partition_prefixes("events", date(2026, 2, 27), date(2026, 3, 1)) == [
        "events/date=2026-02-27/",
        "events/date=2026-02-28/",
        "events/date=2026-03-01/",
    ]
    assert date_partition_prefixes("plan", date(2026, 1, 1), date(2026, 1, 1)) == [
        "plans/date=2026-01-01/"
    ]
    with pytest.raises(RawZoneKeyError, match="before it starts"):
        date_partition_prefixes("plan", date(2026, 1, 2), date(2026, 1, 1))


def test_sidecar_json_is_deterministic_and_round_trips() -> None:
    meta = RawObjectMetadata(
        kind="plan",
        received_at=format_received_at(LATE_EVENING_NEW_YORK),
        api_version="1.2",
        content_type="application/vnd.absa.spline.producer.v1.2+json",
        sha256=SHA,
        size=2,
        plan_id=PLAN_ID,
        headers={"user-agent": "agent", "absa-spline-x": "1"},
    )
    body = meta.to_json()
    assert body.startswith(b'{"api_version":"1.2","content_type":')
    assert b"null" not in body and b"event_count" not in body
    assert RawObjectMetadata.from_json(body) == meta
    assert meta.received_at == "2026-11-22T02:30:00.000Z"
    with pytest.raises(RawZoneKeyError, match="does not match"):
        RawObjectMetadata.from_json(b'{"kind": "plan"}')
