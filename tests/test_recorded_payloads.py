"""Column lineage and graph rows on payloads recorded from real Spark jobs (tests/events/spline)."""

from __future__ import annotations

from pathlib import Path

import pytest

from lineage import spline_model as sm
from lineage.column_lineage import trace_columns
from lineage.dataset_identity import LayerRules
from lineage.graph_schema import DatasetVertex, EdgeRow, RunVertex, VertexRow
from lineage.plan_graph import RawSource, plan_graph, plan_structure, run_rows

pytestmark = pytest.mark.unit

RECORDED = Path(__file__).resolve().parent / "events" / "spline"
PLANS = sorted(p.name for p in RECORDED.glob("*.plan.json"))
LAKE = "file:///tmp/lineage-example-lake"


def _plan(name: str) -> sm.ExecutionPlan:
    return sm.load_execution_plan((RECORDED / name).read_bytes(), sm.ApiVersion.V1_2)


def _lineage(name: str) -> set[tuple[str, str, str]]:
    lineage = trace_columns(plan_structure(_plan(name)))
    return {(d.target, d.source.name, d.kind.label) for d in lineage.derivations}


def test_recorded_fixtures_are_present() -> None:
    assert len(PLANS) >= 7


@pytest.mark.parametrize("name", PLANS)
def test_every_recorded_plan_becomes_a_consistent_graph(name: str) -> None:
    rows = plan_graph(_plan(name), RawSource(name, "0" * 64), LayerRules.default()).rows
    vertex_ids = {r.id for r in rows if isinstance(r, VertexRow)}
    for edge in (r for r in rows if isinstance(r, EdgeRow)):
        assert edge.from_id in vertex_ids and edge.to_id in vertex_ids, edge
    datasets = [r for r in rows if isinstance(r, DatasetVertex)]
    assert all(d.uri.startswith(LAKE + "/") for d in datasets)
    assert all(d.layer in ("raw", "curated", "aggregated", "reference") for d in datasets)


def test_aggregate_sales_aggregates_and_passes_keys_through() -> None:
    found = _lineage("aggregate_sales.plan.json")
    assert ("revenue", "line_total", "aggregate") in found
    assert ("orders", "order_id", "aggregate") in found
    assert ("avg_order_value", "line_total", "aggregate") in found
    assert ("country", "country", "direct") in found
    assert ("month", "order_date", "expression") in found


def test_aggregate_expression_text_drops_spark_wrappers() -> None:
    lineage = trace_columns(plan_structure(_plan("aggregate_sales.plan.json")))
    texts = {d.target: d.expression for d in lineage.derivations}
    assert texts["revenue"] == "sum(line_total)"
    assert texts["avg_order_value"] == "round(avg(line_total), 2)"


def test_ingest_orders_derives_line_total_from_two_columns_and_filters_are_uses() -> None:
    found = _lineage("ingest_orders.plan.json")
    assert ("line_total", "quantity", "expression") in found
    assert ("line_total", "amount", "expression") in found
    assert ("order_id", "order_id", "cast") in found
    lineage = trace_columns(plan_structure(_plan("ingest_orders.plan.json")))
    assert {(u.role, u.source.name) for u in lineage.uses} == {
        ("filter", "quantity"),
        ("filter", "amount"),
    }


def test_enrich_orders_join_keys_are_uses_not_derivations() -> None:
    lineage = trace_columns(plan_structure(_plan("enrich_orders.plan.json")))
    used = {u.source.name for u in lineage.uses if u.role == "join"}
    assert used == {"customer_id", "country_code"}
    assert ("country", "country_name", "expression") in {
        (d.target, d.source.name, d.kind.label) for d in lineage.derivations
    }
    assert not any(d.source.name == "country_code" for d in lineage.derivations)


def test_rerun_resends_the_same_plan_id() -> None:
    assert _plan("ingest_orders.plan.json").id == _plan("ingest_orders_rerun.plan.json").id


def test_failed_run_is_recorded_with_its_error() -> None:
    plan = _plan("ingest_payments_strict_failed.plan.json")
    graph = plan_graph(plan, RawSource("p", "0" * 64), LayerRules.default())
    body = (RECORDED / "ingest_payments_strict_failed.events.json").read_bytes()
    (event,) = sm.load_execution_events(body, sm.ApiVersion.V1_2)
    run = run_rows(plan.id, graph.job, event, RawSource("e", "1" * 64), plan.app_name)[0]
    assert isinstance(run, RunVertex)
    assert run.status == "FAILED" and run.error
    assert run.duration_ms is None and run.started_at == run.ended_at
