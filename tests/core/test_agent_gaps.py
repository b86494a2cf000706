"""Which table formats a job's Spark settings load, and the writes the agent sends nothing for."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lineage.agent_gaps import AGENT_GAPS, TableFormat, formats_in_conf, gaps_for

pytestmark = pytest.mark.unit

ICEBERG_EXTENSIONS = "org.apache.iceberg.spark.extensions.IcebergSparkSessionExtensions"
DELTA_EXTENSIONS = "io.delta.sql.DeltaSparkSessionExtension"


@pytest.mark.parametrize(
    ("conf", "expected"),
    [
        ({"spark.sql.extensions": ICEBERG_EXTENSIONS}, {TableFormat.ICEBERG}),
        (
            {"spark.sql.catalog.lake": "org.apache.iceberg.spark.SparkCatalog"},
            {TableFormat.ICEBERG},
        ),
        ({"spark.jars": "/x/iceberg-spark-runtime-3.5_2.12-1.6.1.jar"}, {TableFormat.ICEBERG}),
        ({"spark.jars.packages": "io.delta:delta-spark_2.12:3.2.1"}, {TableFormat.DELTA}),
        (
            {
                "spark.sql.extensions": f"{DELTA_EXTENSIONS},{ICEBERG_EXTENSIONS}",
            },
            {TableFormat.ICEBERG, TableFormat.DELTA},
        ),
        # An unrelated setting that mentions a format names none: only loading settings count.
        ({"spark.app.name": "iceberg nightly"}, set()),
        ({}, set()),
    ],
)
def test_formats_come_from_extensions_catalogs_and_jars(
    conf: dict[str, str], expected: set[TableFormat]
) -> None:
    assert formats_in_conf(conf) == expected


def test_iceberg_row_level_writes_are_gaps_and_delta_has_none() -> None:
    iceberg = gaps_for(frozenset({TableFormat.ICEBERG}))
    assert {g.spark_node.split(",")[0] for g in iceberg} == {
        "ReplaceData",
        "WriteDelta",
        "DeleteFromTable",
    }
    assert gaps_for(frozenset({TableFormat.DELTA})) == ()
    assert gaps_for() == AGENT_GAPS
    assert all("MERGE" in g.line() or "DELETE" in g.line() for g in iceberg)


def test_the_agent_plugin_closes_the_iceberg_gaps() -> None:
    """With the project's plugin attached the recorded Iceberg row-level writes are sent
    (tests/events/lake_formats): no Iceberg gap is left."""
    assert all(g.closed_by_plugin for g in gaps_for(frozenset({TableFormat.ICEBERG})))
    assert gaps_for(frozenset({TableFormat.ICEBERG}), plugin_attached=True) == ()


@given(st.dictionaries(st.text(max_size=40), st.text(max_size=80), max_size=8))
def test_any_settings_give_a_set_of_formats_never_an_error(conf: dict[str, str]) -> None:
    assert formats_in_conf(conf) <= set(TableFormat)
