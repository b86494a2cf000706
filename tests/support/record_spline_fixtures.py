"""Re-record `tests/events/spline/`: run every recorded job with the REAL Spline agent attached.

Usage: .venv/bin/python tests/support/record_spline_fixtures.py [--lake /tmp/lineage-example-lake]
       [--agent-jar JAR]

Each job runs as `lineage spark-submit --agent-jar JAR --producer-url URL SCRIPT --lake LAKE ...`
against the capturing producer of `spline_capture.py`, which answers the status handshake
the way our producer does (API versions 1.2/1.1/1, gzip). JAR is $SPLINE_AGENT_JAR, else
`../shared/spline-agent/spark-3.5-spline-agent-bundle_2.12-2.2.0.jar` beside the checkout.

Every plan and every event array the agent POSTs is saved byte for byte as it was sent (after
removing gzip) as `WRITE.plan.json` / `WRITE.events.json`, where WRITE names the write in `JOBS`.
A job whose requests differ from its `writes` in `JOBS` fails the recording (nothing is replaced;
every captured body is left in a scratch folder for a look): the list is the claim of what the
agent sends, and a job with no writes listed claims that the agent sends nothing.
`transcript.json` keeps, per job, every request in arrival order (method, path, content type,
encoding, wire and body sizes, sha256 of the body, the agent's headers). A fixed lake path keeps
the dataset URIs and so the plan ids stable; event timestamps, durations and app ids change.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import pickle
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from spline_capture import CapturedRequest, CaptureServer

REPO = Path(__file__).resolve().parents[2]
OUT = REPO / "tests" / "events" / "spline"
AGENT_JAR_NAME = "spark-3.5-spline-agent-bundle_2.12-2.2.0.jar"
DEFAULT_JAR = REPO.parent / "shared" / "spline-agent" / AGENT_JAR_NAME
DEFAULT_LAKE = Path("/tmp/lineage-example-lake")
TRANSCRIPT = "transcript.json"
CAPTURED = "captured.pickle"  # in the scratch folder: what `--from-scratch` re-reads
# Agent request headers worth keeping: what it negotiated and how it identifies itself.
KEPT_HEADERS = ("Content-Type", "Content-Encoding", "User-Agent", "X-SPLINE-TIMEOUT")


@dataclass(frozen=True)
class Job:
    """One script run: `writes` names each plan/event pair it sends, in order; `after` names the
    jobs whose output it reads (or overwrites), which must have finished first."""

    script: str
    writes: tuple[str, ...]
    args: tuple[str, ...] = ()
    exit_code: int = 0
    after: tuple[str, ...] = ()
    # Extra `lineage spark-submit --conf KEY=VALUE` settings (e.g. table-format jars).
    conf: tuple[str, ...] = ()


EXAMPLES = REPO / "examples"
# Jobs run up to `PARALLEL` at a time, each against its own capture server: a Spark start-up
# takes minutes on a busy machine. The transcript keeps this order whatever the run order was.
PARALLEL = 3
_ORDERS_READY = ("ingest_orders_rerun", "ingest_customers")
JOBS: tuple[Job, ...] = (
    Job("examples/ingest_orders.py", ("ingest_orders",)),
    # The unchanged job again, before anything reads what it overwrites: the same plan id.
    Job("examples/ingest_orders.py", ("ingest_orders_rerun",), after=("ingest_orders",)),
    Job("examples/ingest_customers.py", ("ingest_customers",)),
    Job("examples/enrich_orders.py", ("enrich_orders",), after=_ORDERS_READY),
    Job("examples/aggregate_sales.py", ("aggregate_sales",), after=("enrich_orders",)),
    Job("examples/append_daily_orders.py", ("append_daily_orders_day21",), ("--day", "21")),
    Job(
        "examples/append_daily_orders.py",
        ("append_daily_orders_day22",),
        ("--day", "22"),
        after=("append_daily_orders_day21",),
    ),
    Job("examples/ingest_payments_strict.py", ("ingest_payments_strict_failed",), exit_code=1),
    Job(
        "tests/spline_jobs/lake_patterns.py",
        (
            "orders_with_country",
            "customer_order_history",
            "incoming_orders_union",
            "order_size_bands",
            "big_orders_report",
            "export_orders_csv",
            "export_orders_json",
            "export_orders_by_date",
            "overwrite_refused_failed",
        ),
        exit_code=3,
        after=_ORDERS_READY,
    ),
    Job(
        "tests/spline_jobs/warehouse_tables.py",
        (
            "warehouse_save_as_table_insert",
            "warehouse_save_as_table_ctas",
            "warehouse_insert_into",
            "warehouse_insert_select",
        ),
        after=_ORDERS_READY,
    ),
    Job("tests/spline_jobs/actions_without_lineage.py", (), after=_ORDERS_READY),
)


class RecordingMismatch(Exception):
    """A job's requests are not the plan/event pairs its `writes` announce."""


def _dump(folder: Path, job: Job, requests: list[CapturedRequest]) -> None:
    for index, request in enumerate(r for r in requests if r.method == "POST"):
        kind = request.path.rsplit("/", 1)[-1]
        (folder / f"{_job_name(job)}.{index}.{kind}.json").write_bytes(request.body)


def _job_name(job: Job) -> str:
    """A run's name: its one write (a script may run twice), else the script's name."""
    return job.writes[0] if len(job.writes) == 1 else Path(job.script).stem


