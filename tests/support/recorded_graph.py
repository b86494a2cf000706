"""The real agent's recorded payloads (tests/events/spline) normalized and loaded into the graph.

Shared by the tests that query a graph the normalize job built, so both run the same chain:
recordings -> raw zone -> normalize job (Spark) -> local loader -> Gremlin Server.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from raw_zone_builder import put

from glue_jobs.normalize import NormalizeParams, run_normalize
from stores import LocalStore

RECORDED = Path(__file__).resolve().parents[1] / "events" / "spline"
# Where the sample jobs ran when they were recorded: every dataset URI starts with it.
LAKE = "file:///tmp/lineage-example-lake"
TRANSCRIPT = json.loads((RECORDED / "transcript.json").read_text())
# Every recorded write (plan + event batch), in the order the agent sent them.
RECORDINGS = tuple(
    r["file"].removesuffix(".plan.json")
    for job in TRANSCRIPT
    for r in job["requests"]
    if r["file"] and r["file"].endswith(".plan.json")
)
RECEIVED = dt.datetime(2026, 11, 20, 6, 0, tzinfo=dt.UTC)


def write_recorded_lake(lake: Path) -> None:
    """Land every recording in a raw zone, one minute apart, as the producer would."""
    for minute, name in enumerate(RECORDINGS):
        received = RECEIVED + dt.timedelta(minutes=minute)
        plan = (RECORDED / f"{name}.plan.json").read_bytes()
        plan_id = json.loads(plan)["id"]
        if not (lake / "plans" / f"date={received.date()}" / f"{plan_id}.json").exists():
            put(lake, plan, kind="plan", received_at=received)
        events = (RECORDED / f"{name}.events.json").read_bytes()
        put(lake, events, kind="events", received_at=received)


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
    report = run_load(result.out, LocalTarget(url=gremlin_url))
    assert report.succeeded, report.summary()
