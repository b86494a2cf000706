"""Errors of `lineage bench`: one base, a kind per cause; messages name the offending input."""

from lineage.errors import LineageError

__all__ = ["BenchError", "StageError", "WorkloadError"]


class BenchError(LineageError):
    """Base of every `lineage bench` error."""


class WorkloadError(BenchError):
    """The workload cannot be generated where asked (bad size, a folder holding other files)."""


class StageError(BenchError):
    """A stage could not be measured (a failed run, lost plans); the message names it."""
