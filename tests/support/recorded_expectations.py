"""Hand-written lineage of every write recorded in tests/events/spline, from what each job does.

Written by reading the job scripts (`examples/`, `tests/spline_jobs/`), never by running our own
code: `tests/normalize/test_recorded_lineage.py` compares these with the graph the producer and the
normalize job build from the real agent's payloads.

Paths are relative to the lake the jobs ran in. Kinds follow docs/graph-model.md: `direct`
(pass-through, rename), `cast`, `expression` (any other function; strongest wins along a
path), `aggregate`. Columns used only in a filter or join condition are `uses`, not
derivations; window partition and order keys are neither (like group-by keys, they choose rows,
they give no value). A written column with no entry takes no value from any read column
(`row_number()`, `count(*)`, a literal).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["EXPECTED", "KNOWN_WRONG", "NO_LINEAGE_JOBS", "Expected", "Source"]


@dataclass(frozen=True)
class Source:
    """A read column a written column comes from."""

    dataset: str
    column: str
    kind: str


@dataclass(frozen=True)
class Expected:
    """One write: its job, inputs, output, mode, column lineage and condition uses."""

    job: str
    inputs: frozenset[str]
    output: str
    append: bool
    columns: dict[str, frozenset[Source]]
    # (role, dataset, column) of every read column a filter or join condition uses.
    uses: frozenset[tuple[str, str, str]] = frozenset()
    # The catalog table the output is, when written as one (V1 tables live in spark_catalog).
    table: str | None = None
    fmt: str | None = None  # the output's storage format as the agent reports it
    failed: bool = False


def _cols(**columns: list[tuple[str, str, str]]) -> dict[str, frozenset[Source]]:
    return {name: frozenset(Source(*s) for s in sources) for name, sources in columns.items()}


RAW_ORDERS = "raw/orders"
CURATED_ORDERS = "curated/orders"
CUSTOMERS = "curated/customers"
COUNTRIES = "reference/countries"
ENRICHED = "curated/orders_enriched"
DAY21 = "raw/orders_incoming/day=21"
DAY22 = "raw/orders_incoming/day=22"
WAREHOUSE = "warehouse/sales.db"

_INGEST_ORDERS = Expected(
    job="ingest_orders",
    inputs=frozenset({RAW_ORDERS}),
    output=CURATED_ORDERS,
    append=False,
    fmt="parquet",
    columns=_cols(
        order_id=[(RAW_ORDERS, "order_id", "cast")],
        customer_id=[(RAW_ORDERS, "customer_id", "expression")],  # upper(trim(...))
        product=[(RAW_ORDERS, "product", "expression")],  # trim
        quantity=[(RAW_ORDERS, "quantity", "cast")],
        unit_price=[(RAW_ORDERS, "amount", "cast")],
        order_date=[(RAW_ORDERS, "order_date", "expression")],  # to_date
        # unit_price * quantity, both casts first: the multiplication dominates.
        line_total=[(RAW_ORDERS, "amount", "expression"), (RAW_ORDERS, "quantity", "expression")],
    ),
    uses=frozenset({("filter", RAW_ORDERS, "amount"), ("filter", RAW_ORDERS, "quantity")}),
)

_APPEND = _cols(
    order_id=[(DAY21, "order_id", "cast")],
    customer_id=[(DAY21, "customer_id", "expression")],
    product=[(DAY21, "product", "expression")],
    quantity=[(DAY21, "quantity", "cast")],
    unit_price=[(DAY21, "amount", "cast")],
    order_date=[(DAY21, "order_date", "expression")],
    load_day=[],  # a literal: the --day argument
)


def _for_day(day: str) -> dict[str, frozenset[Source]]:
    return {
        name: frozenset(Source(day, s.column, s.kind) for s in sources)
        for name, sources in _APPEND.items()
    }


EXPECTED: dict[str, Expected] = {
    "ingest_orders": _INGEST_ORDERS,
    "ingest_orders_rerun": _INGEST_ORDERS,
    "ingest_customers": Expected(
        job="ingest_customers",
        inputs=frozenset({"raw/customers"}),
        output=CUSTOMERS,
        append=False,
        fmt="parquet",
        columns=_cols(
            customer_id=[("raw/customers", "customer_id", "direct")],
            customer_name=[("raw/customers", "name", "expression")],  # initcap
            country_code=[("raw/customers", "country_code", "expression")],  # upper
            signup_date=[("raw/customers", "signup_date", "expression")],  # to_date
        ),
    ),
    "enrich_orders": Expected(
        job="enrich_orders",
        inputs=frozenset({CURATED_ORDERS, CUSTOMERS, COUNTRIES}),
        output=ENRICHED,
        append=False,
        fmt="parquet",
        columns=_cols(
            order_id=[(CURATED_ORDERS, "order_id", "direct")],
            order_date=[(CURATED_ORDERS, "order_date", "direct")],
            # A left join USING customer_id keeps the left side's key.
            customer_id=[(CURATED_ORDERS, "customer_id", "direct")],
            customer_name=[(CUSTOMERS, "customer_name", "direct")],
            country=[(COUNTRIES, "country_name", "expression")],  # coalesce(..., 'Unknown')
            region=[(COUNTRIES, "region", "expression")],
            product=[(CURATED_ORDERS, "product", "direct")],
            quantity=[(CURATED_ORDERS, "quantity", "direct")],
            line_total=[(CURATED_ORDERS, "line_total", "direct")],
        ),
        uses=frozenset(
            {
                ("join", CURATED_ORDERS, "customer_id"),
                ("join", CUSTOMERS, "customer_id"),
                ("join", CUSTOMERS, "country_code"),
                ("join", COUNTRIES, "country_code"),
            }
        ),
    ),
    "aggregate_sales": Expected(
        job="aggregate_sales",
        inputs=frozenset({ENRICHED}),
        output="aggregated/sales_by_country",
        append=False,
        fmt="parquet",
        columns=_cols(
            month=[(ENRICHED, "order_date", "expression")],  # date_format
            region=[(ENRICHED, "region", "direct")],
            country=[(ENRICHED, "country", "direct")],
            orders=[(ENRICHED, "order_id", "aggregate")],  # count(distinct)
            units=[(ENRICHED, "quantity", "aggregate")],
            revenue=[(ENRICHED, "line_total", "aggregate")],
            avg_order_value=[(ENRICHED, "line_total", "aggregate")],  # round(avg(...), 2)
        ),
    ),
    "append_daily_orders_day21": Expected(
        job="append_daily_orders",
        inputs=frozenset({DAY21}),
        output="curated/orders_history",
        append=True,
        fmt="parquet",
        columns=_for_day(DAY21),
    ),
    "append_daily_orders_day22": Expected(
        job="append_daily_orders",
        inputs=frozenset({DAY22}),
        output="curated/orders_history",
        append=True,
        fmt="parquet",
        columns=_for_day(DAY22),
    ),
    "ingest_payments_strict_failed": Expected(
        job="ingest_payments_strict",
        inputs=frozenset({"raw/payments"}),
        output="curated/payments",
        append=False,
        fmt="parquet",
        failed=True,
        columns=_cols(
            payment_id=[("raw/payments", "payment_id", "direct")],
            order_id=[("raw/payments", "order_id", "direct")],
            paid=[("raw/payments", "paid", "cast")],
        ),
    ),
    "orders_with_country": Expected(
        job="lake_patterns",
        inputs=frozenset({CURATED_ORDERS, CUSTOMERS, COUNTRIES}),
        output="curated/orders_with_country",
        append=False,
        fmt="parquet",
        columns=_cols(
            order_id=[(CURATED_ORDERS, "order_id", "direct")],
            customer_name=[(CUSTOMERS, "customer_name", "direct")],
            country=[(COUNTRIES, "country_name", "direct")],  # a rename
            region=[(COUNTRIES, "region", "direct")],
            line_total=[(CURATED_ORDERS, "line_total", "direct")],
        ),
        uses=frozenset(
            {
                ("join", CURATED_ORDERS, "customer_id"),
                ("join", CUSTOMERS, "customer_id"),
                ("join", CUSTOMERS, "country_code"),
                ("join", COUNTRIES, "country_code"),
            }
        ),
    ),
    "customer_order_history": Expected(
        job="lake_patterns",
        inputs=frozenset({CURATED_ORDERS}),
        output="aggregated/customer_order_history",
        append=False,
        fmt="parquet",
        columns=_cols(
            customer_id=[(CURATED_ORDERS, "customer_id", "direct")],
            order_id=[(CURATED_ORDERS, "order_id", "direct")],
            order_date=[(CURATED_ORDERS, "order_date", "direct")],
            order_seq=[],  # row_number(): a position, no column's value
            running_total=[(CURATED_ORDERS, "line_total", "aggregate")],  # sum over the window
            previous_order_date=[(CURATED_ORDERS, "order_date", "expression")],  # lag
        ),
    ),
    "incoming_orders_union": Expected(
        job="lake_patterns",
        inputs=frozenset({DAY21, DAY22}),
        output="curated/orders_incoming_all",
        append=False,
        fmt="json",
        columns=_cols(
            order_id=[(DAY21, "order_id", "cast"), (DAY22, "order_id", "cast")],
            customer_id=[(DAY21, "customer_id", "direct"), (DAY22, "customer_id", "direct")],
            amount=[(DAY21, "amount", "cast"), (DAY22, "amount", "cast")],
        ),
    ),
    "order_size_bands": Expected(
        job="lake_patterns",
        inputs=frozenset({CURATED_ORDERS}),
        output="curated/order_size_bands",
        append=False,
        fmt="parquet",
        columns=_cols(
            order_id=[(CURATED_ORDERS, "order_id", "direct")],
            size_band=[(CURATED_ORDERS, "line_total", "expression")],  # the Python UDF
            quantity=[(CURATED_ORDERS, "quantity", "direct")],
        ),
    ),
    "big_orders_report": Expected(
        job="lake_patterns",
        inputs=frozenset({CURATED_ORDERS, CUSTOMERS}),
        output="aggregated/big_orders_by_country",
        append=False,
        fmt="parquet",
        columns=_cols(
            country_code=[(CUSTOMERS, "country_code", "direct")],
            big_orders=[],  # count(*)
            big_revenue=[(CURATED_ORDERS, "line_total", "aggregate")],
            largest_order=[(CURATED_ORDERS, "line_total", "aggregate")],
        ),
        uses=frozenset(
            {
                ("filter", CURATED_ORDERS, "line_total"),
                ("join", CURATED_ORDERS, "customer_id"),
                ("join", CUSTOMERS, "customer_id"),
            }
        ),
    ),
    "export_orders_csv": Expected(
        job="lake_patterns",
        inputs=frozenset({CURATED_ORDERS}),
        output="export/orders_csv",
        append=False,
        fmt="csv",
        columns=_cols(
            order_id=[(CURATED_ORDERS, "order_id", "direct")],
            customer_id=[(CURATED_ORDERS, "customer_id", "direct")],
            line_total=[(CURATED_ORDERS, "line_total", "direct")],
        ),
    ),
    "export_orders_json": Expected(
        job="lake_patterns",
        inputs=frozenset({CURATED_ORDERS}),
        output="export/orders_json",
        append=False,
        fmt="json",
        columns=_cols(
            order_id=[(CURATED_ORDERS, "order_id", "direct")],
            product=[(CURATED_ORDERS, "product", "expression")],  # upper
        ),
    ),
    "export_orders_by_date": Expected(
        job="lake_patterns",
        inputs=frozenset({CURATED_ORDERS}),
        output="curated/orders_by_date",
        append=True,
        fmt="parquet",
        columns=_cols(
            order_id=[(CURATED_ORDERS, "order_id", "direct")],
            quantity=[(CURATED_ORDERS, "quantity", "direct")],
            order_date=[(CURATED_ORDERS, "order_date", "direct")],  # the partition column
        ),
    ),
    **{
        name: Expected(
            job="warehouse_tables",
            inputs=frozenset({CUSTOMERS}),
            output=f"{WAREHOUSE}/customers",
            append=False,
            table="spark_catalog.sales.customers",
            fmt="parquet",
            columns=_cols(
                **{
                    c: [(CUSTOMERS, c, "direct")]
                    for c in ("customer_id", "customer_name", "country_code", "signup_date")
                }
            ),
        )
        for name in ("warehouse_save_as_table_insert", "warehouse_save_as_table_ctas")
    },
    "warehouse_insert_into": Expected(
        job="warehouse_tables",
        inputs=frozenset({CURATED_ORDERS}),
        output=f"{WAREHOUSE}/order_facts",
        append=True,
        table="spark_catalog.sales.order_facts",
        fmt="parquet",
        columns=_cols(
            order_id=[(CURATED_ORDERS, "order_id", "direct")],
            customer_id=[(CURATED_ORDERS, "customer_id", "direct")],
            line_total=[(CURATED_ORDERS, "line_total", "direct")],
        ),
    ),
    "warehouse_insert_select": Expected(
        job="warehouse_tables",
        inputs=frozenset({f"{WAREHOUSE}/customers"}),
        output=f"{WAREHOUSE}/customer_countries",
        append=True,
        table="spark_catalog.sales.customer_countries",
        fmt="parquet",
        columns=_cols(
            customer_id=[(f"{WAREHOUSE}/customers", "customer_id", "direct")],
            country=[(f"{WAREHOUSE}/customers", "country_code", "expression")],  # lower
        ),
        uses=frozenset({("filter", f"{WAREHOUSE}/customers", "country_code")}),
    ),
    "overwrite_refused_failed": Expected(
        job="lake_patterns",
        inputs=frozenset({CUSTOMERS}),
        output=CURATED_ORDERS,
        append=False,
        fmt="parquet",
        failed=True,
        columns=_cols(
            **{
                c: [(CUSTOMERS, c, "direct")]
                for c in ("customer_id", "customer_name", "country_code", "signup_date")
            }
        ),
    ),
}

# Jobs that run Spark actions and DDL but write no dataset: the agent sends no plan, no event.
NO_LINEAGE_JOBS = frozenset({"actions_without_lineage"})

# (write, aspect) -> why our normalize gets it wrong today; tests mark these xfail(strict=True).
KNOWN_WRONG: dict[tuple[str, str], str] = {}
