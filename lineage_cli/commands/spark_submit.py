"""`lineage spark-submit`: run a PySpark script with the real Spline agent pointed at a producer."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from lineage.errors import LineageError
from lineage_cli.agent_jar import AGENT_JAR_ENV, LISTENER_CLASS, locate
from lineage_cli.agent_launch import (
    ADD_OPENS,
    PRODUCER_URL_KEY,
    AgentLaunch,
    AgentLaunchError,
    parse_conf,
    run_with_agent,
)
from lineage_cli.agent_plugin import NOT_BUILT, PLUGIN_JAR_NAME, locate_plugin
from lineage_cli.producer_handshake import handshake

DEFAULT_PRODUCER_URL = "http://127.0.0.1:8080/producer"
EXIT_USAGE = 2

HELP = "\n\n".join(
    [
        "Run a PySpark SCRIPT (with its ARGS) with the real Spline agent attached, so its "
        "lineage goes to a Spline producer. The script needs no lineage code.",
        "The virtualenv's spark-submit runs the script with the agent bundle jar (and the "
        "project's agent plugin, which reports Iceberg MERGE/UPDATE/DELETE) on spark.jars, "
        f"spark.sql.queryExecutionListeners={LISTENER_CLASS}, {PRODUCER_URL_KEY}=URL, "
        f"spark.driver.extraJavaOptions={ADD_OPENS} (Java 17: without it the SparkSession "
        "itself fails) and a driver bound to 127.0.0.1. --conf KEY=VALUE (repeatable) adds or "
        "overrides Spark settings, e.g. spark.spline.lineageDispatcher.http.authentication.*; "
        "your own spark.jars and listeners are merged with the agent's.",
        f"The jar: --agent-jar, else ${AGENT_JAR_ENV}, else the one `make install` put in "
        ".cache/spline-agent/ (Maven Central, or ../shared/spline-agent/ checked by sha256).",
        "Before the job it sends the agent's own handshake (HEAD URL/status) and stops with a "
        "one-line cause when the producer does not answer or would make the agent disable "
        "itself. After the job it prints a one-line cause when the agent's log shows it was "
        "disabled or a lineage POST failed; all of Spark's output still shows.",
        "Exit code: the script's; 2 when nothing ran (bad arguments, no agent jar, producer "
        "not ready). Example: lineage spark-submit examples/ingest_orders.py --lake /tmp/lake",
    ]
)


class SparkSubmitUsageError(LineageError):
    """A bad path or argument; the message names it."""


def _say(message: str) -> None:
    typer.echo(f"lineage spark-submit: {message}", err=True)


def run_script(
    script: Path,
    args: list[str],
    producer_url: str,
    agent_jar: Path | None,
    conf_pairs: list[str],
) -> int:
    """Run `script` with the agent attached; return its exit code. Raises `LineageError` first
    when the job cannot deliver lineage as configured."""
    if not script.is_file():
        raise SparkSubmitUsageError(f"script not found: {script}")
    plugin = locate_plugin()
    plugins = () if plugin is None else (plugin,)
    launch = AgentLaunch(locate(agent_jar), producer_url, parse_conf(conf_pairs), plugins)
    problem = launch.driver_options_problem()
    if problem is not None:
        raise AgentLaunchError(problem)
    answer = handshake(launch.effective_producer_url, conf=launch.conf())
    _say(f"{script} with the Spline agent {launch.jar}")
    if plugin is None:
        _say(f"the project's agent plugin {PLUGIN_JAR_NAME} {NOT_BUILT}")
    _say(f"producer {launch.effective_producer_url}: {answer.summary()}")
    run = run_with_agent(
        launch.command(script, args),
        stdout_copy=getattr(sys.stdout, "buffer", None),
        stderr_copy=getattr(sys.stderr, "buffer", None),
    )
    for line in run.agent.problems():
        _say(line)
    return run.exit_code


def register(app: typer.Typer) -> None:
    """Add `lineage spark-submit` to the CLI."""

    @app.command(
        "spark-submit",
        help=HELP,
        context_settings={"allow_interspersed_args": False, "ignore_unknown_options": True},
    )
    def _command(
        script: Annotated[Path, typer.Argument(help="the PySpark script to run")],
        args: Annotated[
            list[str] | None, typer.Argument(help="arguments passed to the script unchanged")
        ] = None,
        producer_url: Annotated[
            str, typer.Option("--producer-url", help="Spline producer API base URL")
        ] = DEFAULT_PRODUCER_URL,
        agent_jar: Annotated[
            Path | None,
            typer.Option(
                "--agent-jar",
                help=f"the Spline agent bundle jar (default: ${AGENT_JAR_ENV}, then the cache)",
            ),
        ] = None,
        conf: Annotated[
            list[str] | None,
            typer.Option("--conf", help="a Spark setting KEY=VALUE (repeatable)"),
        ] = None,
    ) -> None:
        try:
            code = run_script(script, list(args or []), producer_url, agent_jar, list(conf or []))
        except LineageError as exc:
            _say(str(exc))
            raise typer.Exit(code=EXIT_USAGE) from exc
        raise typer.Exit(code=code)
