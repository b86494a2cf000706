"""Where the views that list a whole label start: the label's catalog shards (lineage.catalog).

`V().hasLabel(X)` scans every element on a graph without a label index; the catalog shards are
fetched by id and their `CATALOGS` edges lead to exactly the label's vertices.
"""

from __future__ import annotations

from typing import Any

from lambdas.consumer.graph_client import GraphClient
from lineage.catalog import shard_ids
from lineage.graph_schema import EdgeLabel, VertexLabel

__all__ = ["label_counts", "members", "members_by_id"]


def members(client: GraphClient, listed: VertexLabel) -> Any:
    """A traversal over every `listed` vertex (`Job` or `Dataset`), in no particular order."""
    return client.source().V(*shard_ids(listed)).out(EdgeLabel.CATALOGS)


def members_by_id(t: Any, limit: int) -> Any:
    """`t`'s vertices in id order, one more than `limit`: a caller tells a capped list by it."""
    from gremlin_python.process.traversal import T

    return t.order().by(T.id).limit(limit + 1)


def label_counts(client: GraphClient, cap: int) -> dict[str, int]:
    """Jobs, datasets, plans and runs, each counted up to `cap`, in one round trip.

    Plans and runs are the ones a job has (`HAS_PLAN`, `HAS_RUN`): the runs list shows those, so
    the inner runs of a statement (no job edge) are not counted.
    """
    from gremlin_python.process.graph_traversal import __

    def listed(label: VertexLabel) -> Any:  # a fresh traversal each time: steps append in place
        return __.V(*shard_ids(label)).out(EdgeLabel.CATALOGS)

    counted = {
        VertexLabel.JOB: listed(VertexLabel.JOB),
        VertexLabel.DATASET: listed(VertexLabel.DATASET),
        VertexLabel.PLAN: listed(VertexLabel.JOB).out(EdgeLabel.HAS_PLAN),
        VertexLabel.RUN: listed(VertexLabel.JOB).out(EdgeLabel.HAS_RUN),
    }
    t = client.source().inject(1).project(*counted)
    for walk in counted.values():
        t = t.by(walk.limit(cap).count())
    return {str(k): int(v) for k, v in client.run(t)[0].items()}
