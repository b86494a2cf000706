"""Raw -> curated: normalize CRM customer records.

Reads `DIR/raw/customers/` (JSON lines), upper-cases the country code, parses the signup date and
overwrites `DIR/curated/customers/` (Parquet).

Usage: python examples/ingest_customers.py --lake DIR
"""

import argparse
from pathlib import Path

from pyspark.sql import SparkSession
from pyspark.sql import functions as F


def main() -> None:
    parser = argparse.ArgumentParser(description="raw customers -> curated customers")
    parser.add_argument("--lake", required=True, type=Path)
    lake = parser.parse_args().lake.resolve()
    spark = SparkSession.builder.appName("ingest_customers").getOrCreate()
    raw = spark.read.json(f"{lake}/raw/customers")
    curated = raw.select(
        F.col("customer_id"),
        F.initcap(F.col("name")).alias("customer_name"),
        F.upper(F.col("country_code")).alias("country_code"),
        F.to_date(F.col("signup_date")).alias("signup_date"),
    )
    curated.write.mode("overwrite").parquet(f"{lake}/curated/customers")
    spark.stop()


if __name__ == "__main__":
    main()
