"""`lineage verify`: Verify a build against the raw zone: hashes and a re-run of the normalization."""

import typer

from lineage_cli.commands._pending import not_yet


def register(app: typer.Typer) -> None:
    """Add `lineage verify` to the CLI."""

    @app.command("verify", help="Verify a build against the raw zone: hashes and a re-run of the normalization.")
    def _command() -> None:
        not_yet("verify", 9)
