"""What Glue jobs write, one small step per pattern, run in one Spark session (one app).

Every step reads what `examples/` wrote under the lake and writes one dataset of its own:
inner and broadcast joins, window functions, a union, a Python UDF, Spark SQL with a CTE, CSV
and JSON exports, a date-partitioned append, and last a write that Spark refuses (mode
`errorifexists` onto an existing dataset). One session keeps the recording affordable: a Spark
start-up costs minutes on a busy machine. Exits 3 after the refused write, as a job that reports
its failure would (a crash exits 1).

Usage: python tests/spline_jobs/lake_patterns.py --lake DIR
"""

import argparse
import sys
from decimal import Decimal

from pyspark.sql import SparkSession, Window
from pyspark.sql import functions as F
from pyspark.sql.types import StringType

# Exit code after the refused write (a crash exits 1, so the recorder can tell them apart).
REFUSED = 3


def orders_with_country(spark: SparkSession, lake: str) -> None:
    """Inner join, then a broadcast join with a CSV reference table."""
    orders = spark.read.parquet(f"{lake}/curated/orders")
    customers = spark.read.parquet(f"{lake}/curated/customers")
    countries = spark.read.option("header", "true").csv(f"{lake}/reference/countries")
    joined = (
        orders.join(customers, on="customer_id", how="inner")
        .join(F.broadcast(countries), on="country_code", how="inner")
        .select(
            "order_id",
            "customer_name",
            F.col("country_name").alias("country"),
            "region",
            "line_total",
        )
    )
    joined.write.mode("overwrite").parquet(f"{lake}/curated/orders_with_country")


def customer_order_history(spark: SparkSession, lake: str) -> None:
    """Window functions: numbering, a running total and the previous order date per customer."""
    orders = spark.read.parquet(f"{lake}/curated/orders")
    by_customer = Window.partitionBy("customer_id").orderBy("order_date", "order_id")
    history = orders.select(
        "customer_id",
        "order_id",
        "order_date",
        F.row_number().over(by_customer).alias("order_seq"),
        F.sum("line_total").over(by_customer).alias("running_total"),
        F.lag("order_date").over(by_customer).alias("previous_order_date"),
    )
    history.write.mode("overwrite").parquet(f"{lake}/aggregated/customer_order_history")


def incoming_orders_union(spark: SparkSession, lake: str) -> None:
    """Two daily CSV drops combined by name, typed, written as JSON lines."""
    day21 = spark.read.option("header", "true").csv(f"{lake}/raw/orders_incoming/day=21")
    day22 = spark.read.option("header", "true").csv(f"{lake}/raw/orders_incoming/day=22")
    both = day21.unionByName(day22).select(
        F.col("order_id").cast("bigint").alias("order_id"),
        "customer_id",
        F.col("amount").cast("decimal(10,2)").alias("amount"),
    )
    both.write.mode("overwrite").json(f"{lake}/curated/orders_incoming_all")


# A DataType, not the string "string": parsing a type string needs a running session.
@F.udf(StringType())
def size_band(line_total: Decimal | None) -> str | None:
    """`small` under 100, `medium` under 500, else `large`."""
    if line_total is None:
        return None
    return "small" if line_total < 100 else "medium" if line_total < 500 else "large"


def order_size_bands(spark: SparkSession, lake: str) -> None:
    """A Python UDF over a column."""
    orders = spark.read.parquet(f"{lake}/curated/orders")
    bands = orders.select("order_id", size_band("line_total").alias("size_band"), "quantity")
    bands.write.mode("overwrite").parquet(f"{lake}/curated/order_size_bands")


def big_orders_report(spark: SparkSession, lake: str) -> None:
    """Spark SQL with a CTE over temp views: filter, join, count/sum/max."""
    spark.read.parquet(f"{lake}/curated/orders").createOrReplaceTempView("orders")
    spark.read.parquet(f"{lake}/curated/customers").createOrReplaceTempView("customers")
    report = spark.sql(
        """
        WITH big_orders AS (
            SELECT customer_id, line_total FROM orders WHERE line_total >= 100
        )
        SELECT c.country_code,
               count(*) AS big_orders,
               sum(b.line_total) AS big_revenue,
               max(b.line_total) AS largest_order
        FROM big_orders b JOIN customers c ON b.customer_id = c.customer_id
        GROUP BY c.country_code
        """
    )
    report.write.mode("overwrite").parquet(f"{lake}/aggregated/big_orders_by_country")


def export_orders(spark: SparkSession, lake: str) -> None:
    """Three writes from one read: CSV and JSON exports, a date-partitioned append."""
    orders = spark.read.parquet(f"{lake}/curated/orders")
    orders.select("order_id", "customer_id", "line_total").write.mode("overwrite").option(
        "header", "true"
    ).csv(f"{lake}/export/orders_csv")
    orders.select("order_id", F.upper("product").alias("product")).write.mode("overwrite").json(
        f"{lake}/export/orders_json"
    )
    orders.select("order_id", "quantity", "order_date").write.mode("append").partitionBy(
        "order_date"
    ).parquet(f"{lake}/curated/orders_by_date")


def overwrite_refused(spark: SparkSession, lake: str) -> None:
    """Mode `errorifexists` onto a dataset that exists: Spark refuses the write."""
    customers = spark.read.parquet(f"{lake}/curated/customers")
    customers.write.mode("errorifexists").parquet(f"{lake}/curated/orders")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lake", required=True)
    lake = parser.parse_args().lake
    spark = SparkSession.builder.appName("lake_patterns").getOrCreate()
    try:
        for step in (
            orders_with_country,
            customer_order_history,
            incoming_orders_union,
            order_size_bands,
            big_orders_report,
            export_orders,
        ):
            step(spark, lake)
        try:
            overwrite_refused(spark, lake)
        except Exception as exc:
            print(f"lake_patterns: write refused: {type(exc).__name__}", file=sys.stderr)
            return REFUSED
        return 0
    finally:
        spark.stop()


if __name__ == "__main__":
    sys.exit(main())
