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
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from api_graph import run_started
from gremlin_python.driver.driver_remote_connection import DriverRemoteConnection
from gremlin_python.process.anonymous_traversal import traversal
from gremlin_python.process.graph_traversal import GraphTraversalSource
from typer.testing import CliRunner

from lineage.graph_csv import csv_files, csv_line
from lineage_cli.commands.load import (
    EXIT_COMPLETED_WITH_ERRORS,
    EXIT_LOAD_FAILED,
    EXIT_OK,
    EXIT_UNREACHABLE,
    EXIT_USAGE,
    exit_code,
)
from lineage_cli.main import app
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
    assert [(e["code"], e["file"], e["line"]) for e in errors] == [
        ("DATA_TYPE_CONVERSION_FAIL", "runs.csv", 3),
        ("DATA_TYPE_CONVERSION_FAIL", "runs.csv", 5),
    ]
    assert all("column 't:Date(single)'" in e["message"] for e in errors)
    assert "runs.csv:3: DATA_TYPE_CONVERSION_FAIL: column 't:Date(single)'" in result.output
    assert ids(g) == ["r1", "r3"]


def test_a_built_run_vertex_loads_whole_second_dates_and_millisecond_longs(
    clean_graph: str, g: GraphTraversalSource, tmp_path: Path
) -> None:
    ended = dt.datetime(2026, 11, 22, 2, 0, 5, 123_456, tzinfo=dt.UTC)
    run = run_started("p1", ended - dt.timedelta(milliseconds=1500), 1500)
    line = csv_line(run)
    assert "2026-11-22T02:00:05Z" in line and "2026-11-22T02:00:03Z" in line
    assert ".123" not in line and ".623" not in line
    (written,) = csv_files([run])
    (tmp_path / "Run.csv").write_bytes(written.data)
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
    assert "cannot reach the local graph's loader API" in result.output
    data = report_of(report)
    assert data["stopped_by"] == "graph" and data["totals"]["records"] == 0


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
    assert data["status"] == "LOAD_FAILED" and data["totals"]["parsing_errors"] == 1
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
    assert [(f["file"], f["status"]) for f in data["failed_files"]] == [
        ("trunc.csv.gz", "LOAD_FAILED")
    ]
    (error,) = data["errors"]
    assert error["file"] == "trunc.csv.gz" and error["line"] > 1


def test_a_malformed_row_stops_the_load_and_the_report_says_what_was_read(
    clean_graph: str, g: GraphTraversalSource, tmp_path: Path
) -> None:
    rows = "".join(f"v{i},L\n" for i in range(5))
    (tmp_path / "v.csv").write_text("~id,~label\n" + rows + 'v5,"L\n')
    report = tmp_path / "report.json"
    result = cli("--from", str(tmp_path), "--graph", clean_graph, "--report", str(report))
    assert result.exit_code == EXIT_LOAD_FAILED, result.output
    assert "v.csv:7: PARSING_ERROR: unterminated quoted field" in result.output
    data = report_of(report)
    # The records before the bad one are in the graph, as on Neptune.
    assert data["totals"]["records"] == 6 and data["totals"]["parsing_errors"] == 1
    assert ids(g) == [f"v{i}" for i in range(5)]


def test_a_small_gzip_of_300m_blank_lines_is_a_parsing_error_not_a_full_heap(
    clean_graph: str, g: GraphTraversalSource, tmp_path: Path
) -> None:
    # 300 M line feeds gzip to a few hundred KB; the line count must not size the graph's maps
    # for 300 M elements (several GB on the 1 GB test server) before the parse refuses them.
    with gzip.open(tmp_path / "v.csv.gz", "wb", compresslevel=9) as out:
        out.write(b"~id,~label\nv1,L\n")
        for _ in range(300):
            out.write(b"\n" * MIB)
    result = cli("--from", str(tmp_path), "--graph", clean_graph)
    assert result.exit_code == EXIT_LOAD_FAILED, result.output
    assert "v.csv.gz:3: PARSING_ERROR: blank line" in result.output
    assert ids(g) == ["v1"]
    # The server is whole: the next load goes in beside what is there.
    (tmp_path / "v.csv.gz").unlink()
    (tmp_path / "w.csv").write_text("~id,~label\nw1,L\n")
    assert cli("--from", str(tmp_path), "--graph", clean_graph).exit_code == EXIT_OK
    assert ids(g) == ["v1", "w1"]


def test_a_file_that_is_not_text_fails_as_that_file(clean_graph: str, tmp_path: Path) -> None:
    (tmp_path / "v.csv").write_text("~id,~label\nv1,L\n")
    (tmp_path / "photo.csv").write_bytes(b"~id,~label\nv2,\xff\xd8\xff\xe0\n")
    result = cli("--from", str(tmp_path), "--graph", clean_graph, "--no-fail-on-error")
    assert result.exit_code == EXIT_COMPLETED_WITH_ERRORS, result.output
    assert "photo.csv:2: PARSING_ERROR: not UTF-8" in result.output