def _describe(request: CapturedRequest, file: str | None) -> dict[str, object]:
    sent = {name.lower(): value for name, value in request.headers.items()}
    return {
        "method": request.method,
        "path": request.path,
        "file": file,
        "headers": {h: sent[h.lower()] for h in KEPT_HEADERS if h.lower() in sent},
        "wire_bytes": len(request.raw_body),
        "bytes": len(request.body),
        "sha256": hashlib.sha256(request.body).hexdigest(),
    }


def record_job(
    job: Job, requests: list[CapturedRequest], bodies: dict[str, bytes]
) -> list[dict[str, object]]:
    """Check a job's requests against its `writes`; add its plans and events to `bodies`."""
    posts = [r for r in requests if r.method == "POST"]
    kinds = [r.path.rsplit("/", 1)[-1] for r in posts]
    expected = ["execution-plans", "execution-events"] * len(job.writes)
    if kinds != expected:
        raise RecordingMismatch(f"{job.script}: the agent sent {kinds}, expected {expected}")
    files: dict[int, str] = {}
    for index, name in enumerate(job.writes):
        plan, events = posts[2 * index], posts[2 * index + 1]
        if [e["planId"] for e in events.json()] != [plan.json()["id"]]:
            raise RecordingMismatch(f"{job.script}: batch {name} is not one event of its plan")
        for suffix, request in (("plan", plan), ("events", events)):
            file = f"{name}.{suffix}.json"
            bodies[file] = request.body
            files[id(request)] = file
    return [_describe(r, files.get(id(r))) for r in requests]


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
        help="re-check the requests failed recordings left in these scratch folders (no Spark);"
        " a job found in several folders is taken from the last",
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
    if args.from_scratch and not args.rerun:
        write_recording(results)
        return
    lake, jar = args.lake, args.agent_jar.resolve()
    if not jar.is_file():
        raise SystemExit(f"Spline agent jar not found: {jar} (set SPLINE_AGENT_JAR)")
    sys.path.insert(0, str(EXAMPLES))
    from generate_raw_data import generate

    if not args.rerun:
        shutil.rmtree(lake, ignore_errors=True)
        generate(lake)
    record_jobs(lake, jar, results, set(args.rerun))
    write_recording(results)


def record_jobs(
    lake: Path,
    jar: Path,
    results: dict[str, tuple[int, str, list[CapturedRequest]]],
    only: set[str],
    jobs: tuple[Job, ...] = JOBS,
) -> None:
    """Run the jobs (all, or those named in `only`), each against its own capture server."""
    lineage = str(Path(sys.executable).parent / "lineage")
    done = {_job_name(job): threading.Event() for job in jobs}
    if only:
        for name, event in done.items():
            if name not in only:
                event.set()
    slots = threading.Semaphore(PARALLEL)

    def run(job: Job) -> None:
        try:
            for name in job.after:
                done[name].wait()
            with slots, CaptureServer() as capture:
                started = time.monotonic()
                command = [
                    lineage,
                    "spark-submit",
                    "--agent-jar",
                    str(jar),
                    "--producer-url",
                    capture.url,
                    *(arg for setting in job.conf for arg in ("--conf", setting)),
                    str(REPO / job.script),
                    "--lake",
                    str(lake),
                    *job.args,
                ]
                ran = subprocess.run(command, check=False, capture_output=True, text=True)
                results[_job_name(job)] = (ran.returncode, ran.stderr, list(capture.requests))
                took = time.monotonic() - started
                print(f"{_job_name(job)}: exit {ran.returncode} in {took:.0f} s", file=sys.stderr)
        finally:
            done[_job_name(job)].set()

    chosen = [job for job in jobs if not only or _job_name(job) in only]
    threads = [threading.Thread(target=run, args=(job,)) for job in chosen]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def write_recording(
    results: dict[str, tuple[int, str, list[CapturedRequest]]],
    jobs: tuple[Job, ...] = JOBS,
    out: Path = OUT,
) -> None:
    """Check every job's requests against `jobs`, then replace the recording in `out` (or not)."""
    scratch = Path(tempfile.mkdtemp(prefix="spline-recording-"))
    (scratch / CAPTURED).write_bytes(pickle.dumps(results))
    transcript = []
    bodies: dict[str, bytes] = {}
    failures: list[str] = []
    for job in jobs:
        if _job_name(job) not in results:
            failures.append(f"{job.script} did not run (see the messages above)")
            continue
        code, stderr, captured = results[_job_name(job)]
        _dump(scratch, job, captured)
        if code != job.exit_code:
            (scratch / f"{_job_name(job)}.stderr.txt").write_text(stderr)
            failures.append(f"{job.script} exited {code}, not {job.exit_code}")
            continue
        try:
            requests = record_job(job, captured, bodies)
        except RecordingMismatch as exc:
            failures.append(str(exc))
            continue
        transcript.append(
            {
                "job": _job_name(job),
                "script": job.script,
                "args": list(job.args),
                "exit_code": code,
                "requests": requests,
            }
        )
    if failures:
        raise SystemExit(
            f"{len(failures)} jobs differ from JOBS, nothing replaced; bodies in {scratch}:\n"
            + "\n".join(failures)
        )
    shutil.rmtree(scratch)
    # Only a complete recording replaces the old one.
    out.mkdir(parents=True, exist_ok=True)
    for stale in [*out.glob("*.plan.json"), *out.glob("*.events.json")]:
        stale.unlink()
    for file, body in bodies.items():
        (out / file).write_bytes(body)
    (out / TRANSCRIPT).write_text(json.dumps(transcript, indent=2) + "\n")


if __name__ == "__main__":
    main()
