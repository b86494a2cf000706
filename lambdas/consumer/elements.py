"""Fetching vertices by id: the one lookup every view shares."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from lambdas.consumer.errors import NotFound
from lambdas.consumer.graph_client import GraphClient
from lambdas.consumer.vis import element_props
from lineage.graph_schema import VertexLabel

__all__ = ["Element", "fetch_vertices", "project_vertex", "require_vertex"]

# Ids per `g.V(ids)` request: keeps each bytecode message small.
_CHUNK = 500

Element = tuple[str, dict[str, Any]]


def fetch_vertices(client: GraphClient, ids: Iterable[str]) -> dict[str, Element]:
    """Vertices by id as {id: (label, properties)}; unknown ids are simply absent."""
    wanted = list(dict.fromkeys(ids))
    found: dict[str, Element] = {}
    for start in range(0, len(wanted), _CHUNK):
        chunk = wanted[start : start + _CHUNK]
        for em in client.run(client.source().V(*chunk).element_map()):
            vid, label, props = element_props(em)
            found[vid] = (label, props)
    return found


def require_vertex(
    client: GraphClient, vertex_id: str, label: VertexLabel, what: str
) -> dict[str, Any]:
    """The properties of vertex `vertex_id` with `label`, or NotFound naming `what`."""
    rows = client.run(client.source().V(vertex_id).has_label(label).element_map())
    if not rows:
        raise NotFound(f"no {label} {what!r} in the graph")
    return element_props(rows[0])[2]


def project_vertex(
    client: GraphClient, vertex_id: str, label: VertexLabel, by: Mapping[str, Any], missing: str
) -> dict[str, Any]:
    """Vertex `vertex_id` with `label` projected to one value per key of `by`, in one round trip.

    `by` maps each key to the traversal that computes it from the vertex; a graph without that
    vertex raises NotFound with the message `missing`.
    """
    t = client.source().V(vertex_id).has_label(label).project(*by)
    for step in by.values():
        t = t.by(step)
    rows: list[dict[str, Any]] = client.run(t)
    if not rows:
        raise NotFound(missing)
    return rows[0]
