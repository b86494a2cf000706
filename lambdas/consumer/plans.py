"""`GET /api/plans/{plan_id}`: one execution plan's operation DAG, laid out by level."""

from __future__ import annotations

from typing import Any

from lambdas.consumer.elements import project_vertex
from lambdas.consumer.graph_client import GraphClient
from lambdas.consumer.jobs import newest_first, run_item
from lambdas.consumer.models import PlanView
from lambdas.consumer.vis import element_props, node
from lineage.graph_schema import EdgeLabel, VertexLabel, plan_vertex_id

__all__ = ["plan_view"]


def plan_view(client: GraphClient, spline_plan_id: str, max_ops: int, runs_limit: int) -> PlanView:
    """Operations (nodes with `level`, parsed `params` and `schema`) and their data flow."""
    from gremlin_python.process.graph_traversal import __

    plan_vid = plan_vertex_id(spline_plan_id)
    projection = {
        "plan": __.element_map(),
        "ops": __.out(EdgeLabel.HAS_OPERATION).limit(max_ops + 1).element_map().fold(),
        "follows": __.out(EdgeLabel.HAS_OPERATION)
        .limit(max_ops)
        .out_e(EdgeLabel.FOLLOWS)
        .project("id", "parent", "child")
        .by(__.id_())
        .by(__.out_v().id_())
        .by(__.in_v().id_())
        .fold(),
        "reads": __.out(EdgeLabel.READS).element_map().fold(),
        "writes": __.out(EdgeLabel.WRITES).element_map().fold(),
        "runs": newest_first(__.in_(EdgeLabel.EXECUTED), runs_limit).element_map().fold(),
    }
    row = project_vertex(
        client, plan_vid, VertexLabel.PLAN, projection, f"no plan {spline_plan_id!r} in the graph"
    )
    _, _, plan_props = element_props(row["plan"])

    nodes = []
    max_level = 0
    for em in row["ops"][:max_ops]:
        vid, label, props = element_props(em)
        nodes.append(node(vid, label, props))
        if isinstance(props.get("level"), int):
            max_level = max(max_level, props["level"])
    kept = {n["id"] for n in nodes}
    # FOLLOWS points from the consumer to the operation it reads from; data flows child -> parent.
    edges = [
        {"id": str(e["id"]), "from": e["child"], "to": e["parent"], "label": str(EdgeLabel.FOLLOWS)}
        for e in row["follows"]
        if e["child"] in kept and e["parent"] in kept
    ]

    def dataset(em: dict[Any, Any]) -> dict[str, Any]:
        vid, _, props = element_props(em)
        return {**props, "id": vid}

    return PlanView.model_validate(
        {
            "nodes": nodes,
            "edges": edges,
            "capped": len(row["ops"]) > max_ops,
            "plan": {**plan_props, "id": plan_vid},
            "reads": [dataset(d) for d in row["reads"]],
            "writes": [dataset(d) for d in row["writes"]],
            "runs": [run_item(r) for r in row["runs"]],
            "max_level": max_level,
        }
    )
