"""Apache Iceberg 1.6.1 tables in a Hadoop catalog (`lake`, warehouse `DIR/iceberg`), one session.

The writes Glue 5.0 users make to Iceberg tables, one statement each: an append, a static
`INSERT OVERWRITE`, a dynamic partition overwrite, a CTAS, a read by table name and a read by
path, then `MERGE INTO`, `UPDATE`, `DELETE` and a whole-table `DELETE` on copy-on-write tables and
`MERGE INTO`, `UPDATE`, `DELETE` on a merge-on-read table (row-level writes the Spline agent 2.2.0
reports only with the project's agent plugin, `agent_plugin/`). Needs the iceberg-spark-runtime
jar in `spark.jars`.

Usage: python tests/spline_jobs/iceberg_tables.py --lake DIR
"""

import argparse

from pyspark.sql import SparkSession
from pyspark.sql import functions as F

parser = argparse.ArgumentParser()
parser.add_argument("--lake", required=True)
lake = parser.parse_args().lake

spark = (
    SparkSession.builder.appName("iceberg_tables")
    .config(
        "spark.sql.extensions",
        "org.apache.iceberg.spark.extensions.IcebergSparkSessionExtensions",
    )
    .config("spark.sql.catalog.lake", "org.apache.iceberg.spark.SparkCatalog")
    .config("spark.sql.catalog.lake.type", "hadoop")
    .config("spark.sql.catalog.lake.warehouse", f"{lake}/iceberg")
    .getOrCreate()
)
spark.sql("CREATE NAMESPACE IF NOT EXISTS lake.db")
spark.sql(
    "CREATE TABLE lake.db.customers (customer_id STRING, name STRING, country_code STRING)"
    " USING iceberg"
)
spark.sql(
    "CREATE TABLE lake.db.orders (order_id BIGINT, customer_id STRING, amount DOUBLE,"
    " order_date STRING) USING iceberg PARTITIONED BY (order_date)"
)
customers = spark.read.json(f"{lake}/raw/customers")
# Append (AppendData).
customers.select("customer_id", "name", "country_code").writeTo("lake.db.customers").append()
# Static overwrite of the whole table (OverwriteByExpression).
spark.read.json(f"{lake}/raw/customers").createOrReplaceTempView("crm_customers")
spark.sql(
    "INSERT OVERWRITE lake.db.customers"
    " SELECT customer_id, initcap(name), upper(country_code) FROM crm_customers"
)
# Dynamic partition overwrite: only the days the new rows hold are replaced.
orders = spark.read.option("header", "true").csv(f"{lake}/raw/orders")
orders.select(
    F.col("order_id").cast("bigint").alias("order_id"),
    "customer_id",
    F.col("amount").cast("double").alias("amount"),
    "order_date",
).writeTo("lake.db.orders").overwritePartitions()
# CTAS, reading the table by name.
spark.sql(
    "CREATE TABLE lake.db.country_counts USING iceberg AS"
    " SELECT country_code, count(*) AS customers FROM lake.db.customers GROUP BY country_code"
)
# Reads by path: the table's location, written out as Parquet.
by_path = spark.read.format("iceberg").load(f"{lake}/iceberg/db/orders")
by_path.where(F.col("amount") > 100).select("order_id", "amount").write.mode("overwrite").parquet(
    f"{lake}/exports/big_iceberg_orders"
)
# Row-level writes (copy-on-write, Iceberg's default): MERGE, UPDATE, DELETE, whole-table DELETE.
incoming = spark.read.option("header", "true").csv(f"{lake}/raw/orders_incoming/day=21")
incoming.select(
    F.col("order_id").cast("bigint").alias("order_id"),
    "customer_id",
    F.col("amount").cast("double").alias("amount"),
    "order_date",
).createOrReplaceTempView("incoming_orders")
spark.sql(
    "MERGE INTO lake.db.orders t USING incoming_orders s ON t.order_id = s.order_id"
    " WHEN MATCHED THEN UPDATE SET t.amount = s.amount * 3"
    " WHEN NOT MATCHED THEN INSERT *"
)
spark.sql("UPDATE lake.db.orders SET amount = amount * 1.1 WHERE customer_id = 'C001'")
spark.sql("DELETE FROM lake.db.orders WHERE amount < 10")
spark.sql("DELETE FROM lake.db.country_counts")
# The same statements on a merge-on-read table (Spark plans them as WriteDelta, not ReplaceData).
spark.sql(
    "CREATE TABLE lake.db.orders_mor (order_id BIGINT, customer_id STRING, amount DOUBLE,"
    " order_date STRING) USING iceberg PARTITIONED BY (order_date)"
    " TBLPROPERTIES ('format-version' = '2', 'write.merge.mode' = 'merge-on-read',"
    " 'write.update.mode' = 'merge-on-read', 'write.delete.mode' = 'merge-on-read')"
)
spark.sql("INSERT INTO lake.db.orders_mor SELECT * FROM lake.db.orders")
spark.sql(
    "MERGE INTO lake.db.orders_mor t USING incoming_orders s ON t.order_id = s.order_id"
    " WHEN MATCHED THEN UPDATE SET t.amount = s.amount * 3"
    " WHEN NOT MATCHED THEN INSERT *"
)
spark.sql("UPDATE lake.db.orders_mor SET amount = amount * 1.1 WHERE customer_id = 'C001'")
spark.sql("DELETE FROM lake.db.orders_mor WHERE amount < 10")
spark.stop()
