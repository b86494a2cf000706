"""Column lineage and graph rows on the real Spline agent's recorded payloads (tests/events/spline).

The full hand-written expectations per write are checked through the producer and the normalize
job in test_recorded_lineage.py; these are the quick checks on the core alone.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lineage import spline as sm
from lineage.column_lineage import trace_columns
from lineage.dataset_identity import LayerRules
from lineage.graph_schema import DatasetVertex, EdgeRow, RunVertex, VertexRow
from lineage.plan_graph import RawSource, plan_graph, run_rows

pytestmark = pytest.mark.unit

RECORDED = Path(__file__).resolve().parents[1] / "events" / "spline"
PLANS = sorted(p.name for p in RECORDED.glob("*.plan.json"))
LAKE = "file:///tmp/lineage-example-lake"
# The layer of each top folder the recorded jobs use, by the default rules (by hand).
LAYERS = {
    "raw": "raw",
    "curated": "curated",
    "aggregated": "aggregated",
    "reference": "reference",
    "export": "unknown",
    "warehouse": "unknown",
}


def _plan(name: str) -> sm.ExecutionPlan:
    return sm.load_execution_plan((RECORDED / name).read_bytes(), sm.ApiVersion.V1_2)


def _lineage(name: str) -> set[tuple[str, str, str]]:
    lineage = trace_columns(_plan(name))
    return {(d.target, d.source.name, d.kind.label) for d in lineage.derivations}


def test_recorded_fixtures_are_present() -> None:
    assert len(PLANS) >= 20


@pytest.mark.parametrize("name", PLANS)
def test_every_recorded_plan_becomes_a_consistent_graph(name: str) -> None:
    rows = plan_graph(_plan(name), RawSource(name, "0" * 64), LayerRules.default()).rows
    vertex_ids = {r.id for r in rows if isinstance(r, VertexRow)}
    for edge in (r for r in rows if isinstance(r, EdgeRow)):
        assert edge.from_id in vertex_ids and edge.to_id in vertex_ids, edge
    datasets = [r for r in rows if isinstance(r, DatasetVertex)]
    assert all(d.uri.startswith(LAKE + "/") for d in datasets)
    for dataset in datasets:
        top = dataset.uri.removeprefix(LAKE + "/").split("/")[0]
        assert dataset.layer == LAYERS[top], dataset


def test_aggregate_sales_aggregates_and_passes_keys_through() -> None:
    found = _lineage("aggregate_sales.plan.json")
    assert ("revenue", "line_total", "aggregate") in found
    assert ("orders", "order_id", "aggregate") in found
    assert ("avg_order_value", "line_total", "aggregate") in found
    assert ("country", "country", "direct") in found
    assert ("month", "order_date", "expression") in found


def test_aggregate_expression_text_drops_spark_wrappers() -> None:
    lineage = trace_columns(_plan("aggregate_sales.plan.json"))
    texts = {d.target: d.expression for d in lineage.derivations}
    assert texts["revenue"] == "sum(line_total)"
    assert texts["avg_order_value"] == "round(avg(line_total), 2)"


def test_ingest_orders_derives_line_total_from_two_columns_and_filters_are_uses() -> None:
    found = _lineage("ingest_orders.plan.json")
    assert ("line_total", "quantity", "expression") in found
    assert ("line_total", "amount", "expression") in found
    assert ("order_id", "order_id", "cast") in found
    lineage = trace_columns(_plan("ingest_orders.plan.json"))
    assert {(u.role, u.source.name) for u in lineage.uses} == {
        ("filter", "quantity"),
        ("filter", "amount"),
    }


def test_enrich_orders_join_keys_are_uses_not_derivations() -> None:
    lineage = trace_columns(_plan("enrich_orders.plan.json"))
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


def test_cte_columns_come_from_the_cte_definition() -> None:
    # A CTE reference gets fresh attribute ids and no children; they map to the definition.
    found = _lineage("big_orders_report.plan.json")
    assert ("big_revenue", "line_total", "aggregate") in found
    assert ("largest_order", "line_total", "aggregate") in found
    lineage = trace_columns(_plan("big_orders_report.plan.json"))
    assert ("join", "customer_id") in {(u.role, u.source.name) for u in lineage.uses}


@pytest.mark.parametrize("cte_id", [[0], {"id": 0}, None, 7])
def test_unusable_cte_ids_leave_the_reference_unlinked(cte_id: object) -> None:
    doc = json.loads((RECORDED / "big_orders_report.plan.json").read_bytes())
    for op in doc["operations"]["other"]:
        if op["name"] == "CTERelationRef":
            op["params"]["cteId"] = cte_id
    plan = sm.load_execution_plan(json.dumps(doc).encode(), sm.ApiVersion.V1_2)
    found = {(d.target, d.source.name) for d in trace_columns(plan).derivations}
    assert ("big_revenue", "line_total") not in found  # no link, and no crash
    assert ("country_code", "country_code") in found


def test_union_branches_pass_through_and_casts_stay_casts() -> None:
    found = _lineage("incoming_orders_union.plan.json")
    assert {k for t, _, k in found if t == "customer_id"} == {"direct"}
    assert {k for t, _, k in found if t in ("order_id", "amount")} == {"cast"}
    assert len({(t, s) for t, s, _ in found if t == "customer_id"}) == 1  # same name, two reads
    lineage = trace_columns(_plan("incoming_orders_union.plan.json"))
    reads = {d.source.read_op_id for d in lineage.derivations if d.target == "customer_id"}
    assert len(reads) == 2  # one source per union branch


def test_window_keys_are_not_sources_of_window_results() -> None:
    found = _lineage("customer_order_history.plan.json")
    assert {(s, k) for t, s, k in found if t == "running_total"} == {("line_total", "aggregate")}
    assert {(s, k) for t, s, k in found if t == "previous_order_date"} == {
        ("order_date", "expression")
    }
    assert not [f for f in found if f[0] == "order_seq"]  # row_number() reads no column
