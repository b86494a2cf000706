"""`lineage verify`: check a build against the raw zone (hashes, and a re-run of the normalize)."""

from __future__ import annotations

from pathlib import Path

import typer

from glue_jobs.storage import StorageError, open_store
from glue_jobs.verify import verify_build
from lineage.dataset_identity import LayerRules
from lineage.errors import LineageError
from lineage_cli.commands.rebuild import local_spark

__all__ = ["register"]

EXIT_DIFFERENT = 1
EXIT_FAILED = 2


def register(app: typer.Typer) -> None:
    """Add `lineage verify` to the CLI."""

    @app.command(
        "verify",
        help=(
            "Verify a build against the raw zone: re-read every input its manifest.json names and "
            "check size and SHA-256, re-run the normalization with the recorded parameters, and "
            "compare every output file. Prints each altered, missing or unexpected object by key; "
            "exits 1 on any difference, 2 when the build cannot be verified."
        ),
    )
    def _command(
        lake: str = typer.Option(
            ..., "--lake", help="Raw zone: a directory or s3://bucket/prefix."
        ),
        build: str = typer.Option(..., "--build", help="The build folder (holds manifest.json)."),
        layer_rules: str | None = typer.Option(
            None, "--layer-rules", help="The layer rules file the build used, if not the default."
        ),
        master: str = typer.Option("local[*]", "--master", help="Spark master."),
    ) -> None:
        try:
            rules = LayerRules.from_file(Path(layer_rules)) if layer_rules else LayerRules.default()
            spark = local_spark(master)
            try:
                result = verify_build(
                    spark, open_store(lake), open_store(build), rules, layer_rules or "default"
                )
            finally:
                spark.stop()
        except (LineageError, StorageError, ValueError) as exc:
            typer.echo(f"lineage verify: {exc}", err=True)
            raise typer.Exit(code=EXIT_FAILED) from None
        inputs = len(result.manifest.inputs)
        outputs = len(result.manifest.outputs)
        if result.ok:
            typer.echo(f"verify: OK: {inputs} inputs and {outputs} outputs match {build}")
            return
        for diff in result.differences:
            typer.echo(f"{diff.kind}\t{diff.name}\t{diff.detail}")
        typer.echo(
            f"lineage verify: {len(result.differences)} difference(s) against {build}", err=True
        )
        raise typer.Exit(code=EXIT_DIFFERENT)
