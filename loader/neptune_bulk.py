"""Amazon Neptune bulk loader client (boto3 `neptunedata`): start, poll, explain, cancel, reset.

The whole conversation an operator needs at 3 a.m.:
- `start` a load (`format=csv`, role, region, mode, failOnError, parallelism, queueRequest,
  dependencies, parserConfiguration, updateSingleCardinalityProperties);
- `wait` for a final status, polling with exponential backoff up to a deadline; Ctrl-C or the
  deadline cancels the load (a Neptune load keeps running when its client goes away);
- read every page of the error log (`details`, `errors`, `page`, `errorsPerPage`);
- build the `LoadReport` (status, totals, duplicates, parsing / datatype / insert errors,
  per-file failures, error log with file and record number);
- throttling and transient faults are retried with full jitter; anything else raises
  `NeptuneApiError` carrying Neptune's own error code and message;
- `load_in_order`: a second load queued behind the first with `dependencies` (Neptune's way to
  order loads: it starts only once the first completed, and fails if the first did not);
- `fast_reset`: the two-step token handshake (`initiateDatabaseReset`, then
  `performDatabaseReset` with the token) and a wait until the engine is healthy again.

The same code drives both targets: Amazon Neptune (`neptune_client`: the cluster endpoint,
requests signed with SigV4 by boto3, sources `s3://`) and the local graph (`local_client`: the
local Gremlin Server's port over plain HTTP, unsigned requests, sources `file://`), which serves
Neptune's loader API itself (`local_neptune/java/lineage/gremlinserver/loader/`).
"""

from __future__ import annotations

import contextlib
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Literal, TypeVar

import botocore.exceptions
from botocore import UNSIGNED
from botocore.config import Config

from loader.errors import FastResetError, LoadCancelledError, NeptuneApiError
from loader.report import FINAL_SUCCESS, ErrorDetail, FileResult, LoadReport, Totals, utc_now

if TYPE_CHECKING:
    from mypy_boto3_neptunedata import NeptuneDataClient
else:
    NeptuneDataClient = Any

__all__ = [
    "IN_FLIGHT_STATUSES",
    "LOCAL_IAM_ROLE",
    "RETRYABLE_CODES",
    "LoadRequest",
    "NeptuneBulkLoader",
    "PollPolicy",
    "RetryPolicy",
    "local_client",
    "neptune_client",
]

Mode = Literal["NEW", "RESUME", "AUTO"]
Parallelism = Literal["LOW", "MEDIUM", "HIGH", "OVERSUBSCRIBE"]

IN_FLIGHT_STATUSES = frozenset({"LOAD_NOT_STARTED", "LOAD_IN_QUEUE", "LOAD_IN_PROGRESS"})
"""Every other status Neptune reports is final."""

RETRYABLE_CODES = frozenset(
    {
        "TooManyRequestsException",
        "ThrottlingException",
        "Throttling",
        "ClientTimeoutException",
        "InternalFailureException",
        "ServerShutdownException",
        "ServiceUnavailable",
        "ServiceUnavailableException",
    }
)
"""Error codes worth another try: throttling and transient faults, never bad input."""

_T = TypeVar("_T")

LOCAL_IAM_ROLE = "arn:aws:iam::000000000000:role/local-graph-reads-files"
"""The role the API requires in every load request; the local graph reads files, not S3, and
ignores it (as it ignores the region)."""


def local_client(endpoint: str, timeout_s: float = 30.0) -> NeptuneDataClient:
    """A `neptunedata` client for the local graph's loader API at `endpoint` (`http://host:port`).

    Unsigned: the local server has no IAM. Credentials are never looked up.
    """
    import boto3

    return boto3.client(
        "neptunedata",
        region_name="us-east-1",
        endpoint_url=endpoint,
        config=Config(
            signature_version=UNSIGNED,
            retries={"max_attempts": 1, "mode": "standard"},
            connect_timeout=5,
            read_timeout=timeout_s,
        ),
    )


def neptune_client(host: str, region: str, port: int = 8182) -> NeptuneDataClient:
    """A `neptunedata` client for the cluster endpoint `host` (SigV4 signed by boto3).

    botocore's own retries are off: `NeptuneBulkLoader` retries with jitter and reports.
    """
    import boto3

    endpoint = host if host.startswith("https://") else f"https://{host}:{port}"
    return boto3.client(
        "neptunedata",
        region_name=region,
        endpoint_url=endpoint,
        config=Config(retries={"max_attempts": 1, "mode": "standard"}, read_timeout=70),
    )


