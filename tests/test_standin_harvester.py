"""The stand-in agent's plan walker on real Spark plans (one shared session, loopback producer)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from spline_capture import CaptureServer

from agent_standin import AgentConfig, LineageTracking, enable_lineage_tracking
from lineage_cli.ports import free_port

pytestmark = pytest.mark.spark

Json = Any


@dataclass
class Tracked:
    """The shared session with the stand-in attached, and the producer that records its POSTs."""

    spark: Any
    producer: CaptureServer
    lake: Path
    tracking: LineageTracking

    def lineage_of(self, action: Callable[[], object]) -> list[tuple[Json, Json]]:
        """Run `action`; return the (plan, event) pairs it sent."""
        before = len(self.producer.requests)
        action()
        self.spark.sparkContext._jsc.sc().listenerBus().waitUntilEmpty()
        new = self.producer.requests[before:]
        plans = [r.json() for r in new if r.path.endswith("/execution-plans")]
        events = [r.json() for r in new if r.path.endswith("/execution-events")]
        assert all(len(batch) == 1 for batch in events)
        return list(zip(plans, [batch[0] for batch in events], strict=True))


@pytest.fixture(scope="module")
def tracked(spark: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Tracked]:
    lake = tmp_path_factory.mktemp("lake")
    (lake / "orders").mkdir()
    (lake / "orders" / "part-0.csv").write_text(
        "order_id,customer,amount,qty\n1,c1,10.5,2\n2,c2,3.0,1\n3,c1,-1,1\n4,c3,7.25,4\n"
    )
    (lake / "customers").mkdir()
    (lake / "customers" / "part-0.csv").write_text("customer,country\nc1,ZA\nc2,DE\nc3,ZA\n")
    (lake / "payments").mkdir()
    (lake / "payments" / "p.json").write_text('{"id": 1, "paid": "1.5"}\n{"id": 2, "paid": \n')
    with CaptureServer() as producer:
        tracking = enable_lineage_tracking(spark, AgentConfig(producer.url))
        assert tracking is not None
        tracked = Tracked(spark, producer, lake, tracking)
        try:
            yield tracked
        finally:
            tracked.tracking.disable()


def _revenue_job(tracked: Tracked, out: str) -> Callable[[], None]:
    from pyspark.sql import functions as F

    def run() -> None:
        spark = tracked.spark
        orders = spark.read.option("header", "true").csv(str(tracked.lake / "orders"))
        customers = spark.read.option("header", "true").csv(str(tracked.lake / "customers"))
        revenue = (
            orders.join(customers, "customer")
            .where(F.col("amount").cast("double") > 0)
            .select(
                "country",
                (F.col("amount").cast("double") * F.col("qty").cast("int")).alias("line_total"),
            )
            .groupBy("country")
            .agg(F.sum("line_total").alias("revenue"))
        )
        revenue.write.mode("append").parquet(out)

    return run


def _index(plan: Json) -> tuple[dict[str, Json], dict[str, Json], dict[str, Json], dict[str, Json]]:
    ops = {o["id"]: o for o in plan["operations"].get("reads", []) + plan["operations"]["other"]}
    attrs = {a["id"]: a for a in plan["attributes"]}
    functions = {f["id"]: f for f in plan["expressions"].get("functions", [])}
    constants = {c["id"]: c for c in plan["expressions"].get("constants", [])}
    return ops, attrs, functions, constants


def _source_columns(plan: Json, attr_id: str) -> set[str]:
    """Names of the source attributes (no childRefs) an attribute is computed from."""
    _, attrs, functions, _ = _index(plan)
    found: set[str] = set()
    pending: list[Json] = [{"__attrId": attr_id}]
    while pending:
        ref = pending.pop()
        if "__attrId" in ref:
            attr = attrs[ref["__attrId"]]
            if "childRefs" not in attr:
                found.add(attr["name"])
            pending.extend(attr.get("childRefs", []))
        elif ref["__exprId"] in functions:
            pending.extend(functions[ref["__exprId"]].get("childRefs", []))
    return found


def test_a_join_filter_aggregate_job_becomes_a_complete_v12_plan(tracked: Tracked) -> None:
    out = tracked.lake / "aggregated" / "revenue"
    ((plan, event),) = tracked.lineage_of(_revenue_job(tracked, str(out)))
    ops, attrs, functions, constants = _index(plan)
    write = plan["operations"]["write"]
    assert write["outputSource"] == f"file:{out}"
    assert write["append"] is True
    assert write["name"] == "InsertIntoHadoopFsRelationCommand"
    assert write["extra"] == {"destinationType": "parquet"}

    reads = plan["operations"]["reads"]
    assert sorted(r["inputSources"][0] for r in reads) == [
        f"file:{tracked.lake / 'customers'}",
        f"file:{tracked.lake / 'orders'}",
    ]
    assert all(
        r["extra"] == {"sourceType": "csv"} and r["params"]["header"] == "true" for r in reads
    )

    names = sorted(o["name"] for o in plan["operations"]["other"])
    assert {"Join", "Filter", "Project", "Aggregate"} <= set(names)
    # Every child id exists, and every operation is reachable from the write.
    reachable, pending = set(), list(write["childIds"])
    while pending:
        op_id = pending.pop()
        reachable.add(op_id)
        pending.extend(ops[op_id].get("childIds", []))
    assert reachable == set(ops)

    (join,) = [o for o in plan["operations"]["other"] if o["name"] == "Join"]
    assert join["params"]["joinType"] == "INNER"
    condition = functions[join["params"]["condition"]["__exprId"]]
    assert condition["name"] == "equalto"
    assert condition["extra"] == {
        "simpleClassName": "EqualTo",
        "_typeHint": "expr.Binary",
        "symbol": "=",
    }
    read_outputs = {a for r in reads for a in r["output"]}
    assert {ref["__attrId"] for ref in condition["childRefs"]} <= read_outputs

    (aggregate,) = [o for o in plan["operations"]["other"] if o["name"] == "Aggregate"]
    revenue = next(attrs[a] for a in aggregate["output"] if attrs[a]["name"] == "revenue")
    assert _source_columns(plan, revenue["id"]) == {"amount", "qty"}
    country = next(attrs[a] for a in aggregate["output"] if attrs[a]["name"] == "country")
    assert country["id"] in read_outputs  # passed through unchanged: same attribute id

    function_names = {f["name"] for f in functions.values()}
    assert {"cast", "multiply", "sum", "line_total", "revenue"} <= function_names
    assert 0 in [c["value"] for c in constants.values()]
    types = {t["id"]: t for t in plan["extraInfo"]["dataTypes"]}
    casts = [f for f in functions.values() if f["name"] == "cast"]
    assert {types[f["dataType"]]["name"] for f in casts} == {"double", "int"}
    assert plan["extraInfo"]["appName"] == plan["name"] == "lineage-tests"
    assert plan["systemInfo"] == {"name": "spark", "version": tracked.spark.version}
    assert plan["agentInfo"]["name"] == "spline-agent-standin"

    assert event["planId"] == plan["id"]
    assert event["durationNs"] > 0 and "error" not in event
    assert event["extra"]["appId"] == tracked.spark.sparkContext.applicationId
    assert event["extra"]["writeMetrics"]["numOutputRows"] == 2  # ZA and DE
    assert event["extra"]["readMetrics"]["numOutputRows"] >= 7  # both inputs scanned


def test_rerunning_a_job_resends_the_same_content_derived_plan_id(tracked: Tracked) -> None:
    first_out = str(tracked.lake / "rerun" / "a")
    ((first, _),) = tracked.lineage_of(_revenue_job(tracked, first_out))
    ((again, _),) = tracked.lineage_of(_revenue_job(tracked, first_out))
    ((other, _),) = tracked.lineage_of(_revenue_job(tracked, str(tracked.lake / "rerun" / "b")))
    assert uuid.UUID(first["id"]).version == 5
    assert again["id"] == first["id"]
    assert other["id"] != first["id"]


def test_a_write_that_fails_while_running_sends_an_error_event(tracked: Tracked) -> None:
    out = tracked.lake / "curated" / "payments"

    def run() -> None:
        frame = (
            tracked.spark.read.schema("id BIGINT, paid STRING")
            .option("mode", "FAILFAST")
            .json(str(tracked.lake / "payments"))
        )
        with pytest.raises(Exception, match="Malformed records"):
            frame.write.mode("overwrite").parquet(str(out))

    ((plan, event),) = tracked.lineage_of(run)
    assert plan["operations"]["write"]["outputSource"] == f"file:{out}"
    assert plan["operations"]["write"]["append"] is False
    assert plan["operations"]["reads"][0]["extra"]["sourceType"] == "json"
    assert event["planId"] == plan["id"]
    assert "durationNs" not in event
    assert "SparkException" in event["error"]


def test_actions_that_do_not_write_send_nothing(tracked: Tracked) -> None:
    orders = tracked.spark.read.option("header", "true").csv(str(tracked.lake / "orders"))
    assert tracked.lineage_of(lambda: (orders.count(), orders.collect())) == []


def test_a_union_gets_the_agents_synthetic_union_columns(tracked: Tracked) -> None:
    out = str(tracked.lake / "curated" / "all_customers")

    def run() -> None:
        customers = tracked.spark.read.option("header", "true").csv(str(tracked.lake / "customers"))
        customers.union(customers.where("country = 'ZA'")).write.mode("overwrite").json(out)

    ((plan, _),) = tracked.lineage_of(run)
    _ops, attrs, functions, _ = _index(plan)
    (union,) = [o for o in plan["operations"]["other"] if o["name"] == "Union"]
    assert len(union["childIds"]) == 2
    country = next(attrs[a] for a in union["output"] if attrs[a]["name"] == "country")
    assert country["extra"] == {"synthetic": True}
    (ref,) = country["childRefs"]
    union_fn = functions[ref["__exprId"]]
    assert union_fn["name"] == "union" and len(union_fn["childRefs"]) == 2
    assert plan["operations"]["write"]["extra"] == {"destinationType": "json"}


def test_the_projects_producer_accepts_and_lands_what_the_standin_sends(
    tracked: Tracked, tmp_path: Path
) -> None:
    """Stand-in -> `lineage serve`'s app on a real port -> raw zone, with no capture in between."""
    import threading
    import time

    import uvicorn

    from lineage_cli.commands.serve import build_root_app

    raw_zone = tmp_path / "raw-zone"
    port = free_port()
    config = uvicorn.Config(
        build_root_app(str(raw_zone), fsync=False), port=port, log_level="error"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 30
        while not server.started and time.monotonic() < deadline:
            time.sleep(0.05)
        url = f"http://127.0.0.1:{port}/producer"
        tracked.tracking.disable()  # one listener per session, as with the agent
        tracking = enable_lineage_tracking(tracked.spark, AgentConfig(url))
        assert tracking is not None
        try:
            out = str(tracked.lake / "served" / "revenue")
            _revenue_job(tracked, out)()
            tracked.spark.sparkContext._jsc.sc().listenerBus().waitUntilEmpty()
        finally:
            tracking.disable()
            restored = enable_lineage_tracking(tracked.spark, AgentConfig(tracked.producer.url))
            assert restored is not None
            tracked.tracking = restored
    finally:
        server.should_exit = True
        thread.join(timeout=30)
    plans = [p for p in raw_zone.rglob("plans/**/*.json")]
    events = [p for p in raw_zone.rglob("events/**/*.json")]
    assert len(plans) == 1 and len(events) == 1
    stored = json.loads(plans[0].read_bytes())
    assert stored["operations"]["write"]["outputSource"] == f"file:{out}"
    assert json.loads(events[0].read_bytes())[0]["planId"] == stored["id"]


def test_save_as_table_reports_the_catalog_table_and_its_location(tracked: Tracked) -> None:
    location = tracked.lake / "catalog" / "standin_customers"

    def run() -> None:
        customers = tracked.spark.read.option("header", "true").csv(str(tracked.lake / "customers"))
        customers.write.option("path", str(location)).saveAsTable("standin_customers")

    try:
        sent = tracked.lineage_of(run)
    finally:
        tracked.spark.sql("DROP TABLE IF EXISTS standin_customers")
    # Spark reports the CTAS and, nested in it, the file insert: one plan for each callback.
    writes = {plan["operations"]["write"]["name"]: plan["operations"]["write"] for plan, _ in sent}
    ctas = writes["CreateDataSourceTableAsSelectCommand"]
    assert ctas["outputSource"] == f"file:{location}"
    assert ctas["append"] is False
    assert ctas["params"]["table"]["identifier"] == {
        "table": "standin_customers",
        "database": "default",
    }
    assert ctas["extra"] == {"destinationType": "parquet"}
