"""The Neptune bulk-loader conversation through the real `neptunedata` client and Stubber.

Only what the local loader API cannot produce stays stubbed: throttling, IAM and S3 access
refusals, Neptune-only final statuses, an engine restarting during a fast reset, SigV4 targets.
Every other part of the conversation runs against the local server (`tests/loader/`).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import orjson
import pytest
from botocore.stub import Stubber

from lineage_cli.commands.load import (
    EXIT_CANCELLED,
    EXIT_LOAD_FAILED,
    EXIT_OK,
    EXIT_UNREACHABLE,
    EXIT_USAGE,
    exit_code,
)
from loader.errors import FastResetError, NeptuneApiError
from loader.neptune_bulk import (
    LoadRequest,
    NeptuneBulkLoader,
    PollPolicy,
    RetryPolicy,
    _Clock,
)
from loader.run import NeptuneTarget, run_load

pytestmark = pytest.mark.unit

SOURCE = "s3://lake/neptune/build=2026-01-02/"
ROLE = "arn:aws:iam::123456789012:role/NeptuneLoadFromS3"
LOAD_ID = "6a1f3a1c-0000-4000-8000-00000000abcd"


class FakeClock:
    """Time that moves only when the loader sleeps; records every sleep."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    def clock(self) -> _Clock:
        return _Clock(sleep=self.sleep, now=lambda: self.now, jitter=lambda: 0.5)


