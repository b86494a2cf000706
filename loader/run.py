"""`run_load`: the one entry point for loading a CSV folder, shared by the CLI and the Glue job.

Rebuild strategies (Neptune):
- `incremental` (default): load the new build's files onto the existing graph. Ids are
  deterministic, so records already present count as duplicates and change nothing; changed
  `(single)` properties take the new value (`updateSingleCardinalityProperties`). No downtime.
  Elements that disappeared from the raw zone are not removed.
- `full`: Neptune fast reset (token handshake), then load. Downtime: queries fail while the
  engine resets (minutes) and see an empty, then partial, graph until the load completes. Only
  with `accept_downtime=True` (the CLI's `--full-rebuild-i-accept-downtime`).

The build marker (lineage.build_marker) is a second load, queued behind the graph files' load
with `dependencies` on both targets: it starts only after that load completed, so the read API,
which keys its caches on the marker, never names a build whose files are not all loaded.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from loader.errors import (
    GraphConnectionError,
    LoadCancelledError,
    LoaderError,
    LoadUsageError,
    NeptuneApiError,
    SourceError,
)
from loader.files import is_load_file, load_folder_of, load_folders_of
from loader.neptune_bulk import (
    LOCAL_IAM_ROLE,
    LoadRequest,
    Mode,
    NeptuneBulkLoader,
    Parallelism,
    PollPolicy,
    RetryPolicy,
    local_client,
)
from loader.report import ErrorDetail, LoadReport, Stop, utc_now

__all__ = ["LocalTarget", "NeptuneTarget", "Strategy", "run_load"]

Strategy = Literal["incremental", "full"]


@dataclass(frozen=True, slots=True)
class LocalTarget:
    """The local Gremlin Server, which serves Neptune's loader API on its Gremlin port."""

    url: str = "ws://localhost:8182/gremlin"
    """Its Gremlin endpoint (`ws://host:port/gremlin`) or its loader endpoint (`http://host:port`)."""
    deadline_seconds: float = 6 * 3600.0
    request_timeout_s: float = 30.0
    """A server that does not answer one API call in this long (hung, stopped) fails the load."""
    parallelism: Parallelism = "HIGH"
    """Threads of the server's load, as Neptune sizes them per vCPU (one writes, the rest parse)."""

    @property
    def loader_endpoint(self) -> str:
        """`http://host:port` of the loader API: the Gremlin Server's own port."""
        parts = urlsplit(self.url)
        if parts.scheme not in ("ws", "http") or parts.hostname is None or parts.port is None:
            raise LoadUsageError(
                f"--graph {self.url!r}: give the local graph as ws://HOST:PORT/gremlin "
                "or http://HOST:PORT"
            )
        host = "127.0.0.1" if parts.hostname == "localhost" else parts.hostname
        if ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{parts.port}"


@dataclass(frozen=True, slots=True)
class NeptuneTarget:
    """An Amazon Neptune cluster and how to run the bulk load on it."""

    endpoint: str
    iam_role_arn: str
    region: str
    mode: Mode = "NEW"
    parallelism: Parallelism = "HIGH"
    queue_request: bool = True
    dependencies: tuple[str, ...] = ()
    strategy: Strategy = "incremental"
    port: int = 8182
    deadline_seconds: float = 6 * 3600.0


