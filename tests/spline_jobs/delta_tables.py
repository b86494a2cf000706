"""Delta Lake 3.2.1 tables, by name (session catalog, warehouse `DIR/warehouse`) and by path.

The writes Glue 5.0 users make to Delta tables, one statement each: an append by path, a CTAS by
name, an `INSERT OVERWRITE`, a dynamic partition overwrite, `MERGE INTO` with plain and with
computed `SET`/`INSERT` values, the same computed MERGE through the `DeltaTable` Python API,
`UPDATE`, `DELETE`, and reads by name and by path. Needs delta-spark and delta-storage in
`spark.jars`; the `delta.tables` Python module is read from the delta-spark jar itself.

Usage: python tests/spline_jobs/delta_tables.py --lake DIR
"""

import argparse
import sys
from urllib.parse import urlparse

from pyspark.sql import SparkSession
from pyspark.sql import functions as F

parser = argparse.ArgumentParser()
parser.add_argument("--lake", required=True)
lake = parser.parse_args().lake

spark = (
    SparkSession.builder.appName("delta_tables")
    .config("spark.sql.extensions", "io.delta.sql.DeltaSparkSessionExtension")
    .config("spark.sql.catalog.spark_catalog", "org.apache.spark.sql.delta.catalog.DeltaCatalog")
    .config("spark.sql.warehouse.dir", f"{lake}/warehouse")
    .getOrCreate()
)
# The Python API ships inside the jar (a zip): import it from there.
jars = spark.sparkContext.getConf().get("spark.jars", "")
sys.path[:0] = [urlparse(jar).path for jar in jars.split(",") if "delta-spark" in jar]
from delta.tables import DeltaTable  # noqa: E402

orders_path = f"{lake}/delta/orders"
raw = spark.read.option("header", "true").csv(f"{lake}/raw/orders")
orders = raw.select(
    F.col("order_id").cast("bigint").alias("order_id"),
    "customer_id",
    F.col("amount").cast("double").alias("amount"),
    "order_date",
)
# Append by path.
orders.write.format("delta").mode("append").partitionBy("order_date").save(orders_path)
# CTAS by name.
spark.sql("CREATE DATABASE IF NOT EXISTS sales")
spark.read.json(f"{lake}/raw/customers").createOrReplaceTempView("crm_customers")
spark.sql(
    "CREATE TABLE sales.customers USING delta AS"
    " SELECT customer_id, name, country_code FROM crm_customers"
)
# Static INSERT OVERWRITE by name.
spark.sql(
    "INSERT OVERWRITE sales.customers"
    " SELECT customer_id, initcap(name), upper(country_code) FROM crm_customers"
)
# Dynamic partition overwrite by path: only the days the new rows hold are replaced.
incoming = spark.read.option("header", "true").csv(f"{lake}/raw/orders_incoming/day=22")
incoming.select(
    F.col("order_id").cast("bigint").alias("order_id"),
    "customer_id",
    F.col("amount").cast("double").alias("amount"),
    "order_date",
).write.format("delta").mode("overwrite").option("partitionOverwriteMode", "dynamic").save(
    orders_path
)
day21 = spark.read.option("header", "true").csv(f"{lake}/raw/orders_incoming/day=21")
day21.select(
    F.col("order_id").cast("bigint").alias("order_id"),
    "customer_id",
    F.col("amount").cast("double").alias("amount"),
    "order_date",
).createOrReplaceTempView("incoming_orders")
# MERGE with plain values.
spark.sql(
    f"MERGE INTO delta.`{orders_path}` t USING incoming_orders s ON t.order_id = s.order_id"
    " WHEN MATCHED THEN UPDATE SET *"
    " WHEN NOT MATCHED THEN INSERT *"
)
# MERGE with computed values.
spark.sql(
    f"MERGE INTO delta.`{orders_path}` t USING incoming_orders s ON t.order_id = s.order_id"
    " WHEN MATCHED THEN UPDATE SET t.amount = s.amount * 3, t.customer_id = upper(s.customer_id)"
    " WHEN NOT MATCHED THEN INSERT (order_id, customer_id, amount, order_date)"
    " VALUES (s.order_id, lower(s.customer_id), s.amount * 3, s.order_date)"
)
# The same computed MERGE through the Python API.
(
    DeltaTable.forPath(spark, orders_path)
    .alias("t")
    .merge(spark.table("incoming_orders").alias("s"), "t.order_id = s.order_id")
    .whenMatchedUpdate(set={"amount": "s.amount * 2"})
    .whenNotMatchedInsertAll()
    .execute()
)
# UPDATE and DELETE by name.
spark.sql("UPDATE sales.customers SET name = upper(name) WHERE country_code = 'DE'")
spark.sql("DELETE FROM sales.customers WHERE country_code = 'JP'")
# Reads by name and by path.
spark.table("sales.customers").groupBy("country_code").count().write.mode("overwrite").parquet(
    f"{lake}/exports/delta_customer_counts"
)
spark.read.format("delta").load(orders_path).where(F.col("amount") > 100).write.mode(
    "overwrite"
).parquet(f"{lake}/exports/big_delta_orders")
spark.stop()
