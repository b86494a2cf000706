"""Actions that write nothing: counts, collects, show, temp views, cache and DDL.

The Spline agent reports writes only, so this job is expected to send no plan and no event.
Usage: python tests/spline_jobs/actions_without_lineage.py --lake DIR
"""

import argparse

from pyspark.sql import SparkSession

parser = argparse.ArgumentParser()
parser.add_argument("--lake", required=True)
lake = parser.parse_args().lake

spark = (
    SparkSession.builder.appName("actions_without_lineage")
    .config("spark.sql.warehouse.dir", f"{lake}/warehouse_scratch")
    .getOrCreate()
)
orders = spark.read.parquet(f"{lake}/curated/orders")
orders.count()
orders.where("quantity > 2").collect()
orders.show(3)
orders.createOrReplaceTempView("orders")
spark.sql("SELECT customer_id, count(*) FROM orders GROUP BY customer_id").collect()
orders.cache().count()
spark.sql("CREATE DATABASE IF NOT EXISTS scratch")
spark.sql("CREATE TABLE scratch.empty_orders (order_id BIGINT) USING parquet")
spark.sql("DROP TABLE scratch.empty_orders")
spark.stop()
