"""Freshness benchmark: from a payload landing to its run in the read API, with `serve --follow`.

On a copy of a generated history (hard links: the cached workload is never written to, and the
raw zone is write-once, so no linked file changes), `lineage serve --follow` runs as users run
it, against a fresh Gremlin Server: its first build is the full rebuild of the history, loaded
into the empty graph. Then, round after round, one more run of an earlier plan lands through the
producer API (the plan re-sent, as the agent sends it before each run's events, then the run's
event batch) and the benchmark polls the read API's run list until that run is in it. The lag
is from the producer's answer to the event batch to the first read API answer listing the run:
the follower's look interval, its settle margin, the listing, the delta build, the load and the
read API's cache all count.

    .venv/bin/python -m lineage_bench.follow --plans 10000 [--rounds 5] [--work .cache/bench]
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import orjson

from glue_jobs.normalize.scheduled import read_pointer
from lineage.raw_zone_layout import SIDECAR_SUFFIX, RawObjectMetadata
from lineage.spline import ApiVersion, ExecutionEvent, content_type_for, events_document
from lineage_bench.errors import StageError
from lineage_bench.graph import graph_server
from lineage_bench.machine import load_average, stop_process
from lineage_bench.producer import wait_ready
from local_neptune.ports import free_port

__all__ = ["FollowFigures", "copy_lake", "main", "measure"]

Say = Callable[[str], None]

# `lineage serve --follow`'s default look interval: the lag users get without tuning.
INTERVAL_S = 5.0
# A run not visible after this long is a failure of the stage, not a figure.
VISIBLE_TIMEOUT_S = 300.0
_CONTENT_TYPE = content_type_for(ApiVersion.V1_2)


@dataclass(frozen=True, slots=True)
class FollowFigures:
    """One history's freshness: the follower's first (full) build and each round's lag."""

    plans: int
    copy_s: float
    first_build_s: float
    interval_s: float
    lags_s: tuple[float, ...]

    @property
    def median_s(self) -> float:
        """The median lag over the rounds."""
        return statistics.median(self.lags_s)

    @property
    def max_s(self) -> float:
        """The longest lag of the rounds."""
        return max(self.lags_s)


def copy_lake(source: Path, target: Path) -> None:
    """A copy of the raw zone `source` at `target` made of hard links (no data is copied)."""
    shutil.copytree(source, target, copy_function=os.link)


@dataclass(frozen=True, slots=True)
class _StoredPlan:
    """A plan payload of the history: its decoded body, and how the agent encoded it."""

    plan_id: str
    body: bytes
    encoding: str | None


def _plans(lake: Path, count: int) -> list[_StoredPlan]:
    """`count` plan payloads spread over the history (the first file name of evenly spaced
    date partitions), each with its id and content encoding read from its sidecar."""
    sidecars = sorted((lake / "plans").rglob(f"*{SIDECAR_SUFFIX}"))
    if not sidecars:
        raise StageError(f"{lake} holds no plan payloads")
    step = max(1, len(sidecars) // count)
    chosen = []
    for sidecar in sidecars[::step][:count]:
        meta = RawObjectMetadata.from_json(sidecar.read_bytes())
        body = sidecar.with_name(sidecar.name.removesuffix(SIDECAR_SUFFIX)).read_bytes()
        if meta.plan_id is None:
            raise StageError(f"{sidecar} names no plan id")
        chosen.append(_StoredPlan(meta.plan_id, body, meta.content_encoding))
    return chosen


def _post(port: int, route: str, body: bytes, encoding: str | None) -> None:
    headers = {"Content-Type": _CONTENT_TYPE}
    if encoding:
        headers["Content-Encoding"] = encoding
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/producer/{route}", data=body, headers=headers, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            answer.read()
    except urllib.error.HTTPError as exc:
        raise StageError(
            f"the producer answered {route} with {exc.code}: {exc.read()[:300]!r}"
        ) from None


def _run_listed(port: int, plan_id: str, since: dt.datetime) -> bool:
    """Whether the read API lists a run of `plan_id` that started after `since`."""
    query = urllib.parse.urlencode({"since": since.strftime("%Y-%m-%dT%H:%M:%SZ"), "limit": 500})
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/runs?{query}", timeout=30) as a:
            items = orjson.loads(a.read())["items"]
    except urllib.error.HTTPError as exc:
        if exc.code in (502, 503):  # the graph between loads: ask again
            return False
        raise StageError(f"the read API answered /api/runs with {exc.code}") from None
    return any(item.get("plan_id") == plan_id for item in items)


def _land_run(port: int, plan: _StoredPlan, ended_ms: int) -> None:
    """One more run of `plan`: the plan again, then its event batch (as the agent sends them)."""
    # The raw zone keeps the decoded body; the sidecar says whether the agent compressed it.
    body = gzip.compress(plan.body) if plan.encoding == "gzip" else plan.body
    _post(port, "execution-plans", body, plan.encoding)
    event = ExecutionEvent(
        plan.plan_id,
        ended_ms,
        ApiVersion.V1_2,
        duration_ns=42_000_000_000,
        extra={"appId": f"spark-application-{ended_ms - 60_000}", "user": "glue"},
    )
    batch = orjson.dumps(events_document([event]))
    _post(port, "execution-events", gzip.compress(batch), "gzip")


def _serve(lake: Path, builds: Path, url: str, port: int, log: Path) -> subprocess.Popen[bytes]:
    argv = [
        sys.executable, "-m", "lineage_cli.main", "serve", "--lake", str(lake),
        "--port", str(port), "--graph", url, "--follow", str(builds),
        "--follow-interval", str(INTERVAL_S), "--no-access-log", "--workers", "1",
    ]  # fmt: skip
    with log.open("ab") as out:
        return subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT)


