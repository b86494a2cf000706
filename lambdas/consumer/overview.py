"""`GET /api/overview`: every job and dataset with the flows between them, capped."""

from __future__ import annotations

from typing import Any

from lambdas.consumer.catalogs import listing, page
from lambdas.consumer.graph_client import GraphClient
from lambdas.consumer.jobs import newest_first
from lambdas.consumer.models import GraphView
from lambdas.consumer.vis import element_props, job_flows, node
from lineage.graph_schema import EdgeLabel, VertexLabel

__all__ = ["overview"]


def overview(client: GraphClient, max_jobs: int, max_datasets: int) -> GraphView:
    """Jobs (at most `max_jobs`), the datasets they read and write, and one edge per flow."""
    from gremlin_python.process.graph_traversal import __
    from gremlin_python.process.traversal import T

    def datasets(flow: EdgeLabel) -> Any:
        walk = __.out(EdgeLabel.HAS_PLAN).out(flow).dedup().limit(max_datasets)
        return walk.element_map().fold()

    # One round trip: each job with its last run status and the datasets of all its plans.
    # Jobs share few datasets (about 1.1 references per dataset in a page of 500 jobs at 100k
    # plans), so the datasets' properties come along instead of in a second lookup by id.
    t = (
        listing(client, VertexLabel.JOB, max_jobs)
        .project("job", "last", "reads", "writes")
        .by(__.element_map())
        .by(newest_first(__.out(EdgeLabel.HAS_RUN), 1).values("status").fold())
        .by(datasets(EdgeLabel.READS))
        .by(datasets(EdgeLabel.WRITES))
    )
    rows, capped = page(client.run(t), max_jobs, lambda row: str(row["job"][T.id]))

    nodes: list[dict[str, Any]] = []
    edges: list[dict[str, Any]] = []
    found: dict[str, dict[str, Any]] = {}  # dataset id -> its node, in first-seen order

    def dataset_ids(element_maps: list[dict[Any, Any]]) -> list[str]:
        ids = []
        for em in element_maps:
            vid, label, props = element_props(em)
            if vid not in found:
                found[vid] = node(vid, label, props)
            ids.append(vid)
        return ids

    for row in rows:
        job_vid, _, props = element_props(row["job"])
        props["last_status"] = row["last"][0] if row["last"] else None
        nodes.append(node(job_vid, VertexLabel.JOB, props))
        edges += job_flows(job_vid, dataset_ids(row["reads"]), dataset_ids(row["writes"]))
    kept = list(found)
    if len(kept) > max_datasets:
        capped = True
        kept = kept[:max_datasets]
        wanted = set(kept)
        edges = [e for e in edges if e["from"] in wanted or e["to"] in wanted]
    nodes += [found[vid] for vid in kept]
    return GraphView.model_validate({"nodes": nodes, "edges": edges, "capped": capped})
