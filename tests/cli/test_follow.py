"""`lineage serve --follow`: new payloads reach the graph as a delta build within seconds."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import pytest
from raw_zone_builder import put

from lineage.graph_schema import job_id
from lineage_cli.follow import SETTLE_MS, Follower, FollowStep
from loader.graph_check import expected_graph, graph_elements

pytestmark = [pytest.mark.spark, pytest.mark.graph]

SPLINE = Path(__file__).resolve().parents[1] / "events" / "spline"


def _land(lake: Path, job: str, at: dt.datetime) -> None:
    put(lake, (SPLINE / f"{job}.plan.json").read_bytes(), kind="plan", received_at=at)
    put(lake, (SPLINE / f"{job}.events.json").read_bytes(), kind="events", received_at=at)


def _has_vertex(url: str, vertex_id: str) -> bool:
    from gremlin_python.driver.driver_remote_connection import DriverRemoteConnection
    from gremlin_python.process.anonymous_traversal import traversal

    connection = DriverRemoteConnection(url, "g")
    try:
        return bool(traversal().with_remote(connection).V(vertex_id).has_next())
    finally:
        connection.close()


def test_follow_builds_full_then_deltas_and_the_graph_is_the_full_rebuild(
    spark: object, clean_graph: str, tmp_path: Path
) -> None:
    lake, builds = tmp_path / "lake", tmp_path / "builds"
    now = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)
    _land(lake, "ingest_orders", now)
    # The session fixture's Spark, so the test starts no second JVM.
    follower = Follower(str(lake), str(builds), clean_graph, spark=spark)
    first = follower.step()
    assert first is not None and first.kind == "full"
    assert follower.step() is None  # nothing new: no build
    _land(lake, "enrich_orders", dt.datetime.now(dt.UTC))  # after the first build's cut-off
    time.sleep(SETTLE_MS / 1000 + 0.5)  # a cut-off now includes it
    # Listed now but received after the next look's cut-off (it trails the clock): that look
    # would build nothing, so it builds nothing.
    _land(lake, "aggregate_sales", dt.datetime.now(dt.UTC) + dt.timedelta(minutes=10))
    second = follower.step()
    assert second is not None and second.kind == "delta"
    assert follower.step() is None
    assert sorted(p.name for p in (builds / "builds").iterdir()) == sorted(
        Path(step.build).name for step in (first, second)
    )
    chain = [builds / first.build, builds / second.build]
    assert graph_elements(clean_graph) == expected_graph(*chain)
    assert _has_vertex(clean_graph, f"plan:{_plan_id('enrich_orders')}")
    assert _has_vertex(clean_graph, job_id("ingest_orders"))


def test_a_landed_payload_is_visible_within_a_minute(
    spark: object, clean_graph: str, tmp_path: Path
) -> None:
    lake, builds = tmp_path / "lake", tmp_path / "builds"
    _land(lake, "ingest_orders", dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1))
    steps: list[FollowStep] = []
    follower = Follower(
        str(lake), str(builds), clean_graph, interval_s=0.5, on_step=steps.append, spark=spark
    )
    follower.start()
    try:
        deadline = time.monotonic() + 60
        while not steps and time.monotonic() < deadline:
            time.sleep(0.2)
        assert steps, "the first (full) build did not come"
        landed = time.monotonic()
        _land(lake, "aggregate_sales", dt.datetime.now(dt.UTC))
        plan_vertex = f"plan:{_plan_id('aggregate_sales')}"
        while not _has_vertex(clean_graph, plan_vertex):
            assert time.monotonic() - landed < 60, "not visible within a minute"
            time.sleep(0.2)
        lag = time.monotonic() - landed
    finally:
        follower.stop()
    assert steps[-1].kind == "delta"
    print(f"landing -> visible in the graph: {lag:.1f} s")


def _plan_id(job: str) -> str:
    import json

    return str(json.loads((SPLINE / f"{job}.plan.json").read_bytes())["id"])
