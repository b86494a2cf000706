"""Raw -> curated, incremental: append one day's order drop to the order history.

Reads `DIR/raw/orders_incoming/day=N/` (CSV), casts it like the full ingest and appends it to
`DIR/curated/orders_history/` (Parquet, mode append), tagging each row with its load day. Run it
once per day: `--day 21`, then `--day 22`.

Usage: python examples/append_daily_orders.py --lake DIR --day N
"""

import argparse
from pathlib import Path

from pyspark.sql import SparkSession
from pyspark.sql import functions as F


def main() -> None:
    parser = argparse.ArgumentParser(description="append one day of orders to the history")
    parser.add_argument("--lake", required=True, type=Path)
    parser.add_argument("--day", required=True, type=int)
    args = parser.parse_args()
    lake = args.lake.resolve()
    spark = SparkSession.builder.appName("append_daily_orders").getOrCreate()
    daily = spark.read.option("header", "true").csv(f"{lake}/raw/orders_incoming/day={args.day}")
    history = daily.select(
        F.col("order_id").cast("bigint").alias("order_id"),
        F.trim(F.col("customer_id")).alias("customer_id"),
        F.trim(F.col("product")).alias("product"),
        F.col("quantity").cast("int").alias("quantity"),
        F.col("amount").cast("decimal(10,2)").alias("unit_price"),
        F.to_date(F.col("order_date")).alias("order_date"),
        F.lit(args.day).alias("load_day"),
    )
    history.write.mode("append").parquet(f"{lake}/curated/orders_history")
    spark.stop()


if __name__ == "__main__":
    main()
