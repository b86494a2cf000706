"""E2E job 1: raw trades CSV -> curated Parquet (casts, a derived column, a filter)."""

import argparse

from pyspark.sql import SparkSession
from pyspark.sql import functions as F

parser = argparse.ArgumentParser()
parser.add_argument("--lake", required=True)
lake = parser.parse_args().lake

spark = SparkSession.builder.appName("e2e_ingest_trades").getOrCreate()
raw = spark.read.option("header", True).csv(f"file://{lake}/raw/trades")
curated = raw.select(
    F.col("trade_id").cast("long").alias("trade_id"),
    F.upper(F.trim(F.col("account"))).alias("account"),
    F.col("amount").cast("double").alias("amount"),
).where(F.col("amount") > 0)
curated.write.mode("overwrite").parquet(f"file://{lake}/curated/trades")
spark.stop()
