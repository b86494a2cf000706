"""Run times end to end: CSV writer -> local loader -> read API keep milliseconds.

Date cells hold whole seconds (Neptune's documented forms); two runs within one second must still
order, filter and show by their milliseconds, which the `*_ms` Long twins carry.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from api_graph import CURATED, RAW_ORDERS, Lake
from fastapi.testclient import TestClient

from lambdas.consumer.app import create_app
from lineage.graph_csv import csv_files
from loader.run import LocalTarget, run_load

pytestmark = pytest.mark.graph

PLAN = "6f1c2a9e-0000-5000-8000-0000000000ms"


def write_build(lake: Lake, folder: Path) -> None:
    """One CSV per row class, written by the normalize job's own writer."""
    for written in csv_files(lake.rows):
        path = folder / written.path
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(written.data)


def test_runs_in_one_second_keep_their_order_and_milliseconds(
    clean_graph: str, tmp_path: Path
) -> None:
    lake = Lake()
    lake.dataset(RAW_ORDERS, "csv", "raw", {"order_id": "long"})
    lake.dataset(CURATED, "parquet", "curated", {"order_id": "long"})
    first = dt.datetime(2026, 3, 1, 2, 0, 0, 100_000)
    lake.job(
        "twice_a_second",
        PLAN,
        reads=[RAW_ORDERS],
        writes=CURATED,
        ops=[
            ("0", "write", "InsertIntoHadoopFsRelationCommand", 0, ["1"], {"path": CURATED}, []),
            ("1", "read", "LogicalRelation", 1, [], {"inputSources": [RAW_ORDERS]}, ["order_id"]),
        ],
        runs=[
            ("SUCCEEDED", first, 250, 10, 10),
            ("FAILED", first + dt.timedelta(milliseconds=400), 120, 0, 0),
        ],
        derivations=[],
    )
    write_build(lake, tmp_path)
    run_csv = (tmp_path / "csv" / "vertices" / "Run-00000.csv").read_text()
    assert "2026-03-01T02:00:00Z" in run_csv and ".100" not in run_csv
    report = run_load(str(tmp_path), LocalTarget(url=clean_graph))
    assert report.succeeded, report.errors

    app = create_app(clean_graph)
    try:
        with TestClient(app) as api:
            body = api.get("/runs", params={"job": "twice_a_second"}).json()
            assert [(r["status"], r["started_at"], r["ended_at"]) for r in body["items"]] == [
                ("FAILED", "2026-03-01T02:00:00.500Z", "2026-03-01T02:00:00.620Z"),
                ("SUCCEEDED", "2026-03-01T02:00:00.100Z", "2026-03-01T02:00:00.350Z"),
            ]
            later = api.get("/runs", params={"since": "2026-03-01T02:00:00.300Z"}).json()
            assert [r["status"] for r in later["items"]] == ["FAILED"]
            jobs = {j["name"]: j for j in api.get("/jobs").json()["items"]}
            assert jobs["twice_a_second"]["last_started_at"] == "2026-03-01T02:00:00.500Z"
    finally:
        app.state.graph_client.close()
