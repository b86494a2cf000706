"""Curated -> aggregated: monthly sales per region and country.

Reads `DIR/curated/orders_enriched/` and overwrites `DIR/aggregated/sales_by_country/` with order
count, units, revenue and average order value per month, region and country.

Usage: python examples/aggregate_sales.py --lake DIR
"""

import argparse
from pathlib import Path

from pyspark.sql import SparkSession
from pyspark.sql import functions as F


def main() -> None:
    parser = argparse.ArgumentParser(description="enriched orders -> sales by country")
    parser.add_argument("--lake", required=True, type=Path)
    lake = parser.parse_args().lake.resolve()
    spark = SparkSession.builder.appName("aggregate_sales").getOrCreate()
    enriched = spark.read.parquet(f"{lake}/curated/orders_enriched")
    sales = (
        enriched.withColumn("month", F.date_format("order_date", "yyyy-MM"))
        .groupBy("month", "region", "country")
        .agg(
            F.countDistinct("order_id").alias("orders"),
            F.sum("quantity").alias("units"),
            F.sum("line_total").alias("revenue"),
            F.round(F.avg("line_total"), 2).alias("avg_order_value"),
        )
        .orderBy("month", "region", "country")
    )
    sales.coalesce(1).write.mode("overwrite").parquet(f"{lake}/aggregated/sales_by_country")
    spark.stop()


if __name__ == "__main__":
    main()
