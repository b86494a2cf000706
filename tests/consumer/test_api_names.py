"""Any job name the producer accepts can be asked for: `/` inside names, long names, dot names.

The read API runs over a graph address where nothing listens, so a request that reaches its
route answers 503 (graph unavailable), and one the routing or the bounds refuse answers 404/400:
what is checked here is which requests reach the job view, not the graph's answer.
"""

from __future__ import annotations

from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient

from lambdas.consumer.app import create_app
from lambdas.consumer.config import MAX_NAME_CHARS
from local_neptune.ports import free_port

pytestmark = pytest.mark.unit


@pytest.fixture(scope="module")
def api() -> TestClient:
    return TestClient(create_app(f"ws://127.0.0.1:{free_port()}/gremlin"))


@pytest.mark.parametrize(
    "name",
    ["etl/daily", "/leading", "trailing/", "a//b", "x" * 600, "é/" * 3000, "a?b#c%d", "a/../b"],
)
def test_names_with_slashes_and_long_names_reach_the_job_view(api: TestClient, name: str) -> None:
    answer = api.get("/jobs/" + quote(name, safe=""))
    assert answer.status_code == 503, answer.text[:300]
    assert answer.json()["error"] == "GraphUnavailable"


@pytest.mark.parametrize("name", [".", "..", "etl/daily", "x" * 20_000])
def test_the_query_form_takes_every_name(api: TestClient, name: str) -> None:
    assert api.get("/job", params={"name": name}).status_code == 503


def test_the_bound_is_what_the_graph_can_hold(api: TestClient) -> None:
    # httpx refuses URLs over 64 KiB, so the bound is read off the published contract.
    spec = api.get("/openapi.json").json()["paths"]
    (name,) = spec["/jobs/{name}"]["get"]["parameters"][:1]
    assert name["schema"]["maxLength"] == MAX_NAME_CHARS == 64 * 1024
    assert api.get("/jobs/").status_code in (400, 404)


@pytest.mark.parametrize("param", ["job", "column", "q"])
def test_long_names_are_accepted_as_query_parameters(api: TestClient, param: str) -> None:
    params = {param: "n" * 5000}
    path = {"job": "/runs", "column": "/columns/lineage", "q": "/datasets"}[param]
    if param == "column":
        params["uri"] = "s3://lake/x"
    assert api.get(path, params=params).status_code == 503


@pytest.mark.graph
@pytest.mark.parametrize("name", ["etl/daily", "..", "deep/" * 200 + "job", "ü" * 3000])
def test_a_listed_job_opens_by_its_name(gremlin_server: str, name: str) -> None:
    from gremlin_python.driver.driver_remote_connection import DriverRemoteConnection
    from gremlin_python.process.anonymous_traversal import traversal
    from gremlin_python.process.graph_traversal import __
    from gremlin_python.process.traversal import T

    from lineage import graph_schema as gs
    from lineage.catalog import catalog_rows

    connection = DriverRemoteConnection(gremlin_server, "g")
    g = traversal().with_remote(connection)
    g.V(gs.job_id(name)).drop().iterate()
    g.add_v("Job").property(T.id, gs.job_id(name)).property("name", name).iterate()
    # Listed the way a build lists it: by its catalog shard.
    shard, edge = catalog_rows(gs.JobVertex(name=name, glue_job_name=None))
    g.V(shard.id).fold().coalesce(
        __.unfold(), __.add_v("Catalog").property(T.id, shard.id)
    ).iterate()
    g.V(shard.id).add_e("CATALOGS").to(__.V(gs.job_id(name))).property(T.id, edge.id).iterate()
    try:
        app = create_app(gremlin_server)
        with TestClient(app) as client:
            listed = client.get("/jobs", params={"limit": 1000}).json()["items"]
            assert name in [item["name"] for item in listed]
            # What the UI requests: the name percent-encoded as one path segment, or the query
            # form for the two dot names.
            if name in (".", ".."):
                opened = client.get("/job", params={"name": name})
            else:
                opened = client.get("/jobs/" + quote(name, safe=""))
            assert opened.status_code == 200, opened.text[:300]
            assert opened.json()["job"]["name"] == name
        app.state.graph_client.close()
    finally:
        g.V(gs.job_id(name)).drop().iterate()
        connection.close()