@dataclass(frozen=True, slots=True)
class LoadRequest:
    """One Neptune bulk load of a Gremlin CSV folder; names and defaults follow Neptune's API."""

    source: str
    iam_role_arn: str
    region: str
    mode: Mode = "NEW"
    fail_on_error: bool = True
    parallelism: Parallelism = "HIGH"
    queue_request: bool = True
    dependencies: tuple[str, ...] = ()
    update_single_cardinality: bool = False
    allow_empty_strings: bool = False

    def __post_init__(self) -> None:
        if not self.source.startswith(("s3://", "file://")):
            raise ValueError(
                "a load source is s3:// (Neptune) or file:// (the local graph), "
                f"not {self.source!r}"
            )
        if len(self.dependencies) > 64:
            raise ValueError("Neptune queues at most 64 loads: too many dependencies")

    def parameters(self) -> dict[str, Any]:
        """Keyword arguments of `start_loader_job`."""
        params: dict[str, Any] = {
            "source": self.source,
            "format": "csv",
            "s3BucketRegion": self.region,
            "iamRoleArn": self.iam_role_arn,
            "mode": self.mode,
            "failOnError": self.fail_on_error,
            "parallelism": self.parallelism,
            "queueRequest": self.queue_request,
            "updateSingleCardinalityProperties": self.update_single_cardinality,
        }
        if self.dependencies:
            params["dependencies"] = list(self.dependencies)
        if self.allow_empty_strings:
            params["parserConfiguration"] = {"allowEmptyStrings": "true"}
        return params


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Retries of throttled / transient calls: full-jitter exponential backoff."""

    attempts: int = 6
    base_delay: float = 0.5
    max_delay: float = 20.0


@dataclass(frozen=True, slots=True)
class PollPolicy:
    """How the status is polled, for how long, and how many error-log pages are read."""

    first_delay: float = 2.0
    max_delay: float = 30.0
    factor: float = 1.5
    deadline: float = 6 * 3600.0
    errors_per_page: int = 100
    max_error_pages: int = 20
    reset_deadline: float = 1800.0


@dataclass(slots=True)
class _Clock:
    sleep: Callable[[float], None] = time.sleep
    now: Callable[[], float] = time.monotonic
    jitter: Callable[[], float] = random.random


@dataclass(slots=True)
class NeptuneBulkLoader:
    """Drives Neptune's bulk loader through one client; see the module docstring."""

    client: NeptuneDataClient
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    poll: PollPolicy = field(default_factory=PollPolicy)
    on_status: Callable[[str, Mapping[str, Any]], None] | None = None
    clock: _Clock = field(default_factory=_Clock)

    # --- calls -------------------------------------------------------------------------

    def _call(self, operation: str, call: Callable[[], _T]) -> _T:
        """Run one API call, retrying throttling / transient faults with full jitter."""
        attempt = 0
        while True:
            attempt += 1
            try:
                return call()
            except botocore.exceptions.ClientError as exc:
                error = exc.response.get("Error", {})
                code = str(error.get("Code", "Unknown"))
                message = str(
                    exc.response.get("detailedMessage") or error.get("Message") or str(exc)
                )
                if code not in RETRYABLE_CODES or attempt >= self.retry.attempts:
                    raise NeptuneApiError(operation, code, message) from exc
            except (
                botocore.exceptions.EndpointConnectionError,
                botocore.exceptions.ConnectionClosedError,
                botocore.exceptions.ReadTimeoutError,
                botocore.exceptions.ConnectTimeoutError,
            ) as exc:
                if attempt >= self.retry.attempts:
                    raise NeptuneApiError(operation, type(exc).__name__, str(exc)) from exc
            ceiling = min(self.retry.max_delay, self.retry.base_delay * 2 ** (attempt - 1))
            self.clock.sleep(ceiling * self.clock.jitter())

    def start(self, request: LoadRequest) -> str:
        """Start (or queue) a load; returns its load id."""
        response = self._call(
            "StartLoaderJob", lambda: self.client.start_loader_job(**request.parameters())
        )
        load_id = response.get("payload", {}).get("loadId")
        if not load_id:
            raise NeptuneApiError("StartLoaderJob", "NoLoadId", f"no loadId in {response!r}")
        return str(load_id)

    def status(
        self, load_id: str, *, errors: bool = False, page: int | None = None
    ) -> dict[str, Any]:
        """The status payload (details always on; error-log page `page` when `errors`)."""
        params: dict[str, Any] = {"loadId": load_id, "details": True}
        if errors:
            params.update(errors=True, page=page or 1, errorsPerPage=self.poll.errors_per_page)
        response = self._call(
            "GetLoaderJobStatus", lambda: self.client.get_loader_job_status(**params)
        )
        payload = response.get("payload") or {}
        return dict(payload)

    def cancel(self, load_id: str) -> None:
        """Cancel a load (Neptune marks it LOAD_CANCELLED_BY_USER)."""
        self._call("CancelLoaderJob", lambda: self.client.cancel_loader_job(loadId=load_id))

    def wait(self, load_id: str) -> dict[str, Any]:
        """Poll until a final status and return that payload.

        At the deadline, or on Ctrl-C, the load is cancelled and LoadCancelledError raised.
        """
        started = self.clock.now()
        delay = self.poll.first_delay
        try:
            while True:
                payload = self.status(load_id)
                status = _overall(payload).get("status", "UNKNOWN")
                if self.on_status is not None:
                    self.on_status(status, payload)
                if status not in IN_FLIGHT_STATUSES:
                    return payload
                if self.clock.now() - started + delay > self.poll.deadline:
                    self.cancel(load_id)
                    raise LoadCancelledError(
                        f"load {load_id} still {status} after {self.poll.deadline:.0f} s: "
                        "cancelled at the deadline"
                    )
                self.clock.sleep(delay)
                delay = min(self.poll.max_delay, delay * self.poll.factor)
        except KeyboardInterrupt:
            self.cancel(load_id)
            raise LoadCancelledError(f"load {load_id} cancelled on Ctrl-C") from None

    def error_log(self, load_id: str) -> tuple[list[ErrorDetail], bool]:
        """Every page of the load's error log; True when pages were left unread."""
        details: list[ErrorDetail] = []
        for page in range(1, self.poll.max_error_pages + 1):
            payload = self.status(load_id, errors=True, page=page)
            logs = (payload.get("errors") or {}).get("errorLogs") or []
            for entry in logs:
                record = entry.get("recordNum")
                details.append(
                    ErrorDetail(
                        code=str(entry.get("errorCode", "UNKNOWN")),
                        message=str(entry.get("errorMessage", "")),
                        file=entry.get("fileName"),
                        line=int(record) if record is not None else None,
                    )
                )
            if len(logs) < self.poll.errors_per_page:
                return details, False
        return details, True

    # --- the whole conversation --------------------------------------------------------

    def load(
        self,
        request: LoadRequest,
        target: Literal["neptune", "gremlin-server"] = "neptune",
    ) -> LoadReport:
        """Start, wait, read the error log and return the report (never raises on a bad load).

        File names in the report are relative to the source (`csv/vertices/run-00000.csv.gz`),
        whichever prefix the server reports them under. Raises NeptuneApiError when the load
        cannot be started, and LoadCancelledError on Ctrl-C / deadline (the report is attached).
        An endpoint lost while the load runs ends in a report with `stopped_by="graph"` and the
        totals last seen.
        """
        began = self.clock.now()
        started_at = utc_now()
        return self._follow(self.start(request), request, target, began, started_at)

    def load_in_order(
        self,
        first: LoadRequest,
        then: LoadRequest,
        target: Literal["neptune", "gremlin-server"] = "neptune",
    ) -> tuple[LoadReport, LoadReport]:
        """Load `first`, then `then`, which the server starts only once `first` completed.

        Both are started at once: `then` is queued (`queueRequest`) with `dependencies` naming
        `first`'s load id, so the server itself holds it back, and fails it
        (`LOAD_FAILED_BECAUSE_DEPENDENCY_NOT_SATISFIED`) unless `first` ends `LOAD_COMPLETED`,
        even when this client goes away. Returns both reports, `first`'s first (the loader uses
        it for the build marker: `LoadReport.add_marker_load`). When `then` cannot be queued,
        `first` is cancelled and NeptuneApiError raised; when waiting for `first` is cancelled
        (Ctrl-C, deadline), `then` is cancelled too.
        """
        began = self.clock.now()
        started_at = utc_now()
        first_id = self.start(first)
        second = replace(then, queue_request=True, dependencies=(*then.dependencies, first_id))
        try:
            second_id = self.start(second)
        except NeptuneApiError:
            self._cancel_quietly(first_id)
            raise
        try:
            report = self._follow(first_id, first, target, began, started_at)
        except LoadCancelledError:
            self._cancel_quietly(second_id)
            raise
        try:
            after = self._follow(second_id, second, target, self.clock.now(), utc_now())
        except LoadCancelledError as exc:
            # The report of the cancelled load names both: the first completed before.
            if exc.report is not None:
                report.add_marker_load(exc.report)
            raise LoadCancelledError(str(exc), report) from None
        return report, after

    def _cancel_quietly(self, load_id: str) -> None:
        """Cancel a load that may already have ended (the server then refuses: nothing to do)."""
        with contextlib.suppress(NeptuneApiError):
            self.cancel(load_id)

    def _follow(
        self,
        load_id: str,
        request: LoadRequest,
        target: Literal["neptune", "gremlin-server"],
        began: float,
        started_at: str,
    ) -> LoadReport:
        """Wait for the started load `load_id` and build its report (see `load`)."""
        report = LoadReport(
            target=target, source=request.source, status="LOAD_NOT_STARTED", started_at=started_at
        )
        report.load_id = load_id
        seen: list[Mapping[str, Any]] = []
        watcher = self.on_status

        def remember(status: str, payload: Mapping[str, Any]) -> None:
            seen[:] = [payload]
            if watcher is not None:
                watcher(status, payload)

        self.on_status = remember
        try:
            payload = self.wait(load_id)
        except LoadCancelledError as exc:
            report.finish("LOAD_CANCELLED_BY_USER", began, self.clock.now())
            report.notes.append(str(exc))
            raise LoadCancelledError(str(exc), report) from None
        except NeptuneApiError as exc:
            if seen:
                fill_report(report, seen[0], request.source)
            report.stopped_by = "graph"
            lost = f"lost the endpoint during load {load_id}: {exc}"
            report.errors.append(ErrorDetail(exc.code, lost))
            report.finish("LOAD_UNEXPECTED_ERROR", began, self.clock.now())
            return report
        finally:
            self.on_status = watcher
        fill_report(report, payload, request.source)
        if report.totals.errors or report.status != FINAL_SUCCESS or report.failed_files:
            errors, report.errors_truncated = self.error_log(load_id)
            report.errors = [_relative(error, request.source) for error in errors]
        report.finish(report.status, began, self.clock.now())
        return report

    def fast_reset(self) -> None:
        """Wipe the whole graph: the token handshake, then wait for a healthy engine.

        Downtime: the cluster refuses queries from `performDatabaseReset` until the engine
        reports healthy again (typically a few minutes), and the graph stays empty until
        the following load completes.
        """
        first = self._call(
            "ExecuteFastReset",
            lambda: self.client.execute_fast_reset(action="initiateDatabaseReset"),
        )
        token = (first.get("payload") or {}).get("token")
        if not token:
            raise FastResetError(f"initiateDatabaseReset returned no token: {first!r}")
        self._call(
            "ExecuteFastReset",
            lambda: self.client.execute_fast_reset(action="performDatabaseReset", token=token),
        )
        started = self.clock.now()
        delay = self.poll.first_delay
        while True:
            self.clock.sleep(delay)
            try:
                status = self._call("GetEngineStatus", lambda: self.client.get_engine_status()).get(
                    "status"
                )
            except NeptuneApiError as exc:
                # The engine restarts during the reset; refusals are expected until it is back.
                status = f"unavailable ({exc.code})"
            if status == "healthy":
                return
            if self.clock.now() - started > self.poll.reset_deadline:
                raise FastResetError(
                    f"engine not healthy {self.poll.reset_deadline:.0f} s after the reset "
                    f"(last status: {status})"
                )
            delay = min(self.poll.max_delay, delay * self.poll.factor)


