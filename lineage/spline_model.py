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
  `decode_json(body)`, `find_refs(value)`.
- Errors: `PayloadError` (base; `.path` is the JSON path of what is wrong, `.problem` the rest)
  with `MalformedJsonError`, `MissingFieldError`, `WrongTypeError`, `InvalidValueError`,
  `DuplicateIdError`, `DanglingReferenceError`; and `UnsupportedContentTypeError`.

What the parsers check (the structure a lineage rebuild relies on): the plan id is a UUID; there
is exactly one write operation (an object, not an array) with `outputSource`, `append` and
`childIds`; reads have `inputSources`; every operation, attribute and expression id is unique;
every `childIds` entry names an operation of the plan, every `output` entry an attribute, every
`childRefs` entry an attribute or expression; operations form no cycle. Events are a JSON array of
objects with a UUID `planId` and an integer `timestamp`. Fields the agent may add later are
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
from typing import TypeAlias

import orjson

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
    """Decode a UTF-8 JSON body; raises `MalformedJsonError`.

    orjson reads integers beyond 64 bits (Spark decimal literals) as floats: the model's value
    is then approximate, the stored raw bytes stay exact.
    """
    try:
        return orjson.loads(body)  # type: ignore[no-any-return]
    except orjson.JSONDecodeError as exc:
        try:
            body.decode("utf-8")
        except UnicodeDecodeError as not_utf8:
            raise MalformedJsonError("$", f"body is not UTF-8 ({not_utf8.reason})") from exc
        raise MalformedJsonError("$", f"malformed JSON: {exc}") from exc


def load_execution_plan(body: bytes, version: ApiVersion) -> ExecutionPlan:
    """Decode and validate one execution plan body of the given API version."""
    return parse_execution_plan(decode_json(body), version)


def load_execution_events(body: bytes, version: ApiVersion) -> tuple[ExecutionEvent, ...]:
    """Decode and validate one execution event batch (a JSON array) of the given API version."""
    return parse_execution_events(decode_json(body), version)


_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def _at(path: str, key: str) -> str:
    return f"{path}.{key}" if _IDENTIFIER.match(key) else f"{path}[{json.dumps(key)}]"


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


def _object(value: object, path: str, what: str = "an object") -> dict[str, JsonValue]:
    if not isinstance(value, dict):
        raise _wrong(path, what, value)
    return value


def _required(obj: Mapping[str, JsonValue], key: str, path: str) -> JsonValue:
    value = obj.get(key)
    if value is None:
        raise MissingFieldError(_at(path, key), "required field is missing")
    return value


def _string(value: JsonValue, path: str) -> str:
    if not isinstance(value, str):
        raise _wrong(path, "a string", value)
    return value


def _id_string(value: JsonValue, path: str) -> str:
    text = _string(value, path)
    if not text:
        raise InvalidValueError(path, "id must not be empty")
    return text


def _uuid(value: JsonValue, path: str) -> str:
    text = _string(value, path)
    if not _UUID.match(text):
        raise InvalidValueError(path, f"expected a UUID, got {text[:80]!r}")
    return text.lower()


