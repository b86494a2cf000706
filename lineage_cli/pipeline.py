"""The local pipeline as a user runs it, stage by stage: serve, Spark jobs, rebuild and load.

`lineage demo` and the end-to-end test drive the same functions, each stage through the same
`lineage` subcommand a user would type, so the demo cannot drift from the commands it shows.
Every stage writes its output to a log file; a failing stage raises `StageFailed` naming the
stage and that log.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from glue_jobs.normalize.scheduled import read_pointer
from lineage.build_pointer import POINTER_FILE, BuildPointer, BuildPointerError
from lineage.errors import LineageError
from lineage_bench.machine import stop_process as stop_process  # the stages stop servers alike
from lineage_cli.agent_log import AgentLogScanner

Say = Callable[[str], None]

# Each `lineage spark-submit` starts a JVM; on a loaded 2-core machine that alone can take a minute.
JOB_TIMEOUT_S = 600.0
REBUILD_TIMEOUT_S = 900.0
SERVE_READY_TIMEOUT_S = 60.0


class StageFailed(LineageError):
    """A pipeline stage exited badly; the message names the stage, the cause and its log."""

    def __init__(self, stage: str, cause: str, log: Path) -> None:
        tail = _tail(log)
        super().__init__(f"stage '{stage}' failed: {cause} (log: {log})" + tail)
        self.stage = stage
        self.log = log


def _tail(log: Path, lines: int = 15) -> str:
    try:
        text = log.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return ""
    return "\n  " + "\n  ".join(text[-lines:]) if text else ""


@dataclass(frozen=True)
class Workdir:
    """Where one pipeline run keeps its data: example lake, raw zone, build and logs."""

    root: Path

    @property
    def data_lake(self) -> Path:
        """The sample jobs' own data (raw/curated/aggregated files)."""
        return self.root / "data-lake"

    @property
    def raw_zone(self) -> Path:
        """The producer's raw zone: every lineage payload, verbatim."""
        return self.root / "raw-zone"

    @property
    def build(self) -> Path:
        """The normalize job's Neptune bulk-load CSVs and manifest."""
        return self.root / "build"

    @property
    def builds(self) -> Path:
        """Where `lineage serve --follow` keeps its builds and their pointer (`LATEST.json`)."""
        return self.root / "builds"

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    def log(self, stage: str) -> Path:
        self.logs.mkdir(parents=True, exist_ok=True)
        return self.logs / f"{stage}.log"


@dataclass(frozen=True)
class SparkJob:
    """One PySpark script run through `lineage spark-submit`."""

    script: Path
    args: tuple[str, ...] = ()
    expect_failure: bool = False
    """The job is meant to fail (its failed run must still reach the lineage)."""
    conf: tuple[str, ...] = ()
    """Spark settings `KEY=VALUE` for `lineage spark-submit --conf` (e.g. lake-format jars)."""

    @property
    def stage(self) -> str:
        # Option values that are not paths tell repeated runs apart (`--day 21` -> `-21`).
        suffix = "-".join(a for a in self.args if not a.startswith(("-", "/")))
        return f"job-{self.script.stem}" + (f"-{suffix}" if suffix else "")


def lineage_executable() -> str:
    """The `lineage` console script of the running interpreter's environment."""
    candidate = Path(sys.executable).parent / "lineage"
    return str(candidate) if candidate.exists() else "lineage"


def subprocess_env() -> dict[str, str]:
    """Environment for child stages: Spark's Python workers use this interpreter."""
    env = dict(os.environ)
    env.setdefault("PYSPARK_PYTHON", sys.executable)
    env.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    # Spark binds its driver to the host's address by default; everything here is loopback.
    env.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    return env


def run_stage(stage: str, argv: Sequence[str], log: Path, timeout_s: float) -> int:
    """Run one stage to completion with its output in `log`; return its exit code."""
    with log.open("wb") as out:
        try:
            done = subprocess.run(
                list(argv),
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=subprocess_env(),
                timeout=timeout_s,
                check=False,
            )
        except subprocess.TimeoutExpired:
            raise StageFailed(stage, f"no result after {timeout_s:.0f} s", log) from None
        except OSError as exc:
            raise StageFailed(stage, f"could not start {argv[0]}: {exc}", log) from exc
    return done.returncode


def start_serve(
    workdir: Workdir,
    port: int,
    graph_url: str,
    host: str = "127.0.0.1",
    follow_interval_s: float | None = None,
) -> subprocess.Popen[bytes]:
    """Start `lineage serve` in the background; return once the producer answers its probe.

    With `follow_interval_s`, it also follows the raw zone into the graph (`--follow`, builds
    under `workdir.builds`), looking that often; its log is then `serve-follow.log`."""
    log = workdir.log("serve" if follow_interval_s is None else "serve-follow")
    out = log.open("wb")
    argv = [lineage_executable(), "serve", "--lake", str(workdir.raw_zone)]
    argv += ["--host", host, "--port", str(port), "--graph", graph_url, "--no-access-log"]
    if follow_interval_s is not None:
        argv += ["--follow", str(workdir.builds), "--follow-interval", str(follow_interval_s)]
    process = subprocess.Popen(
        argv, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=subprocess_env()
    )
    out.close()
    status_url = f"http://{host}:{port}/producer/status"
    deadline = time.monotonic() + SERVE_READY_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise StageFailed("serve", f"exited with code {process.returncode}", log)
        try:
            with urllib.request.urlopen(status_url, timeout=2) as answer:
                if answer.status == 200:
                    return process
        except (urllib.error.URLError, OSError):
            time.sleep(0.3)
    stop_process(process)
    raise StageFailed("serve", f"{status_url} did not answer in {SERVE_READY_TIMEOUT_S:.0f} s", log)


