"""Re-record `tests/events/lake_formats/`: Iceberg and Delta Lake jobs with the REAL Spline agent.

Usage: .venv/bin/python tests/support/record_lake_format_fixtures.py
       [--lake /tmp/lineage-lake-formats] [--agent-jar JAR] [--from-scratch DIR]

The recorder of `tests/support/record_spline_fixtures.py` (same capture server, same byte-for-byte
files, same claim that `JOBS` lists every lineage the agent sends, same transcript) with the
table-format runtimes Glue 5.0 ships on the classpath: Apache Iceberg 1.6.1 and Delta Lake 3.2.1,
the jars `make install` puts in `.cache/lake-formats/lib/` (`build-support/lake-formats-pom.xml`).
The jobs read the raw files `examples/generate_raw_data.py` lands in a lake of their own, so this
recording and the main one never share a lake. `lineage spark-submit` attaches the project's agent
plugin (`make install` builds it); the recorder refuses to run without it, since the Iceberg
row-level writes in `JOBS` are sent only through it.
"""

from __future__ import annotations

import argparse
import os
import pickle
import shutil
import sys
from pathlib import Path

from record_spline_fixtures import CAPTURED, DEFAULT_JAR, EXAMPLES, REPO, Job, record_jobs
from record_spline_fixtures import write_recording as write_jobs
from spline_capture import CapturedRequest

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from lineage_cli.agent_plugin import PluginPlaces

OUT = REPO / "tests" / "events" / "lake_formats"
DEFAULT_LAKE = Path("/tmp/lineage-lake-formats")
FORMAT_JARS = REPO / ".cache" / "lake-formats" / "lib"
ICEBERG_JAR = "iceberg-spark-runtime-3.5_2.12-1.6.1.jar"
DELTA_JARS = ("delta-spark_2.12-3.2.1.jar", "delta-storage-3.2.1.jar")


def _jars(*names: str) -> tuple[str, ...]:
    return (f"spark.jars={','.join(str(FORMAT_JARS / name) for name in names)}",)


JOBS: tuple[Job, ...] = (
    # MERGE, UPDATE and both DELETEs are sent only through the project's agent plugin
    # (agent_plugin/), which `lineage spark-submit` attaches: without it six lineages, not fourteen.
    Job(
        "tests/spline_jobs/iceberg_tables.py",
        (
            "iceberg_append",
            "iceberg_insert_overwrite",
            "iceberg_overwrite_partitions",
            "iceberg_ctas_append",
            "iceberg_ctas",
            "iceberg_read_by_path",
            "iceberg_merge",
            "iceberg_update",
            "iceberg_delete",
            "iceberg_delete_all",
            "iceberg_mor_insert",
            "iceberg_mor_merge",
            "iceberg_mor_update",
            "iceberg_mor_delete",
        ),
        conf=_jars(ICEBERG_JAR),
    ),
    # A Delta CTAS is one lineage (CreateTableAsSelect), not two as in Iceberg.
    Job(
        "tests/spline_jobs/delta_tables.py",
        (
            "delta_append",
            "delta_ctas",
            "delta_insert_overwrite",
            "delta_overwrite_partitions",
            "delta_merge",
            "delta_merge_computed",
            "delta_merge_python",
            "delta_update",
            "delta_delete",
            "delta_read_by_name",
            "delta_read_by_path",
        ),
        conf=_jars(*DELTA_JARS),
    ),
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lake", type=Path, default=DEFAULT_LAKE)
    parser.add_argument(
        "--agent-jar", type=Path, default=Path(os.environ.get("SPLINE_AGENT_JAR") or DEFAULT_JAR)
    )
    parser.add_argument(
        "--from-scratch",
        type=Path,
        action="append",
        default=[],
        help="re-check the requests a failed recording left in this scratch folder (no Spark)",
    )
    parser.add_argument(
        "--rerun",
        action="append",
        default=[],
        metavar="JOB",
        help="run only these jobs again, on the lake as the last recording left it",
    )
    args = parser.parse_args()
    results: dict[str, tuple[int, str, list[CapturedRequest]]] = {}
    for scratch in args.from_scratch:
        results.update(pickle.loads((scratch / CAPTURED).read_bytes()))
    if args.rerun or not args.from_scratch:
        jar = args.agent_jar.resolve()
        plugin = PluginPlaces(REPO).jar
        needed = (jar, plugin, *(p for j in JOBS for p in _jar_paths(j)))
        missing = [p for p in needed if not p.is_file()]
        if missing:
            raise SystemExit(f"not found: {', '.join(map(str, missing))} (run `make install`)")
        sys.path.insert(0, str(EXAMPLES))
        from generate_raw_data import generate

        if not args.rerun:
            shutil.rmtree(args.lake, ignore_errors=True)
            generate(args.lake)
        record_jobs(args.lake, jar, results, set(args.rerun), JOBS)
    write_jobs(results, JOBS, OUT)


def _jar_paths(job: Job) -> list[Path]:
    return [
        Path(jar)
        for setting in job.conf
        if setting.startswith("spark.jars=")
        for jar in setting.removeprefix("spark.jars=").split(",")
    ]


if __name__ == "__main__":
    main()
