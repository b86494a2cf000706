"""Read API latency per endpoint, used when `benchmarks/api_bench.py` offers no `run()`.

Requests go through the real FastAPI app (`lambdas.consumer.app.create_app`) in process, so the
figures include routing, the traversals against the Gremlin Server and JSON encoding, but no TCP
hop. Sample ids are read from the loaded graph (the first ones TinkerGraph returns, which depend
only on the load order, so the same build gives the same samples).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import quote

__all__ = ["EndpointStats", "measure_endpoints"]


@dataclass(frozen=True, slots=True)
class EndpointStats:
    """Latency of one endpoint over `requests` calls."""

    requests: int
    errors: int
    p50_ms: float
    p95_ms: float
    mean_items: float  # nodes of a graph answer, items of a list: how much each answer held


def _percentile(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def _samples(url: str) -> dict[str, list[str]]:
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


def measure_endpoints(
    url: str, requests: int, say: Callable[[str], None] = lambda _m: None
) -> dict[str, EndpointStats]:
    """p50/p95 of each read endpoint against the graph at `url`."""
    from fastapi.testclient import TestClient

    from lambdas.consumer.app import create_app

    samples = _samples(url)
    datasets = samples["curated"] + samples["aggregated"]
    if not datasets or not samples["jobs"] or not samples["plans"] or not samples["columns"]:
        raise ValueError(f"the graph at {url} holds too little to sample (datasets, jobs, plans)")

    def column_path(i: int) -> str:
        uri, name = samples["columns"][i % len(samples["columns"])].rsplit("#", 1)
        return (
            f"/columns/lineage?uri={quote(uri, safe='')}&column={quote(name)}"
            "&direction=both&depth=5"
        )

    endpoints: dict[str, Callable[[int], str]] = {
        "overview": lambda _i: "/overview?limit=500",
        "jobs": lambda _i: "/jobs?limit=100",
        "job_detail": lambda i: f"/jobs/{quote(samples['jobs'][i % len(samples['jobs'])])}",
        "runs": lambda i: f"/runs?job={quote(samples['jobs'][i % len(samples['jobs'])])}&limit=50",
        "plan": lambda i: f"/plans/{samples['plans'][i % len(samples['plans'])]}",
        "dataset_search": lambda _i: "/datasets?q=orders&limit=50",
        "dataset_lineage_depth5": lambda i: (
            f"/datasets/lineage?uri={quote(datasets[i % len(datasets)], safe='')}"
            "&direction=both&depth=5"
        ),
        "column_lineage_depth5": column_path,
    }
    results: dict[str, EndpointStats] = {}
    with TestClient(create_app(url)) as client:
        for name, path in endpoints.items():
            for i in range(2):  # warm-up: first traversals compile and fill caches
                client.get(path(i))
            latencies: list[float] = []
            items: list[int] = []
            errors = 0
            for i in range(requests):
                began = time.perf_counter()
                response = client.get(path(i))
                latencies.append((time.perf_counter() - began) * 1000)
                errors += response.status_code != 200
                body = response.json() if response.status_code == 200 else {}
                items.append(len(body.get("nodes", body.get("items", []))))
            results[name] = EndpointStats(
                requests,
                errors,
                _percentile(latencies, 0.5),
                _percentile(latencies, 0.95),
                sum(items) / len(items),
            )
            say(
                f"read API {name}: p50 {results[name].p50_ms:.1f} ms, "
                f"p95 {results[name].p95_ms:.1f} ms, {errors} errors"
            )
    return results
