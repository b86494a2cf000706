"""Typed model of Spline producer API payloads (v1, v1.1, v1.2) and their parsers.

The producer validates every body with these parsers before storing it; the normalize job parses
the stored bodies with the same code, so both sides agree on what a plan and an event are.

Public names (stable; other packages depend on them):

- `ApiVersion` (`V1`, `V1_1`, `V1_2`), `api_version_from_content_type(ct)`,
  `content_type_for(version)`, `SUPPORTED_CONTENT_TYPES`.
- `ExecutionPlan` with `Operations` (`write: WriteOperation`, `reads: tuple[ReadOperation]`,
  `other: tuple[DataOperation]`), `Attribute`, `Expressions` (`functions: FunctionalExpression`,
  `constants: Literal`), `AttrRef` / `ExprRef` (`ChildRef`), `NameAndVersion`, `DataType`,
  `StructField`.
- `ExecutionEvent`.
- `load_execution_plan(body, version)`, `load_execution_events(body, version)` (bytes in),
  `parse_execution_plan(doc, version)`, `parse_execution_events(doc, version)` (decoded JSON in),
  `decode_json(body)`, `find_refs(value)`, `check_plan_references(plan)`.
- Errors: `PayloadError` (base; `.path` is the JSON path of what is wrong, `.problem` the rest)
  with `MalformedJsonError`, `MissingFieldError`, `WrongTypeError`, `InvalidValueError`,
  `DuplicateIdError`, `DanglingReferenceError`, `LimitExceededError`; and
  `UnsupportedContentTypeError`.

What the parsers check (the structure a lineage rebuild relies on): the plan id is a UUID; there
is exactly one write operation (an object, not an array) with `outputSource`, `append` and
`childIds`; reads have `inputSources`; every operation, attribute and expression id is unique;
every `childIds` entry names an operation of the plan, every `output` entry an attribute, every
`childRefs` entry an attribute or expression; operations form no cycle (these reference checks
can be left out: `check_references=False`, what the producer accepts by). Events are a JSON array
of objects with a UUID `planId` and an integer `timestamp` within `lineage.limits`. Every decoded
body is within `lineage.limits` (nesting depth, integer range). Fields the agent may add later are
ignored, never rejected; the raw bytes stay the record, this model is only a parsed view.

Version differences folded into one model:

- v1 (`application/json`): operation ids are integers and become `op-<n>` (the v1.1+ ids the
  agent derives them from); the operation name is `extra.name`; output attribute ids are in
  `schema`; attributes are `extraInfo.attributes` (`id`, `name`, `dataTypeId`, no `childRefs`);
  there is no expression section (expressions are inline in `params`); the plan name is
  `extraInfo.appName`; an event's duration is `extra.durationNs`.
- v1.1: typed operations, attributes and expressions with `__attrId` / `__exprId` references.
- v1.2: as v1.1 plus `labels` on plans and events; failed runs send an event with `error` (v1
  and v1.1 agents send no event for a failed write).

Times: `ExecutionEvent.timestamp` is epoch milliseconds (UTC), `duration_ns` nanoseconds.
Mapping-valued fields hold the decoded JSON as is; treat them as read-only.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from functools import cached_property
from typing import Any, TypeAlias

import orjson

from lineage import limits
from lineage.errors import LineageError

__all__ = [
    "SUPPORTED_CONTENT_TYPES",
    "ApiVersion",
    "AttrRef",
    "Attribute",
    "ChildRef",
    "DanglingReferenceError",
    "DataOperation",
    "DataType",
    "DuplicateIdError",
    "ExecutionEvent",
    "ExecutionPlan",
    "ExprRef",
    "Expressions",
    "FunctionalExpression",
    "InvalidValueError",
    "JsonObject",
    "JsonValue",
    "LimitExceededError",
    "Literal",
    "MalformedJsonError",
    "MissingFieldError",
    "NameAndVersion",
    "Operation",
    "Operations",
    "PayloadError",
    "ReadOperation",
    "StructField",
    "UnsupportedContentTypeError",
    "WriteOperation",
    "WrongTypeError",
    "api_version_from_content_type",
    "check_plan_references",
    "content_type_for",
    "decode_json",
    "find_refs",
    "load_execution_events",
    "load_execution_plan",
    "parse_execution_events",
    "parse_execution_plan",
]

JsonValue: TypeAlias = bool | int | float | str | list["JsonValue"] | dict[str, "JsonValue"] | None
JsonObject: TypeAlias = Mapping[str, JsonValue]

_EMPTY: JsonObject = {}


# --------------------------------------------------------------------------------------- versions


class ApiVersion(Enum):
    """A Spline producer API version; the value is how the agent and the status header spell it."""

    V1 = "1"
    V1_1 = "1.1"
    V1_2 = "1.2"


_CONTENT_TYPES: dict[str, ApiVersion] = {
    "application/json": ApiVersion.V1,
    "application/vnd.absa.spline.producer.v1.1+json": ApiVersion.V1_1,
    "application/vnd.absa.spline.producer.v1.2+json": ApiVersion.V1_2,
}
SUPPORTED_CONTENT_TYPES: tuple[str, ...] = tuple(_CONTENT_TYPES)


class UnsupportedContentTypeError(LineageError):
    """The Content-Type names no producer API version this model understands."""

    def __init__(self, content_type: str | None) -> None:
        self.content_type = content_type
        shown = "no Content-Type" if not content_type else f"Content-Type {content_type!r}"
        super().__init__(
            f"unsupported {shown}; expected one of: {', '.join(SUPPORTED_CONTENT_TYPES)}"
        )


def api_version_from_content_type(content_type: str | None) -> ApiVersion:
    """Return the API version a request's Content-Type selects (parameters such as charset ignored).

    Raises `UnsupportedContentTypeError` for a missing or unknown media type.
    """
    media_type = (content_type or "").split(";", 1)[0].strip().lower()
    try:
        return _CONTENT_TYPES[media_type]
    except KeyError:
        raise UnsupportedContentTypeError(content_type) from None


def content_type_for(version: ApiVersion) -> str:
    """Return the Content-Type the agent sends for `version`."""
    for media_type, known in _CONTENT_TYPES.items():
        if known is version:
            return media_type
    raise AssertionError(f"no content type for {version}")  # unreachable: every version has one


# ----------------------------------------------------------------------------------------- errors


class PayloadError(LineageError):
    """A body is not a valid Spline payload; `path` is the JSON path of the offending part."""

    def __init__(self, path: str, problem: str) -> None:
        self.path = path
        self.problem = problem
        super().__init__(f"{path}: {problem}")


class MalformedJsonError(PayloadError):
    """The body is not JSON at all (or not UTF-8)."""


class MissingFieldError(PayloadError):
    """A required field is absent (or null)."""


class WrongTypeError(PayloadError):
    """A field has the wrong JSON type, e.g. an array where one write operation is expected."""


class InvalidValueError(PayloadError):
    """A field has the right type but an unusable value, e.g. a plan id that is not a UUID."""


class LimitExceededError(PayloadError):
    """Well-formed, but beyond a limit of `lineage.limits` (nesting, integer or time range)."""


class DuplicateIdError(PayloadError):
    """Two operations, attributes or expressions of one plan share an id."""


class DanglingReferenceError(PayloadError):
    """A reference names an operation, attribute or expression the plan does not define."""


# ------------------------------------------------------------------------------------------ model


@dataclass(frozen=True)
class AttrRef:
    """A reference to an attribute (`{"__attrId": ...}`)."""

    attr_id: str


@dataclass(frozen=True)
class ExprRef:
    """A reference to an expression (`{"__exprId": ...}`)."""

    expr_id: str


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


@dataclass(frozen=True)
class Literal:
    """A constant expression."""

    id: str
    value: JsonValue
    data_type: JsonValue = None
    extra: JsonObject = field(default_factory=dict)


@dataclass(frozen=True)
class Expressions:
    """The plan's expression section."""

    functions: tuple[FunctionalExpression, ...] = ()
    constants: tuple[Literal, ...] = ()


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
    def expression_by_id(self) -> Mapping[str, FunctionalExpression | Literal]:
        """Functions and constants keyed by id."""
        by_id: dict[str, FunctionalExpression | Literal] = {}
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


