"""What differs between the producer API versions, as one interface the parser asks.

The parser (`lineage.spline.parse`) and the reference check (`lineage.spline.references`) read
every version the same way; where a version lays a field out differently they ask its `Dialect`
(`v1`, `v1_1`, `v1_2`), so no flag is threaded through the parsing functions.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from lineage.spline import v1, v1_1, v1_2
from lineage.spline.model import Attribute, Expressions, JsonValue
from lineage.spline.versions import ApiVersion

__all__ = ["Dialect", "dialect_for"]


class Dialect(Protocol):
    """How one API version lays out the parts of a plan and an event."""

    @property
    def version(self) -> ApiVersion:
        """The version this dialect reads."""

    @property
    def attributes_path(self) -> str:
        """The JSON path of the attribute list (for error messages)."""

    @property
    def output_key(self) -> str:
        """The key of an operation's output attribute ids (for error messages)."""

    @property
    def attributes_optional(self) -> bool:
        """True when attributes are optional metadata: output ids are then checked only when
        the plan has some."""

    def op_id(self, value: JsonValue, path: str) -> str:
        """An operation's id (the value of `id` or one `childIds` entry at `path`)."""

    def op_ids(self, obj: Mapping[str, JsonValue], key: str) -> tuple[str, ...]:
        """The operation ids listed under `key` (`childIds`)."""

    def op_name(self, obj: Mapping[str, JsonValue]) -> str | None:
        """An operation's name (`Project`, `LogicalRelation`, ...)."""

    def op_output(self, obj: Mapping[str, JsonValue]) -> tuple[str, ...]:
        """The attribute ids an operation outputs."""

    def plan_name(
        self, plan: Mapping[str, JsonValue], extra_info: Mapping[str, JsonValue]
    ) -> str | None:
        """The plan's name (the Spark application name)."""

    def attributes(self, plan: Mapping[str, JsonValue]) -> tuple[Attribute, ...]:
        """The plan's attributes."""

    def expressions(self, plan: Mapping[str, JsonValue]) -> Expressions:
        """The plan's expression section."""

    def labels(self, obj: Mapping[str, JsonValue]) -> dict[str, tuple[str, ...]]:
        """A plan's or an event's labels (empty before v1.2)."""

    def duration(
        self, event: Mapping[str, JsonValue], extra: Mapping[str, JsonValue]
    ) -> tuple[JsonValue, str]:
        """An event's raw duration value and the JSON path it is read from."""


_DIALECTS: dict[ApiVersion, Dialect] = {
    ApiVersion.V1: v1.DIALECT,
    ApiVersion.V1_1: v1_1.DIALECT,
    ApiVersion.V1_2: v1_2.DIALECT,
}


def dialect_for(version: ApiVersion) -> Dialect:
    """The dialect of `version`."""
    return _DIALECTS[version]
