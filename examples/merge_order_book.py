"""Curated -> curated, as a Delta Lake table: upsert the order history into an order book.

Reads `DIR/curated/orders_history/` (Parquet, fed by the daily appends), starts the Delta table
`DIR/curated/order_book/` from day 21's orders (overwrite), then `MERGE INTO` it every order of
the history on `order_id`: day 21's orders match and are updated, day 22's are inserted. The
MERGE is the everyday write to a lake table on Glue 5.0; Delta reports how many rows it inserted
and updated.

Needs the Delta Lake jars (delta-spark, delta-storage 3.2.1) in `spark.jars`; `make install` puts
them in `.cache/lake-formats/lib/` and `lineage demo` passes them.

Usage: python examples/merge_order_book.py --lake DIR
"""

import argparse
from pathlib import Path

from pyspark.sql import SparkSession
from pyspark.sql import functions as F


def main() -> None:
    parser = argparse.ArgumentParser(description="upsert the order history into a Delta table")
    parser.add_argument("--lake", required=True, type=Path)
    lake = parser.parse_args().lake.resolve()
    spark = (
        SparkSession.builder.appName("merge_order_book")
        .config("spark.sql.extensions", "io.delta.sql.DeltaSparkSessionExtension")
        .config(
            "spark.sql.catalog.spark_catalog", "org.apache.spark.sql.delta.catalog.DeltaCatalog"
        )
        .getOrCreate()
    )
    book = f"{lake}/curated/order_book"
    history = spark.read.parquet(f"{lake}/curated/orders_history").select(
        "order_id",
        "customer_id",
        "product",
        "quantity",
        "unit_price",
        (F.col("unit_price") * F.col("quantity")).alias("line_total"),
        "order_date",
        "load_day",
    )
    history.where(F.col("load_day") == 21).drop("load_day").write.format("delta").mode(
        "overwrite"
    ).save(book)
    history.drop("load_day").createOrReplaceTempView("order_updates")
    spark.sql(
        f"MERGE INTO delta.`{book}` t USING order_updates s ON t.order_id = s.order_id"
        " WHEN MATCHED THEN UPDATE SET"
        " t.quantity = s.quantity, t.unit_price = s.unit_price, t.line_total = s.line_total"
        " WHEN NOT MATCHED THEN INSERT *"
    )
    spark.stop()


if __name__ == "__main__":
    main()
