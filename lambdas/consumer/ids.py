"""Vertex ids the read API looks up, derived exactly as docs/graph-model.md specifies."""

from __future__ import annotations

__all__ = ["column_id", "dataset_id", "job_id", "plan_id"]


def job_id(name: str) -> str:
    """Id of the `Job` vertex named `name`."""
    return f"job:{name}"


def plan_id(spline_plan_id: str) -> str:
    """Id of the `Plan` vertex for a Spline plan UUID."""
    return f"plan:{spline_plan_id}"


def dataset_id(uri: str) -> str:
    """Id of the `Dataset` vertex for a normalized URI."""
    return f"ds:{uri}"


def column_id(uri: str, column: str) -> str:
    """Id of the `Column` vertex `column` of the dataset at `uri`."""
    return f"col:{uri}#{column}"
