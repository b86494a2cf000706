"""Shared behaviour of subcommands whose issue has not landed yet."""

import typer


def not_yet(command: str, issue: int) -> None:
    """Say that a subcommand is not built yet and exit non-zero."""
    typer.echo(f"lineage {command}: not implemented yet (tracked in issue {issue})", err=True)
    raise typer.Exit(code=2)
