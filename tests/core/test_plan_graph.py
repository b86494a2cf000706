"""One plan and its events -> graph rows: ids, cross-job column lineage, runs."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from normalize_fixtures import REPORT_PLAN, SALES_PLAN, events, plan

from lineage.dataset_identity import DatasetIdentityError, LayerRules
from lineage.graph_csv import csv_line
from lineage.graph_schema import (
    ColumnVertex,
    DatasetVertex,
    DerivesFromEdge,
    EdgeRow,
    FollowsEdge,
    OperationVertex,
    RunVertex,
    VertexRow,
    h,
)
from lineage.plan_graph import RawSource, plan_graph, run_rows

pytestmark = pytest.mark.unit

RULES = LayerRules.default()
SOURCE = RawSource("plans/2025-11-22/x.json", "0" * 64)


def test_h_is_sha256_prefix() -> None:
    # Known SHA-256 of "abc": ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad
    assert h("abc") == "ba7816bf8f01cfea4141"


def test_written_column_of_one_job_is_the_read_column_of_the_next() -> None:
    first = plan_graph(plan(SALES_PLAN), SOURCE, RULES)
    second = plan_graph(plan(REPORT_PLAN), SOURCE, RULES)
    written = {r.to_id for r in second.rows if isinstance(r, DerivesFromEdge)}
    produced = {r.from_id for r in first.rows if isinstance(r, DerivesFromEdge)}
    # s3a://.../sales_by_country/ and s3://acme-lake//aggregated/sales_by_country meet.
    assert written <= produced
    assert "col:s3://acme-lake/aggregated/sales_by_country#total" in written


def test_every_edge_endpoint_is_a_vertex_of_the_same_plan_or_shared() -> None:
    rows = plan_graph(plan(SALES_PLAN), SOURCE, RULES).rows
    vertex_ids = {r.id for r in rows if isinstance(r, VertexRow)}
    for edge in (r for r in rows if isinstance(r, EdgeRow)):
        assert edge.from_id in vertex_ids and edge.to_id in vertex_ids, edge


def test_operations_have_levels_and_follow_the_dag() -> None:
    rows = plan_graph(plan(SALES_PLAN), SOURCE, RULES).rows
    levels = {r.op_id: r.level for r in rows if isinstance(r, OperationVertex)}
    # Longest distance from the write: the orders read sits below the filter below the join.
    assert levels == {"op-0": 0, "op-1": 1, "op-2": 2, "op-3": 3, "op-4": 4, "op-5": 5, "op-6": 4}
    follows = {
        (r.from_id.rsplit(":", 1)[1], r.to_id.rsplit(":", 1)[1])
        for r in rows
        if isinstance(r, FollowsEdge)
    }
    assert ("op-3", "op-6") in follows and ("op-4", "op-5") in follows


def test_params_name_columns_not_attribute_ids() -> None:
    rows = plan_graph(plan(SALES_PLAN), SOURCE, RULES).rows
    join = next(r for r in rows if isinstance(r, OperationVertex) and r.operator == "Join")
    assert "equalto(customer_id, customer_id)" in join.params
    assert "attr-" not in join.params and "__exprId" not in join.params


def test_datasets_carry_layer_format_and_catalog_table() -> None:
    rows = plan_graph(plan(SALES_PLAN), SOURCE, RULES).rows
    datasets = {r.uri: r for r in rows if isinstance(r, DatasetVertex)}
    customers = datasets["s3://acme-lake/curated/customers"]
    assert customers.catalog_table == "spark_catalog.curated.customers"
    assert customers.name == "curated.customers"
    assert datasets["s3://acme-lake/raw/orders"].layer == "raw"
    assert datasets["s3://acme-lake/raw/orders"].format == "csv"
    assert datasets["s3://acme-lake/aggregated/sales_by_country"].layer == "aggregated"


def test_rows_are_deterministic() -> None:
    one = [csv_line(r) for r in plan_graph(plan(SALES_PLAN), SOURCE, RULES).rows]
    two = [csv_line(r) for r in plan_graph(plan(SALES_PLAN), SOURCE, RULES).rows]
    assert one == two


def test_failed_run_row() -> None:
    graph = plan_graph(plan(REPORT_PLAN), SOURCE, RULES)
    (event,) = events("events_country_report_failed.v1_2.json")
    run, has_run, executed = run_rows(event.plan_id, graph.job, event, SOURCE, "x")
    assert isinstance(run, RunVertex)
    assert run.status == "FAILED" and run.error and "stage failure" in run.error
    assert run.glue_job_run_id == "jr_0123456789abcdef"
    assert run.ended_at == dt.datetime(2025, 11, 22, 2, 0, tzinfo=dt.UTC)
    assert run.duration_ms == 300
    assert has_run.from_id == "job:country_report" and executed.to_id == f"plan:{event.plan_id}"


def test_relative_dataset_location_is_an_identity_error() -> None:
    parsed = plan(SALES_PLAN)
    write = dataclasses.replace(parsed.operations.write, output_source="relative/out")
    broken = dataclasses.replace(
        parsed, operations=dataclasses.replace(parsed.operations, write=write)
    )
    with pytest.raises(DatasetIdentityError, match="relative/out"):
        plan_graph(broken, SOURCE, RULES)


def test_column_vertex_ids_use_normalized_uri() -> None:
    rows = plan_graph(plan(REPORT_PLAN), SOURCE, RULES).rows
    cols = {r.id for r in rows if isinstance(r, ColumnVertex)}
    assert "col:s3://acme-lake/marts/country_report#total_int" in cols
