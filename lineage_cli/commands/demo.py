"""`lineage demo`: the whole pipeline on the embedded default, ending in the UI."""

from __future__ import annotations

import shutil
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from types import FrameType

import typer
from rich.console import Console

from lineage.errors import LineageError
from lineage_cli.agent_jar import locate
from lineage_cli.pipeline import (
    SparkJob,
    Workdir,
    generate_sample_data,
    job_runs,
    run_jobs,
    start_serve,
    stop_process,
    wait_for_build,
    wait_for_new_run,
)
from local_neptune import ServerLayout, ServerSettings, project_root, start, stop

EXAMPLES = project_root() / "examples"
# The Delta Lake jars `make install` fetches (build-support/lake-formats-pom.xml).
LAKE_FORMAT_JARS = project_root() / ".cache" / "lake-formats" / "lib"
DELTA_JARS = ("delta-spark_2.12-3.2.1.jar", "delta-storage-3.2.1.jar")

# The sample lake, in the order a nightly schedule would run it (see examples/README.md).
SAMPLE_JOBS: tuple[tuple[str, tuple[str, ...], bool], ...] = (
    ("ingest_orders.py", (), False),
    ("ingest_customers.py", (), False),
    ("enrich_orders.py", (), False),
    ("aggregate_sales.py", (), False),
    ("append_daily_orders.py", ("--day", "21"), False),
    ("append_daily_orders.py", ("--day", "22"), False),
    ("merge_order_book.py", (), False),
    ("ingest_payments_strict.py", (), True),
)
# The job that lands after the nightly build, while `lineage serve --follow` watches.
LATE_JOB = ("append_daily_orders.py", ("--day", "23"))
LATE_JOB_NAME = "append_daily_orders"
FOLLOW_INTERVAL_S = 2.0
# From a landed payload to the read API: the follower's promise is a minute.
VISIBLE_TIMEOUT_S = 120.0
# The first (full) build of a follower starts its own Spark session.
FIRST_BUILD_TIMEOUT_S = 900.0
# Jobs writing lake-format tables: the jars they need on spark.jars.
_JARS: dict[str, tuple[str, ...]] = {"merge_order_book.py": DELTA_JARS}


class LakeFormatJarsMissingError(LineageError):
    """A sample job's lake-format jars are not where `make install` puts them."""


def sample_jobs(data_lake: Path) -> list[SparkJob]:
    """The sample jobs with their `--lake` argument (and lake-format jars where needed)."""
    return [
        SparkJob(
            EXAMPLES / script,
            ("--lake", str(data_lake), *args),
            expect_failure=fails,
            conf=_jar_conf(_JARS.get(script, ())),
        )
        for script, args, fails in SAMPLE_JOBS
    ]


def _late_job(data_lake: Path) -> SparkJob:
    script, args = LATE_JOB
    return SparkJob(EXAMPLES / script, ("--lake", str(data_lake), *args))


def _jar_conf(names: tuple[str, ...]) -> tuple[str, ...]:
    if not names:
        return ()
    missing = [name for name in names if not (LAKE_FORMAT_JARS / name).is_file()]
    if missing:
        raise LakeFormatJarsMissingError(
            f"{', '.join(missing)} not found in {LAKE_FORMAT_JARS} (run `make install`)"
        )
    return ("spark.jars=" + ",".join(str(LAKE_FORMAT_JARS / name) for name in names),)


def _wait_for_interrupt(ready: Callable[[], None]) -> None:
    """Block until Ctrl-C (SIGINT) or SIGTERM.

    Both are handled explicitly: a shell starts background jobs with SIGINT ignored, and
    Python would then never raise KeyboardInterrupt.
    """
    stopping = False

    def _on_signal(_signum: int, _frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)
    ready()
    while not stopping:
        time.sleep(0.5)


