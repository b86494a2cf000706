"""How `lineage bench` shows a run on the terminal: tables of figures and targets, one-line
summaries. The JSON form is `BenchReport.to_json`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lineage_bench.results import BenchReport

if TYPE_CHECKING:
    from lineage_bench.workload import WorkloadSummary

__all__ = ["generated_line", "print_report"]


def print_report(report: BenchReport) -> None:
    """The run on stdout: machine and workload lines, every figure, the targets, the notes."""
    from rich.console import Console
    from rich.table import Table

    console = Console(width=max(Console().width, 110))
    machine = report.machine
    console.print(
        f"[bold]machine[/bold]: {machine.get('cpu_model')}, {machine.get('logical_cores')} "
        f"logical cores, {machine.get('memory_gib')} GiB; Python {machine.get('python')}, "
        f"{machine.get('java')}, Spark {machine.get('spark')}; load average "
        f"{machine.get('load_average_start')} at start, {report.load_average_end} at end"
    )
    for workload in report.workloads:
        console.print(
            f"[bold]workload[/bold] {workload['plans']:,} plans (seed {workload['seed']}): "
            f"{workload['event_batches']:,} runs ({workload['failed_runs']:,} failed), "
            f"{workload['jobs']:,} jobs, datasets {workload['datasets']}, "
            f"{workload['plan_bytes'] / 2**20:,.1f} MiB of plans (mean "
            f"{workload['mean_plan_bytes'] / 1024:.1f} KiB, widest schema "
            f"{workload['max_columns']} columns)"
        )
    table = Table(title="lineage bench" + (" --quick" if report.quick else ""))
    for column in ("stage", "figure", "at", "value", "unit"):
        table.add_column(column, justify="right" if column == "value" else "left")
    for stage in report.stages:
        for m in stage.measurements:
            table.add_row(stage.stage, m.name, m.scale, f"{m.value:,.2f}", m.unit)
    console.print(table)
    targets = Table(title="targets")
    for column in ("target", "measured", "result"):
        targets.add_column(column)
    for check in report.targets:
        measured = "-" if check.measured is None else f"{check.measured:,.2f} {check.unit}"
        colour = {True: "green", False: "red", None: "yellow"}[check.met]
        targets.add_row(check.target, measured, f"[{colour}]{check.margin}[/{colour}]")
    console.print(targets)
    for stage in report.stages:
        for note in stage.notes:
            console.print(f"[dim]{stage.stage}: {note}[/dim]")


def generated_line(summary: WorkloadSummary, out: str) -> str:
    """What `lineage bench generate` wrote, in one line."""
    return (
        f"generated {summary.plans:,} plans, {summary.event_batches:,} runs "
        f"({summary.failed_runs:,} failed), {summary.jobs:,} jobs, datasets "
        f"{summary.datasets}, {summary.files:,} files, "
        f"{(summary.plan_bytes + summary.event_bytes) / 2**20:,.1f} MiB in "
        f"{summary.seconds:.1f} s -> {out}"
    )
