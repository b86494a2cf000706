"""E2E job 3: fails on purpose while writing, so the lineage must record a failed run."""

import argparse

from pyspark.sql import SparkSession
from pyspark.sql import functions as F

parser = argparse.ArgumentParser()
parser.add_argument("--lake", required=True)
lake = parser.parse_args().lake

spark = SparkSession.builder.appName("e2e_broken_trades").getOrCreate()
trades = spark.read.parquet(f"file://{lake}/curated/trades")
checked = trades.select(
    "trade_id",
    F.when(F.col("amount") > 15, F.raise_error(F.lit("amount over limit")))
    .otherwise(F.col("amount"))
    .alias("amount"),
)
checked.write.mode("overwrite").parquet(f"file://{lake}/curated/trades_checked")
