"""`lineage serve`: the Spline producer API, the read API and the UI on one local port."""

from __future__ import annotations

import typer
from fastapi import FastAPI

from lambdas.consumer.app import create_app as create_read_api_app
from lambdas.consumer.static_ui import create_ui_app
from lambdas.producer.app import create_app as create_producer_app
from lambdas.producer.config import ProducerSettings
from lambdas.producer.store_factory import open_store
from lineage.errors import LineageError
from lineage_cli.ports import port_problem

PRODUCER_PATH = "/producer"
API_PATH = "/api"


def build_root_app(
    lake: str,
    *,
    graph_url: str | None = None,
    settings: ProducerSettings | None = None,
    fsync: bool = False,
) -> FastAPI:
    """One ASGI app for everything `lineage serve` offers; raises `LineageError` on a bad lake.

    The producer lives at `/producer` (the agent's `producer.url`), the read API at `/api`
    (over `graph_url`), the UI at `/`.
    """
    root = FastAPI(title="lineage", docs_url=None, redoc_url=None, openapi_url=None)
    root.state.graph_url = graph_url
    root.mount(PRODUCER_PATH, create_producer_app(open_store(lake, fsync=fsync), settings))
    if graph_url is not None:
        root.mount(API_PATH, create_read_api_app(graph_url))
    # The UI goes last because a mount at "/" matches every path.
    root.mount("/", create_ui_app())
    return root


def _check_port_free(host: str, port: int) -> None:
    # uvicorn reports a busy port as a multi-line log and exit 1; say it in one line instead.
    problem = port_problem(host, port)
    if problem is not None:
        raise LineageError(f"cannot listen on {host}:{port}: the port is {problem}")


def register(app: typer.Typer) -> None:
    """Add `lineage serve` to the CLI."""

    @app.command(
        "serve",
        help=(
            "Serve the Spline producer API (at /producer), the read API and the UI on one port. "
            "Point the agent at http://HOST:PORT/producer; every payload lands verbatim in LAKE."
        ),
    )
    def _command(
        lake: str = typer.Option(
            ..., "--lake", help="Raw zone: a directory, or s3://bucket/prefix (default AWS creds)."
        ),
        host: str = typer.Option("127.0.0.1", "--host", help="Interface to listen on."),
        port: int = typer.Option(8080, "--port", help="TCP port to listen on."),
        graph: str = typer.Option(
            "ws://localhost:8182/gremlin", "--graph", help="Gremlin endpoint of the read API."
        ),
        access_log: bool = typer.Option(
            True, "--access-log/--no-access-log", help="Log one line per request."
        ),
        fsync: bool = typer.Option(
            False,
            "--fsync/--no-fsync",
            help=(
                "Local lake only: fsync every object before answering, so an acknowledged "
                "payload survives a power cut (several times slower on most disks)."
            ),
        ),
    ) -> None:
        import uvicorn

        try:
            root = build_root_app(lake, graph_url=graph, fsync=fsync)
            _check_port_free(host, port)
        except LineageError as exc:
            typer.echo(f"lineage serve: {exc}", err=True)
            raise typer.Exit(code=2) from None
        typer.echo(f"producer: http://{host}:{port}{PRODUCER_PATH}  raw zone: {lake}", err=True)
        typer.echo(f"UI: http://{host}:{port}/  read API: {API_PATH} over {graph}", err=True)
        uvicorn.run(root, host=host, port=port, workers=1, access_log=access_log, log_level="info")
