"""`lineage verify`: check a build against the raw zone: input hashes, then a re-run of the job.

This module parses the options, calls `glue_jobs.audit.run_verify` (which reads the raw zone and
re-runs the job; the comparison itself is `lineage.verification`), prints the report and maps
the outcome to an exit code.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.markup import escape

from glue_jobs.audit import run_verify
from lineage.errors import LineageError, one_line
from lineage.verification import Area, Outcome, Problem, VerificationReport

__all__ = ["register", "render"]

EXIT_CANNOT_VERIFY = 2
EXIT_GRAPH_DIFFERS = 5
# The one place an outcome becomes an exit code (documented in _HELP and docs/auditing.md).
EXIT_CODES = {
    Outcome.VERIFIED: 0,
    Outcome.RAW_ZONE_DIFFERS: 1,
    Outcome.OUTPUTS_DIFFER: 3,
    Outcome.OUTPUTS_DIFFER_CODE_CHANGED: 4,
}

_VERDICT = {
    Outcome.VERIFIED: "[bold green]VERIFIED[/]: the raw zone holds exactly what the build "
    "read, and the re-run reproduced every output byte for byte",
    Outcome.RAW_ZONE_DIFFERS: "[bold red]RAW ZONE DIFFERS[/] from what the build read",
    Outcome.OUTPUTS_DIFFER: "[bold red]OUTPUTS DIFFER[/]: the raw zone matches, the build's "
    "files do not",
    Outcome.OUTPUTS_DIFFER_CODE_CHANGED: "[bold red]OUTPUTS DIFFER[/] and the code version "
    "differs from the build's: re-run verify with the build's code version",
}


def _shown(name: str, value: object) -> str:
    """Instants in milliseconds are shown as ISO-8601 UTC too: auditors read dates, not epochs."""
    if name.endswith("_ms") and isinstance(value, int):
        stamp = dt.datetime.fromtimestamp(value / 1000, tz=dt.UTC)
        return f"{value} ({stamp.isoformat(timespec='milliseconds').replace('+00:00', 'Z')})"
    return str(value)


def render(report: VerificationReport, lake: str, build: str, console: Console) -> None:
    """Print the report: what was checked, every finding by key, and the verdict."""
    m = report.manifest
    console.print(f"[bold]build[/]    {escape(build)}", soft_wrap=True)
    console.print(f"[bold]raw zone[/] {escape(lake)}", soft_wrap=True)
    params = ", ".join(f"{k}={_shown(k, v)}" for k, v in m.parameters.items() if v is not None)
    console.print(f"[bold]parameters[/] {escape(params)}", soft_wrap=True)
    same = "same as this code" if not report.code_changed else "[yellow]differs from this code[/]"
    console.print(f"[bold]code version[/] {m.code_version[:16]}… ({same})", soft_wrap=True)
    bad = {f.key for f in report.of(Area.RAW_ZONE) if f.problem is not Problem.UNEXPECTED}
    console.print(
        f"inputs:  {report.inputs_checked - len(bad)} of {report.inputs_checked} raw objects "
        "match size and SHA-256",
        soft_wrap=True,
    )
    build_bad = len(report.of(Area.BUILD))
    console.print(
        f"build:   {report.outputs_checked} files in the manifest, {build_bad} differences",
        soft_wrap=True,
    )
    if report.rerun:
        rerun_bad = len(report.of(Area.RERUN))
        same_manifest = {True: "byte-identical", False: "differs", None: "not produced"}[
            report.manifest_identical
        ]
        console.print(
            f"re-run:  {rerun_bad} output differences; manifest.json {same_manifest}",
            soft_wrap=True,
        )
    else:
        console.print("re-run:  skipped (--skip-rerun): outputs and unexpected objects unchecked")
    for f in report.findings:
        console.print(
            f"[red]{f.problem.value.upper():<10}[/] {f.area.value:<8} {escape(f.key)}  "
            f"[dim]{escape(f.detail)}[/]",
            soft_wrap=True,
        )
    if report.outcome is Outcome.VERIFIED and not report.rerun:
        console.print(
            "[bold green]VERIFIED[/] (hashes only, --skip-rerun): the raw zone holds exactly "
            "what the build read and agrees with its sidecars and keys; the outputs were not "
            "re-run",
            soft_wrap=True,
        )
        return
    console.print(_VERDICT[report.outcome], soft_wrap=True)


_HELP = (
    "Verify a build against the raw zone. Re-reads every raw object the build's manifest.json "
    "names and checks its size and SHA-256 (altered, missing objects); checks the build "
    "folder's files against the manifest; re-runs the normalization with the manifest's "
    "recorded parameters into a temporary folder and compares every output file's SHA-256 "
    "with the manifest. Objects the re-run reads that the manifest does not name are "
    "reported as unexpected. Every difference is named by its key.\n\n"
    "Exit codes:\n"
    "0 verified;\n"
    "1 the raw zone differs (altered, missing or unexpected objects);\n"
    "2 cannot verify (bad arguments, unreadable manifest, raw zone or layer rules);\n"
    "3 the raw zone matches but the build's files or the re-run's outputs differ;\n"
    "4 as 3, and this code is not the code version that made the build;\n"
    "5 (--graph) the loaded graph differs from the build.\n\n"
    "A chain (--build FULL --build DELTA1 --build DELTA2 ...) is verified link by link: each "
    "delta must name the manifest of the build before it and is re-run from it.\n\n"
    "With --graph URL (the Gremlin endpoint of the local graph) the loaded graph is compared "
    "with what the build's CSVs say: counts per label and a SHA-256 digest over every vertex "
    "and edge with its properties; each difference is named. Without --lake only the graph "
    "is checked."
)


def _verify_graph(graph: str, builds: list[str]) -> int:
    """Compare the graph with the build (or chain), print the verdict, return the exit code."""
    from loader.errors import LoaderError
    from loader.graph_check import check_graph

    try:
        result = check_graph(graph, *(Path(b) for b in builds))
    except LoaderError as exc:
        typer.echo(f"lineage verify: {one_line(exc)}", err=True)
        return EXIT_CANNOT_VERIFY
    labels = sorted(result.expected_counts.keys() | result.actual_counts.keys())
    for label in labels:
        want, have = result.expected_counts.get(label, 0), result.actual_counts.get(label, 0)
        mark = "" if want == have else "  <- differs"
        kind, _, name = label.partition(":")
        typer.echo(
            f"{'vertices' if kind == 'v' else 'edges'} {name}: {have} in the graph, "
            f"{want} in the build{mark}"
        )
    typer.echo(f"build digest {result.expected_digest}")
    typer.echo(f"graph digest {result.actual_digest}")
    if result.matches:
        typer.echo("GRAPH VERIFIED: the graph holds exactly what the build says")
        return 0
    for text in result.differences:
        typer.echo(f"  {text}")
    if result.difference_count > len(result.differences):
        typer.echo(f"  ... {result.difference_count - len(result.differences)} more differences")
    typer.echo(f"GRAPH DIFFERS: {result.difference_count} differences from the build")
    return EXIT_GRAPH_DIFFERS


def register(app: typer.Typer) -> None:
    """Add `lineage verify` to the CLI."""

    @app.command("verify", help=_HELP)
    def _command(
        lake: str | None = typer.Option(
            None, "--lake", help="Raw zone: a directory or s3://bucket/prefix."
        ),
        builds: list[str] = typer.Option(  # noqa: B008
            ...,
            "--build",
            help="Build folder holding manifest.json: a directory or s3://…. Repeat it for a "
            "chain: the full build first, then each delta build on the one before it.",
        ),
        layer_rules: str | None = typer.Option(
            None,
            "--layer-rules",
            help="The layer-rules file the build used, when not the packaged default "
            "(its content must match the manifest's hash).",
        ),
        skip_rerun: bool = typer.Option(
            False, "--skip-rerun", help="Only check hashes: no Spark, no output comparison."
        ),
        master: str = typer.Option("local[*]", "--master", help="Spark master for the re-run."),
        quiet: bool = typer.Option(False, "--quiet", help="No progress output."),
        graph: str | None = typer.Option(
            None,
            "--graph",
            help="Also compare this loaded graph (ws://HOST:PORT/gremlin) with the build.",
        ),
    ) -> None:
        from glue_jobs.local_spark import local_spark

        if lake is None and graph is None:
            typer.echo(
                "lineage verify: give --lake (raw zone), --graph (loaded graph) or both", err=True
            )
            raise typer.Exit(code=EXIT_CANNOT_VERIFY)
        if lake is None:
            assert graph is not None
            raise typer.Exit(code=_verify_graph(graph, builds))

        errors = Console(stderr=True, log_path=False)

        def progress(message: str) -> None:
            if not quiet:
                errors.log(escape(message))

        started: list[Any] = []

        def session() -> Any:
            started.append(local_spark(master))
            return started[-1]

        code = 0
        try:
            for index, build in enumerate(builds):
                report = run_verify(
                    session,
                    lake,
                    build,
                    layer_rules=Path(layer_rules) if layer_rules else None,
                    rerun=not skip_rerun,
                    parent=builds[index - 1] if index else None,
                    progress=progress,
                )
                render(report, lake, build, Console(soft_wrap=True))
                code = code or EXIT_CODES[report.outcome]
        except LineageError as exc:
            typer.echo(f"lineage verify: {one_line(exc)}", err=True)
            raise typer.Exit(code=EXIT_CANNOT_VERIFY) from None
        finally:
            for spark in started:
                spark.stop()
        if graph is not None:
            graph_code = _verify_graph(graph, builds)
            code = code or graph_code
        raise typer.Exit(code=code)
