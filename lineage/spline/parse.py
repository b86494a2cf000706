"""Parsing Spline producer API bodies (any version) into the typed model, checking the structure
a lineage rebuild relies on.

The plan id is a UUID; there is exactly one write operation (an object, not an array) with
`outputSource`, `append` and `childIds`; reads have `inputSources`; every operation, attribute and
expression id is unique; every `childIds` entry names an operation of the plan, every `output`
entry an attribute, every `childRefs` entry an attribute or expression; operations form no cycle
(these reference checks can be left out: `check_references=False`, what the producer accepts
by). Events are a JSON array of objects with a UUID `planId` and an integer `timestamp` within
`lineage.limits`. Every decoded body is within `lineage.limits` (nesting depth, integer range).
Fields the agent may add later are ignored, never rejected; the raw bytes stay the record, the
model is only a parsed view. What differs by version is asked of its `Dialect`.
"""

from __future__ import annotations

from collections.abc import Mapping

import orjson

from lineage import limits
from lineage.spline import fields
from lineage.spline.dialect import Dialect, dialect_for
from lineage.spline.errors import (
    InvalidValueError,
    LimitExceededError,
    MalformedJsonError,
    PayloadError,
)
from lineage.spline.model import (
    DataOperation,
    DataType,
    ExecutionEvent,
    ExecutionPlan,
    JsonValue,
    Operations,
    ReadOperation,
    StructField,
    WriteOperation,
)
from lineage.spline.references import check_plan_references
from lineage.spline.versions import ApiVersion

__all__ = [
    "decode_json",
    "load_execution_events",
    "load_execution_plan",
    "parse_execution_events",
    "parse_execution_plan",
]


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


def _write(value: JsonValue, d: Dialect) -> WriteOperation:
    obj = fields.as_object(value, "one write operation (an object)")
    append = obj.get("append")
    if not isinstance(append, bool):
        raise (
            fields.missing("append")
            if append is None
            else fields.wrong(".append", "a boolean", append)
        )
    if obj.get("childIds") is None:
        raise fields.missing("childIds")
    return WriteOperation(
        id=d.op_id(obj.get("id"), ".id"),
        output_source=fields.req_str(obj, "outputSource"),
        append=append,
        child_ids=d.op_ids(obj, "childIds"),
        name=d.op_name(obj),
        params=fields.opt_object(obj, "params"),
        extra=fields.opt_object(obj, "extra"),
    )


def _read(value: JsonValue, d: Dialect) -> ReadOperation:
    obj = fields.as_object(value)
    if obj.get("inputSources") is None:
        raise fields.missing("inputSources")
    return ReadOperation(
        id=d.op_id(obj.get("id"), ".id"),
        input_sources=fields.id_list(obj, "inputSources"),
        name=d.op_name(obj),
        output=d.op_output(obj),
        params=fields.opt_object(obj, "params"),
        extra=fields.opt_object(obj, "extra"),
    )


def _other(value: JsonValue, d: Dialect) -> DataOperation:
    obj = fields.as_object(value)
    return DataOperation(
        id=d.op_id(obj.get("id"), ".id"),
        name=d.op_name(obj),
        child_ids=d.op_ids(obj, "childIds"),
        output=d.op_output(obj),
        params=fields.opt_object(obj, "params"),
        extra=fields.opt_object(obj, "extra"),
    )


