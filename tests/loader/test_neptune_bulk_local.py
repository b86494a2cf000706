"""`NeptuneBulkLoader`, the client the nightly job runs on Neptune, against the local loader API.

Polling, error-log paging, the deadline, Ctrl-C, the fast-reset handshake and every final status
the local server produces, with the real boto3 client over HTTP: no stubs.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from gremlin_python.driver.driver_remote_connection import DriverRemoteConnection
from gremlin_python.process.anonymous_traversal import traversal

from lineage_cli.commands.load import (
    EXIT_CANCELLED,
    EXIT_COMPLETED_WITH_ERRORS,
    EXIT_LOAD_FAILED,
    exit_code,
)
from loader.errors import LoadCancelledError
from loader.neptune_bulk import (
    LOCAL_IAM_ROLE,
    LoadRequest,
    NeptuneBulkLoader,
    PollPolicy,
    _Clock,
    local_client,
)

pytestmark = pytest.mark.graph


def bulk(url: str, **poll: Any) -> NeptuneBulkLoader:
    port = urlsplit(url).port
    policy = PollPolicy(first_delay=0.02, max_delay=0.2, factor=1.5, **poll)
    return NeptuneBulkLoader(local_client(f"http://127.0.0.1:{port}"), poll=policy)


def request(folder: Path, **options: Any) -> LoadRequest:
    return LoadRequest(
        source=folder.resolve().as_uri(), iam_role_arn=LOCAL_IAM_ROLE, region="local", **options
    )


def vertex_count(url: str) -> int:
    connection = DriverRemoteConnection(url, "g")
    try:
        return int(traversal().with_remote(connection).V().count().next())
    finally:
        connection.close()


def test_a_load_is_polled_to_completion_with_neptunes_totals(
    clean_graph: str, tmp_path: Path
) -> None:
    (tmp_path / "v.csv").write_text("~id,~label\na,L\nb,L\na,L\n")
    seen: list[str] = []
    loader = bulk(clean_graph)
    loader.on_status = lambda status, payload: seen.append(status)
    report = loader.load(request(tmp_path), target="gremlin-server")
    assert report.succeeded and report.load_id
    assert (report.totals.records, report.totals.duplicates) == (3, 1)
    assert seen[-1] == "LOAD_COMPLETED"
    assert set(seen) <= {"LOAD_NOT_STARTED", "LOAD_IN_PROGRESS", "LOAD_COMPLETED"}


def test_the_error_log_is_read_page_by_page_with_relative_file_names(
    clean_graph: str, tmp_path: Path
) -> None:
    (tmp_path / "sub").mkdir()
    rows = "".join(f"r{i},Run,{'x' if i % 2 else i}\n" for i in range(10))
    (tmp_path / "sub" / "runs.csv").write_text("~id,~label,n:Int\n" + rows)
    report = bulk(clean_graph, errors_per_page=2).load(request(tmp_path, fail_on_error=False))
    assert report.completed_with_errors and exit_code(report) == EXIT_COMPLETED_WITH_ERRORS
    assert report.totals.datatype_mismatch_errors == 5
    assert [(e.code, e.file, e.line) for e in report.errors] == [
        ("DATA_TYPE_CONVERSION_FAIL", "sub/runs.csv", line) for line in (3, 5, 7, 9, 11)
    ]
    assert not report.errors_truncated
    assert [(f.file, f.status) for f in report.failed_files] == [("sub/runs.csv", "LOAD_FAILED")]


def test_error_pages_stop_at_the_limit(clean_graph: str, tmp_path: Path) -> None:
    rows = "".join(f"r{i},Run,x\n" for i in range(9))
    (tmp_path / "runs.csv").write_text("~id,~label,n:Int\n" + rows)
    loader = bulk(clean_graph, errors_per_page=2, max_error_pages=2)
    report = loader.load(request(tmp_path, fail_on_error=False))
    assert len(report.errors) == 4 and report.errors_truncated


def test_fail_on_error_stops_at_the_first_bad_record(clean_graph: str, tmp_path: Path) -> None:
    (tmp_path / "runs.csv").write_text("~id,~label,n:Int\nr1,Run,1\nr2,Run,x\nr3,Run,3\n")
    report = bulk(clean_graph).load(request(tmp_path))
    assert report.status == "LOAD_FAILED" and exit_code(report) == EXIT_LOAD_FAILED
    assert [(e.file, e.line) for e in report.errors] == [("runs.csv", 3)]
    assert vertex_count(clean_graph) == 1


def _big(tmp_path: Path, rows: int = 1_500_000) -> Path:
    folder = tmp_path / "big"
    folder.mkdir()
    (folder / "v.csv").write_text("~id,~label\n" + "".join(f"v{i},L\n" for i in range(rows)))
    return folder


def test_the_deadline_cancels_the_load_on_the_server(clean_graph: str, tmp_path: Path) -> None:
    folder = _big(tmp_path)
    loader = bulk(clean_graph, deadline=0.05)
    with pytest.raises(LoadCancelledError) as caught:
        loader.load(request(folder))
    report = caught.value.report
    assert report is not None and report.status == "LOAD_CANCELLED_BY_USER"
    assert report.load_id is not None
    payload = loader.status(report.load_id)
    deadline = time.monotonic() + 30
    while payload["overallStatus"]["status"] == "LOAD_IN_PROGRESS":
        assert time.monotonic() < deadline
        time.sleep(0.05)
        payload = loader.status(report.load_id)
    assert payload["overallStatus"]["status"] == "LOAD_CANCELLED_BY_USER"


def test_ctrl_c_cancels_the_load_on_the_server(clean_graph: str, tmp_path: Path) -> None:
    folder = _big(tmp_path)
    loader = bulk(clean_graph)

    def interrupted(seconds: float) -> None:
        raise KeyboardInterrupt

    loader.clock = _Clock(sleep=interrupted, now=time.monotonic)
    with pytest.raises(LoadCancelledError, match="Ctrl-C") as caught:
        loader.load(request(folder))
    report = caught.value.report
    assert report is not None and exit_code(report) == EXIT_CANCELLED
    assert report.load_id is not None
    loader.clock = _Clock()
    assert loader.wait(report.load_id)["overallStatus"]["status"] == "LOAD_CANCELLED_BY_USER"


def test_a_dependency_that_failed_fails_the_dependent_load(
    clean_graph: str, tmp_path: Path
) -> None:
    bad, good = tmp_path / "bad", tmp_path / "good"
    bad.mkdir()
    good.mkdir()
    (bad / "v.csv").write_text("~id,~label,n:Int\nv1,L,x\n")
    (good / "v.csv").write_text("~id,~label\nv2,L\n")
    loader = bulk(clean_graph)
    first = loader.start(request(bad))
    report = loader.load(request(good, dependencies=(first,)))
    assert report.status == "LOAD_FAILED_BECAUSE_DEPENDENCY_NOT_SATISFIED"
    assert exit_code(report) == EXIT_LOAD_FAILED
    assert vertex_count(clean_graph) == 0


def test_a_file_changed_during_the_load_fails_its_feed(clean_graph: str, tmp_path: Path) -> None:
    folder = _big(tmp_path)
    (folder / "w.csv").write_text("~id,~label\nw1,L\n")
    loader = bulk(clean_graph)
    load_id = loader.start(request(folder))
    deadline = time.monotonic() + 60
    # Records counted: the files were listed and read through, v.csv is being written.
    while not loader.status(load_id)["overallStatus"]["totalRecords"]:
        assert time.monotonic() < deadline
        time.sleep(0.005)
    (folder / "w.csv").write_text("~id,~label\nw1,L\nw2,L\n")  # rewritten under the load
    payload = loader.wait(load_id)
    assert payload["overallStatus"]["status"] == "LOAD_FAILED"
    statuses = {
        feed["fullUri"].rsplit("/", 1)[-1]: feed["status"] for feed in payload["failedFeeds"]
    }
    assert statuses == {"w.csv": "LOAD_DATA_FAILED_DUE_TO_FEED_MODIFIED_OR_DELETED"}
    errors, _ = loader.error_log(load_id)
    assert errors[-1].code == "LOAD_DATA_FAILED_DUE_TO_FEED_MODIFIED_OR_DELETED"


def test_fast_reset_wipes_the_graph_with_the_token_handshake(
    clean_graph: str, tmp_path: Path
) -> None:
    (tmp_path / "v.csv").write_text("~id,~label\na,L\n")
    loader = bulk(clean_graph)
    assert loader.load(request(tmp_path)).succeeded
    loader.fast_reset()
    assert vertex_count(clean_graph) == 0
