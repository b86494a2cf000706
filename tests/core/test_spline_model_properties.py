"""Property-based tests of the payload validators (hypothesis).

Generated plans are valid by construction (a DAG of operations, attributes, expressions and
references) with random extra fields sprinkled in; the properties say every such plan is
accepted in each API version, that deleting or retyping any required field is reported at
exactly that JSON path, and that no JSON at all makes the parsers fail other than with a
`PayloadError`.
"""

from __future__ import annotations

import copy
import uuid
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lineage.limits import MAX_TIMESTAMP_MS
from lineage.spline import (
    ApiVersion,
    InvalidValueError,
    MissingFieldError,
    PayloadError,
    WrongTypeError,
    parse_execution_events,
    parse_execution_plan,
)

pytestmark = pytest.mark.unit

PROPERTY_SETTINGS = settings(
    max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)

KNOWN_KEYS = {
    "id", "name", "operations", "write", "reads", "other", "childIds", "output", "schema",
    "params", "extra", "outputSource", "append", "inputSources", "attributes", "expressions",
    "functions", "constants", "childRefs", "dataType", "value", "systemInfo", "agentInfo",
    "extraInfo", "version", "labels", "discriminator", "planId", "timestamp", "durationNs",
    "error", "appName", "dataTypes", "dataTypeId", "__attrId", "__exprId",
}  # fmt: skip
extra_keys = st.text(alphabet="abcdefghijklmnopqrstuvwxyz_", min_size=1, max_size=8).filter(
    lambda k: k not in KNOWN_KEYS
)
json_scalars = st.none() | st.booleans() | st.integers(-(2**53), 2**53) | st.text(max_size=10)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(extra_keys, inner, max_size=3),
    max_leaves=8,
)


@st.composite
def plans(draw: st.DrawFn, version: ApiVersion) -> tuple[dict[str, Any], list[tuple[Any, ...]]]:
    """A valid plan document of `version` and the key paths of its required fields."""
    v1 = version is ApiVersion.V1
    n_reads = draw(st.integers(1, 3))
    n_other = draw(st.integers(0, 5))
    n_attrs = draw(st.integers(1, 6))
    attr_ids = [f"attr-{i}" for i in range(n_attrs)]

    def op_id(i: int) -> Any:
        return i if v1 else f"op-{i}"

    def outputs() -> list[str]:
        return draw(st.lists(st.sampled_from(attr_ids), max_size=3, unique=True))

    def extras(obj: dict[str, Any]) -> dict[str, Any]:
        obj.update(draw(st.dictionaries(extra_keys, json_values, max_size=2)))
        return obj

    output_key = "schema" if v1 else "output"
    # Ids 1..n_reads are reads, then the others; op-0 is the write. Each operation consumes
    # only operations with a larger index, so the graph is acyclic by construction.
    reads = [
        extras(
            {
                "id": op_id(1 + i),
                "inputSources": draw(st.lists(st.just(f"s3://lake/raw/t{i}"), min_size=1)),
                output_key: outputs(),
            }
        )
        for i in range(n_reads)
    ]
    other = []
    for j in range(n_other):
        index = 1 + n_reads + j
        candidates = list(range(1, n_reads + 1)) + list(range(index + 1, 1 + n_reads + n_other))
        children = draw(st.lists(st.sampled_from(candidates), min_size=1, max_size=2, unique=True))
        other.append(
            extras({"id": op_id(index), "childIds": [op_id(c) for c in children], output_key: []})
        )
    write_child = 1 + n_reads if n_other else 1
    write = extras(
        {
            "id": op_id(0),
            "outputSource": "s3://lake/curated/out",
            "append": draw(st.booleans()),
            "childIds": [op_id(write_child)],
        }
    )
    doc: dict[str, Any] = {
        "id": str(uuid.UUID(int=draw(st.integers(0, 2**128 - 1)))),
        "operations": {"write": write, "reads": reads, "other": other},
        "systemInfo": {"name": "spark", "version": "3.5.4"},
    }
    required: list[tuple[Any, ...]] = [
        ("id",),
        ("operations",),
        ("operations", "write"),
        ("operations", "write", "id"),
        ("operations", "write", "outputSource"),
        ("operations", "write", "append"),
        ("operations", "write", "childIds"),
        ("systemInfo",),
        ("systemInfo", "name"),
        ("systemInfo", "version"),
    ]
    required += [("operations", "reads", i, "inputSources") for i in range(n_reads)]
    required += [("operations", "reads", i, "id") for i in range(n_reads)]
    required += [("operations", "other", j, "id") for j in range(n_other)]
    if v1:
        doc["extraInfo"] = {
            "appName": "job",
            "attributes": [{"id": a, "name": f"c{a}", "dataTypeId": "t"} for a in attr_ids],
        }
        required += [("extraInfo", "attributes", i, "name") for i in range(n_attrs)]
    else:
        n_funcs = draw(st.integers(0, 4))
        functions = []
        for k in range(n_funcs):
            refs = [{"__attrId": a} for a in draw(st.lists(st.sampled_from(attr_ids), max_size=2))]
            refs += [{"__exprId": f"expr-{m}"} for m in range(k + 1, n_funcs)][:1]
            functions.append(extras({"id": f"expr-{k}", "name": "f", "childRefs": refs}))
        doc["attributes"] = [
            extras(
                {
                    "id": a,
                    "name": f"c{a}",
                    "childRefs": [{"__exprId": "expr-0"}] if n_funcs and i == n_attrs - 1 else [],
                }
            )
            for i, a in enumerate(attr_ids)
        ]
        doc["expressions"] = {"functions": functions, "constants": [{"id": "lit-0", "value": None}]}
        doc["name"] = "job"
        required += [("attributes", i, "name") for i in range(n_attrs)]
        required += [("expressions", "functions", k, "name") for k in range(n_funcs)]
        required += [("expressions", "constants", 0, "value")]
    extras(doc)
    return doc, required


