"""`lineage serve`: the Spline producer API, the read API and the UI on one local port."""

from __future__ import annotations

import ipaddress
import logging
import os

import typer
from fastapi import FastAPI
from starlette.types import ASGIApp

from lambdas.consumer.app import create_app as create_read_api_app
from lambdas.consumer.gc_tuning import freeze_startup_objects
from lambdas.consumer.static_ui import create_ui_app
from lambdas.producer.app import create_app as create_producer_app
from lambdas.producer.config import ProducerSettings
from lineage.errors import LineageError, one_line
from lineage_cli.guard import (
    DEFAULT_HOSTS,
    AuthSettings,
    JwtAuthorizer,
    JwtMiddleware,
    RouteScopes,
    TrustedHosts,
    Unauthorized,
)
from lineage_cli.serve_app import OPTIONS_ENV, ServeOptions
from local_neptune.ports import port_problem
from stores import open_store

PRODUCER_PATH = "/producer"
API_PATH = "/api"
DEFAULT_PRODUCER_SCOPE = "lineage/producer.write"

log = logging.getLogger("lineage.serve")


def build_root_app(
    lake: str,
    *,
    graph_url: str | None = None,
    settings: ProducerSettings | None = None,
    fsync: bool = False,
    allowed_hosts: tuple[str, ...] = DEFAULT_HOSTS,
    authorizer: JwtAuthorizer | None = None,
) -> ASGIApp:
    """One ASGI app for everything `lineage serve` offers; raises `LineageError` on a bad lake.

    The producer lives at `/producer` (the agent's `producer.url`), the read API at `/api`
    (over `graph_url`), the UI at `/`. Requests whose `Host` is not in `allowed_hosts` get 400;
    with an `authorizer`, its protected routes need a valid bearer token.
    """
    root = FastAPI(title="lineage", docs_url=None, redoc_url=None, openapi_url=None)
    root.state.graph_url = graph_url
    root.mount(
        PRODUCER_PATH, create_producer_app(open_store(lake, fsync=fsync, create=True), settings)
    )
    if graph_url is not None:
        root.mount(API_PATH, create_read_api_app(graph_url))
    # The UI goes last because a mount at "/" matches every path.
    root.mount("/", create_ui_app())
    app: ASGIApp = root
    if authorizer is not None:
        app = JwtMiddleware(app, authorizer, on_refusal=_log_refusal)
    # Outermost: a rebinding page learns nothing, not even whether auth is on.
    return TrustedHosts(app, allowed_hosts)


def _log_refusal(path: str, refused: Unauthorized) -> None:
    log.warning("%s refused (%d): %s", path, refused.status, refused)


def trusted_hosts(bind_host: str, extra: list[str] | None) -> tuple[str, ...]:
    """Loopback names, the bound address (unless a wildcard) and the `--allowed-host` names."""
    hosts = list(DEFAULT_HOSTS)
    if bind_host not in ("0.0.0.0", "::", ""):
        hosts.append(bind_host)
    for name in extra or ():
        if not name or any(c in name for c in "/ @?#"):
            raise LineageError(f"--allowed-host {name!r} is not a host name or address")
        hosts.append(name)
    return tuple(dict.fromkeys(hosts))


