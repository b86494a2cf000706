"""The JSON load report of a load into Neptune or the local graph: status, totals, errors.

Both targets answer Neptune's Get-Status (overallStatus, failedFeeds, errorLogs), so one report
and one operator runbook serve both.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Literal

import orjson

__all__ = [
    "FINAL_SUCCESS",
    "ErrorDetail",
    "FileResult",
    "LoadReport",
    "Stop",
    "Totals",
]

FINAL_SUCCESS = "LOAD_COMPLETED"
"""Neptune's one status that means the data is in (possibly with tolerated errors)."""

Stop = Literal["source", "graph", "internal"]
"""Why a load stopped before reading its input through: the source could not be read or is not a
load folder (`source`), the graph could not be reached, died or refused a write (`graph`), or
the loader itself failed (`internal`, a bug: the report still says what was committed)."""


@dataclass(slots=True)
class ErrorDetail:
    """One error: the loader's code and message, and where in the input it happened."""

    code: str
    message: str
    file: str | None = None
    line: int | None = None
    column: str | None = None
    value: str | None = None


@dataclass(slots=True)
class Totals:
    """Record counts in Neptune's vocabulary."""

    records: int = 0
    duplicates: int = 0
    parsing_errors: int = 0
    datatype_mismatch_errors: int = 0
    insert_errors: int = 0

    @property
    def errors(self) -> int:
        """All errors of every kind."""
        return self.parsing_errors + self.datatype_mismatch_errors + self.insert_errors

    def plus(self, other: Totals) -> Totals:
        """The counts of two loads together."""
        return Totals(
            records=self.records + other.records,
            duplicates=self.duplicates + other.duplicates,
            parsing_errors=self.parsing_errors + other.parsing_errors,
            datatype_mismatch_errors=self.datatype_mismatch_errors + other.datatype_mismatch_errors,
            insert_errors=self.insert_errors + other.insert_errors,
        )


@dataclass(slots=True)
class FileResult:
    """How one file (a Neptune "feed") went."""

    file: str
    status: str
    totals: Totals = field(default_factory=Totals)


@dataclass(slots=True)
class LoadReport:
    """The outcome of one load, written as JSON next to the run for the operator."""

    target: Literal["neptune", "gremlin-server"]
    source: str
    status: str
    started_at: str
    finished_at: str | None = None
    seconds: float | None = None
    load_id: str | None = None
    totals: Totals = field(default_factory=Totals)
    failed_files: list[FileResult] = field(default_factory=list)
    errors: list[ErrorDetail] = field(default_factory=list)
    errors_truncated: bool = False
    notes: list[str] = field(default_factory=list)
    stopped_by: Stop | None = None
    marker_load_id: str | None = None
    """The build marker's own load, queued behind this one (None: no marker loaded after)."""
    marker_status: str | None = None

    @property
    def succeeded(self) -> bool:
        """True only for a completed load without a single error."""
        return self.status == FINAL_SUCCESS and self.totals.errors == 0 and not self.failed_files

    @property
    def completed_with_errors(self) -> bool:
        """Completed (failOnError off) but some records were rejected."""
        return self.status == FINAL_SUCCESS and not self.succeeded

    def finish(self, status: str, started: float, now: float) -> None:
        """Record the final status and the elapsed time."""
        self.status = status
        self.finished_at = utc_now()
        self.seconds = round(now - started, 3)

    def add_marker_load(self, marker: LoadReport) -> None:
        """Fold in the report of the build marker's load, which waited for this one.

        The load succeeds only if both did; when the graph files' load did not complete, the
        marker's load failed on its dependency and a note says the marker is unchanged.
        """
        self.marker_load_id = marker.load_id
        self.marker_status = marker.status
        self.totals = self.totals.plus(marker.totals)
        self.failed_files.extend(marker.failed_files)
        if self.status == FINAL_SUCCESS:
            self.status = marker.status
            self.errors.extend(marker.errors)
            self.errors_truncated = self.errors_truncated or marker.errors_truncated
            self.stopped_by = self.stopped_by or marker.stopped_by
        else:
            self.notes.append(
                f"the build marker was not loaded (its load {marker.load_id} ended "
                f"{marker.status}): the graph still names the build loaded before"
            )
        if self.seconds is not None and marker.seconds is not None:
            self.seconds = round(self.seconds + marker.seconds, 3)
        self.finished_at = marker.finished_at or self.finished_at

    def to_json(self) -> bytes:
        """Deterministic, indented JSON (sorted keys)."""
        data = asdict(self)
        data["succeeded"] = self.succeeded
        return orjson.dumps(data, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS)

    def write(self, path: Path) -> Path:
        """Write the report to `path` (parents created) and return the path."""
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(self.to_json() + b"\n")
        return path

    def summary(self) -> str:
        """One line for the terminal."""
        totals = self.totals
        text = (
            f"{self.status}: {totals.records} records, {totals.duplicates} duplicates, "
            f"{totals.parsing_errors} parsing / {totals.datatype_mismatch_errors} datatype / "
            f"{totals.insert_errors} insert errors"
        )
        if self.seconds is not None:
            text += f" in {self.seconds:.1f} s"
        return text


def utc_now() -> str:
    """The current UTC time, ISO-8601 with a Z."""
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
