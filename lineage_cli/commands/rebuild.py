"""`lineage rebuild`: Run the nightly normalize job locally: raw zone to Neptune bulk-load CSVs."""

import typer

from lineage_cli.commands._pending import not_yet


def register(app: typer.Typer) -> None:
    """Add `lineage rebuild` to the CLI."""

    @app.command("rebuild", help="Run the nightly normalize job locally: raw zone to Neptune bulk-load CSVs.")
    def _command() -> None:
        not_yet("rebuild", 4)
