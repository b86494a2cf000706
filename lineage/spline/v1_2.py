"""Producer API v1.2 (`application/vnd.absa.spline.producer.v1.2+json`): v1.1 plus `labels` on
plans and events. Failed runs send an event with `error` (v1 and v1.1 agents send no event for a
failed write).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from lineage.spline import fields
from lineage.spline.model import JsonValue
from lineage.spline.v1_1 import V1_1Dialect
from lineage.spline.versions import ApiVersion

__all__ = ["DIALECT", "V1_2Dialect"]


@dataclass(frozen=True)
class V1_2Dialect(V1_1Dialect):
    """The v1.2 layout: v1.1 with labels."""

    version: ApiVersion = ApiVersion.V1_2

    def labels(self, obj: Mapping[str, JsonValue]) -> dict[str, tuple[str, ...]]:
        """`labels`: label name -> values."""
        return fields.labels(obj)


DIALECT = V1_2Dialect()
