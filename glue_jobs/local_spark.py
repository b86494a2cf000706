"""The normalize job's Spark session on this machine: what `lineage rebuild`, `lineage verify`
and the benchmarks run it on, and how the benchmarks free it again."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from typing import Any

from glue_jobs.entrypoint import local_session_conf
from lineage.errors import LineageError

__all__ = ["DRIVER_MEMORY", "DriverMemoryError", "local_spark", "stop_local_spark"]

# The heap of the one JVM that is Spark's driver and executor in local mode. The job holds no
# lake-sized data in it (sorts and the persisted events spill to disk), and the JVM's resident
# memory follows the heap it is allowed, not what is live: 4g reached 4.7 GiB at 100k plans
# for the same speed as 1g (docs/benchmarks.md, "Normalize").
DRIVER_MEMORY = "1g"
# A JVM size (`-Xmx` syntax); Spark refuses a heap under 450 MiB, 512m leaves it its margin.
_JVM_SIZE = re.compile(r"([1-9][0-9]{0,15})([kmgt]?)", re.IGNORECASE)
_UNIT = {"": 1, "k": 2**10, "m": 2**20, "g": 2**30, "t": 2**40}
_MIN_DRIVER_MEMORY = 512 * 2**20


class DriverMemoryError(LineageError):
    """A driver memory that is no JVM size, or less than Spark can start with."""


def _check_driver_memory(value: str) -> None:
    match = _JVM_SIZE.fullmatch(value)
    if match is None:
        raise DriverMemoryError(
            f"driver memory {value!r} is not a JVM size: give a number with k, m, g or t "
            "(e.g. 1g, 1536m)"
        )
    if int(match[1]) * _UNIT[match[2].lower()] < _MIN_DRIVER_MEMORY:
        raise DriverMemoryError(f"driver memory {value} is under 512m, less than Spark can run in")


def local_spark(master: str = "local[*]", driver_memory: str = DRIVER_MEMORY) -> Any:
    """A local SparkSession whose Python workers run this interpreter (the project's venv).

    With a `local[...]` master it listens on 127.0.0.1 only and has no web UI
    (`glue_jobs.entrypoint.LOOPBACK_SPARK_CONF`). Raises `DriverMemoryError` before any JVM
    starts when `driver_memory` is no JVM size or too small.
    """
    _check_driver_memory(driver_memory)
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