def run_load(
    source: str,
    target: LocalTarget | NeptuneTarget,
    *,
    marker: str | None = None,
    fail_on_error: bool = True,
    allow_empty_strings: bool = False,
    update_single_cardinality: bool = True,
    accept_downtime: bool = False,
    report_path: Path | None = None,
    neptune_status: Callable[[str, Mapping[str, Any]], None] | None = None,
    neptune_client: Any = None,
) -> LoadReport:
    """Load the Neptune Gremlin CSV folder `source` (a directory or `s3://bucket/prefix`).

    Both targets run the same `NeptuneBulkLoader` conversation over a boto3 `neptunedata`
    client: Neptune's cluster endpoint (SigV4), or the local graph's loader API (unsigned, the
    folder passed as a `file://` URI). A build folder (it holds `manifest.json`), or its `csv/`,
    loads its `csv/`, then its `marker/`. `marker` names the build marker folder explicitly (for
    Neptune, whose `source` is the graph files' prefix: the `s3://` prefix of the build's
    `marker/`): it is loaded by a second load that the server starts only once the first
    completed, and never when the first failed. The report covers both (`marker_load_id`,
    `marker_status`).

    Never raises: every outcome is a report (also written to `report_path` when given). A load
    that could not start or ended early says why in `stopped_by` (`source`: the source or the
    arguments; `graph`: the graph or Neptune was unreachable or refused; `internal`: a bug) and
    its errors; a cancelled one has status `LOAD_CANCELLED_BY_USER`. `neptune_client` replaces
    the boto3 client (tests pass a stubbed one).
    """
    started = time.monotonic()
    kind: Literal["neptune", "gremlin-server"] = (
        "neptune" if isinstance(target, NeptuneTarget) else "gremlin-server"
    )
    try:
        if isinstance(target, NeptuneTarget):
            report = _load_neptune(
                source,
                target,
                fail_on_error=fail_on_error,
                allow_empty_strings=allow_empty_strings,
                update_single_cardinality=update_single_cardinality,
                accept_downtime=accept_downtime,
                on_status=neptune_status,
                client=neptune_client,
                marker=marker,
            )
        else:
            with ExitStack() as stack:
                folder = stack.enter_context(_local_copy(source))
                first, then = (
                    load_folders_of(folder)
                    if marker is None
                    else (
                        load_folder_of(folder),
                        load_folder_of(stack.enter_context(_local_copy(marker))),
                    )
                )
                report = _load_local(
                    first,
                    then,
                    source,
                    target,
                    fail_on_error=fail_on_error,
                    allow_empty_strings=allow_empty_strings,
                    update_single_cardinality=update_single_cardinality,
                    on_status=neptune_status,
                    client=neptune_client,
                )
    except LoadCancelledError as exc:
        report = exc.report or _stopped(kind, source, started, None, "CANCELLED", str(exc))
        report.status = "LOAD_CANCELLED_BY_USER"
        if not report.errors:
            report.errors.append(ErrorDetail("CANCELLED", str(exc)))
    except KeyboardInterrupt:
        report = _stopped(kind, source, started, None, "CANCELLED", "interrupted (Ctrl-C)")
        report.status = "LOAD_CANCELLED_BY_USER"
    except SourceError as exc:
        report = _stopped(kind, source, started, "source", "SOURCE_ERROR", str(exc))
    except LoadUsageError as exc:
        report = _stopped(kind, source, started, "source", "USAGE_ERROR", str(exc))
    except GraphConnectionError as exc:
        report = _stopped(kind, source, started, "graph", "GREMLIN_SERVER_ERROR", str(exc))
    except LoaderError as exc:  # Neptune unreachable or refusing, or the fast reset failed
        report = _stopped(kind, source, started, "graph", "NEPTUNE_ERROR", str(exc))
    except Exception as exc:  # a bug (or a boto3 surprise) still ends in a report
        text = " ".join(str(exc).split())
        report = _stopped(kind, source, started, "internal", "INTERNAL_ERROR", text)
    if report_path is not None:
        try:
            report.write(report_path)
        except OSError as exc:
            report.notes.append(f"the report could not be written to {report_path}: {exc}")
    return report


def _stopped(
    target: Literal["neptune", "gremlin-server"],
    source: str,
    started: float,
    stop: Stop | None,
    code: str,
    message: str,
) -> LoadReport:
    """The report of a load that ended before (or instead of) a loader's own report."""
    report = LoadReport(target=target, source=source, status="LOAD_FAILED", started_at=utc_now())
    report.stopped_by = stop
    report.errors.append(ErrorDetail(code, message))
    status = "LOAD_UNEXPECTED_ERROR" if stop in ("graph", "internal") else "LOAD_FAILED"
    report.finish(status, started, time.monotonic())
    return report


def _load_neptune(
    source: str,
    target: NeptuneTarget,
    *,
    fail_on_error: bool,
    allow_empty_strings: bool,
    update_single_cardinality: bool,
    accept_downtime: bool,
    on_status: Callable[[str, Mapping[str, Any]], None] | None,
    client: Any,
    marker: str | None,
) -> LoadReport:
    for given in (source, *([marker] if marker is not None else [])):
        if not given.startswith("s3://"):
            raise SourceError(
                f"Neptune loads from S3 only: upload {given} and pass its s3:// prefix"
            )
    if target.strategy == "full" and not accept_downtime:
        raise LoadUsageError(
            "a full rebuild wipes the graph (fast reset) and the graph is unavailable, then "
            "partial, until the load completes: pass --full-rebuild-i-accept-downtime"
        )
    if client is None:
        from loader.neptune_bulk import neptune_client

        client = neptune_client(target.endpoint, target.region, target.port)
    bulk = NeptuneBulkLoader(
        client, poll=PollPolicy(deadline=target.deadline_seconds), on_status=on_status
    )
    if target.strategy == "full":
        bulk.fast_reset()
    request = LoadRequest(
        source=source,
        iam_role_arn=target.iam_role_arn,
        region=target.region,
        mode=target.mode,
        fail_on_error=fail_on_error,
        parallelism=target.parallelism,
        queue_request=target.queue_request,
        dependencies=target.dependencies,
        update_single_cardinality=update_single_cardinality,
        allow_empty_strings=allow_empty_strings,
    )
    report = _load_then_marker(bulk, request, marker, "neptune")
    if marker is None and source.rstrip("/").endswith("/csv"):
        report.notes.append(
            f"no build marker loaded after {source}: the read API keeps naming the build loaded "
            "before (its caches too); pass the build's marker/ prefix as the marker (--marker)"
        )
    if target.strategy == "full":
        report.notes.append("full rebuild: fast reset before the load")
    return report


