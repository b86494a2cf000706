"""The pointer a scheduled job keeps under its build prefix: which build the graph holds last.

Scheduled runs write each build into its own folder under the prefix
(`builds/<cut-off>-full`, `builds/<cut-off>-delta`) and then replace `LATEST.json`, so the next
run finds the build to continue from (docs/deploy.md, "Schedules"). The pointer is written only
after a build is complete and loaded, so a failed run leaves the last good one in place.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

import orjson

from lineage.errors import LineageError

__all__ = ["POINTER_FILE", "BuildKind", "BuildPointer", "BuildPointerError", "build_folder"]

POINTER_FILE = "LATEST.json"


class BuildPointerError(LineageError):
    """`LATEST.json` cannot be read (the message names the problem)."""


class BuildKind(StrEnum):
    """A full rebuild or a delta build."""

    FULL = "full"
    DELTA = "delta"


def build_folder(cutoff_ms: int, kind: BuildKind) -> str:
    """The folder (relative to the prefix) of the build with cut-off `cutoff_ms`; sorts by time."""
    stamp = dt.datetime.fromtimestamp(cutoff_ms / 1000, tz=dt.UTC)
    return f"builds/{stamp.strftime('%Y%m%dT%H%M%S')}{stamp.microsecond // 1000:03d}Z-{kind.value}"


@dataclass(frozen=True, slots=True)
class BuildPointer:
    """The last complete build: its folder under the prefix, cut-off and kind."""

    build: str
    landed_before_ms: int
    kind: BuildKind

    def to_json(self) -> bytes:
        """The bytes of `LATEST.json`."""
        doc = {
            "build": self.build,
            "kind": self.kind.value,
            "landed_before_ms": self.landed_before_ms,
        }
        return orjson.dumps(doc, option=orjson.OPT_SORT_KEYS | orjson.OPT_INDENT_2) + b"\n"

    @classmethod
    def from_json(cls, raw: bytes, source: str = POINTER_FILE) -> BuildPointer:
        """Read a pointer; `BuildPointerError` names what is wrong."""
        try:
            doc = orjson.loads(raw)
            build, cutoff, kind = doc["build"], doc["landed_before_ms"], BuildKind(doc["kind"])
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
            raise BuildPointerError(f"{source} is not a build pointer: {exc!r}") from exc
        if not isinstance(build, str) or not isinstance(cutoff, int) or isinstance(cutoff, bool):
            raise BuildPointerError(
                f"{source}: build must be a string, landed_before_ms an integer"
            )
        parts = build.split("/")
        if len(parts) != 2 or parts[0] != "builds" or not parts[1] or parts[1].startswith("."):
            raise BuildPointerError(f"{source}: {build[:200]!r} is not a folder under builds/")
        return cls(build, cutoff, kind)
