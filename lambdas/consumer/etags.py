"""Entity tags of read API answers and the `If-None-Match` condition (RFC 9110, 8.8.3 and 13.1.2).

An answer is a function of the loaded build and the request, so its tag is built from both; a
client's tag therefore matches only while the same build is loaded. The header is parsed in one
linear pass (no regular expression), so hostile values cost time proportional to their length.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

__all__ = ["MAX_CONDITION_CHARS", "IfNoneMatch", "answer_etag", "parse_if_none_match"]

# Longer `If-None-Match` values are ignored (the answer is sent in full): servers in front of
# the API cap header sizes well below this, and no client sends so many tags of ours.
MAX_CONDITION_CHARS = 16_384


def answer_etag(build: str, request_key: str) -> str:
    """The strong tag (quotes included) of the answer to `request_key` under `build`."""
    text = f"{build}\0{request_key}".encode("utf-8", "surrogatepass")
    return f'"{hashlib.sha256(text).hexdigest()[:32]}"'


@dataclass(frozen=True, slots=True)
class IfNoneMatch:
    """A parsed `If-None-Match`: `*`, or the opaque tags listed (weak or not, quotes included)."""

    any_tag: bool
    tags: frozenset[str]

    def matches(self, etag: str) -> bool:
        """Weak comparison, as RFC 9110 requires for `If-None-Match`."""
        return self.any_tag or etag in self.tags


def _etagc(ch: str) -> bool:
    # etagc = %x21 / %x23-7E / obs-text
    code = ord(ch)
    return code == 0x21 or 0x23 <= code <= 0x7E or 0x80 <= code <= 0xFF


def parse_if_none_match(value: str) -> IfNoneMatch | None:
    """Parse the field value; None when it is malformed or too long (then it is ignored)."""
    if len(value) > MAX_CONDITION_CHARS:
        return None
    if value.strip(" \t") == "*":
        return IfNoneMatch(any_tag=True, tags=frozenset())
    tags: set[str] = set()
    i, n = 0, len(value)
    while True:
        # Empty list elements (`, ,`) are allowed by the list syntax.
        while i < n and value[i] in " \t,":
            i += 1
        if i >= n:
            break
        if value.startswith("W/", i):
            i += 2
        if i >= n or value[i] != '"':
            return None
        end = value.find('"', i + 1)
        if end < 0:
            return None
        opaque = value[i + 1 : end]
        if not all(_etagc(ch) for ch in opaque):
            return None
        tags.add(f'"{opaque}"')
        i = end + 1
        while i < n and value[i] in " \t":
            i += 1
        if i < n and value[i] != ",":
            return None
    if not tags:
        return None
    return IfNoneMatch(any_tag=False, tags=frozenset(tags))
