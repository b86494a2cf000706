"""`lineage graph start|stop|status`: the local Gremlin Server that stands in for Neptune."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from lineage.errors import one_line
from local_neptune import (
    DEFAULT_PORT,
    GraphServerError,
    PortInUseError,
    PrerequisiteError,
    ServerLayout,
    ServerSettings,
    ServerStartError,
    project_root,
    start,
    status,
    stop,
)

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_PREREQUISITE = 2
EXIT_NOT_RUNNING = 3  # `status` only, as in LSB init scripts
EXIT_PORT_IN_USE = 4

HELP = "\n\n".join(
    [
        "Manage the local Apache TinkerPop Gremlin Server that stands in for Amazon Neptune.",
        "The server (TinkerPop 3.7, in-memory TinkerGraph) is configured to fail where Neptune "
        "fails: string ids only, set cardinality by default, no list cardinality, no lambdas, "
        "no io()/program()/call(), scripts parsed by the gremlin-lang grammar (never Groovy), "
        "GraphBinary, 120 s query timeout.",
        "It listens on 127.0.0.1 and speaks Gremlin over WebSocket only: no scripts over HTTP, "
        "no WebSocket from web pages of other origins (see --allow-origin), no stack traces "
        "in answers.",
        "Its state (pid, port, log, generated configuration) lives in .lineage/graph of the "
        "project (or of $LINEAGE_HOME). Connect gremlinpython to ws://localhost:PORT/gremlin, "
        "traversal source g.",
        f"Exit codes: {EXIT_OK} ok; {EXIT_FAILED} the server failed; {EXIT_PREREQUISITE} Java, "
        f"javac or the jars are missing; {EXIT_NOT_RUNNING} (status) no server runs; "
        f"{EXIT_PORT_IN_USE} the port is taken.",
    ]
)

graph_app = typer.Typer(name="graph", help=HELP, no_args_is_help=True, add_completion=False)

# Progress and results go to stderr/stdout through rich; errors are one plain line on stderr.
_stderr = Console(stderr=True)


def _layout() -> ServerLayout:
    return ServerLayout.under(project_root())


def _fail(message: str, code: int) -> typer.Exit:
    typer.echo(f"lineage graph: {message}", err=True)
    return typer.Exit(code=code)


@contextmanager
def _errors_to_exit_codes() -> Iterator[None]:
    """The one place where graph-server errors become messages and exit codes."""
    try:
        yield
    except ServerStartError as exc:
        typer.echo(f"lineage graph: {one_line(exc)}", err=True)
        if exc.log_tail:
            typer.echo("log tail:", err=True)
            for line in exc.log_tail:
                typer.echo(f"  | {line}", err=True)
        raise typer.Exit(code=EXIT_FAILED) from exc
    except PrerequisiteError as exc:
        raise _fail(str(exc), EXIT_PREREQUISITE) from exc
    except PortInUseError as exc:
        raise _fail(str(exc), EXIT_PORT_IN_USE) from exc
    except GraphServerError as exc:
        raise _fail(str(exc), EXIT_FAILED) from exc


@graph_app.command("start")
def start_command(
    port: Annotated[
        int,
        typer.Option(
            "--port", min=0, max=65535, help="Port on localhost to listen on; 0 picks a free one."
        ),
    ] = DEFAULT_PORT,
    persist: Annotated[
        Path | None,
        typer.Option(
            "--persist",
            metavar="FILE",
            help=(
                "Load the graph from FILE at start (if it exists) and save it there on `stop`. "
                "Format by suffix: .json GraphSON, .xml GraphML, anything else Gryo."
            ),
        ),
    ] = None,
    heap: Annotated[
        str, typer.Option("--heap", help="JVM maximum heap; the whole graph lives in it.")
    ] = "2g",
    timeout: Annotated[
        float,
        typer.Option(
            "--timeout", min=1.0, help="Seconds to wait for the server to answer a traversal."
        ),
    ] = 60.0,
    allow_origin: Annotated[
        list[str] | None,
        typer.Option(
            "--allow-origin",
            metavar="ORIGIN",
            help=(
                "A browser origin (scheme://host[:port]) whose pages may open a WebSocket to the "
                "server, besides pages served from localhost; repeatable. Any other page is "
                "refused with 403."
            ),
        ),
    ] = None,
) -> None:
    """Start the server; returns once it answers a traversal (or fails with its log tail)."""
    settings = ServerSettings(
        port=port,
        heap=heap,
        persist_path=persist,
        start_timeout_s=timeout,
        allowed_origins=tuple(allow_origin or ()),
    )
    with _errors_to_exit_codes(), _stderr.status("starting Gremlin Server") as spinner:
        progress: Callable[[str], None] = spinner.update
        result = start(settings, _layout(), progress=progress)
    state = result.state
    if result.already_running:
        typer.echo(f"already running: {state.endpoint} (pid {state.pid})")
        return
    saved = f", persisted to {state.persist_path}" if state.persist_path else ", in memory"
    typer.echo(
        f"started: {state.endpoint} (pid {state.pid}) in {result.startup_s:.1f} s; "
        f"{result.counts.vertices} vertices, {result.counts.edges} edges{saved}"
    )


@graph_app.command("stop")
def stop_command(
    timeout: Annotated[
        float,
        typer.Option(
            "--timeout",
            min=1.0,
            help="Seconds to let the server shut down (and save --persist) before it is killed.",
        ),
    ] = 60.0,
) -> None:
    """Stop the server and wait until its port is free; saying so when none runs."""
    with _errors_to_exit_codes(), _stderr.status("stopping Gremlin Server"):
        result = stop(_layout(), timeout_s=timeout)
    if result.state is None:
        typer.echo("not running")
        return
    if result.stale:
        typer.echo(f"not running (pid {result.state.pid} had already exited; record removed)")
        return
    if result.forced:
        raise _fail(
            f"pid {result.state.pid} ignored SIGTERM for {timeout:g} s and was killed"
            + ("; the graph was NOT saved" if result.state.persist_path else ""),
            EXIT_FAILED,
        )
    if result.save_error is not None:
        raise _fail(
            f"stopped pid {result.state.pid}, but the graph was NOT saved: {result.save_error}",
            EXIT_FAILED,
        )
    saved = f"; graph saved to {result.state.persist_path}" if result.state.persist_path else ""
    typer.echo(f"stopped: pid {result.state.pid}, port {result.state.port} is free{saved}")


@graph_app.command("status")
def status_command() -> None:
    """Say whether the server runs and answers, with its vertex and edge counts."""
    report = status(_layout())
    state = report.state
    if state is None or not report.alive:
        typer.echo("not running")
        raise typer.Exit(code=EXIT_NOT_RUNNING)
    if report.counts is None:
        raise _fail(
            f"pid {state.pid} runs but does not answer at {state.endpoint}: {report.problem}",
            EXIT_FAILED,
        )
    typer.echo(f"running: {state.endpoint} (pid {state.pid}, since {state.started_at})")
    typer.echo(f"graph: {report.counts.vertices} vertices, {report.counts.edges} edges")
    typer.echo(f"persistence: {state.persist_path or 'none (in memory)'}")
    typer.echo(f"log: {state.log_path}")


def register(app: typer.Typer) -> None:
    """Add `lineage graph` to the CLI."""
    app.add_typer(graph_app, name="graph")
