"""`lineage load` when things go wrong: every failure is a report and a documented exit code.

Real Gremlin Servers throughout: the session one, and one of the test's own that is killed in the
middle of a load. Each test checks the exit code, that no traceback reaches the user, that the
report names file and line, and what the graph really holds against what the report says was
committed.
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
import os
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from gremlin_python.driver.driver_remote_connection import DriverRemoteConnection
from gremlin_python.process.anonymous_traversal import traversal
from gremlin_python.process.graph_traversal import GraphTraversalSource
from typer.testing import CliRunner

from lineage.graph_schema import RunVertex, csv_header, csv_line
from lineage.neptune_csv import header_line
from lineage_cli.commands.load import (
    EXIT_COMPLETED_WITH_ERRORS,
    EXIT_LOAD_FAILED,
    EXIT_OK,
    EXIT_UNREACHABLE,
    EXIT_USAGE,
    exit_code,
)
from lineage_cli.main import app
from loader.local_gremlin import LocalLoadOptions, LocalProgress, load_folder
from loader.run import LocalTarget, run_load
from local_neptune.ports import free_port

pytestmark = pytest.mark.graph

MIB = 1024 * 1024


@pytest.fixture
def g(clean_graph: str) -> Iterator[GraphTraversalSource]:
    connection = DriverRemoteConnection(clean_graph, "g")
    try:
        yield traversal().with_remote(connection)
    finally:
        connection.close()


def cli(*args: str) -> Any:
    result = CliRunner().invoke(app, ["load", *args])
    # No traceback and no click "Aborted.": the exception, if any, is the exit itself.
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output and "Aborted" not in result.output, result.output
    return result


def report_of(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_bytes())
    return data


def ids(g: GraphTraversalSource) -> list[str]:
    return sorted(g.V().id_().to_list())


# --- Neptune Date cells ------------------------------------------------------------------------


def test_an_undocumented_date_form_is_a_conversion_error_with_file_and_line(
    clean_graph: str, g: GraphTraversalSource, tmp_path: Path
) -> None:
    (tmp_path / "runs.csv").write_text(
        "~id,~label,t:Date(single)\n"
        "r1,Run,2026-01-02T03:04:05Z\n"
        "r2,Run,2026-01-02T03:04:05.678Z\n"
        "r3,Run,2026-01-02T03:04\n"
        "r4,Run,2026-01-02T03:04:05+01:00\n"
    )
    report = tmp_path / "report.json"
    result = cli(
        "--from",
        str(tmp_path),
        "--graph",
        clean_graph,
        "--no-fail-on-error",
        "--report",
        str(report),
    )
    assert result.exit_code == EXIT_COMPLETED_WITH_ERRORS, result.output
    errors = report_of(report)["errors"]
    assert [(e["code"], e["file"], e["line"], e["column"]) for e in errors] == [
        ("DATA_TYPE_CONVERSION", "runs.csv", 3, "t:Date(single)"),
        ("DATA_TYPE_CONVERSION", "runs.csv", 5, "t:Date(single)"),
    ]
    assert "runs.csv:3: column 't:Date(single)': DATA_TYPE_CONVERSION" in result.output
    assert ids(g) == ["r1", "r3"]


def test_a_built_run_vertex_loads_whole_second_dates_and_millisecond_longs(
    clean_graph: str, g: GraphTraversalSource, tmp_path: Path
) -> None:
    ended = dt.datetime(2026, 11, 22, 2, 0, 5, 123_456, tzinfo=dt.UTC)
    run = RunVertex(
        plan_id="p1",
        timestamp_ms=1,
        discriminator=None,
        job_name="job",
        status="SUCCEEDED",
        error=None,
        started_at=ended - dt.timedelta(milliseconds=1500),
        ended_at=ended,
        duration_ms=1500,
        rows_read=None,
        rows_written=None,
        bytes_written=None,
        app_id=None,
        user=None,
        glue_job_run_id=None,
        raw_key="k",
        raw_sha256="s",
    )
    line = csv_line(run)
    assert "2026-11-22T02:00:05Z" in line and "2026-11-22T02:00:03Z" in line
    assert ".123" not in line and ".623" not in line
    (tmp_path / "Run.csv").write_text(header_line(csv_header(RunVertex)) + "\n" + line + "\n")
    report = run_load(str(tmp_path), LocalTarget(url=clean_graph))
    assert report.succeeded, report.errors
    (stored,) = g.V(run.id).value_map().to_list()
    assert stored["ended_at"] == [dt.datetime(2026, 11, 22, 2, 0, 5)]
    assert stored["started_at"] == [dt.datetime(2026, 11, 22, 2, 0, 3)]
    epoch = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
    assert stored["ended_at_ms"] == [(ended - epoch) // dt.timedelta(milliseconds=1)]
    assert stored["ended_at_ms"][0] - stored["started_at_ms"][0] == 1500


# --- sources that cannot be loaded -----------------------------------------------------------


@pytest.mark.parametrize(
    ("make_source", "message"),
    [
        (lambda tmp: str(tmp / "no-such-folder"), "does not exist"),
        (lambda tmp: str(tmp), "no load files"),
        (lambda tmp: "s3://", "no bucket"),
    ],
    ids=["missing", "empty", "s3-without-bucket"],
)
def test_an_unknown_or_empty_source_is_a_usage_error_with_a_report(
    clean_graph: str, tmp_path: Path, make_source: Any, message: str
) -> None:
    report = tmp_path / "out" / "report.json"
    (tmp_path / "_SUCCESS").write_text("")
    result = cli("--from", make_source(tmp_path), "--graph", clean_graph, "--report", str(report))
    assert result.exit_code == EXIT_USAGE, result.output
    assert message in result.output
    data = report_of(report)
    assert data["stopped_by"] == "source" and data["errors"][0]["code"] == "SOURCE_ERROR"


def test_an_unreachable_server_exits_5_with_a_report(tmp_path: Path) -> None:
    (tmp_path / "v.csv").write_text("~id,~label\nv1,L\n")
    report = tmp_path / "report.json"
    url = f"ws://127.0.0.1:{free_port()}/gremlin"
    result = cli("--from", str(tmp_path), "--graph", url, "--report", str(report))
    assert result.exit_code == EXIT_UNREACHABLE, result.output
    assert "cannot reach Gremlin Server" in result.output
    data = report_of(report)
    assert data["stopped_by"] == "graph" and data["committed_records"] == 0


# --- damaged files -----------------------------------------------------------------------------


def truncated_gzip(path: Path, rows: int) -> None:
    text = "~id,~label,n:Int\n" + "".join(f"t{i},L,{i}\n" for i in range(rows))
    data = gzip.compress(text.encode())
    path.write_bytes(data[: len(data) // 2])


def test_a_truncated_gzip_loads_nothing_of_itself_and_names_the_file(
    clean_graph: str, g: GraphTraversalSource, tmp_path: Path
) -> None:
    (tmp_path / "good.csv").write_text("~id,~label\ng1,L\n")
    truncated_gzip(tmp_path / "trunc.csv.gz", 20_000)
    report = tmp_path / "report.json"
    result = cli("--from", str(tmp_path), "--graph", clean_graph, "--report", str(report))
    assert result.exit_code == EXIT_LOAD_FAILED, result.output
    assert "trunc.csv.gz:" in result.output and "truncated or corrupt gzip" in result.output
    data = report_of(report)
    assert [f["file"] for f in data["failed_files"]] == ["trunc.csv.gz"]
    assert data["committed_records"] == 0
    assert ids(g) == []  # failOnError: a broken file stops the load before any write


def test_a_truncated_gzip_is_skipped_whole_when_errors_are_tolerated(
    clean_graph: str, g: GraphTraversalSource, tmp_path: Path
) -> None:
    (tmp_path / "good.csv").write_text("~id,~label\ng1,L\ng2,L\n")
    truncated_gzip(tmp_path / "trunc.csv.gz", 20_000)
    report = tmp_path / "report.json"
    result = cli(
        "--from",
        str(tmp_path),
        "--graph",
        clean_graph,
        "--no-fail-on-error",
        "--report",
        str(report),
    )
    assert result.exit_code == EXIT_COMPLETED_WITH_ERRORS, result.output
    assert ids(g) == ["g1", "g2"]  # not one record of the truncated file
    data = report_of(report)
    files = {f["file"]: f for f in data["files"]}
    assert files["good.csv"]["committed_records"] == 2
    assert files["trunc.csv.gz"]["status"] == "LOAD_FAILED"
    (error,) = data["errors"]
    assert error["file"] == "trunc.csv.gz" and error["line"] > 1


def test_a_malformed_row_stops_the_load_and_the_report_says_what_was_committed(
    clean_graph: str, g: GraphTraversalSource, tmp_path: Path
) -> None:
    rows = "".join(f"v{i},L\n" for i in range(5))
    (tmp_path / "v.csv").write_text("~id,~label\n" + rows + 'v5,"L\n')
    report = tmp_path / "report.json"
    result = cli(
        "--from",
        str(tmp_path),
        "--graph",
        clean_graph,
        "--batch-size",
        "2",
        "--report",
        str(report),
    )
    assert result.exit_code == EXIT_LOAD_FAILED, result.output
    assert "v.csv:7: PARSING_ERROR: unterminated quoted field" in result.output
    data = report_of(report)
    # Batches of two: v0..v3 were written and confirmed; v4 waited in the unsent batch.
    assert data["committed_records"] == 4 == len(ids(g))
    assert "committed 4 records from v.csv (4)" in result.output


def test_a_file_that_is_not_text_fails_as_that_file(clean_graph: str, tmp_path: Path) -> None:
    (tmp_path / "v.csv").write_text("~id,~label\nv1,L\n")
    (tmp_path / "photo.csv").write_bytes(b"~id,~label\nv2,\xff\xd8\xff\xe0\n")
    result = cli("--from", str(tmp_path), "--graph", clean_graph, "--no-fail-on-error")
    assert result.exit_code == EXIT_COMPLETED_WITH_ERRORS, result.output
    assert "photo.csv:2: PARSING_ERROR: not UTF-8" in result.output


# --- records too large for one request ---------------------------------------------------------


def test_a_record_over_the_request_limit_is_its_own_error_and_the_rest_loads(
    clean_graph: str, g: GraphTraversalSource, tmp_path: Path
) -> None:
    before = "".join(f"a{i},Plan,x\n" for i in range(30))
    after = "".join(f"b{i},Plan,y\n" for i in range(30))
    (tmp_path / "plans.csv").write_text(
        "~id,~label,name:String(single)\n"
        + before
        + "nine,Plan,"
        + "n" * (9 * MIB)  # fits alone in a request: it loads
        + "\n"
        + "eleven,Plan,"
        + "é" * (6 * MIB)  # 12 MiB of UTF-8: over the server's 10 MiB limit
        + "\n"
        + after
    )
    report = tmp_path / "report.json"
    result = cli(
        "--from",
        str(tmp_path),
        "--graph",
        clean_graph,
        "--no-fail-on-error",
        "--report",
        str(report),
    )
    assert result.exit_code == EXIT_COMPLETED_WITH_ERRORS, result.output
    (error,) = report_of(report)["errors"]
    assert (error["code"], error["file"], error["line"]) == ("RECORD_TOO_LARGE", "plans.csv", 33)
    assert "10,485,760 bytes" in error["message"]
    assert len(ids(g)) == 61 and "eleven" not in ids(g)
    assert len(g.V("nine").values("name").next()) == 9 * MIB


# --- the server dies in the middle of a load ---------------------------------------------------


def test_the_server_dying_mid_load_is_exit_5_with_what_was_committed(tmp_path: Path) -> None:
    from local_neptune import ServerLayout, ServerSettings, start, stop

    cache = Path(__file__).resolve().parents[2] / ".cache" / "gremlin-server"
    layout = ServerLayout(
        lib_dir=cache / "lib", build_dir=cache / "ext", state_dir=tmp_path / "server"
    )
    started = start(ServerSettings(port=0, heap="512m"), layout)
    try:
        rows = "".join(f"v{i},L,{i}\n" for i in range(20_000))
        (tmp_path / "csv").mkdir()
        (tmp_path / "csv" / "v.csv").write_text("~id,~label,n:Int\n" + rows)
        killed: list[int] = []

        def kill_after_some(event: LocalProgress) -> None:
            if event.records >= 3000 and not killed:
                os.killpg(started.state.pid, signal.SIGKILL)
                killed.append(event.records)

        report = run_load(
            str(tmp_path / "csv"),
            LocalTarget(url=started.state.endpoint, batch_size=500),
            report_path=tmp_path / "report.json",
            local_progress=kill_after_some,
        )
    finally:
        stop(layout)
    assert killed, "the server was never killed: the load finished first"
    assert exit_code(report) == EXIT_UNREACHABLE
    assert report.status == "LOAD_UNEXPECTED_ERROR" and report.stopped_by == "graph"
    assert "lost the Gremlin Server" in report.errors[-1].message
    # Batches are confirmed one behind: at least the batches before the kill are committed.
    assert 2000 <= report.committed_records <= killed[0] < 20_000
    (result,) = report.files
    assert result.status == "LOAD_FAILED" and result.committed_records == report.committed_records
    assert report_of(tmp_path / "report.json")["committed_records"] == report.committed_records


def test_a_hung_server_fails_the_load_after_the_request_timeout(tmp_path: Path) -> None:
    from local_neptune import ServerLayout, ServerSettings, start, stop

    cache = Path(__file__).resolve().parents[2] / ".cache" / "gremlin-server"
    layout = ServerLayout(
        lib_dir=cache / "lib", build_dir=cache / "ext", state_dir=tmp_path / "server"
    )
    started = start(ServerSettings(port=0, heap="512m"), layout)
    frozen: list[int] = []
    try:
        (tmp_path / "csv").mkdir()
        rows = "".join(f"v{i},L,{i}\n" for i in range(20_000))
        (tmp_path / "csv" / "v.csv").write_text("~id,~label,n:Int\n" + rows)

        def freeze_after_some(event: LocalProgress) -> None:
            if event.records >= 3000 and not frozen:
                os.killpg(started.state.pid, signal.SIGSTOP)  # alive, but answers nothing
                frozen.append(event.records)

        options = LocalLoadOptions(batch_size=500, request_timeout=3.0)
        report = load_folder(tmp_path / "csv", started.state.endpoint, options, freeze_after_some)
    finally:
        os.killpg(started.state.pid, signal.SIGCONT)
        stop(layout)
    assert frozen
    assert exit_code(report) == EXIT_UNREACHABLE and report.stopped_by == "graph"
    assert "no answer within 3 s" in report.errors[-1].message
    assert 2000 <= report.committed_records <= frozen[0]


def test_a_clean_load_still_exits_0(clean_graph: str, tmp_path: Path) -> None:
    (tmp_path / "v.csv").write_text("~id,~label\nv1,L\n")
    result = cli("--from", str(tmp_path), "--graph", clean_graph, "--report", str(tmp_path / "r"))
    assert result.exit_code == EXIT_OK, result.output