def _integer(value: JsonValue, path: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _wrong(path, "an integer", value)
    return value


def _optional_string(obj: Mapping[str, JsonValue], key: str, path: str) -> str | None:
    value = obj.get(key)
    return None if value is None else _string(value, _at(path, key))


def _optional_object(obj: Mapping[str, JsonValue], key: str, path: str) -> dict[str, JsonValue]:
    value = obj.get(key)
    return {} if value is None else _object(value, _at(path, key))


def _optional_list(obj: Mapping[str, JsonValue], key: str, path: str) -> list[JsonValue]:
    value = obj.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise _wrong(_at(path, key), "an array", value)
    return value


def _string_list(obj: Mapping[str, JsonValue], key: str, path: str) -> tuple[str, ...]:
    where = _at(path, key)
    return tuple(
        _id_string(item, f"{where}[{i}]") for i, item in enumerate(_optional_list(obj, key, path))
    )


def _labels(obj: Mapping[str, JsonValue], path: str) -> dict[str, tuple[str, ...]]:
    labels = _optional_object(obj, "labels", path)
    where = _at(path, "labels")
    return {name: _string_list(labels, name, where) for name in labels}


def _name_and_version(value: JsonValue, path: str) -> NameAndVersion:
    obj = _object(value, path)
    return NameAndVersion(
        name=_string(_required(obj, "name", path), _at(path, "name")),
        version=_string(_required(obj, "version", path), _at(path, "version")),
    )


def _child_refs(obj: Mapping[str, JsonValue], path: str) -> tuple[ChildRef, ...]:
    where = _at(path, "childRefs")
    refs: list[ChildRef] = []
    for i, item in enumerate(_optional_list(obj, "childRefs", path)):
        item_path = f"{where}[{i}]"
        ref = _object(item, item_path, 'an object like {"__attrId": ...} or {"__exprId": ...}')
        if len(ref) == 1 and "__attrId" in ref:
            refs.append(AttrRef(_id_string(ref["__attrId"], _at(item_path, "__attrId"))))
        elif len(ref) == 1 and "__exprId" in ref:
            refs.append(ExprRef(_id_string(ref["__exprId"], _at(item_path, "__exprId"))))
        else:
            raise InvalidValueError(
                item_path, "a reference needs exactly one key, __attrId or __exprId"
            )
    return tuple(refs)


# Operation ids: v1 sends integers; the agent derived them from "op-<n>", so map them back.
def _op_id(value: JsonValue, path: str, version: ApiVersion) -> str:
    if version is ApiVersion.V1 and isinstance(value, int) and not isinstance(value, bool):
        return f"op-{value}"
    if version is ApiVersion.V1 and not isinstance(value, str):
        raise _wrong(path, "an integer", value)
    return _id_string(value, path)


def _op_ids(obj: Mapping[str, JsonValue], key: str, path: str, version: ApiVersion) -> list[str]:
    where = _at(path, key)
    items = _optional_list(obj, key, path)
    return [_op_id(item, f"{where}[{i}]", version) for i, item in enumerate(items)]


def _op_name(obj: Mapping[str, JsonValue], path: str, version: ApiVersion) -> str | None:
    if version is not ApiVersion.V1:
        return _optional_string(obj, "name", path)
    name = _optional_object(obj, "extra", path).get("name")
    return name if isinstance(name, str) else None


def _op_output(obj: Mapping[str, JsonValue], path: str, version: ApiVersion) -> tuple[str, ...]:
    if version is not ApiVersion.V1:
        return _string_list(obj, "output", path)
    # v1 declares `schema` untyped; only the agent's list of attribute ids is meaningful.
    schema = obj.get("schema")
    if isinstance(schema, list) and all(isinstance(a, str) for a in schema):
        return tuple(a for a in schema if isinstance(a, str))
    return ()


def _write(value: JsonValue, path: str, version: ApiVersion) -> WriteOperation:
    obj = _object(value, path, "one write operation (an object)")
    append = _required(obj, "append", path)
    if not isinstance(append, bool):
        raise _wrong(_at(path, "append"), "a boolean", append)
    if obj.get("childIds") is None:
        raise MissingFieldError(_at(path, "childIds"), "required field is missing")
    return WriteOperation(
        id=_op_id(_required(obj, "id", path), _at(path, "id"), version),
        output_source=_string(_required(obj, "outputSource", path), _at(path, "outputSource")),
        append=append,
        child_ids=tuple(_op_ids(obj, "childIds", path, version)),
        name=_op_name(obj, path, version),
        params=_optional_object(obj, "params", path),
        extra=_optional_object(obj, "extra", path),
    )


def _read(value: JsonValue, path: str, version: ApiVersion) -> ReadOperation:
    obj = _object(value, path)
    _required(obj, "inputSources", path)
    return ReadOperation(
        id=_op_id(_required(obj, "id", path), _at(path, "id"), version),
        input_sources=_string_list(obj, "inputSources", path),
        name=_op_name(obj, path, version),
        output=_op_output(obj, path, version),
        params=_optional_object(obj, "params", path),
        extra=_optional_object(obj, "extra", path),
    )


def _other(value: JsonValue, path: str, version: ApiVersion) -> DataOperation:
    obj = _object(value, path)
    return DataOperation(
        id=_op_id(_required(obj, "id", path), _at(path, "id"), version),
        name=_op_name(obj, path, version),
        child_ids=tuple(_op_ids(obj, "childIds", path, version)),
        output=_op_output(obj, path, version),
        params=_optional_object(obj, "params", path),
        extra=_optional_object(obj, "extra", path),
    )


def _operations(plan: Mapping[str, JsonValue], version: ApiVersion) -> Operations:
    obj = _object(_required(plan, "operations", "$"), "$.operations")
    path = "$.operations"
    return Operations(
        write=_write(_required(obj, "write", path), _at(path, "write"), version),
        reads=tuple(
            _read(item, f"{path}.reads[{i}]", version)
            for i, item in enumerate(_optional_list(obj, "reads", path))
        ),
        other=tuple(
            _other(item, f"{path}.other[{i}]", version)
            for i, item in enumerate(_optional_list(obj, "other", path))
        ),
    )


def _attribute(value: JsonValue, path: str) -> Attribute:
    obj = _object(value, path)
    return Attribute(
        id=_id_string(_required(obj, "id", path), _at(path, "id")),
        name=_string(_required(obj, "name", path), _at(path, "name")),
        data_type=obj.get("dataType"),
        child_refs=_child_refs(obj, path),
        extra=_optional_object(obj, "extra", path),
    )


def _v1_attribute(value: JsonValue, path: str) -> Attribute:
    obj = _object(value, path)
    return Attribute(
        id=_id_string(_required(obj, "id", path), _at(path, "id")),
        name=_string(_required(obj, "name", path), _at(path, "name")),
        data_type=obj.get("dataTypeId"),
    )


def _attributes(plan: Mapping[str, JsonValue], version: ApiVersion) -> tuple[Attribute, ...]:
    if version is ApiVersion.V1:
        extra_info = _optional_object(plan, "extraInfo", "$")
        items = _optional_list(extra_info, "attributes", "$.extraInfo")
        return tuple(
            _v1_attribute(item, f"$.extraInfo.attributes[{i}]") for i, item in enumerate(items)
        )
    items = _optional_list(plan, "attributes", "$")
    return tuple(_attribute(item, f"$.attributes[{i}]") for i, item in enumerate(items))


def _expressions(plan: Mapping[str, JsonValue]) -> Expressions:
    obj = _optional_object(plan, "expressions", "$")
    path = "$.expressions"
    functions: list[FunctionalExpression] = []
    for i, item in enumerate(_optional_list(obj, "functions", path)):
        item_path = f"{path}.functions[{i}]"
        fn = _object(item, item_path)
        functions.append(
            FunctionalExpression(
                id=_id_string(_required(fn, "id", item_path), _at(item_path, "id")),
                name=_string(_required(fn, "name", item_path), _at(item_path, "name")),
                data_type=fn.get("dataType"),
                child_refs=_child_refs(fn, item_path),
                params=_optional_object(fn, "params", item_path),
                extra=_optional_object(fn, "extra", item_path),
            )
        )
    constants: list[Literal] = []
    for i, item in enumerate(_optional_list(obj, "constants", path)):
        item_path = f"{path}.constants[{i}]"
        lit = _object(item, item_path)
        if "value" not in lit:  # null is a legal literal value, absence is not
            raise MissingFieldError(_at(item_path, "value"), "required field is missing")
        constants.append(
            Literal(
                id=_id_string(_required(lit, "id", item_path), _at(item_path, "id")),
                value=lit["value"],
                data_type=lit.get("dataType"),
                extra=_optional_object(lit, "extra", item_path),
            )
        )
    return Expressions(functions=tuple(functions), constants=tuple(constants))


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


def _check_unique(ids: Sequence[tuple[str, str]], what: str) -> None:
    seen: dict[str, str] = {}
    for ident, path in ids:
        if ident in seen:
            raise DuplicateIdError(path, f"{what} id {ident!r} is already used at {seen[ident]}")
        seen[ident] = path


def _op_paths(ops: Operations) -> list[tuple[Operation, str]]:
    return [
        *((op, f"$.operations.reads[{i}]") for i, op in enumerate(ops.reads)),
        *((op, f"$.operations.other[{i}]") for i, op in enumerate(ops.other)),
        (ops.write, "$.operations.write"),
    ]


def _check_references(plan: ExecutionPlan, version: ApiVersion) -> None:
    op_paths = _op_paths(plan.operations)
    _check_unique([(op.id, f"{p}.id") for op, p in op_paths], "operation")
    attr_base = "$.extraInfo.attributes" if version is ApiVersion.V1 else "$.attributes"
    _check_unique(
        [(a.id, f"{attr_base}[{i}].id") for i, a in enumerate(plan.attributes)], "attribute"
    )
    _check_unique(
        [
            (f.id, f"$.expressions.functions[{i}].id")
            for i, f in enumerate(plan.expressions.functions)
        ]
        + [
            (c.id, f"$.expressions.constants[{i}].id")
            for i, c in enumerate(plan.expressions.constants)
        ],
        "expression",
    )
    op_ids = plan.operation_by_id
    attr_ids = plan.attribute_by_id
    expr_ids = plan.expression_by_id
    # v1 attributes are optional metadata in extraInfo; only check output ids when it has them.
    check_output = version is not ApiVersion.V1 or bool(attr_ids)
    for op, path in op_paths:
        for i, child in enumerate(op.child_ids):
            if child not in op_ids:
                raise DanglingReferenceError(
                    f"{path}.childIds[{i}]", f"no operation has id {child!r}"
                )
        for i, attr in enumerate(op.output if check_output else ()):
            if attr not in attr_ids:
                where = f"{path}.{'schema' if version is ApiVersion.V1 else 'output'}[{i}]"
                raise DanglingReferenceError(where, f"no attribute has id {attr!r}")
    holders: list[tuple[tuple[ChildRef, ...], str]] = [
        (a.child_refs, f"$.attributes[{i}]") for i, a in enumerate(plan.attributes)
    ] + [
        (f.child_refs, f"$.expressions.functions[{i}]")
        for i, f in enumerate(plan.expressions.functions)
    ]
    for refs, path in holders:
        for i, ref in enumerate(refs):
            if isinstance(ref, AttrRef) and ref.attr_id not in attr_ids:
                raise DanglingReferenceError(
                    f"{path}.childRefs[{i}].__attrId", f"no attribute has id {ref.attr_id!r}"
                )
            if isinstance(ref, ExprRef) and ref.expr_id not in expr_ids:
                raise DanglingReferenceError(
                    f"{path}.childRefs[{i}].__exprId", f"no expression has id {ref.expr_id!r}"
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


def parse_execution_plan(doc: JsonValue, version: ApiVersion) -> ExecutionPlan:
    """Validate a decoded execution plan of the given API version; raises a `PayloadError`."""
    plan = _object(doc, "$", "an execution plan (a JSON object)")
    extra_info = _optional_object(plan, "extraInfo", "$")
    name = _optional_string(plan, "name", "$") if version is not ApiVersion.V1 else None
    if version is ApiVersion.V1:
        app_name = extra_info.get("appName")
        name = app_name if isinstance(app_name, str) else None
    agent_info = plan.get("agentInfo")
    result = ExecutionPlan(
        id=_uuid(_required(plan, "id", "$"), "$.id"),
        api_version=version,
        operations=_operations(plan, version),
        system_info=_name_and_version(_required(plan, "systemInfo", "$"), "$.systemInfo"),
        name=name,
        discriminator=_optional_string(plan, "discriminator", "$"),
        labels=_labels(plan, "$") if version is ApiVersion.V1_2 else {},
        attributes=_attributes(plan, version),
        expressions=_expressions(plan) if version is not ApiVersion.V1 else Expressions(),
        agent_info=None if agent_info is None else _name_and_version(agent_info, "$.agentInfo"),
        extra_info=extra_info,
        data_types=_data_types(extra_info),
    )
    _check_references(result, version)
    return result


def _event(value: JsonValue, path: str, version: ApiVersion) -> ExecutionEvent:
    obj = _object(value, path, "an execution event (an object)")
    extra = _optional_object(obj, "extra", path)
    if version is ApiVersion.V1:
        raw_duration = extra.get("durationNs")
        duration_path = _at(_at(path, "extra"), "durationNs")
    else:
        raw_duration = obj.get("durationNs")
        duration_path = _at(path, "durationNs")
    duration = None if raw_duration is None else _integer(raw_duration, duration_path)
    if duration is not None and duration < 0:
        raise InvalidValueError(duration_path, f"duration must not be negative, got {duration}")
    return ExecutionEvent(
        plan_id=_uuid(_required(obj, "planId", path), _at(path, "planId")),
        timestamp=_integer(_required(obj, "timestamp", path), _at(path, "timestamp")),
        api_version=version,
        duration_ns=duration,
        discriminator=_optional_string(obj, "discriminator", path),
        labels=_labels(obj, path) if version is ApiVersion.V1_2 else {},
        error=obj.get("error"),
        extra=extra,
    )


def parse_execution_events(doc: JsonValue, version: ApiVersion) -> tuple[ExecutionEvent, ...]:
    """Validate a decoded execution event batch (a JSON array); raises a `PayloadError`."""
    if not isinstance(doc, list):
        raise _wrong("$", "an array of execution events", doc)
    return tuple(_event(item, f"$[{i}]", version) for i, item in enumerate(doc))
