"""Producer API v1 (`application/json`): what its plans and events lay out differently.

Operation ids are integers and become `op-<n>` (the v1.1+ ids the agent derives them from); the
operation name is `extra.name`; output attribute ids are in `schema`; attributes are
`extraInfo.attributes` (`id`, `name`, `dataTypeId`, no `childRefs`); there is no expression
section (expressions are inline in `params`); the plan name is `extraInfo.appName`; an event's
duration is `extra.durationNs`. v1 agents send no event for a failed write.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from lineage.spline import fields
from lineage.spline.errors import PayloadError
from lineage.spline.model import Attribute, Expressions, JsonValue
from lineage.spline.versions import ApiVersion

__all__ = ["DIALECT", "V1Dialect"]


def _attribute(value: JsonValue) -> Attribute:
    obj = fields.as_object(value)
    return Attribute(
        id=fields.req_id(obj, "id"),
        name=fields.req_str(obj, "name"),
        data_type=obj.get("dataTypeId"),
    )


@dataclass(frozen=True)
class V1Dialect:
    """The v1 layout (see the module docstring)."""

    version: ApiVersion = ApiVersion.V1
    attributes_path: str = "$.extraInfo.attributes"
    output_key: str = "schema"
    attributes_optional: bool = True

    def op_id(self, value: JsonValue, path: str) -> str:
        """An integer id `n` becomes `op-<n>`; a string id is kept."""
        if isinstance(value, int) and not isinstance(value, bool):
            return f"op-{value}"
        return fields.string_id(value, path, "an integer")

    def op_ids(self, obj: Mapping[str, JsonValue], key: str) -> tuple[str, ...]:
        """Each entry through `op_id`."""
        return tuple(
            self.op_id(item, f"{fields.seg(key)}[{i}]")
            for i, item in enumerate(fields.opt_list(obj, key))
        )

    def op_name(self, obj: Mapping[str, JsonValue]) -> str | None:
        """`extra.name`."""
        name = fields.opt_object(obj, "extra").get("name")
        return name if isinstance(name, str) else None

    def op_output(self, obj: Mapping[str, JsonValue]) -> tuple[str, ...]:
        """`schema`, when it is the agent's list of attribute ids (v1 declares it untyped)."""
        schema = obj.get("schema")
        if isinstance(schema, list) and all(isinstance(a, str) for a in schema):
            return tuple(a for a in schema if isinstance(a, str))
        return ()

    def plan_name(
        self, plan: Mapping[str, JsonValue], extra_info: Mapping[str, JsonValue]
    ) -> str | None:
        """`extraInfo.appName`."""
        app_name = extra_info.get("appName")
        return app_name if isinstance(app_name, str) else None

    def attributes(self, plan: Mapping[str, JsonValue]) -> tuple[Attribute, ...]:
        """`extraInfo.attributes`."""
        extra_info = fields.opt_object(plan, "extraInfo")
        try:
            return fields.items(extra_info, "attributes", _attribute)
        except PayloadError as exc:
            raise fields.rebased(".extraInfo", exc) from None

    def expressions(self, plan: Mapping[str, JsonValue]) -> Expressions:
        """None: v1 expressions are inline in `params`."""
        return Expressions()

    def labels(self, obj: Mapping[str, JsonValue]) -> dict[str, tuple[str, ...]]:
        """None before v1.2."""
        return {}

    def duration(
        self, event: Mapping[str, JsonValue], extra: Mapping[str, JsonValue]
    ) -> tuple[JsonValue, str]:
        """`extra.durationNs`."""
        return extra.get("durationNs"), ".extra.durationNs"


DIALECT = V1Dialect()