def register(app: typer.Typer) -> None:
    """Add `lineage demo` to the CLI."""

    @app.command(
        "demo",
        help=(
            "Run the whole pipeline on this machine: start the local Gremlin Server and "
            "`lineage serve`, run the sample Spark jobs (examples/) with the real Spline agent "
            "attached (`lineage spark-submit`), "
            "build and load the graph (`lineage serve --follow`: a full build, then a delta "
            "for each new day of payloads), run one more job and show it arrive, print the UI "
            "address, serve until Ctrl-C, then stop everything it started. Each stage logs to "
            "WORKDIR/logs/STAGE.log."
        ),
    )
    def _command(
        workdir: str = typer.Option(
            "", "--workdir", help="Where the demo keeps its data (default: .lineage/demo)."
        ),
        port: int = typer.Option(8080, "--port", help="Port of the producer, read API and UI."),
        graph_port: int = typer.Option(8182, "--graph-port", help="Port of the Gremlin Server."),
        wait: bool = typer.Option(
            True, "--wait/--no-wait", help="Keep serving the UI until Ctrl-C (or stop at once)."
        ),
    ) -> None:
        console = Console(stderr=True)
        say = console.print
        place = Workdir(Path(workdir) if workdir else project_root() / ".lineage" / "demo")
        # A demo starts from nothing so what it shows is what this run produced.
        shutil.rmtree(place.root, ignore_errors=True)
        place.root.mkdir(parents=True)
        graph_layout = ServerLayout.under(project_root())
        graph_layout = ServerLayout(
            lib_dir=graph_layout.lib_dir,
            build_dir=graph_layout.build_dir,
            state_dir=place.root / "graph",
        )
        graph_url = f"ws://localhost:{graph_port}/gremlin"
        base = f"http://127.0.0.1:{port}"
        serve: subprocess.Popen[bytes] | None = None
        graph_started = False
        try:
            # A missing agent jar is found before any server starts, not after the first job.
            agent = locate()
            jobs = sample_jobs(place.data_lake)  # ... and so are missing lake-format jars
            say(f"[bold]1/6[/] starting the local Gremlin Server on port {graph_port}")
            start(ServerSettings(port=graph_port), graph_layout)
            graph_started = True
            say(f"[bold]2/6[/] starting lineage serve on {base} (raw zone: {place.raw_zone})")
            serve = start_serve(place, port, graph_url)
            say("[bold]3/6[/] writing the sample lake's raw files")
            generate_sample_data(place, EXAMPLES / "generate_raw_data.py")
            say(f"[bold]4/6[/] running {len(jobs)} sample Spark jobs with the Spline agent {agent}")
            run_jobs(place, jobs, f"{base}/producer", say)
            say(
                "[bold]5/6[/] nightly rebuild: lineage serve restarts with --follow; its first "
                "build is a full one (raw zone -> Neptune CSVs -> graph)"
            )
            stop_process(serve)
            serve = start_serve(place, port, graph_url, follow_interval_s=FOLLOW_INTERVAL_S)
            first = wait_for_build(place, 0, FIRST_BUILD_TIMEOUT_S)
            say(f"  loaded {first.build}")
            late = _late_job(place.data_lake)
            say(
                f"[bold]6/6[/] a new day lands after the build: {late.script.name} "
                f"{' '.join(late.args)}; the follower loads it as a delta"
            )
            before = job_runs(place, base, LATE_JOB_NAME)
            run_jobs(place, [late], f"{base}/producer", say)
            lag = wait_for_new_run(place, base, LATE_JOB_NAME, before, VISIBLE_TIMEOUT_S)
            say(
                f"  visible in the read API {lag:.1f} s after the job ended (a delta build on "
                "top of the nightly one)"
            )
            say(f"\n[bold green]Lineage is ready.[/] Open {base}/ in a browser:")
            say("  - Overview: the sample lake's jobs and datasets, raw -> curated -> aggregated")
            say("  - Click dataset 'sales_by_country', then Upstream: where the numbers come from")
            say("  - Jobs: 'ingest_payments_strict' shows its failed run and the error")
            say("  - Jobs: 'merge_order_book' MERGEs into a Delta table: rows inserted/updated")
            say("  - Columns: pick 'sales_by_country' and a column for column-level lineage")
            say(f"  Builds: {place.builds} (LATEST.json names the last one); logs: {place.logs}")
            say("  New payloads keep appearing within seconds while the demo serves.")
            if wait:
                _wait_for_interrupt(lambda: say("Serving until Ctrl-C ..."))
        except LineageError as exc:
            console.print(f"[red]lineage demo: {exc}[/]", highlight=False)
            raise typer.Exit(code=1) from None
        finally:
            if serve is not None:
                stop_process(serve)
            if graph_started:
                stop(graph_layout)
            say("stopped the servers the demo started")
