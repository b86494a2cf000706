"""Catalog tables in a local warehouse: saveAsTable, DDL, insertInto and INSERT INTO ... SELECT.

The warehouse is `DIR/warehouse` (spark.sql.warehouse.dir, Spark's in-memory catalog).
Usage: python tests/spline_jobs/warehouse_tables.py --lake DIR
"""

import argparse

from pyspark.sql import SparkSession

parser = argparse.ArgumentParser()
parser.add_argument("--lake", required=True)
lake = parser.parse_args().lake

spark = (
    SparkSession.builder.appName("warehouse_tables")
    .config("spark.sql.warehouse.dir", f"{lake}/warehouse")
    .getOrCreate()
)
spark.sql("CREATE DATABASE IF NOT EXISTS sales")
customers = spark.read.parquet(f"{lake}/curated/customers")
customers.write.mode("overwrite").saveAsTable("sales.customers")
spark.sql(
    "CREATE TABLE sales.order_facts (order_id BIGINT, customer_id STRING, line_total DECIMAL(21,2))"
    " USING parquet"
)
orders = spark.read.parquet(f"{lake}/curated/orders")
orders.select("order_id", "customer_id", "line_total").write.insertInto("sales.order_facts")
spark.sql(
    "CREATE TABLE sales.customer_countries (customer_id STRING, country STRING) USING parquet"
)
spark.sql(
    "INSERT INTO sales.customer_countries"
    " SELECT customer_id, lower(country_code) FROM sales.customers WHERE country_code IS NOT NULL"
)
spark.stop()
