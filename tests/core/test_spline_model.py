"""The Spline payload model: what it accepts from each API version, how it names what is wrong."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from lineage.spline import (
    ApiVersion,
    AttrRef,
    DanglingReferenceError,
    DuplicateIdError,
    ExprRef,
    InvalidValueError,
    MalformedJsonError,
    MissingFieldError,
    PayloadError,
    UnsupportedContentTypeError,
    WrongTypeError,
    api_version_from_content_type,
    content_type_for,
    find_refs,
    load_execution_events,
    load_execution_plan,
    parse_execution_events,
    parse_execution_plan,
)

pytestmark = pytest.mark.unit

SAMPLES = Path(__file__).resolve().parents[1] / "events" / "producer"
PLAN_V12 = "plan-v1.2-orders-daily.json"
PLAN_V11 = "plan-v1.1-customer-orders.json"
PLAN_V1 = "plan-v1-raw-to-curated.json"


def sample(name: str) -> Any:
    """A decoded sample payload (a fresh copy each call, so tests may mutate it)."""
    return json.loads((SAMPLES / name).read_text())


def test_v12_plan_structure() -> None:
    plan = load_execution_plan((SAMPLES / PLAN_V12).read_bytes(), ApiVersion.V1_2)
    assert plan.id == "5b0e1c74-8f0e-5b8a-9a45-1d2c3e4f5a6b"
    assert plan.api_version is ApiVersion.V1_2
    assert plan.app_name == "orders_daily_totals"
    assert plan.operations.write.output_source == "s3://acme-lake/curated/orders_daily"
    assert plan.operations.write.append is False
    assert plan.operations.write.child_ids == ("op-1",)
    assert [r.input_sources for r in plan.operations.reads] == [
        ("s3://acme-lake/raw/orders/part-00000.csv",)
    ]
    assert [o.name for o in plan.operations.other] == ["Aggregate", "Project", "Filter"]
    assert plan.attribute_by_id["attr-6"].child_refs == (ExprRef("expr-3"),)
    assert plan.expression_by_id["expr-5"].child_refs == (AttrRef("attr-1"),)  # type: ignore[union-attr]
    assert plan.expression_by_id["expr-7"].value == "COMPLETE"  # type: ignore[union-attr]
    assert plan.system_info.version == "3.5.4"
    assert plan.agent_info is not None and plan.agent_info.name == "spline"
    assert plan.describe_data_type(plan.attribute_by_id["attr-4"].data_type_id) == "date"
    assert plan.data_sources == (
        "s3://acme-lake/raw/orders/part-00000.csv",
        "s3://acme-lake/curated/orders_daily",
    )


def test_v11_plan_join_and_array_type() -> None:
    plan = parse_execution_plan(sample(PLAN_V11), ApiVersion.V1_1)
    assert plan.operations.write.append is True
    join = plan.operation_by_id["op-2"]
    assert join.child_ids == ("op-3", "op-4")
    assert plan.describe_data_type(plan.attribute_by_id["attr-3"].data_type_id) == "array<string>"
    assert plan.labels == {}


def test_v1_plan_maps_integer_ids_names_and_attributes() -> None:
    plan = parse_execution_plan(sample(PLAN_V1), ApiVersion.V1)
    assert [op.id for op in plan.operations.all] == ["op-2", "op-1", "op-0"]
    assert plan.operations.write.child_ids == ("op-1",)
    assert plan.operations.write.name == "InsertIntoHadoopFsRelationCommand"
    assert plan.operation_by_id["op-1"].output == ("attr-2", "attr-1")
    assert [a.name for a in plan.attributes] == ["type", "ts", "event_type"]
    assert plan.app_name == "raw_to_curated_events"
    assert plan.expressions.functions == ()


def test_events_of_each_version() -> None:
    (v12,) = load_execution_events(
        (SAMPLES / "events-v1.2-orders-daily.json").read_bytes(), ApiVersion.V1_2
    )
    assert (v12.timestamp, v12.duration_ns, v12.failed) == (1763780400123, 4812000000, False)
    assert v12.app_id == "spark-application-1763780395000"
    assert v12.write_metrics["numOutputRows"] == 31
    (failed,) = parse_execution_events(sample("events-v1.2-failed.json"), ApiVersion.V1_2)
    assert failed.failed and failed.duration_ns is None
    (v1,) = parse_execution_events(sample("events-v1-raw-to-curated.json"), ApiVersion.V1)
    assert v1.duration_ns == 1200000000


@pytest.mark.parametrize(
    ("content_type", "version"),
    [
        ("application/json", ApiVersion.V1),
        ("application/json; charset=UTF-8", ApiVersion.V1),
        ("application/vnd.absa.spline.producer.v1.1+json", ApiVersion.V1_1),
        ("Application/VND.absa.spline.producer.v1.2+json;charset=utf-8", ApiVersion.V1_2),
    ],
)
def test_version_from_content_type(content_type: str, version: ApiVersion) -> None:
    assert api_version_from_content_type(content_type) is version
    assert api_version_from_content_type(content_type_for(version)) is version


@pytest.mark.parametrize("content_type", [None, "", "text/plain", "application/xml"])
def test_unsupported_content_type(content_type: str | None) -> None:
    with pytest.raises(UnsupportedContentTypeError, match="expected one of"):
        api_version_from_content_type(content_type)


def test_extra_fields_are_ignored() -> None:
    doc = sample(PLAN_V12)
    doc["futureField"] = {"x": 1}
    doc["operations"]["write"]["futureOpField"] = [1, 2]
    doc["attributes"][0]["futureAttrField"] = True
    doc["labels"] = {"team": ["finance"]}
    plan = parse_execution_plan(doc, ApiVersion.V1_2)
    assert plan.labels == {"team": ("finance",)}


def test_big_integer_literal_is_not_malformed() -> None:
    doc = sample(PLAN_V12)
    body = json.dumps(doc).replace('"value": "COMPLETE"', '"value": 123456789012345678901234567890')
    plan = load_execution_plan(body.encode(), ApiVersion.V1_2)
    # Accepted (not "malformed"); the parsed value is approximate, the raw bytes stay exact.
    assert plan.expression_by_id["expr-7"].value == pytest.approx(1.2345678901234568e29)  # type: ignore[union-attr]


def _mutated(mutate: Any) -> Any:
    doc = sample(PLAN_V12)
    mutate(doc)
    return doc


BROKEN_PLANS = [
    (
        "write is an array",
        lambda d: d["operations"].update(write=[d["operations"]["write"]]),
        WrongTypeError,
        "$.operations.write",
    ),
    ("no write", lambda d: d["operations"].pop("write"), MissingFieldError, "$.operations.write"),
    ("no operations", lambda d: d.pop("operations"), MissingFieldError, "$.operations"),
    ("no id", lambda d: d.pop("id"), MissingFieldError, "$.id"),
    ("id not uuid", lambda d: d.update(id="../../etc/passwd"), InvalidValueError, "$.id"),
    (
        "append not bool",
        lambda d: d["operations"]["write"].update(append="false"),
        WrongTypeError,
        "$.operations.write.append",
    ),
    (
        "read without inputSources",
        lambda d: d["operations"]["reads"][0].pop("inputSources"),
        MissingFieldError,
        "$.operations.reads[0].inputSources",
    ),
    (
        "dangling child",
        lambda d: d["operations"]["other"][1].update(childIds=["op-9"]),
        DanglingReferenceError,
        "$.operations.other[1].childIds[0]",
    ),
    (
        "dangling output",
        lambda d: d["operations"]["other"][0]["output"].append("attr-99"),
        DanglingReferenceError,
        "$.operations.other[0].output[2]",
    ),
    (
        "dangling attr ref",
        lambda d: d["attributes"][4].update(childRefs=[{"__attrId": "attr-42"}]),
        DanglingReferenceError,
        "$.attributes[4].childRefs[0].__attrId",
    ),
    (
        "dangling expr ref",
        lambda d: d["expressions"]["functions"][0].update(childRefs=[{"__exprId": "expr-42"}]),
        DanglingReferenceError,
        "$.expressions.functions[0].childRefs[0].__exprId",
    ),
    (
        "ref with two keys",
        lambda d: d["attributes"][4].update(
            childRefs=[{"__attrId": "attr-1", "__exprId": "expr-1"}]
        ),
        InvalidValueError,
        "$.attributes[4].childRefs[0]",
    ),
    (
        "duplicate operation id",
        lambda d: d["operations"]["other"][2].update(id="op-1"),
        DuplicateIdError,
        "$.operations.other[2].id",
    ),
    (
        "duplicate attribute id",
        lambda d: d["attributes"][1].update(id="attr-0"),
        DuplicateIdError,
        "$.attributes[1].id",
    ),
    (
        "duplicate expression id",
        lambda d: d["expressions"]["constants"][0].update(id="expr-0"),
        DuplicateIdError,
        "$.expressions.constants[0].id",
    ),
    (
        "cycle",
        lambda d: d["operations"]["other"][2].update(childIds=["op-1"]),
        InvalidValueError,
        "$.operations",
    ),
    ("systemInfo missing", lambda d: d.pop("systemInfo"), MissingFieldError, "$.systemInfo"),
    (
        "literal without value",
        lambda d: d["expressions"]["constants"][0].pop("value"),
        MissingFieldError,
        "$.expressions.constants[0].value",
    ),
    (
        "odd key",
        lambda d: d["extraInfo"].update({"x y": 1}) or d.update(extraInfo=[]),
        WrongTypeError,
        "$.extraInfo",
    ),
]


@pytest.mark.parametrize(
    ("mutate", "error", "path"),
    [case[1:] for case in BROKEN_PLANS],
    ids=[case[0] for case in BROKEN_PLANS],
)
def test_broken_plan_names_the_path(mutate: Any, error: type[PayloadError], path: str) -> None:
    with pytest.raises(error) as caught:
        parse_execution_plan(_mutated(mutate), ApiVersion.V1_2)
    assert caught.value.path == path
    assert str(caught.value).startswith(f"{path}: ")


def test_path_quotes_keys_that_are_not_identifiers() -> None:
    doc = sample(PLAN_V12)
    doc["labels"] = {"cost center": "not-an-array"}
    with pytest.raises(WrongTypeError) as caught:
        parse_execution_plan(doc, ApiVersion.V1_2)
    assert caught.value.path == '$.labels["cost center"]'


@pytest.mark.parametrize(
    ("body", "message"),
    [(b"{not json", "malformed JSON"), (b"\xff\xfe{}", "not UTF-8"), (b"", "malformed JSON")],
)
def test_malformed_json(body: bytes, message: str) -> None:
    with pytest.raises(MalformedJsonError, match=message) as caught:
        load_execution_plan(body, ApiVersion.V1_2)
    assert caught.value.path == "$"


def test_plan_posted_as_events_and_events_as_plan() -> None:
    with pytest.raises(WrongTypeError, match=r"^\$: expected an array of execution events"):
        parse_execution_events(sample(PLAN_V12), ApiVersion.V1_2)
    with pytest.raises(WrongTypeError, match=r"^\$: expected an execution plan"):
        parse_execution_plan(sample("events-v1.2-orders-daily.json"), ApiVersion.V1_2)


@pytest.mark.parametrize(
    ("mutate", "error", "path"),
    [
        (lambda e: e.pop("planId"), MissingFieldError, "$[0].planId"),
        (lambda e: e.update(timestamp="yesterday"), WrongTypeError, "$[0].timestamp"),
        (lambda e: e.update(timestamp=True), WrongTypeError, "$[0].timestamp"),
        (lambda e: e.update(durationNs=-1), InvalidValueError, "$[0].durationNs"),
        (lambda e: e.update(planId="plan-1"), InvalidValueError, "$[0].planId"),
    ],
)
def test_broken_event_names_the_path(mutate: Any, error: type[PayloadError], path: str) -> None:
    doc = sample("events-v1.2-orders-daily.json")
    mutate(doc[0])
    with pytest.raises(error) as caught:
        parse_execution_events(doc, ApiVersion.V1_2)
    assert caught.value.path == path


def test_find_refs_walks_nested_params() -> None:
    plan = parse_execution_plan(sample(PLAN_V12), ApiVersion.V1_2)
    aggregate = plan.operation_by_id["op-1"]
    assert list(find_refs(copy.deepcopy(dict(aggregate.params)))) == [
        AttrRef("attr-4"),
        AttrRef("attr-4"),
        ExprRef("expr-3"),
    ]


RECORDED = Path(__file__).resolve().parents[1] / "events" / "spline"


@pytest.mark.parametrize(
    "path", sorted(RECORDED.glob("*.plan.json")), ids=lambda p: p.name.removesuffix(".plan.json")
)
def test_recorded_spark_plans_are_accepted(path: Path) -> None:
    plan = load_execution_plan(path.read_bytes(), ApiVersion.V1_2)
    assert plan.operations.write.output_source
    assert plan.operations.reads, "every recorded job reads something"
    for attribute in plan.attributes:
        assert plan.describe_data_type(attribute.data_type_id), attribute


@pytest.mark.parametrize(
    "path",
    sorted(RECORDED.glob("*.events.json")),
    ids=lambda p: p.name.removesuffix(".events.json"),
)
def test_recorded_spark_events_are_accepted(path: Path) -> None:
    (event,) = load_execution_events(path.read_bytes(), ApiVersion.V1_2)
    assert event.failed == ("failed" in path.name)
    assert (event.duration_ns is None) == event.failed
