"""Writing the Spline model back out: the same bytes the agent sent, and parse/encode agree.

The recorded real-agent payloads are the reference for the layout (key order, what is left out
when empty); generated plans from the benchmark's plan shapes check that what the model builds,
the parser reads back as the same plan.
"""

from __future__ import annotations

import random
from pathlib import Path

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lineage import limits
from lineage import spline as sm
from lineage.column_lineage import trace_columns
from lineage_bench import plan_shapes
from lineage_bench.plan_builder import Col, PlanBuilder

pytestmark = pytest.mark.unit

RECORDED = Path(__file__).resolve().parents[1] / "events" / "spline"
PLANS = sorted(RECORDED.glob("*.plan.json"))
EVENTS = sorted(RECORDED.glob("*.events.json"))
PLAN_ID = "0b6c3c44-5a8e-4c1e-8f59-2d7e6a9b1c3d"


def test_recorded_fixtures_are_there() -> None:
    assert len(PLANS) >= 20 and len(EVENTS) >= 20


@pytest.mark.parametrize("path", PLANS, ids=lambda p: p.name)
def test_a_recorded_plan_is_written_back_byte_for_byte(path: Path) -> None:
    body = path.read_bytes()
    expected = orjson.loads(body)
    # The one deliberate difference: `expressions` always lists `functions` (see encode.py).
    if expected["expressions"] == {}:
        expected["expressions"] = {"functions": []}
    plan = sm.load_execution_plan(body, sm.ApiVersion.V1_2)
    assert orjson.dumps(sm.plan_document(plan)) == orjson.dumps(expected)


@pytest.mark.parametrize("path", EVENTS, ids=lambda p: p.name)
def test_a_recorded_event_batch_is_written_back_byte_for_byte(path: Path) -> None:
    body = path.read_bytes()
    events = sm.load_execution_events(body, sm.ApiVersion.V1_2)
    assert orjson.dumps(sm.events_document(events)) == orjson.dumps(orjson.loads(body))


def test_a_v1_payload_is_not_written() -> None:
    write = sm.WriteOperation("op-0", "s3://lake/out", False, ())
    plan = sm.ExecutionPlan(
        PLAN_ID, sm.ApiVersion.V1, sm.Operations(write), sm.NameAndVersion("spark", "2.4.8")
    )
    with pytest.raises(sm.EncodeError, match=PLAN_ID):
        sm.plan_document(plan)
    with pytest.raises(sm.EncodeError, match="v1"):
        sm.event_document(sm.ExecutionEvent(PLAN_ID, 1, sm.ApiVersion.V1))


_NAMES = ("order_id", "amount", "country", "order_date", "is_paid", "qty", "created_at", "note")
_TYPES = ("string", "bigint", "int", "double", "decimal(10,2)", "date", "timestamp", "boolean")


@st.composite
def _datasets(draw: st.DrawFn, uri: str) -> plan_shapes.Dataset:
    names = draw(st.lists(st.sampled_from(_NAMES), min_size=1, max_size=len(_NAMES), unique=True))
    schema = tuple(Col(n, draw(st.sampled_from(_TYPES))) for n in names)
    return plan_shapes.Dataset(
        uri, draw(st.sampled_from(("csv", "json", "parquet"))), "raw", schema
    )


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    shape=st.sampled_from(("ingest", "append", "enrich", "aggregate")),
    left=_datasets("s3://lake/raw/left"),
    right=_datasets("s3://lake/raw/right"),
    seed=st.integers(0, 2**32 - 1),
    append=st.booleans(),
)
def test_a_built_plan_parses_back_to_what_was_built(
    shape: str, left: plan_shapes.Dataset, right: plan_shapes.Dataset, seed: int, append: bool
) -> None:
    b, rng = PlanBuilder(), random.Random(seed)
    if shape == "enrich":
        top, schema = plan_shapes.enrich(b, rng, left, [right])
    else:
        top, schema = getattr(plan_shapes, shape)(b, rng, left)
    built = b.build(
        plan_id=PLAN_ID,
        app_name=f"{shape}_job",
        top=top,
        write_uri="s3://lake/curated/out",
        write_format="parquet",
        append=append,
    )
    body = orjson.dumps(sm.plan_document(built))
    parsed = sm.load_execution_plan(body, sm.ApiVersion.V1_2)  # references checked too
    assert sm.plan_document(parsed) == sm.plan_document(built)
    assert parsed.operations == built.operations
    assert parsed.attributes == built.attributes
    assert parsed.expressions == built.expressions
    assert parsed.data_types == built.data_types
    # The walk reads the built model and the parsed one alike, and finds every written column.
    lineage = trace_columns(built)
    assert lineage == trace_columns(parsed)
    assert [name for name, _ in lineage.written] == [c.name for c in schema]


@settings(max_examples=60, deadline=None)
@given(
    version=st.sampled_from((sm.ApiVersion.V1_1, sm.ApiVersion.V1_2)),
    timestamp=st.integers(limits.MIN_TIMESTAMP_MS, limits.MAX_TIMESTAMP_MS),
    duration=st.none() | st.integers(0, limits.MAX_DURATION_NS),
    error=st.none() | st.text(max_size=20) | st.just({}),
    labels=st.dictionaries(
        st.text(min_size=1, max_size=5), st.lists(st.text(min_size=1, max_size=5)), max_size=2
    ),
)
def test_an_event_is_written_and_read_back_alike(
    version: sm.ApiVersion,
    timestamp: int,
    duration: int | None,
    error: sm.JsonValue,
    labels: dict[str, list[str]],
) -> None:
    event = sm.ExecutionEvent(
        PLAN_ID,
        timestamp,
        version,
        duration_ns=duration,
        labels={k: tuple(v) for k, v in labels.items()} if version is sm.ApiVersion.V1_2 else {},
        error=error,
        extra={"appId": "spark-application-1"},
    )
    body = orjson.dumps(sm.events_document([event]))
    (parsed,) = sm.load_execution_events(body, version)
    assert parsed == event
    assert parsed.failed is (error is not None)
