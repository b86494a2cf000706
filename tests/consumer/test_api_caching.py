"""ETag, Cache-Control, 304 and the answer cache, over builds loaded by the real local loader.

Each build is written by the CSV writer with its build marker (lineage.build_marker) and a
manifest, laid out as the normalize job writes it, and loaded into the session Gremlin Server by
`run_load`: the graph files first, then the marker.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from api_graph import CURATED, RAW_ORDERS, build_lake
from build_folder import write_build
from fastapi.testclient import TestClient

from lambdas.consumer.app import create_app
from lambdas.consumer.config import ReadApiConfig
from lineage.catalog import catalog_rows
from lineage.graph_counts import GraphCounts
from lineage.graph_schema import BUILD_MARKER_DIGEST, BUILD_MARKER_ID, GraphRow, JobVertex
from loader.run import LocalTarget, run_load

pytestmark = pytest.mark.graph


def load_build(url: str, rows: list[GraphRow], folder: Path) -> str:
    """Write `rows` and their marker as a build in `folder`, load it; the marker's digest."""
    digest = write_build(folder, rows)
    report = run_load(str(folder), LocalTarget(url=url))
    assert report.succeeded, report.errors
    assert report.marker_status == "LOAD_COMPLETED"
    return digest


@pytest.fixture
def api(clean_graph: str) -> Iterator[TestClient]:
    # Marker read for every request: these tests load and ask again at once.
    app = create_app(config=ReadApiConfig(graph_url=clean_graph, build_check_s=0))
    with TestClient(app) as client:
        yield client
    app.state.graph_client.close()


def test_answers_carry_a_tag_and_repeat_from_the_cache(
    clean_graph: str, api: TestClient, tmp_path: Path
) -> None:
    load_build(clean_graph, build_lake().rows, tmp_path)
    first = api.get("/jobs")
    assert first.status_code == 200
    assert first.headers["cache-control"] == "no-cache"
    assert first.headers["x-lineage-cache"] == "miss"
    etag = first.headers["etag"]
    assert etag.startswith('"') and etag.endswith('"') and len(etag) == 34
    again = api.get("/jobs")
    assert again.headers["x-lineage-cache"] == "hit"
    assert again.headers["etag"] == etag
    assert again.content == first.content
    assert again.headers["content-type"] == first.headers["content-type"]
    other = api.get("/jobs", params={"limit": 1})
    assert other.headers["etag"] != etag
    assert len(other.json()["items"]) == 1


@pytest.mark.parametrize(
    "condition",
    [
        "{etag}",
        "W/{etag}",
        '"nope", {etag}',
        ' ,, "nope" ,W/{etag},',
        "*",
        "  *  ",
    ],
)
def test_if_none_match_that_names_the_answer_gets_304(
    clean_graph: str, api: TestClient, tmp_path: Path, condition: str
) -> None:
    load_build(clean_graph, build_lake().rows, tmp_path)
    params = {"uri": RAW_ORDERS, "direction": "downstream"}
    etag = api.get("/datasets/lineage", params=params).headers["etag"]
    for cold in (False, True):
        if cold:
            api.app.state.answer_cache.clear()  # type: ignore[attr-defined]
        got = api.get(
            "/datasets/lineage",
            params=params,
            headers={"If-None-Match": condition.format(etag=etag)},
        )
        assert got.status_code == 304, (condition, cold)
        assert got.content == b""
        assert got.headers["etag"] == etag


@pytest.mark.parametrize(
    "condition",
    [
        '"nope"',
        '"{bare}',  # unterminated
        "{bare}",  # unquoted
        '"a" "b"',  # no comma
        '"a\x7fb"',
        "W/",
        ",,,",
        "**",
        '"x",*',
        '"' + "a" * 100_000 + '"',
        ", ".join(f'"t{i}"' for i in range(2_000)),
        "W/" * 50_000,
        '"' * 100_001,
    ],
)
def test_if_none_match_that_does_not_name_it_gets_the_answer(
    clean_graph: str, api: TestClient, tmp_path: Path, condition: str
) -> None:
    load_build(clean_graph, build_lake().rows, tmp_path)
    etag = api.get("/jobs").headers["etag"]
    got = api.get("/jobs", headers={"If-None-Match": condition.format(bare=etag.strip('"'))})
    assert got.status_code == 200
    assert got.headers["etag"] == etag
    assert got.json()["items"]