# --- records larger than a Gremlin request ------------------------------------------------------


def test_records_larger_than_a_gremlin_request_load_whole(
    clean_graph: str, g: GraphTraversalSource, tmp_path: Path
) -> None:
    (tmp_path / "plans.csv").write_text(
        "~id,~label,name:String(single)\n"
        + "".join(f"a{i},Plan,x\n" for i in range(30))
        + "eleven,Plan,"
        + "é" * (6 * MIB)  # 12 MiB of UTF-8: over the server's 10 MiB request limit
        + "\n"
    )
    result = cli("--from", str(tmp_path), "--graph", clean_graph, "--report", str(tmp_path / "r"))
    # The server reads the file itself: no request carries the data, so no request limit applies.
    assert result.exit_code == EXIT_OK, result.output
    assert len(ids(g)) == 31
    # The answer is as large as the record: read it with the client's size limit off.
    connection = DriverRemoteConnection(clean_graph, "g", max_content_length=0)
    try:
        name = traversal().with_remote(connection).V("eleven").values("name").next()
    finally:
        connection.close()
    assert name == "é" * (6 * MIB)


# --- the server dies or hangs in the middle of a load -----------------------------------------


def _big_folder(tmp_path: Path, rows: int) -> Path:
    folder = tmp_path / "csv"
    folder.mkdir()
    body = "".join(f"v{i},L,{i}\n" for i in range(rows))
    (folder / "v.csv").write_text("~id,~label,n:Int\n" + body)
    return folder


def test_the_server_dying_mid_load_is_exit_5_with_the_totals_last_seen(tmp_path: Path) -> None:
    from local_neptune import ServerLayout, ServerSettings, start, stop

    cache = Path(__file__).resolve().parents[2] / ".cache" / "gremlin-server"
    layout = ServerLayout(
        lib_dir=cache / "lib", build_dir=cache / "ext", state_dir=tmp_path / "server"
    )
    started = start(ServerSettings(port=0, heap="1g"), layout)
    killed: list[str] = []
    try:
        folder = _big_folder(tmp_path, 2_000_000)

        def kill_while_loading(status: str, payload: Any) -> None:
            if status == "LOAD_IN_PROGRESS" and not killed:
                os.killpg(started.state.pid, signal.SIGKILL)
                killed.append(status)

        report = run_load(
            str(folder),
            LocalTarget(url=started.state.endpoint),
            report_path=tmp_path / "report.json",
            neptune_status=kill_while_loading,
        )
    finally:
        stop(layout)
    assert killed, "the server was never killed: the load finished first"
    assert exit_code(report) == EXIT_UNREACHABLE
    assert report.status == "LOAD_UNEXPECTED_ERROR" and report.stopped_by == "graph"
    assert "lost the endpoint during load" in report.errors[-1].message
    assert report_of(tmp_path / "report.json")["load_id"] == report.load_id


def test_a_hung_server_fails_the_load_after_the_request_timeout(tmp_path: Path) -> None:
    from local_neptune import ServerLayout, ServerSettings, start, stop

    cache = Path(__file__).resolve().parents[2] / ".cache" / "gremlin-server"
    layout = ServerLayout(
        lib_dir=cache / "lib", build_dir=cache / "ext", state_dir=tmp_path / "server"
    )
    started = start(ServerSettings(port=0, heap="1g"), layout)
    frozen: list[str] = []
    try:
        folder = _big_folder(tmp_path, 2_000_000)

        def freeze_while_loading(status: str, payload: Any) -> None:
            if status == "LOAD_IN_PROGRESS" and not frozen:
                os.killpg(started.state.pid, signal.SIGSTOP)  # alive, but answers nothing
                frozen.append(status)

        began = time.monotonic()
        report = run_load(
            str(folder),
            LocalTarget(url=started.state.endpoint, request_timeout_s=1.0),
            neptune_status=freeze_while_loading,
        )
        waited = time.monotonic() - began
    finally:
        os.killpg(started.state.pid, signal.SIGCONT)
        stop(layout)
    assert frozen
    assert exit_code(report) == EXIT_UNREACHABLE and report.stopped_by == "graph"
    assert "ReadTimeoutError" in report.errors[-1].code
    assert waited < 30


def test_a_clean_load_still_exits_0(clean_graph: str, tmp_path: Path) -> None:
    (tmp_path / "v.csv").write_text("~id,~label\nv1,L\n")
    result = cli("--from", str(tmp_path), "--graph", clean_graph, "--report", str(tmp_path / "r"))
    assert result.exit_code == EXIT_OK, result.output
