"""`lineage load`: Bulk-load a Neptune Gremlin CSV folder into Neptune or the local Gremlin Server."""

import typer

from lineage_cli.commands._pending import not_yet


def register(app: typer.Typer) -> None:
    """Add `lineage load` to the CLI."""

    @app.command("load", help="Bulk-load a Neptune Gremlin CSV folder into Neptune or the local Gremlin Server.")
    def _command() -> None:
        not_yet("load", 5)
