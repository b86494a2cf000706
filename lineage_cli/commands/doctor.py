"""`lineage doctor`: why lineage does not arrive, checked the way the Spline agent itself works.

The checks are `lineage_cli.doctor.Doctor`; this module parses the options, prints each finding
and maps the outcome to an exit code.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from lineage.agent_gaps import AgentGap, gaps_for
from lineage.errors import LineageError, one_line
from lineage_cli.agent_jar import AGENT_JAR_ENV
from lineage_cli.agent_launch import ADD_OPENS, parse_conf
from lineage_cli.agent_plugin import locate_plugin
from lineage_cli.commands.spark_submit import DEFAULT_PRODUCER_URL
from lineage_cli.doctor import JOB_TIMEOUT_S, Doctor, Finding, Verdict

EXIT_NO_LINEAGE = 1
EXIT_USAGE = 2

HELP = "\n\n".join(
    [
        "What to run when lineage does not appear: checks, in order, what the Spline agent "
        "needs and stops at the first thing that would keep lineage from arriving.",
        "1. the agent jar (--agent-jar, $" + AGENT_JAR_ENV + ", or the cache of "
        "`make install`) is the agent bundle; 2. your --conf spark.driver.extraJavaOptions, if "
        f"any, keeps {ADD_OPENS} (without it the SparkSession itself fails on Java 17); "
        "3. the producer's handshake as the agent does it: HEAD URL/status must answer 2xx "
        "(anything else disables the agent), ABSA-Spline-API-Version lines (none means the "
        "agent falls back to the old v1.0 layout), gzip; OAuth settings in --conf get a token "
        "first; 4. a tiny Spark job (one CSV read, one Parquet write in a temporary folder) "
        "with the agent attached, named lineage-doctor-<id>, sent to the producer through a "
        "loopback relay that records the producer's answer to its plan and its event; "
        "5. with --lake (the producer's raw zone: a directory or s3://bucket/prefix), that "
        "the plan and the event landed there.",
        "The test job's lineage really reaches the producer: a job lineage-doctor-<id> then "
        "shows in the graph after the next rebuild.",
        "Last, when your --conf loads Iceberg or Delta Lake, a warn line per kind of write "
        "whose lineage the agent does not send at all: those writes will never show in the "
        "graph. The project's agent plugin (built by `make install`, attached by `lineage "
        "spark-submit`) closes the Iceberg MERGE/UPDATE/DELETE gaps. --gaps lists every gap "
        "and whether the plugin closes it here, and runs nothing.",
        "Exit code: 0 when lineage arrives, 1 when it would not (the line marked FAIL says "
        "why), 2 for bad arguments.",
    ]
)


def gap_lines(gaps: tuple[AgentGap, ...], plugin: Path | None) -> list[str]:
    """`lineage doctor --gaps`: one line per kind of write the agent sends no lineage for, each
    gap the project's agent plugin closes marked so when the plugin is built."""
    lines = []
    for gap in gaps:
        closed = plugin is not None and gap.closed_by_plugin
        state = f" [closed here by the agent plugin {plugin}]" if closed else ""
        lines.append(f"{gap.table_format.value:<8} {gap.line()}{state}")
    return lines


def register(app: typer.Typer) -> None:
    """Add `lineage doctor` to the CLI."""

    @app.command("doctor", help=HELP)
    def _command(
        producer_url: Annotated[
            str, typer.Option("--producer-url", help="Spline producer API base URL")
        ] = DEFAULT_PRODUCER_URL,
        lake: Annotated[
            str | None,
            typer.Option("--lake", help="the producer's raw zone, to check the payloads landed"),
        ] = None,
        agent_jar: Annotated[
            Path | None,
            typer.Option("--agent-jar", help=f"the agent jar (default: ${AGENT_JAR_ENV}, cache)"),
        ] = None,
        conf: Annotated[
            list[str] | None,
            typer.Option("--conf", help="a Spark setting KEY=VALUE as your jobs use (repeatable)"),
        ] = None,
        timeout: Annotated[
            float, typer.Option("--timeout", help="seconds the test job may take")
        ] = JOB_TIMEOUT_S,
        gaps: Annotated[
            bool,
            typer.Option(
                "--gaps", help="list the writes whose lineage the agent never sends, then exit"
            ),
        ] = False,
    ) -> None:
        if gaps:
            for line in gap_lines(gaps_for(), locate_plugin()):
                typer.echo(line)
            return
        try:
            user_conf = parse_conf(list(conf or []))
        except LineageError as exc:
            typer.echo(f"lineage doctor: {one_line(exc)}", err=True)
            raise typer.Exit(code=EXIT_USAGE) from exc
        failures: list[Finding] = []

        def report(finding: Finding) -> None:
            typer.echo(finding.line())
            if finding.verdict is Verdict.FAIL:
                failures.append(finding)

        doctor = Doctor(producer_url, agent_jar, user_conf, lake, report, timeout)
        if doctor.run():
            typer.echo(f"lineage doctor: lineage arrives at {producer_url}")
            return
        cause = failures[0].detail if failures else "see above"
        typer.echo(f"lineage doctor: lineage would not arrive: {cause}", err=True)
        raise typer.Exit(code=EXIT_NO_LINEAGE)
