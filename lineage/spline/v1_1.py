"""Producer API v1.1 (`application/vnd.absa.spline.producer.v1.1+json`): typed operations,
attributes and expressions that point at each other with `__attrId` / `__exprId` references.

Also the base of v1.2, which adds only labels (`lineage.spline.v1_2`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from lineage.spline import fields
from lineage.spline.errors import PayloadError
from lineage.spline.model import Attribute, Constant, Expressions, FunctionalExpression, JsonValue
from lineage.spline.versions import ApiVersion

__all__ = ["DIALECT", "V1_1Dialect"]


# Attributes and functions are the hot path of a large plan (hundreds of each): their checks are
# inlined (not shared through a helper, which costs a tenth of a plan's parse), and the field
# readers that name the path run only when something is off.


def _attribute(value: JsonValue) -> Attribute:
    if not isinstance(value, dict):
        raise fields.wrong("", "an object", value)
    attr_id, name, refs, extra = (
        value.get("id"),
        value.get("name"),
        value.get("childRefs"),
        value.get("extra"),
    )
    if not (isinstance(attr_id, str) and attr_id and isinstance(name, str)):
        fields.req_id(value, "id")
        fields.req_str(value, "name")
    return Attribute(
        id=attr_id,  # type: ignore[arg-type]  # checked just above
        name=name,  # type: ignore[arg-type]
        data_type=value.get("dataType"),
        child_refs=fields.child_refs(value) if refs else (),
        extra=extra if isinstance(extra, dict) else fields.opt_object(value, "extra"),
    )


def _function(value: JsonValue) -> FunctionalExpression:
    if not isinstance(value, dict):
        raise fields.wrong("", "an object", value)
    expr_id, name, refs = value.get("id"), value.get("name"), value.get("childRefs")
    if not (isinstance(expr_id, str) and expr_id and isinstance(name, str)):
        fields.req_id(value, "id")
        fields.req_str(value, "name")
    params, extra = value.get("params"), value.get("extra")
    return FunctionalExpression(
        id=expr_id,  # type: ignore[arg-type]  # checked just above
        name=name,  # type: ignore[arg-type]
        data_type=value.get("dataType"),
        child_refs=fields.child_refs(value) if refs else (),
        params=params if isinstance(params, dict) else fields.opt_object(value, "params"),
        extra=extra if isinstance(extra, dict) else fields.opt_object(value, "extra"),
    )


def _constant(value: JsonValue) -> Constant:
    obj = fields.as_object(value)
    if "value" not in obj:  # null is a legal constant value, absence is not
        raise fields.missing("value")
    return Constant(
        id=fields.req_id(obj, "id"),
        value=obj["value"],
        data_type=obj.get("dataType"),
        extra=fields.opt_object(obj, "extra"),
    )


@dataclass(frozen=True)
class V1_1Dialect:
    """The v1.1 layout (see the module docstring)."""

    version: ApiVersion = ApiVersion.V1_1
    attributes_path: str = "$.attributes"
    output_key: str = "output"
    attributes_optional: bool = False

    def op_id(self, value: JsonValue, path: str) -> str:
        """A non-empty string."""
        return fields.string_id(value, path)

    def op_ids(self, obj: Mapping[str, JsonValue], key: str) -> tuple[str, ...]:
        """Each entry a non-empty string."""
        items = fields.opt_list(obj, key)
        if all(isinstance(item, str) and item for item in items):
            return tuple(items)
        return tuple(self.op_id(item, f"{fields.seg(key)}[{i}]") for i, item in enumerate(items))

    def op_name(self, obj: Mapping[str, JsonValue]) -> str | None:
        """`name`."""
        return fields.opt_str(obj, "name")

    def op_output(self, obj: Mapping[str, JsonValue]) -> tuple[str, ...]:
        """`output`."""
        return fields.id_list(obj, "output")

    def plan_name(
        self, plan: Mapping[str, JsonValue], extra_info: Mapping[str, JsonValue]
    ) -> str | None:
        """`name`."""
        return fields.opt_str(plan, "name")

    def attributes(self, plan: Mapping[str, JsonValue]) -> tuple[Attribute, ...]:
        """`attributes`."""
        return fields.items(plan, "attributes", _attribute)

    def expressions(self, plan: Mapping[str, JsonValue]) -> Expressions:
        """`expressions.functions` and `expressions.constants`."""
        obj = fields.opt_object(plan, "expressions")
        try:
            return Expressions(
                functions=fields.items(obj, "functions", _function),
                constants=fields.items(obj, "constants", _constant),
            )
        except PayloadError as exc:
            raise fields.rebased(".expressions", exc) from None

    def labels(self, obj: Mapping[str, JsonValue]) -> dict[str, tuple[str, ...]]:
        """None before v1.2."""
        return {}

    def duration(
        self, event: Mapping[str, JsonValue], extra: Mapping[str, JsonValue]
    ) -> tuple[JsonValue, str]:
        """`durationNs`."""
        return event.get("durationNs"), ".durationNs"


DIALECT = V1_1Dialect()
