"""Build one Spline producer API v1.2 execution plan as the agent lays it out.

Shaped like the real Spline agent's payloads recorded in `tests/events/spline/`: the keys
`id, name, operations, attributes, expressions, systemInfo, agentInfo, extraInfo` (no `labels`,
no `discriminator`), operations `op-0` (the write) down to the reads, attributes `attr-N` with
`childRefs` to the alias that defines them, expressions `expr-N` (functions and constants), and
data types by id in `extraInfo.dataTypes`. Those ids are per-plan ordinals (the n-th type a plan
uses gets the n-th id), so one id names different types in different plans, as the agent does:
readers must resolve them through the plan's own `dataTypes`. The builder only assembles
JSON-ready objects; which operators a job uses is decided in `plan_shapes`.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

__all__ = ["AGENT_VERSION", "Col", "OpHandle", "PlanBuilder", "attr_ref", "expr_ref"]

JsonDict = dict[str, Any]

AGENT_VERSION = "2.2.0"
SPARK_VERSION = "3.5.4"
# Data type ids: a UUID per ordinal, the same sequence in every plan (see the module docstring).
_TYPE_NAMESPACE = uuid.UUID("6f1f3c9e-2b0a-5d5c-9b7e-1c2d3e4f5a6b")
_ORDINAL_IDS: list[str] = []
# Spark marks these metadata keys of an aliased column as not inherited; the agent copies them.
_ALIAS_METADATA = ["__dataset_id", "__col_position"]


def _type_id(ordinal: int) -> str:
    while len(_ORDINAL_IDS) <= ordinal:
        _ORDINAL_IDS.append(str(uuid.uuid5(_TYPE_NAMESPACE, str(len(_ORDINAL_IDS)))))
    return _ORDINAL_IDS[ordinal]


def attr_ref(attr_id: str) -> JsonDict:
    """`{"__attrId": id}`: how plans point at an attribute."""
    return {"__attrId": attr_id}


def expr_ref(expr_id: str) -> JsonDict:
    """`{"__exprId": id}`: how plans point at an expression."""
    return {"__exprId": expr_id}


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
    params: JsonDict
    read: JsonDict | None = None  # read operations: inputSources, params, extra
    final_id: str = ""


@dataclass
class PlanBuilder:
    """Collects attributes, expressions, data types and operations of one plan."""

    attributes: list[JsonDict] = field(default_factory=list)
    functions: list[JsonDict] = field(default_factory=list)
    constants: list[JsonDict] = field(default_factory=list)
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
        item: JsonDict = {"id": attr_id, "dataType": self.data_type(type_name)}
        if defined_by is not None:
            item["childRefs"] = [expr_ref(defined_by)]
        item["name"] = name
        self.attributes.append(item)
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
        children: list[JsonDict],
        *,
        params: JsonDict | None = None,
        hint: str = "expr.Generic",
        symbol: str | None = None,
        nullable: bool = True,
    ) -> str:
        """A function expression (Spark `Expression` node) over attributes and expressions."""
        expr_id = self._next_expr()
        extra: JsonDict = {"simpleClassName": simple_class, "_typeHint": hint}
        if symbol is not None:
            extra["symbol"] = symbol
        item: JsonDict = {
            "id": expr_id,
            "dataType": self.data_type(type_name, nullable),
            "childRefs": children,
            "extra": extra,
            "name": name,
        }
        if params is not None:
            item["params"] = params
        self.functions.append(item)
        return expr_id

    def literal(self, value: Any, type_name: str) -> str:
        """A constant (Spark `Literal`)."""
        expr_id = self._next_expr()
        self.constants.append(
            {
                "id": expr_id,
                "dataType": self.data_type(type_name, nullable=False),
                "extra": {"simpleClassName": "Literal", "_typeHint": "expr.Literal"},
                "value": value,
            }
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

    def read(self, uri: str, fmt: str, output: list[str], options: JsonDict) -> OpHandle:
        """A `LogicalRelation` read of one location."""
        handle = OpHandle(
            "LogicalRelation",
            (),
            output,
            {**options, "path": uri},
            read={"inputSources": [uri], "extra": {"sourceType": fmt}},
        )
        self._ops.append(handle)
        return handle

    def op(
        self, name: str, children: list[OpHandle], output: list[str], params: JsonDict
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
        write_params: JsonDict | None = None,
        agent_version: str = AGENT_VERSION,
    ) -> JsonDict:
        """The plan document, keys in the agent's order."""
        # Numbering as the agent does it: the write is op-0, transformations from the top down,
        # then the reads in the order they were created.
        transforms = [op for op in self._ops if op.read is None]
        reads = [op for op in self._ops if op.read is not None]
        for number, op in enumerate([*reversed(transforms), *reads], start=1):
            op.final_id = f"op-{number}"
        write: JsonDict = {
            "outputSource": write_uri,
            "append": append,
            "id": "op-0",
            "name": "InsertIntoHadoopFsRelationCommand",
            "childIds": [top.final_id],
            "params": write_params or {"path": write_uri},
            "extra": {"destinationType": write_format},
        }
        read_docs = [
            {
                "inputSources": op.read["inputSources"],
                "id": op.final_id,
                "name": op.name,
                "output": op.output,
                "params": op.params,
                "extra": op.read["extra"],
            }
            for op in reads
            if op.read is not None
        ]
        other_docs = [
            {
                "id": op.final_id,
                "name": op.name,
                "childIds": [child.final_id for child in op.children],
                "output": op.output,
                "params": op.params,
            }
            for op in reversed(transforms)
        ]
        expressions: JsonDict = {"functions": self.functions}
        if self.constants:
            expressions["constants"] = self.constants
        return {
            "id": plan_id,
            "name": app_name,
            "operations": {"write": write, "reads": read_docs, "other": other_docs},
            "attributes": self.attributes,
            "expressions": expressions,
            "systemInfo": {"name": "spark", "version": SPARK_VERSION},
            "agentInfo": {"name": "spline", "version": agent_version},
            "extraInfo": {
                "appName": app_name,
                "dataTypes": [
                    {"id": type_id, "name": name, "nullable": nullable, "_typeHint": "dt.Simple"}
                    for (name, nullable), type_id in self._types.items()
                ],
            },
        }