def _operations(plan: Mapping[str, JsonValue], d: Dialect) -> Operations:
    obj = fields.req_object(plan, "operations")
    try:
        try:
            write = _write(obj.get("write"), d) if obj.get("write") is not None else None
        except PayloadError as exc:
            raise fields.rebased(".write", exc) from None
        if write is None:
            raise fields.missing("write")
        return Operations(
            write=write,
            reads=fields.items(obj, "reads", lambda item: _read(item, d)),
            other=fields.items(obj, "other", lambda item: _other(item, d)),
        )
    except PayloadError as exc:
        raise fields.rebased(".operations", exc) from None


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
        struct_fields = item.get("fields")
        result.append(
            DataType(
                id=str(item["id"]),
                type_hint=hint if isinstance(hint, str) else "dt.Simple",
                nullable=item.get("nullable") is not False,
                name=name if isinstance(name, str) else None,
                fields=tuple(
                    StructField(str(f["name"]), str(f["dataTypeId"]))
                    for f in (struct_fields if isinstance(struct_fields, list) else [])
                    if isinstance(f, dict)
                    and isinstance(f.get("name"), str)
                    and isinstance(f.get("dataTypeId"), str)
                ),
                element_type_id=element if isinstance(element, str) else None,
            )
        )
    return tuple(result)


def parse_execution_plan(
    doc: JsonValue, version: ApiVersion, *, check_references: bool = True
) -> ExecutionPlan:
    """Validate a decoded execution plan of the given API version; raises a `PayloadError`.

    `check_references=False` checks the structure only (types, required fields, the id): what
    the producer accepts by. Duplicate ids, dangling references and cycles are then left to
    `check_plan_references`, which the nightly job applies and reports.
    """
    d = dialect_for(version)
    try:
        plan = fields.as_object(doc, "an execution plan (a JSON object)")
        extra_info = fields.opt_object(plan, "extraInfo")
        result = ExecutionPlan(
            id=fields.req_uuid(plan, "id"),
            api_version=version,
            operations=_operations(plan, d),
            system_info=fields.name_and_version(plan, "systemInfo"),
            name=d.plan_name(plan, extra_info),
            discriminator=fields.opt_str(plan, "discriminator"),
            labels=d.labels(plan),
            attributes=d.attributes(plan),
            expressions=d.expressions(plan),
            agent_info=(
                None
                if plan.get("agentInfo") is None
                else fields.name_and_version(plan, "agentInfo")
            ),
            extra_info=extra_info,
            data_types=_data_types(extra_info),
        )
    except PayloadError as exc:
        raise fields.rebased("$", exc) from None
    if check_references:
        check_plan_references(result)
    return result


def _event(value: JsonValue, d: Dialect) -> ExecutionEvent:
    obj = fields.as_object(value, "an execution event (an object)")
    extra = fields.opt_object(obj, "extra")
    raw, duration_path = d.duration(obj, extra)
    duration: int | None = None
    if raw is not None:
        if not isinstance(raw, int) or isinstance(raw, bool):
            raise fields.wrong(duration_path, "an integer", raw)
        if raw < 0:
            raise InvalidValueError(duration_path, f"duration must not be negative, got {raw}")
        if raw > limits.MAX_DURATION_NS:
            raise LimitExceededError(
                duration_path, f"duration {raw} exceeds {limits.MAX_DURATION_NS} ns"
            )
        duration = raw
    timestamp = fields.req_int(obj, "timestamp")
    problem = limits.timestamp_problem(timestamp)
    if problem is not None:
        raise LimitExceededError(".timestamp", problem)
    return ExecutionEvent(
        plan_id=fields.req_uuid(obj, "planId"),
        timestamp=timestamp,
        api_version=d.version,
        duration_ns=duration,
        discriminator=fields.opt_str(obj, "discriminator"),
        labels=d.labels(obj),
        error=obj.get("error"),
        extra=extra,
    )


def parse_execution_events(doc: JsonValue, version: ApiVersion) -> tuple[ExecutionEvent, ...]:
    """Validate a decoded execution event batch (a JSON array); raises a `PayloadError`."""
    if not isinstance(doc, list):
        raise fields.wrong("$", "an array of execution events", doc)
    d = dialect_for(version)
    events = []
    for i, item in enumerate(doc):
        try:
            events.append(_event(item, d))
        except PayloadError as exc:
            raise fields.rebased(f"$[{i}]", exc) from None
    return tuple(events)
