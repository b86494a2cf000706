"""Read API latency per endpoint, through the real FastAPI app in process.

Requests go through `lambdas.consumer.app.create_app`, so the figures include routing, the
traversals against the Gremlin Server and JSON encoding, but no TCP hop.

`lineage bench` samples its request targets from the graph it loaded (`measure_endpoints`: the
first ids TinkerGraph returns, which depend only on the load order, so the same build gives the
same samples). Run alone, this module generates a layered lake as a CSV build
(`lineage_bench.graph_lake`), loads it into a private Gremlin Server with the project's loader,
calls every endpoint with targets drawn at random from what it generated, and also measures the
consumer's import time (the Lambda cold-start proxy) in fresh interpreters:

    .venv/bin/python -m lineage_bench.read_api [--plans 10000] [--requests 60] [--heap 4g]
    .venv/bin/python -m lineage_bench.read_api --url ws://localhost:8182/gremlin --no-load ...
"""

from __future__ import annotations

import argparse
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from lineage_bench.errors import StageError
from lineage_bench.graph import clear_graph, graph_server
from lineage_bench.graph_lake import COLUMNS, Lake, generate
from lineage_bench.machine import summary_line

if TYPE_CHECKING:
    from fastapi.testclient import TestClient

__all__ = [
    "EndpointStats",
    "import_time",
    "measure_endpoints",
    "percentile",
    "rare_query",
    "sample_targets",
    "time_endpoint",
]

Request = tuple[str, dict[str, Any]]  # path (may hold a query) and query parameters
Draw = Callable[[int], Request]  # the i-th request to an endpoint


@dataclass(frozen=True, slots=True)
class EndpointStats:
    """Latency of one endpoint over `requests` calls."""

    requests: int
    errors: int  # answers other than 200
    p50_ms: float
    p95_ms: float
    mean_items: float  # nodes of a graph answer, items of a list: how much each answer held
    capped: int  # answers that said they were cut at the API's limit


def percentile(samples: list[float], share: float) -> float:
    """The `share`-quantile (0..1) by nearest rank."""
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def time_endpoint(client: TestClient, draw: Draw, requests: int, warmups: int) -> EndpointStats:
    """Call `draw(i)` `requests` times after `warmups` untimed calls (first traversals compile
    and fill caches) and time each call. Empty parameters are not sent: httpx would drop the
    query written into the path."""
    for i in range(warmups):
        path, params = draw(i)
        client.get(path, params=params or None)
    latencies: list[float] = []
    items: list[int] = []
    errors = capped = 0
    for i in range(requests):
        path, params = draw(i)
        began = time.perf_counter()
        response = client.get(path, params=params or None)
        latencies.append((time.perf_counter() - began) * 1000)
        errors += response.status_code != 200
        body = response.json() if response.status_code == 200 else {}
        items.append(len(body.get("nodes", body.get("items", []))))
        capped += bool(body.get("capped"))
    return EndpointStats(
        requests,
        errors,
        percentile(latencies, 0.5),
        percentile(latencies, 0.95),
        statistics.fmean(items),
        capped,
    )


@contextmanager
def _read_api(url: str) -> Iterator[TestClient]:
    """The consumer's app on the graph at `url`, in process; its graph connection closed after."""
    from fastapi.testclient import TestClient

    from lambdas.consumer.app import create_app
    from lambdas.consumer.config import ReadApiConfig
    from lambdas.consumer.gc_tuning import freeze_startup_objects

    # No answer cache: this stage times the traversals; repeated views are timed, cache and
    # all, by the concurrency stage (lineage_bench.read_concurrency).
    app = create_app(config=ReadApiConfig(graph_url=url, cache_entries=0))
    # As the Lambda handler and `lineage serve` do once their app is built.
    freeze_startup_objects()
    try:
        with TestClient(app) as client:
            yield client
    finally:
        app.state.graph_client.close()


def sample_targets(url: str) -> dict[str, list[str]]:
    """Datasets per layer, columns, jobs and plans to ask for, sampled from the graph at `url`."""
    from gremlin_python.driver.driver_remote_connection import DriverRemoteConnection
    from gremlin_python.process.anonymous_traversal import traversal

    connection = DriverRemoteConnection(url, "g")
    try:
        g = traversal().with_remote(connection)
        found: dict[str, list[str]] = {}
        for layer in ("curated", "aggregated"):
            uris = g.V().has_label("Dataset").has("layer", layer).limit(400).values("uri").to_list()
            found[layer] = [str(u) for u in uris[::20]]
        columns: list[str] = []
        for uri in found["aggregated"][:10] + found["curated"][:10]:
            names = g.V().has_label("Column").has("dataset_uri", uri).limit(1).values("name")
            columns.extend(f"{uri}#{n}" for n in names.to_list())
        found["columns"] = columns
        found["jobs"] = [
            str(j) for j in g.V().has_label("Job").limit(200).values("name").to_list()
        ][::10]
        found["plans"] = [
            str(p) for p in g.V().has_label("Plan").limit(200).values("plan_id").to_list()
        ][::10]
        return found
    finally:
        connection.close()


