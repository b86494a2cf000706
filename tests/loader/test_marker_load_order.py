"""The build marker loads last, on the real local loader API: a second load queued behind the
graph files' load with `dependencies`, never run when that load failed.

The read API keys its caches on the marker, so these are the guarantees that an answer computed
while a load runs is never cached under the new build's digest.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from build_folder import write_build
from gremlin_python.process.graph_traversal import GraphTraversalSource
from typer.testing import CliRunner

from lineage.graph_csv import CsvFile
from lineage.graph_schema import BUILD_MARKER_DIGEST, BUILD_MARKER_ID, JobVertex
from lineage_cli.main import app
from loader.run import LocalTarget, run_load

pytestmark = pytest.mark.graph

# Every test takes `clean_graph` (emptied) and the session's `g` on the same server.

DEPENDENCY_FAILED = "LOAD_FAILED_BECAUSE_DEPENDENCY_NOT_SATISFIED"


def jobs(count: int, prefix: str = "job") -> list[JobVertex]:
    return [JobVertex(f"{prefix}-{i:06d}", None) for i in range(count)]


def loaded_digest(g: GraphTraversalSource) -> list[str]:
    return [str(v) for v in g.V(BUILD_MARKER_ID).values(BUILD_MARKER_DIGEST).to_list()]


def test_a_build_folder_loads_its_graph_files_then_its_marker(
    clean_graph: str, g: GraphTraversalSource, tmp_path: Path
) -> None:
    digest = write_build(tmp_path / "build", jobs(3))
    report = run_load(str(tmp_path / "build"), LocalTarget(url=clean_graph))
    assert report.succeeded, report.errors
    assert report.marker_load_id is not None and report.marker_load_id != report.load_id
    assert report.marker_status == "LOAD_COMPLETED"
    assert report.totals.records == 4  # three jobs, then the marker
    assert loaded_digest(g) == [digest]


def test_a_failed_graph_load_leaves_the_previous_marker(
    clean_graph: str, g: GraphTraversalSource, tmp_path: Path
) -> None:
    before = write_build(tmp_path / "a", jobs(3))
    assert run_load(str(tmp_path / "a"), LocalTarget(url=clean_graph)).succeeded
    bad = CsvFile(
        "csv/vertices/Run-00000.csv", "vertex", "Run", 1, b"~id,~label,n:Long\nr,Run,1x\n"
    )
    after = write_build(tmp_path / "b", jobs(5, "other"), extra=[bad])
    assert (tmp_path / "b" / "marker" / "Build-00000.csv").is_file()

    report = run_load(str(tmp_path / "b"), LocalTarget(url=clean_graph))
    assert report.status == "LOAD_FAILED" and not report.succeeded
    assert report.marker_status == DEPENDENCY_FAILED
    assert any("marker was not loaded" in note for note in report.notes)
    assert loaded_digest(g) == [before] != [after]


def test_while_the_graph_files_load_the_marker_names_the_previous_build(
    clean_graph: str, g: GraphTraversalSource, tmp_path: Path
) -> None:
    before = write_build(tmp_path / "a", jobs(3))
    assert run_load(str(tmp_path / "a"), LocalTarget(url=clean_graph)).succeeded
    # Big enough that the graph files' load is seen in progress (about 0.5 s on a warm server).
    after = write_build(tmp_path / "b", jobs(200_000, "big"))
    seen: list[tuple[str, str, list[str]]] = []

    def watch(status: str, payload: Mapping[str, Any]) -> None:
        uri = str((payload.get("overallStatus") or {}).get("fullUri", ""))
        part = "marker" if uri.rstrip("/").endswith("/marker") else "graph"
        seen.append((part, status, loaded_digest(g)))

    report = run_load(str(tmp_path / "b"), LocalTarget(url=clean_graph), neptune_status=watch)
    assert report.succeeded, report.errors
    in_flight = [d for part, status, d in seen if part == "graph" and status == "LOAD_IN_PROGRESS"]
    # Until the graph files' load completed, the old digest; the marker's load, queued behind
    # it, may run at once then, before the client's next poll.
    assert in_flight, seen
    # The status poll and the digest read are two requests: the graph files' load (and the
    # marker's right after it) may finish between them, so only the last in-progress sample
    # may already see the new digest; every earlier one must see the old.
    assert all(digest == [before] for digest in in_flight[:-1]), seen
    assert in_flight[-1] in ([before], [after]), seen
    assert seen[-1][:2] == ("marker", "LOAD_COMPLETED")
    assert loaded_digest(g) == [after]


def test_a_plain_csv_folder_loads_in_one_load(
    clean_graph: str, g: GraphTraversalSource, tmp_path: Path
) -> None:
    (tmp_path / "Job.csv").write_bytes(b"~id,~label\nj1,Job\n")
    report = run_load(str(tmp_path), LocalTarget(url=clean_graph))
    assert report.succeeded, report.errors
    assert (report.marker_load_id, report.marker_status) == (None, None)
    assert g.V().id_().to_list() == ["j1"]


def test_the_cli_loads_a_build_and_its_marker(
    clean_graph: str, g: GraphTraversalSource, tmp_path: Path
) -> None:
    digest = write_build(tmp_path / "build", jobs(2))
    result = CliRunner().invoke(
        app,
        [
            "load",
            "--from",
            str(tmp_path / "build"),
            "--graph",
            clean_graph,
            "--report",
            str(tmp_path / "report.json"),
        ],
    )
    assert result.exit_code == 0, result.output
    assert loaded_digest(g) == [digest]


def test_a_builds_csv_folder_loads_with_its_marker_after_it(
    clean_graph: str, g: GraphTraversalSource, tmp_path: Path
) -> None:
    digest = write_build(tmp_path / "build", jobs(2))
    report = run_load(str(tmp_path / "build" / "csv"), LocalTarget(url=clean_graph))
    assert report.succeeded and report.marker_status == "LOAD_COMPLETED"
    assert loaded_digest(g) == [digest]


def test_an_explicit_marker_folder_loads_after_the_graph_files(
    clean_graph: str, g: GraphTraversalSource, tmp_path: Path
) -> None:
    digest = write_build(tmp_path / "build", jobs(2))
    report = run_load(
        str(tmp_path / "build" / "csv"),
        LocalTarget(url=clean_graph),
        marker=str(tmp_path / "build" / "marker"),
    )
    assert report.succeeded and report.marker_status == "LOAD_COMPLETED"
    assert loaded_digest(g) == [digest]


def test_a_build_that_wrote_no_graph_file_loads_its_marker_alone(
    clean_graph: str, g: GraphTraversalSource, tmp_path: Path
) -> None:
    digest = write_build(tmp_path / "empty", [])
    report = run_load(str(tmp_path / "empty"), LocalTarget(url=clean_graph))
    assert report.succeeded, report.errors
    assert report.marker_load_id is None and report.totals.records == 1
    assert loaded_digest(g) == [digest]