# ---------------------------------------------------------------------------------------- parsing


def decode_json(body: bytes) -> JsonValue:
    """Decode a UTF-8 JSON body within `lineage.limits`; raises `MalformedJsonError` or
    `LimitExceededError`.

    orjson reads integers beyond 64 bits (Spark decimal literals) as floats: the model's value
    is then approximate, the stored raw bytes stay exact.
    """
    try:
        doc: JsonValue = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        try:
            body.decode("utf-8")
        except UnicodeDecodeError as not_utf8:
            raise MalformedJsonError("$", f"body is not UTF-8 ({not_utf8.reason})") from exc
        raise MalformedJsonError("$", f"malformed JSON: {exc}") from exc
    # Parsing is not enough: what is accepted must also be writable again (CSV, graph).
    found = limits.find_violation(doc)
    if found is not None:
        raise LimitExceededError(found.path, found.problem)
    return doc


def load_execution_plan(
    body: bytes, version: ApiVersion, *, check_references: bool = True
) -> ExecutionPlan:
    """Decode and validate one execution plan body of the given API version."""
    return parse_execution_plan(decode_json(body), version, check_references=check_references)


def load_execution_events(body: bytes, version: ApiVersion) -> tuple[ExecutionEvent, ...]:
    """Decode and validate one execution event batch (a JSON array) of the given API version."""
    return parse_execution_events(decode_json(body), version)


