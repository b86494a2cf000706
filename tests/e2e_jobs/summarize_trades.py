"""E2E job 2: curated trades joined with raw accounts -> totals per region (aggregated layer)."""

import argparse

from pyspark.sql import SparkSession
from pyspark.sql import functions as F

parser = argparse.ArgumentParser()
parser.add_argument("--lake", required=True)
lake = parser.parse_args().lake

spark = SparkSession.builder.appName("e2e_summarize_trades").getOrCreate()
trades = spark.read.parquet(f"file://{lake}/curated/trades")
accounts = spark.read.option("header", True).csv(f"file://{lake}/raw/accounts")
totals = (
    trades.join(accounts, on="account", how="inner")
    .groupBy("region")
    .agg(F.sum("amount").alias("total_amount"), F.count("trade_id").alias("trades"))
)
totals.write.mode("overwrite").parquet(f"file://{lake}/aggregated/totals")
spark.stop()
