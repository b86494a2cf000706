"""Listings from the catalog shards answer what a whole-label scan answers, in catalog order.

A generated graph (jobs and datasets with awkward names: shared stems, upper case, separators,
non-ASCII; runs spread over hours, some in one millisecond, some with no job, some whose start a
later payload moved) is loaded once into a real Gremlin Server; for any query, the search, the
job list and the run list the read API runs are compared with a `V().hasLabel(...)` scan of every
match, put in the listing's order, cut at the limit.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator

import pytest
from api_graph import Lake, load_lake, run_started
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lambdas.consumer.app import create_app
from lambdas.consumer.datasets import search_datasets
from lambdas.consumer.graph_client import GraphClient
from lambdas.consumer.jobs import list_jobs
from lambdas.consumer.runs import list_runs
from lineage import graph_schema as gs
from lineage.catalog import catalog_rows, run_hour_shard, shard_of

pytestmark = pytest.mark.graph

RUNS = 400
RUNS_FROM = dt.datetime(2026, 11, 28, 22, 0, tzinfo=dt.UTC)
RUN_SPAN_MS = 3 * 86_400_000
STEMS = ["orders", "Orders", "cust", "rev_daily", "ÄÖ", "a.b", "x-y", "sales2026", "o"]
LAYERS = ["raw", "curated", "aggregated"]


def _status(rng: random.Random) -> str:
    return rng.choice(["SUCCEEDED", "SUCCEEDED", "FAILED"])


def _generated(seed: int) -> tuple[Lake, list[str]]:
    rng = random.Random(seed)
    lake = Lake()
    words: list[str] = []
    for i in range(240):
        name = "_".join(rng.sample(STEMS, rng.randint(1, 3))) + f"{i % 7}"
        uri = f"s3://{rng.choice(['lake', 'Lake2'])}/{rng.choice(LAYERS)}/{name}/{i}"
        # Some names are not in the URI (a catalog table's): a search must match them too.
        shown = name if rng.random() < 0.7 else f"qx_db.T{i}Ω"
        words += [shown, uri]
        lake.add(
            gs.DatasetVertex(
                uri=uri, name=shown, format="parquet", layer=rng.choice(LAYERS), catalog_table=None
            )
        )
    jobs = []
    for i in range(120):
        job = gs.JobVertex(name=f"{rng.choice(STEMS)}-{i:03d}", glue_job_name=None)
        jobs.append(job)
        lake.add(job)
    for i in range(RUNS):
        # Some runs share a start millisecond, so the tie order (by id) is tested too.
        started = RUNS_FROM + dt.timedelta(milliseconds=rng.choice([0, rng.randrange(RUN_SPAN_MS)]))
        run = run_started(f"plan-{i}", started, rng.choice([1_500, 7_200_000]), _status(rng))
        if rng.random() < 0.1:
            # An earlier payload gave this run another start (another duration): its catalog
            # rows stay in the graph, as a load never removes rows; the listing must ignore them.
            # An earlier start, or a later one when the stored run lasted hours.
            longer = rng.randint(1, 30) * 3_600_000 + run.duration_ms
            other = 0 if run.duration_ms > 3_600_000 and rng.random() < 0.5 else longer
            began = run.ended_at - dt.timedelta(milliseconds=other)
            moved = run_started(run.plan_id, began, other, _status(rng))
            assert moved.id == run.id and run_hour_shard(moved) != run_hour_shard(run)
            lake.rows += [r for r in catalog_rows(moved) if r not in lake.rows]
        lake.add(run)
        if rng.random() < 0.9:  # else the inner half of a statement: no job lists it
            lake.rows.append(gs.HasRunEdge(rng.choice(jobs).id, run.id))
    # Not listed, so a scan and a catalog walk could differ if the walk leaked past members.
    lake.rows.append(gs.ColumnVertex(dataset_uri="s3://lake/raw/orders", name="o", data_type=None))
    return lake, words


@pytest.fixture(scope="module")
def graph(gremlin_server: str) -> Iterator[tuple[GraphClient, list[str]]]:
    lake, words = _generated(seed=11)
    load_lake(gremlin_server, lake)
    app = create_app(gremlin_server)
    client: GraphClient = app.state.graph_client
    try:
        yield client, words
    finally:
        client.close()


def _in_catalog_order(ids: list[str], limit: int) -> tuple[list[str], bool]:
    """What a listing of `ids` shows: the first `limit` by (shard, id), in id order, and capped."""
    ordered = sorted(ids, key=lambda i: (shard_of(i), i))
    return sorted(ordered[:limit]), len(ids) > limit


def _scan(client: GraphClient, q: str, layer: str | None) -> list[str]:
    """Every matching dataset id, by a scan of the `Dataset` label (the search before catalogs)."""
    from gremlin_python.process.graph_traversal import __
    from gremlin_python.process.traversal import TextP

    t = client.source().V().has_label(gs.VertexLabel.DATASET)
    if q:
        needles = list(dict.fromkeys([q, q.lower()]))
        t = t.or_(*[__.has(key, TextP.containing(n)) for n in needles for key in ("uri", "name")])
    if layer:
        t = t.has("layer", layer)
    return [str(i) for i in client.run(t.id_())]


@st.composite
def queries(draw: st.DrawFn, words: list[str]) -> str:
    word = draw(st.sampled_from(words))
    start = draw(st.integers(0, len(word)))
    end = draw(st.integers(start, len(word)))
    return draw(st.sampled_from([word[start:end], word[start:end].upper(), ""])) or draw(
        st.text(max_size=4)
    )


@settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_search_answers_the_label_scans_matches_in_catalog_order(
    graph: tuple[GraphClient, list[str]], data: st.DataObject
) -> None:
    client, words = graph
    q = data.draw(queries(words), label="q")
    layer = data.draw(st.sampled_from([None, *LAYERS]), label="layer")
    limit = data.draw(st.integers(1, 300), label="limit")
    shown, capped = _in_catalog_order(_scan(client, q, layer), limit)
    new = search_datasets(client, q, layer, limit)
    assert [item.id for item in new.items] == shown
    assert new.capped == capped


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(limit=st.integers(1, 150))
def test_job_list_is_the_first_jobs_in_catalog_order(
    graph: tuple[GraphClient, list[str]], limit: int
) -> None:
    client, _ = graph
    ids = [str(i) for i in client.run(client.source().V().has_label(gs.VertexLabel.JOB).id_())]
    shown, capped = _in_catalog_order(ids, limit)
    listed = list_jobs(client, limit)
    assert [gs.job_id(j.name) for j in listed.items] == shown
    assert listed.capped == capped


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_run_list_without_a_job_is_the_newest_runs_of_a_label_scan(
    graph: tuple[GraphClient, list[str]], data: st.DataObject
) -> None:
    from gremlin_python.process.graph_traversal import __

    client, _ = graph
    status = data.draw(st.sampled_from([None, "FAILED", "SUCCEEDED", "RUNNING"]), label="status")
    window = st.none() | st.integers(-3_600_000, RUN_SPAN_MS + 3_600_000).map(
        lambda ms: RUNS_FROM + dt.timedelta(milliseconds=ms)
    )
    since, until = data.draw(window, label="since"), data.draw(window, label="until")
    limit = data.draw(st.integers(1, RUNS), label="limit")
    scan = client.run(
        client.source()
        .V()
        .has_label(gs.VertexLabel.RUN)
        .where(__.in_(gs.EdgeLabel.HAS_RUN))
        .project("id", "status", "ms")
        .by(__.id_())
        .by("status")
        .by("started_at_ms")
    )
    matches = sorted(
        (
            r
            for r in scan
            if (status is None or r["status"] == status)
            and (since is None or r["ms"] >= since.timestamp() * 1000)
            and (until is None or r["ms"] < until.timestamp() * 1000)
        ),
        key=lambda r: (-r["ms"], r["id"]),
    )
    listed = list_runs(client, None, since, until, status, limit)
    assert [item.id for item in listed.items] == [r["id"] for r in matches[:limit]]
    assert listed.capped == (len(matches) > limit)


def test_counts_come_from_the_catalogs(graph: tuple[GraphClient, list[str]]) -> None:
    from gremlin_python.process.graph_traversal import __

    from lambdas.consumer.catalogs import label_counts

    client, _ = graph
    runs = client.run(
        client.source().V().has_label(gs.VertexLabel.RUN).where(__.in_("HAS_RUN")).count()
    )[0]
    assert 0 < runs < RUNS
    assert label_counts(client, 100_000) == {"Job": 120, "Dataset": 240, "Plan": 0, "Run": runs}
    assert label_counts(client, 50) == {"Job": 50, "Dataset": 50, "Plan": 0, "Run": 50}
