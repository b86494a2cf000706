"""A bounded in-process cache of finished answers, valid for one loaded build.

Answers change only when a build is loaded, so the cache holds the bytes of successful answers
for the build it was filled under and empties itself when another build is seen. It is an LRU
bounded by entries and by bytes: a crawl over many distinct URLs evicts, it does not grow.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass

__all__ = ["AnswerCache", "CachedAnswer"]


@dataclass(frozen=True, slots=True)
class CachedAnswer:
    """One answer: its tag, its body and its media type."""

    etag: str
    body: bytes
    media_type: bytes


class AnswerCache:
    """LRU of answers for one build; thread-safe (the API runs routes in a thread pool)."""

    def __init__(self, max_entries: int, max_bytes: int) -> None:
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self._lock = threading.Lock()
        self._build: str | None = None
        self._entries: OrderedDict[str, CachedAnswer] = OrderedDict()
        self._bytes = 0

    def get(self, build: str, key: str) -> CachedAnswer | None:
        """The answer cached for `key` under `build`, if any (empties the cache on a new build)."""
        with self._lock:
            self._switch(build)
            found = self._entries.get(key)
            if found is not None:
                self._entries.move_to_end(key)
            return found

    def put(self, build: str, key: str, answer: CachedAnswer) -> None:
        """Keep `answer`, unless it alone exceeds a tenth of the byte budget."""
        size = len(answer.body) + len(key)
        if size > self.max_bytes // 10:
            return
        with self._lock:
            self._switch(build)
            old = self._entries.pop(key, None)
            if old is not None:
                self._bytes -= len(old.body) + len(key)
            self._entries[key] = answer
            self._bytes += size
            while len(self._entries) > self.max_entries or self._bytes > self.max_bytes:
                evicted_key, evicted = self._entries.popitem(last=False)
                self._bytes -= len(evicted.body) + len(evicted_key)

    def clear(self) -> None:
        """Forget every answer."""
        with self._lock:
            self._entries.clear()
            self._bytes = 0

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    @property
    def size_bytes(self) -> int:
        """Bytes held (bodies and keys)."""
        with self._lock:
            return self._bytes

    def _switch(self, build: str) -> None:
        if build != self._build:
            self._build = build
            self._entries.clear()
            self._bytes = 0
