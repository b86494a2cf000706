"""`lineage rebuild`: run the nightly normalize job locally (Spark local mode), then load it."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import typer

from glue_jobs.entrypoint import parse_instant
from glue_jobs.local_spark import DRIVER_MEMORY, local_spark
from glue_jobs.normalize import BuildResult, NormalizeParams, check_output_folder, run_normalize
from glue_jobs.normalize.delta import prepare_delta, run_delta
from lineage.dataset_identity import LayerRules
from lineage.delta_selection import DeltaError
from lineage.delta_state import FullRebuildNeededError
from lineage.errors import LineageError, one_line
from lineage.quarantine import TooManyBadPayloadsError
from stores import open_store

__all__ = ["rebuild", "register"]

EXIT_FAILED = 2
EXIT_TOO_MANY_BAD = 3
EXIT_BAD_PARENT = 4
EXIT_FULL_REBUILD_NEEDED = 5


@contextmanager
def _progress(spark: Any, enabled: bool) -> Iterator[Any]:
    """A rich progress line: the job's phase, and Spark task counts polled in the background."""
    if not enabled:
        yield lambda message: None
        return
    from rich.console import Console
    from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    console = Console(stderr=True)
    progress = Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total} tasks"),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    )
    task = progress.add_task("starting", total=None)
    stop = threading.Event()

    def poll() -> None:
        tracker = spark.sparkContext.statusTracker()
        while not stop.wait(0.5):
            done = total = 0
            for stage_id in tracker.getActiveStageIds():
                info = tracker.getStageInfo(stage_id)
                if info is not None:
                    done += info.numCompletedTasks
                    total += info.numTasks
            progress.update(task, completed=done, total=total or None)

    def phase(message: str) -> None:
        progress.console.log(message)
        progress.update(task, description=message[:60])

    thread = threading.Thread(target=poll, daemon=True)
    with progress:
        thread.start()
        try:
            yield phase
        finally:
            stop.set()
            thread.join(timeout=2)


def rebuild(
    params: NormalizeParams, spark: Any, show_progress: bool = True, since: str | None = None
) -> BuildResult:
    """Run the normalize job on `spark` with progress output (a delta build from the build at
    `since`, when given); exceptions propagate."""
    with _progress(spark, show_progress) as phase:
        lake, out = open_store(params.lake), open_store(params.out)
        if since is not None:
            return run_delta(spark, lake, open_store(since), out, params, phase)
        return run_normalize(spark, lake, out, params, phase)


def _load_build(result: BuildResult, graph: str) -> None:
    """Hand the build to the loader package (composed here; glue_jobs never imports loader)."""
    from loader import LocalTarget, run_load

    # The build folder: its graph files, then its marker in a load that waits for them.
    report = run_load(result.out, LocalTarget(url=graph))
    typer.echo(f"load: {report.summary()}", err=True)


def _date(value: str | None, flag: str) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not a date (YYYY-MM-DD)", param_hint=flag) from None


def _cutoff(landed_before: str | None, since_build: str | None) -> int | None:
    """The build's cut-off: as given; for a delta without one, now (a delta always has one)."""
    if landed_before:
        return parse_instant(landed_before)
    return int(time.time() * 1000) if since_build else None


