"""Writing the model back out as the agent lays a v1.1 / v1.2 payload out (JSON-ready objects).

Used by the benchmark generator and the test builders, so every payload this project makes is
built from the same model the parser produces. Keys come in the agent's order and optional parts
are left out when empty, as the agent does (`tests/events/spline/` has recorded examples), so
`orjson.dumps(plan_document(plan))` is deterministic. Two deliberate choices: `expressions`
always has `functions` (the agent drops an empty list; the generator always wrote one, and its
seeded bytes stay the same), and `extraInfo.dataTypes` is written from `data_types` (the parsed
view) in place of whatever the extra info held. v1 payloads are not written: nothing here makes
them, and their integer operation ids do not round-trip.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from lineage.spline.errors import EncodeError
from lineage.spline.model import (
    Attribute,
    AttrRef,
    ChildRef,
    Constant,
    DataOperation,
    DataType,
    ExecutionEvent,
    ExecutionPlan,
    FunctionalExpression,
    JsonValue,
    NameAndVersion,
    ReadOperation,
    WriteOperation,
)
from lineage.spline.versions import ApiVersion

__all__ = ["event_document", "events_document", "plan_document", "ref_document"]

JsonDict = dict[str, JsonValue]


def ref_document(ref: ChildRef) -> JsonDict:
    """`{"__attrId": id}` or `{"__exprId": id}`."""
    return {"__attrId": ref.id} if isinstance(ref, AttrRef) else {"__exprId": ref.id}


def _refs(refs: Iterable[ChildRef]) -> list[JsonValue]:
    return [ref_document(ref) for ref in refs]


def _with(doc: JsonDict, *parts: tuple[str, JsonValue]) -> JsonDict:
    """`doc` with each (key, value) added in order; the agent leaves out what is null or empty."""
    for key, value in parts:
        if value is not None and value != [] and value != {}:
            doc[key] = value
    return doc


def _object(value: Mapping[str, JsonValue]) -> JsonDict:
    return dict(value)


def _labels(labels: Mapping[str, tuple[str, ...]]) -> JsonDict:
    return {name: list(values) for name, values in labels.items()}


def _name_and_version(value: NameAndVersion) -> JsonDict:
    return {"name": value.name, "version": value.version}


def _write(op: WriteOperation) -> JsonDict:
    doc: JsonDict = {"outputSource": op.output_source, "append": op.append, "id": op.id}
    doc = _with(doc, ("name", op.name))
    doc["childIds"] = list(op.child_ids)  # the write always names its child, even none
    return _with(doc, ("params", _object(op.params)), ("extra", _object(op.extra)))


def _read(op: ReadOperation) -> JsonDict:
    return _with(
        {"inputSources": list(op.input_sources), "id": op.id},
        ("name", op.name),
        ("output", list(op.output)),
        ("params", _object(op.params)),
        ("extra", _object(op.extra)),
    )


def _other(op: DataOperation) -> JsonDict:
    return _with(
        {"id": op.id},
        ("name", op.name),
        ("childIds", list(op.child_ids)),
        ("output", list(op.output)),
        ("params", _object(op.params)),
        ("extra", _object(op.extra)),
    )


def _attribute(attr: Attribute) -> JsonDict:
    doc = _with(
        {"id": attr.id},
        ("dataType", attr.data_type),
        ("childRefs", _refs(attr.child_refs)),
        ("extra", _object(attr.extra)),
    )
    doc["name"] = attr.name
    return doc


def _function(fn: FunctionalExpression) -> JsonDict:
    doc = _with(
        {"id": fn.id},
        ("dataType", fn.data_type),
        ("childRefs", _refs(fn.child_refs)),
        ("extra", _object(fn.extra)),
    )
    doc["name"] = fn.name
    return _with(doc, ("params", _object(fn.params)))


def _constant(constant: Constant) -> JsonDict:
    doc = _with(
        {"id": constant.id}, ("dataType", constant.data_type), ("extra", _object(constant.extra))
    )
    doc["value"] = constant.value  # null is a value here, so it is always written
    return doc


def _data_type(data_type: DataType) -> JsonDict:
    fields: list[JsonValue] = [
        {"name": f.name, "dataTypeId": f.data_type_id} for f in data_type.fields
    ]
    doc = _with(
        {"id": data_type.id},
        ("name", data_type.name),
        ("fields", fields),
        ("elementDataTypeId", data_type.element_type_id),
    )
    doc["nullable"] = data_type.nullable
    doc["_typeHint"] = data_type.type_hint
    return doc


def _writable(version: ApiVersion, what: str) -> None:
    if version is ApiVersion.V1:
        raise EncodeError(f"{what}: producer API v1 payloads are not written by this model")


def plan_document(plan: ExecutionPlan) -> JsonDict:
    """The execution plan as the agent sends it (a JSON-ready object, keys in its order).

    Raises `EncodeError` for a v1 plan.
    """
    _writable(plan.api_version, f"plan {plan.id}")
    ops, expressions = plan.operations, plan.expressions
    extra_info = _object(plan.extra_info)
    if plan.data_types:
        extra_info["dataTypes"] = [_data_type(t) for t in plan.data_types]
    doc = _with({"id": plan.id}, ("name", plan.name), ("discriminator", plan.discriminator))
    doc["operations"] = _with(
        {"write": _write(ops.write)},
        ("reads", [_read(op) for op in ops.reads]),
        ("other", [_other(op) for op in ops.other]),
    )
    doc["attributes"] = [_attribute(a) for a in plan.attributes]
    doc["expressions"] = _with(
        {"functions": [_function(f) for f in expressions.functions]},
        ("constants", [_constant(c) for c in expressions.constants]),
    )
    doc["systemInfo"] = _name_and_version(plan.system_info)
    agent = None if plan.agent_info is None else _name_and_version(plan.agent_info)
    labels = _labels(plan.labels) if plan.api_version is ApiVersion.V1_2 else None
    return _with(doc, ("agentInfo", agent), ("labels", labels), ("extraInfo", extra_info))


def event_document(event: ExecutionEvent) -> JsonDict:
    """One execution event as the agent sends it; raises `EncodeError` for a v1 event."""
    _writable(event.api_version, f"event of plan {event.plan_id}")
    labels = _labels(event.labels) if event.api_version is ApiVersion.V1_2 else None
    doc = _with(
        {"planId": event.plan_id, "timestamp": event.timestamp},
        ("durationNs", event.duration_ns),
        ("discriminator", event.discriminator),
        ("labels", labels),
    )
    if event.error is not None:  # any error, even an empty one, marks a failed run
        doc["error"] = event.error
    return _with(doc, ("extra", _object(event.extra)))


def events_document(events: Iterable[ExecutionEvent]) -> list[JsonValue]:
    """An execution event batch (a JSON array)."""
    return [event_document(event) for event in events]
