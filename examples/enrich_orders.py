"""Curated -> curated: join orders with customers and the country reference table.

Reads `DIR/curated/orders/`, `DIR/curated/customers/` (Parquet) and `DIR/reference/countries/`
(CSV) and overwrites `DIR/curated/orders_enriched/` with each order's customer name, country
and region.

Usage: python examples/enrich_orders.py --lake DIR
"""

import argparse
from pathlib import Path

from pyspark.sql import SparkSession
from pyspark.sql import functions as F


def main() -> None:
    parser = argparse.ArgumentParser(description="orders + customers + countries -> enriched")
    parser.add_argument("--lake", required=True, type=Path)
    lake = parser.parse_args().lake.resolve()
    spark = SparkSession.builder.appName("enrich_orders").getOrCreate()
    orders = spark.read.parquet(f"{lake}/curated/orders")
    customers = spark.read.parquet(f"{lake}/curated/customers")
    countries = spark.read.option("header", "true").csv(f"{lake}/reference/countries")
    enriched = (
        orders.join(customers, on="customer_id", how="left")
        .join(countries, on="country_code", how="left")
        .select(
            "order_id",
            "order_date",
            "customer_id",
            "customer_name",
            F.coalesce(F.col("country_name"), F.lit("Unknown")).alias("country"),
            F.coalesce(F.col("region"), F.lit("Unknown")).alias("region"),
            "product",
            "quantity",
            "line_total",
        )
    )
    enriched.write.mode("overwrite").parquet(f"{lake}/curated/orders_enriched")
    spark.stop()


if __name__ == "__main__":
    main()
