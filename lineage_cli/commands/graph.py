"""`lineage graph`: Manage the local Gremlin Server that stands in for Neptune."""

import typer

from lineage_cli.commands._pending import not_yet


def register(app: typer.Typer) -> None:
    """Add `lineage graph` to the CLI."""

    @app.command("graph", help="Manage the local Gremlin Server that stands in for Neptune.")
    def _command() -> None:
        not_yet("graph", 2)
