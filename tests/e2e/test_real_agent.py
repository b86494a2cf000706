"""The real Spline agent through the whole chain, with expectations written by hand.

One PySpark job (tests/e2e_jobs/order_revenue.py: CSV orders left-joined with JSON customers,
casts, an upper-case and a product, one Parquet write) runs through `lineage spark-submit` with
the real agent jar against a real `lineage serve` on a free port; the raw zone it fills is
rebuilt with `lineage rebuild` into the session's Gremlin Server, and the read API answers.
What is asserted is read off the job's code, not computed by ours.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from read_api_client import Api

from lineage.raw_zone_layout import RawObjectMetadata
from lineage_cli.pipeline import (
    SparkJob,
    Workdir,
    rebuild_and_load,
    run_jobs,
    start_serve,
    stop_process,
)
from local_neptune.ports import free_port

pytestmark = pytest.mark.e2e

JOB = Path(__file__).resolve().parents[1] / "e2e_jobs" / "order_revenue.py"
JOB_NAME = "real_agent_order_revenue"
V12 = "application/vnd.absa.spline.producer.v1.2+json"

ORDERS_CSV = """order_id,customer_id,quantity,price
1,c-1,2,10.0
2,c-2,1,5.5
3,c-9,4,1.25
"""
CUSTOMERS_JSON = """{"customer_id": "c-1", "country": "za"}
{"customer_id": "c-2", "country": "nl"}
"""


@dataclass(frozen=True)
class Chain:
    api: Api
    workdir: Workdir


@pytest.fixture(scope="module")
def chain(gremlin_server: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Chain]:
    from gremlin_python.driver.driver_remote_connection import DriverRemoteConnection
    from gremlin_python.process.anonymous_traversal import traversal

    connection = DriverRemoteConnection(gremlin_server, "g")
    try:
        traversal().with_remote(connection).V().drop().iterate()
    finally:
        connection.close()
    workdir = Workdir(tmp_path_factory.mktemp("real-agent"))
    lake = workdir.data_lake
    (lake / "raw" / "orders").mkdir(parents=True)
    (lake / "raw" / "orders" / "part-0.csv").write_text(ORDERS_CSV)
    (lake / "raw" / "customers").mkdir(parents=True)
    (lake / "raw" / "customers" / "part-0.json").write_text(CUSTOMERS_JSON)
    port = free_port()
    serve = start_serve(workdir, port, gremlin_server)
    try:
        producer = f"http://127.0.0.1:{port}/producer"
        run_jobs(workdir, [SparkJob(JOB, ("--lake", str(lake)))], producer, print)
        rebuild_and_load(workdir, gremlin_server)
        yield Chain(Api(f"http://127.0.0.1:{port}"), workdir)
    finally:
        stop_process(serve)


def test_the_job_ran_with_the_real_agent(chain: Chain) -> None:
    log = chain.workdir.log("job-order_revenue").read_text()
    assert "Spline successfully initialized. Spark Lineage tracking is ENABLED." in log
    assert "Using Producer API version: 1.2" in log
    assert "spark-3.5-spline-agent-bundle_2.12-2.2.0.jar" in log


def test_the_raw_zone_holds_the_agents_own_plan_and_event(chain: Chain) -> None:
    raw = chain.workdir.raw_zone
    (plan_file,) = sorted(p for p in raw.glob("plans/date=*/*.json"))
    (events_file,) = sorted(p for p in raw.glob("events/date=*/*.json"))
    plan = json.loads(plan_file.read_bytes())
    assert plan["name"] == JOB_NAME
    assert plan["agentInfo"] == {"name": "spline", "version": "2.2.0"}
    assert plan["operations"]["write"]["outputSource"].endswith("/curated/order_revenue")
    sources = sorted(s for r in plan["operations"]["reads"] for s in r["inputSources"])
    assert [s.rsplit("/", 2)[-2:] for s in sources] == [["raw", "customers"], ["raw", "orders"]]
    (event,) = json.loads(events_file.read_bytes())
    assert event["planId"] == plan["id"]
    assert "error" not in event
    sidecar = RawObjectMetadata.from_json(
        plan_file.with_name(plan_file.name + ".meta").read_bytes()
    )
    assert (sidecar.api_version, sidecar.content_type) == ("1.2", V12)
    assert sidecar.headers["user-agent"] == "scalaj-http/2.4.0"
    assert sidecar.headers["x-spline-timeout"] == "120000"


def test_one_plan_and_one_run_reached_the_graph(chain: Chain) -> None:
    counts = chain.api.get("/status", counts="true")["counts"]
    assert (counts["Plan"], counts["Run"], counts["Job"]) == (1, 1, 1)
    (run,) = chain.api.get("/runs", job=JOB_NAME)["items"]
    assert run["status"] == "SUCCEEDED"


def test_dataset_lineage_of_the_written_dataset(chain: Chain) -> None:
    api = chain.api
    written = api.dataset_uri("curated/order_revenue")
    view = api.get("/datasets/lineage", uri=written, direction="upstream", depth=2)
    datasets = {
        str(n["uri"]).rsplit("/", 2)[-2] + "/" + str(n["uri"]).rsplit("/", 1)[-1]: n["layer"]
        for n in view["nodes"]
        if n["type"] == "Dataset"
    }
    assert datasets == {
        "raw/orders": "raw",
        "raw/customers": "raw",
        "curated/order_revenue": "curated",
    }
    jobs = {n["name"] for n in view["nodes"] if n["type"] == "Job"}
    assert jobs == {JOB_NAME}


def _upstream(api: Api, uri: str, column: str) -> set[tuple[str, str, str]]:
    view = api.get("/columns/lineage", uri=uri, column=column, direction="upstream", depth=2)
    by_id = {node["id"]: node for node in view["nodes"]}
    return {
        (
            str(by_id[e["from"]]["dataset_uri"]).rsplit("/", 1)[-1],
            by_id[e["from"]]["name"],
            e["label"],
        )
        for e in view["edges"]
    }


def test_column_lineage_of_every_written_column(chain: Chain) -> None:
    api = chain.api
    written = api.dataset_uri("curated/order_revenue")
    # revenue = int(quantity) * double(price): arithmetic over two orders columns.
    assert _upstream(api, written, "revenue") == {
        ("orders", "quantity", "expression"),
        ("orders", "price", "expression"),
    }
    # country = upper(customers.country): the joined side, through a function.
    assert _upstream(api, written, "country") == {("customers", "country", "expression")}
    # order_id = bigint(orders.order_id); customer_id is the left side's join key, unchanged.
    assert _upstream(api, written, "order_id") == {("orders", "order_id", "cast")}
    assert _upstream(api, written, "customer_id") == {("orders", "customer_id", "direct")}
