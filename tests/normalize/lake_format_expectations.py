"""Hand-written lineage of every Iceberg and Delta Lake write recorded in tests/events/lake_formats.

Written by reading the job scripts (`tests/spline_jobs/iceberg_tables.py`, `delta_tables.py`),
never by running our own code; `test_recorded_lake_formats.py` compares them with the graph the
producer and the normalize job build from the real agent's payloads. Conventions as in
`tests/recorded_expectations.py` (kinds `direct`, `cast`, `expression`, `aggregate`; condition
columns are `uses`), plus the DML rules of docs/graph-model.md: a MERGE or UPDATE target column
derives from the columns of its assignments, and from itself (`kept`) where rows keep its value;
ON / WHERE / clause conditions are `uses` with role `condition`.

Paths are relative to the lake the jobs ran in (`/tmp/lineage-lake-formats`).
"""

from __future__ import annotations

from dataclasses import dataclass

from recorded_expectations import Expected, Source

__all__ = ["EXPECTED", "KNOWN_WRONG", "PARTIAL", "LakeWrite", "Source"]


@dataclass(frozen=True)
class LakeWrite(Expected):
    """A recorded write and the write mode the graph must give it."""

    mode: str = ""


def _cols(**columns: list[tuple[str, str, str]]) -> dict[str, frozenset[Source]]:
    return {name: frozenset(Source(*s) for s in sources) for name, sources in columns.items()}


RAW_CUSTOMERS = "raw/customers"
RAW_ORDERS = "raw/orders"
ICE_CUSTOMERS = "iceberg/db/customers"
ICE_ORDERS = "iceberg/db/orders"
ICE_COUNTS = "iceberg/db/country_counts"

_ICEBERG_CTAS = dict(
    job="iceberg_tables",
    inputs=frozenset({ICE_CUSTOMERS}),
    output=ICE_COUNTS,
    append=False,
    # The agent names the CTAS table `db.country_counts`, without its catalog; it is the
    # `lake` catalog's table (its location is in that catalog's warehouse).
    table="lake.db.country_counts",
    fmt="iceberg",
    mode="overwrite",  # a CTAS creates the table: one logical write, whichever half
    columns=_cols(country_code=[(ICE_CUSTOMERS, "country_code", "direct")]),  # count(*): none
)

EXPECTED: dict[str, LakeWrite] = {
    "iceberg_append": LakeWrite(
        job="iceberg_tables",
        inputs=frozenset({RAW_CUSTOMERS}),
        output=ICE_CUSTOMERS,
        append=True,
        table="lake.db.customers",
        fmt="iceberg",
        mode="append",
        columns=_cols(
            **{c: [(RAW_CUSTOMERS, c, "direct")] for c in ("customer_id", "name", "country_code")}
        ),
    ),
    "iceberg_insert_overwrite": LakeWrite(
        job="iceberg_tables",
        inputs=frozenset({RAW_CUSTOMERS}),  # through the temp view crm_customers
        output=ICE_CUSTOMERS,
        append=False,
        table="lake.db.customers",
        fmt="iceberg",
        mode="overwrite",
        columns=_cols(
            customer_id=[(RAW_CUSTOMERS, "customer_id", "direct")],
            name=[(RAW_CUSTOMERS, "name", "expression")],  # initcap
            country_code=[(RAW_CUSTOMERS, "country_code", "expression")],  # upper
        ),
    ),
    "iceberg_overwrite_partitions": LakeWrite(
        job="iceberg_tables",
        inputs=frozenset({RAW_ORDERS}),
        output=ICE_ORDERS,
        append=False,
        table="lake.db.orders",
        fmt="iceberg",
        mode="overwrite",
        columns=_cols(
            order_id=[(RAW_ORDERS, "order_id", "cast")],
            customer_id=[(RAW_ORDERS, "customer_id", "direct")],
            amount=[(RAW_ORDERS, "amount", "cast")],
            order_date=[(RAW_ORDERS, "order_date", "direct")],
        ),
    ),
    # The agent's own flag on the AppendData half is append; the statement is one CTAS.
    "iceberg_ctas_append": LakeWrite(**{**_ICEBERG_CTAS, "append": True}),  # type: ignore[arg-type]
    "iceberg_ctas": LakeWrite(**_ICEBERG_CTAS),  # type: ignore[arg-type]
    "iceberg_read_by_path": LakeWrite(
        job="iceberg_tables",
        inputs=frozenset({ICE_ORDERS}),  # spark.read.format("iceberg").load(location)
        output="exports/big_iceberg_orders",
        append=False,
        fmt="parquet",
        mode="overwrite",
        columns=_cols(
            order_id=[(ICE_ORDERS, "order_id", "direct")],
            amount=[(ICE_ORDERS, "amount", "direct")],
        ),
        uses=frozenset({("filter", ICE_ORDERS, "amount")}),
    ),
}