def register(app: typer.Typer) -> None:
    """Add `lineage rebuild` to the CLI."""

    @app.command(
        "rebuild",
        help=(
            "Run the nightly normalize job locally: read the raw zone (all dates, or --from/--to "
            "by receive date), write Neptune bulk-load CSVs under OUT/csv/vertices and "
            "OUT/csv/edges, OUT/manifest.json and OUT/quarantine.json, then load OUT/csv unless "
            "--no-load. Same inputs and options give byte-identical files. OUT must be empty or "
            "hold a previous build only (anything else is refused, nothing deleted); the old "
            "manifest is removed first and the new one written last. Each bad payload is "
            "quarantined with a reason (docs/limits.md). With --since-build PREV, a delta build: "
            "only payloads landed after PREV's cut-off are read, and OUT/csv, loaded onto a "
            "graph holding PREV (and the deltas before it), gives the graph a full rebuild "
            "gives (its cut-off: --landed-before, default now). Exit codes: 0 built; 2 failed "
            "(bad arguments, unreadable raw zone, OUT holds other files); 3 more bad payloads "
            "than --max-bad-share (quarantine.json written, no manifest, no CSV); 4 PREV cannot "
            "be continued (not a build, another lake, not older than the cut-off); 5 the raw "
            "zone changed in a way only a full rebuild reflects (the objects are named)."
        ),
    )
    def _command(
        lake: str = typer.Option(
            ..., "--lake", help="Raw zone: a directory or s3://bucket/prefix."
        ),
        out: str = typer.Option(
            ..., "--out", help="Build folder: a directory or s3://bucket/prefix."
        ),
        date_from: str | None = typer.Option(
            None, "--from", help="First receive date, YYYY-MM-DD."
        ),
        date_to: str | None = typer.Option(None, "--to", help="Last receive date, YYYY-MM-DD."),
        as_of: str | None = typer.Option(
            None, "--as-of", help="Only executions whose event time is at or before this instant."
        ),
        landed_before: str | None = typer.Option(
            None, "--landed-before", help="Only payloads the producer received before this instant."
        ),
        since_build: str | None = typer.Option(
            None,
            "--since-build",
            help="A previous build (full or delta): write a delta build on top of it.",
        ),
        no_load: bool = typer.Option(False, "--no-load", help="Write the files, do not load them."),
        graph: str = typer.Option(
            "ws://localhost:8182/gremlin", "--graph", help="Gremlin endpoint to load into."
        ),
        gzip_files: bool = typer.Option(False, "--gzip", help="Gzip every CSV file."),
        max_bad_share: float = typer.Option(
            0.05, "--max-bad-share", help="Fail when more than this share of payloads is bad."
        ),
        layer_rules: str | None = typer.Option(
            None, "--layer-rules", help="Layer rules JSON (default: the packaged rules)."
        ),
        file_mb: int = typer.Option(64, "--file-mb", help="Roll CSV files at this many MiB."),
        master: str = typer.Option("local[*]", "--master", help="Spark master."),
        driver_memory: str = typer.Option(
            DRIVER_MEMORY,
            "--driver-memory",
            help="Heap of Spark's local JVM (driver and executor); raise it if Spark reports "
            "that JVM out of memory.",
        ),
        quiet: bool = typer.Option(False, "--quiet", help="No progress output."),
    ) -> None:
        try:
            rules = LayerRules.from_file(Path(layer_rules)) if layer_rules else LayerRules.default()
            params = NormalizeParams(
                lake=lake,
                out=out,
                date_from=_date(date_from, "--from"),
                date_to=_date(date_to, "--to"),
                max_bad_share=max_bad_share,
                gzip=gzip_files,
                target_file_bytes=file_mb * 1024 * 1024,
                layer_rules=rules,
                layer_rules_source=layer_rules or "default",
                as_of_ms=parse_instant(as_of) if as_of else None,
                landed_before_ms=_cutoff(landed_before, since_build),
            )
            if since_build and (date_from or date_to or as_of):
                raise LineageError(
                    "--since-build continues a whole-lake build: no --from/--to/--as-of"
                )
            if params.date_from and params.date_to and params.date_from > params.date_to:
                raise LineageError(f"--from {date_from} is after --to {date_to}")
            check_output_folder(open_store(out))  # before Spark starts: a quick, clear refusal
            if since_build:
                prepare_delta(open_store(lake), open_store(since_build), open_store(out), params)
            started = time.monotonic()
            spark = local_spark(master, driver_memory)
            try:
                result = rebuild(params, spark, show_progress=not quiet, since=since_build)
            finally:
                spark.stop()
            counts = result.manifest.counts()
            typer.echo(
                f"rebuild: {sum(counts['vertices'].values())} vertices, "
                f"{sum(counts['edges'].values())} edges, {result.report.normalized} payloads "
                f"normalized, {result.report.quarantined} quarantined, "
                f"in {time.monotonic() - started:.1f}s -> {result.out}",
                err=True,
            )
            if not no_load and (
                since_build is None
                or any(o.kind in ("vertex", "edge") for o in result.manifest.outputs)
            ):
                _load_build(result, graph)
        except FullRebuildNeededError as exc:
            typer.echo(f"lineage rebuild: {one_line(exc)}", err=True)
            raise typer.Exit(code=EXIT_FULL_REBUILD_NEEDED) from None
        except DeltaError as exc:
            typer.echo(f"lineage rebuild: {one_line(exc)}", err=True)
            raise typer.Exit(code=EXIT_BAD_PARENT) from None
        except TooManyBadPayloadsError as exc:
            typer.echo(f"lineage rebuild: {one_line(exc)} (see {out}/quarantine.json)", err=True)
            raise typer.Exit(code=EXIT_TOO_MANY_BAD) from None
        except (LineageError, ValueError) as exc:
            typer.echo(f"lineage rebuild: {one_line(exc)}", err=True)
            raise typer.Exit(code=EXIT_FAILED) from None
