"""`GET /api/datasets` (search) and `GET /api/datasets/lineage` (provenance and impact)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from lambdas.consumer import ids
from lambdas.consumer.catalogs import listing, page
from lambdas.consumer.elements import fetch_vertices, project_vertex, require_vertex
from lambdas.consumer.graph_client import GraphClient
from lambdas.consumer.models import (
    ColumnItem,
    DatasetDetail,
    DatasetItem,
    DatasetLineage,
    DatasetList,
)
from lambdas.consumer.vis import element_props, epoch_ms, flow_edge, json_value, node
from lineage.graph_schema import EdgeLabel, IdPrefix, VertexLabel, dataset_id, job_id

__all__ = ["dataset_detail", "dataset_lineage", "search_datasets"]

# Plans per dataset and datasets per plan followed in one hop; bounds each hop's answer size.
_PER_HOP_FANOUT = 500


def search_datasets(client: GraphClient, q: str, layer: str | None, limit: int) -> DatasetList:
    """Datasets whose URI or name contains `q` (case-sensitive, plus its lower-case form), in
    catalog order, shown by id."""
    from gremlin_python.process.graph_traversal import __
    from gremlin_python.process.traversal import T, TextP

    needles = list(dict.fromkeys([q, q.lower()]))

    def containing(t: Any, *keys: str) -> Any:
        return t.or_(*[__.has(key, TextP.containing(n)) for n in needles for key in keys])

    def keep(t: Any) -> Any:
        t = containing(t, "uri", "name") if q else t
        return t.has("layer", layer) if layer else t

    def keep_shard(t: Any) -> Any:  # the shard's members' names and uris (lineage.catalog)
        return containing(t, "member_texts")

    t = listing(client, VertexLabel.DATASET, limit, keep, keep_shard if q else None)
    found = client.run(t.element_map())
    rows, capped = page(found, limit, lambda em: str(em[T.id]))
    items = []
    for em in rows:
        vid, _, props = element_props(em)
        props.setdefault("uri", vid.removeprefix(IdPrefix.DATASET))
        items.append(DatasetItem.model_validate({**props, "id": vid}))
    return DatasetList(items=items, capped=capped)


def dataset_detail(client: GraphClient, uri: str, max_columns: int) -> DatasetDetail:
    """One dataset with its schema (its `Column` vertices) and the jobs around it."""
    from gremlin_python.process.graph_traversal import __

    vid = dataset_id(ids.dataset_uri(uri))
    projection = {
        "ds": __.element_map(),
        "columns": __.in_(EdgeLabel.OF).limit(max_columns).element_map().fold(),
        "writers": __.in_(EdgeLabel.WRITES).values("job_name").dedup().fold(),
        "readers": __.in_(EdgeLabel.READS).values("job_name").dedup().fold(),
    }
    row = project_vertex(
        client, vid, VertexLabel.DATASET, projection, f"no Dataset {uri!r} in the graph"
    )
    columns = []
    for em in row["columns"]:
        cid, _, props = element_props(em)
        columns.append(
            ColumnItem(id=cid, name=str(props.get("name")), data_type=props.get("data_type"))
        )
    return DatasetDetail(
        dataset={**element_props(row["ds"])[2], "id": vid},
        columns=sorted(columns, key=lambda c: c.name),
        written_by=sorted(map(str, row["writers"])),
        read_by=sorted(map(str, row["readers"])),
    )


@dataclass
class _Walk:
    """What a lineage walk has reached so far."""

    datasets: dict[str, None] = field(default_factory=dict)  # ordered set
    jobs: dict[str, set[str]] = field(default_factory=dict)  # job vertex id -> plan ids
    edges: dict[str, dict[str, str]] = field(default_factory=dict)
    capped: bool = False


def _hop(
    client: GraphClient, frontier: list[str], upstream: bool, as_of: dt.datetime | None
) -> list[dict[str, Any]]:
    """Per frontier dataset: the plans writing (upstream) or reading it, and their other side."""
    from gremlin_python.process.graph_traversal import __
    from gremlin_python.process.traversal import P

    plans = __.in_(EdgeLabel.WRITES) if upstream else __.in_(EdgeLabel.READS)
    if as_of is not None:
        # A plan belongs to the past view when one of its runs had started by then.
        from gremlin_python.statics import long

        millis = long(epoch_ms(as_of))  # a Long: GraphBinary sends a plain int as a 32-bit Int
        plans = plans.where(__.in_(EdgeLabel.EXECUTED).has("started_at_ms", P.lte(millis)))
    others = __.out(EdgeLabel.READS) if upstream else __.out(EdgeLabel.WRITES)
    t = (
        client.source()
        .V(*frontier)
        .project("ds", "plans")
        .by(__.id_())
        .by(
            plans.limit(_PER_HOP_FANOUT)
            .project("plan", "job", "others")
            .by(__.id_())
            .by(__.coalesce(__.values("job_name"), __.constant("")))
            .by(others.id_().limit(_PER_HOP_FANOUT).fold())
            .fold()
        )
    )
    return list(client.run(t))


def _walk(
    client: GraphClient,
    root: str,
    upstream: bool,
    depth: int,
    as_of: dt.datetime | None,
    max_nodes: int,
    walk: _Walk,
) -> None:
    """Breadth-first, one round trip per hop, never revisiting a dataset."""
    frontier = [root]
    seen = {root}
    for _ in range(depth):
        if not frontier:
            return
        next_frontier: list[str] = []
        for row in _hop(client, frontier, upstream, as_of):
            here = str(row["ds"])
            for p in row["plans"]:
                job_vid = job_id(p["job"]) if p["job"] else str(p["plan"])
                walk.jobs.setdefault(job_vid, set()).add(str(p["plan"]))
                for other in p["others"]:
                    other = str(other)
                    src, dst = (other, here) if upstream else (here, other)
                    for edge in (
                        flow_edge(EdgeLabel.READS, src, job_vid),
                        flow_edge(EdgeLabel.WRITES, job_vid, dst),
                    ):
                        walk.edges[edge["id"]] = edge
                    walk.datasets.setdefault(other, None)
                    if other not in seen:
                        seen.add(other)
                        next_frontier.append(other)
            if len(walk.datasets) + len(walk.jobs) > max_nodes:
                walk.capped = True
                return
        frontier = next_frontier


def dataset_lineage(
    client: GraphClient,
    uri: str,
    direction: str,
    depth: int,
    as_of: dt.datetime | None,
    max_nodes: int,
) -> DatasetLineage:
    """Datasets and jobs up to `depth` dataset hops upstream, downstream or both of `uri`."""
    root = dataset_id(ids.dataset_uri(uri))
    require_vertex(client, root, VertexLabel.DATASET, uri)
    walk = _Walk(datasets={root: None})
    if direction in ("upstream", "both"):
        _walk(client, root, True, depth, as_of, max_nodes, walk)
    if direction in ("downstream", "both"):
        _walk(client, root, False, depth, as_of, max_nodes, walk)

    found = fetch_vertices(client, [*walk.datasets, *walk.jobs])
    nodes = []
    for vid in walk.datasets:
        label, props = found.get(
            vid, (VertexLabel.DATASET, {"uri": vid.removeprefix(IdPrefix.DATASET)})
        )
        nodes.append({**node(vid, label, props), "root": vid == root})
    for vid, plan_ids in walk.jobs.items():
        label, props = found.get(vid, (VertexLabel.JOB, {"name": vid}))
        nodes.append({**node(vid, label, props), "plans": sorted(plan_ids)})
    return DatasetLineage.model_validate(
        {
            "nodes": nodes,
            "edges": list(walk.edges.values()),
            "capped": walk.capped,
            "root": root,
            "direction": direction,
            "depth": depth,
            "as_of": json_value(as_of) if as_of else None,
        }
    )