DAY21 = "raw/orders_incoming/day=21"
DAY22 = "raw/orders_incoming/day=22"
DELTA_ORDERS = "delta/orders"
DELTA_CUSTOMERS = "warehouse/sales.db/customers"
_ORDER_COLUMNS = ("order_id", "customer_id", "amount", "order_date")
# orders typed from CSV: the ids and amounts cast, the text passed through.
_TYPED = {"order_id": "cast", "customer_id": "direct", "amount": "cast", "order_date": "direct"}


def _typed_from(raw: str) -> dict[str, frozenset[Source]]:
    return _cols(**{c: [(raw, c, kind)] for c, kind in _TYPED.items()})


def _merged(**assigned: str) -> dict[str, frozenset[Source]]:
    """A MERGE of incoming day-21 orders into delta/orders: each column from its assignment's
    source column (kind given, else as typed) and kept from the target for unmatched rows."""
    return _cols(
        **{
            c: [(DAY21, c, assigned.get(c, _TYPED[c])), (DELTA_ORDERS, c, "kept")]
            for c in _ORDER_COLUMNS
        }
    )


_ON_ORDER_ID = frozenset(
    {("condition", DAY21, "order_id"), ("condition", DELTA_ORDERS, "order_id")}
)
_DELTA_MERGE = dict(
    job="delta_tables",
    inputs=frozenset({DAY21, DELTA_ORDERS}),  # the target is read too
    output=DELTA_ORDERS,
    append=False,
    fmt="delta",  # the write's format beats the path read's `parquet`
    mode="merge",
    uses=_ON_ORDER_ID,
)
_COUNTRY_WHERE = frozenset({("condition", DELTA_CUSTOMERS, "country_code")})

EXPECTED.update(
    {
        "delta_append": LakeWrite(
            job="delta_tables",
            inputs=frozenset({RAW_ORDERS}),
            output=DELTA_ORDERS,
            append=True,
            fmt="delta",
            mode="append",
            columns=_typed_from(RAW_ORDERS),
        ),
        "delta_ctas": LakeWrite(
            job="delta_tables",
            inputs=frozenset({RAW_CUSTOMERS}),
            output=DELTA_CUSTOMERS,
            append=False,
            table="spark_catalog.sales.customers",
            fmt="delta",
            mode="overwrite",
            columns=_cols(
                **{
                    c: [(RAW_CUSTOMERS, c, "direct")]
                    for c in ("customer_id", "name", "country_code")
                }
            ),
        ),
        "delta_insert_overwrite": LakeWrite(
            job="delta_tables",
            inputs=frozenset({RAW_CUSTOMERS}),
            output=DELTA_CUSTOMERS,
            append=False,
            table="spark_catalog.sales.customers",
            fmt="delta",
            mode="overwrite",
            columns=_cols(
                customer_id=[(RAW_CUSTOMERS, "customer_id", "direct")],
                name=[(RAW_CUSTOMERS, "name", "expression")],  # initcap
                country_code=[(RAW_CUSTOMERS, "country_code", "expression")],  # upper
            ),
        ),
        "delta_overwrite_partitions": LakeWrite(
            job="delta_tables",
            inputs=frozenset({DAY22}),
            output=DELTA_ORDERS,
            append=False,
            fmt="delta",
            mode="overwrite",
            columns=_typed_from(DAY22),
        ),
        "delta_merge": LakeWrite(**_DELTA_MERGE, columns=_merged()),  # type: ignore[arg-type]
        # SET customer_id = upper(s.customer_id), amount = s.amount * 3; INSERT lower(...), * 3.
        "delta_merge_computed": LakeWrite(
            **_DELTA_MERGE,  # type: ignore[arg-type]
            columns=_merged(customer_id="expression", amount="expression"),
        ),
        # DeltaTable API: SET amount = s.amount * 2, INSERT * (amount as typed: a cast).
        "delta_merge_python": LakeWrite(
            **_DELTA_MERGE,  # type: ignore[arg-type]
            columns=_merged(amount="expression"),
        ),
        # UPDATE ... SET name = upper(name) WHERE country_code = 'DE'.
        "delta_update": LakeWrite(
            job="delta_tables",
            inputs=frozenset({DELTA_CUSTOMERS}),
            output=DELTA_CUSTOMERS,
            append=False,
            table="spark_catalog.sales.customers",
            fmt="delta",
            mode="update",
            columns=_cols(
                customer_id=[(DELTA_CUSTOMERS, "customer_id", "kept")],
                # upper(name) where it matches; the other rows keep it: the expression ranks first.
                name=[(DELTA_CUSTOMERS, "name", "expression")],
                country_code=[(DELTA_CUSTOMERS, "country_code", "kept")],
            ),
            uses=_COUNTRY_WHERE,
        ),
        "delta_delete": LakeWrite(
            job="delta_tables",
            inputs=frozenset({DELTA_CUSTOMERS}),
            output=DELTA_CUSTOMERS,
            append=False,
            table="spark_catalog.sales.customers",
            fmt="delta",
            mode="delete",
            columns=_cols(
                **{
                    c: [(DELTA_CUSTOMERS, c, "kept")]
                    for c in ("customer_id", "name", "country_code")
                }
            ),
            uses=_COUNTRY_WHERE,
        ),
        "delta_read_by_name": LakeWrite(
            job="delta_tables",
            inputs=frozenset({DELTA_CUSTOMERS}),  # spark.table("sales.customers")
            output="exports/delta_customer_counts",
            append=False,
            fmt="parquet",
            mode="overwrite",
            columns=_cols(country_code=[(DELTA_CUSTOMERS, "country_code", "direct")]),
        ),
        "delta_read_by_path": LakeWrite(
            job="delta_tables",
            inputs=frozenset({DELTA_ORDERS}),  # spark.read.format("delta").load(path)
            output="exports/big_delta_orders",
            append=False,
            fmt="parquet",
            mode="overwrite",
            columns=_cols(**{c: [(DELTA_ORDERS, c, "direct")] for c in _ORDER_COLUMNS}),
            uses=frozenset({("filter", DELTA_ORDERS, "amount")}),
        ),
    }
)

