"""The whole chain on the embedded default: agent -> producer -> raw zone -> rebuild -> load -> API.

Three real PySpark jobs of this test's own (tests/e2e_jobs/) run through `lineage spark-submit`
(the real Spline agent, as users run it) against `lineage serve`; the nightly rebuild loads the
graph into the real Gremlin Server; the assertions read the graph back through the read API, as
the UI does.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from read_api_client import Api

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

JOBS = Path(__file__).resolve().parents[1] / "e2e_jobs"

TRADES_CSV = """trade_id,account,amount
1, acc-1 ,10.5
2,acc-2,20
3,acc-1,-4
4,acc-3,7.25
"""
ACCOUNTS_CSV = """account,region
ACC-1,emea
ACC-2,apac
ACC-3,emea
"""


def _drop_graph(url: str) -> None:
    from gremlin_python.driver.driver_remote_connection import DriverRemoteConnection
    from gremlin_python.process.anonymous_traversal import traversal

    connection = DriverRemoteConnection(url, "g")
    try:
        traversal().with_remote(connection).V().drop().iterate()
    finally:
        connection.close()


@pytest.fixture(scope="module")
def pipeline(gremlin_server: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    """Run the three jobs through the whole chain once; yield the read API that serves it."""
    _drop_graph(gremlin_server)
    workdir = Workdir(tmp_path_factory.mktemp("e2e"))
    lake = workdir.data_lake
    (lake / "raw" / "trades").mkdir(parents=True)
    (lake / "raw" / "trades" / "part-0.csv").write_text(TRADES_CSV)
    (lake / "raw" / "accounts").mkdir(parents=True)
    (lake / "raw" / "accounts" / "part-0.csv").write_text(ACCOUNTS_CSV)
    port = free_port()
    serve = start_serve(workdir, port, gremlin_server)
    try:
        jobs = [
            SparkJob(JOBS / "ingest_trades.py", ("--lake", str(lake))),
            SparkJob(JOBS / "summarize_trades.py", ("--lake", str(lake))),
            SparkJob(JOBS / "broken_trades.py", ("--lake", str(lake)), expect_failure=True),
        ]
        run_jobs(workdir, jobs, f"http://127.0.0.1:{port}/producer", print)
        rebuild_and_load(workdir, gremlin_server)
        yield Api(f"http://127.0.0.1:{port}")
    finally:
        stop_process(serve)


def test_every_write_action_reached_the_graph(pipeline: Api) -> None:
    # Three write actions: three plans (the failed one too) and their events, one run each.
    status = pipeline.get("/status", counts="true")
    assert status["counts"]["Plan"] == 3
    assert status["counts"]["Run"] == 3
    assert status["counts_capped_at"] is None  # the build's own counts, off its marker


def test_dataset_lineage_crosses_jobs_and_layers(pipeline: Api) -> None:
    totals = pipeline.dataset_uri("aggregated/totals")
    view = pipeline.get("/datasets/lineage", uri=totals, direction="upstream", depth=3)
    uris = {node.get("uri") for node in view["nodes"] if node["type"] == "Dataset"}
    assert any(str(u).endswith("curated/trades") for u in uris)
    assert any(str(u).endswith("raw/trades") for u in uris)
    assert any(str(u).endswith("raw/accounts") for u in uris)
    jobs = {node.get("name") for node in view["nodes"] if node["type"] == "Job"}
    assert {"e2e_ingest_trades", "e2e_summarize_trades"} <= jobs
    layers = {
        str(node.get("uri")).rsplit("/", 2)[-2]: node.get("layer")
        for node in view["nodes"]
        if node["type"] == "Dataset"
    }
    assert layers["aggregated"] == "aggregated"
    assert layers["curated"] == "curated"
    assert layers["raw"] == "raw"


def test_column_lineage_follows_amount_across_two_jobs(pipeline: Api) -> None:
    totals = pipeline.dataset_uri("aggregated/totals")
    view = pipeline.get(
        "/columns/lineage", uri=totals, column="total_amount", direction="upstream", depth=4
    )
    by_id = {node["id"]: node for node in view["nodes"]}
    hops = {
        (
            by_id[e["from"]].get("dataset_uri", "").rsplit("/", 2)[-2],
            by_id[e["from"]]["name"],
            by_id[e["to"]]["name"],
            e["label"],
        )
        for e in view["edges"]
    }
    # raw amount (string) -cast-> curated amount -sum-> aggregated total_amount
    assert ("raw", "amount", "amount", "cast") in hops
    assert ("curated", "amount", "total_amount", "aggregate") in hops
    # The join key feeds no output column's value, so it is no derivation of total_amount.
    assert all(by_id[e["from"]]["name"] != "region" for e in view["edges"])


def test_run_history_includes_the_failed_run(pipeline: Api) -> None:
    failed = pipeline.get("/runs", job="e2e_broken_trades")["items"]
    assert [run["status"] for run in failed] == ["FAILED"]
    assert "amount over limit" in failed[0]["error"]
    ok = pipeline.get("/runs", job="e2e_summarize_trades")["items"]
    assert [run["status"] for run in ok] == ["SUCCEEDED"]
    assert ok[0]["duration_ms"] >= 0


def test_operation_dag_of_the_join_job(pipeline: Api) -> None:
    job = pipeline.get("/jobs/e2e_summarize_trades")
    (plan,) = job["plans"]
    dag = pipeline.get(f"/plans/{plan['plan_id']}")
    operators = {node.get("operator") for node in dag["nodes"] if node["type"] == "Operation"}
    assert {"Join", "Aggregate"} <= operators
    writes = [n for n in dag["nodes"] if n["type"] == "Operation" and n.get("kind") == "write"]
    assert len(writes) == 1 and writes[0]["level"] == 0
    reads = [n for n in dag["nodes"] if n["type"] == "Operation" and n.get("kind") == "read"]
    assert len(reads) == 2
    assert dag["max_level"] >= 3
