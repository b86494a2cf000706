"""The local Gremlin Server behaves like Neptune where our code could tell the difference.

Each test talks to the real server (the session `gremlin_server`, or one of its own) with
gremlinpython, the client the read API and the loader use. Ids are unique per test because the
session server is shared with other test modules.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from gremlin_python.driver.client import Client
from gremlin_python.driver.protocol import GremlinServerError
from gremlin_python.process.graph_traversal import GraphTraversalSource, __
from gremlin_python.process.traversal import Cardinality, CardinalityValue, Merge, T

pytestmark = pytest.mark.graph


@pytest.fixture
def client(gremlin_server: str) -> Iterator[Client]:
    """A script client that, like most, names no language."""
    script_client = Client(gremlin_server, "g")
    try:
        yield script_client
    finally:
        script_client.close()


def _id(prefix: str) -> str:
    return f"{prefix}:{uuid.uuid4().hex}"


def test_string_id_and_set_cardinality(g: GraphTraversalSource) -> None:
    vid = _id("job")
    assert g.add_v("Job").property(T.id, vid).id_().next() == vid

    g.V(vid).property("tag", "raw").property("tag", "curated").iterate()
    assert sorted(g.V(vid).values("tag").to_list()) == ["curated", "raw"]

    g.V(vid).property("tag", "raw").iterate()  # re-adding a value keeps the set as it was
    assert sorted(g.V(vid).values("tag").to_list()) == ["curated", "raw"]


def test_single_cardinality_replaces(g: GraphTraversalSource) -> None:
    vid = _id("run")
    g.add_v("Run").property(T.id, vid).property("status", "RUNNING").iterate()
    g.V(vid).property(Cardinality.single, "status", "SUCCEEDED").iterate()
    assert g.V(vid).values("status").to_list() == ["SUCCEEDED"]


def test_generated_ids_are_uuid_strings(g: GraphTraversalSource) -> None:
    vertex_id = g.add_v("Scratch").id_().next()
    edge_id = g.V(vertex_id).add_e("SELF").to(__.V(vertex_id)).id_().next()
    g.V(vertex_id).drop().iterate()
    for generated in (vertex_id, edge_id):
        assert isinstance(generated, str)
        assert re.fullmatch(
            r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", generated
        )


def test_string_edge_id(g: GraphTraversalSource) -> None:
    a, b, eid = _id("ds"), _id("ds"), _id("READS")
    g.add_v("Dataset").property(T.id, a).add_v("Dataset").property(T.id, b).iterate()
    assert g.V(a).add_e("READS").to(__.V(b)).property(T.id, eid).id_().next() == eid
    assert g.E(eid).in_v().id_().next() == b


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("numeric id", "Expected an id that is convertible to class java.lang.String"),
        ("duplicate id", "already exists"),
        ("list cardinality", "list cardinality is not supported"),
        ("list cardinality in mergeV", "list cardinality is not supported"),
        ("lambda", "contains a lambda step"),
    ],
)
def test_refuses_what_neptune_refuses(g: GraphTraversalSource, case: str, expected: str) -> None:
    vid = _id("op")
    g.add_v("Operation").property(T.id, vid).iterate()
    attempts: dict[str, Any] = {
        "numeric id": lambda: g.add_v("Operation").property(T.id, 42).iterate(),
        "duplicate id": lambda: g.add_v("Operation").property(T.id, vid).iterate(),
        "list cardinality": lambda: g.V(vid).property(Cardinality.list_, "k", "v").iterate(),
        "list cardinality in mergeV": lambda: (
            g.merge_v({T.id: vid})
            .option(Merge.on_match, {"k": CardinalityValue.list_("v")})
            .iterate()
        ),
        "lambda": lambda: g.V(vid).map(lambda: "{ v -> v.get() }").to_list(),
    }
    with pytest.raises(GremlinServerError) as refused:
        attempts[case]()
    assert expected in str(refused.value)
    assert g.V(vid).properties("k").count().next() == 0


def test_scripts_use_the_grammar_not_groovy(client: Client, g: GraphTraversalSource) -> None:
    vid = _id("job")
    g.add_v("Job").property(T.id, vid).iterate()
    # Neptune parses scripts with the gremlin-lang grammar whatever language the client names.
    assert client.submit(f"g.V('{vid}').count()").all().result() == [1]
    before = g.V().count().next()
    for groovy in ("graph.addVertex('Job')", f"x = '{vid}'; g.V(x)", "g.V().map{it.get()}"):
        with pytest.raises(GremlinServerError, match="597"):
            client.submit(groovy).all().result()
    assert g.V().count().next() == before


@pytest.mark.parametrize("language", [None, "gremlin-lang"])
def test_scripts_take_no_bindings(client: Client, language: str | None) -> None:
    # Neptune supports neither variables nor the bindings attribute; TinkerPop's grammar engine
    # would resolve `x` from the bindings, so code relying on that would work only locally.
    options = {"language": language} if language else None
    absent = _id("job")
    with pytest.raises(GremlinServerError, match="bindings are not supported"):
        client.submit("g.V(x).count()", {"x": absent}, request_options=options).all().result()
    assert client.submit(f"g.V('{absent}').count()", request_options=options).all().result() == [0]
