"""Build one Spline producer API v1.2 execution plan as the agent lays it out, in the one model.

Shaped like the real Spline agent's payloads recorded in `tests/events/spline/`: the keys
`id, name, operations, attributes, expressions, systemInfo, agentInfo, extraInfo` (no `labels`,
no `discriminator`), operations `op-0` (the write) down to the reads, attributes `attr-N` with
`childRefs` to the alias that defines them, expressions `expr-N` (functions and constants), and
data types by id in `extraInfo.dataTypes`. Those ids are per-plan ordinals (the n-th type a plan
uses gets the n-th id), so one id names different types in different plans, as the agent does:
readers must resolve them through the plan's own `dataTypes`. The builder assembles a
`lineage.spline.ExecutionPlan` (written out by `lineage.spline.plan_document`); which operators a
job uses is decided in `plan_shapes`.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field

from lineage import spline as sm

__all__ = [
    "AGENT_VERSION",
    "Col",
    "OpHandle",
    "PlanBuilder",
    "attr_param",
    "attr_ref",
    "expr_param",
    "expr_ref",
]

JsonDict = dict[str, sm.JsonValue]

AGENT_VERSION = "2.2.0"
SPARK_VERSION = "3.5.4"
# Data type ids: a UUID per ordinal, the same sequence in every plan (see the module docstring).
_TYPE_NAMESPACE = uuid.UUID("6f1f3c9e-2b0a-5d5c-9b7e-1c2d3e4f5a6b")
_ORDINAL_IDS: list[str] = []
# Spark marks these metadata keys of an aliased column as not inherited; the agent copies them.
_ALIAS_METADATA: list[sm.JsonValue] = ["__dataset_id", "__col_position"]


def _type_id(ordinal: int) -> str:
    while len(_ORDINAL_IDS) <= ordinal:
        _ORDINAL_IDS.append(str(uuid.uuid5(_TYPE_NAMESPACE, str(len(_ORDINAL_IDS)))))
    return _ORDINAL_IDS[ordinal]


def attr_ref(attr_id: str) -> sm.AttrRef:
    """A reference to an attribute (an expression's child)."""
    return sm.AttrRef(attr_id)


def expr_ref(expr_id: str) -> sm.ExprRef:
    """A reference to an expression (an expression's or attribute's child)."""
    return sm.ExprRef(expr_id)


def attr_param(attr_id: str) -> JsonDict:
    """`{"__attrId": id}`: how operation parameters point at an attribute."""
    return sm.ref_document(sm.AttrRef(attr_id))


def expr_param(expr_id: str) -> JsonDict:
    """`{"__exprId": id}`: how operation parameters point at an expression."""
    return sm.ref_document(sm.ExprRef(expr_id))


@dataclass(frozen=True, slots=True)
class Col:
    """A column of a dataset schema: name and Spark type."""

    name: str
    type: str


@dataclass(slots=True)
class OpHandle:
    """An operation under construction; ids are assigned when the plan is built."""

    name: str
    children: tuple[OpHandle, ...]
    output: list[str]
    params: sm.JsonObject
    input_sources: tuple[str, ...] | None = None  # set for read operations only
    extra: JsonDict = field(default_factory=dict)
    final_id: str = ""


@dataclass
class PlanBuilder:
    """Collects attributes, expressions, data types and operations of one plan."""

    attributes: list[sm.Attribute] = field(default_factory=list)
    functions: list[sm.FunctionalExpression] = field(default_factory=list)
    constants: list[sm.Constant] = field(default_factory=list)
    _types: dict[tuple[str, bool], str] = field(default_factory=dict)
    _ops: list[OpHandle] = field(default_factory=list)
    _expr_count: int = 0

    def data_type(self, name: str, nullable: bool = True) -> str:
        """The id of a simple Spark type in this plan, listed in `extraInfo.dataTypes` once."""
        key = (name, nullable)
        found = self._types.get(key)
        if found is None:
            found = self._types[key] = _type_id(len(self._types))
        return found

    def attr(self, name: str, type_name: str, defined_by: str | None = None) -> str:
        """A new attribute; `defined_by` is the id of the (alias) expression that computes it."""
        attr_id = f"attr-{len(self.attributes)}"
        refs = () if defined_by is None else (expr_ref(defined_by),)
        self.attributes.append(sm.Attribute(attr_id, name, self.data_type(type_name), refs))
        return attr_id

    def _next_expr(self) -> str:
        expr_id = f"expr-{self._expr_count}"
        self._expr_count += 1
        return expr_id

    def function(
        self,
        name: str,
        simple_class: str,
        type_name: str,
        children: Sequence[sm.ChildRef],
        *,
        params: sm.JsonObject | None = None,
        hint: str = "expr.Generic",
        symbol: str | None = None,
        nullable: bool = True,
    ) -> str:
        """A function expression (Spark `Expression` node) over attributes and expressions."""
        expr_id = self._next_expr()
        extra: JsonDict = {"simpleClassName": simple_class, "_typeHint": hint}
        if symbol is not None:
            extra["symbol"] = symbol
        self.functions.append(
            sm.FunctionalExpression(
                expr_id,
                name,
                self.data_type(type_name, nullable),
                tuple(children),
                params or {},
                extra,
            )
        )
        return expr_id

    def constant(self, value: sm.JsonValue, type_name: str) -> str:
        """A constant (Spark `Literal`)."""
        expr_id = self._next_expr()
        extra: JsonDict = {"simpleClassName": "Literal", "_typeHint": "expr.Literal"}
        self.constants.append(
            sm.Constant(expr_id, value, self.data_type(type_name, nullable=False), extra)
        )
        return expr_id

    def alias(self, name: str, expr_id: str, type_name: str) -> tuple[str, str]:
        """`expr AS name`: returns (alias expression id, the new attribute's id)."""
        alias_id = self.function(
            name,
            "Alias",
            type_name,
            [expr_ref(expr_id)],
            params={"name": name, "nonInheritableMetadataKeys": list(_ALIAS_METADATA)},
            hint="expr.Alias",
        )
        return alias_id, self.attr(name, type_name, defined_by=alias_id)

    def read(self, uri: str, fmt: str, output: list[str], options: sm.JsonObject) -> OpHandle:
        """A `LogicalRelation` read of one location."""
        handle = OpHandle(
            "LogicalRelation",
            (),
            output,
            {**options, "path": uri},
            input_sources=(uri,),
            extra={"sourceType": fmt},
        )
        self._ops.append(handle)
        return handle

    def op(
        self, name: str, children: list[OpHandle], output: list[str], params: sm.JsonObject
    ) -> OpHandle:
        """A transformation (`Project`, `Filter`, `Join`, `Aggregate`, ...)."""
        handle = OpHandle(name, tuple(children), output, params)
        self._ops.append(handle)
        return handle

    def build(
        self,
        *,
        plan_id: str,
        app_name: str,
        top: OpHandle,
        write_uri: str,
        write_format: str,
        append: bool,
        write_params: sm.JsonObject | None = None,
        agent_version: str = AGENT_VERSION,
    ) -> sm.ExecutionPlan:
        """The plan, operations numbered as the agent numbers them."""
        # The write is op-0, transformations from the top down, then the reads in the order
        # they were created.
        transforms = [op for op in self._ops if op.input_sources is None]
        reads = [op for op in self._ops if op.input_sources is not None]
        for number, op in enumerate([*reversed(transforms), *reads], start=1):
            op.final_id = f"op-{number}"
        write = sm.WriteOperation(
            id="op-0",
            output_source=write_uri,
            append=append,
            child_ids=(top.final_id,),
            name="InsertIntoHadoopFsRelationCommand",
            params=write_params or {"path": write_uri},
            extra={"destinationType": write_format},
        )
        read_ops = tuple(
            sm.ReadOperation(
                op.final_id, op.input_sources or (), op.name, tuple(op.output), op.params, op.extra
            )
            for op in reads
        )
        other_ops = tuple(
            sm.DataOperation(
                op.final_id,
                op.name,
                tuple(child.final_id for child in op.children),
                tuple(op.output),
                op.params,
            )
            for op in reversed(transforms)
        )
        return sm.ExecutionPlan(
            id=plan_id,
            api_version=sm.ApiVersion.V1_2,
            operations=sm.Operations(write, read_ops, other_ops),
            system_info=sm.NameAndVersion("spark", SPARK_VERSION),
            name=app_name,
            attributes=tuple(self.attributes),
            expressions=sm.Expressions(tuple(self.functions), tuple(self.constants)),
            agent_info=sm.NameAndVersion("spline", agent_version),
            extra_info={"appName": app_name},
            data_types=tuple(
                sm.DataType(type_id, "dt.Simple", nullable, name)
                for (name, nullable), type_id in self._types.items()
            ),
        )
