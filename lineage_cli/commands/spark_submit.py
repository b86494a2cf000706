"""`lineage spark-submit`: run a PySpark script with a Spline agent pointed at a producer."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Annotated

import typer

DEFAULT_PRODUCER_URL = "http://127.0.0.1:8080/producer"
AGENT_JAR_ENV = "SPLINE_AGENT_JAR"
SPLINE_LISTENER = "za.co.absa.spline.harvester.listener.SplineQueryExecutionListener"
# Java 17: the agent reflects on JDK internals (AbsaOSS/spline-spark-agent issue 782); Spark's
# launcher already opens the packages Spark itself needs.
JAVA17_DRIVER_OPTIONS = (
    "--add-opens=java.base/sun.net.www.protocol.jar=ALL-UNNAMED",
    "--add-opens=java.base/java.lang=ALL-UNNAMED",
    "--add-opens=java.base/java.util=ALL-UNNAMED",
)
EXIT_USAGE = 2

HELP = "\n\n".join(
    [
        "Run a PySpark SCRIPT (with its ARGS) so that its lineage goes to a Spline producer. "
        "The script needs no lineage code.",
        f"REAL AGENT: with --agent-jar PATH (or ${AGENT_JAR_ENV}=PATH) the virtualenv's "
        "spark-submit runs the script with the Spline agent bundle jar on spark.jars, "
        f"spark.sql.queryExecutionListeners={SPLINE_LISTENER}, spark.spline.producer.url=URL "
        "and the Java 17 --add-opens driver flags the agent needs.",
        "STAND-IN (no jar): the real agent cannot be resolved from this machine's Maven "
        "registry, so without a jar the Python stand-in agent (agent_standin, see "
        "docs/standin-agent.md) is attached instead, with a warning. It sends the same "
        "producer API v1.2 requests.",
        "The exit code is the script's. Example: "
        "lineage spark-submit examples/ingest_orders.py --lake /tmp/lake",
    ]
)


class SparkSubmitUsageError(Exception):
    """A bad path or a missing tool; the message names it."""


def _venv_tool(name: str) -> str:
    """A console script of this virtualenv (next to the interpreter), else from PATH."""
    beside = Path(sys.executable).parent / name
    if beside.exists():
        return str(beside)
    found = shutil.which(name)
    if found is None:
        raise SparkSubmitUsageError(f"`{name}` not found next to {sys.executable} nor on PATH")
    return found


def real_agent_command(jar: Path, producer_url: str, script: Path, args: list[str]) -> list[str]:
    """The spark-submit command line that attaches the real Spline agent."""
    java_options = " ".join(JAVA17_DRIVER_OPTIONS)
    return [
        _venv_tool("spark-submit"),
        "--jars",
        str(jar),
        "--conf",
        f"spark.sql.queryExecutionListeners={SPLINE_LISTENER}",
        "--conf",
        f"spark.spline.producer.url={producer_url}",
        "--driver-java-options",
        java_options,
        "--conf",
        f"spark.executor.extraJavaOptions={java_options}",
        str(script),
        *args,
    ]


def standin_command(script: Path, args: list[str]) -> list[str]:
    """The command line that runs the script under the stand-in agent's runner."""
    return [sys.executable, "-m", "agent_standin.run", str(script), *args]


def run_script(script: Path, args: list[str], producer_url: str, agent_jar: Path | None) -> int:
    """Run `script` with lineage attached; return its exit code."""
    if not script.is_file():
        raise SparkSubmitUsageError(f"script not found: {script}")
    env = {
        **os.environ,
        # Spark's Python workers must run this interpreter, or they miss the project's packages.
        "PYSPARK_PYTHON": sys.executable,
        "PYSPARK_DRIVER_PYTHON": sys.executable,
    }
    if agent_jar is not None:
        if not agent_jar.is_file():
            raise SparkSubmitUsageError(f"Spline agent jar not found: {agent_jar}")
        command = real_agent_command(agent_jar, producer_url, script, args)
        typer.echo(f"spark-submit: {script} with the Spline agent {agent_jar.name}", err=True)
    else:
        typer.echo(
            "WARNING: no Spline agent jar (--agent-jar or $SPLINE_AGENT_JAR): using the Python "
            "STAND-IN agent (agent_standin; differences in docs/standin-agent.md)",
            err=True,
        )
        env["SPLINE_PRODUCER_URL"] = producer_url
        command = standin_command(script, args)
    typer.echo(f"spark-submit: lineage goes to {producer_url}", err=True)
    completed = subprocess.run(command, env=env, check=False)
    code = completed.returncode
    # A signal kill shows as a negative code; report it the way shells do.
    return 128 - code if code < 0 else code


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
                envvar=AGENT_JAR_ENV,
                help="the spark-3.5-spline-agent-bundle_2.12 jar; without it the stand-in runs",
            ),
        ] = None,
    ) -> None:
        try:
            code = run_script(script, list(args or []), producer_url, agent_jar)
        except SparkSubmitUsageError as exc:
            typer.echo(f"lineage spark-submit: {exc}", err=True)
            raise typer.Exit(code=EXIT_USAGE) from exc
        raise typer.Exit(code=code)