def is_loopback(host: str) -> bool:
    """True when listening on `host` is reachable from this machine only."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _default_workers() -> int:
    return max(1, min(2, os.cpu_count() or 1))


def _check_port_free(host: str, port: int) -> None:
    # uvicorn reports a busy port as a multi-line log and exit 1; say it in one line instead.
    problem = port_problem(host, port)
    if problem is not None:
        raise LineageError(f"cannot listen on {host}:{port}: the port is {problem}")


def authorizer_for(
    auth: bool,
    issuer: str | None,
    audiences: list[str] | None,
    scope: list[str] | None,
    read_scope: list[str] | None,
    jwks_url: str | None,
) -> JwtAuthorizer | None:
    if not auth:
        if issuer or audiences or jwks_url:
            raise LineageError("--auth-issuer/--auth-audience/--auth-jwks-url need --auth")
        return None
    if not issuer:
        raise LineageError("--auth needs --auth-issuer (the token issuer's URL, its `iss`)")
    settings = AuthSettings(
        issuer=issuer,
        audiences=tuple(audiences or ()),
        routes=(
            RouteScopes(PRODUCER_PATH, tuple(scope or (DEFAULT_PRODUCER_SCOPE,))),
            RouteScopes(API_PATH, tuple(read_scope or ())),
        ),
        jwks_url=jwks_url,
    )
    return JwtAuthorizer(settings)


HELP = (
    "Serve the Spline producer API (at /producer), the read API (at /api) and the UI on one "
    "port. Point the agent at http://HOST:PORT/producer; every payload lands verbatim in LAKE. "
    "It answers only requests addressed to localhost, 127.0.0.1, ::1 or an --allowed-host "
    "(so a web page cannot reach it by DNS rebinding). With --auth, /producer and /api need a "
    "bearer JWT checked as API Gateway's JWT authorizer checks it: signature (issuer's JWKS), "
    "iss, aud or client_id, exp, and a scope (401 invalid or missing token, 403 wrong scope). "
    "The UI's files stay public."
)


def _log_follow_steps() -> None:
    """Show the follower's builds and failures on stderr, beside uvicorn's lines: without a
    handler Python would print only its warnings and errors, and a user could not tell that (or
    when) a delta was loaded."""
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    follow_log = logging.getLogger("lineage.follow")
    follow_log.addHandler(handler)
    follow_log.setLevel(logging.INFO)
    follow_log.propagate = False


def register(app: typer.Typer) -> None:
    """Add `lineage serve` to the CLI."""

    @app.command("serve", help=HELP)
    def _command(
        lake: str = typer.Option(
            ..., "--lake", help="Raw zone: a directory, or s3://bucket/prefix (default AWS creds)."
        ),
        host: str = typer.Option(
            "127.0.0.1",
            "--host",
            help="Interface to listen on. Beyond loopback, use --auth and --allowed-host.",
        ),
        port: int = typer.Option(8080, "--port", help="TCP port to listen on."),
        graph: str = typer.Option(
            "ws://localhost:8182/gremlin", "--graph", help="Gremlin endpoint of the read API."
        ),
        allowed_host: list[str] | None = typer.Option(  # noqa: B008
            None,
            "--allowed-host",
            metavar="NAME",
            help=(
                "A host name or address clients use to reach this server (the Host header), "
                "besides localhost, 127.0.0.1 and ::1; repeatable. Others get 400."
            ),
        ),
        auth: bool = typer.Option(
            False, "--auth", help="Require a bearer JWT on /producer and /api (see --auth-*)."
        ),
        auth_issuer: str | None = typer.Option(
            None,
            "--auth-issuer",
            metavar="URL",
            help=(
                "Token issuer (`iss`), e.g. https://cognito-idp.REGION.amazonaws.com/POOL_ID; "
                "its keys come from ISSUER/.well-known/openid-configuration."
            ),
        ),
        auth_audience: list[str] | None = typer.Option(  # noqa: B008
            None,
            "--auth-audience",
            metavar="ID",
            help="Accepted `aud` (or `client_id`, Cognito's app client id); repeatable.",
        ),
        auth_scope: list[str] | None = typer.Option(  # noqa: B008
            None,
            "--auth-scope",
            metavar="SCOPE",
            help=(
                "Scope the producer routes require (any one of them; "
                f"default {DEFAULT_PRODUCER_SCOPE})."
            ),
        ),
        auth_read_scope: list[str] | None = typer.Option(  # noqa: B008
            None,
            "--auth-read-scope",
            metavar="SCOPE",
            help="Scope the read API requires (any one of them; default: any valid token).",
        ),
        auth_jwks_url: str | None = typer.Option(
            None, "--auth-jwks-url", metavar="URL", help="The issuer's JWKS, if not discoverable."
        ),
        workers: int = typer.Option(
            _default_workers(),
            "--workers",
            min=1,
            max=64,
            help=(
                "Worker processes (default: one per core, at most 2: the graph server on the "
                "same machine needs the rest). Each keeps its own graph connections and cache."
            ),
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
        follow: str | None = typer.Option(
            None,
            "--follow",
            metavar="BUILDS",
            help=(
                "Keep the graph behind --graph a few seconds behind the raw zone: when payloads "
                "land, build a delta (into BUILDS/builds/..., pointer BUILDS/LATEST.json) and "
                "load it. The first build is a full one."
            ),
        ),
        follow_interval: float = typer.Option(
            5.0, "--follow-interval", min=0.5, help="Seconds between looks at the raw zone."
        ),
    ) -> None:
        import uvicorn

        try:
            hosts = trusted_hosts(host, allowed_host)
            options = ServeOptions(
                lake=lake,
                graph=graph,
                fsync=fsync,
                hosts=hosts,
                auth=auth,
                auth_issuer=auth_issuer,
                auth_audience=tuple(auth_audience or ()),
                auth_scope=None if auth_scope is None else tuple(auth_scope),
                auth_read_scope=None if auth_read_scope is None else tuple(auth_read_scope),
                auth_jwks_url=auth_jwks_url,
            )
            # Built here even with several workers: a bad lake or auth option fails before
            # any worker starts, with one line and exit 2.
            root = options.build()
            _check_port_free(host, port)
        except LineageError as exc:
            typer.echo(f"lineage serve: {one_line(exc)}", err=True)
            raise typer.Exit(code=2) from None
        if not is_loopback(host) and not auth:
            typer.echo(
                f"lineage serve: WARNING: listening on {host} without --auth: anyone who can "
                "reach this port can write payloads into the raw zone and read the graph",
                err=True,
            )
        typer.echo(f"producer: http://{host}:{port}{PRODUCER_PATH}  raw zone: {lake}", err=True)
        typer.echo(f"UI: http://{host}:{port}/  read API: {API_PATH} over {graph}", err=True)
        typer.echo(
            f"answers Host: {', '.join(hosts)}; auth: "
            + (f"bearer JWT from {auth_issuer}" if auth else "off"),
            err=True,
        )
        follower = None
        if follow is not None:
            from lineage_cli.follow import Follower

            _log_follow_steps()
            follower = Follower(lake, follow, graph, follow_interval)
            follower.start()
            typer.echo(f"following {lake} into {graph}, builds under {follow}", err=True)
        typer.echo(f"workers: {workers}", err=True)
        try:
            if workers == 1:
                freeze_startup_objects()
                uvicorn.run(root, host=host, port=port, access_log=access_log, log_level="info")
                return
            os.environ[OPTIONS_ENV] = options.to_env()
            uvicorn.run(
                "lineage_cli.serve_app:app_from_env",
                factory=True,
                host=host,
                port=port,
                workers=workers,
                access_log=access_log,
                log_level="info",
            )
        finally:
            if follower is not None:
                follower.stop()
