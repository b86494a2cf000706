"""`lineage bench`: Measure every stage of the pipeline and print a table."""

import typer

from lineage_cli.commands._pending import not_yet


def register(app: typer.Typer) -> None:
    """Add `lineage bench` to the CLI."""

    @app.command("bench", help="Measure every stage of the pipeline and print a table.")
    def _command() -> None:
        not_yet("bench", 10)