def generate_sample_data(workdir: Workdir, generator: Path) -> None:
    """Write the sample jobs' raw input files (plain Python, so no lineage of its own)."""
    log = workdir.log("generate-data")
    argv = [sys.executable, str(generator), "--lake", str(workdir.data_lake)]
    code = run_stage("generate-data", argv, log, timeout_s=120)
    if code != 0:
        raise StageFailed("generate-data", f"exited with code {code}", log)


def run_jobs(workdir: Workdir, jobs: Sequence[SparkJob], producer_url: str, say: Say) -> None:
    """Run each job with the real Spline agent attached; a job meant to fail must fail, the
    others succeed, and every job's agent must have stayed enabled and delivered."""
    for index, job in enumerate(jobs, start=1):
        log = workdir.log(job.stage)
        say(f"  [{index}/{len(jobs)}] {job.script.name} {' '.join(job.args)}")
        argv = [lineage_executable(), "spark-submit", "--producer-url", producer_url]
        argv += [arg for setting in job.conf for arg in ("--conf", setting)]
        argv += [str(job.script), *job.args]
        code = run_stage(job.stage, argv, log, JOB_TIMEOUT_S)
        if job.expect_failure and code == 0:
            raise StageFailed(job.stage, "the job meant to fail succeeded", log)
        if not job.expect_failure and code != 0:
            raise StageFailed(job.stage, f"exited with code {code}", log)
        # A job whose agent was disabled or refused still exits 0: its lineage is what we need.
        problems = agent_problems(log)
        if problems:
            raise StageFailed(job.stage, problems[0], log)


def agent_problems(log: Path) -> list[str]:
    """What the Spline agent's lines in a job's log say went wrong with its lineage."""
    scanner = AgentLogScanner()
    with log.open(encoding="utf-8", errors="replace") as lines:
        for line in lines:
            scanner.feed(line)
    return scanner.report().problems()


def rebuild_and_load(workdir: Workdir, graph_url: str) -> None:
    """Run the nightly normalize job locally and load its build into the graph."""
    log = workdir.log("rebuild")
    argv = [lineage_executable(), "rebuild", "--lake", str(workdir.raw_zone)]
    argv += ["--out", str(workdir.build), "--graph", graph_url, "--master", "local[2]", "--quiet"]
    code = run_stage("rebuild", argv, log, REBUILD_TIMEOUT_S)
    if code != 0:
        raise StageFailed("rebuild", f"exited with code {code}", log)


def wait_for_build(workdir: Workdir, newer_than_ms: int, timeout_s: float) -> BuildPointer:
    """The follower's pointer once it names a build whose cut-off is after `newer_than_ms`
    (epoch milliseconds), so that build holds every payload landed before then."""
    log = workdir.log("serve-follow")
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            pointer = read_pointer(str(workdir.builds))
        except BuildPointerError as exc:
            raise StageFailed("follow", str(exc), log) from exc
        if pointer is not None and pointer.landed_before_ms > newer_than_ms:
            return pointer
        time.sleep(0.5)
    where = workdir.builds / POINTER_FILE
    raise StageFailed("follow", f"no build in {where} after {timeout_s:.0f} s", log)


def wait_for_new_run(
    workdir: Workdir, base_url: str, job: str, runs_before: int, timeout_s: float
) -> float:
    """Seconds until the read API lists more than `runs_before` runs of `job`."""
    began = time.monotonic()
    while job_runs(workdir, base_url, job) <= runs_before:
        if time.monotonic() - began > timeout_s:
            raise StageFailed(
                "follow",
                f"the new run of {job} was not in the read API {timeout_s:.0f} s after the job "
                "ended",
                workdir.log("serve-follow"),
            )
        time.sleep(0.5)
    return time.monotonic() - began


def job_runs(workdir: Workdir, base_url: str, job: str) -> int:
    """How many runs the read API lists for `job` (0 when it does not know the job yet)."""
    url = f"{base_url}/api/jobs/{urllib.parse.quote(job, safe='')}"
    try:
        with urllib.request.urlopen(url, timeout=10) as answer:
            return len(json.loads(answer.read())["runs"])
    except urllib.error.HTTPError as exc:
        if exc.code == 404:
            return 0
        raise StageFailed(
            "follow", f"{url} answered {exc.code}", workdir.log("serve-follow")
        ) from None
    except (OSError, ValueError, KeyError) as exc:
        raise StageFailed("follow", f"{url}: {exc}", workdir.log("serve-follow")) from exc
