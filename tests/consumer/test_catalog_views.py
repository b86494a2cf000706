"""Listings from the catalog shards answer exactly what the whole-label scans they replace did.

A generated graph (jobs and datasets with awkward names: shared stems, upper case, separators,
non-ASCII) is loaded once into a real Gremlin Server; for any query, the search and the job list
the read API runs now are compared with the `V().hasLabel(...)` traversals it ran before.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from typing import Any

import pytest
from api_graph import Lake, load_lake
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lambdas.consumer.app import create_app
from lambdas.consumer.datasets import search_datasets
from lambdas.consumer.graph_client import GraphClient
from lambdas.consumer.jobs import list_jobs
from lineage import graph_schema as gs

pytestmark = pytest.mark.graph

STEMS = ["orders", "Orders", "cust", "rev_daily", "ÄÖ", "a.b", "x-y", "sales2026", "o"]
LAYERS = ["raw", "curated", "aggregated"]


def _generated(seed: int) -> tuple[Lake, list[str]]:
    rng = random.Random(seed)
    lake = Lake()
    words: list[str] = []
    for i in range(240):
        name = "_".join(rng.sample(STEMS, rng.randint(1, 3))) + f"{i % 7}"
        uri = f"s3://{rng.choice(['lake', 'Lake2'])}/{rng.choice(LAYERS)}/{name}/{i}"
        words += [name, uri]
        lake.add(
            gs.DatasetVertex(
                uri=uri, name=name, format="parquet", layer=rng.choice(LAYERS), catalog_table=None
            )
        )
    for i in range(120):
        lake.add(gs.JobVertex(name=f"{rng.choice(STEMS)}-{i:03d}", glue_job_name=None))
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


def _old_search(client: GraphClient, q: str, layer: str | None, limit: int) -> list[Any]:
    """The search as it ran before catalogs: a scan of the `Dataset` label."""
    from gremlin_python.process.graph_traversal import __
    from gremlin_python.process.traversal import T, TextP

    t = client.source().V().has_label(gs.VertexLabel.DATASET)
    if q:
        needles = list(dict.fromkeys([q, q.lower()]))
        t = t.or_(*[__.has(key, TextP.containing(n)) for n in needles for key in ("uri", "name")])
    if layer:
        t = t.has("layer", layer)
    return list(client.run(t.order().by(T.id).limit(limit + 1).id_()))


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
def test_search_answers_what_the_label_scan_answered(
    graph: tuple[GraphClient, list[str]], data: st.DataObject
) -> None:
    client, words = graph
    q = data.draw(queries(words), label="q")
    layer = data.draw(st.sampled_from([None, *LAYERS]), label="layer")
    limit = data.draw(st.integers(1, 300), label="limit")
    old = _old_search(client, q, layer, limit)
    new = search_datasets(client, q, layer, limit)
    assert [item.id for item in new.items] == old[:limit]
    assert new.capped == (len(old) > limit)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(limit=st.integers(1, 150))
def test_job_list_is_the_first_jobs_by_id(graph: tuple[GraphClient, list[str]], limit: int) -> None:
    from gremlin_python.process.traversal import T

    client, _ = graph
    scan = client.source().V().has_label(gs.VertexLabel.JOB).order().by(T.id).values("name")
    names = [str(n) for n in client.run(scan)]
    listed = list_jobs(client, limit)
    assert [j.name for j in listed.items] == names[:limit]
    assert listed.capped == (len(names) > limit)


def test_counts_come_from_the_catalogs(graph: tuple[GraphClient, list[str]]) -> None:
    from lambdas.consumer.catalogs import label_counts

    client, _ = graph
    assert label_counts(client, 100_000) == {"Job": 120, "Dataset": 240, "Plan": 0, "Run": 0}
    assert label_counts(client, 50) == {"Job": 50, "Dataset": 50, "Plan": 0, "Run": 0}