def _overall(payload: Mapping[str, Any]) -> dict[str, Any]:
    overall = payload.get("overallStatus") or {}
    return dict(overall)


def _totals(status: Mapping[str, Any]) -> Totals:
    return Totals(
        records=int(status.get("totalRecords", 0)),
        duplicates=int(status.get("totalDuplicates", 0)),
        parsing_errors=int(status.get("parsingErrors", 0)),
        datatype_mismatch_errors=int(status.get("datatypeMismatchErrors", 0)),
        insert_errors=int(status.get("insertErrors", 0)),
    )


def relative_name(uri: str, source: str) -> str:
    """`uri` relative to the load's `source` prefix (the name the report shows), else `uri`."""
    prefix = source.rstrip("/") + "/"
    if uri.startswith(prefix):
        return uri[len(prefix) :]
    if uri == source.rstrip("/"):
        return uri.rsplit("/", 1)[-1]
    return uri


def _relative(error: ErrorDetail, source: str) -> ErrorDetail:
    if error.file is not None:
        error.file = relative_name(error.file, source)
    return error


def fill_report(report: LoadReport, payload: Mapping[str, Any], source: str = "") -> None:
    """Copy a Get-Status payload (overallStatus, failedFeeds) into the report."""
    overall = _overall(payload)
    report.status = str(overall.get("status", "UNKNOWN"))
    report.totals = _totals(overall)
    report.failed_files = [
        FileResult(
            file=relative_name(str(feed.get("fullUri", "?")), source),
            status=str(feed.get("status", "UNKNOWN")),
            totals=_totals(feed),
        )
        for feed in payload.get("failedFeeds") or []
    ]
