"""The typed Spline payload: one execution plan (operations, attributes, expressions, data types)
and the execution events of its runs, the same for every producer API version.

Parsed by `lineage.spline.parse`, written by `lineage.spline.encode`, walked by
`lineage.column_lineage`. Mapping-valued fields hold decoded JSON as is; treat them as read-only.
Times: `ExecutionEvent.timestamp` is epoch milliseconds (UTC), `duration_ns` nanoseconds.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import ClassVar, TypeAlias

from lineage.spline.versions import ApiVersion

__all__ = [
    "AttrRef",
    "Attribute",
    "ChildRef",
    "Constant",
    "DataOperation",
    "DataType",
    "ExecutionEvent",
    "ExecutionPlan",
    "ExprRef",
    "Expression",
    "Expressions",
    "FunctionalExpression",
    "JsonObject",
    "JsonValue",
    "NameAndVersion",
    "Operation",
    "Operations",
    "ReadOperation",
    "StructField",
    "WriteOperation",
    "find_refs",
]

JsonValue: TypeAlias = bool | int | float | str | list["JsonValue"] | dict[str, "JsonValue"] | None
JsonObject: TypeAlias = Mapping[str, JsonValue]

_EMPTY: JsonObject = {}


@dataclass(frozen=True, slots=True)
class AttrRef:
    """A reference to an attribute (`{"__attrId": ...}`)."""

    kind: ClassVar[str] = "attr"
    id: str


@dataclass(frozen=True, slots=True)
class ExprRef:
    """A reference to an expression (`{"__exprId": ...}`)."""

    kind: ClassVar[str] = "expr"
    id: str


ChildRef: TypeAlias = AttrRef | ExprRef


@dataclass(frozen=True)
class NameAndVersion:
    """`systemInfo` (e.g. spark 3.5.4) or `agentInfo` (e.g. spline 2.2.1)."""

    name: str
    version: str


@dataclass(frozen=True)
class StructField:
    """One field of a struct data type."""

    name: str
    data_type_id: str


@dataclass(frozen=True)
class DataType:
    """One entry of `extraInfo.dataTypes` (`dt.Simple`, `dt.Struct` or `dt.Array`)."""

    id: str
    type_hint: str
    nullable: bool
    name: str | None = None
    fields: tuple[StructField, ...] = ()
    element_type_id: str | None = None


@dataclass(frozen=True)
class Attribute:
    """A column-like value produced by an operation; `child_refs` are what it is computed from."""

    id: str
    name: str
    data_type: JsonValue = None
    child_refs: tuple[ChildRef, ...] = ()
    extra: JsonObject = field(default_factory=dict)

    @property
    def data_type_id(self) -> str | None:
        """The data type id (a key of `ExecutionPlan.data_types`) when the agent sent one."""
        return self.data_type if isinstance(self.data_type, str) else None


@dataclass(frozen=True)
class FunctionalExpression:
    """An expression computed from `child_refs` (e.g. `cast`, `sum`, `alias`)."""

    id: str
    name: str
    data_type: JsonValue = None
    child_refs: tuple[ChildRef, ...] = ()
    params: JsonObject = field(default_factory=dict)
    extra: JsonObject = field(default_factory=dict)

    @property
    def class_name(self) -> str:
        """Spark's simple class name (`Cast`, `Sum`): `extra.simpleClassName`, else the name.

        The agent may qualify the class (`aggregate.Sum`); only the last part is kept.
        """
        simple = self.extra.get("simpleClassName")
        return simple.rsplit(".", 1)[-1] if isinstance(simple, str) else self.name


@dataclass(frozen=True)
class Constant:
    """A constant expression (Spark's `Literal`)."""

    id: str
    value: JsonValue
    data_type: JsonValue = None
    extra: JsonObject = field(default_factory=dict)


Expression: TypeAlias = FunctionalExpression | Constant


@dataclass(frozen=True)
class Expressions:
    """The plan's expression section."""

    functions: tuple[FunctionalExpression, ...] = ()
    constants: tuple[Constant, ...] = ()


@dataclass(frozen=True)
class ReadOperation:
    """A read of one or more data sources; always a leaf of the operation DAG."""

    id: str
    input_sources: tuple[str, ...]
    name: str | None = None
    output: tuple[str, ...] = ()
    params: JsonObject = field(default_factory=dict)
    extra: JsonObject = field(default_factory=dict)

    @property
    def child_ids(self) -> tuple[str, ...]:
        """Reads consume nothing inside the plan."""
        return ()


@dataclass(frozen=True)
class WriteOperation:
    """The plan's single write: the root of the operation DAG."""

    id: str
    output_source: str
    append: bool
    child_ids: tuple[str, ...]
    name: str | None = None
    params: JsonObject = field(default_factory=dict)
    extra: JsonObject = field(default_factory=dict)

    @property
    def output(self) -> tuple[str, ...]:
        """A write is a side effect: it has no output schema of its own."""
        return ()


@dataclass(frozen=True)
class DataOperation:
    """A transformation (Project, Filter, Join, Aggregate, ...)."""

    id: str
    name: str | None = None
    child_ids: tuple[str, ...] = ()
    output: tuple[str, ...] = ()
    params: JsonObject = field(default_factory=dict)
    extra: JsonObject = field(default_factory=dict)


Operation: TypeAlias = ReadOperation | WriteOperation | DataOperation


@dataclass(frozen=True)
class Operations:
    """The operation DAG: one write, its reads, and everything in between."""

    write: WriteOperation
    reads: tuple[ReadOperation, ...] = ()
    other: tuple[DataOperation, ...] = ()

    @property
    def all(self) -> tuple[Operation, ...]:
        """Every operation: reads, then other, then the write."""
        return (*self.reads, *self.other, self.write)


@dataclass(frozen=True)
class ExecutionPlan:
    """One Spline execution plan; `id` is the agent's UUID (lower case)."""

    id: str
    api_version: ApiVersion
    operations: Operations
    system_info: NameAndVersion
    name: str | None = None
    discriminator: str | None = None
    labels: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    attributes: tuple[Attribute, ...] = ()
    expressions: Expressions = field(default_factory=Expressions)
    agent_info: NameAndVersion | None = None
    extra_info: JsonObject = field(default_factory=dict)
    data_types: tuple[DataType, ...] = ()

    @property
    def app_name(self) -> str | None:
        """The Spark application name (`name`, else `extraInfo.appName`)."""
        if self.name:
            return self.name
        app_name = self.extra_info.get("appName")
        return app_name if isinstance(app_name, str) else None

    @property
    def data_sources(self) -> tuple[str, ...]:
        """Every data source URI the plan touches: the inputs in order, then the output."""
        seen: dict[str, None] = {}
        for read in self.operations.reads:
            seen.update(dict.fromkeys(read.input_sources))
        seen[self.operations.write.output_source] = None
        return tuple(seen)

    @cached_property
    def operation_by_id(self) -> Mapping[str, Operation]:
        """Operations keyed by id."""
        return {op.id: op for op in self.operations.all}

    @cached_property
    def attribute_by_id(self) -> Mapping[str, Attribute]:
        """Attributes keyed by id."""
        return {attr.id: attr for attr in self.attributes}

    @cached_property
    def expression_by_id(self) -> Mapping[str, Expression]:
        """Functions and constants keyed by id."""
        by_id: dict[str, Expression] = {}
        by_id.update((f.id, f) for f in self.expressions.functions)
        by_id.update((c.id, c) for c in self.expressions.constants)
        return by_id

    @cached_property
    def data_type_by_id(self) -> Mapping[str, DataType]:
        """Data types of `extraInfo.dataTypes` keyed by id."""
        return {dt.id: dt for dt in self.data_types}

    def describe_data_type(self, data_type_id: str | None) -> str | None:
        """A readable type such as `string`, `array<int>` or `struct<a:int,b:string>`."""
        return _describe(self.data_type_by_id, data_type_id, depth=0)

    def type_name(self, data_type: JsonValue) -> str | None:
        """The readable type of an attribute's or expression's `dataType` (the id itself when
        the plan does not describe it; None when the agent sent no id)."""
        if isinstance(data_type, str):
            return self.describe_data_type(data_type) or data_type
        return None


@dataclass(frozen=True)
class ExecutionEvent:
    """One run of a plan: when it ended, how long it took, whether it failed."""

    plan_id: str
    timestamp: int
    api_version: ApiVersion
    duration_ns: int | None = None
    discriminator: str | None = None
    labels: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    error: JsonValue = None
    extra: JsonObject = field(default_factory=dict)

    @property
    def failed(self) -> bool:
        """True when the agent reported an error for this run."""
        return self.error is not None

    @property
    def app_id(self) -> str | None:
        """Spark application id (`extra.appId`)."""
        value = self.extra.get("appId")
        return value if isinstance(value, str) else None

    @property
    def user(self) -> str | None:
        """Spark user (`extra.user`)."""
        value = self.extra.get("user")
        return value if isinstance(value, str) else None

    @property
    def read_metrics(self) -> JsonObject:
        """`extra.readMetrics` (e.g. `numFiles`, `numOutputRows`), empty when absent."""
        value = self.extra.get("readMetrics")
        return value if isinstance(value, dict) else _EMPTY

    @property
    def write_metrics(self) -> JsonObject:
        """`extra.writeMetrics` (e.g. `numFiles`, `numOutputRows`, `numOutputBytes`)."""
        value = self.extra.get("writeMetrics")
        return value if isinstance(value, dict) else _EMPTY


def find_refs(value: JsonValue) -> Iterator[ChildRef]:
    """Yield every `{"__attrId": id}` / `{"__exprId": id}` reference nested in a params value."""
    if isinstance(value, dict):
        if len(value) == 1:
            ((key, ref),) = value.items()
            if key == "__attrId" and isinstance(ref, str):
                yield AttrRef(ref)
                return
            if key == "__exprId" and isinstance(ref, str):
                yield ExprRef(ref)
                return
        for item in value.values():
            yield from find_refs(item)
    elif isinstance(value, list):
        for item in value:
            yield from find_refs(item)


def _describe(types: Mapping[str, DataType], type_id: str | None, depth: int) -> str | None:
    data_type = types.get(type_id) if type_id is not None else None
    if data_type is None or depth > 32:  # depth guard: a malformed cyclic type list must not hang
        return None
    if data_type.type_hint == "dt.Array":
        inner = _describe(types, data_type.element_type_id, depth + 1)
        return f"array<{inner or '?'}>"
    if data_type.type_hint == "dt.Struct":
        parts = [
            f"{f.name}:{_describe(types, f.data_type_id, depth + 1) or '?'}"
            for f in data_type.fields
        ]
        return f"struct<{','.join(parts)}>"
    return data_type.name
