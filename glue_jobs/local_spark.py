"""The normalize job's Spark session on this machine: what `lineage rebuild`, `lineage verify`
and the benchmarks run it on, and how the benchmarks free it again."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

from glue_jobs.entrypoint import local_session_conf

__all__ = ["DRIVER_MEMORY", "local_spark", "stop_local_spark"]

# The heap of the one JVM that is Spark's driver and executor in local mode. The job holds no
# lake-sized data in it (sorts and the persisted events spill to disk), and the JVM's resident
# memory follows the heap it is allowed, not what is live: 4g reached 4.7 GiB at 100k plans
# for the same speed as 1g (docs/benchmarks.md, "Normalize").
DRIVER_MEMORY = "1g"


def local_spark(master: str = "local[*]", driver_memory: str = DRIVER_MEMORY) -> Any:
    """A local SparkSession whose Python workers run this interpreter (the project's venv).

    With a `local[...]` master it listens on 127.0.0.1 only and has no web UI
    (`glue_jobs.entrypoint.LOOPBACK_SPARK_CONF`).
    """
    os.environ["PYSPARK_PYTHON"] = sys.executable
    os.environ["PYSPARK_DRIVER_PYTHON"] = sys.executable
    from pyspark.sql import SparkSession

    builder = SparkSession.builder.master(master)
    for key, value in local_session_conf(master).items():
        builder = builder.config(key, value)
    builder = (
        builder.appName("lineage-rebuild")
        .config("spark.driver.memory", driver_memory)
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.shuffle.partitions", "16")
        .config("spark.python.worker.reuse", "true")
    )
    # glibc gives each of the JVM's many threads its own malloc arena (64 MiB each at most);
    # two arenas cut the JVM's resident memory by about a tenth at the same speed. Set while
    # the JVM starts only (its Python workers inherit it from the JVM): whatever this process
    # starts later, a graph server say, keeps the environment it had.
    before = os.environ.get("MALLOC_ARENA_MAX")
    os.environ.setdefault("MALLOC_ARENA_MAX", "2")
    try:
        spark = builder.getOrCreate()
    finally:
        if before is None:
            del os.environ["MALLOC_ARENA_MAX"]
    spark.sparkContext.setLogLevel("ERROR")
    return spark


def stop_local_spark(spark: Any) -> None:
    """Stop Spark and its JVM: `stop()` alone keeps the driver JVM (gigabytes) until we exit,
    and whatever runs next in this process (the benchmarks' graph server) needs that memory."""
    from pyspark import SparkContext

    spark.stop()
    gateway = SparkContext._gateway
    if gateway is None:
        return
    gateway.shutdown()
    process = getattr(gateway, "proc", None)  # the JVM pyspark launched for this process
    if process is not None:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
    SparkContext._gateway = None
    SparkContext._jvm = None