def _wait(done: Callable[[], bool], process: subprocess.Popen[bytes], what: str, log: Path) -> None:
    deadline = time.monotonic() + VISIBLE_TIMEOUT_S * 10
    while not done():
        if process.poll() is not None:
            raise StageError(f"lineage serve exited ({process.returncode}) {what}; see {log}")
        if time.monotonic() > deadline:
            raise StageError(f"{what}: nothing after {VISIBLE_TIMEOUT_S * 10:.0f} s; see {log}")
        time.sleep(0.25)


def measure(
    history: Path, plans: int, work: Path, heap: str, rounds: int, say: Say
) -> FollowFigures:
    """The follower's first build of `history` and `rounds` lags, one new run per round."""
    lake, builds, log = work / "lake", work / "builds", work / "serve.log"
    began = time.perf_counter()
    copy_lake(history, lake)
    copy_s = time.perf_counter() - began
    chosen = _plans(lake, rounds)
    lags: list[float] = []
    with graph_server(heap, say) as url:
        port = free_port()
        say(f"follow {plans} plans: lineage serve --follow on a linked copy ({copy_s:.1f} s)")
        began = time.perf_counter()
        serve = _serve(lake, builds, url, port, log)
        try:
            wait_ready(port, serve)
            _wait(
                lambda: read_pointer(str(builds)) is not None,
                serve,
                "before its first build was loaded",
                log,
            )
            first_build_s = time.perf_counter() - began
            say(f"follow {plans} plans: first (full) build loaded after {first_build_s:.1f} s")
            for index, plan in enumerate(chosen):
                now = dt.datetime.now(dt.UTC)
                _land_run(port, plan, int(now.timestamp() * 1000))
                landed = time.perf_counter()
                since = now - dt.timedelta(hours=1)
                deadline = landed + VISIBLE_TIMEOUT_S
                while not _run_listed(port, plan.plan_id, since):
                    if serve.poll() is not None or time.perf_counter() > deadline:
                        raise StageError(
                            f"round {index + 1}: the run of plan {plan.plan_id} was not in the "
                            f"read API {VISIBLE_TIMEOUT_S:.0f} s after it landed; see {log}"
                        )
                    time.sleep(0.25)
                lags.append(round(time.perf_counter() - landed, 2))
                say(f"follow {plans} plans: round {index + 1}: visible after {lags[-1]:.1f} s")
        finally:
            stop_process(serve, timeout_s=120)
    return FollowFigures(plans, round(copy_s, 2), round(first_build_s, 2), INTERVAL_S, tuple(lags))


def main(argv: list[str] | None = None) -> int:
    """Run the freshness benchmark and print one JSON line per history size."""
    from lineage_bench.stages import workload_lake

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--plans", default="10000", help="history sizes, comma-separated")
    parser.add_argument("--rounds", default=5, type=int, help="runs landed, one at a time")
    parser.add_argument("--work", default=".cache/bench", type=Path)
    parser.add_argument("--heap", default="4g", help="Gremlin Server heap")
    args = parser.parse_args(argv)

    def say(message: str) -> None:
        stamp = dt.datetime.now(dt.UTC).strftime("%H:%M:%S")
        print(f"{stamp} {message} (load {load_average()})", file=sys.stderr, flush=True)

    for plans in (int(p) for p in args.plans.split(",")):
        history, _ = workload_lake(args.work, plans, 1, say)
        work = Path(tempfile.mkdtemp(prefix="lineage-bench-follow-", dir=args.work))
        try:
            figures = measure(history, plans, work, args.heap, args.rounds, say)
        finally:
            shutil.rmtree(work, ignore_errors=True)
        doc = asdict(figures) | {"median_s": figures.median_s, "max_s": figures.max_s}
        print(orjson.dumps(doc).decode(), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
