"""The read API's answers when the graph is unreachable or too slow: 503 and 504, never 500."""

from __future__ import annotations

import logging

import pytest
from fastapi.testclient import TestClient
from gremlin_python.process.graph_traversal import __
from gremlin_python.process.traversal import P

from lambdas.consumer.app import create_app
from lambdas.consumer.errors import GraphTimeout
from lambdas.consumer.graph_client import GraphClient
from local_neptune.ports import free_port


@pytest.mark.unit
@pytest.mark.parametrize(
    "path", ["/status", "/overview", "/jobs", "/datasets?q=x", "/datasets/lineage?uri=s3://b/k"]
)
def test_unreachable_graph_is_503_naming_it(path: str) -> None:
    url = f"ws://127.0.0.1:{free_port()}/gremlin"
    response = TestClient(create_app(url)).get(path)
    assert response.status_code == 503
    assert response.json()["error"] == "GraphUnavailable"
    assert url in response.json()["detail"]


@pytest.mark.graph
def test_slow_traversal_hits_the_server_side_timeout(gremlin_server: str) -> None:
    # gremlinpython logs the server's whole stack trace at ERROR; the test needs only the type.
    logging.getLogger("gremlinpython").setLevel(logging.CRITICAL)
    client = GraphClient(gremlin_server, timeout_ms=300)
    endless = client.source().inject(1).repeat(__.identity()).until(__.loops().is_(P.gt(10**9)))
    # The server's 598 normally; on a starved machine the client-side wait may fire first.
    with pytest.raises(GraphTimeout, match=r"timed out after 300 ms|gave no answer"):
        client.run(endless.count())
    # The connection stays usable for the next request.
    assert client.run(client.source().inject(41).math("_ + 1")) == [42.0]
    client.close()


@pytest.mark.graph
def test_graph_that_comes_back_is_used_again(gremlin_server: str) -> None:
    app = create_app(gremlin_server)
    api = TestClient(app)
    assert api.get("/status").status_code == 200
    app.state.graph_client.close()  # as after a network failure: next request reconnects
    assert api.get("/status").status_code == 200
    app.state.graph_client.close()
