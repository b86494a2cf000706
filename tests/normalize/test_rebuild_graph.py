"""The real agent's recorded payloads rebuilt and loaded; each traversal of docs/graph-model.md."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from recorded_graph import LAKE, load_recorded_graph

from lineage.dataset_identity import normalize_uri
from lineage.graph_schema import column_id, dataset_id, job_id

pytestmark = [pytest.mark.graph, pytest.mark.spark]


@pytest.fixture(scope="module")
def g(spark: Any, gremlin_server: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from gremlin_python.driver.driver_remote_connection import DriverRemoteConnection
    from gremlin_python.process.anonymous_traversal import traversal

    lake, out = tmp_path_factory.mktemp("recorded-lake"), tmp_path_factory.mktemp("recorded-build")
    load_recorded_graph(spark, gremlin_server, lake, out)
    connection = DriverRemoteConnection(gremlin_server, "g")
    source = traversal().with_remote(connection)
    try:
        yield source
    finally:
        connection.close()


def test_whole_lake_view(g: Any) -> None:
    from gremlin_python.process.graph_traversal import __
    from gremlin_python.process.traversal import T

    rows = (
        g.V()
        .has_label("Job")
        .project("job", "reads", "writes")
        .by(T.id)
        .by(__.out("HAS_PLAN").out("READS").dedup().id_().fold())
        .by(__.out("HAS_PLAN").out("WRITES").dedup().id_().fold())
        .to_list()
    )
    by_job = {r["job"]: r for r in rows}
    assert set(by_job) == {
        job_id(n)
        for n in (
            "ingest_orders",
            "ingest_customers",
            "enrich_orders",
            "aggregate_sales",
            "append_daily_orders",
            "ingest_payments_strict",
            "lake_patterns",
            "warehouse_tables",
        )
    }
    assert by_job[job_id("aggregate_sales")]["writes"] == [
        dataset_id(f"{LAKE}/aggregated/sales_by_country")
    ]


def test_one_job_view(g: Any) -> None:
    from gremlin_python.process.graph_traversal import __
    from gremlin_python.process.traversal import Order, T

    job = job_id("ingest_orders")
    plans = (
        g.V(job)
        .out("HAS_PLAN")
        .project("plan", "reads", "writes")
        .by(T.id)
        .by(__.out("READS").id_().fold())
        .by(__.out("WRITES").id_().fold())
        .to_list()
    )
    assert len(plans) == 1  # the rerun resent the same plan
    runs = (
        g.V(job)
        .out("HAS_RUN")
        .order()
        .by("started_at", Order.desc)
        .limit(20)
        .element_map()
        .to_list()
    )
    assert len(runs) == 2
    failed = g.V(job_id("ingest_payments_strict")).out("HAS_RUN").values("status").to_list()
    assert failed == ["FAILED"]


def test_operation_dag_view(g: Any) -> None:
    from gremlin_python.process.graph_traversal import __

    run = g.V(job_id("aggregate_sales")).out("HAS_RUN").id_().next()
    plan = g.V(run).out("EXECUTED").id_().next()
    ops = g.V(plan).out("HAS_OPERATION").element_map().to_list()
    flows = (
        g.V(plan)
        .out("HAS_OPERATION")
        .out_e("FOLLOWS")
        .project("from", "to")
        .by(__.in_v().id_())
        .by(__.out_v().id_())
        .to_list()
    )
    levels = {o["op_id"]: o["level"] for o in ops}
    assert min(levels.values()) == 0 and len(flows) == len(ops) - 1
    assert {o["operator"] for o in ops} >= {"Aggregate", "Project", "Sort"}


def test_dataset_provenance_and_impact(g: Any) -> None:
    from gremlin_python.process.graph_traversal import __
    from gremlin_python.process.traversal import T

    ds = dataset_id(normalize_uri(f"{LAKE}/aggregated/sales_by_country/"))
    upstream = (
        g.V(ds)
        .repeat(__.in_("WRITES").out("READS").simple_path())
        .times(3)
        .emit()
        .path()
        .by(T.id)
        .to_list()
    )
    reached = {p[-1] for p in upstream}
    assert dataset_id(f"{LAKE}/raw/orders") in reached  # two jobs upstream
    orders = dataset_id(f"{LAKE}/raw/orders")
    downstream = (
        g.V(orders)
        .repeat(__.in_("READS").out("WRITES").simple_path())
        .times(3)
        .emit()
        .path()
        .by(T.id)
        .to_list()
    )
    assert ds in {p[-1] for p in downstream}


def test_column_lineage_across_jobs(g: Any) -> None:
    from gremlin_python.process.graph_traversal import __
    from gremlin_python.process.traversal import T

    col = column_id(f"{LAKE}/aggregated/sales_by_country", "revenue")
    paths = (
        g.V(col)
        .repeat(__.out_e("DERIVES_FROM").in_v().simple_path())
        .times(5)
        .emit()
        .path()
        .by(T.id)
        .by(__.value_map("kind", "expression", "plan_id"))
        .to_list()
    )
    ends = {p[-1] for p in paths}
    # revenue <- orders_enriched.line_total <- curated/orders.line_total <- raw amount, quantity
    assert column_id(f"{LAKE}/raw/orders", "amount") in ends
    assert column_id(f"{LAKE}/raw/orders", "quantity") in ends
    raw_amount = column_id(f"{LAKE}/raw/orders", "amount")
    down = (
        g.V(raw_amount)
        .repeat(__.in_e("DERIVES_FROM").out_v().simple_path())
        .times(5)
        .emit()
        .path()
        .by(T.id)
        .by(__.value_map("kind", "expression", "plan_id"))
        .to_list()
    )
    assert col in {p[-1] for p in down}


def test_condition_uses(g: Any) -> None:
    from gremlin_python.process.graph_traversal import __

    col = column_id(f"{LAKE}/curated/orders", "customer_id")
    uses = (
        g.V(col)
        .in_e("USES")
        .project("operation", "role", "plan")
        .by(__.out_v().id_())
        .by("role")
        .by(__.out_v().values("plan_id"))
        .to_list()
    )
    assert {u["role"] for u in uses} == {"join"}


def test_every_dataset_is_found_by_its_name_and_by_its_uri(g: Any, gremlin_server: str) -> None:
    """The job keeps every member's search text on its shard, not one per shard."""
    from gremlin_python.process.traversal import T

    from lambdas.consumer.app import create_app
    from lambdas.consumer.datasets import search_datasets

    members = g.V().has_label("Dataset").project("id", "uri", "name").by(T.id).by("uri").by("name")
    found = members.to_list()
    assert len(found) > 10
    client = create_app(gremlin_server).state.graph_client
    try:
        for ds in found:
            for q in (ds["name"], ds["uri"]):
                hits = search_datasets(client, q, None, 1000)
                assert ds["id"] in [i.id for i in hits.items], (q, ds["id"])
    finally:
        client.close()
