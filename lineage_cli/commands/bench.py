"""`lineage bench`: measure every stage of the pipeline; `lineage bench generate`: a workload."""

from __future__ import annotations

import signal
import sys
from pathlib import Path
from typing import Annotated

import typer

from lineage_bench.report_view import generated_line, print_report
from lineage_bench.results import BenchReport

__all__ = ["register"]

EXIT_FAILED = 2


def _fail(message: str) -> None:
    typer.echo(f"lineage bench: {message}", err=True)
    raise typer.Exit(code=EXIT_FAILED)


def register(app: typer.Typer) -> None:
    """Add `lineage bench` (and `lineage bench generate`) to the CLI."""
    bench = typer.Typer(
        help=(
            "Measure every stage (producer ingest, normalize at 1k/10k/100k plans, load into "
            "the local Gremlin Server, read API latency, end to end, delta builds against full "
            "rebuilds, landed -> visible with serve --follow) on a generated workload; "
            "print a table and write the figures as JSON. `lineage bench generate` writes the "
            "workload alone."
        ),
        no_args_is_help=False,
    )

    @bench.callback(invoke_without_command=True)
    def _run(
        ctx: typer.Context,
        quick: bool = typer.Option(
            False, "--quick", help="Small sizes (a smoke test, under 2 minutes); no timing claims."
        ),
        out: str = typer.Option(
            "bench-results.json", "--out", help="Write the results here as JSON."
        ),
        work: str = typer.Option(
            ".cache/bench",
            "--work",
            help="Workloads and builds; generated workloads are reused across runs.",
        ),
        seed: int = typer.Option(1, "--seed", help="Workload seed."),
        sizes: str | None = typer.Option(
            None,
            "--sizes",
            help=(
                "Normalize sizes in plans, e.g. 10k,1m (default 1k,2k,10k,20k,100k); the graph "
                "sizes are normalized too, since their builds are loaded."
            ),
        ),
        graph_sizes: str | None = typer.Option(
            None,
            "--graph-sizes",
            help="Sizes loaded into the graph for load/read API/end to end (default 10k,100k).",
        ),
        delta_sizes: str | None = typer.Option(
            None,
            "--delta-sizes",
            help=(
                "History sizes of the delta stage, each with 1 % and 10 % new payloads "
                "(default 10k,100k; it makes its own builds)."
            ),
        ),
        follow_sizes: str | None = typer.Option(
            None,
            "--follow-sizes",
            help=(
                "History sizes of the follow stage: lineage serve --follow builds each in full, "
                "then one new run at a time lands and the lag to the read API is timed "
                "(default 10k,100k)."
            ),
        ),
        skip: Annotated[
            list[str] | None,
            typer.Option(
                "--skip",
                help=(
                    "Leave out a stage: producer, normalize, load, read_api, read_concurrency, "
                    "end_to_end, delta, follow (repeat it, or list them: producer,load). "
                    "Skipping normalize leaves out the four graph stages too: they load its "
                    "builds."
                ),
            ),
        ] = None,
        heap: str = typer.Option(
            "auto", "--heap", help="Gremlin Server heap (auto: by graph size and free memory)."
        ),
        master: str = typer.Option("local[*]", "--master", help="Spark master for normalize."),
    ) -> None:
        if ctx.invoked_subcommand is not None:
            return
        from rich.console import Console

        from lineage.errors import LineageError
        from lineage_bench.runner import STAGES, BenchOptions, run_bench

        # Repeated, or comma-separated as the size flags are.
        skipped: set[str] = set()
        for value in skip or []:
            names = {name.strip() for name in value.split(",") if name.strip()}
            if not names:
                # Else an empty value skips nothing, and the run is the full one: hours.
                _fail(f"--skip {value!r} names no stage (choose from {', '.join(STAGES)})")
            skipped |= names
        unknown = sorted(skipped - set(STAGES))
        if unknown:
            _fail(f"--skip {unknown[0]!r} is not a stage (choose from {', '.join(STAGES)})")

        def parse(text: str | None, flag: str) -> tuple[int, ...] | None:
            if text is None:
                return None
            try:
                values = tuple(
                    int(v.replace("k", "000").replace("m", "000000")) for v in text.split(",") if v
                )
            except ValueError:
                _fail(f"{flag} {text!r}: use plan counts such as 1000,10k")
                raise
            if not values or min(values) < 1:
                _fail(f"{flag} {text!r}: sizes must be positive")
            return values

        options = BenchOptions.preset(
            quick,
            Path(work),
            seed=seed,
            normalize_sizes=parse(sizes, "--sizes"),
            graph_sizes=parse(graph_sizes, "--graph-sizes"),
            delta_sizes=parse(delta_sizes, "--delta-sizes"),
            follow_sizes=parse(follow_sizes, "--follow-sizes"),
            heap=heap,
            master=master,
            skip=frozenset(skipped),
        )
        console = Console(stderr=True)
        out_path = Path(out)
        out_path.parent.mkdir(parents=True, exist_ok=True)

        def checkpoint(partial: BenchReport) -> None:
            out_path.write_bytes(partial.to_json())

        # A terminated run still stops the Gremlin Server and Spark it started (finally blocks).
        signal.signal(signal.SIGTERM, lambda _signum, _frame: sys.exit(143))
        try:
            report = run_bench(options, lambda message: console.log(message), checkpoint)
        except (LineageError, OSError) as exc:
            _fail(str(exc))
            return
        out_path.write_bytes(report.to_json())
        print_report(report)
        typer.echo(f"results written to {out}", err=True)

    @bench.command(
        "generate",
        help=(
            "Write a raw zone of realistic Spline v1.2 payloads (plans, event batches, sidecars, "
            "index entries) in the producer's layout; byte-identical for the same --plans and "
            "--seed."
        ),
    )
    def _generate(
        plans: int = typer.Option(..., "--plans", min=1, help="How many execution plans."),
        seed: int = typer.Option(1, "--seed", help="Seed: the same seed gives the same bytes."),
        out: str = typer.Option(..., "--out", help="Raw-zone directory (empty or a workload)."),
    ) -> None:
        from rich.progress import Progress

        from lineage_bench.workload import WorkloadError, check_folder, generate_workload

        try:
            check_folder(Path(out))  # before the progress bar, so a refusal is one clean line
            with Progress(transient=True) as progress:
                task = progress.add_task("generating plans", total=plans)
                summary = generate_workload(
                    Path(out),
                    plans,
                    seed,
                    lambda done, _total: progress.update(task, completed=done),
                )
        except (WorkloadError, OSError) as exc:
            _fail(str(exc))
            return
        typer.echo(generated_line(summary, out), err=True)

    app.add_typer(bench, name="bench")
