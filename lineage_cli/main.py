"""Entry point of the `lineage` console script; each subcommand lives in `lineage_cli.commands`."""

import typer

from lineage_cli.commands import (
    bench,
    demo,
    doctor,
    graph,
    load,
    rebuild,
    serve,
    spark_submit,
    verify,
)

app = typer.Typer(
    name="lineage",
    help="Automated Spark lineage for AWS data lakes, on one machine or on AWS.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

for module in (serve, graph, rebuild, load, spark_submit, doctor, bench, verify, demo):
    module.register(app)

if __name__ == "__main__":
    app()
