"""Many clients at once on the UI's request mix, against a real `lineage serve` process.

`lineage serve` runs as its own process (its default workers, its graph connection pools) over
the loaded graph. N client threads (each one keep-alive connection, like a browser tab) cycle for
a fixed time through the UI's requests: overview, dataset search, a dataset's lineage both ways,
column lineage, a job, its runs, a plan, and the lineage of the biggest hub datasets. Clients
behave as browsers do: they keep each answer's ETag and send `If-None-Match` when they ask again,
so repeated views are 304s. The figures are throughput and p50/p95/p99 and errors per endpoint,
and the latency of answers the server had to compute (`x-lineage-cache: miss`) apart from cached
ones.
"""

from __future__ import annotations

import random
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlencode

from lineage_bench.errors import StageError
from lineage_bench.machine import stop_process
from lineage_bench.read_api import percentile, rare_query

__all__ = [
    "ClientRun",
    "drive",
    "hub_datasets",
    "measure_concurrency",
    "request_mix",
    "served_api",
    "summarize",
]

Say = Callable[[str], None]


@dataclass
class ClientRun:
    """What the clients of one run saw, per endpoint."""

    seconds: float
    latencies_ms: dict[str, list[float]] = field(default_factory=dict)
    errors: dict[str, int] = field(default_factory=dict)
    computed_ms: list[float] = field(default_factory=list)  # answers the server computed
    cached_ms: list[float] = field(default_factory=list)  # answers from its cache (200 or 304)

    def all_latencies(self) -> list[float]:
        """Every request's latency."""
        return [v for values in self.latencies_ms.values() for v in values]

    def requests(self) -> int:
        """Requests completed (errors included)."""
        return len(self.all_latencies())


def hub_datasets(url: str, count: int) -> list[str]:
    """The URIs of the `count` datasets read by the most plans (the biggest lineage answers)."""
    from gremlin_python.driver.driver_remote_connection import DriverRemoteConnection
    from gremlin_python.process.anonymous_traversal import traversal
    from gremlin_python.process.graph_traversal import __
    from gremlin_python.process.traversal import Order

    from lineage.graph_schema import EdgeLabel, VertexLabel

    connection = DriverRemoteConnection(url, "g")
    try:
        g = traversal().with_remote(connection)
        rows = (
            g.V()
            .has_label(VertexLabel.DATASET)
            .project("uri", "n")
            .by("uri")
            .by(__.in_(EdgeLabel.READS).count())
            .order()
            .by("n", Order.desc)
            .limit(count)
            .to_list()
        )
        return [str(r["uri"]) for r in rows]
    finally:
        connection.close()


def request_mix(samples: dict[str, list[str]], hubs: list[str]) -> list[tuple[str, str]]:
    """(endpoint, path with query) of the UI's views over the sampled targets."""
    datasets = samples["curated"] + samples["aggregated"]
    mix: list[tuple[str, str]] = [
        ("overview", "/api/overview?limit=500"),
        ("dataset_search", "/api/datasets?" + urlencode({"q": "orders", "limit": 50})),
    ]
    for uri in datasets[:4]:
        query = urlencode({"q": rare_query(uri), "limit": 50})
        mix.append(("dataset_search_rare", f"/api/datasets?{query}"))
    for uri in datasets:
        for direction in ("upstream", "downstream"):
            query = urlencode({"uri": uri, "direction": direction, "depth": 3})
            mix.append((f"dataset_lineage_{direction}", f"/api/datasets/lineage?{query}"))
    for uri in hubs:
        query = urlencode({"uri": uri, "direction": "both", "depth": 3})
        mix.append(("dataset_lineage_hub", f"/api/datasets/lineage?{query}"))
    for target in samples["columns"]:
        uri, name = target.rsplit("#", 1)
        query = urlencode({"uri": uri, "column": name, "direction": "both", "depth": 3})
        mix.append(("column_lineage", f"/api/columns/lineage?{query}"))
    for job in samples["jobs"]:
        mix.append(("job", f"/api/jobs/{quote(job, safe='')}"))
        mix.append(("runs", "/api/runs?" + urlencode({"job": job, "limit": 50})))
    for plan in samples["plans"]:
        mix.append(("plan", f"/api/plans/{quote(plan, safe='')}"))
    return mix


