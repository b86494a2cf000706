"""Reads of a task's payloads ahead of their parsing, a bounded number at a time.

A task reads thousands of small objects (each payload and its sidecar). One at a time, every
read waits for its object store round trip (an S3 GET: tens of milliseconds) while the core idles;
`Prefetched` keeps up to `window` payloads' reads in flight on a small thread pool while the task
parses the ones already read. Reads release the GIL, the parsing stays on the task's thread, and
results are handed out in the task's order: the rows, and so the output, are those of serial reads.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor

from lineage.raw_zone_layout import SIDECAR_SUFFIX
from lineage.store import RawZoneStore, StoredObject

__all__ = ["READ_THREADS", "READ_WINDOW", "Prefetched", "prefetched"]

# Concurrent GETs per task (a Glue worker runs a few tasks at once): enough to hide S3's latency,
# few enough to stay far below its request rate limits per prefix.
READ_THREADS = 8
# Payloads read ahead: bounds the bytes a task holds (plans are tens of KiB).
READ_WINDOW = 32


class Prefetched:
    """A `RawZoneStore` whose reads of the announced keys were started ahead, on a pool.

    A read of a key no one announced (or announced twice) goes to the store directly. A read's
    error is raised when its key is read, as the store raised it.
    """

    def __init__(self, store: RawZoneStore, pool: ThreadPoolExecutor) -> None:
        self._store = store
        self._pool = pool
        self._pending: dict[str, Future[bytes]] = {}

    @property
    def root(self) -> str:
        """The wrapped store's root."""
        return self._store.root

    def announce(self, key: str) -> None:
        """Start reading `key` and its sidecar."""
        for name in (key, key + SIDECAR_SUFFIX):
            if name not in self._pending:
                self._pending[name] = self._pool.submit(self._store.read, name)

    def list(self, prefix: str) -> Iterator[StoredObject]:
        """The wrapped store's listing."""
        return self._store.list(prefix)

    def read(self, key: str) -> bytes:
        """The object's bytes, from its read ahead when there was one."""
        pending = self._pending.pop(key, None)
        return self._store.read(key) if pending is None else pending.result()

    def create(self, key: str, body: bytes, content_type: str) -> bool:
        """Create through the wrapped store (the job never writes to the raw zone)."""
        return self._store.create(key, body, content_type)

    def forget(self) -> None:
        """Drop the reads no one took (their results are discarded)."""
        for pending in self._pending.values():
            pending.cancel()
        self._pending.clear()


def prefetched(
    store: RawZoneStore,
    keys: Iterable[str],
    threads: int = READ_THREADS,
    window: int = READ_WINDOW,
) -> Iterator[tuple[str, RawZoneStore]]:
    """Each of `keys` in order, with a store that has its payload and sidecar read (or reading).

    Up to `window` payloads ahead of the one handed out are being read on `threads` threads.
    """
    with ThreadPoolExecutor(max_workers=threads, thread_name_prefix="prefetch") as pool:
        ahead = Prefetched(store, pool)
        queue: deque[str] = deque()
        try:
            for key in keys:
                ahead.announce(key)
                queue.append(key)
                if len(queue) > window:
                    yield queue.popleft(), ahead
            while queue:
                yield queue.popleft(), ahead
        finally:
            ahead.forget()
