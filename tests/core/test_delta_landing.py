"""`any_landed_before`: whether a build with a given cut-off would read any of the listed keys."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from raw_zone_builder import put

from lineage.delta_selection import any_landed_before
from lineage.raw_zone_layout import SIDECAR_SUFFIX
from stores.local import LocalStore

pytestmark = pytest.mark.unit

CUTOFF = dt.datetime(2026, 12, 2, 12, 0, tzinfo=dt.UTC)
CUTOFF_MS = int(CUTOFF.timestamp() * 1000)


@given(st.lists(st.integers(-5_000, 5_000), max_size=6))
def test_true_exactly_when_one_key_was_received_before_the_cutoff(offsets_ms: list[int]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        lake = Path(tmp)
        keys = [
            put(
                lake,
                f"[{index}]".encode(),
                kind="events",
                received_at=CUTOFF + dt.timedelta(milliseconds=offset),
            )
            for index, offset in enumerate(offsets_ms)
        ]
        expected = any(offset < 0 for offset in offsets_ms)
        assert any_landed_before(LocalStore(lake), keys, CUTOFF_MS) is expected


@pytest.mark.parametrize("sidecar", [None, b"", b"{not json", b'{"received_at": 7}'])
def test_a_key_without_a_readable_sidecar_is_read_by_the_build(
    tmp_path: Path, sidecar: bytes | None
) -> None:
    later = CUTOFF + dt.timedelta(minutes=5)
    key = put(tmp_path, b"[]", kind="events", received_at=later)
    assert not any_landed_before(LocalStore(tmp_path), [key], CUTOFF_MS)
    meta = tmp_path / (key + SIDECAR_SUFFIX)
    if sidecar is None:
        meta.unlink()
    else:
        meta.write_bytes(sidecar)
    # The build quarantines it with the precise reason, so it is worth building.
    assert any_landed_before(LocalStore(tmp_path), [key], CUTOFF_MS)
