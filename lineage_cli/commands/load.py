"""`lineage load`: bulk-load a Neptune Gremlin CSV folder into the local graph or into Neptune."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any

import typer

from loader.report import LoadReport
from loader.run import LocalTarget, NeptuneTarget, run_load

EXIT_OK = 0
EXIT_LOAD_FAILED = 1
EXIT_USAGE = 2
EXIT_COMPLETED_WITH_ERRORS = 3
EXIT_CANCELLED = 4
EXIT_UNREACHABLE = 5

HELP = f"""Bulk-load a Neptune Gremlin CSV folder (DIR, BUILD or s3://bucket/prefix).

A build folder (it has manifest.json), or its csv/, loads its csv/, then
its build marker (marker/) in a second load the loader starts only once the first
completed (never after a failed one); a folder holding other files than
.csv/.csv.gz/.csv.bz2 is refused with their names. Into Neptune, give the
build's s3://.../csv/ prefix as --from and its s3://.../marker/ as --marker.

Both targets are driven by the same boto3 neptunedata client:
local (default): the loader API of the Gremlin Server at --graph (same
port, unsigned); the server reads the files itself, with Neptune's semantics.
Neptune: pass --neptune-endpoint, --iam-role and --region (SigV4); the
source must be s3://.

A JSON report is always written to --report: status, totals, and each
error with file and line as the loader reports it. Every file is read
through before anything is written: a truncated .gz or undecodable bytes
fail that file without loading half of it.

Exit codes:
{EXIT_OK} = LOAD_COMPLETED without errors;
{EXIT_LOAD_FAILED} = failed (a bad record or file with --fail-on-error; see the report);
{EXIT_USAGE} = bad arguments or source (missing folder, no load files, S3 unreadable);
{EXIT_COMPLETED_WITH_ERRORS} = completed with rejected records or files (--no-fail-on-error);
{EXIT_CANCELLED} = cancelled by Ctrl-C or the deadline (the Neptune load is cancelled too);
{EXIT_UNREACHABLE} = graph or Neptune unreachable, lost mid-load, or refusing a write.
"""


def _default_report() -> Path:
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    return Path(".lineage") / "load-reports" / f"load-{stamp}.json"


def exit_code(report: LoadReport) -> int:
    """The process exit code a finished load's report deserves."""
    if report.succeeded:
        return EXIT_OK
    if report.completed_with_errors:
        return EXIT_COMPLETED_WITH_ERRORS
    if report.status == "LOAD_CANCELLED_BY_USER":
        return EXIT_CANCELLED
    if report.stopped_by == "source":
        return EXIT_USAGE
    if report.stopped_by == "graph":
        return EXIT_UNREACHABLE
    return EXIT_LOAD_FAILED


def _fail(message: str, code: int) -> typer.Exit:
    typer.echo(f"lineage load: {message}", err=True)
    return typer.Exit(code=code)


def register(app: typer.Typer) -> None:
    """Add `lineage load` to the CLI."""

    @app.command("load", help=HELP)
    def _command(
        source: str = typer.Option(
            ..., "--from", help="CSV folder: a directory or s3://bucket/prefix."
        ),
        marker: str | None = typer.Option(
            None,
            "--marker",
            help="Build marker folder loaded after --from completed (a build folder's is found).",
        ),
        graph: str = typer.Option(
            "ws://localhost:8182/gremlin",
            "--graph",
            help="Local Gremlin Server: ws://HOST:PORT/gremlin or its loader http://HOST:PORT.",
        ),
        neptune_endpoint: str | None = typer.Option(
            None, "--neptune-endpoint", help="Neptune cluster endpoint host: load into Neptune."
        ),
        iam_role: str | None = typer.Option(
            None, "--iam-role", help="IAM role ARN Neptune assumes to read the S3 source."
        ),
        region: str | None = typer.Option(
            None, "--region", help="AWS region of cluster and bucket."
        ),
        mode: str = typer.Option("NEW", "--mode", help="Neptune load mode: NEW, RESUME or AUTO."),
        parallelism: str = typer.Option(
            "HIGH",
            "--parallelism",
            help="Load threads per vCPU as Neptune sizes them: LOW, MEDIUM, HIGH, OVERSUBSCRIBE.",
        ),
        dependency: Annotated[
            list[str] | None,
            typer.Option("--depends-on", help="Neptune load id this load waits for (repeatable)."),
        ] = None,
        queue: bool = typer.Option(
            True, "--queue/--no-queue", help="Neptune: queue behind running loads (max 64)."
        ),
        full_rebuild: bool = typer.Option(
            False,
            "--full-rebuild-i-accept-downtime",
            help=(
                "Neptune: fast-reset (wipe) the graph, then load. Queries fail during the reset "
                "(minutes) and see a partial graph until the load completes."
            ),
        ),
        fail_on_error: bool = typer.Option(
            True,
            "--fail-on-error/--no-fail-on-error",
            help="Stop at the first bad record (Neptune failOnError) or skip and count them.",
        ),
        update_single: bool = typer.Option(
            True,
            "--update-single-cardinality/--no-update-single-cardinality",
            help="A new value replaces a (single) property's old one instead of being an error.",
        ),
        allow_empty_strings: bool = typer.Option(
            False, "--allow-empty-strings", help='Load "" as an empty string, not as no value.'
        ),
        deadline: float = typer.Option(
            6 * 3600.0,
            "--deadline",
            help="Seconds before the load is cancelled (on the server too).",
        ),
        report_path: Annotated[
            Path | None,
            typer.Option("--report", help="JSON report path (default .lineage/load-reports/)."),
        ] = None,
    ) -> None:
        target: LocalTarget | NeptuneTarget
        if parallelism not in ("LOW", "MEDIUM", "HIGH", "OVERSUBSCRIBE"):
            raise _fail(f"unknown --parallelism {parallelism!r}", EXIT_USAGE)
        if neptune_endpoint:
            missing = [
                name
                for name, value in (("--iam-role", iam_role), ("--region", region))
                if not value
            ]
            if missing:
                raise _fail(f"loading into Neptune needs {' and '.join(missing)}", EXIT_USAGE)
            if mode not in ("NEW", "RESUME", "AUTO"):
                raise _fail(f"--mode must be NEW, RESUME or AUTO, not {mode!r}", EXIT_USAGE)
            assert iam_role is not None and region is not None
            target = NeptuneTarget(
                endpoint=neptune_endpoint,
                iam_role_arn=iam_role,
                region=region,
                mode=mode,  # type: ignore[arg-type]
                parallelism=parallelism,  # type: ignore[arg-type]
                queue_request=queue,
                dependencies=tuple(dependency or ()),
                strategy="full" if full_rebuild else "incremental",
                deadline_seconds=deadline,
            )
        else:
            if full_rebuild:
                raise _fail("--full-rebuild-i-accept-downtime applies to Neptune only", EXIT_USAGE)
            target = LocalTarget(
                url=graph,
                deadline_seconds=deadline,
                parallelism=parallelism,  # type: ignore[arg-type]
            )
        path = report_path or _default_report()
        report = _run(
            source,
            marker,
            target,
            fail_on_error,
            allow_empty_strings,
            update_single,
            full_rebuild,
            path,
        )
        typer.echo(report.summary())
        for note in report.notes:
            typer.echo(f"  note: {note}", err=True)
        for error in report.errors[:5]:
            where = f"{error.file}:{error.line}: " if error.file else ""
            column = f"column {error.column!r}: " if error.column else ""
            value = f": {error.value!r}" if error.value is not None else ""
            typer.echo(f"  {where}{column}{error.code}: {error.message}{value}", err=True)
        if len(report.errors) > 5:
            typer.echo(f"  ... {len(report.errors) - 5} more errors in the report", err=True)
        typer.echo(f"report: {path}")
        raise typer.Exit(code=exit_code(report))


def _run(
    source: str,
    marker: str | None,
    target: LocalTarget | NeptuneTarget,
    fail_on_error: bool,
    allow_empty_strings: bool,
    update_single: bool,
    accept_downtime: bool,
    path: Path,
) -> LoadReport:
    from rich.console import Console
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    console = Console(stderr=True)
    with Progress(
        SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=console
    ) as progress:
        task = progress.add_task(f"loading {source}", total=None)

        where = "Neptune" if isinstance(target, NeptuneTarget) else "local graph"

        def on_status(status: str, payload: Mapping[str, Any]) -> None:
            overall = payload.get("overallStatus") or {}
            progress.update(
                task,
                description=f"{where}: {status}, {overall.get('totalRecords', 0):,} records",
            )

        # run_load never raises: every failure is in the report it returns.
        return run_load(
            source,
            target,
            marker=marker,
            fail_on_error=fail_on_error,
            allow_empty_strings=allow_empty_strings,
            update_single_cardinality=update_single,
            accept_downtime=accept_downtime,
            report_path=path,
            neptune_status=on_status,
        )
