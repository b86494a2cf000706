"""Reads ahead of parsing (glue_jobs.normalize.prefetch): same bytes, same errors, bounded."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from glue_jobs.normalize.prefetch import prefetched
from lineage.raw_zone_layout import SIDECAR_SUFFIX
from lineage.store import MissingObjectError, StoredObject

pytestmark = pytest.mark.unit


class _DictStore:
    """A raw zone in a dict that records which keys were read, by whichever thread."""

    def __init__(self, objects: dict[str, bytes]) -> None:
        self.objects = objects
        self.reads: list[str] = []
        self._lock = threading.Lock()

    @property
    def root(self) -> str:
        return "memory://"

    def list(self, prefix: str) -> Iterator[StoredObject]:
        for key in sorted(self.objects):
            if key.startswith(prefix):
                yield StoredObject(key, len(self.objects[key]))

    def read(self, key: str) -> bytes:
        with self._lock:
            self.reads.append(key)
        try:
            return self.objects[key]
        except KeyError:
            raise MissingObjectError(f"no object {key}") from None

    def create(self, key: str, body: bytes, content_type: str) -> bool:
        raise AssertionError("the job never writes to the raw zone")


def _outcome(store: object, key: str) -> bytes | str:
    try:
        return store.read(key)  # type: ignore[attr-defined, no-any-return]
    except MissingObjectError as exc:
        return f"missing: {exc}"


_names = st.sampled_from([f"plans/p{i}.json" for i in range(12)])


@settings(max_examples=60, deadline=None)
@given(
    present=st.dictionaries(_names, st.binary(max_size=64)),
    sidecars=st.sets(_names),
    keys=st.lists(_names, max_size=40),
    window=st.integers(min_value=0, max_value=6),
)
def test_reads_ahead_give_each_key_what_a_direct_read_gives(
    present: dict[str, bytes], sidecars: set[str], keys: list[str], window: int
) -> None:
    objects = dict(present)
    objects.update({key + SIDECAR_SUFFIX: key.encode() for key in sidecars})
    direct = _DictStore(objects)
    ahead_store = _DictStore(objects)
    seen: list[str] = []
    for key, ahead in prefetched(ahead_store, keys, threads=3, window=window):
        seen.append(key)
        for name in (key, key + SIDECAR_SUFFIX):
            assert _outcome(ahead, name) == _outcome(direct, name)
    assert seen == keys


def test_no_more_than_the_window_is_read_ahead() -> None:
    keys = [f"plans/p{i}.json" for i in range(50)]
    store = _DictStore({name: b"{}" for key in keys for name in (key, key + SIDECAR_SUFFIX)})
    for position, (key, ahead) in enumerate(prefetched(store, keys, threads=4, window=5)):
        ahead.read(key)
        ahead.read(key + SIDECAR_SUFFIX)
        with store._lock:
            started = {name.removesuffix(SIDECAR_SUFFIX) for name in store.reads}
        assert len(started) <= position + 1 + 5
    assert set(store.reads) == set(keys) | {key + SIDECAR_SUFFIX for key in keys}