@contextmanager
def served_api(graph_url: str, say: Say) -> Iterator[str]:
    """A `lineage serve` process over `graph_url` on a free port; its base URL."""
    import httpx

    from local_neptune.ports import free_port

    port = free_port()
    with tempfile.TemporaryDirectory(prefix="read-bench-") as lake:
        process = subprocess.Popen(
            [sys.executable, "-m", "lineage_cli.main", "serve", "--lake", lake,
             "--port", str(port), "--graph", graph_url, "--no-access-log"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while True:
                if process.poll() is not None:
                    raise StageError("lineage serve exited before answering")
                try:
                    if httpx.get(f"{base}/api/status", timeout=2).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline:
                    raise StageError("lineage serve did not answer /api/status within 60 s")
                time.sleep(0.2)
            say(f"read concurrency: lineage serve (pid {process.pid}) at {base}")
            yield base
        finally:
            stop_process(process, timeout_s=15)


def _client_order(mix: list[tuple[str, str]], rng: random.Random) -> list[tuple[str, str]]:
    """One client's requests: every view in turn (as a user moves between them), each view's
    targets in a random order, so every endpoint is asked from the first requests on."""
    groups: dict[str, list[tuple[str, str]]] = {}
    for item in mix:
        groups.setdefault(item[0], []).append(item)
    lanes = list(groups.values())
    for lane in lanes:
        rng.shuffle(lane)
    rng.shuffle(lanes)
    longest = max(len(lane) for lane in lanes)
    return [lane[i % len(lane)] for i in range(longest) for lane in lanes]


def drive(
    base: str, mix: list[tuple[str, str]], clients: int, seconds: float, seed: int
) -> ClientRun:
    """`clients` threads, each one keep-alive connection, through `mix` for `seconds`."""
    import httpx

    run = ClientRun(seconds=seconds)
    lock = threading.Lock()
    stop_at = time.perf_counter() + seconds

    def client(index: int) -> None:
        order = _client_order(mix, random.Random(seed * 1000 + index))
        tags: dict[str, str] = {}
        latencies: dict[str, list[float]] = {}
        errors: dict[str, int] = {}
        computed: list[float] = []
        cached: list[float] = []
        with httpx.Client(base_url=base, timeout=30) as http:
            i = 0
            while time.perf_counter() < stop_at:
                endpoint, path = order[i % len(order)]
                i += 1
                headers = {"If-None-Match": tags[path]} if path in tags else {}
                began = time.perf_counter()
                try:
                    response = http.get(path, headers=headers)
                    response.read()
                    status = response.status_code
                except httpx.HTTPError:
                    status = 0
                elapsed = (time.perf_counter() - began) * 1000
                latencies.setdefault(endpoint, []).append(elapsed)
                if status not in (200, 304):
                    errors[endpoint] = errors.get(endpoint, 0) + 1
                    continue
                if status == 200 and "etag" in response.headers:
                    tags[path] = response.headers["etag"]
                state = response.headers.get("x-lineage-cache", "miss")
                (cached if state == "hit" else computed).append(elapsed)
        with lock:
            for endpoint, values in latencies.items():
                run.latencies_ms.setdefault(endpoint, []).extend(values)
            for endpoint, count in errors.items():
                run.errors[endpoint] = run.errors.get(endpoint, 0) + count
            run.computed_ms.extend(computed)
            run.cached_ms.extend(cached)

    threads = [threading.Thread(target=client, args=(n,), daemon=True) for n in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(seconds + 60)
    return run


def summarize(run: ClientRun) -> dict[str, Any]:
    """Throughput and percentiles of a run, overall and per endpoint."""
    every = run.all_latencies()
    if not every:
        raise StageError("no request completed")
    per = {
        endpoint: {
            "requests": len(values),
            "errors": run.errors.get(endpoint, 0),
            "p50_ms": percentile(values, 0.50),
            "p95_ms": percentile(values, 0.95),
            "p99_ms": percentile(values, 0.99),
        }
        for endpoint, values in sorted(run.latencies_ms.items())
    }
    return {
        "requests_per_s": len(every) / run.seconds,
        "errors": sum(run.errors.values()),
        "p50_ms": percentile(every, 0.50),
        "p95_ms": percentile(every, 0.95),
        "p99_ms": percentile(every, 0.99),
        "computed": len(run.computed_ms),
        "computed_p95_ms": percentile(run.computed_ms, 0.95) if run.computed_ms else 0.0,
        "cached_p95_ms": percentile(run.cached_ms, 0.95) if run.cached_ms else 0.0,
        "endpoints": per,
    }


def measure_concurrency(
    graph_url: str, clients: tuple[int, ...], seconds: float, say: Say, seed: int = 1
) -> dict[int, dict[str, Any]]:
    """`summarize` of one run per client count, against one `lineage serve` over `graph_url`."""
    from lineage_bench.read_api import sample_targets

    samples = sample_targets(graph_url)
    hubs = hub_datasets(graph_url, 5)
    mix = request_mix(samples, hubs)
    results: dict[int, dict[str, Any]] = {}
    with served_api(graph_url, say) as base:
        for count in clients:
            figures = results[count] = summarize(drive(base, mix, count, seconds, seed))
            say(
                f"read concurrency {count} clients: {figures['requests_per_s']:.0f} req/s, "
                f"p50 {figures['p50_ms']:.1f} ms, p95 {figures['p95_ms']:.1f} ms, "
                f"p99 {figures['p99_ms']:.1f} ms, {figures['errors']} errors "
                f"({figures['computed']} answers computed, p95 {figures['computed_p95_ms']:.1f} ms)"
            )
    return results
