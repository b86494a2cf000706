"""Request values turned into what the graph holds: a user-typed URI, normalized as the job does.

Vertex ids themselves come from lineage.graph_schema (`dataset_id`, `job_id`, ...), the functions
the normalize job builds them with.
"""

from __future__ import annotations

from lambdas.consumer.errors import InvalidParameter
from lineage.dataset_identity import DatasetIdentityError, normalize_uri

__all__ = ["dataset_uri"]


def dataset_uri(uri: str) -> str:
    """A user-typed location normalized like the normalize job does (`s3a://b/p/` -> `s3://b/p`)."""
    try:
        return normalize_uri(uri)
    except DatasetIdentityError as exc:
        raise InvalidParameter(f"uri={uri!r}: {exc}") from exc