def rare_query(uri: str) -> str:
    """A search a user types for one dataset: the last segment of its URI."""
    return uri.rstrip("/").rsplit("/", 1)[-1]


def _sampled_endpoints(samples: dict[str, list[str]]) -> dict[str, Draw]:
    """`lineage bench`'s requests: each endpoint cycling over targets sampled from the graph."""
    datasets = samples["curated"] + samples["aggregated"]
    jobs, plans, columns = samples["jobs"], samples["plans"], samples["columns"]

    def column(i: int) -> Request:
        uri, name = columns[i % len(columns)].rsplit("#", 1)
        return "/columns/lineage", {"uri": uri, "column": name, "direction": "both", "depth": 5}

    return {
        "overview": lambda _i: ("/overview", {"limit": 500}),
        "jobs": lambda _i: ("/jobs", {"limit": 100}),
        "job_detail": lambda i: (f"/jobs/{quote(jobs[i % len(jobs)])}", {}),
        "runs": lambda i: ("/runs", {"job": jobs[i % len(jobs)], "limit": 50}),
        # The UI's Runs page without a job: every job's runs, newest first.
        "runs_all_jobs": lambda _i: ("/runs", {"limit": 200}),
        "plan": lambda i: (f"/plans/{plans[i % len(plans)]}", {}),
        "dataset_search": lambda _i: ("/datasets", {"q": "orders", "limit": 50}),
        # A name typed in full matches a handful of datasets: the search cannot stop early.
        "dataset_search_rare": lambda i: (
            "/datasets",
            {"q": rare_query(datasets[i % len(datasets)]), "limit": 50},
        ),
        "dataset_lineage_depth5": lambda i: (
            "/datasets/lineage",
            {"uri": datasets[i % len(datasets)], "direction": "both", "depth": 5},
        ),
        "column_lineage_depth5": column,
        # The UI's status line, on every page load.
        "status_counts": lambda _i: ("/status", {"counts": "true"}),
    }


def measure_endpoints(
    url: str, requests: int, say: Callable[[str], None] = lambda _m: None
) -> dict[str, EndpointStats]:
    """p50/p95 of each read endpoint against the graph at `url` (targets sampled from it)."""
    samples = sample_targets(url)
    if not all(samples[k] for k in ("jobs", "plans", "columns")) or not (
        samples["curated"] + samples["aggregated"]
    ):
        raise StageError(f"the graph at {url} holds too little to sample (datasets, jobs, plans)")
    results: dict[str, EndpointStats] = {}
    with _read_api(url) as client:
        for name, draw in _sampled_endpoints(samples).items():
            results[name] = stats = time_endpoint(client, draw, requests, warmups=2)
            say(
                f"read API {name}: p50 {stats.p50_ms:.1f} ms, "
                f"p95 {stats.p95_ms:.1f} ms, {stats.errors} errors"
            )
    return results


def _generated_endpoints(lake: Lake, rng: random.Random) -> dict[str, Draw]:
    """The standalone run's requests: every endpoint, targets drawn at random from the lake."""
    top = [u for tier in (5, 6) for u in lake.datasets[tier]]
    raw = lake.datasets[0]
    every = [u for tier in lake.datasets for u in tier]

    def column(uri: str, direction: str) -> Request:
        params = {"uri": uri, "column": rng.choice(COLUMNS), "direction": direction, "depth": 5}
        return "/columns/lineage", params

    return {
        "status": lambda _i: ("/status", {}),
        "status?counts=true": lambda _i: ("/status", {"counts": "true"}),
        "overview (500 jobs)": lambda _i: ("/overview", {"limit": 500}),
        "jobs": lambda _i: ("/jobs", {"limit": 500}),
        "jobs/{name}": lambda _i: (f"/jobs/{rng.choice(lake.jobs)}", {}),
        "runs?job=": lambda _i: ("/runs", {"job": rng.choice(lake.jobs)}),
        "runs?status=FAILED&limit=100": lambda _i: ("/runs", {"status": "FAILED", "limit": 100}),
        "plans/{id}": lambda _i: (f"/plans/{rng.choice(lake.plans)}", {}),
        "datasets?q=": lambda _i: ("/datasets", {"q": rng.choice(every)[-4:], "limit": 50}),
        "datasets/detail": lambda _i: ("/datasets/detail", {"uri": rng.choice(top)}),
        "datasets/lineage upstream depth 5": lambda _i: (
            "/datasets/lineage",
            {"uri": rng.choice(top), "direction": "upstream", "depth": 5},
        ),
        "datasets/lineage downstream depth 5": lambda _i: (
            "/datasets/lineage",
            {"uri": rng.choice(raw), "direction": "downstream", "depth": 5},
        ),
        "datasets/lineage both depth 2": lambda _i: (
            "/datasets/lineage",
            {"uri": rng.choice(lake.datasets[3]), "direction": "both", "depth": 2},
        ),
        "columns/lineage upstream depth 5": lambda _i: column(rng.choice(top), "upstream"),
        "columns/lineage downstream depth 5": lambda _i: column(rng.choice(raw), "downstream"),
    }


