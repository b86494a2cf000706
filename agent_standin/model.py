"""Spline producer API v1.2 payload shapes (field names and layout as the agent sends them).

Empty collections and missing optionals are left out of the JSON, as the agent's serializer does.
`Json` values are plain JSON-compatible Python values (params, extras, literal values).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

Json = Any


def _put(out: dict[str, Json], key: str, value: Json) -> None:
    """Set `key` unless `value` is None or an empty collection."""
    if value is None:
        return
    if isinstance(value, list | dict | tuple) and not value:
        return
    out[key] = value


@dataclass(frozen=True)
class Ref:
    """A reference to an attribute (`__attrId`) or an expression (`__exprId`)."""

    id: str
    is_attribute: bool

    def to_json(self) -> dict[str, str]:
        return {"__attrId": self.id} if self.is_attribute else {"__exprId": self.id}


@dataclass(frozen=True)
class DataType:
    """One entry of `extraInfo.dataTypes` (`dt.Simple`, `dt.Struct` or `dt.Array`)."""

    id: str
    type_hint: str
    nullable: bool
    name: str | None = None
    fields: tuple[tuple[str, str], ...] = ()
    element_type_id: str | None = None

    def to_json(self) -> dict[str, Json]:
        out: dict[str, Json] = {"_typeHint": self.type_hint, "id": self.id}
        if self.type_hint == "dt.Simple":
            out["name"] = self.name
        elif self.type_hint == "dt.Struct":
            out["fields"] = [{"name": n, "dataTypeId": t} for n, t in self.fields]
        else:
            out["elementDataTypeId"] = self.element_type_id
        out["nullable"] = self.nullable
        return out


@dataclass(frozen=True)
class Attribute:
    """A column of some operation's output."""

    id: str
    name: str
    data_type: str | None
    child_refs: tuple[Ref, ...] = ()
    extra: dict[str, Json] = field(default_factory=dict)

    def to_json(self) -> dict[str, Json]:
        out: dict[str, Json] = {"id": self.id}
        _put(out, "dataType", self.data_type)
        _put(out, "childRefs", [r.to_json() for r in self.child_refs])
        _put(out, "extra", self.extra)
        out["name"] = self.name
        return out


@dataclass(frozen=True)
class FunctionalExpression:
    """A Spark expression other than an attribute or a literal."""

    id: str
    name: str
    data_type: str | None
    child_refs: tuple[Ref, ...]
    extra: dict[str, Json]
    params: dict[str, Json]

    def to_json(self) -> dict[str, Json]:
        out: dict[str, Json] = {"id": self.id}
        _put(out, "dataType", self.data_type)
        _put(out, "childRefs", [r.to_json() for r in self.child_refs])
        _put(out, "extra", self.extra)
        out["name"] = self.name
        _put(out, "params", self.params)
        return out


@dataclass(frozen=True)
class Literal:
    """A constant; `value` is Spark's internal value rendered as JSON (dates as day numbers)."""

    id: str
    data_type: str | None
    extra: dict[str, Json]
    value: Json

    def to_json(self) -> dict[str, Json]:
        out: dict[str, Json] = {"id": self.id}
        _put(out, "dataType", self.data_type)
        _put(out, "extra", self.extra)
        out["value"] = self.value
        return out


@dataclass(frozen=True)
class ReadOperation:
    """A leaf that reads `input_sources`."""

    id: str
    name: str
    input_sources: tuple[str, ...]
    output: tuple[str, ...]
    params: dict[str, Json]
    extra: dict[str, Json]

    def to_json(self) -> dict[str, Json]:
        out: dict[str, Json] = {"inputSources": list(self.input_sources), "id": self.id}
        out["name"] = self.name
        _put(out, "output", list(self.output))
        _put(out, "params", self.params)
        _put(out, "extra", self.extra)
        return out


@dataclass(frozen=True)
class DataOperation:
    """A transformation (Project, Filter, Join, Aggregate, ...)."""

    id: str
    name: str
    child_ids: tuple[str, ...]
    output: tuple[str, ...]
    params: dict[str, Json]
    extra: dict[str, Json]

    def to_json(self) -> dict[str, Json]:
        out: dict[str, Json] = {"id": self.id, "name": self.name}
        _put(out, "childIds", list(self.child_ids))
        _put(out, "output", list(self.output))
        _put(out, "params", self.params)
        _put(out, "extra", self.extra)
        return out


@dataclass(frozen=True)
class WriteOperation:
    """The plan's root: the write command and its destination."""

    id: str
    name: str
    output_source: str
    append: bool
    child_ids: tuple[str, ...]
    params: dict[str, Json]
    extra: dict[str, Json]

    def to_json(self) -> dict[str, Json]:
        out: dict[str, Json] = {
            "outputSource": self.output_source,
            "append": self.append,
            "id": self.id,
            "name": self.name,
            "childIds": list(self.child_ids),
        }
        _put(out, "params", self.params)
        _put(out, "extra", self.extra)
        return out


@dataclass(frozen=True)
class ExecutionPlan:
    """One write action's lineage; `id` is None until derived from the content."""

    name: str
    write: WriteOperation
    reads: tuple[ReadOperation, ...]
    other: tuple[DataOperation, ...]
    attributes: tuple[Attribute, ...]
    functions: tuple[FunctionalExpression, ...]
    constants: tuple[Literal, ...]
    system_info: tuple[str, str]
    agent_info: tuple[str, str]
    extra_info: dict[str, Json]
    id: str | None = None

    def to_json(self) -> dict[str, Json]:
        out: dict[str, Json] = {}
        _put(out, "id", self.id)
        out["name"] = self.name
        operations: dict[str, Json] = {"write": self.write.to_json()}
        _put(operations, "reads", [r.to_json() for r in self.reads])
        _put(operations, "other", [o.to_json() for o in self.other])
        out["operations"] = operations
        _put(out, "attributes", [a.to_json() for a in self.attributes])
        expressions: dict[str, Json] = {}
        _put(expressions, "functions", [f.to_json() for f in self.functions])
        _put(expressions, "constants", [c.to_json() for c in self.constants])
        out["expressions"] = expressions
        out["systemInfo"] = {"name": self.system_info[0], "version": self.system_info[1]}
        out["agentInfo"] = {"name": self.agent_info[0], "version": self.agent_info[1]}
        _put(out, "extraInfo", self.extra_info)
        return out


@dataclass(frozen=True)
class ExecutionEvent:
    """One run of a plan: when it ended, how long it took, or why it failed."""

    plan_id: str
    timestamp_ms: int
    duration_ns: int | None
    error: str | None
    extra: dict[str, Json]

    def to_json(self) -> dict[str, Json]:
        out: dict[str, Json] = {"planId": self.plan_id, "timestamp": self.timestamp_ms}
        _put(out, "durationNs", self.duration_ns)
        _put(out, "error", self.error)
        _put(out, "extra", self.extra)
        return out
