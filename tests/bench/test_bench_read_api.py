"""The read API bench's timer: what it counts as an answer, an error and a capped answer."""

from __future__ import annotations

import pytest
from fastapi import FastAPI, HTTPException
from fastapi.testclient import TestClient

from lineage_bench.read_api import percentile, time_endpoint

pytestmark = pytest.mark.unit


def _app() -> tuple[FastAPI, list[str]]:
    app = FastAPI()
    seen: list[str] = []

    @app.get("/lineage")
    def lineage(uri: str, depth: int = 1) -> dict[str, object]:
        seen.append(uri)
        if uri == "s3://lake/missing":
            raise HTTPException(status_code=404)
        return {"nodes": list(range(depth)), "capped": depth > 3}

    return app, seen


def test_every_timed_call_sends_its_query_and_is_counted() -> None:
    app, seen = _app()
    uris = ["s3://lake/a b", "s3://lake/c&d"]
    with TestClient(app) as client:
        stats = time_endpoint(
            client, lambda i: ("/lineage", {"uri": uris[i % 2], "depth": 2 + i % 2}), 6, 2
        )
    assert seen == [uris[i % 2] for i in range(2)] + [uris[i % 2] for i in range(6)]
    assert (stats.requests, stats.errors, stats.capped) == (6, 0, 0)
    assert stats.mean_items == 2.5  # depth 2 and 3 answers in turn
    assert 0 < stats.p50_ms <= stats.p95_ms


def test_failed_and_capped_answers_are_counted_apart() -> None:
    app, _seen = _app()

    def draw(i: int) -> tuple[str, dict[str, object]]:
        uri = "s3://lake/missing" if i % 3 == 0 else "s3://lake/a"
        return "/lineage", {"uri": uri, "depth": 5}

    with TestClient(app) as client:
        stats = time_endpoint(client, draw, 9, 0)
    assert stats.errors == 3
    assert stats.capped == 6
    assert stats.mean_items == pytest.approx(5 * 6 / 9)  # a failed answer holds nothing


def test_a_query_written_into_the_path_is_kept() -> None:
    # httpx drops a path's query when given empty params: the timer must not pass them.
    app, seen = _app()
    with TestClient(app) as client:
        stats = time_endpoint(client, lambda _i: ("/lineage?uri=s3%3A%2F%2Flake%2Fq", {}), 2, 1)
    assert stats.errors == 0
    assert seen == ["s3://lake/q"] * 3


@pytest.mark.parametrize(
    ("samples", "share", "expected"),
    [
        ([5.0], 0.95, 5.0),
        ([4.0, 1.0, 3.0, 2.0], 0.5, 2.0),
        ([float(i) for i in range(100)], 0.95, 94.0),
    ],
)
def test_percentile_is_the_nearest_rank(
    samples: list[float], share: float, expected: float
) -> None:
    assert percentile(samples, share) == expected