# Iceberg row-level writes, sent through the project's agent plugin (agent_plugin/). The job's
# day-21 orders (`incoming_orders`, typed from CSV) are merged into lake.db.orders (copy-on-write:
# Spark's ReplaceData) and lake.db.orders_mor (merge-on-read: WriteDelta), then the same UPDATE
# and DELETE run on both.
ICE_MOR = "iceberg/db/orders_mor"


def _iceberg_merge(target: str) -> dict[str, frozenset[Source]]:
    """MERGE ... ON t.order_id = s.order_id: matched rows SET amount = s.amount * 3, the others
    are inserted as typed (INSERT *); target rows no clause changes keep every column."""
    kinds = {**_TYPED, "amount": "expression"}  # s.amount * 3 ranks above the insert's cast
    return _cols(**{c: [(DAY21, c, kinds[c]), (target, c, "kept")] for c in _ORDER_COLUMNS})


def _iceberg_update(target: str) -> dict[str, frozenset[Source]]:
    """UPDATE ... SET amount = amount * 1.1 WHERE customer_id = 'C001'."""
    return _cols(
        **{c: [(target, c, "expression" if c == "amount" else "kept")] for c in _ORDER_COLUMNS}
    )


def _iceberg_dml(target: str, mode: str, inputs: frozenset[str], **rest: object) -> LakeWrite:
    table = "lake.db.orders" if target == ICE_ORDERS else "lake.db.orders_mor"
    return LakeWrite(
        job="iceberg_tables",
        inputs=inputs,
        output=target,
        append=False,
        table=table,
        fmt="iceberg",
        mode=mode,
        **rest,  # type: ignore[arg-type]
    )


for _target, _prefix in ((ICE_ORDERS, "iceberg"), (ICE_MOR, "iceberg_mor")):
    EXPECTED[f"{_prefix}_merge"] = _iceberg_dml(
        _target,
        "merge",
        frozenset({DAY21, _target}),
        columns=_iceberg_merge(_target),
        uses=frozenset({("condition", DAY21, "order_id"), ("condition", _target, "order_id")}),
    )
    EXPECTED[f"{_prefix}_update"] = _iceberg_dml(
        _target,
        "update",
        frozenset({_target}),
        columns=_iceberg_update(_target),
        uses=frozenset({("condition", _target, "customer_id")}),
    )
    # DELETE ... WHERE amount < 10: the rows left keep every column.
    EXPECTED[f"{_prefix}_delete"] = _iceberg_dml(
        _target,
        "delete",
        frozenset({_target}),
        columns=_cols(**{c: [(_target, c, "kept")] for c in _ORDER_COLUMNS}),
        uses=frozenset({("condition", _target, "amount")}),
    )
EXPECTED.update(
    {
        # DELETE FROM lake.db.country_counts: a metadata-only delete (Spark's DeleteFromTable);
        # every row goes, nothing is read and no column derives from anything.
        "iceberg_delete_all": LakeWrite(
            job="iceberg_tables",
            inputs=frozenset(),
            output=ICE_COUNTS,
            append=False,
            table="lake.db.country_counts",
            fmt="iceberg",
            mode="delete",
            columns={},
        ),
        # INSERT INTO lake.db.orders_mor SELECT * FROM lake.db.orders.
        "iceberg_mor_insert": LakeWrite(
            job="iceberg_tables",
            inputs=frozenset({ICE_ORDERS}),
            output=ICE_MOR,
            append=True,
            table="lake.db.orders_mor",
            fmt="iceberg",
            mode="append",
            columns=_cols(**{c: [(ICE_ORDERS, c, "direct")] for c in _ORDER_COLUMNS}),
        ),
    }
)

# Plans the quarantine report lists as partial: the agent sends references to expressions it
# does not define (their lineage is recovered from the clause strings, the payload stays partial).
PARTIAL = frozenset({"delta_merge_computed", "delta_merge_python"})

# (write, aspect) -> why our normalize gets it wrong today; tests mark these xfail(strict=True).
KNOWN_WRONG: dict[tuple[str, str], str] = {}