def json_path(keys: tuple[Any, ...]) -> str:
    return "$" + "".join(f"[{k}]" if isinstance(k, int) else f".{k}" for k in keys)


def parent_of(doc: dict[str, Any], keys: tuple[Any, ...]) -> Any:
    node: Any = doc
    for key in keys[:-1]:
        node = node[key]
    return node


versions = st.sampled_from(list(ApiVersion))


@PROPERTY_SETTINGS
@given(data=st.data(), version=versions)
def test_every_generated_plan_is_accepted(data: st.DataObject, version: ApiVersion) -> None:
    doc, _ = data.draw(plans(version))
    plan = parse_execution_plan(doc, version)
    assert plan.id == doc["id"]
    assert len(plan.operations.all) == 1 + len(doc["operations"]["reads"]) + len(
        doc["operations"]["other"]
    )
    assert plan.operations.write.append is doc["operations"]["write"]["append"]
    assert {op.id for op in plan.operations.all} == {
        f"op-{i}" for i in range(len(plan.operation_by_id))
    }


@PROPERTY_SETTINGS
@given(data=st.data(), version=versions)
def test_a_deleted_required_field_is_named(data: st.DataObject, version: ApiVersion) -> None:
    doc, required = data.draw(plans(version))
    keys = data.draw(st.sampled_from(required))
    broken = copy.deepcopy(doc)
    del parent_of(broken, keys)[keys[-1]]
    with pytest.raises(MissingFieldError) as caught:
        parse_execution_plan(broken, version)
    assert caught.value.path == json_path(keys)


@PROPERTY_SETTINGS
@given(data=st.data(), version=versions)
def test_a_retyped_required_field_is_named(data: st.DataObject, version: ApiVersion) -> None:
    doc, required = data.draw(plans(version))
    keys = data.draw(st.sampled_from([k for k in required if k[-1] != "value"]))
    broken = copy.deepcopy(doc)
    original = parent_of(broken, keys)[keys[-1]]
    # A value of another JSON type (dict -> list, str -> number, ...); null counts as missing.
    replacement = [1] if isinstance(original, dict) else {"x": 1}
    parent_of(broken, keys)[keys[-1]] = replacement
    with pytest.raises((WrongTypeError, InvalidValueError)) as caught:
        parse_execution_plan(broken, version)
    assert caught.value.path == json_path(keys)


@settings(max_examples=150, deadline=None)
@given(doc=json_values, version=versions)
def test_any_json_is_accepted_or_refused_with_a_payload_error(
    doc: Any, version: ApiVersion
) -> None:
    for parse in (parse_execution_plan, parse_execution_events):
        try:
            parse(doc, version)
        except PayloadError as exc:
            assert exc.path.startswith("$")


@PROPERTY_SETTINGS
@given(
    version=versions,
    timestamps=st.lists(st.integers(0, MAX_TIMESTAMP_MS), min_size=1, max_size=4),
    extra=st.dictionaries(extra_keys, json_values, max_size=3),
)
def test_event_batches(version: ApiVersion, timestamps: list[int], extra: dict[str, Any]) -> None:
    plan_id = str(uuid.uuid4())
    doc = [{"planId": plan_id, "timestamp": t, "extra": extra, **extra} for t in timestamps]
    events = parse_execution_events(doc, version)
    assert [e.timestamp for e in events] == timestamps
    assert {e.plan_id for e in events} == {plan_id}
    bad_index = len(doc) - 1
    del doc[bad_index]["timestamp"]
    with pytest.raises(MissingFieldError) as caught:
        parse_execution_events(doc, version)
    assert caught.value.path == f"$[{bad_index}].timestamp"
