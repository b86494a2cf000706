"""The read API over a graph the normalize job built from the real agent's recorded payloads.

Recorded payloads (tests/events/spline) -> raw zone -> normalize job (Spark) -> local loader ->
Gremlin Server -> read API: the same chain `lineage rebuild` runs, queried the way the UI does.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from recorded_graph import LAKE, load_recorded_graph

from lambdas.consumer.app import create_app

pytestmark = [pytest.mark.graph, pytest.mark.spark]


@pytest.fixture(scope="module")
def api(spark: Any, gremlin_server: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """Normalize the recordings, load the build into a clean graph, serve the read API over it."""
    lake, out = tmp_path_factory.mktemp("recorded-lake"), tmp_path_factory.mktemp("recorded-build")
    load_recorded_graph(spark, gremlin_server, lake, out)
    app = create_app(gremlin_server)
    yield TestClient(app)
    app.state.graph_client.close()


def ok(api: TestClient, path: str, **params: Any) -> dict[str, Any]:
    response = api.get(path, params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_jobs_and_their_latest_status(api: TestClient) -> None:
    jobs = {j["name"]: j for j in ok(api, "/jobs")["items"]}
    assert set(jobs) == {
        "ingest_orders",
        "ingest_customers",
        "enrich_orders",
        "aggregate_sales",
        "append_daily_orders",
        "ingest_payments_strict",
        "lake_patterns",
        "warehouse_tables",
    }
    assert jobs["ingest_payments_strict"]["last_status"] == "FAILED"
    assert jobs["lake_patterns"]["last_status"] == "FAILED"  # its last write was refused
    assert (jobs["ingest_orders"]["runs"], jobs["ingest_orders"]["plans"]) == (2, 1)


def test_job_view_of_a_rerun_job(api: TestClient) -> None:
    body = ok(api, "/jobs/ingest_orders")
    assert body["inputs"] == [f"ds:{LAKE}/raw/orders"]
    assert body["outputs"] == [f"ds:{LAKE}/curated/orders"]
    assert [r["status"] for r in body["runs"]] == ["SUCCEEDED", "SUCCEEDED"]
    assert all(r["duration_ms"] for r in body["runs"])
    # The job de-duplicates (a shuffle): with adaptive execution on, the agent sends no row counts.
    assert all(r["rows_written"] is None for r in body["runs"])
    assert body["runs"][0]["started_at"] > body["runs"][1]["started_at"]
    assert body["plans"][0]["raw_key"] and body["plans"][0]["raw_sha256"]


def test_rows_written_where_the_agent_reports_them(api: TestClient) -> None:
    # Scan -> project -> write, no shuffle: the agent reports the metrics (five rows a day).
    runs = ok(api, "/runs", job="append_daily_orders")["items"]
    assert [r["rows_written"] for r in runs] == [5, 5]


def test_failed_run_in_history(api: TestClient) -> None:
    failed = ok(api, "/runs", status="FAILED")["items"]
    assert sorted(r["job_name"] for r in failed) == ["ingest_payments_strict", "lake_patterns"]
    assert all(r["error"] for r in failed)


def test_plan_dag_of_the_aggregation(api: TestClient) -> None:
    run = ok(api, "/runs", job="aggregate_sales")["items"][0]
    body = ok(api, f"/plans/{run['plan_id']}")
    operators = {n["operator"] for n in body["nodes"]}
    assert {"Aggregate", "Project", "Sort"} <= operators
    assert body["max_level"] >= 3
    assert len(body["edges"]) == len(body["nodes"]) - 1
    write = next(n for n in body["nodes"] if n["level"] == 0)
    assert write["kind"] == "write"
    assert [d["uri"] for d in body["writes"]] == [f"{LAKE}/aggregated/sales_by_country"]


def test_dataset_provenance_three_jobs_deep(api: TestClient) -> None:
    # The user types the location as Spark wrote it; the API normalizes it.
    typed = "file:/tmp/lineage-example-lake/aggregated/sales_by_country/"
    body = ok(api, "/datasets/lineage", uri=typed, direction="upstream", depth=3)
    node_ids = {n["id"] for n in body["nodes"]}
    assert f"ds:{LAKE}/raw/orders" in node_ids
    assert {"job:aggregate_sales", "job:enrich_orders", "job:ingest_orders"} <= node_ids
    one = ok(api, "/datasets/lineage", uri=typed, direction="upstream", depth=1)
    assert "job:ingest_orders" not in {n["id"] for n in one["nodes"]}


def test_column_provenance_across_jobs(api: TestClient) -> None:
    uri = f"{LAKE}/aggregated/sales_by_country"
    body = ok(api, "/columns/lineage", uri=uri, column="revenue", direction="upstream", depth=5)
    node_ids = {n["id"] for n in body["nodes"]}
    assert f"col:{LAKE}/raw/orders#amount" in node_ids
    assert f"col:{LAKE}/raw/orders#quantity" in node_ids
    kinds = {e["label"] for e in body["edges"]}
    assert "aggregate" in kinds
    assert {e["job_name"] for e in body["edges"]} >= {"aggregate_sales", "ingest_orders"}


def test_dataset_search_and_detail(api: TestClient) -> None:
    found = ok(api, "/datasets", q="sales_by")["items"]
    assert [(d["name"], d["layer"], d["format"]) for d in found] == [
        ("sales_by_country", "aggregated", "parquet")
    ]
    detail = ok(api, "/datasets/detail", uri=found[0]["uri"])
    assert "revenue" in {c["name"] for c in detail["columns"]}
    assert detail["written_by"] == ["aggregate_sales"]


def test_a_save_as_table_is_one_run_in_every_run_view(api: TestClient) -> None:
    """`saveAsTable` reaches the agent as two lineages (the insert and the CTAS command): both
    plans are kept, the statement is one run in the job list, the job view and `/runs`."""
    ctas, insert = "49c3c4c3", "0766e7d6"  # warehouse_save_as_table_ctas / _insert plan ids
    jobs = {j["name"]: j for j in ok(api, "/jobs")["items"]}
    assert (jobs["warehouse_tables"]["plans"], jobs["warehouse_tables"]["runs"]) == (4, 3)
    job_runs = ok(api, "/jobs/warehouse_tables")["runs"]
    by_job = ok(api, "/runs", job="warehouse_tables")["items"]
    everywhere = ok(api, "/runs", limit=1000)["items"]
    for runs in (job_runs, by_job, [r for r in everywhere if r["job_name"] == "warehouse_tables"]):
        plans = [r["plan_id"] for r in runs]
        assert len(plans) == 3
        assert any(p.startswith(ctas) for p in plans)
        assert not any(p.startswith(insert) for p in plans)
    # The inner half keeps its plan and its run, reachable from the plan.
    (insert_plan,) = [p for p in ok(api, "/jobs/warehouse_tables")["plans"] if insert in str(p)]
    assert insert_plan["write_mode"] == "overwrite"
    inner = ok(api, f"/plans/{insert_plan['plan_id']}")
    assert len(inner["runs"]) == 1