def test_a_new_load_changes_the_tag_and_the_next_answer(
    clean_graph: str, api: TestClient, tmp_path: Path
) -> None:
    lake = build_lake()
    first_digest = load_build(clean_graph, lake.rows, tmp_path / "a")
    before = api.get("/jobs")
    names_before = {j["name"] for j in before.json()["items"]}
    assert "late_job" not in names_before
    assert api.get("/jobs").headers["x-lineage-cache"] == "hit"

    lake.job(
        "late_job",
        "6f1c2a9e-0000-5000-8000-00000000late",
        reads=[CURATED],
        writes=RAW_ORDERS,
        ops=[],
        runs=[],
        derivations=[],
    )
    second_digest = load_build(clean_graph, lake.rows, tmp_path / "b")
    assert second_digest != first_digest
    after = api.get("/jobs", headers={"If-None-Match": before.headers["etag"]})
    assert after.status_code == 200
    assert after.headers["x-lineage-cache"] == "miss"
    assert after.headers["etag"] != before.headers["etag"]
    assert {j["name"] for j in after.json()["items"]} == names_before | {"late_job"}
    assert api.get("/status").json()["build"] == second_digest

    from gremlin_python.driver.driver_remote_connection import DriverRemoteConnection
    from gremlin_python.process.anonymous_traversal import traversal

    connection = DriverRemoteConnection(clean_graph, "g")
    try:
        g = traversal().with_remote(connection)
        # `single`: the second load replaced the digest rather than adding one.
        assert g.V(BUILD_MARKER_ID).values(BUILD_MARKER_DIGEST).to_list() == [second_digest]
    finally:
        connection.close()


def test_errors_and_status_are_never_cached(
    clean_graph: str, api: TestClient, tmp_path: Path
) -> None:
    load_build(clean_graph, build_lake().rows, tmp_path)
    for _ in range(2):
        missing = api.get("/jobs/no_such_job")
        assert missing.status_code == 404
        assert missing.headers["cache-control"] == "no-store"
        assert "etag" not in missing.headers
    status = api.get("/status")
    assert "etag" not in status.headers


def test_without_a_marker_nothing_is_tagged(clean_graph: str, api: TestClient) -> None:
    got = api.get("/jobs")
    assert got.status_code == 200
    assert got.headers["cache-control"] == "no-store"
    assert "etag" not in got.headers
    assert api.get("/status").json()["build"] is None


def test_status_counts_are_the_loaded_builds_own(
    clean_graph: str, api: TestClient, tmp_path: Path
) -> None:
    rows = build_lake().rows
    jobs = sum(isinstance(row, JobVertex) for row in rows)

    def status(name: str, built: list[GraphRow], counts: GraphCounts | None) -> dict[str, Any]:
        write_build(tmp_path / name, built, counts=counts)
        assert run_load(str(tmp_path / name), LocalTarget(url=clean_graph)).succeeded
        answer = api.get("/status", params={"counts": "true"})
        assert answer.status_code == 200
        found: dict[str, Any] = answer.json()
        return found

    live = status("uncounted", rows, None)  # a marker without counts
    assert live["counts"]["Job"] == jobs > 0
    assert live["counts_capped_at"] == 100_000  # counted at read time
    # Counts that are not the graph's show that the marker's are the ones answered, and the
    # next load's are answered at once (one build's counts never outlive its load).
    for n, counts in enumerate([GraphCounts(7, 8, 9, 10**12), GraphCounts(jobs, 0, 0, 0)]):
        got = status(f"counted-{n}", rows, counts)
        assert got["counts"] == dict(
            zip(["Job", "Dataset", "Plan", "Run"], counts.as_tuple(), strict=True)
        )
        assert got["counts_capped_at"] is None
    # A later build without counts cannot remove the earlier ones from the marker: they are
    # ignored, and the graph (one job more now) is counted at read time.
    added = JobVertex(name="one more", glue_job_name=None)
    more = [*rows, added, *catalog_rows(added)]
    after = status("uncounted-again", more, None)
    assert after["counts"]["Job"] == jobs + 1
    assert after["counts_capped_at"] == 100_000
