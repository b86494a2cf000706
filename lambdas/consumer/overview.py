"""`GET /api/overview`: every job and dataset with the flows between them, capped."""

from __future__ import annotations

from typing import Any

from lambdas.consumer.catalogs import listing, page
from lambdas.consumer.elements import fetch_vertices
from lambdas.consumer.graph_client import GraphClient
from lambdas.consumer.jobs import newest_first
from lambdas.consumer.models import GraphView
from lambdas.consumer.vis import element_props, job_flows, node
from lineage.graph_schema import EdgeLabel, VertexLabel

__all__ = ["overview"]


def overview(client: GraphClient, max_jobs: int, max_datasets: int) -> GraphView:
    """Jobs (at most `max_jobs`), the datasets they read and write, and one edge per flow."""
    from gremlin_python.process.graph_traversal import __

    # One round trip: each job with its last run status and the dataset ids of all its plans.
    t = (
        listing(client, VertexLabel.JOB, max_jobs)
        .project("job", "last", "reads", "writes")
        .by(__.element_map())
        .by(newest_first(__.out(EdgeLabel.HAS_RUN), 1).values("status").fold())
        .by(
            __.out(EdgeLabel.HAS_PLAN).out(EdgeLabel.READS).dedup().id_().limit(max_datasets).fold()
        )
        .by(
            __.out(EdgeLabel.HAS_PLAN)
            .out(EdgeLabel.WRITES)
            .dedup()
            .id_()
            .limit(max_datasets)
            .fold()
        )
    )
    rows, capped = page(client.run(t), max_jobs, lambda row: element_props(row["job"])[0])

    nodes: list[dict[str, Any]] = []
    edges: list[dict[str, Any]] = []
    dataset_ids: list[str] = []
    seen: set[str] = set()
    for row in rows:
        job_vid, _, props = element_props(row["job"])
        props["last_status"] = row["last"][0] if row["last"] else None
        nodes.append(node(job_vid, VertexLabel.JOB, props))
        edges += job_flows(job_vid, row["reads"], row["writes"])
        for ds in [*row["reads"], *row["writes"]]:
            if ds not in seen:
                seen.add(ds)
                dataset_ids.append(ds)
    if len(dataset_ids) > max_datasets:
        capped = True
        kept = set(dataset_ids[:max_datasets])
        dataset_ids = dataset_ids[:max_datasets]
        edges = [e for e in edges if e["from"] in kept or e["to"] in kept]
    for vid, (label, props) in fetch_vertices(client, dataset_ids).items():
        nodes.append(node(vid, label, props))
    return GraphView.model_validate({"nodes": nodes, "edges": edges, "capped": capped})
