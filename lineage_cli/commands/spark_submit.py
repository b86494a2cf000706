"""`lineage spark-submit`: Run a PySpark script with the Spline agent pointed at the local producer."""

import typer

from lineage_cli.commands._pending import not_yet


def register(app: typer.Typer) -> None:
    """Add `lineage spark-submit` to the CLI."""

    @app.command("spark-submit", help="Run a PySpark script with the Spline agent pointed at the local producer.")
    def _command() -> None:
        not_yet("spark-submit", 3)
