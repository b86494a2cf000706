"""What is acceptable: the one contract the producer accepts by and the rebuild normalizes to.

The producer refuses (400) only what breaks these structural limits; anything it acknowledges
the nightly job can digest, because the job checks the same limits (payloads stored by older
code may break them: those are quarantined with reason `limit_exceeded`, never a crash).
`lineage.spline.decode_json` applies them and raises `LimitExceededError`.

- `MAX_JSON_DEPTH` (64): nested arrays and objects. orjson parses 1,024 levels but writes back
  only about 254; real plans nest far less than 20.
- `INT_MIN`..`INT_MAX` (-2^63 .. 2^64-1): integers orjson writes back.
- `MIN_TIMESTAMP_MS`..`MAX_TIMESTAMP_MS`: event times from 1970 to 9999-12-31T23:59:59.999Z
  (a Spark Long, a Python datetime).
- `MAX_DURATION_NS` (2^63-1): a Neptune Long.
- `is_uuid`: plan ids and event `planId`s are one UUID, anchored at both ends (`\\Z`, so no
  trailing newline reaches a file name).
- `MAX_PROPERTY_BYTES` (64 KiB of UTF-8): longer string properties are cut by `cut_text`,
  ending in `CUT_MARKER`; valid input is cut, never refused.
- `MAX_ID_CHARS` (1,024): longer vertex ids keep a prefix and a SHA-256 (`bound_id`).
- `MAX_HEADER_VALUE_BYTES` (256): a sidecar keeps allow-listed request headers only, each cut.

Body sizes are the producer's settings (`ProducerSettings`): they follow the deployment (API
Gateway 10 MB, Lambda 6 MB), not the data model. docs/limits.md is the user-facing table.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

__all__ = [
    "CUT_MARKER",
    "INT_MAX",
    "INT_MIN",
    "MAX_DURATION_NS",
    "MAX_HEADER_VALUE_BYTES",
    "MAX_ID_CHARS",
    "MAX_JSON_DEPTH",
    "MAX_PROPERTY_BYTES",
    "MAX_TIMESTAMP_MS",
    "MIN_TIMESTAMP_MS",
    "UUID_PATTERN",
    "Violation",
    "bound_id",
    "cut_text",
    "find_violation",
    "is_uuid",
    "timestamp_problem",
]

MAX_JSON_DEPTH = 64
INT_MIN = -(2**63)
INT_MAX = 2**64 - 1
MIN_TIMESTAMP_MS = 0
MAX_TIMESTAMP_MS = 253_402_300_799_999  # 9999-12-31T23:59:59.999Z, the last datetime Python has
MAX_DURATION_NS = 2**63 - 1
MAX_PROPERTY_BYTES = 64 * 1024
MAX_ID_CHARS = 1024
MAX_HEADER_VALUE_BYTES = 256
CUT_MARKER = "…[cut: {total} bytes]"

# `\Z`, not `$`: `$` also matches before a trailing newline, which then reaches file names.
UUID_PATTERN = re.compile(
    r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\Z"
)


@dataclass(frozen=True, slots=True)
class Violation:
    """Where a decoded JSON document breaks a limit, and how."""

    path: str
    problem: str


def is_uuid(text: object) -> bool:
    """True for a string that is exactly one UUID (any case), nothing before or after."""
    return isinstance(text, str) and UUID_PATTERN.match(text) is not None


def timestamp_problem(value: int) -> str | None:
    """Why an event timestamp (epoch milliseconds) is unusable, or None when it is in range."""
    if MIN_TIMESTAMP_MS <= value <= MAX_TIMESTAMP_MS:
        return None
    return (
        f"timestamp {value} is outside {MIN_TIMESTAMP_MS}..{MAX_TIMESTAMP_MS} "
        "(epoch milliseconds, 1970 to 9999)"
    )


def _segment(path: str, key: str | int) -> str:
    return f"{path}[{key}]" if isinstance(key, int) else f"{path}.{key}"


def find_violation(doc: object, max_depth: int = MAX_JSON_DEPTH) -> Violation | None:
    """The first place where decoded JSON nests deeper than `max_depth` or holds an integer
    orjson cannot write back; None when the document is within limits.

    Iterative (no recursion), so a hostile document cannot exhaust the stack; paths are built
    only for the offending value.
    """
    stack: list[tuple[object, int, tuple[str | int, ...]]] = [(doc, 0, ())]
    while stack:
        value, depth, trail = stack.pop()
        if isinstance(value, dict | list):
            if depth + 1 > max_depth:
                path = "$"
                for key in trail:
                    path = _segment(path, key)
                return Violation(path, f"nests deeper than {max_depth} levels")
            items = value.items() if isinstance(value, dict) else enumerate(value)
            for key, item in items:
                if isinstance(item, dict | list | int) and not isinstance(item, bool):
                    stack.append((item, depth + 1, (*trail, key)))
        elif (
            isinstance(value, int)
            and not isinstance(value, bool)
            and not (INT_MIN <= value <= INT_MAX)
        ):
            path = "$"
            for key in trail:
                path = _segment(path, key)
            return Violation(path, f"integer {value} is outside {INT_MIN}..{INT_MAX}")
    return None


def cut_text(text: str, max_bytes: int = MAX_PROPERTY_BYTES) -> str:
    """`text` if its UTF-8 form fits `max_bytes`, else its longest prefix that fits together
    with the marker `…[cut: <total> bytes]`: a graph property never exceeds `max_bytes`."""
    if len(text) * 4 <= max_bytes:  # fast path: even all 4-byte characters would fit
        return text
    data = text.encode("utf-8", "surrogatepass")
    if len(data) <= max_bytes:
        return text
    marker = CUT_MARKER.format(total=len(data))
    room = max(0, max_bytes - len(marker.encode()))
    return data[:room].decode("utf-8", "ignore") + marker


def bound_id(text: str, max_chars: int = MAX_ID_CHARS) -> str:
    """An id of at most `max_chars`: longer ones keep a prefix and a SHA-256 of the whole,
    so distinct long ids stay distinct and the same input always gives the same id."""
    if len(text) <= max_chars:
        return text
    digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
    return f"{text[: max_chars - len(digest) - 2]}…#{digest}"