def _load_then_marker(
    bulk: NeptuneBulkLoader,
    request: LoadRequest,
    marker: str | None,
    target: Literal["neptune", "gremlin-server"],
) -> LoadReport:
    """The load of `request`, then (when given) of the build marker folder `marker`."""
    if marker is None:
        return bulk.load(request, target=target)
    # The marker waits on the graph files' load only, not on what that load itself waits for.
    then = replace(request, source=marker, dependencies=())
    report, marker_report = bulk.load_in_order(request, then, target=target)
    report.add_marker_load(marker_report)
    return report


def _load_local(
    folder: Path,
    marker: Path | None,
    source: str,
    target: LocalTarget,
    *,
    fail_on_error: bool,
    allow_empty_strings: bool,
    update_single_cardinality: bool,
    on_status: Callable[[str, Mapping[str, Any]], None] | None,
    client: Any,
) -> LoadReport:
    """The folder loaded by the local graph's loader API (the server reads the files itself)."""
    endpoint = target.loader_endpoint
    bulk = NeptuneBulkLoader(
        client if client is not None else local_client(endpoint, target.request_timeout_s),
        # A local server answers in milliseconds; one that is gone should fail fast.
        retry=RetryPolicy(attempts=3, base_delay=0.2, max_delay=1.0),
        poll=PollPolicy(
            first_delay=0.05, max_delay=1.0, factor=1.5, deadline=target.deadline_seconds
        ),
        on_status=on_status,
    )
    request = LoadRequest(
        source=folder.resolve().as_uri(),
        iam_role_arn=LOCAL_IAM_ROLE,
        region="local",
        fail_on_error=fail_on_error,
        parallelism=target.parallelism,
        queue_request=True,
        update_single_cardinality=update_single_cardinality,
        allow_empty_strings=allow_empty_strings,
    )
    marker_uri = marker.resolve().as_uri() if marker is not None else None
    try:
        report = _load_then_marker(bulk, request, marker_uri, "gremlin-server")
    except NeptuneApiError as exc:
        if exc.code in _UNREACHABLE:
            raise GraphConnectionError(
                f"cannot reach the local graph's loader API at {endpoint} ({exc.message}); "
                "start it with `lineage graph start`"
            ) from exc
        raise
    report.source = source
    return report


_UNREACHABLE = frozenset(
    {"EndpointConnectionError", "ConnectionClosedError", "ReadTimeoutError", "ConnectTimeoutError"}
)


@contextmanager
def _local_copy(source: str) -> Iterator[Path]:
    """The folder itself, or a temporary download of an `s3://bucket/prefix` for local loads."""
    if not source.startswith("s3://"):
        yield Path(source)
        return
    import boto3

    bucket, _, prefix = source[len("s3://") :].partition("/")
    if not bucket:
        raise SourceError(f"no bucket in {source!r}")
    from botocore.exceptions import BotoCoreError, ClientError

    with tempfile.TemporaryDirectory(prefix="lineage-load-") as temp:
        root = Path(temp)
        count = 0
        try:
            s3 = boto3.client("s3")
            pages = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
            for page in pages:
                for item in page.get("Contents", []):
                    key = item["Key"]
                    relative = Path(key[len(prefix) :].lstrip("/") or Path(key).name)
                    if key.endswith("/") or not is_load_file(relative):
                        continue
                    target = (root / relative).resolve()
                    if not target.is_relative_to(root.resolve()):
                        raise SourceError(f"s3://{bucket}/{key} would be written outside {root}")
                    target.parent.mkdir(parents=True, exist_ok=True)
                    s3.download_file(bucket, key, str(target))
                    count += 1
        except (BotoCoreError, ClientError, OSError) as exc:
            raise SourceError(f"cannot read {source}: {exc}") from exc
        if not count:
            raise SourceError(f"no load files under {source}")
        yield root
