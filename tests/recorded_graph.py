"""The recorded real-Spark payloads (tests/events/spline) normalized and loaded into the graph.

Shared by the tests that query a graph the normalize job built, so both run the same chain:
recordings -> raw zone -> normalize job (Spark) -> local loader -> Gremlin Server.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from raw_zone_builder import day, put

from glue_jobs.normalize import NormalizeParams, run_normalize
from glue_jobs.storage import LocalStore

RECORDED = Path(__file__).resolve().parent / "events" / "spline"
# Where the sample jobs ran when they were recorded: every dataset URI starts with it.
LAKE = "file:///tmp/lineage-example-lake"
RECORDINGS = (
    "ingest_orders",
    "ingest_orders_rerun",
    "ingest_customers",
    "enrich_orders",
    "aggregate_sales",
    "append_daily_orders_day21",
    "append_daily_orders_day22",
    "ingest_payments_strict_failed",
)


def write_recorded_lake(lake: Path) -> None:
    """Land every recording in a raw zone, one hour apart, as the producer would."""
    for hour, name in enumerate(RECORDINGS):
        plan = (RECORDED / f"{name}.plan.json").read_bytes()
        plan_id = json.loads(plan)["id"]
        if not (lake / "plans" / "date=2026-11-20" / f"{plan_id}.json").exists():
            put(lake, plan, kind="plan", received_at=day("2026-11-20", hour))
        events = (RECORDED / f"{name}.events.json").read_bytes()
        put(lake, events, kind="events", received_at=day("2026-11-20", hour))


def load_recorded_graph(spark: Any, gremlin_url: str, lake: Path, out: Path) -> None:
    """Normalize the recordings and load them into an emptied graph; fail on any loss."""
    from gremlin_python.driver.driver_remote_connection import DriverRemoteConnection
    from gremlin_python.process.anonymous_traversal import traversal

    from loader import LocalTarget, run_load

    write_recorded_lake(lake)
    params = NormalizeParams(lake=str(lake), out=str(out))
    result = run_normalize(spark, LocalStore(str(lake)), LocalStore(str(out)), params)
    assert result.report.quarantined == 0
    connection = DriverRemoteConnection(gremlin_url, "g")
    try:
        traversal().with_remote(connection).V().drop().iterate()
    finally:
        connection.close()
    report = run_load(result.load_source, LocalTarget(url=gremlin_url))
    assert report.succeeded, report.summary()
