"""`GET /api/columns/lineage`: column provenance and impact across jobs."""

from __future__ import annotations

from typing import Any

from lambdas.consumer import ids
from lambdas.consumer.elements import fetch_vertices, require_vertex
from lambdas.consumer.errors import NotFound
from lambdas.consumer.graph_client import GraphClient
from lambdas.consumer.models import ColumnLineage
from lambdas.consumer.vis import element_props, node
from lineage.graph_schema import EdgeLabel, VertexLabel, column_id, dataset_id, plan_vertex_id

__all__ = ["column_lineage"]


def _hop(client: GraphClient, frontier: list[str], upstream: bool, limit: int) -> list[Any]:
    """DERIVES_FROM edges leaving (upstream) or entering (downstream) the frontier columns."""
    from gremlin_python.process.graph_traversal import __

    v = client.source().V(*frontier)
    t = v.out_e(EdgeLabel.DERIVES_FROM) if upstream else v.in_e(EdgeLabel.DERIVES_FROM)
    return list(
        client.run(
            t.limit(limit)
            .project("e", "written", "source")
            .by(__.element_map())
            .by(__.out_v().id_())
            .by(__.in_v().id_())
        )
    )


def column_lineage(
    client: GraphClient, uri: str, column: str, direction: str, depth: int, max_nodes: int
) -> ColumnLineage:
    """Columns up to `depth` derivations away; edges go source -> derived, labelled by kind."""
    uri = ids.dataset_uri(uri)
    root = column_id(uri, column)
    try:
        require_vertex(client, root, VertexLabel.COLUMN, f"{uri}#{column}")
    except NotFound:
        require_vertex(client, dataset_id(uri), VertexLabel.DATASET, uri)
        raise NotFound(f"dataset {uri!r} has no column {column!r}") from None

    columns: dict[str, None] = {root: None}
    edges: dict[str, dict[str, Any]] = {}
    capped = False
    for upstream in (True, False):
        if direction not in ("both", "upstream" if upstream else "downstream"):
            continue
        frontier, seen = [root], {root}
        for _ in range(depth):
            if not frontier or capped:
                break
            next_frontier = []
            for row in _hop(client, frontier, upstream, max_nodes + 1):
                eid, _, props = element_props(row["e"])
                written, source = str(row["written"]), str(row["source"])
                edges[eid] = {
                    **props,
                    "id": eid,
                    "from": source,
                    "to": written,
                    "label": str(props.get("kind") or "derived"),
                }
                other = source if upstream else written
                columns.setdefault(other, None)
                if other not in seen:
                    seen.add(other)
                    next_frontier.append(other)
            if len(columns) > max_nodes:
                capped = True
            frontier = next_frontier

    found = fetch_vertices(client, columns)
    dataset_ids = {
        dataset_id(str(props["dataset_uri"]))
        for _, props in found.values()
        if props.get("dataset_uri")
    }
    plan_ids = {plan_vertex_id(str(e["plan_id"])) for e in edges.values() if e.get("plan_id")}
    context = fetch_vertices(client, [*dataset_ids, *plan_ids])
    for e in edges.values():
        plan = context.get(plan_vertex_id(str(e.get("plan_id"))))
        e["job_name"] = plan[1].get("job_name") if plan else None

    nodes = []
    for vid in columns:
        label, props = found.get(vid, (VertexLabel.COLUMN, {"name": vid}))
        ds = context.get(dataset_id(str(props.get("dataset_uri"))))
        ds_props = ds[1] if ds else {}
        props = {**props, "layer": ds_props.get("layer"), "dataset_name": ds_props.get("name")}
        n = node(vid, label, props)
        n["label"] = f"{ds_props.get('name') or props.get('dataset_uri')}.{props.get('name')}"
        n["root"] = vid == root
        nodes.append(n)
    return ColumnLineage.model_validate(
        {
            "nodes": nodes,
            "edges": list(edges.values()),
            "capped": capped,
            "root": root,
            "direction": direction,
            "depth": depth,
        }
    )
