"""Real-agent job: raw CSV orders left-joined with raw JSON customers -> curated order revenue."""

import argparse

from pyspark.sql import SparkSession
from pyspark.sql import functions as F

parser = argparse.ArgumentParser()
parser.add_argument("--lake", required=True)
lake = parser.parse_args().lake

spark = SparkSession.builder.appName("real_agent_order_revenue").getOrCreate()
orders = spark.read.option("header", True).csv(f"file://{lake}/raw/orders")
customers = spark.read.json(f"file://{lake}/raw/customers")
revenue = orders.join(customers, on="customer_id", how="left").select(
    F.col("order_id").cast("bigint").alias("order_id"),
    F.col("customer_id"),
    F.upper(F.col("country")).alias("country"),
    (F.col("quantity").cast("int") * F.col("price").cast("double")).alias("revenue"),
)
revenue.write.mode("overwrite").parquet(f"file://{lake}/curated/order_revenue")
spark.stop()
