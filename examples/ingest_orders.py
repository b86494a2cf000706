"""Raw -> curated: clean the raw order exports and store them as typed Parquet.

Reads `DIR/raw/orders/` (CSV), trims text, casts quantity and amount, parses the order date,
drops rows whose amount is not a number and exported duplicates, derives the line total, and
overwrites `DIR/curated/orders/`.

Usage: python examples/ingest_orders.py --lake DIR
"""

import argparse
from pathlib import Path

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F


def transform(raw: DataFrame) -> DataFrame:
    """Typed, de-duplicated orders with a computed line total."""
    typed = raw.select(
        F.col("order_id").cast("bigint").alias("order_id"),
        F.upper(F.trim(F.col("customer_id"))).alias("customer_id"),
        F.trim(F.col("product")).alias("product"),
        F.col("quantity").cast("int").alias("quantity"),
        F.col("amount").cast("decimal(10,2)").alias("unit_price"),
        F.to_date(F.col("order_date")).alias("order_date"),
    )
    valid = typed.where(F.col("unit_price").isNotNull() & (F.col("quantity") > 0))
    return valid.dropDuplicates(["order_id"]).withColumn(
        "line_total", F.col("unit_price") * F.col("quantity")
    )


def main() -> None:
    parser = argparse.ArgumentParser(description="raw orders -> curated orders")
    parser.add_argument("--lake", required=True, type=Path)
    lake = parser.parse_args().lake.resolve()
    spark = SparkSession.builder.appName("ingest_orders").getOrCreate()
    raw = spark.read.option("header", "true").csv(f"{lake}/raw/orders")
    transform(raw).write.mode("overwrite").parquet(f"{lake}/curated/orders")
    spark.stop()


if __name__ == "__main__":
    main()