def import_time(runs: int = 5) -> dict[str, float]:
    """Medians over fresh interpreters: wall and CPU ms to import the Lambda handler, and the
    extra CPU ms gremlinpython costs on the first request. CPU time is the steadier figure on a
    shared machine; wall time is what a cold start waits."""
    code = (
        "import time; w, c = time.perf_counter(), time.process_time(); "
        "import lambdas.consumer.handler; "
        "w1, c1 = time.perf_counter(), time.process_time(); "
        "import gremlin_python.driver.client, gremlin_python.process.graph_traversal; "
        "print((w1 - w) * 1000, (c1 - c) * 1000, (time.process_time() - c1) * 1000)"
    )
    samples: dict[str, list[float]] = {"wall": [], "cpu": [], "gremlin_cpu": []}
    for _ in range(runs):
        out = subprocess.run(
            [sys.executable, "-c", code], check=True, capture_output=True, text=True
        ).stdout.split()
        for key, value in zip(samples, out, strict=True):
            samples[key].append(float(value))
    return {key: statistics.median(values) for key, values in samples.items()}


def _load(url: str, build: str) -> None:
    from loader import LocalTarget, run_load

    clear_graph(url)
    started = time.perf_counter()
    report = run_load(build, LocalTarget(url=url))
    if not report.succeeded:
        raise SystemExit(report.summary())
    print(f"loaded in {time.perf_counter() - started:.1f} s")


def main() -> None:
    """Generate, load and time every endpoint; print a Markdown table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--plans", type=int, default=10_000, help="plans to generate")
    parser.add_argument("--requests", type=int, default=60, help="timed calls per endpoint")
    parser.add_argument("--heap", default="4g", help="Gremlin Server heap")
    parser.add_argument("--url", help="use this Gremlin endpoint instead of starting a server")
    parser.add_argument("--no-load", action="store_true", help="graph already loaded (with --url)")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    print(f"machine: {summary_line()}")
    cold = import_time()
    print(
        f"import lambdas.consumer.handler (median of 5 fresh interpreters): "
        f"{cold['wall']:.0f} ms wall, {cold['cpu']:.0f} ms CPU; "
        f"gremlinpython on the first request: +{cold['gremlin_cpu']:.0f} ms CPU"
    )
    figures: dict[str, EndpointStats] = {}
    with tempfile.TemporaryDirectory(prefix="api-bench-build-") as build:
        started = time.perf_counter()
        lake = generate(args.plans, Path(build), args.seed)
        print(
            f"generated {len(lake.plans)} plans, {len(lake.jobs)} jobs, "
            f"{sum(map(len, lake.datasets))} datasets: {lake.rows} rows "
            f"in {time.perf_counter() - started:.1f} s"
        )
        with nullcontext(args.url) if args.url else graph_server(args.heap) as url:
            if not args.no_load:
                _load(url, build)
            rng = random.Random(args.seed)
            with _read_api(url) as client:
                for label, draw in _generated_endpoints(lake, rng).items():
                    figures[label] = stats = time_endpoint(client, draw, args.requests, 3)
                    print(
                        f"  {label:40s} p50 {stats.p50_ms:7.1f} ms  p95 {stats.p95_ms:7.1f} ms",
                        flush=True,
                    )
    print()
    title = f"endpoint ({len(lake.plans):,} plans, {args.requests} calls)"
    print(f"| {title} | p50 ms | p95 ms | mean nodes/items | capped |")
    print("|---|---|---|---|---|")
    for label, f in figures.items():
        print(f"| {label} | {f.p50_ms:.1f} | {f.p95_ms:.1f} | {f.mean_items:.0f} | {f.capped} |")
    failed = {label: f.errors for label, f in figures.items() if f.errors}
    if failed:
        raise SystemExit(f"answers other than 200: {failed}")


if __name__ == "__main__":
    main()
