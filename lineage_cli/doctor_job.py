"""The tiny Spark job `lineage doctor` runs with the agent attached: one CSV read, one write.

Usage: spark-submit lineage_cli/doctor_job.py APP_NAME WORKDIR. The unique APP_NAME becomes the
plan's name, so the doctor can tell its own plan from any other at the producer.
"""

import sys
from pathlib import Path

from pyspark.sql import SparkSession


def main(app_name: str, workdir: Path) -> None:
    """Read WORKDIR/input (CSV with a header) and write it to WORKDIR/output as Parquet."""
    spark = SparkSession.builder.appName(app_name).getOrCreate()
    try:
        rows = spark.read.option("header", "true").csv(str(workdir / "input"))
        rows.write.mode("overwrite").parquet(str(workdir / "output"))
    finally:
        spark.stop()


if __name__ == "__main__":
    main(sys.argv[1], Path(sys.argv[2]))