@pytest.fixture
def client() -> Any:
    return boto3.client(
        "neptunedata",
        region_name="eu-west-1",
        endpoint_url="https://lineage.cluster-abc.eu-west-1.neptune.amazonaws.com:8182",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


@pytest.fixture
def stub(client: Any) -> Iterator[Stubber]:
    with Stubber(client) as stubber:
        yield stubber
        stubber.assert_no_pending_responses()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def make_loader(client: Any, clock: FakeClock, **poll: Any) -> NeptuneBulkLoader:
    return NeptuneBulkLoader(
        client,
        retry=RetryPolicy(attempts=4, base_delay=1.0, max_delay=8.0),
        poll=PollPolicy(first_delay=2.0, max_delay=10.0, factor=2.0, **poll),
        clock=clock.clock(),
    )


def request(**overrides: Any) -> LoadRequest:
    return LoadRequest(source=SOURCE, iam_role_arn=ROLE, region="eu-west-1", **overrides)


def start_params(**overrides: Any) -> dict[str, Any]:
    params: dict[str, Any] = {
        "source": SOURCE,
        "format": "csv",
        "s3BucketRegion": "eu-west-1",
        "iamRoleArn": ROLE,
        "mode": "NEW",
        "failOnError": True,
        "parallelism": "HIGH",
        "queueRequest": True,
        "updateSingleCardinalityProperties": False,
    }
    params.update(overrides)
    return params


def started(stub: Stubber, expected: dict[str, Any] | None = None) -> None:
    stub.add_response(
        "start_loader_job",
        {"status": "200 OK", "payload": {"loadId": LOAD_ID}},
        expected if expected is not None else start_params(),
    )


def overall(status: str, **counts: int) -> dict[str, Any]:
    return {
        "fullUri": SOURCE,
        "runNumber": 1,
        "retryNumber": 0,
        "status": status,
        "totalTimeSpent": 12,
        "startTime": 1767312000,
        "totalRecords": counts.get("records", 0),
        "totalDuplicates": counts.get("duplicates", 0),
        "parsingErrors": counts.get("parsing", 0),
        "datatypeMismatchErrors": counts.get("datatype", 0),
        "insertErrors": counts.get("insert", 0),
    }


def status_reply(
    stub: Stubber, status: str, *, failed_feeds: list[dict[str, Any]] | None = None, **counts: int
) -> None:
    payload: dict[str, Any] = {
        "feedCount": [{status: 1}],
        "overallStatus": overall(status, **counts),
    }
    if failed_feeds:
        payload["failedFeeds"] = failed_feeds
    stub.add_response(
        "get_loader_job_status",
        {"status": "200 OK", "payload": payload},
        {"loadId": LOAD_ID, "details": True},
    )


def error_page(stub: Stubber, page: int, logs: list[dict[str, Any]], per_page: int) -> None:
    stub.add_response(
        "get_loader_job_status",
        {
            "status": "200 OK",
            "payload": {
                "overallStatus": overall("LOAD_FAILED"),
                "errors": {
                    "startIndex": (page - 1) * per_page + 1,
                    "endIndex": (page - 1) * per_page + len(logs),
                    "loadId": LOAD_ID,
                    "errorLogs": logs,
                },
            },
        },
        {
            "loadId": LOAD_ID,
            "details": True,
            "errors": True,
            "page": page,
            "errorsPerPage": per_page,
        },
    )


def log_entry(n: int) -> dict[str, Any]:
    return {
        "errorCode": "PARSING_ERROR",
        "errorMessage": f"Expected 5 fields, found {n}",
        "fileName": f"{SOURCE}vertices-000.csv",
        "recordNum": 100 + n,
    }


def test_request_parameters_are_passed_through(
    client: Any, stub: Stubber, clock: FakeClock
) -> None:
    started(
        stub,
        {
            "source": SOURCE,
            "format": "csv",
            "s3BucketRegion": "eu-west-1",
            "iamRoleArn": ROLE,
            "mode": "AUTO",
            "failOnError": False,
            "parallelism": "OVERSUBSCRIBE",
            "queueRequest": False,
            "updateSingleCardinalityProperties": True,
            "dependencies": ["vertices-load"],
            "parserConfiguration": {"allowEmptyStrings": "true"},
        },
    )
    status_reply(stub, "LOAD_COMPLETED", records=1)
    loader = make_loader(client, clock)
    report = loader.load(
        request(
            mode="AUTO",
            fail_on_error=False,
            parallelism="OVERSUBSCRIBE",
            queue_request=False,
            update_single_cardinality=True,
            dependencies=("vertices-load",),
            allow_empty_strings=True,
        )
    )
    assert report.succeeded


# Final statuses only Neptune's own machinery produces (S3 access, write conflicts, deadlocks,
# its request checks); the others run against the local loader API (tests/loader/).
FAILURES = [
    "LOAD_S3_ACCESS_DENIED_ERROR",
    "LOAD_CANCELLED_DUE_TO_ERRORS",
    "LOAD_UNEXPECTED_ERROR",
    "LOAD_COMMITTED_W_WRITE_CONFLICTS",
    "LOAD_DATA_DEADLOCK",
    "LOAD_FAILED_INVALID_REQUEST",
]


@pytest.mark.parametrize("final", FAILURES)
def test_each_failure_status_is_final_and_reported(
    client: Any, stub: Stubber, clock: FakeClock, final: str
) -> None:
    started(stub)
    status_reply(stub, "LOAD_IN_PROGRESS")
    feed = overall(final, records=10, insert=1)
    feed["fullUri"] = f"{SOURCE}edges-000.csv"
    status_reply(stub, final, failed_feeds=[feed], records=10, insert=1)
    error_page(stub, 1, [], per_page=100)
    report = make_loader(client, clock).load(request())
    assert report.status == final
    assert not report.succeeded
    assert exit_code(report) == EXIT_LOAD_FAILED
    # Named relative to the source, as the operator sees them in the build.
    assert [(f.file, f.status, f.totals.insert_errors) for f in report.failed_files] == [
        ("edges-000.csv", final, 1)
    ]


def throttle(stub: Stubber, operation: str) -> None:
    stub.add_client_error(
        operation,
        service_error_code="TooManyRequestsException",
        service_message="Too many requests",
        http_status_code=429,
        modeled_fields={
            "detailedMessage": "Rate exceeded",
            "requestId": "r1",
            "code": "TooManyRequestsException",
        },
    )


def test_throttling_is_retried_with_jitter(client: Any, stub: Stubber, clock: FakeClock) -> None:
    throttle(stub, "start_loader_job")
    throttle(stub, "start_loader_job")
    started(stub)
    throttle(stub, "get_loader_job_status")
    status_reply(stub, "LOAD_COMPLETED", records=3)
    report = make_loader(client, clock).load(request())
    assert report.succeeded
    # full jitter (0.5 here) of 1 s, 2 s; then 1 s again for the status call
    assert clock.sleeps == [0.5, 1.0, 0.5]


def test_throttling_gives_up_after_the_last_attempt(
    client: Any, stub: Stubber, clock: FakeClock
) -> None:
    for _ in range(4):
        throttle(stub, "start_loader_job")
    with pytest.raises(NeptuneApiError) as info:
        make_loader(client, clock).load(request())
    assert info.value.code == "TooManyRequestsException"
    assert info.value.message == "Rate exceeded"
    assert len(clock.sleeps) == 3


def test_other_errors_are_reported_with_neptunes_code_and_message(
    client: Any, stub: Stubber, clock: FakeClock
) -> None:
    stub.add_client_error(
        "start_loader_job",
        service_error_code="LoadUrlAccessDeniedException",
        service_message="Access denied",
        http_status_code=400,
        modeled_fields={
            "detailedMessage": "Failed to start new load from the source s3://lake/: Access Denied",
            "requestId": "r2",
            "code": "LoadUrlAccessDeniedException",
        },
    )
    with pytest.raises(NeptuneApiError) as info:
        make_loader(client, clock).load(request())
    assert str(info.value) == (
        "StartLoaderJob: LoadUrlAccessDeniedException: Failed to start new load from the "
        "source s3://lake/: Access Denied"
    )
    assert clock.sleeps == []


def fast_reset_conversation(stub: Stubber) -> None:
    stub.add_response(
        "execute_fast_reset",
        {"status": "200 OK", "payload": {"token": "reset-token-1"}},
        {"action": "initiateDatabaseReset"},
    )
    stub.add_response(
        "execute_fast_reset",
        {"status": "200 OK"},
        {"action": "performDatabaseReset", "token": "reset-token-1"},
    )
    stub.add_client_error(
        "get_engine_status",
        service_error_code="ServiceUnavailable",
        service_message="restarting",
        http_status_code=503,
    )
    stub.add_response("get_engine_status", {"status": "recovery"})
    stub.add_response("get_engine_status", {"status": "healthy"})


def test_full_rebuild_resets_with_the_token_then_loads(
    client: Any, stub: Stubber, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fast_reset_conversation(stub)
    started(stub, start_params(updateSingleCardinalityProperties=True))
    status_reply(stub, "LOAD_COMPLETED", records=7)
    sleeps: list[float] = []
    monkeypatch.setattr("loader.neptune_bulk.time.sleep", sleeps.append)
    monkeypatch.setattr("loader.neptune_bulk.random.random", lambda: 0.0)
    target = NeptuneTarget(
        endpoint="lineage.cluster-abc", iam_role_arn=ROLE, region="eu-west-1", strategy="full"
    )
    report_path = tmp_path / "report.json"
    report = run_load(
        SOURCE, target, accept_downtime=True, report_path=report_path, neptune_client=client
    )
    assert report.succeeded
    assert exit_code(report) == EXIT_OK
    assert "full rebuild" in report.notes[0]
    written = orjson.loads(report_path.read_bytes())
    assert (written["status"], written["load_id"], written["succeeded"]) == (
        "LOAD_COMPLETED",
        LOAD_ID,
        True,
    )


def test_full_rebuild_needs_the_explicit_flag(client: Any, stub: Stubber) -> None:
    target = NeptuneTarget(
        endpoint="lineage.cluster-abc", iam_role_arn=ROLE, region="eu-west-1", strategy="full"
    )
    report = run_load(SOURCE, target, neptune_client=client)
    assert exit_code(report) == EXIT_USAGE and report.stopped_by == "source"
    assert "--full-rebuild-i-accept-downtime" in report.errors[0].message


def test_fast_reset_without_a_token_fails(client: Any, stub: Stubber, clock: FakeClock) -> None:
    stub.add_response(
        "execute_fast_reset",
        {"status": "200 OK", "payload": {}},
        {"action": "initiateDatabaseReset"},
    )
    with pytest.raises(FastResetError, match="no token"):
        make_loader(client, clock).fast_reset()


def test_neptune_needs_an_s3_source(client: Any) -> None:
    target = NeptuneTarget(endpoint="lineage.cluster-abc", iam_role_arn=ROLE, region="eu-west-1")
    report = run_load("/tmp/build", target, neptune_client=client)
    assert exit_code(report) == EXIT_USAGE and report.stopped_by == "source"
    assert "S3 only" in report.errors[0].message


def test_neptune_refusing_the_load_is_a_report_not_an_exception(
    client: Any, stub: Stubber, monkeypatch: pytest.MonkeyPatch
) -> None:
    for _ in range(6):  # the default RetryPolicy's attempts
        throttle(stub, "start_loader_job")
    monkeypatch.setattr("loader.neptune_bulk.time.sleep", lambda _: None)
    target = NeptuneTarget(endpoint="lineage.cluster-abc", iam_role_arn=ROLE, region="eu-west-1")
    report = run_load(SOURCE, target, neptune_client=client)
    assert exit_code(report) == EXIT_UNREACHABLE and report.stopped_by == "graph"
    assert "TooManyRequestsException" in report.errors[0].message


# --------------------------------------------------------------- the build marker, loaded last

MARKER = "s3://lake/neptune/build=2026-01-02/marker/"
MARKER_ID = "6a1f3a1c-0000-4000-8000-0000000marker"


def load_status(stub: Stubber, load_id: str, source: str, status: str, *, records: int = 0) -> None:
    overall_status = {**overall(status, records=records), "fullUri": source}
    stub.add_response(
        "get_loader_job_status",
        {"status": "200 OK", "payload": {"overallStatus": overall_status}},
        {"loadId": load_id, "details": True},
    )


def no_errors_logged(stub: Stubber, load_id: str) -> None:
    stub.add_response(
        "get_loader_job_status",
        {"status": "200 OK", "payload": {"overallStatus": overall("LOAD_FAILED")}},
        {"loadId": load_id, "details": True, "errors": True, "page": 1, "errorsPerPage": 100},
    )


def marker_started(stub: Stubber) -> None:
    # Queued behind the graph files' load, and only behind it (not behind what that one waits on).
    stub.add_response(
        "start_loader_job",
        {"status": "200 OK", "payload": {"loadId": MARKER_ID}},
        start_params(
            source=MARKER,
            queueRequest=True,
            dependencies=[LOAD_ID],
            updateSingleCardinalityProperties=True,
        ),
    )


def test_the_marker_is_queued_behind_the_graph_load_with_dependencies(
    client: Any, stub: Stubber, monkeypatch: pytest.MonkeyPatch
) -> None:
    started(stub, start_params(dependencies=["earlier"], updateSingleCardinalityProperties=True))
    marker_started(stub)
    load_status(stub, LOAD_ID, SOURCE, "LOAD_IN_PROGRESS", records=3)
    load_status(stub, LOAD_ID, SOURCE, "LOAD_COMPLETED", records=7)
    load_status(stub, MARKER_ID, MARKER, "LOAD_COMPLETED", records=1)
    monkeypatch.setattr("loader.neptune_bulk.time.sleep", lambda _: None)
    target = NeptuneTarget(
        endpoint="lineage.cluster-abc",
        iam_role_arn=ROLE,
        region="eu-west-1",
        dependencies=("earlier",),
    )
    report = run_load(SOURCE, target, marker=MARKER, neptune_client=client)
    assert report.succeeded and exit_code(report) == EXIT_OK
    assert (report.load_id, report.marker_load_id) == (LOAD_ID, MARKER_ID)
    assert report.marker_status == "LOAD_COMPLETED"
    assert report.totals.records == 8


def test_a_failed_graph_load_leaves_the_marker_unloaded(
    client: Any, stub: Stubber, monkeypatch: pytest.MonkeyPatch
) -> None:
    started(stub, start_params(updateSingleCardinalityProperties=True))
    marker_started(stub)
    load_status(stub, LOAD_ID, SOURCE, "LOAD_FAILED", records=2)
    no_errors_logged(stub, LOAD_ID)
    load_status(stub, MARKER_ID, MARKER, "LOAD_FAILED_BECAUSE_DEPENDENCY_NOT_SATISFIED")
    no_errors_logged(stub, MARKER_ID)
    monkeypatch.setattr("loader.neptune_bulk.time.sleep", lambda _: None)
    target = NeptuneTarget(endpoint="lineage.cluster-abc", iam_role_arn=ROLE, region="eu-west-1")
    report = run_load(SOURCE, target, marker=MARKER, neptune_client=client)
    assert exit_code(report) == EXIT_LOAD_FAILED
    assert report.status == "LOAD_FAILED"
    assert report.marker_status == "LOAD_FAILED_BECAUSE_DEPENDENCY_NOT_SATISFIED"
    assert any("marker was not loaded" in note and MARKER_ID in note for note in report.notes)


def test_a_marker_load_neptune_refuses_cancels_the_graph_load(
    client: Any, stub: Stubber, monkeypatch: pytest.MonkeyPatch
) -> None:
    started(stub, start_params(updateSingleCardinalityProperties=True))
    stub.add_client_error(
        "start_loader_job",
        service_error_code="BadRequestException",
        service_message="Failed to start new load: 64 loads are already queued",
        http_status_code=400,
    )
    stub.add_response("cancel_loader_job", {"status": "200 OK"}, {"loadId": LOAD_ID})
    target = NeptuneTarget(endpoint="lineage.cluster-abc", iam_role_arn=ROLE, region="eu-west-1")
    report = run_load(SOURCE, target, marker=MARKER, neptune_client=client)
    assert exit_code(report) == EXIT_UNREACHABLE and report.stopped_by == "graph"
    assert "64 loads are already queued" in report.errors[0].message


def test_neptune_needs_an_s3_marker(client: Any) -> None:
    target = NeptuneTarget(endpoint="lineage.cluster-abc", iam_role_arn=ROLE, region="eu-west-1")
    report = run_load(SOURCE, target, marker="/tmp/build/marker", neptune_client=client)
    assert exit_code(report) == EXIT_USAGE and report.stopped_by == "source"
    assert "/tmp/build/marker" in report.errors[0].message


@pytest.mark.parametrize("graph_done", [False, True], ids=["graph-load-running", "marker-running"])
def test_a_load_cancelled_at_the_deadline_cancels_the_marker_load_too(
    client: Any, stub: Stubber, graph_done: bool
) -> None:
    started(stub, start_params(updateSingleCardinalityProperties=True))
    marker_started(stub)
    if graph_done:
        load_status(stub, LOAD_ID, SOURCE, "LOAD_COMPLETED", records=7)
        load_status(stub, MARKER_ID, MARKER, "LOAD_IN_PROGRESS")
    else:
        load_status(stub, LOAD_ID, SOURCE, "LOAD_IN_PROGRESS", records=3)
        stub.add_response("cancel_loader_job", {"status": "200 OK"}, {"loadId": LOAD_ID})
    stub.add_response("cancel_loader_job", {"status": "200 OK"}, {"loadId": MARKER_ID})
    target = NeptuneTarget(
        endpoint="lineage.cluster-abc", iam_role_arn=ROLE, region="eu-west-1", deadline_seconds=1
    )
    report = run_load(SOURCE, target, marker=MARKER, neptune_client=client)
    assert report.status == "LOAD_CANCELLED_BY_USER" and exit_code(report) == EXIT_CANCELLED
    assert report.load_id == LOAD_ID
    if graph_done:  # the report of the cancelled marker load still has the graph load's
        assert report.marker_load_id == MARKER_ID and report.totals.records == 7


def test_a_builds_graph_prefix_loaded_without_its_marker_says_so(
    client: Any, stub: Stubber, monkeypatch: pytest.MonkeyPatch
) -> None:
    graph_prefix = f"{SOURCE}csv/"
    started(stub, start_params(source=graph_prefix, updateSingleCardinalityProperties=True))
    load_status(stub, LOAD_ID, graph_prefix, "LOAD_COMPLETED", records=7)
    target = NeptuneTarget(endpoint="lineage.cluster-abc", iam_role_arn=ROLE, region="eu-west-1")
    report = run_load(graph_prefix, target, neptune_client=client)
    assert report.succeeded and report.marker_load_id is None
    assert any("no build marker loaded" in note and "--marker" in note for note in report.notes)
