"""`lineage demo`: Run the whole pipeline on the embedded default and serve the UI."""

import typer

from lineage_cli.commands._pending import not_yet


def register(app: typer.Typer) -> None:
    """Add `lineage demo` to the CLI."""

    @app.command("demo", help="Run the whole pipeline on the embedded default and serve the UI.")
    def _command() -> None:
        not_yet("demo", 8)
