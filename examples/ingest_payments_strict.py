"""A job that FAILS ON PURPOSE: strict ingest of payments that meets a corrupt record.

Reads `DIR/raw/payments/` (JSON lines) with an explicit schema in FAILFAST mode, as a pipeline
that must not silently drop money would, and writes `DIR/curated/payments/`. The raw file holds a
truncated record, so the write fails while running and the script exits non-zero: the lineage
shows a failed run with its error.

Usage: python examples/ingest_payments_strict.py --lake DIR
"""

import argparse
import sys
from pathlib import Path

from pyspark.sql import SparkSession
from pyspark.sql import functions as F
from pyspark.sql.types import LongType, StringType, StructField, StructType

SCHEMA = StructType(
    [
        StructField("payment_id", LongType()),
        StructField("order_id", LongType()),
        StructField("paid", StringType()),
    ]
)


def main() -> int:
    parser = argparse.ArgumentParser(description="strict payments ingest (fails on corrupt input)")
    parser.add_argument("--lake", required=True, type=Path)
    lake = parser.parse_args().lake.resolve()
    spark = SparkSession.builder.appName("ingest_payments_strict").getOrCreate()
    payments = spark.read.schema(SCHEMA).option("mode", "FAILFAST").json(f"{lake}/raw/payments")
    typed = payments.select("payment_id", "order_id", F.col("paid").cast("decimal(10,2)"))
    try:
        typed.write.mode("overwrite").parquet(f"{lake}/curated/payments")
    except Exception as exc:
        print(f"ingest_payments_strict: failed as designed: {type(exc).__name__}", file=sys.stderr)
        return 1
    finally:
        spark.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
