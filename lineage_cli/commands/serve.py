"""`lineage serve`: Serve the Spline producer API, the read API and the UI on localhost."""

import typer

from lineage_cli.commands._pending import not_yet


def register(app: typer.Typer) -> None:
    """Add `lineage serve` to the CLI."""

    @app.command("serve", help="Serve the Spline producer API, the read API and the UI on localhost.")
    def _command() -> None:
        not_yet("serve", 3)
