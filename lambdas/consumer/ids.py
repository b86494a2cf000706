"""Vertex ids the read API looks up, derived by lineage.graph_schema as the normalize job does."""

from __future__ import annotations

from lambdas.consumer.errors import InvalidParameter
from lineage.dataset_identity import DatasetIdentityError, normalize_uri
from lineage.graph_schema import column_id, dataset_id, job_id, plan_vertex_id

__all__ = ["column_id", "dataset_id", "dataset_uri", "job_id", "plan_id"]


def plan_id(spline_plan_id: str) -> str:
    """Id of the `Plan` vertex for a Spline plan UUID."""
    return plan_vertex_id(spline_plan_id)


def dataset_uri(uri: str) -> str:
    """A user-typed location normalized like the normalize job does (`s3a://b/p/` -> `s3://b/p`)."""
    try:
        return normalize_uri(uri)
    except DatasetIdentityError as exc:
        raise InvalidParameter(f"uri={uri!r}: {exc}") from exc