_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")

# Error paths are built only when something is wrong: parsers raise errors whose path is
# relative to the value they were given, and each enclosing level prepends its own segment
# (`_rebased`). The happy path formats no path strings at all, which keeps a 40 KB plan's
# validation well under a millisecond.


def _seg(key: str) -> str:
    return f".{key}" if _IDENTIFIER.match(key) else f"[{json.dumps(key)}]"


def _rebased(prefix: str, exc: PayloadError) -> PayloadError:
    return type(exc)(prefix + exc.path, exc.problem)


def _kind(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


def _wrong(path: str, expected: str, value: object) -> WrongTypeError:
    return WrongTypeError(path, f"expected {expected}, got {_kind(value)}")


def _missing(key: str) -> MissingFieldError:
    return MissingFieldError(_seg(key), "required field is missing")


def _as_object(value: JsonValue, what: str = "an object") -> dict[str, JsonValue]:
    if not isinstance(value, dict):
        raise _wrong("", what, value)
    return value


def _req_object(obj: Mapping[str, JsonValue], key: str, what: str = "an object") -> dict[str, Any]:
    value = obj.get(key)
    if isinstance(value, dict):
        return value
    if value is None:
        raise _missing(key)
    raise _wrong(_seg(key), what, value)


def _req_str(obj: Mapping[str, JsonValue], key: str) -> str:
    value = obj.get(key)
    if isinstance(value, str):
        return value
    if value is None:
        raise _missing(key)
    raise _wrong(_seg(key), "a string", value)


def _req_id(obj: Mapping[str, JsonValue], key: str) -> str:
    value = _req_str(obj, key)
    if not value:
        raise InvalidValueError(_seg(key), "id must not be empty")
    return value


def _req_uuid(obj: Mapping[str, JsonValue], key: str) -> str:
    value = _req_str(obj, key)
    if not limits.is_uuid(value):
        raise InvalidValueError(_seg(key), f"expected a UUID, got {value[:80]!r}")
    return value.lower()


def _req_int(obj: Mapping[str, JsonValue], key: str) -> int:
    value = obj.get(key)
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if value is None:
        raise _missing(key)
    raise _wrong(_seg(key), "an integer", value)


def _opt_str(obj: Mapping[str, JsonValue], key: str) -> str | None:
    value = obj.get(key)
    if value is None or isinstance(value, str):
        return value
    raise _wrong(_seg(key), "a string", value)


def _opt_object(obj: Mapping[str, JsonValue], key: str) -> dict[str, Any]:
    value = obj.get(key)
    if isinstance(value, dict):
        return value
    if value is None:
        return {}
    raise _wrong(_seg(key), "an object", value)


def _opt_list(obj: Mapping[str, JsonValue], key: str) -> list[Any]:
    value = obj.get(key)
    if isinstance(value, list):
        return value
    if value is None:
        return []
    raise _wrong(_seg(key), "an array", value)


def _id_list(obj: Mapping[str, JsonValue], key: str) -> tuple[str, ...]:
    items = _opt_list(obj, key)
    for i, item in enumerate(items):
        if not isinstance(item, str):
            raise _wrong(f"{_seg(key)}[{i}]", "a string", item)
        if not item:
            raise InvalidValueError(f"{_seg(key)}[{i}]", "id must not be empty")
    return tuple(items)


def _labels(obj: Mapping[str, JsonValue]) -> dict[str, tuple[str, ...]]:
    labels = _opt_object(obj, "labels")
    try:
        return {name: _id_list(labels, name) for name in labels}
    except PayloadError as exc:
        raise _rebased(".labels", exc) from None


def _name_and_version(obj: Mapping[str, JsonValue], key: str) -> NameAndVersion:
    value = _req_object(obj, key)
    try:
        return NameAndVersion(name=_req_str(value, "name"), version=_req_str(value, "version"))
    except PayloadError as exc:
        raise _rebased(_seg(key), exc) from None


def _child_refs(obj: Mapping[str, JsonValue]) -> tuple[ChildRef, ...]:
    items = _opt_list(obj, "childRefs")
    if not items:
        return ()
    refs: list[ChildRef] = []
    for i, item in enumerate(items):
        if isinstance(item, dict) and len(item) == 1:
            attr_id = item.get("__attrId")
            if isinstance(attr_id, str) and attr_id:
                refs.append(AttrRef(attr_id))
                continue
            expr_id = item.get("__exprId")
            if isinstance(expr_id, str) and expr_id:
                refs.append(ExprRef(expr_id))
                continue
        raise _bad_ref(f".childRefs[{i}]", item)
    return tuple(refs)


def _bad_ref(path: str, item: JsonValue) -> PayloadError:
    if not isinstance(item, dict):
        return _wrong(path, 'an object like {"__attrId": ...} or {"__exprId": ...}', item)
    if len(item) == 1 and ("__attrId" in item or "__exprId" in item):
        ((key, value),) = item.items()
        if not isinstance(value, str):
            return _wrong(f"{path}.{key}", "a string", value)
        return InvalidValueError(f"{path}.{key}", "id must not be empty")
    return InvalidValueError(path, "a reference needs exactly one key, __attrId or __exprId")


def _items(obj: Mapping[str, JsonValue], key: str, parse: Any) -> tuple[Any, ...]:
    # `parse` is one of the item parsers below; errors get this list's path prepended.
    result = []
    for i, item in enumerate(_opt_list(obj, key)):
        try:
            result.append(parse(item))
        except PayloadError as exc:
            raise _rebased(f"{_seg(key)}[{i}]", exc) from None
    return tuple(result)


# Operation ids: v1 sends integers; the agent derived them from "op-<n>", so map them back.
def _op_id_value(value: JsonValue, path: str, v1: bool) -> str:
    if isinstance(value, str) and value:
        return value
    if v1 and isinstance(value, int) and not isinstance(value, bool):
        return f"op-{value}"
    if value is None:
        raise MissingFieldError(path, "required field is missing")
    if isinstance(value, str):
        raise InvalidValueError(path, "id must not be empty")
    raise _wrong(path, "an integer" if v1 else "a string", value)


def _op_ids(obj: Mapping[str, JsonValue], key: str, v1: bool) -> tuple[str, ...]:
    items = _opt_list(obj, key)
    if not v1 and all(isinstance(item, str) and item for item in items):
        return tuple(items)
    return tuple(_op_id_value(item, f"{_seg(key)}[{i}]", v1) for i, item in enumerate(items))


def _op_name(obj: Mapping[str, JsonValue], v1: bool) -> str | None:
    if not v1:
        return _opt_str(obj, "name")
    name = _opt_object(obj, "extra").get("name")
    return name if isinstance(name, str) else None


def _op_output(obj: Mapping[str, JsonValue], v1: bool) -> tuple[str, ...]:
    if not v1:
        return _id_list(obj, "output")
    # v1 declares `schema` untyped; only the agent's list of attribute ids is meaningful.
    schema = obj.get("schema")
    if isinstance(schema, list) and all(isinstance(a, str) for a in schema):
        return tuple(a for a in schema if isinstance(a, str))
    return ()


def _write(value: JsonValue, v1: bool) -> WriteOperation:
    obj = _as_object(value, "one write operation (an object)")
    append = obj.get("append")
    if not isinstance(append, bool):
        raise _missing("append") if append is None else _wrong(".append", "a boolean", append)
    if obj.get("childIds") is None:
        raise _missing("childIds")
    return WriteOperation(
        id=_op_id_value(obj.get("id"), ".id", v1),
        output_source=_req_str(obj, "outputSource"),
        append=append,
        child_ids=_op_ids(obj, "childIds", v1),
        name=_op_name(obj, v1),
        params=_opt_object(obj, "params"),
        extra=_opt_object(obj, "extra"),
    )


def _read(value: JsonValue, v1: bool) -> ReadOperation:
    obj = _as_object(value)
    if obj.get("inputSources") is None:
        raise _missing("inputSources")
    return ReadOperation(
        id=_op_id_value(obj.get("id"), ".id", v1),
        input_sources=_id_list(obj, "inputSources"),
        name=_op_name(obj, v1),
        output=_op_output(obj, v1),
        params=_opt_object(obj, "params"),
        extra=_opt_object(obj, "extra"),
    )


def _other(value: JsonValue, v1: bool) -> DataOperation:
    obj = _as_object(value)
    return DataOperation(
        id=_op_id_value(obj.get("id"), ".id", v1),
        name=_op_name(obj, v1),
        child_ids=_op_ids(obj, "childIds", v1),
        output=_op_output(obj, v1),
        params=_opt_object(obj, "params"),
        extra=_opt_object(obj, "extra"),
    )


def _operations(plan: Mapping[str, JsonValue], v1: bool) -> Operations:
    obj = _req_object(plan, "operations")
    try:
        try:
            write = _write(obj.get("write"), v1) if obj.get("write") is not None else None
        except PayloadError as exc:
            raise _rebased(".write", exc) from None
        if write is None:
            raise _missing("write")
        return Operations(
            write=write,
            reads=_items(obj, "reads", lambda item: _read(item, v1)),
            other=_items(obj, "other", lambda item: _other(item, v1)),
        )
    except PayloadError as exc:
        raise _rebased(".operations", exc) from None


def _attribute(value: JsonValue) -> Attribute:
    # The hot path of a large plan (hundreds of attributes): checks inlined, helpers only
    # when something is off.
    if not isinstance(value, dict):
        raise _wrong("", "an object", value)
    attr_id, name, refs, extra = (
        value.get("id"),
        value.get("name"),
        value.get("childRefs"),
        value.get("extra"),
    )
    if not (isinstance(attr_id, str) and attr_id and isinstance(name, str)):
        _req_id(value, "id")
        _req_str(value, "name")
    return Attribute(
        id=attr_id,  # type: ignore[arg-type]  # checked just above
        name=name,  # type: ignore[arg-type]
        data_type=value.get("dataType"),
        child_refs=_child_refs(value) if refs else (),
        extra=extra if isinstance(extra, dict) else _opt_object(value, "extra"),
    )


def _v1_attribute(value: JsonValue) -> Attribute:
    obj = _as_object(value)
    return Attribute(
        id=_req_id(obj, "id"), name=_req_str(obj, "name"), data_type=obj.get("dataTypeId")
    )


def _function(value: JsonValue) -> FunctionalExpression:
    if not isinstance(value, dict):
        raise _wrong("", "an object", value)
    expr_id, name, refs = value.get("id"), value.get("name"), value.get("childRefs")
    if not (isinstance(expr_id, str) and expr_id and isinstance(name, str)):
        _req_id(value, "id")
        _req_str(value, "name")
    params, extra = value.get("params"), value.get("extra")
    return FunctionalExpression(
        id=expr_id,  # type: ignore[arg-type]  # checked just above
        name=name,  # type: ignore[arg-type]
        data_type=value.get("dataType"),
        child_refs=_child_refs(value) if refs else (),
        params=params if isinstance(params, dict) else _opt_object(value, "params"),
        extra=extra if isinstance(extra, dict) else _opt_object(value, "extra"),
    )


def _literal(value: JsonValue) -> Literal:
    obj = _as_object(value)
    if "value" not in obj:  # null is a legal literal value, absence is not
        raise _missing("value")
    return Literal(
        id=_req_id(obj, "id"),
        value=obj["value"],
        data_type=obj.get("dataType"),
        extra=_opt_object(obj, "extra"),
    )


def _attributes(plan: Mapping[str, JsonValue], v1: bool) -> tuple[Attribute, ...]:
    if not v1:
        return _items(plan, "attributes", _attribute)
    extra_info = _opt_object(plan, "extraInfo")
    try:
        return _items(extra_info, "attributes", _v1_attribute)
    except PayloadError as exc:
        raise _rebased(".extraInfo", exc) from None


def _expressions(plan: Mapping[str, JsonValue]) -> Expressions:
    obj = _opt_object(plan, "expressions")
    try:
        return Expressions(
            functions=_items(obj, "functions", _function),
            constants=_items(obj, "constants", _literal),
        )
    except PayloadError as exc:
        raise _rebased(".expressions", exc) from None


def _data_types(extra_info: Mapping[str, JsonValue]) -> tuple[DataType, ...]:
    # extraInfo is free-form metadata Spline itself never analyzes: read what is well formed and
    # skip the rest rather than reject a plan over it.
    raw = extra_info.get("dataTypes")
    if not isinstance(raw, list):
        return ()
    result: list[DataType] = []
    for item in raw:
        if not isinstance(item, dict) or not isinstance(item.get("id"), str):
            continue
        name, hint, element = item.get("name"), item.get("_typeHint"), item.get("elementDataTypeId")
        fields = item.get("fields")
        result.append(
            DataType(
                id=str(item["id"]),
                type_hint=hint if isinstance(hint, str) else "dt.Simple",
                nullable=item.get("nullable") is not False,
                name=name if isinstance(name, str) else None,
                fields=tuple(
                    StructField(str(f["name"]), str(f["dataTypeId"]))
                    for f in (fields if isinstance(fields, list) else [])
                    if isinstance(f, dict)
                    and isinstance(f.get("name"), str)
                    and isinstance(f.get("dataTypeId"), str)
                ),
                element_type_id=element if isinstance(element, str) else None,
            )
        )
    return tuple(result)


def _op_path(ops: Operations, op: Operation) -> str:
    if op is ops.write:
        return "$.operations.write"
    for name, group in (("reads", ops.reads), ("other", ops.other)):
        for i, candidate in enumerate(group):
            if candidate is op:
                return f"$.operations.{name}[{i}]"
    raise AssertionError("operation not in plan")  # unreachable: op comes from ops


def _check_unique(items: Sequence[Any], what: str, path_of: Any) -> None:
    # `path_of(index)` names the item; only called when a duplicate is found.
    seen: dict[str, int] = {}
    for index, item in enumerate(items):
        first = seen.setdefault(item.id, index)
        if first != index:
            raise DuplicateIdError(
                f"{path_of(index)}.id",
                f"{what} id {item.id!r} is already used at {path_of(first)}.id",
            )


def _check_references(plan: ExecutionPlan, v1: bool, *, attributes: bool = True) -> None:
    ops = plan.operations
    all_ops = ops.all
    _check_unique(all_ops, "operation", lambda i: _op_path(ops, all_ops[i]))
    attr_base = "$.extraInfo.attributes" if v1 else "$.attributes"
    _check_unique(plan.attributes, "attribute", lambda i: f"{attr_base}[{i}]")
    functions, constants = plan.expressions.functions, plan.expressions.constants
    _check_unique(
        (*functions, *constants),
        "expression",
        lambda i: (
            f"$.expressions.functions[{i}]"
            if i < len(functions)
            else f"$.expressions.constants[{i - len(functions)}]"
        ),
    )
    op_ids = plan.operation_by_id
    attr_ids = plan.attribute_by_id
    expr_ids = plan.expression_by_id
    # v1 attributes are optional metadata in extraInfo; only check output ids when it has them.
    check_output = attributes and (not v1 or bool(attr_ids))
    for op in all_ops:
        for i, child in enumerate(op.child_ids):
            if child not in op_ids:
                raise DanglingReferenceError(
                    f"{_op_path(ops, op)}.childIds[{i}]", f"no operation has id {child!r}"
                )
        for i, attr in enumerate(op.output if check_output else ()):
            if attr not in attr_ids:
                where = f"{_op_path(ops, op)}.{'schema' if v1 else 'output'}[{i}]"
                raise DanglingReferenceError(where, f"no attribute has id {attr!r}")
    holders = [(a.child_refs, "$.attributes", i) for i, a in enumerate(plan.attributes)]
    holders += [(f.child_refs, "$.expressions.functions", i) for i, f in enumerate(functions)]
    if not attributes:
        holders = []
    for refs, base, index in holders:
        for i, ref in enumerate(refs):
            if isinstance(ref, AttrRef) and ref.attr_id not in attr_ids:
                raise DanglingReferenceError(
                    f"{base}[{index}].childRefs[{i}].__attrId",
                    f"no attribute has id {ref.attr_id!r}",
                )
            if isinstance(ref, ExprRef) and ref.expr_id not in expr_ids:
                raise DanglingReferenceError(
                    f"{base}[{index}].childRefs[{i}].__exprId",
                    f"no expression has id {ref.expr_id!r}",
                )
    _check_acyclic(op_ids)


def _check_acyclic(op_ids: Mapping[str, Operation]) -> None:
    # Iterative DFS with colours: a cycle would make "distance from the write" meaningless.
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    for root in op_ids:
        if root in state:
            continue
        stack: list[tuple[str, Iterator[str]]] = [(root, iter(op_ids[root].child_ids))]
        state[root] = 1
        while stack:
            node, children = stack[-1]
            child = next(children, None)
            if child is None:
                state[node] = 2
                stack.pop()
            elif state.get(child) == 1:
                raise InvalidValueError(
                    "$.operations", f"operations form a cycle through {node!r} -> {child!r}"
                )
            elif child not in state:
                state[child] = 1
                stack.append((child, iter(op_ids[child].child_ids)))


def parse_execution_plan(
    doc: JsonValue, version: ApiVersion, *, check_references: bool = True
) -> ExecutionPlan:
    """Validate a decoded execution plan of the given API version; raises a `PayloadError`.

    `check_references=False` checks the structure only (types, required fields, the id): what
    the producer accepts by. Duplicate ids, dangling references and cycles are then left to
    `check_plan_references`, which the nightly job applies and reports.
    """
    v1 = version is ApiVersion.V1
    try:
        plan = _as_object(doc, "an execution plan (a JSON object)")
        extra_info = _opt_object(plan, "extraInfo")
        if v1:
            app_name = extra_info.get("appName")
            name = app_name if isinstance(app_name, str) else None
        else:
            name = _opt_str(plan, "name")
        result = ExecutionPlan(
            id=_req_uuid(plan, "id"),
            api_version=version,
            operations=_operations(plan, v1),
            system_info=_name_and_version(plan, "systemInfo"),
            name=name,
            discriminator=_opt_str(plan, "discriminator"),
            labels=_labels(plan) if version is ApiVersion.V1_2 else {},
            attributes=_attributes(plan, v1),
            expressions=Expressions() if v1 else _expressions(plan),
            agent_info=(
                None if plan.get("agentInfo") is None else _name_and_version(plan, "agentInfo")
            ),
            extra_info=extra_info,
            data_types=_data_types(extra_info),
        )
    except PayloadError as exc:
        raise _rebased("$", exc) from None
    if check_references:
        _check_references(result, v1)
    return result


def check_plan_references(plan: ExecutionPlan, *, attributes: bool = True) -> None:
    """Raise `DuplicateIdError`, `DanglingReferenceError` or `InvalidValueError` (a cycle) when
    the plan's ids do not hold together (what `parse_execution_plan` checks by default).

    `attributes=False` leaves out references to attributes and expressions (`output`,
    `childRefs`): the nightly job derives partial lineage around those instead.
    """
    _check_references(plan, plan.api_version is ApiVersion.V1, attributes=attributes)


def _event(value: JsonValue, version: ApiVersion) -> ExecutionEvent:
    obj = _as_object(value, "an execution event (an object)")
    extra = _opt_object(obj, "extra")
    if version is ApiVersion.V1:
        raw, duration_path = extra.get("durationNs"), ".extra.durationNs"
    else:
        raw, duration_path = obj.get("durationNs"), ".durationNs"
    duration: int | None = None
    if raw is not None:
        if not isinstance(raw, int) or isinstance(raw, bool):
            raise _wrong(duration_path, "an integer", raw)
        if raw < 0:
            raise InvalidValueError(duration_path, f"duration must not be negative, got {raw}")
        if raw > limits.MAX_DURATION_NS:
            raise LimitExceededError(
                duration_path, f"duration {raw} exceeds {limits.MAX_DURATION_NS} ns"
            )
        duration = raw
    timestamp = _req_int(obj, "timestamp")
    problem = limits.timestamp_problem(timestamp)
    if problem is not None:
        raise LimitExceededError(".timestamp", problem)
    return ExecutionEvent(
        plan_id=_req_uuid(obj, "planId"),
        timestamp=timestamp,
        api_version=version,
        duration_ns=duration,
        discriminator=_opt_str(obj, "discriminator"),
        labels=_labels(obj) if version is ApiVersion.V1_2 else {},
        error=obj.get("error"),
        extra=extra,
    )


def parse_execution_events(doc: JsonValue, version: ApiVersion) -> tuple[ExecutionEvent, ...]:
    """Validate a decoded execution event batch (a JSON array); raises a `PayloadError`."""
    if not isinstance(doc, list):
        raise _wrong("$", "an array of execution events", doc)
    events = []
    for i, item in enumerate(doc):
        try:
            events.append(_event(item, version))
        except PayloadError as exc:
            raise _rebased(f"$[{i}]", exc) from None
    return tuple(events)
