"""Catalog names, write modes and DML row counts of plans in the real agent's v1.2 shape.

The plans are a recorded plan (`warehouse_insert_select`, a real agent's) with its write and
read changed the way the agent reports V2 and Delta writes: `params.table.identifier` as a
dotted string, the Spark or Delta command as the write's name, Delta command metrics in the
event's `writeMetrics`.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lineage import spline as sm
from lineage.dataset_identity import LayerRules, parse_table_identifier
from lineage.graph_schema import DatasetVertex, PlanVertex, RunVertex, WriteMode, WritesEdge
from lineage.job_identity import identify_job
from lineage.plan_graph import RawSource, plan_graph, run_rows, write_mode

pytestmark = pytest.mark.unit

RECORDED = Path(__file__).resolve().parents[1] / "events" / "spline"
(BASE_EVENT,) = sm.load_execution_events(
    (RECORDED / "warehouse_insert_select.events.json").read_bytes(), sm.ApiVersion.V1_2
)
SOURCE = RawSource("plans/2026-12-01/x.json", "0" * 64)
TARGET = "file:/tmp/lineage-example-lake/warehouse/sales.db/customer_countries"
SOURCE_TABLE = "file:/tmp/lineage-example-lake/warehouse/sales.db/customers"


BASE_PLAN = sm.load_execution_plan(
    (RECORDED / "warehouse_insert_select.plan.json").read_bytes(), sm.ApiVersion.V1_2
)


def _plan(
    name: str = "InsertIntoHadoopFsRelationCommand",
    append: bool = True,
    write_params: dict[str, Any] | None = None,
    read_params: dict[str, Any] | None = None,
    read_source: str = SOURCE_TABLE,
    destination: str = "parquet",
    source_type: str = "parquet",
    other_names: tuple[str, ...] = (),
) -> sm.ExecutionPlan:
    ops = BASE_PLAN.operations
    write = replace(
        ops.write,
        name=name,
        append=append,
        extra={"destinationType": destination},
        params=ops.write.params if write_params is None else write_params,
    )
    (read,) = ops.reads
    read = replace(
        read,
        input_sources=(read_source,),
        extra={"sourceType": source_type},
        params=read.params if read_params is None else read_params,
    )
    renamed = dict(enumerate(other_names))
    other = tuple(replace(op, name=renamed.get(i, op.name)) for i, op in enumerate(ops.other))
    return replace(BASE_PLAN, operations=sm.Operations(write, (read,), other))


def _v2(identifier: str) -> dict[str, Any]:
    return {"table": {"identifier": identifier}}


def _datasets(plan: sm.ExecutionPlan) -> dict[str, DatasetVertex]:
    rows = plan_graph(plan, SOURCE, LayerRules.default()).rows
    return {r.uri: r for r in rows if isinstance(r, DatasetVertex)}


@pytest.mark.parametrize(
    ("params", "expected", "display"),
    [
        # V1 commands: {table, database}, always in the session catalog.
        (
            {"table": {"identifier": {"table": "Customer_Countries", "database": "Sales"}}},
            "spark_catalog.sales.customer_countries",
            "sales.customer_countries",
        ),
        (
            _v2("spark_catalog.sales.customer_countries"),
            "spark_catalog.sales.customer_countries",
            "sales.customer_countries",
        ),
        (
            _v2("sales.customer_countries"),
            "spark_catalog.sales.customer_countries",
            "sales.customer_countries",
        ),
        (_v2("lake.db.customers"), "lake.db.customers", "lake.db.customers"),
        (_v2("`Lake`.`DB`.`Customers`"), "lake.db.customers", "lake.db.customers"),
        (_v2("customers"), "spark_catalog.default.customers", "default.customers"),
        # A path identifier or an object's toString names no table: the path segment is shown.
        (_v2("delta.`/tmp/lake/customer_countries`"), None, "customer_countries"),
        (_v2("PathIdentifier@7c2a1e"), None, "customer_countries"),
        (_v2("a..b"), None, "customer_countries"),
        ({"path": TARGET}, None, "customer_countries"),
    ],
)
def test_every_identifier_spelling_gives_one_catalog_name(
    params: dict[str, Any], expected: str | None, display: str
) -> None:
    target = _datasets(_plan(write_params=params))[
        "file:///tmp/lineage-example-lake/warehouse/sales.db/customer_countries"
    ]
    assert (target.catalog_table, target.name) == (expected, display)


def test_two_customers_tables_in_different_databases_are_distinct() -> None:
    crm = _datasets(_plan(write_params=_v2("lake.crm.customers")))
    sales = _datasets(_plan(write_params=_v2("lake.sales.customers")))
    uri = "file:///tmp/lineage-example-lake/warehouse/sales.db/customer_countries"
    assert crm[uri].name == "lake.crm.customers"
    assert sales[uri].name == "lake.sales.customers"


def test_a_plan_reading_and_writing_one_table_keeps_the_read_side_name() -> None:
    # MERGE/UPDATE/DELETE: the write names the target by path only, the read by name.
    plan = _plan(
        name="MergeIntoCommand",
        append=False,
        write_params={"path": TARGET},
        read_source=TARGET,
        read_params=_v2("lake.sales.customer_countries"),
        destination="delta",
        source_type="parquet",
    )
    (target,) = _datasets(plan).values()
    assert target.catalog_table == "lake.sales.customer_countries"
    assert target.format == "delta"  # the write's format beats the read's


@pytest.mark.parametrize(
    ("name", "append", "others", "params", "mode"),
    [
        ("MergeIntoCommand", False, (), None, WriteMode.MERGE),
        ("UpdateCommand", False, (), None, WriteMode.UPDATE),
        ("DeleteCommand", False, (), None, WriteMode.DELETE),
        ("AppendData", False, (), None, WriteMode.APPEND),
        ("OverwriteByExpression", True, (), None, WriteMode.OVERWRITE),
        ("OverwritePartitionsDynamic", True, (), None, WriteMode.OVERWRITE),
        ("InsertIntoHadoopFsRelationCommand", True, (), None, WriteMode.APPEND),
        ("InsertIntoHadoopFsRelationCommand", False, (), None, WriteMode.OVERWRITE),
        ("CreateDataSourceTableAsSelectCommand", False, (), None, WriteMode.OVERWRITE),
        ("SaveIntoDataSourceCommand", True, (), None, WriteMode.APPEND),
        # Row-level V2 writes: the merge is in the plan, other commands in the parameters.
        ("ReplaceData", False, ("MergeRows",), None, WriteMode.MERGE),
        (
            "WriteDelta",
            False,
            (),
            {"operation": "SparkPositionDeltaOperation(UPDATE)"},
            WriteMode.UPDATE,
        ),
        ("ReplaceData", False, (), {"operation": "command=DELETE"}, WriteMode.DELETE),
        # A column called last_update names no command; the append flag decides.
        ("ReplaceData", False, (), {"columns": "last_update"}, WriteMode.OVERWRITE),
    ],
)
def test_write_mode_from_the_command(
    name: str,
    append: bool,
    others: tuple[str, ...],
    params: dict[str, Any] | None,
    mode: WriteMode,
) -> None:
    plan = _plan(name=name, append=append, write_params=params, other_names=others)
    assert write_mode(plan) is mode
    rows = plan_graph(plan, SOURCE, LayerRules.default()).rows
    (plan_row,) = [r for r in rows if isinstance(r, PlanVertex)]
    (writes,) = [r for r in rows if isinstance(r, WritesEdge)]
    assert plan_row.write_mode == mode.value
    assert writes.values() == (append, mode.value)


def _run(write_metrics: dict[str, Any]) -> RunVertex:
    event = replace(BASE_EVENT, extra={**BASE_EVENT.extra, "writeMetrics": write_metrics})
    job = identify_job("warehouse_tables", None)
    run = run_rows(BASE_PLAN.id, job, event, SOURCE, "warehouse_tables")[0]
    assert isinstance(run, RunVertex)
    return run


def _counts(run: RunVertex) -> tuple[int | None, ...]:
    return (
        run.rows_written,
        run.rows_inserted,
        run.rows_updated,
        run.rows_deleted,
        run.rows_copied,
    )


def test_delta_merge_metrics_give_row_counts() -> None:
    run = _run(
        {
            "numSourceRows": 9,
            "numTargetRowsInserted": 3,
            "numTargetRowsUpdated": 4,
            "numTargetRowsDeleted": 1,
            "numTargetRowsCopied": 10,
            "numOutputRows": 17,
        }
    )
    assert _counts(run) == (17, 3, 4, 1, 10)


def test_delta_update_and_delete_metrics_give_row_counts() -> None:
    # No numOutputRows: the rows written are the updated and the copied ones.
    assert _counts(_run({"numUpdatedRows": 2, "numCopiedRows": 5})) == (7, None, 2, None, 5)
    assert _counts(_run({"numDeletedRows": 6, "numCopiedRows": 5})) == (5, None, None, 6, 5)


def test_plain_writes_have_no_dml_counts_and_bad_metric_values_are_ignored() -> None:
    assert _counts(_run({"numOutputRows": 12})) == (12, None, None, None, None)
    assert _counts(_run({"numTargetRowsInserted": "3", "numUpdatedRows": True})) == (
        None,
        None,
        None,
        None,
        None,
    )


_json = st.recursive(
    # 64-bit integers: what JSON the producer accepts can hold (lineage.limits).
    st.none() | st.booleans() | st.integers(-(2**63), 2**64 - 1) | st.text(max_size=12),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)
_keys = st.sampled_from(["table", "catalogTable", "tableIdentifier", "tableName", "identifier"])


@given(
    st.dictionaries(
        _keys,
        _json
        | st.dictionaries(st.sampled_from(["identifier", "table", "database", "catalog"]), _json),
        max_size=3,
    ),
    st.sampled_from(["MergeIntoCommand", "ReplaceData", "WriteDelta", "AppendData", "X"]),
)
def test_identifiers_and_params_in_any_form_give_a_name_or_none_never_an_error(
    params: dict[str, Any], name: str
) -> None:
    plan = _plan(name=name, write_params=params, read_params=params)
    datasets = _datasets(plan)
    for dataset in datasets.values():
        assert dataset.catalog_table is None or dataset.catalog_table.count(".") >= 2
        assert dataset.name
    assert write_mode(plan) in set(WriteMode)


def test_iceberg_ctas_without_its_catalog_takes_the_append_lineage_name() -> None:
    # Iceberg CTAS arrives as two lineages to one table: AppendData names `lake.db.region_totals`,
    # CreateTableAsSelect only `db.region_totals`. Either order of the plans gives the full name.
    append = _plan(
        name="AppendData", write_params=_v2("lake.db.region_totals"), destination="iceberg"
    )
    ctas = _plan(name="CreateTableAsSelect", append=False, write_params=_v2("db.region_totals"))
    claims = [plan_graph(p, SOURCE, LayerRules.default()).datasets for p in (append, ctas)]
    ((target_id, _),) = [
        (k, c) for k, c in claims[0].items() if c.uri.endswith("customer_countries")
    ]
    for first, second in ((0, 1), (1, 0)):
        merged = claims[first][target_id].merge(claims[second][target_id]).vertex()
        assert (merged.catalog_table, merged.name) == (
            "lake.db.region_totals",
            "lake.db.region_totals",
        )
        assert merged.format == "iceberg"


# ---- bad input: a deterministic answer and a note, never an error ----

TARGET_URI = "file:///tmp/lineage-example-lake/warehouse/sales.db/customer_countries"


def _notes(plan: sm.ExecutionPlan) -> tuple[str, ...]:
    return plan_graph(plan, SOURCE, LayerRules.default()).notes


def test_a_catalog_no_plan_has_named_is_taken_as_named_without_a_note() -> None:
    # The lake has never seen `galaxy`: the explicit name is still the best answer there is.
    plan = _plan(write_params=_v2("Galaxy.Far.Away"))
    assert _datasets(plan)[TARGET_URI].catalog_table == "galaxy.far.away"
    assert _notes(plan) == ()


def test_an_implied_catalog_of_an_iceberg_table_is_noted() -> None:
    (note,) = _notes(_plan(write_params=_v2("db.t"), destination="iceberg"))
    assert "'db.t' names no catalog" in note and "spark_catalog.db.t" in note
    # A Delta (session catalog) table is rightly `spark_catalog`'s: nothing to note.
    assert _notes(_plan(write_params=_v2("db.t"), destination="delta")) == ()


@pytest.mark.parametrize("identifier", ["a..b", "`unclosed.t", "db.``", " . "])
def test_an_identifier_naming_no_table_is_noted(identifier: str) -> None:
    plan = _plan(write_params=_v2(identifier))
    assert _datasets(plan)[TARGET_URI].catalog_table is None
    assert any(repr(identifier) in n and "named by its location" in n for n in _notes(plan))


@pytest.mark.parametrize("identifier", ["delta.`/tmp/lake/t`", "PathIdentifier@7c2a1e"])
def test_the_agents_spellings_of_a_location_are_not_noted(identifier: str) -> None:
    assert _notes(_plan(write_params=_v2(identifier))) == ()


def test_conflicting_formats_give_the_precedence_answer_and_a_note() -> None:
    plan = _plan(read_source=TARGET, destination="iceberg", source_type="delta")
    assert _datasets(plan)[TARGET_URI].format == "iceberg"  # the write's claim wins
    (note,) = _notes(plan)
    assert "read delta, write iceberg" in note and "iceberg by precedence" in note


def test_a_delta_path_read_reported_as_parquet_is_not_a_conflict() -> None:
    plan = _plan(read_source=TARGET, destination="delta", source_type="parquet")
    assert _datasets(plan)[TARGET_URI].format == "delta"
    assert _notes(plan) == ()


_part = st.text(alphabet="aZ_9`. /@$-é", max_size=6)
_identifier = st.lists(_part, min_size=1, max_size=5).map(".".join) | st.text(max_size=30)


@given(_identifier, st.sampled_from(["parquet", "delta", "iceberg", "csv", "DELTA", ""]))
def test_any_identifier_form_gives_one_answer_and_notes_never_an_error(
    identifier: str, fmt: str
) -> None:
    plan = _plan(write_params=_v2(identifier), read_source=TARGET, source_type=fmt or "parquet")
    first, again = (plan_graph(plan, SOURCE, LayerRules.default()) for _ in range(2))
    assert (first.rows, first.notes) == (again.rows, again.notes)  # deterministic
    target = _datasets(plan)[TARGET_URI]
    if target.catalog_table is not None:
        # A name is normalized: lower case, catalog.namespace.table, and reads back as itself.
        assert target.catalog_table == target.catalog_table.lower()
        assert target.catalog_table.count(".") >= 2
        reparsed = parse_table_identifier(target.catalog_table)
        assert reparsed is not None and reparsed.name == target.catalog_table
    assert all(len(note) < 1000 for note in first.notes)  # bounded, whatever the input


@given(st.lists(st.sampled_from(["Lake", "`lake`", "LAKE", "`LaKe`"]), min_size=1, max_size=1))
def test_spellings_of_one_name_give_one_catalog_table(catalog: list[str]) -> None:
    name = f"{catalog[0]}.`DB`.Customers"
    assert _datasets(_plan(write_params=_v2(name)))[TARGET_URI].catalog_table == "lake.db.customers"
